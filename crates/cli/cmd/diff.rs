//! `srmatrix diff`: what changed between two JSON reports.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use srmatrix_render::diff;

use crate::manifest::{self, FileDigest};

/// Arguments of `srmatrix diff`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix diff 2026-Q2/report.json 2026-Q3/report.json\n  srmatrix diff old.json new.json --format csv > changes.csv"
)]
pub struct Args {
    /// The earlier report (`report.json` of `srmatrix report --format json`).
    old: PathBuf,
    /// The later report.
    new: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "md")]
    format: DiffFormat,
}

/// Output format of `srmatrix diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Markdown.
    Md,
    /// CSV: change, subject, detail, before, after.
    Csv,
}

/// Reads a JSON report, checking it is one.
pub fn read_report(path: &Path) -> Result<serde_json::Value> {
    read_report_with_digest(path).map(|(report, _)| report)
}

/// Reads a JSON report, checking it is one; with its digest for the manifest.
pub fn read_report_with_digest(path: &Path) -> Result<(serde_json::Value, FileDigest)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let digest = FileDigest::of_file(
        path,
        text.len() as u64,
        manifest::sha256_hex(text.as_bytes()),
    );
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if !diff::is_report(&value) {
        bail!(
            "{}: not an srmatrix JSON report (write one with `srmatrix report --format json`)",
            path.display()
        );
    }
    Ok((value, digest))
}

/// Runs `srmatrix diff`.
pub fn run(args: Args) -> Result<ExitCode> {
    let old = read_report(&args.old)?;
    let new = read_report(&args.new)?;
    let changes = diff::diff(&old, &new);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        DiffFormat::Md => out.write_all(diff::to_markdown(&changes).as_bytes())?,
        DiffFormat::Csv => out.write_all(&diff::to_csv(&changes)?)?,
    }
    Ok(ExitCode::SUCCESS)
}
