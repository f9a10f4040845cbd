//! Streaming readers for the CSV inventories srmatrix assesses.
//!
//! An input is cut into chunks of whole records (about 512 KiB, `split`), each chunk is tokenized
//! with reused buffers (`tokenize`), and each row goes to a sink as an [`InventoryRecord`]
//! borrowing from the chunk: nothing is held per row, so a file of any size is read in bounded
//! memory. [`read`] does it on the calling thread; [`read_parallel`] parses chunks on one thread
//! per sink, the calling thread (which reads and splits) taking the first sink's share. Columns
//! are resolved once, from the header, before the loop. Bad input stops with an [`ImportError`]
//! naming the input, line and column: the first bad row in input order, however the work was
//! shared.
//!
//! Formats ([`Format`]): the native inventory ([`native`]), legacy Cost and Usage Reports, CUR
//! with Athena names and CUR 2.0, FOCUS 1.0-1.2, AWS Config, Tag Editor and Resource Explorer
//! exports, and ARN lists. The format is detected from the header unless forced.

#[cfg(any(test, feature = "differential"))]
pub mod differential;
pub mod format;
mod mask;
pub mod native;
pub mod parquet;
mod reader;
mod split;
mod tokenize;

use std::fmt;

pub use format::Format;
pub use parquet::{
    ParquetInfo, ParquetSource, RowProgress, ThreadIdle, is_parquet, positioned_read, read_parquet,
};
pub use reader::{ImportOptions, ImportStats, Limits, read, read_parallel};
pub use srmatrix_model::{InventoryRecord, RowKind};

/// Which tag keys carry the owner team, environment and data classification.
#[derive(Debug, Clone)]
pub struct TagKeys {
    /// Keys for the owner team, first match wins.
    pub team: Vec<String>,
    /// Keys for the environment.
    pub environment: Vec<String>,
    /// Keys for the data classification.
    pub classification: Vec<String>,
}

impl Default for TagKeys {
    fn default() -> Self {
        let v = |keys: &[&str]| keys.iter().map(|k| (*k).to_owned()).collect();
        TagKeys {
            team: v(&[
                "team",
                "owner_team",
                "owner-team",
                "owner",
                "application",
                "business_unit",
            ]),
            environment: v(&["environment", "env", "stage"]),
            classification: v(&[
                "data_classification",
                "data-classification",
                "classification",
            ]),
        }
    }
}

/// Input that cannot be read. Each variant names the input and, where it applies, the 1-based
/// line and column.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input could not be read (a truncated or corrupt gzip file, a failing disk ...).
    #[error("{input}: cannot read: {error}")]
    Io {
        /// Input name (with the line being read, when known).
        input: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A quoted field is still open at the end of the input: a cut-off file.
    #[error(
        "{input}:{line}:{column}: a quoted field opened here is never closed; the file is cut off or a quote is stray"
    )]
    OpenQuote {
        /// Input name.
        input: String,
        /// Line where the quote opened.
        line: u64,
        /// Column (field number) where it opened.
        column: u64,
    },
    /// The header lacks a required column.
    #[error("{input}:{line}:1: no `{column}` column in the header (found: {found})")]
    MissingColumn {
        /// Input name.
        input: String,
        /// Line of the header.
        line: u64,
        /// The column that is required.
        column: &'static str,
        /// The header as read.
        found: String,
    },
    /// A known column appears twice in the header.
    #[error(
        "{input}:{line}:{column}: column `{name}` appears twice in the header (first at column {first})"
    )]
    DuplicateColumn {
        /// Input name.
        input: String,
        /// Line of the header.
        line: u64,
        /// Column of the second occurrence.
        column: u64,
        /// Column of the first occurrence.
        first: u64,
        /// The column name.
        name: String,
    },
    /// A row has a different number of fields than the header.
    #[error("{input}:{line}:{column}: row has {found} fields but the header has {expected}")]
    Ragged {
        /// Input name.
        input: String,
        /// Line of the row.
        line: u64,
        /// Column where the row and header part ways.
        column: u64,
        /// Fields in the header.
        expected: u64,
        /// Fields in the row.
        found: u64,
    },
    /// A field is not valid UTF-8.
    #[error(
        "{input}:{line}:{column}: field is not valid UTF-8 (byte offset {offset} within the field)"
    )]
    InvalidUtf8 {
        /// Input name.
        input: String,
        /// Line of the row.
        line: u64,
        /// Column (1-based field number).
        column: u64,
        /// Offset of the first invalid byte within the field.
        offset: usize,
    },
    /// A field has a value the column does not allow.
    #[error("{input}:{line}:{column}: {message}")]
    BadValue {
        /// Input name.
        input: String,
        /// Line of the row.
        line: u64,
        /// Column (1-based field number).
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// A row's `resource_count` takes the input's total number of resources past what a
    /// 64-bit count holds: the totals of the report could not be added up.
    #[error(
        "{input}:{line}:{column}: {}",
        reader::RowError::Overflow(*count).message()
    )]
    ResourceOverflow {
        /// Input name.
        input: String,
        /// Line of the row.
        line: u64,
        /// Column of `resource_count`.
        column: u64,
        /// The row's count.
        count: u64,
    },
    /// No format fits the header.
    #[error(
        "{input}:1:1: cannot tell the format from the header (found: {found}); name it with --input-format"
    )]
    UnknownFormat {
        /// Input name.
        input: String,
        /// The header as read.
        found: String,
    },
    /// The input is UTF-16, which srmatrix does not read.
    #[error(
        "{input}:1:1: the file is UTF-16 ({order}); save it as UTF-8 (CSV UTF-8 in Excel) and run again"
    )]
    Utf16 {
        /// Input name.
        input: String,
        /// Byte order: `little-endian` or `big-endian`.
        order: &'static str,
    },
    /// The input exceeds a size limit.
    #[error(
        "{input}:{line}:{column}: the input has {what}; raise the limit (--max-{}) if the file is genuine",
        limit_flag(what)
    )]
    TooLarge {
        /// Input name.
        input: String,
        /// Line.
        line: u64,
        /// Column.
        column: u64,
        /// What is too large.
        what: String,
    },
    /// A Parquet input that cannot be read: a cut-off or corrupt file, a codec srmatrix does not
    /// read, a schema without the service column, a value that is not text.
    #[error("{input}: {}{message}", parquet_place(*row_group, column.as_deref()))]
    Parquet {
        /// Input name.
        input: String,
        /// The row group (1-based), when the problem is in one.
        row_group: Option<usize>,
        /// The column (its path in the schema), when the problem is in one.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The input is empty: not even a header.
    #[error("{input}:1:1: the input is empty; a header line is required")]
    Empty {
        /// Input name.
        input: String,
    },
}

/// Where in a Parquet file: `row group 3, column `resource_tags.key_value.key`: `.
fn parquet_place(row_group: Option<usize>, column: Option<&str>) -> String {
    match (row_group, column) {
        (Some(g), Some(c)) => format!("row group {g}, column `{c}`: "),
        (Some(g), None) => format!("row group {g}: "),
        (None, Some(c)) => format!("column `{c}`: "),
        (None, None) => String::new(),
    }
}

/// The command-line flag that raises the limit a `TooLarge` message names.
fn limit_flag(what: &str) -> &'static str {
    if what.contains("column") {
        "columns"
    } else if what.contains("line") {
        "line-bytes"
    } else {
        "field-bytes"
    }
}

/// A header cell normalised for matching: trimmed, lower-case, spaces and dashes as underscores.
pub(crate) fn normalise_header(cell: &str) -> String {
    cell.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Shows a header for an error message.
pub(crate) struct HeaderList<'a>(pub &'a [String]);

impl fmt::Display for HeaderList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("nothing");
        }
        for (i, h) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{h}`")?;
        }
        Ok(())
    }
}
