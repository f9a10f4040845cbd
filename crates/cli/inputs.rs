//! Reading inventory inputs into an assessment: options shared by `report` and `inspect`.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest as _, Sha256};
use srmatrix_import::{Format, ImportOptions, ImportStats, InventoryRecord, Limits, TagKeys};
use srmatrix_model::AssessmentBuilder;

pub use crate::digest::PendingDigests;
use crate::digest::{FileState, HELD_BYTES, Hasher, ParquetDigest, PendingDigest, StreamDigest};
use crate::files;

/// How inputs are read.
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Read every input as this format instead of detecting it from the header: native, cur,
    /// cur-athena, cur2, focus, aws-config, tag-editor, resource-explorer, arn-list.
    #[arg(long, value_name = "NAME")]
    input_format: Option<Format>,
    /// Tag key that names the owner team (repeatable; replaces the defaults Team, owner_team,
    /// Owner, application, business_unit).
    #[arg(long = "team-tag", value_name = "KEY")]
    team_tags: Vec<String>,
    /// Tag key that names the environment (repeatable; replaces the defaults environment, env, stage).
    #[arg(long = "env-tag", value_name = "KEY")]
    env_tags: Vec<String>,
    /// Tag key that names the data classification (repeatable; replaces the defaults
    /// data_classification, classification).
    #[arg(long = "classification-tag", value_name = "KEY")]
    classification_tags: Vec<String>,
    /// Largest field accepted, in bytes.
    #[arg(long, default_value_t = Limits::default().max_field_bytes, value_name = "BYTES")]
    max_field_bytes: u64,
    /// Longest line accepted, in bytes.
    #[arg(long, default_value_t = Limits::default().max_line_bytes, value_name = "BYTES")]
    max_line_bytes: u64,
    /// Most columns accepted in a header or row.
    #[arg(long, default_value_t = Limits::default().max_columns, value_name = "N")]
    max_columns: usize,
    /// Most distinct groups (service × account × region × team × environment × classification)
    /// kept in memory; beyond it the run stops with an error (pre-aggregate the input instead).
    #[arg(long, default_value_t = srmatrix_model::assess::DEFAULT_MAX_GROUPS, value_name = "N")]
    max_groups: usize,
    /// Threads that parse inputs (0: one per core; at most 1024). The result never depends on it.
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=MAX_THREADS))]
    threads: u16,
}

/// The most parsing threads `--threads` accepts: far more than any machine has cores, few
/// enough that their buffers cannot exhaust memory.
const MAX_THREADS: i64 = 1024;

impl InputArgs {
    /// The importer options these arguments ask for.
    pub fn options(&self) -> ImportOptions {
        self.options_with(None)
    }

    /// The importer options: tag keys from the flags, else from the policy, else the defaults.
    pub fn options_with(&self, policy: Option<&srmatrix_model::Policy>) -> ImportOptions {
        let mut keys = TagKeys::default();
        if let Some(p) = policy {
            for (slot, given) in [
                (&mut keys.team, &p.tags.team),
                (&mut keys.environment, &p.tags.environment),
                (&mut keys.classification, &p.tags.classification),
            ] {
                if !given.is_empty() {
                    slot.clone_from(given);
                }
            }
        }
        if !self.team_tags.is_empty() {
            keys.team.clone_from(&self.team_tags);
        }
        if !self.env_tags.is_empty() {
            keys.environment.clone_from(&self.env_tags);
        }
        if !self.classification_tags.is_empty() {
            keys.classification.clone_from(&self.classification_tags);
        }
        ImportOptions {
            format: self.input_format,
            tag_keys: keys,
            limits: Limits {
                max_field_bytes: self.max_field_bytes,
                max_line_bytes: self.max_line_bytes,
                max_columns: self.max_columns,
            },
            chunk_bytes: 0,
        }
    }

    /// The most distinct groups to keep.
    pub fn max_groups(&self) -> usize {
        self.max_groups
    }

    /// How inputs are read, besides what they contain.
    pub fn reading(&self) -> Reading {
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => usize::from(n),
        };
        Reading {
            threads,
            progress: !crate::term::quiet() && std::io::stderr().is_terminal(),
        }
    }
}

/// How inputs are read: threads and progress display.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// Parsing threads.
    pub threads: usize,
    /// Whether a progress bar may be shown on standard error.
    pub progress: bool,
}

/// A progress bar for one input, drawn on standard error once the input has taken a second.
fn progress_bar(path: &Path) -> ProgressBar {
    let len = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
    let style = match len {
        Some(_) => ProgressStyle::with_template(
            "{prefix} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        ),
        None => {
            ProgressStyle::with_template("{prefix} {spinner} {binary_bytes} {binary_bytes_per_sec}")
        }
    };
    if let Ok(style) = style {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(path.display().to_string());
    bar
}

/// Shows `bar` on standard error when reading has taken longer than a second.
fn reveal_after_a_second(bar: &ProgressBar) -> impl FnMut() + '_ {
    let start = std::time::Instant::now();
    let mut shown = false;
    move || {
        if !shown && start.elapsed() > Duration::from_secs(1) {
            shown = true;
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

/// A progress bar over a Parquet input's rows (only the columns needed are read, so its bytes
/// would not add up to the file's size), drawn on standard error once reading has taken a
/// second; fed from every reading thread.
fn parquet_progress(name: &str) -> (ProgressBar, srmatrix_import::RowProgress) {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:30}] {human_pos}/{human_len} rows, eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(name.to_owned());
    let start = std::time::Instant::now();
    let shown = std::sync::atomic::AtomicBool::new(false);
    let fed = bar.clone();
    let on_rows = move |n: u64, total: u64| {
        if fed.length() != Some(total) {
            fed.set_length(total);
        }
        fed.inc(n);
        if start.elapsed() > Duration::from_secs(1)
            && !shown.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            fed.set_draw_target(ProgressDrawTarget::stderr());
        }
    };
    (bar, std::sync::Arc::new(on_rows))
}

/// Refuses (as bad usage) an input given twice: the same path, or another path to the same file
/// (a symlink, a hard link, `./x` and `x`), or standard input twice. Read twice, its rows would be
/// counted twice.
pub fn refuse_duplicates(paths: &[PathBuf]) -> Result<()> {
    let mut seen: Vec<(&Path, Option<FileId>)> = Vec::new();
    for path in paths {
        let id = file_id(path);
        for (earlier, earlier_id) in &seen {
            let same = if path.as_os_str() == "-" || earlier.as_os_str() == "-" {
                path == earlier
            } else {
                path == earlier || (id.is_some() && id == *earlier_id)
            };
            if same {
                return Err(crate::cmd::UsageError::new(format!(
                    "{} and {} are the same input; its rows would be counted twice (give each input once)",
                    crate::term::path(earlier),
                    crate::term::path(path)
                ))
                .into());
            }
        }
        seen.push((path, id));
    }
    Ok(())
}

/// What identifies a file whatever the path to it: device and inode on Unix, the canonical path
/// elsewhere.
#[derive(PartialEq, Eq)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

fn file_id(path: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path)
            .ok()
            .map(|m| FileId::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(path).ok().map(FileId::Path)
    }
}

/// Expands each directory among `paths` into its `.parquet` and `.csv.gz` files (an AWS Data
/// Exports partition such as `data/BILLING_PERIOD=2026-09/`, or the export's folder with all its
/// periods), found recursively and sorted by path, so that the inputs and the manifest come in
/// the same order on every run. Files and `-` stay as given. A directory without such a file
/// is an error.
pub fn expand_dirs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" || !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        collect_exports(path, &mut found)?;
        if found.is_empty() {
            anyhow::bail!(
                "{}: the directory holds no .parquet or .csv.gz file",
                crate::term::path(path)
            );
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// The `.parquet` and `.csv.gz` files under `dir`, recursively (hidden entries skipped).
fn collect_exports(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        anyhow::anyhow!("{}: cannot list the directory: {e}", crate::term::path(dir))
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("{}: {e}", crate::term::path(dir)))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if name.starts_with('.') {
            continue;
        }
        // Symbolic links to directories are not followed: a link back up the tree would never
        // end, and an export partition holds files, not links.
        let is_dir = entry
            .file_type()
            .map_err(|e| anyhow::anyhow!("{}: {e}", crate::term::path(&path)))?
            .is_dir();
        if is_dir {
            collect_exports(&path, found)?;
        } else if name.ends_with(".parquet") || name.ends_with(".csv.gz") {
            found.push(path);
        }
    }
    Ok(())
}

/// Reads every input into the builder, one after the other, streaming. The caller has refused
/// duplicates ([`refuse_duplicates`]) before anything else, and settles the digests returned
/// ([`PendingDigests::settle`]) once it needs them: the end of a file's SHA-256 is still being
/// computed then by `hasher` (see [`crate::digest`]), which may have begun the first input's
/// digest while the catalog loaded ([`Hasher::start`]).
pub fn read_all(
    paths: &[PathBuf],
    opts: &ImportOptions,
    reading: Reading,
    builder: &mut AssessmentBuilder,
    hasher: &mut Hasher,
) -> Result<(Vec<ImportStats>, PendingDigests)> {
    let mut all = Vec::new();
    let mut pending = PendingDigests::default();
    // With fewer readers than cores a core is free from the start: nothing is held then.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let hold = if !hasher.runs() || reading.threads.max(1) < cores {
        0
    } else {
        HELD_BYTES
    };
    for (i, path) in paths.iter().enumerate() {
        let name = path.display().to_string();
        let opened = files::open(path)?;
        // Only the last input's end waits for the hashing thread: another's would wait behind
        // the parsing of the next input (both cores busy), then be hashed on one core at the end.
        let last = i + 1 == paths.len();
        let (raw, again) = match opened {
            files::Opened::Parquet(file) => {
                let (stats, digest) =
                    read_parquet(&name, file, hold, hasher, opts, reading, builder)?;
                all.push(stats);
                pending.0.push(digest);
                continue;
            }
            files::Opened::Stream(raw, again) => (raw, again),
        };
        let digest = match &again {
            Some((_, state)) => {
                let held_from = state.len().saturating_sub(if last { hold } else { 0 });
                let (sha, from) = hasher
                    .take_early(state)
                    .unwrap_or_else(|| (Sha256::new(), 0));
                StreamDigest::continuing(sha, from, held_from)
            }
            None => StreamDigest::default(),
        };
        let bar = reading.progress.then(|| progress_bar(path));
        let mut reveal = bar.as_ref().map(reveal_after_a_second);
        let on_read = |n: usize| {
            if let (Some(bar), Some(reveal)) = (&bar, reveal.as_mut()) {
                bar.inc(n as u64);
                reveal();
            }
        };
        let reader = files::stream_input(path, raw, on_read, digest.clone())?;
        let input = builder.start_input(&name, "");
        let mut forks: Vec<AssessmentBuilder> = (0..reading.threads.max(1))
            .map(|_| builder.fork())
            .collect();
        let mut sinks: Vec<_> = forks
            .iter_mut()
            .map(|fork| move |rec: &InventoryRecord<'_>| fork.add(input, rec))
            .collect();
        // Import errors name the input, line and column themselves.
        let stats = srmatrix_import::read_parallel(&name, reader, opts, &mut sinks);
        drop(sinks);
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let stats = stats?;
        // The held end of the file is hashed while the threads' counts are merged.
        pending.0.push(
            digest
                .pending(input, &name, again, hasher)
                .with_context(|| format!("{name}: cannot read"))?,
        );
        for fork in forks {
            builder.merge(fork);
        }
        finish_input(builder, input, &stats)?;
        all.push(stats);
    }
    Ok((all, pending))
}

/// Reads one Parquet input into the builder (row groups on `reading.threads` threads), while
/// another thread computes the file's SHA-256 from its own handle to the file, at positions.
///
/// The digest continues what `hasher`'s early digest covered, runs beside the readers up to the
/// file's last `hold` bytes, and hashes those once a reader has no rows left: while all read,
/// hashing takes their time, while after it fills a core that would wait. It is joined by
/// [`PendingDigests::settle`].
fn read_parquet(
    name: &str,
    file: std::fs::File,
    hold: u64,
    hasher: &mut Hasher,
    opts: &ImportOptions,
    reading: Reading,
    builder: &mut AssessmentBuilder,
) -> Result<(ImportStats, PendingDigest)> {
    let state =
        FileState::of(&file).ok_or_else(|| anyhow::anyhow!("{name}: cannot read its size"))?;
    let start = hasher.take_early(&state);
    let hashed = file.try_clone()?;
    let (idle, until) = std::sync::mpsc::channel::<()>();
    let source =
        srmatrix_import::ParquetSource::file(file)?.with_idle(std::sync::Arc::new(move || {
            // The digest may have stopped (a read error): nothing to tell then.
            let _ = idle.send(());
        }));
    let (source, bar) = if reading.progress {
        let (bar, on_rows) = parquet_progress(name);
        (source.with_progress(on_rows), Some(bar))
    } else {
        (source, None)
    };
    let input = builder.start_input(name, "");
    let mut forks: Vec<AssessmentBuilder> = (0..reading.threads.max(1))
        .map(|_| builder.fork())
        .collect();
    let digest = ParquetDigest {
        start,
        held_from: state.len().saturating_sub(hold),
        until: (hold > 0).then_some(until),
    }
    .spawn(input, name, hashed, state)
    .with_context(|| format!("{name}: cannot start its digest"))?;
    let stats = {
        let mut sinks: Vec<_> = forks
            .iter_mut()
            .map(|fork| move |rec: &InventoryRecord<'_>| fork.add(input, rec))
            .collect();
        srmatrix_import::read_parquet(name, source, opts, &mut sinks)
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let stats = stats?;
    for fork in forks {
        builder.merge(fork);
    }
    finish_input(builder, input, &stats)?;
    Ok((stats, digest))
}

/// Records an input's details in the builder and checks the totals so far.
fn finish_input(builder: &mut AssessmentBuilder, input: usize, stats: &ImportStats) -> Result<()> {
    builder.input_details(
        input,
        stats.format.as_str(),
        stats.ragged_rows,
        &stats.duplicate_columns,
    );
    builder.input_malformed_tags(
        input,
        stats.malformed_tag_rows,
        stats.first_malformed_tags_line,
    );
    if let Some((name, line)) = builder.limit_exceeded() {
        anyhow::bail!(
            "{name}:{line}:1: more distinct groups (service × account × region × team × environment × classification) than --max-groups allows; raise it, or pre-aggregate the input (docs/inventory-formats.md)"
        );
    }
    // One input's own counts are checked by the importer, which names the row; this is the
    // total over the inputs read so far.
    if let Some(name) = builder.resources_overflow() {
        anyhow::bail!(
            "{name}: the resources of this input and the inputs before it add up to more than {} (resource_count); the report's totals cannot be added up",
            u64::MAX
        );
    }
    Ok(())
}
