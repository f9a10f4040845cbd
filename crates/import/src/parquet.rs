//! Parquet billing exports: CUR 2.0 and FOCUS as AWS Data Exports deliver them, and the legacy
//! CUR of the Athena integration.
//!
//! The file's top-level column names stand for a CSV header: the format is detected from them
//! (or forced) and resolved into the same [`Plan`] as a CSV file's. Only the columns the plan
//! needs are read (a map column such as `resource_tags` or FOCUS `Tags` as its key and value
//! leaves), row group by row group, in batches of [`BATCH_ROWS`] rows, with the `parquet`
//! crate's low-level column readers: memory is bounded by a page per column read, whatever the
//! file's size. Row groups are shared between threads, one sink each; results do not depend on
//! how. Each row is then resolved by the same code as a CSV row ([`Resolver`]). Values are
//! text as in CSV: strings as they are, numbers in decimal, decimals at their scale, dates and
//! timestamps in ISO 8601 (UTC). A null is empty; the text `NULL` is not special here.
//!
//! Bad input stops with [`ImportError::Parquet`], naming the file and, where known, the row
//! group and the column.

use std::fs::File;
use std::io::{self, Read};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use parquet::basic::{
    Compression, ConvertedType, LogicalType, Repetition, TimeUnit, Type as Physical,
};
use parquet::column::reader::{ColumnReader, get_column_reader};
use parquet::data_type::{ByteArray, FixedLenByteArray, Int96};
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{ChunkReader, FileReader, Length};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::schema::types::{ColumnDescPtr, Type as SchemaType};

use crate::format::{Format, Plan, fold_key};
use crate::reader::{Counts, Resolve, Resolver, RowError, RowText, Wanted, trim};
use crate::{HeaderList, ImportError, ImportOptions, ImportStats, InventoryRecord};

/// Rows decoded at a time from each column read.
pub const BATCH_ROWS: usize = 8192;

/// The magic bytes at both ends of a Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Distinct map keys whose folding is remembered per thread.
const KEY_CACHE_ENTRIES: usize = 4096;

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

/// The bytes of a Parquet input: a file read with positioned reads (so that threads reading
/// different row groups never share a file offset), or bytes in memory.
pub struct ParquetSource {
    inner: Source,
    len: u64,
    on_read: Option<Arc<dyn Fn(u64) + Send + Sync>>,
}

enum Source {
    File(Arc<File>),
    Bytes(Bytes),
}

impl ParquetSource {
    /// A file, read where the reader asks; its length is taken now.
    pub fn file(file: File) -> io::Result<ParquetSource> {
        let len = file.metadata()?.len();
        Ok(ParquetSource {
            inner: Source::File(Arc::new(file)),
            len,
            on_read: None,
        })
    }

    /// Bytes in memory (tests, fuzzing, standard input).
    pub fn bytes(data: Vec<u8>) -> ParquetSource {
        ParquetSource {
            len: data.len() as u64,
            inner: Source::Bytes(Bytes::from(data)),
            on_read: None,
        }
    }

    /// Tells `on_read` how many bytes each read took (a progress bar).
    pub fn with_progress(mut self, on_read: Arc<dyn Fn(u64) + Send + Sync>) -> ParquetSource {
        self.on_read = Some(on_read);
        self
    }

    fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &self.inner {
            Source::File(f) => positioned_read(f, pos, buf)?,
            Source::Bytes(b) => {
                let start = usize::try_from(pos).unwrap_or(usize::MAX).min(b.len());
                let src = b.get(start..).unwrap_or_default();
                let n = src.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
                    dst.copy_from_slice(src);
                }
                n
            }
        };
        if let Some(f) = &self.on_read {
            f(n as u64);
        }
        Ok(n)
    }
}

#[cfg(unix)]
fn positioned_read(file: &File, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

#[cfg(windows)]
fn positioned_read(file: &File, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}

impl Length for ParquetSource {
    fn len(&self) -> u64 {
        self.len
    }
}

/// A sequential reader over a [`ParquetSource`] from an offset.
pub struct SourceReader {
    source: Arc<SourceRef>,
    pos: u64,
}

/// A [`ParquetSource`] shared by the readers it hands out.
struct SourceRef(ParquetSource);

impl Read for SourceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.source.0.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// The [`ChunkReader`] the `parquet` crate reads through.
struct Shared(Arc<SourceRef>);

impl Length for Shared {
    fn len(&self) -> u64 {
        self.0.0.len
    }
}

impl ChunkReader for Shared {
    type T = io::BufReader<SourceReader>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(io::BufReader::with_capacity(
            8 << 10,
            SourceReader {
                source: Arc::clone(&self.0),
                pos: start,
            },
        ))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let end = start.checked_add(length as u64);
        if end.is_none_or(|end| end > self.0.0.len) {
            return Err(ParquetError::EOF(format!(
                "{length} bytes at offset {start} are past the end of the file ({} bytes)",
                self.0.0.len
            )));
        }
        if let Source::Bytes(b) = &self.0.0.inner {
            let start = start as usize;
            if let Some(f) = &self.0.0.on_read {
                f(length as u64);
            }
            return Ok(b.slice(start..start + length));
        }
        let mut buf = vec![0; length];
        let mut done = 0;
        while done < length {
            let n = self
                .0
                .0
                .read_at(start + done as u64, buf.get_mut(done..).unwrap_or_default())?;
            if n == 0 {
                return Err(ParquetError::EOF(format!(
                    "the file ends at {} bytes, before the {length} bytes at offset {start}",
                    start + done as u64
                )));
            }
            done += n;
        }
        Ok(buf.into())
    }
}

thread_local! {
    /// Whether this thread is inside a call into the `parquet` crate (see [`upstream`]).
    static IN_UPSTREAM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread is inside a call into the `parquet` crate: a panic hook can leave
/// such a panic unprinted, since [`read_parquet`] turns it into an error naming the row group
/// and column. (The crate's decoders assert on some corrupt pages, e.g. a PLAIN byte array whose
/// length prefix is cut off, instead of returning an error.)
pub fn in_upstream_reader() -> bool {
    IN_UPSTREAM.with(std::cell::Cell::get)
}

/// Calls into the `parquet` crate, containing a panic of its own: `Err` with what to report.
fn upstream<T>(f: impl FnOnce() -> Result<T, ParquetError>) -> Result<T, String> {
    IN_UPSTREAM.with(|c| c.set(true));
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    IN_UPSTREAM.with(|c| c.set(false));
    match result {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(format!(
                "corrupt data: the Parquet decoder stopped on it ({})",
                what.lines().next().unwrap_or("")
            ))
        }
    }
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

/// How a leaf's values become text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// UTF-8 text (or bytes that must be).
    Text,
    /// A boolean.
    Bool,
    /// A signed integer.
    Int,
    /// An unsigned integer stored in INT32 / INT64.
    UInt,
    /// A decimal with this scale (INT32, INT64, BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY).
    Decimal(i32),
    /// Days since 1970-01-01.
    Date,
    /// A timestamp in this many units per second.
    Timestamp(i64),
    /// An INT96 timestamp (legacy Spark / Hive / Athena).
    Int96,
    /// A float or double.
    Float,
}

impl Kind {
    fn of(desc: &ColumnDescPtr) -> Kind {
        let physical = desc.physical_type();
        match desc.logical_type_ref() {
            Some(LogicalType::Decimal(d)) => return Kind::Decimal(d.scale),
            Some(LogicalType::Date) => return Kind::Date,
            Some(LogicalType::Timestamp(t)) => {
                return Kind::Timestamp(match t.unit {
                    TimeUnit::MILLIS => 1_000,
                    TimeUnit::MICROS => 1_000_000,
                    TimeUnit::NANOS => 1_000_000_000,
                });
            }
            Some(LogicalType::Integer(i)) if !i.is_signed => return Kind::UInt,
            _ => {}
        }
        match desc.converted_type() {
            ConvertedType::DECIMAL => return Kind::Decimal(desc.type_scale()),
            ConvertedType::DATE => return Kind::Date,
            ConvertedType::TIMESTAMP_MILLIS => return Kind::Timestamp(1_000),
            ConvertedType::TIMESTAMP_MICROS => return Kind::Timestamp(1_000_000),
            ConvertedType::UINT_8
            | ConvertedType::UINT_16
            | ConvertedType::UINT_32
            | ConvertedType::UINT_64 => return Kind::UInt,
            _ => {}
        }
        match physical {
            Physical::BOOLEAN => Kind::Bool,
            Physical::INT32 | Physical::INT64 => Kind::Int,
            Physical::INT96 => Kind::Int96,
            Physical::FLOAT | Physical::DOUBLE => Kind::Float,
            Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY => Kind::Text,
        }
    }

    /// How the type reads in `inspect`.
    fn describe(self, physical: Physical) -> String {
        match self {
            Kind::Text => "string".into(),
            Kind::Bool => "boolean".into(),
            Kind::Int | Kind::UInt => format!("{}", physical).to_lowercase(),
            Kind::Decimal(s) => format!("decimal(scale {s})"),
            Kind::Date => "date".into(),
            Kind::Timestamp(1_000) => "timestamp(ms)".into(),
            Kind::Timestamp(1_000_000) => "timestamp(us)".into(),
            Kind::Timestamp(_) => "timestamp(ns)".into(),
            Kind::Int96 => "int96 timestamp".into(),
            Kind::Float => format!("{}", physical).to_lowercase(),
        }
    }
}

/// One column of the plan as the file stores it.
#[derive(Debug, Clone)]
enum Slot {
    /// A primitive top-level column: one leaf.
    Flat { leaf: usize },
    /// A `MAP<key, value>` column: its key and value leaves, and the definition level at which
    /// an entry exists.
    Map {
        key: usize,
        value: usize,
        entry_def: i16,
    },
}

/// Which leaves are read and where each header position's text comes from.
struct Projection {
    slots: Vec<Slot>,
    /// Header position → index into `slots` (flat columns only).
    by_header: Vec<Option<usize>>,
    /// The map slot that carries tags, if any.
    tags_map: Option<usize>,
    /// Leaves read, in schema order, with their [`Kind`].
    leaves: Vec<(usize, Kind)>,
    /// For `inspect`.
    described: Vec<String>,
}

/// The header positions a plan reads (its columns and the tag columns a wanted key names).
fn needed_columns(plan: &Plan, wanted: &Wanted) -> Vec<usize> {
    let mut cols: Vec<usize> = [
        &plan.service,
        &plan.account_id,
        &plan.account_name,
        &plan.region,
        &plan.resource_id,
        &plan.resource_type,
        &plan.usage_type,
        &plan.engine,
        &plan.owner_team,
        &plan.environment,
        &plan.data_classification,
        &plan.provider,
        &plan.host_provider,
        &plan.billing_entity,
        &plan.arn,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect();
    cols.extend(
        [
            plan.resource_count,
            plan.line_item_type,
            plan.tags_kv,
            plan.tags_json,
        ]
        .into_iter()
        .flatten(),
    );
    for sources in [&wanted.team, &wanted.environment, &wanted.classification] {
        for s in sources {
            cols.extend(&s.columns);
        }
    }
    cols.sort_unstable();
    cols.dedup();
    cols
}

impl Projection {
    fn build(
        input: &str,
        meta: &ParquetMetaData,
        plan: &Plan,
        wanted: &Wanted,
        width: usize,
    ) -> Result<Projection, ImportError> {
        let schema = meta.file_metadata().schema_descr();
        let fields = schema.root_schema().get_fields();
        let mut leaves_of: Vec<Vec<usize>> = vec![Vec::new(); fields.len()];
        for leaf in 0..schema.num_columns() {
            if let Some(v) = leaves_of.get_mut(schema.get_column_root_idx(leaf)) {
                v.push(leaf);
            }
        }
        let mut p = Projection {
            slots: Vec::new(),
            by_header: vec![None; width],
            tags_map: None,
            leaves: Vec::new(),
            described: Vec::new(),
        };
        for col in needed_columns(plan, wanted) {
            let (Some(field), Some(leaves)) = (fields.get(col), leaves_of.get(col)) else {
                continue;
            };
            let name = field.name();
            let tag_column = plan.tags_json == Some(col) || plan.tags_kv == Some(col);
            if let [leaf] = leaves[..]
                && field.is_primitive()
                && field.get_basic_info().repetition() != Repetition::REPEATED
            {
                let desc = schema.column(leaf);
                let kind = Kind::of(&desc);
                p.described
                    .push(format!("{name}: {}", kind.describe(desc.physical_type())));
                p.leaves.push((leaf, kind));
                if let Some(slot) = p.by_header.get_mut(col) {
                    *slot = Some(p.slots.len());
                }
                p.slots.push(Slot::Flat { leaf });
            } else if let Some((key, value, entry_def)) = map_leaves(field, leaves, schema)
                && tag_column
                && p.tags_map.is_none()
            {
                let (kd, vd) = (schema.column(key), schema.column(value));
                let (kk, vk) = (Kind::of(&kd), Kind::of(&vd));
                p.described.push(format!(
                    "{name}: map<{}, {}>",
                    kk.describe(kd.physical_type()),
                    vk.describe(vd.physical_type())
                ));
                p.leaves.push((key, kk));
                p.leaves.push((value, vk));
                p.tags_map = Some(p.slots.len());
                p.slots.push(Slot::Map {
                    key,
                    value,
                    entry_def,
                });
            } else {
                let what = if map_leaves(field, leaves, schema).is_some() {
                    "a map where srmatrix reads text"
                } else {
                    "a nested column (a list or a struct) where srmatrix reads text or a string map"
                };
                return Err(error(
                    input,
                    None,
                    Some(name),
                    format!("the column is {what}"),
                ));
            }
        }
        p.leaves.sort_by_key(|(leaf, _)| *leaf);
        Ok(p)
    }
}

/// The key and value leaves of a `MAP` column (a group holding one repeated group of two
/// primitive fields, whatever its annotation), and the definition level of an entry.
fn map_leaves(
    field: &SchemaType,
    leaves: &[usize],
    schema: &parquet::schema::types::SchemaDescriptor,
) -> Option<(usize, usize, i16)> {
    if !field.is_group() || field.get_basic_info().repetition() == Repetition::REPEATED {
        return None;
    }
    let [entries] = field.get_fields() else {
        return None;
    };
    if !entries.is_group() || entries.get_basic_info().repetition() != Repetition::REPEATED {
        return None;
    }
    let [k, v] = entries.get_fields() else {
        return None;
    };
    if !k.is_primitive() || !v.is_primitive() {
        return None;
    }
    let &[key, value] = leaves else {
        return None;
    };
    let (kd, vd) = (schema.column(key), schema.column(value));
    if kd.max_rep_level() != 1 || vd.max_rep_level() != 1 {
        return None;
    }
    let optional =
        |t: &SchemaType| u8::from(t.get_basic_info().repetition() == Repetition::OPTIONAL);
    let entry_def = i16::from(optional(field)) + 1;
    Some((key, value, entry_def))
}

/// Decoded values of one leaf, for one batch.
enum Values {
    Bool(Vec<bool>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I96(Vec<Int96>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bytes(Vec<ByteArray>),
    Fixed(Vec<FixedLenByteArray>),
}

/// One leaf being read: its reader, and the batch's levels and values.
struct Leaf {
    reader: ColumnReader,
    desc: ColumnDescPtr,
    kind: Kind,
    def: Vec<i16>,
    rep: Vec<i16>,
    values: Values,
    /// Text of non-string values, and the byte range of each.
    arena: String,
    ranges: Vec<(usize, usize)>,
}

impl Leaf {
    /// Reads up to `max` records: returns how many.
    fn read(&mut self, max: usize) -> Result<usize, ParquetError> {
        self.def.clear();
        self.rep.clear();
        let (def, rep) = (Some(&mut self.def), Some(&mut self.rep));
        macro_rules! go {
            ($r:expr, $v:expr) => {{
                $v.clear();
                $r.read_records(max, def, rep, $v).map(|(n, _, _)| n)
            }};
        }
        match (&mut self.reader, &mut self.values) {
            (ColumnReader::BoolColumnReader(r), Values::Bool(v)) => go!(r, v),
            (ColumnReader::Int32ColumnReader(r), Values::I32(v)) => go!(r, v),
            (ColumnReader::Int64ColumnReader(r), Values::I64(v)) => go!(r, v),
            (ColumnReader::Int96ColumnReader(r), Values::I96(v)) => go!(r, v),
            (ColumnReader::FloatColumnReader(r), Values::F32(v)) => go!(r, v),
            (ColumnReader::DoubleColumnReader(r), Values::F64(v)) => go!(r, v),
            (ColumnReader::ByteArrayColumnReader(r), Values::Bytes(v)) => go!(r, v),
            (ColumnReader::FixedLenByteArrayColumnReader(r), Values::Fixed(v)) => go!(r, v),
            _ => Err(ParquetError::General(
                "column reader and value buffer of different types".into(),
            )),
        }
    }

    /// Formats non-string values into the arena (strings are borrowed as they are).
    fn format(&mut self) -> Result<(), String> {
        use std::fmt::Write as _;
        self.arena.clear();
        self.ranges.clear();
        let kind = self.kind;
        let (s, ranges) = (&mut self.arena, &mut self.ranges);
        // Each value's text is appended to the arena, and its range noted.
        macro_rules! each {
            ($values:expr, |$v:ident| $write:expr) => {
                for $v in $values {
                    let start = s.len();
                    $write;
                    ranges.push((start, s.len()));
                }
            };
        }
        match &self.values {
            Values::Bytes(v) if kind != Kind::Text => {
                each!(v, |b| decimal_bytes(s, b.data(), kind)?)
            }
            Values::Fixed(v) if kind != Kind::Text => {
                each!(v, |b| decimal_bytes(s, b.data(), kind)?)
            }
            Values::Bytes(_) | Values::Fixed(_) => {}
            Values::Bool(v) => each!(v, |b| s.push_str(if *b { "true" } else { "false" })),
            Values::I32(v) => each!(v, |n| integer(
                s,
                if kind == Kind::UInt {
                    i128::from(*n as u32)
                } else {
                    i128::from(*n)
                },
                kind
            )),
            Values::I64(v) => each!(v, |n| integer(
                s,
                if kind == Kind::UInt {
                    i128::from(*n as u64)
                } else {
                    i128::from(*n)
                },
                kind
            )),
            Values::I96(v) => each!(v, |n| timestamp(s, i128::from(n.to_nanos()), 1_000_000_000)),
            Values::F32(v) => each!(v, |n| write!(s, "{n}").map_err(|e| e.to_string())?),
            Values::F64(v) => each!(v, |n| write!(s, "{n}").map_err(|e| e.to_string())?),
        }
        Ok(())
    }

    /// The text of each non-null value of the batch, in order.
    fn texts(&self) -> Result<Vec<&str>, String> {
        match &self.values {
            Values::Bytes(v) if self.kind == Kind::Text => {
                utf8_values(v.iter().map(ByteArray::data))
            }
            Values::Fixed(v) if self.kind == Kind::Text => utf8_values(v.iter().map(|b| b.data())),
            _ => Ok(self
                .ranges
                .iter()
                .map(|&(a, b)| self.arena.get(a..b).unwrap_or(""))
                .collect()),
        }
    }
}

/// Slots of the cache of [`utf8_values`].
const UTF8_CACHE: usize = 512;

/// The values as text, each checked to be UTF-8. Dictionary-encoded values (most billing
/// columns) are slices of the same few dictionary entries: a value whose bytes are the very bytes
/// of one checked before (same address, same length, alive for the whole batch) reuses its text
/// instead of being checked again.
fn utf8_values<'v>(values: impl Iterator<Item = &'v [u8]>) -> Result<Vec<&'v str>, String> {
    let mut seen: [(usize, &str); UTF8_CACHE] = [(0, ""); UTF8_CACHE];
    let mut out = Vec::with_capacity(values.size_hint().0);
    for b in values {
        let at = b.as_ptr() as usize;
        let slot = (at >> 3 ^ at >> 13 ^ b.len()) % UTF8_CACHE;
        let text = match seen.get(slot) {
            Some(&(addr, text)) if addr == at && text.len() == b.len() => text,
            _ => {
                let text = std::str::from_utf8(b).map_err(|e| {
                    format!(
                        "a value is not UTF-8 text (byte offset {} within the value)",
                        e.valid_up_to()
                    )
                })?;
                if let Some(entry) = seen.get_mut(slot) {
                    *entry = (at, text);
                }
                text
            }
        };
        out.push(text);
    }
    Ok(out)
}

/// Writes an integer (or a date, timestamp or decimal stored as one).
fn integer(s: &mut String, n: i128, kind: Kind) {
    use std::fmt::Write as _;
    match kind {
        Kind::Decimal(scale) => decimal(s, n, scale),
        Kind::Date => date(s, n),
        Kind::Timestamp(per_second) => timestamp(s, n, per_second),
        _ => {
            let _ = write!(s, "{n}");
        }
    }
}

/// The widest decimal scale written out in full.
const MAX_SCALE: i32 = 100;

/// Writes `unscaled × 10^-scale` in plain decimal notation.
fn decimal(s: &mut String, unscaled: i128, scale: i32) {
    use std::fmt::Write as _;
    if !(-MAX_SCALE..=MAX_SCALE).contains(&scale) {
        // No real decimal has such a scale (Parquet's widest has 38 digits): a corrupt schema.
        let _ = write!(s, "{unscaled}e{}", -i64::from(scale));
        return;
    }
    if scale <= 0 {
        let _ = write!(s, "{unscaled}");
        for _ in 0..scale.unsigned_abs() {
            if unscaled != 0 {
                s.push('0');
            }
        }
        return;
    }
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale.unsigned_abs() as usize;
    if unscaled < 0 {
        s.push('-');
    }
    if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        s.push_str(int);
        s.push('.');
        s.push_str(frac);
    } else {
        s.push_str("0.");
        for _ in digits.len()..scale {
            s.push('0');
        }
        s.push_str(&digits);
    }
}

/// A decimal stored as big-endian two's complement bytes.
fn decimal_bytes(s: &mut String, b: &[u8], kind: Kind) -> Result<(), String> {
    let Kind::Decimal(scale) = kind else {
        return Err("a binary value that is neither text nor a decimal".into());
    };
    if b.len() > 16 {
        return Err(format!(
            "a decimal of {} bytes; srmatrix reads up to 16",
            b.len()
        ));
    }
    let negative = b.first().is_some_and(|&x| x & 0x80 != 0);
    let mut n: i128 = if negative { -1 } else { 0 };
    for &x in b {
        n = (n << 8) | i128::from(x);
    }
    decimal(s, n, scale);
    Ok(())
}

/// Writes days since 1970-01-01 as `YYYY-MM-DD`.
fn date(s: &mut String, days: i128) {
    use std::fmt::Write as _;
    let (y, m, d) = civil(days);
    let _ = write!(s, "{y:04}-{m:02}-{d:02}");
}

/// Writes a timestamp (`units` per second since 1970-01-01 UTC) as RFC 3339, `Z`.
fn timestamp(s: &mut String, units: i128, per_second: i64) {
    use std::fmt::Write as _;
    let per_second = i128::from(per_second.max(1));
    let secs = units.div_euclid(per_second);
    let frac = units.rem_euclid(per_second);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    date(s, days);
    let _ = write!(
        s,
        "T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if frac != 0 {
        let width = per_second.to_string().len() - 1;
        let _ = write!(s, ".{frac:0width$}");
    }
    s.push('Z');
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01).
fn civil(days: i128) -> (i128, u32, u32) {
    // Howard Hinnant's days_from_civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What every thread reading one Parquet input shares.
struct Ctx<'a> {
    input: &'a str,
    format: Format,
    plan: Plan,
    wanted: Wanted,
    /// Every folded key a wanted key asks for.
    wanted_keys: Vec<String>,
    projection: Projection,
    /// Rows before each row group.
    first_row: Vec<u64>,
}

impl Ctx<'_> {
    fn resolve(&self) -> Resolve<'_> {
        Resolve {
            format: self.format,
            plan: &self.plan,
            wanted: &self.wanted,
        }
    }
}

/// One thread's reusable state.
#[derive(Default)]
struct Worker {
    rows: Resolver,
    /// Whether the last row group stopped at a `resource_count` total overflow.
    overflowed: bool,
    /// Raw map key → index into `wanted_keys` (or none).
    keys: std::collections::HashMap<String, Option<usize>, foldhash::fast::RandomState>,
}

impl Worker {
    /// The wanted key a map key stands for: its `user_` / `user:` prefix off, then folded.
    fn wanted_key<'k>(&mut self, raw: &str, wanted: &'k [String]) -> Option<&'k str> {
        let find = |raw: &str| {
            let k = raw
                .strip_prefix("user:")
                .or_else(|| raw.strip_prefix("user_"))
                .unwrap_or(raw);
            let folded = fold_key(k);
            wanted.iter().position(|w| *w == folded)
        };
        let at = match self.keys.get(raw) {
            Some(&at) => at,
            None => {
                let at = find(raw);
                if self.keys.len() < KEY_CACHE_ENTRIES {
                    self.keys.insert(raw.to_owned(), at);
                }
                at
            }
        };
        at.and_then(|i| wanted.get(i)).map(String::as_str)
    }

    /// Reads one row group, handing each row to `sink`; returns the sum of its rows'
    /// `resource_count`s added to `resources`.
    fn row_group<C: ChunkReader + 'static>(
        &mut self,
        ctx: &Ctx<'_>,
        file: &SerializedFileReader<C>,
        g: usize,
        counts: &mut Counts,
        resources: &mut u64,
        sink: &mut impl FnMut(&InventoryRecord<'_>),
    ) -> Result<(), ImportError> {
        let input = ctx.input;
        let schema = file.metadata().file_metadata().schema_descr();
        let rg_meta = file.metadata().row_group(g);
        let path = |leaf: usize| schema.column(leaf).path().string();
        let at_leaf = |leaf: usize, e: String| error(input, Some(g), Some(&path(leaf)), e);
        let rg = upstream(|| file.get_row_group(g)).map_err(|e| error(input, Some(g), None, e))?;
        let mut leaves: Vec<(usize, Leaf)> = Vec::with_capacity(ctx.projection.leaves.len());
        for &(leaf, kind) in &ctx.projection.leaves {
            let codec = rg_meta.column(leaf).compression();
            if !matches!(
                codec,
                Compression::UNCOMPRESSED
                    | Compression::SNAPPY
                    | Compression::GZIP(_)
                    | Compression::ZSTD(_)
            ) {
                return Err(at_leaf(
                    leaf,
                    format!(
                        "compressed with {}, which srmatrix does not read (AWS writes Snappy, ZSTD or GZIP; rewrite the file with one of them)",
                        codec_name(codec)
                    ),
                ));
            }
            let pages =
                upstream(|| rg.get_column_page_reader(leaf)).map_err(|e| at_leaf(leaf, e))?;
            let desc = schema.column(leaf);
            let values = match desc.physical_type() {
                Physical::BOOLEAN => Values::Bool(Vec::new()),
                Physical::INT32 => Values::I32(Vec::new()),
                Physical::INT64 => Values::I64(Vec::new()),
                Physical::INT96 => Values::I96(Vec::new()),
                Physical::FLOAT => Values::F32(Vec::new()),
                Physical::DOUBLE => Values::F64(Vec::new()),
                Physical::BYTE_ARRAY => Values::Bytes(Vec::new()),
                Physical::FIXED_LEN_BYTE_ARRAY => Values::Fixed(Vec::new()),
            };
            leaves.push((
                leaf,
                Leaf {
                    reader: get_column_reader(desc.clone(), pages),
                    desc,
                    kind,
                    def: Vec::new(),
                    rep: Vec::new(),
                    values,
                    arena: String::new(),
                    ranges: Vec::new(),
                },
            ));
        }
        let expected = u64::try_from(rg_meta.num_rows()).unwrap_or(0);
        let first_row = ctx.first_row.get(g).copied().unwrap_or(0);
        let resolve = ctx.resolve();
        let mut done: u64 = 0;
        loop {
            let want = usize::try_from(expected - done)
                .unwrap_or(usize::MAX)
                .min(BATCH_ROWS);
            if want == 0 {
                break;
            }
            let mut n = None;
            for (leaf, l) in &mut leaves {
                let got = upstream(|| l.read(want)).map_err(|e| at_leaf(*leaf, e))?;
                match n {
                    None => n = Some(got),
                    Some(n) if n != got => {
                        return Err(at_leaf(
                            *leaf,
                            format!(
                                "the column has {} rows where the columns before it have {}",
                                done + got as u64,
                                done + n as u64
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                l.format().map_err(|e| at_leaf(*leaf, e))?;
            }
            // No column read: the row count is the footer's.
            let n = n.unwrap_or(want);
            if n == 0 {
                let leaf = leaves.first().map_or(0, |l| l.0);
                return Err(at_leaf(
                    leaf,
                    format!("the column ends after {done} of the row group's {expected} rows"),
                ));
            }
            // Text of each flat slot per row, and the map slot's wanted entries per row.
            let mut flat: Vec<Vec<&str>> = Vec::with_capacity(ctx.projection.slots.len());
            let mut entries: Vec<(&str, &str)> = Vec::new();
            let mut starts: Vec<usize> = Vec::new();
            let leaf_of = |i: usize| leaves.iter().find(|(l, _)| *l == i).map(|(_, l)| l);
            for slot in &ctx.projection.slots {
                match *slot {
                    Slot::Flat { leaf } => {
                        let Some(l) = leaf_of(leaf) else {
                            flat.push(Vec::new());
                            continue;
                        };
                        let texts = l.texts().map_err(|e| at_leaf(leaf, e))?;
                        flat.push(
                            spread(&l.def, l.desc.max_def_level(), &texts, n)
                                .map_err(|e| at_leaf(leaf, e))?,
                        );
                    }
                    Slot::Map {
                        key,
                        value,
                        entry_def,
                    } => {
                        flat.push(Vec::new());
                        let (Some(k), Some(v)) = (leaf_of(key), leaf_of(value)) else {
                            continue;
                        };
                        let kt = k.texts().map_err(|e| at_leaf(key, e))?;
                        let vt = v.texts().map_err(|e| at_leaf(value, e))?;
                        map_entries(
                            (k, &kt),
                            (v, &vt),
                            entry_def,
                            n,
                            |raw| self.wanted_key(raw, &ctx.wanted_keys),
                            &mut entries,
                            &mut starts,
                        )
                        .map_err(|e| at_leaf(key, e))?;
                    }
                }
            }
            // Each header position's text per row, resolved once for the batch.
            let by_col: Vec<Option<&[&str]>> = ctx
                .projection
                .by_header
                .iter()
                .map(|slot| slot.and_then(|i| flat.get(i)).map(Vec::as_slice))
                .collect();
            for r in 0..n {
                let tags = ctx.projection.tags_map.map(|_| {
                    let (a, b) = (
                        starts.get(r).copied().unwrap_or(0),
                        starts.get(r + 1).copied().unwrap_or(0),
                    );
                    entries.get(a..b).unwrap_or_default()
                });
                let row = ParquetRow {
                    cols: &by_col,
                    row: r,
                    tags,
                };
                let line = first_row + done + r as u64 + 1;
                if let Err(e) = self
                    .rows
                    .resolve(&resolve, &row, line, counts, resources, sink)
                {
                    self.overflowed = matches!(e, RowError::Overflow(_));
                    return Err(row_error(ctx, g, line, e));
                }
            }
            done += n as u64;
        }
        Ok(())
    }
}

/// A row error of a Parquet input, at its row.
fn row_error(ctx: &Ctx<'_>, g: usize, line: u64, e: RowError) -> ImportError {
    let column = ctx
        .plan
        .resource_count
        .and_then(|c| ctx.projection.by_header.get(c).copied().flatten())
        .map(|_| "resource_count");
    let message = match e {
        RowError::BadCount(n) => {
            format!("row {line}: resource_count `{n}` is not a whole number of resources")
        }
        RowError::Overflow(n) => format!(
            "row {line}: resource_count `{n}` takes the input's total past {} resources; the counts cannot be added up (check this column)",
            u64::MAX
        ),
    };
    error(ctx.input, Some(g), column, message)
}

/// A flat column's text per row from its definition levels and non-null values.
fn spread<'t>(
    def: &[i16],
    max_def: i16,
    texts: &[&'t str],
    n: usize,
) -> Result<Vec<&'t str>, String> {
    if max_def == 0 {
        if texts.len() != n {
            return Err(format!("{} values for {n} rows", texts.len()));
        }
        return Ok(texts.to_vec());
    }
    if def.len() != n {
        return Err(format!("{} definition levels for {n} rows", def.len()));
    }
    let mut out = Vec::with_capacity(n);
    let mut values = texts.iter();
    for &d in def {
        out.push(if d == max_def {
            values
                .next()
                .copied()
                .ok_or_else(|| format!("fewer values than the {n} rows define"))?
        } else {
            ""
        });
    }
    Ok(out)
}

/// The entries of a map column whose key a wanted key asks for, per row: `starts[r]..starts[r+1]`
/// index `entries` for row `r`.
fn map_entries<'k, 't>(
    (k, kt): (&Leaf, &[&'t str]),
    (v, vt): (&Leaf, &[&'t str]),
    entry_def: i16,
    n: usize,
    mut wanted: impl FnMut(&str) -> Option<&'k str>,
    entries: &mut Vec<(&'k str, &'t str)>,
    starts: &mut Vec<usize>,
) -> Result<(), String>
where
    't: 'k,
{
    let (kmax, vmax) = (k.desc.max_def_level(), v.desc.max_def_level());
    if k.def.len() != k.rep.len() || v.def.len() != k.def.len() || v.rep != k.rep {
        return Err("the map's key and value columns disagree on its entries".into());
    }
    const KEY_SLOTS: usize = 64;
    let mut seen: [(usize, usize, Option<&'k str>); KEY_SLOTS] = [(0, usize::MAX, None); KEY_SLOTS];
    let mut keys = kt.iter();
    let mut values = vt.iter();
    let mut rows = 0usize;
    for ((&rep, &kd), &vd) in k.rep.iter().zip(&k.def).zip(&v.def) {
        if rep == 0 {
            rows += 1;
            starts.push(entries.len());
        }
        let key = if kd == kmax {
            keys.next().copied()
        } else {
            None
        };
        let value = if vd == vmax {
            values.next().copied()
        } else {
            None
        };
        // Keys are dictionary-encoded: the same bytes again are looked up once per batch.
        let found = match key {
            Some(key) if kd >= entry_def => {
                let at = key.as_ptr() as usize;
                let slot = (at >> 3 ^ at >> 13 ^ key.len()) % KEY_SLOTS;
                match seen.get(slot) {
                    Some(&(addr, len, w)) if addr == at && len == key.len() => w,
                    _ => {
                        let w = wanted(key);
                        if let Some(entry) = seen.get_mut(slot) {
                            *entry = (at, key.len(), w);
                        }
                        w
                    }
                }
            }
            _ => None,
        };
        if let Some(w) = found {
            entries.push((w, trim(value.unwrap_or(""))));
        }
    }
    starts.push(entries.len());
    if rows != n {
        return Err(format!(
            "the map has {rows} rows where the other columns have {n}"
        ));
    }
    Ok(())
}

/// One row of a batch.
struct ParquetRow<'r> {
    /// Per header position, the batch's text of that column.
    cols: &'r [Option<&'r [&'r str]>],
    row: usize,
    tags: Option<&'r [(&'r str, &'r str)]>,
}

impl<'r> RowText<'r> for ParquetRow<'r> {
    fn at(&self, col: usize) -> &'r str {
        self.cols
            .get(col)
            .copied()
            .flatten()
            .and_then(|texts| texts.get(self.row))
            .map_or("", |v| trim(v))
    }

    fn map_tags(&self) -> Option<&'r [(&'r str, &'r str)]> {
        self.tags
    }
}

fn codec_name(c: Compression) -> &'static str {
    match c {
        Compression::UNCOMPRESSED => "UNCOMPRESSED",
        Compression::SNAPPY => "SNAPPY",
        Compression::GZIP(_) => "GZIP",
        Compression::LZO => "LZO",
        Compression::BROTLI(_) => "BROTLI",
        Compression::LZ4 => "LZ4",
        Compression::ZSTD(_) => "ZSTD",
        Compression::LZ4_RAW => "LZ4_RAW",
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
    let file = upstream(|| SerializedFileReader::new(Shared(Arc::new(SourceRef(source)))))
        .map_err(|e| {
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
    let mut wanted_keys: Vec<String> = [&wanted.team, &wanted.environment, &wanted.classification]
        .into_iter()
        .flatten()
        .map(|s| s.key.clone())
        .collect();
    wanted_keys.sort_unstable();
    wanted_keys.dedup();
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
        wanted_keys,
        projection,
        first_row,
    };
    Ok((ctx, file, info, header))
}

/// What one row group gave: its rows' `resource_count` sum, or its error (whether an overflow).
type GroupOutcome = Result<u64, (ImportError, bool)>;

/// The row groups of one input, taken in file order by the threads that read them.
struct Groups<'g, 'a> {
    ctx: &'g Ctx<'a>,
    file: &'g SerializedFileReader<Shared>,
    count: usize,
    next: AtomicUsize,
    /// The first row group that failed: later ones are not read.
    failed: AtomicUsize,
}

impl Groups<'_, '_> {
    /// Reads row groups until there are none left: the rows counted, and each group's outcome.
    fn run(
        &self,
        sink: &mut impl FnMut(&InventoryRecord<'_>),
    ) -> (Counts, Vec<(usize, GroupOutcome)>) {
        let mut worker = Worker::default();
        let mut counts = Counts::default();
        let mut outcomes = Vec::new();
        loop {
            let g = self.next.fetch_add(1, Ordering::Relaxed);
            if g >= self.count || g > self.failed.load(Ordering::Relaxed) {
                break;
            }
            let mut sum = 0;
            worker.overflowed = false;
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                worker.row_group(self.ctx, self.file, g, &mut counts, &mut sum, sink)
            }))
            .unwrap_or_else(|_| {
                Err(error(
                    self.ctx.input,
                    Some(g),
                    None,
                    "the Parquet reader failed on this row group (corrupt data)",
                ))
            });
            let outcome = match result {
                Ok(()) => Ok(sum),
                Err(e) => {
                    self.failed.fetch_min(g, Ordering::Relaxed);
                    Err((e, worker.overflowed))
                }
            };
            outcomes.push((g, outcome));
        }
        (counts, outcomes)
    }
}

/// Reads a Parquet input with one thread per sink, row groups shared between them; with one
/// sink, on the calling thread. Each row goes to exactly one sink, a row group's rows to one
/// sink in order. The error is that of the first failing row group in file order.
pub fn read_parquet<S: FnMut(&InventoryRecord<'_>) + Send>(
    input: &str,
    source: ParquetSource,
    opts: &ImportOptions,
    sinks: &mut [S],
) -> Result<ImportStats, ImportError> {
    let (ctx, file, info, header) = open(input, source, opts)?;
    let groups = Groups {
        ctx: &ctx,
        file: &file,
        count: info.row_groups,
        next: AtomicUsize::new(0),
        failed: AtomicUsize::new(usize::MAX),
    };
    let results: Vec<(Counts, Vec<(usize, GroupOutcome)>)> = match sinks {
        [] => vec![groups.run(&mut |_: &InventoryRecord<'_>| {})],
        [one] => vec![groups.run(one)],
        many => std::thread::scope(|scope| {
            let groups = &groups;
            let handles: Vec<_> = many
                .iter_mut()
                .map(|sink| scope.spawn(move || groups.run(sink)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        }),
    };
    let mut counts = Counts::default();
    let mut by_group: Vec<Option<GroupOutcome>> = (0..info.row_groups).map(|_| None).collect();
    for (c, outcomes) in results {
        counts.add(c);
        for (g, o) in outcomes {
            if let Some(slot) = by_group.get_mut(g) {
                *slot = Some(o);
            }
        }
    }
    // The resource total in file order; the row group where it overflows (or a row of it
    // overflows on its own) is read again from the total before it, to name the row.
    let mut total: u64 = 0;
    for (g, outcome) in by_group.into_iter().enumerate() {
        let crossing = match outcome {
            None => break,
            Some(Ok(sum)) => match total.checked_add(sum) {
                Some(t) => {
                    total = t;
                    continue;
                }
                None => true,
            },
            Some(Err((_, true))) => true,
            Some(Err((e, false))) => return Err(e),
        };
        if crossing {
            let mut again = total;
            let mut worker = Worker::default();
            worker.row_group(
                &ctx,
                &file,
                g,
                &mut Counts::default(),
                &mut again,
                &mut |_| {},
            )?;
            return Err(error(
                input,
                Some(g),
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

/// Reads only the footer of a Parquet input: its schema and what a read would take of it.
pub fn describe_parquet(
    input: &str,
    source: ParquetSource,
    opts: &ImportOptions,
) -> Result<(Format, ParquetInfo), ImportError> {
    let (ctx, _, info, _) = open(input, source, opts)?;
    Ok((ctx.format, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl Fn(&mut String)) -> String {
        let mut s = String::new();
        f(&mut s);
        s
    }

    #[test]
    fn typed_values_read_as_their_csv_text() {
        assert_eq!(text(|s| decimal(s, 960_000_000, 10)), "0.0960000000");
        assert_eq!(text(|s| decimal(s, -12_345, 2)), "-123.45");
        assert_eq!(text(|s| decimal(s, 7, 0)), "7");
        assert_eq!(text(|s| decimal(s, 7, -2)), "700");
        assert_eq!(text(|s| decimal(s, -5, 3)), "-0.005");
        let mut s = String::new();
        decimal_bytes(&mut s, &[0xFF, 0x85], Kind::Decimal(1)).unwrap();
        assert_eq!(s, "-12.3", "big-endian two's complement");
        assert!(decimal_bytes(&mut s, &[0; 17], Kind::Decimal(1)).is_err());
        assert!(decimal_bytes(&mut s, b"ab", Kind::Text).is_err());
        assert_eq!(text(|s| date(s, 0)), "1970-01-01");
        assert_eq!(text(|s| date(s, 20_697)), "2026-09-01");
        assert_eq!(text(|s| date(s, -1)), "1969-12-31");
        assert_eq!(text(|s| date(s, 11_016)), "2000-02-29");
        assert_eq!(
            text(|s| timestamp(s, 1_788_220_800_000_000, 1_000_000)),
            "2026-09-01T00:00:00Z"
        );
        assert_eq!(
            text(|s| timestamp(s, 1_788_224_523_250, 1_000)),
            "2026-09-01T01:02:03.250Z"
        );
        assert_eq!(
            text(|s| timestamp(s, -1, 1_000)),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(text(|s| integer(s, 42, Kind::Int)), "42");
        assert_eq!(
            text(|s| integer(s, 4_294_967_295, Kind::UInt)),
            "4294967295"
        );
    }

    #[test]
    fn extreme_values_do_not_panic() {
        for n in [i128::from(i64::MIN), i128::from(i64::MAX)] {
            for kind in [
                Kind::Date,
                Kind::Timestamp(1_000),
                Kind::Timestamp(1_000_000_000),
                Kind::Decimal(38),
                Kind::Decimal(-40),
                Kind::Decimal(i32::MIN),
                Kind::Decimal(i32::MAX),
            ] {
                assert!(!text(|s| integer(s, n, kind)).is_empty(), "{kind:?} {n}");
            }
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../tests/fixtures/formats/parquet/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Reads `bytes` on `threads` sinks: the outcome, and (line, service) of every row sorted.
    fn read_on(bytes: &[u8], threads: usize) -> (Result<ImportStats, String>, Vec<(u64, String)>) {
        let mut parts: Vec<Vec<(u64, String)>> = vec![Vec::new(); threads];
        let mut sinks: Vec<_> = parts
            .iter_mut()
            .map(|p| move |r: &InventoryRecord<'_>| p.push((r.line, r.service.to_owned())))
            .collect();
        let result = read_parquet(
            "x.parquet",
            ParquetSource::bytes(bytes.to_vec()),
            &ImportOptions::default(),
            &mut sinks,
        )
        .map_err(|e| e.to_string());
        drop(sinks);
        let mut rows: Vec<_> = parts.into_iter().flatten().collect();
        rows.sort();
        (result, rows)
    }

    #[test]
    fn rows_are_numbered_through_the_file_whatever_the_threads() {
        let bytes = fixture("native-aggregated.parquet");
        let (one, rows) = read_on(&bytes, 1);
        let one = one.unwrap();
        assert_eq!(one.format, Format::Native);
        assert_eq!(rows.len(), 16);
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, (1..=16).collect::<Vec<u64>>());
        for threads in [0, 2, 3, 5] {
            let (other, other_rows) = read_on(&bytes, threads);
            assert_eq!(other.unwrap(), one, "{threads} thread(s)");
            if threads > 0 {
                assert_eq!(other_rows, rows, "{threads} thread(s)");
            }
        }
    }

    #[test]
    fn the_overflowing_row_does_not_depend_on_the_threads() {
        let bytes = fixture("bad/resource-count-overflow.parquet");
        let want = format!(
            "x.parquet: row group 11, column `resource_count`: row 31: resource_count `{}` takes the input's total past",
            1u64 << 62
        );
        for threads in [1, 2, 3, 7] {
            let (outcome, _) = read_on(&bytes, threads);
            let err = outcome.unwrap_err();
            assert!(err.starts_with(&want), "{threads} thread(s): {err}");
        }
    }

    #[test]
    fn not_parquet_and_cut_files_are_errors() {
        let (outcome, _) = read_on(b"service\ns3\n", 1);
        assert_eq!(
            outcome.unwrap_err(),
            "x.parquet: not a Parquet file: it does not start with `PAR1`"
        );
        let bytes = fixture("cur2.snappy.parquet");
        for cut in [0, 4, 100, bytes.len() - 9, bytes.len() - 1] {
            let (outcome, _) = read_on(&bytes[..cut], 2);
            assert!(outcome.is_err(), "cut at {cut}");
        }
        // Every single-byte corruption is an error or a read, never a panic.
        let mut bad = bytes.clone();
        for at in (0..bytes.len()).step_by(97) {
            bad[at] ^= 0x5A;
            let (outcome, _) = read_on(&bad, 1);
            if let Err(e) = outcome {
                assert!(e.starts_with("x.parquet"), "{e}");
                assert!(!e.contains("the Parquet reader failed"), "{at}: {e}");
            }
            bad[at] = bytes[at];
        }
    }
}
