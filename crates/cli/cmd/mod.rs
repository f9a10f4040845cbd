//! One module per subcommand.

pub mod catalog;
pub mod completions;
pub mod diff;
pub mod explain;
pub mod init;
pub mod inspect;
pub mod man;
pub mod policy;
pub mod report;
pub mod templates;
pub mod verify;

use std::io::Write;

use anyhow::Result;
use srmatrix_render::{csv_writer_builder, neutralise_csv_field};

/// Bad usage found after the command line was parsed (a `--out` that clashes with an input, the
/// same input twice): `main` exits with 2, as for a command-line error.
#[derive(Debug)]
pub struct UsageError(String);

impl UsageError {
    /// A usage error with its message.
    pub fn new(message: impl Into<String>) -> UsageError {
        UsageError(message.into())
    }
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Output format of the listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned text for a terminal.
    Text,
    /// CSV, safe to open in a spreadsheet.
    Csv,
    /// JSON.
    Json,
}

/// Writes rows as CSV to standard output like the report CSVs: every field that is not a number
/// quoted and neutralised, so that no cell becomes a formula in a spreadsheet whose list
/// separator is `,`, `;` or a tab.
pub fn write_csv(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let stdout = std::io::stdout();
    let mut w = csv_writer_builder().from_writer(stdout.lock());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.iter().map(|c| neutralise_csv_field(c).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}

/// Writes a value as pretty JSON to standard output.
pub fn write_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}
