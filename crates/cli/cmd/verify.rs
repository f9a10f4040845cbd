//! `srmatrix verify`: recompute the hashes a report run recorded and say, file by file, whether
//! the evidence is intact.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use crate::manifest::{self, Check};

/// Arguments of `srmatrix verify`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix verify outputs/\n  srmatrix verify evidence/2026-Q3 --inputs-optional\n\nExit codes: 0 intact, 1 something was modified or is missing (or the manifest cannot be read)."
)]
pub struct Args {
    /// The report directory holding manifest.json.
    dir: PathBuf,
    /// Do not fail when an input is missing (inputs often stay where they were read); a modified
    /// input still fails.
    #[arg(long)]
    inputs_optional: bool,
}

/// Runs `srmatrix verify`.
pub fn run(args: Args) -> Result<ExitCode> {
    let m = manifest::read(&args.dir)?;
    let mut failed = 0;
    println!(
        "{} ({}, generated at {})",
        args.dir.join(manifest::MANIFEST_FILE).display(),
        m.tool,
        m.generated_at
    );
    let mut line = |kind: &str, path: &Path, check: Check, fatal_if_missing: bool| {
        let word = match check {
            Check::Intact => "ok",
            Check::Modified => "MODIFIED",
            Check::Missing if fatal_if_missing => "MISSING",
            Check::Missing => "missing (not checked)",
        };
        if check == Check::Modified || (check == Check::Missing && fatal_if_missing) {
            failed += 1;
        }
        println!("  {kind:<8} {word:<22} {}", path.display());
    };
    for out in &m.outputs {
        let path = args.dir.join(&out.path);
        line("output", &path, manifest::check_file(&path, out), true);
    }
    for input in &m.inputs {
        let path = PathBuf::from(&input.file.path);
        if input.file.path == "-" {
            println!("  input    standard input (not checked)");
            continue;
        }
        line(
            "input",
            &path,
            manifest::check_file(&path, &input.file),
            !args.inputs_optional,
        );
    }
    for f in m.catalog_files.iter().chain(&m.policy) {
        if f.path.starts_with("builtin:") {
            continue;
        }
        let path = PathBuf::from(&f.path);
        line(
            "catalog",
            &path,
            manifest::check_file(&path, f),
            !args.inputs_optional,
        );
    }
    if failed == 0 {
        println!("intact: every file matches its recorded SHA-256");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("NOT INTACT: {failed} file(s) modified or missing");
        Ok(ExitCode::from(1))
    }
}
