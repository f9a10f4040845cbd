//! `srmatrix-bench`: generates large, realistic AWS billing exports (`gen`) and runs the reference
//! CSV loop srmatrix is compared against (`baseline`). `scripts/bench.sh` drives both.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use srmatrix_bench::generator::{self, ExportFormat, Options};

#[derive(Parser)]
#[command(
    name = "srmatrix-bench",
    version,
    about = "Benchmark inputs and the reference loop for srmatrix",
    after_help = "Examples:\n  srmatrix-bench gen --rows 1000000 --out cur-1m.csv\n  srmatrix-bench gen --rows 1000000 --format focus --gzip --out focus-1m.csv.gz\n  srmatrix-bench baseline cur-1m.csv"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a deterministic billing export: same arguments, same bytes.
    Gen(GenArgs),
    /// Group an export by account × service × team with a plain csv-crate loop (the reference).
    Baseline {
        /// A legacy CUR or FOCUS export, plain or gzip (`-` for standard input).
        file: PathBuf,
    },
}

#[derive(clap::Args)]
struct GenArgs {
    /// Data rows to write.
    #[arg(long, value_name = "N")]
    rows: u64,
    /// Export shape.
    #[arg(long, value_enum, default_value_t = ExportFormat::Cur)]
    format: ExportFormat,
    /// Seed of the pseudo-random number generator.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
    /// Size of the resource pool (the most distinct resource ids).
    #[arg(long, default_value_t = generator::DEFAULT_RESOURCES, value_name = "R")]
    resources: u32,
    /// Percent of rows with a quoted multi-line description and attributes (commas, quotes).
    #[arg(long, default_value_t = 0, value_name = "P", value_parser = clap::value_parser!(u8).range(0..=100))]
    quoted: u8,
    /// Extra product-attribute columns at the end of every row.
    #[arg(long, default_value_t = 0, value_name = "N")]
    extra_columns: u16,
    /// Variants of every team name, drawn per resource (about this many times the groups).
    #[arg(long, default_value_t = 1, value_name = "N")]
    team_variants: u16,
    /// Percent of identified usage rows whose resource is short-lived (an id never seen again).
    #[arg(long, default_value_t = 0, value_name = "P", value_parser = clap::value_parser!(u8).range(0..=100))]
    short_lived: u8,
    /// Output file (`-` for standard output).
    #[arg(long, default_value = "-", value_name = "FILE")]
    out: PathBuf,
    /// Compress with gzip.
    #[arg(long)]
    gzip: bool,
    /// Gzip level, 0-9.
    #[arg(long, default_value_t = 6, value_name = "L", requires = "gzip")]
    gzip_level: u32,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(args) => generate(&args),
        Command::Baseline { file } => baseline(&file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("srmatrix-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn generate(args: &GenArgs) -> Result<()> {
    let opts = Options {
        rows: args.rows,
        format: args.format,
        seed: args.seed,
        resources: args.resources,
        shape: generator::Shape {
            quoted_percent: args.quoted,
            extra_columns: args.extra_columns,
            team_variants: args.team_variants,
            short_lived_percent: args.short_lived,
        },
    };
    let started = Instant::now();
    let sink: Box<dyn Write + Send> = if args.out.as_os_str() == "-" {
        Box::new(io::stdout())
    } else {
        Box::new(
            File::create(&args.out)
                .with_context(|| format!("{}: cannot create", args.out.display()))?,
        )
    };
    let sink = io::BufWriter::with_capacity(1 << 20, sink);
    // Compression and the writes run on a second thread, beside the generator.
    let level = flate2::Compression::new(args.gzip_level.min(9));
    let (bytes, written) = if args.gzip {
        let mut out = Offload::spawn(move |chunks| {
            let mut gz = flate2::write::GzEncoder::new(sink, level);
            for chunk in chunks {
                gz.write_all(&chunk)?;
            }
            gz.finish()?.flush()
        });
        (generator::write(&opts, &mut out), out.finish())
    } else {
        let mut out = Offload::spawn(move |chunks| {
            let mut sink = sink;
            for chunk in chunks {
                sink.write_all(&chunk)?;
            }
            sink.flush()
        });
        (generator::write(&opts, &mut out), out.finish())
    };
    // An error of the writing thread explains a failed send: report it first.
    written.with_context(|| format!("writing {}", args.out.display()))?;
    let bytes = bytes?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {} rows, {} bytes uncompressed ({:.1} bytes/row) in {:.2} s ({:.0} MB/s)",
        args.rows,
        bytes,
        bytes as f64 / args.rows.max(1) as f64,
        secs,
        bytes as f64 / 1e6 / secs.max(1e-9)
    );
    Ok(())
}

/// A writer that hands each chunk to a thread that writes (and maybe compresses) it.
struct Offload {
    tx: Option<mpsc::SyncSender<Vec<u8>>>,
    handle: Option<thread::JoinHandle<io::Result<()>>>,
}

impl Offload {
    fn spawn<F>(work: F) -> Offload
    where
        F: FnOnce(mpsc::IntoIter<Vec<u8>>) -> io::Result<()> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(4);
        let handle = thread::spawn(move || work(rx.into_iter()));
        Offload {
            tx: Some(tx),
            handle: Some(handle),
        }
    }

    /// Waits for the thread to write everything; its error, if any.
    fn finish(mut self) -> io::Result<()> {
        drop(self.tx.take());
        match self.handle.take().map(thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the writing thread panicked")),
            None => Ok(()),
        }
    }
}

impl Write for Offload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| io::Error::other("writer already finished"))?;
        tx.send(buf.to_vec())
            .map_err(|_| io::Error::other("the writing thread stopped"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn baseline(file: &std::path::Path) -> Result<()> {
    let started = Instant::now();
    let summary = srmatrix_bench::baseline::run_path(file)?;
    println!(
        "{} groups (account × service × team, {} columns), {} rows, {:.3} s",
        summary.groups,
        summary.layout,
        summary.rows,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
