//! Parquet billing exports: CUR 2.0 and FOCUS as AWS Data Exports deliver them, and the legacy
//! CUR of the Athena integration.
//!
//! The file's top-level column names stand for a CSV header: the format is detected from them
//! (or forced) and resolved into the same `Plan` as a CSV file's. Only the columns the plan
//! needs are read (a map column such as `resource_tags` or FOCUS `Tags` as its key and value
//! leaves), row group by row group, in batches of [`BATCH_ROWS`] rows, with the `parquet`
//! crate's low-level column readers: memory is bounded by a page per column read, whatever the
//! file's size. Row groups are shared between threads, one sink each, the last one cut into up to
//! a part per thread (and every one, when there are fewer than threads) so that no thread reads
//! the end of the file alone; results do not depend on how. Each row is then resolved by the same code as a CSV row (`Resolver`). Values are
//! text as in CSV: strings as they are, numbers in decimal, decimals at their scale, dates and
//! timestamps in ISO 8601 (UTC). A null is empty; the text `NULL` is not special here.
//!
//! Bad input stops with [`ImportError::Parquet`], naming the file and, where known, the row
//! group and the column.
//!
//! Here: the entry points and opening a file (footer, format, plan). `source`: the bytes the
//! `parquet` crate reads, and calls into it with its panics contained. `schema`: which leaves
//! are read and what each becomes. `values`: a leaf's batch decoded and written as text.
//! `read`: row groups (or parts of them) shared between threads, each read batch by batch. `rows`: a batch's
//! columns as rows.

mod hybrid;
mod pages;
mod read;
mod rows;
mod schema;
mod source;
mod text;
mod values;

use std::sync::atomic::AtomicUsize;

use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;

use crate::format::{Format, Plan};
use crate::reader::{Counts, Wanted};
use crate::{HeaderList, ImportError, ImportOptions, ImportStats, InventoryRecord};

use read::{Ctx, GroupOutcome, Groups, Worker, codec_name};
use schema::Projection;
pub use source::{ParquetSource, RowProgress, ThreadIdle, in_upstream_reader, positioned_read};
use source::{Shared, upstream};

/// Rows decoded at a time from each column read. A batch's values and texts of every column read
/// stay in the core's cache while its rows are resolved: 2,048 rows took about 5% less CPU and
/// 11 MiB less memory than 8,192 on the 1M-row CUR 2.0 bench file (1,024 was no better).
pub const BATCH_ROWS: usize = 2048;

/// The magic bytes at both ends of a Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// What a Parquet input holds and what was read of it, for `srmatrix inspect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetInfo {
    /// Row groups in the file.
    pub row_groups: usize,
    /// Rows in the file, as its footer counts them.
    pub rows: u64,
    /// Leaf columns in the file.
    pub leaf_columns: usize,
    /// The columns read, each with its Parquet type (`line_item_product_code: string`,
    /// `resource_tags: map<string, string>`), in schema order.
    pub columns_read: Vec<String>,
    /// Compression codecs of the columns read (`SNAPPY`, `ZSTD`, `GZIP`, `UNCOMPRESSED`).
    pub codecs: Vec<String>,
    /// The writer, as the footer names it (`parquet-mr version 1.12.3`).
    pub created_by: Option<String>,
}

/// Whether `head` starts like a Parquet file.
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// An [`ImportError::Parquet`].
fn error(
    input: &str,
    row_group: Option<usize>,
    column: Option<&str>,
    message: impl Into<String>,
) -> ImportError {
    ImportError::Parquet {
        input: input.to_owned(),
        row_group: row_group.map(|g| g + 1),
        column: column.map(str::to_owned),
        message: message.into(),
    }
}

/// Opens a Parquet input: its footer, format and plan.
fn open<'a>(
    input: &'a str,
    source: ParquetSource,
    opts: &ImportOptions,
) -> Result<
    (
        Ctx<'a>,
        SerializedFileReader<Shared>,
        ParquetInfo,
        Vec<String>,
    ),
    ImportError,
> {
    let mut head = [0u8; 4];
    let n = source.read_at(0, &mut head).map_err(|e| ImportError::Io {
        input: input.to_owned(),
        error: e,
    })?;
    if head.get(..n) != Some(MAGIC.as_slice()) {
        return Err(error(
            input,
            None,
            None,
            "not a Parquet file: it does not start with `PAR1`",
        ));
    }
    let progress = source.progress();
    let idle = source.idle();
    let file = upstream(|| SerializedFileReader::new(Shared::new(source))).map_err(|e| {
        error(
            input,
            None,
            None,
            format!("cannot read the footer (the file is cut off or corrupt): {e}"),
        )
    })?;
    let meta = file.metadata();
    let schema = meta.file_metadata().schema_descr();
    let header: Vec<String> = schema
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    if header.len() > opts.limits.max_columns {
        return Err(error(
            input,
            None,
            None,
            format!(
                "the schema has more than {} columns; raise the limit (--max-columns) if the file is genuine",
                opts.limits.max_columns
            ),
        ));
    }
    let format = match opts.format {
        Some(f) => f,
        None => Format::detect(&header).ok_or_else(|| {
            error(
                input,
                None,
                None,
                format!(
                    "cannot tell the format from the schema's columns (found: {}); name it with --input-format",
                    HeaderList(&header)
                ),
            )
        })?,
    };
    let plan = Plan::build(format, &header).map_err(|column| {
        error(
            input,
            None,
            Some(column),
            format!(
                "the schema has no such column, which names the service (found: {})",
                HeaderList(&header)
            ),
        )
    })?;
    let wanted = Wanted::new(&opts.tag_keys, &plan);
    let projection = Projection::build(input, meta, &plan, &wanted, header.len())?;
    let mut first_row = Vec::with_capacity(meta.num_row_groups());
    let mut rows: u64 = 0;
    for (g, rg) in meta.row_groups().iter().enumerate() {
        first_row.push(rows);
        let n = u64::try_from(rg.num_rows()).map_err(|_| {
            error(
                input,
                Some(g),
                None,
                "the footer gives a negative row count",
            )
        })?;
        rows = rows
            .checked_add(n)
            .ok_or_else(|| error(input, Some(g), None, "the footer's row counts overflow"))?;
    }
    let mut codecs: Vec<String> = Vec::new();
    for rg in meta.row_groups() {
        for &(leaf, _) in &projection.leaves {
            if let Some(c) = rg.columns().get(leaf) {
                let name = codec_name(c.compression()).to_owned();
                if !codecs.contains(&name) {
                    codecs.push(name);
                }
            }
        }
    }
    let info = ParquetInfo {
        row_groups: meta.num_row_groups(),
        rows,
        leaf_columns: schema.num_columns(),
        columns_read: projection.described.clone(),
        codecs,
        created_by: meta.file_metadata().created_by().map(str::to_owned),
    };
    let ctx = Ctx {
        input,
        format,
        plan,
        wanted,
        projection,
        first_row,
        progress,
        idle,
        rows,
    };
    Ok((ctx, file, info, header))
}

/// Reads a Parquet input with one thread per sink (the calling thread the first sink's), row
/// groups shared between them (the last one cut into up to a part per sink). Each row goes to
/// exactly one sink, a row group's (or part's) rows to one sink in order. The error is that of
/// the first failing row group (or part) in file order.
pub fn read_parquet<S: FnMut(&InventoryRecord<'_>) + Send>(
    input: &str,
    source: ParquetSource,
    opts: &ImportOptions,
    sinks: &mut [S],
) -> Result<ImportStats, ImportError> {
    let (ctx, file, info, header) = open(input, source, opts)?;
    let units = read::units(&ctx, sinks.len());
    let groups = Groups {
        ctx: &ctx,
        file: &file,
        units: &units,
        next: AtomicUsize::new(0),
        failed: AtomicUsize::new(usize::MAX),
    };
    let results: Vec<(Counts, Vec<(usize, GroupOutcome)>)> = match sinks {
        [] => vec![groups.run(&mut |_: &InventoryRecord<'_>| {})],
        // The first sink's share on this thread, which would only wait (one sink: no thread).
        [first, rest @ ..] => std::thread::scope(|scope| {
            let groups = &groups;
            let handles: Vec<_> = rest
                .iter_mut()
                .map(|sink| scope.spawn(move || groups.run(sink)))
                .collect();
            let mut results = vec![groups.run(first)];
            results.extend(
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
            );
            results
        }),
    };
    let mut counts = Counts::default();
    let mut by_unit: Vec<Option<GroupOutcome>> = units.iter().map(|_| None).collect();
    for (c, outcomes) in results {
        counts.add(c);
        for (u, o) in outcomes {
            if let Some(slot) = by_unit.get_mut(u) {
                *slot = Some(o);
            }
        }
    }
    // The resource total in file order; the unit where it overflows (or a row of it overflows
    // on its own) is read again from the total before it, to name the row.
    let mut total: u64 = 0;
    for (&unit, outcome) in units.iter().zip(by_unit) {
        let crossing = match outcome {
            None => break,
            Some(Ok(sum)) => match total.checked_add(sum) {
                Some(t) => {
                    total = t;
                    continue;
                }
                None => true,
            },
            Some(Err((_, true, _))) => true,
            // A row before the error may already take the total past the maximum: that row is
            // the first error in file order.
            Some(Err((e, false, before))) => {
                if total.checked_add(before).is_some() {
                    return Err(e);
                }
                true
            }
        };
        if crossing {
            let mut again = total;
            let mut worker = Worker::default();
            worker.row_group(
                &ctx,
                &file,
                unit,
                &mut Counts::default(),
                &mut again,
                &mut |_| {},
            )?;
            return Err(error(
                input,
                Some(unit.group),
                None,
                "the resource total overflows in this row group",
            ));
        }
    }
    Ok(ImportStats {
        format: ctx.format,
        rows: counts.rows,
        ragged_rows: 0,
        duplicate_columns: ctx.plan.duplicate_columns.clone(),
        malformed_tag_rows: counts.malformed_tag_rows,
        first_malformed_tags_line: counts.first_malformed_tags_line,
        header,
        parquet: Some(info),
    })
}
