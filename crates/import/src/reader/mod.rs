//! The one reading loop every format goes through: header → format → plan, then each row resolved
//! through the plan into an [`InventoryRecord`] handed to a sink.
//!
//! The input is cut into chunks of whole records ([`crate::split`]) and each chunk is tokenized
//! ([`crate::tokenize`]) and resolved row by row, reusing one tokenizer and a few scratch strings.
//! [`read`] does it all on the calling thread; [`read_parallel`] parses chunks on one thread per
//! sink but the first while the calling thread reads and splits, and parses into the first sink
//! itself whenever every other thread has chunks waiting; every sink sees whole rows with exact
//! line numbers. Errors are those of the first failing row in input order, whichever thread
//! found it.

use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use crate::format::{
    Format, Plan, fold_key, is_aws_provider, is_non_resource_type, looks_like_arn,
};
use crate::split::{Chunk, SplitError, Splitter};
use crate::tokenize::{Cursor, Fields, OpenQuote, Tokenizer};
use crate::{HeaderList, ImportError, InventoryRecord, RowKind, TagKeys};

mod row;
use row::*;
pub(crate) use row::{Resolve, Resolver, RowError, RowText, Wanted, trim};

/// How to read an input.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Force a format instead of detecting it from the header.
    pub format: Option<Format>,
    /// Which tag keys carry team, environment and classification.
    pub tag_keys: TagKeys,
    /// Size limits that stop a hostile file before it exhausts memory.
    pub limits: Limits,
    /// Bytes per chunk handed to a parsing thread (0: the default, 512 KiB). Results never depend
    /// on it; tests use tiny chunks to put record boundaries everywhere.
    pub chunk_bytes: usize,
}

/// Size limits of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest field, in bytes.
    pub max_field_bytes: u64,
    /// Longest physical line, in bytes (refused before it is buffered whole).
    pub max_line_bytes: u64,
    /// Most columns in the header or a row.
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_bytes: 1 << 20,
            max_line_bytes: 16 << 20,
            max_columns: 4096,
        }
    }
}

/// What was read from one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportStats {
    /// The format read.
    pub format: Format,
    /// Data rows read (a header excluded).
    pub rows: u64,
    /// Rows one field longer or shorter than the header, read as they are.
    pub ragged_rows: u64,
    /// Header names that appear more than once (the first occurrence is used).
    pub duplicate_columns: Vec<String>,
    /// Rows with a JSON tags cell (CUR 2.0 `resource_tags` or `cost_category`, FOCUS `Tags`, AWS
    /// Config and Resource Explorer `tags`) that is not a JSON object or list: read without it.
    pub malformed_tag_rows: u64,
    /// The first line of such a row.
    pub first_malformed_tags_line: Option<u64>,
    /// The header, as read (empty for a headerless ARN list); a Parquet file's top-level
    /// column names.
    pub header: Vec<String>,
    /// What a Parquet input holds and what was read of it (`None` for CSV).
    pub parquet: Option<crate::ParquetInfo>,
}

/// Reads one input on the calling thread and hands each data row to `sink`, in input order.
pub fn read<R: Read>(
    input: &str,
    reader: R,
    opts: &ImportOptions,
    mut sink: impl FnMut(&InventoryRecord<'_>),
) -> Result<ImportStats, ImportError> {
    let mut splitter = splitter(reader, opts);
    let (ctx, first) = start(input, &mut splitter, opts)?;
    let mut worker = Worker::default();
    let mut counts = Counts::default();
    let mut resources = 0;
    let mut next = first;
    while let Some(chunk) = next {
        worker.parse(&ctx, &chunk, &mut counts, &mut resources, &mut sink)?;
        splitter.recycle(chunk.data);
        next = splitter.next_chunk().map_err(|e| ctx.split_error(e))?;
    }
    Ok(ctx.stats(counts))
}

/// Reads one input with one parsing thread per sink but the first while the calling thread reads
/// and splits it; the calling thread parses the chunks the threads have no room for into the
/// first sink, so that no core waits while another has work. Each row goes to exactly one sink;
/// rows of one chunk (about half a megabyte of whole records) go to the same sink in order, but
/// sinks see chunks in no particular order, so whatever they compute must not depend on row
/// order. With one sink this is [`read`].
///
/// The input's `resource_count` total is still checked in input order: each chunk's sum comes
/// back with its buffer, the calling thread adds the sums up chunk by chunk, and the chunk where
/// the total would overflow is read again from the total before it, to name the exact row.
pub fn read_parallel<R: Read, S: FnMut(&InventoryRecord<'_>) + Send>(
    input: &str,
    reader: R,
    opts: &ImportOptions,
    sinks: &mut [S],
) -> Result<ImportStats, ImportError> {
    let sinks_len = sinks.len();
    // The calling thread parses with the first sink whenever the parsers have all the chunks
    // they can take, and the rest have a thread each (see `ChunkParser`).
    let (own_sink, sinks) = match sinks {
        [] => return read(input, reader, opts, |_| {}),
        [sink] => return read(input, reader, opts, sink),
        [first, rest @ ..] => (first, rest),
    };
    let mut splitter = splitter(reader, opts);
    let (ctx, first) = start(input, &mut splitter, opts)?;
    let Some(first) = first else {
        return Ok(ctx.stats(Counts::default()));
    };
    let stop = AtomicBool::new(false);
    // The chunks before the header's held only blank lines and are never parsed: adding up
    // starts at the first one handed out (from 0, the window below would wait forever for them).
    let mut in_order = InOrder {
        next: first.index,
        ..InOrder::default()
    };
    // As many waiting chunks as there are sinks (two for one parsing thread): enough for the
    // parsing threads to go on while the calling thread parses one of its own, and no more
    // memory held than when every sink had a thread.
    let (to_workers, from_splitter) = mpsc::sync_channel::<Chunk>(sinks_len);
    let from_splitter = Mutex::new(from_splitter);
    let (to_splitter, spare) = mpsc::channel::<Parsed>();
    let (results, split_failure) = std::thread::scope(|scope| {
        let handles: Vec<_> = sinks
            .iter_mut()
            .map(|sink| {
                let (ctx, stop, from_splitter, to_splitter) =
                    (&ctx, &stop, &from_splitter, to_splitter.clone());
                scope.spawn(move || {
                    let mut parser = ChunkParser::default();
                    loop {
                        let chunk = match from_splitter.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok(chunk) = chunk else { break };
                        let _ = to_splitter.send(parser.parse(ctx, stop, chunk, &mut *sink));
                    }
                    parser.finish()
                })
            })
            .collect();
        drop(to_splitter);
        let mut own = ChunkParser::default();
        let mut split_failure = None;
        let mut next = Some(first);
        let window = IN_FLIGHT_PER_PARSER * sinks_len as u64;
        while let Some(chunk) = next.take() {
            // Chunks come back out of order and wait for the ones before them to be added up:
            // a bounded number of them, so that a parser that falls behind holds memory back.
            while chunk.index >= in_order.next + window && !in_order.done {
                match spare.recv() {
                    Ok(parsed) => in_order.take(parsed, &mut splitter),
                    Err(_) => break,
                }
            }
            match to_workers.try_send(chunk) {
                Ok(()) => {}
                // Every parsing thread has work waiting: this thread parses the chunk, rather
                // than wait for room (a reading thread that only waits leaves a core idle).
                Err(mpsc::TrySendError::Full(chunk)) => {
                    let parsed = own.parse(&ctx, &stop, chunk, &mut *own_sink);
                    in_order.take(parsed, &mut splitter);
                }
                Err(mpsc::TrySendError::Disconnected(_)) => break,
            }
            if stop.load(Ordering::Relaxed) {
                break;
            }
            while let Ok(parsed) = spare.try_recv() {
                in_order.take(parsed, &mut splitter);
            }
            match splitter.next_chunk() {
                Ok(n) => next = n,
                Err(e) => split_failure = Some(e),
            }
        }
        let failed_at = splitter.chunks_cut();
        drop(to_workers);
        let mut results: Vec<_> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect();
        // Every parser has stopped: what they sent back is all there, and a panic of this
        // thread's parsing is raised now that no parser waits on the splitter.
        results.push(own.finish());
        while let Ok(parsed) = spare.try_recv() {
            in_order.take(parsed, &mut splitter);
        }
        (results, split_failure.map(|e| (failed_at, e)))
    });
    let mut counts = Counts::default();
    let mut first_error: Option<(u64, ImportError)> = None;
    for (part, error) in results {
        counts.add(part);
        if let Some((index, e)) = error
            && first_error.as_ref().is_none_or(|(i, _)| index < *i)
        {
            first_error = Some((index, e));
        }
    }
    if let Some((index, e)) = split_failure
        && first_error.as_ref().is_none_or(|(i, _)| index < *i)
    {
        first_error = Some((index, ctx.split_error(e)));
    }
    if let Some((chunk, before)) = in_order.crossing {
        // The chunk where the total overflows, read again from the total before it: its first
        // problem in row order (the overflow, or a bad row before it) is the chunk's error.
        let mut total = before;
        let again = Worker::default().parse(
            &ctx,
            &chunk,
            &mut Counts::default(),
            &mut total,
            &mut |_| {},
        );
        if let Err(e) = again
            && first_error.as_ref().is_none_or(|(i, _)| chunk.index <= *i)
        {
            first_error = Some((chunk.index, e));
        }
    }
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(ctx.stats(counts)),
    }
}

fn splitter<R: Read>(reader: R, opts: &ImportOptions) -> Splitter<R> {
    let chunk = match opts.chunk_bytes {
        0 => crate::split::CHUNK_BYTES,
        n => n,
    };
    Splitter::with_chunk_bytes(
        reader,
        opts.limits.max_line_bytes,
        opts.limits.max_field_bytes,
        chunk,
    )
}

/// Chunks that may wait, per parser, to be added up in input order (see [`InOrder`]).
const IN_FLIGHT_PER_PARSER: u64 = 4;

/// A chunk back from a parser: its buffer, and the sum of the `resource_count`s of its rows.
struct Parsed {
    chunk: Chunk,
    /// The sum of the rows read (all of them when `complete`); `None` when it overflowed within
    /// the chunk.
    resources: Option<u64>,
    /// Whether every row of the chunk was read (no error, not skipped after one).
    complete: bool,
}

/// One parser's state over the chunks it is handed, on a thread of its own or on the calling
/// thread: after a failure (or a panic, raised by [`ChunkParser::finish`] once the splitter has
/// stopped), chunks are passed back unparsed, so that the splitter never waits on a full channel.
#[derive(Default)]
struct ChunkParser {
    worker: Worker,
    counts: Counts,
    /// The first failing chunk's index and its error.
    failure: Option<(u64, ImportError)>,
    panicked: Option<Box<dyn std::any::Any + Send>>,
}

impl ChunkParser {
    /// Parses `chunk` into `sink` (unless a chunk before failed); what goes back to the splitter.
    fn parse(
        &mut self,
        ctx: &Context<'_>,
        stop: &AtomicBool,
        chunk: Chunk,
        sink: &mut impl FnMut(&InventoryRecord<'_>),
    ) -> Parsed {
        let mut resources = Some(0);
        let mut complete = false;
        if self.failure.is_none() && self.panicked.is_none() {
            let mut sum = 0;
            let (worker, counts) = (&mut self.worker, &mut self.counts);
            let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| {
                worker.parse(ctx, &chunk, counts, &mut sum, &mut *sink)
            }));
            match parsed {
                Ok(Ok(())) => complete = true,
                Ok(Err(e)) => {
                    // Overflowing within the chunk, the total overflows in it or before it:
                    // where exactly is found in input order.
                    if matches!(e, ImportError::ResourceOverflow { .. }) {
                        resources = None;
                    }
                    self.failure = Some((chunk.index, e));
                }
                Err(panic) => self.panicked = Some(panic),
            }
            if self.failure.is_some() || self.panicked.is_some() {
                stop.store(true, Ordering::Relaxed);
            }
            resources = resources.map(|_| sum);
        }
        Parsed {
            chunk,
            resources,
            complete,
        }
    }

    /// The rows counted and the first failure; re-raises a panic of the parsing.
    fn finish(self) -> (Counts, Option<(u64, ImportError)>) {
        if let Some(panic) = self.panicked {
            std::panic::resume_unwind(panic);
        }
        (self.counts, self.failure)
    }
}

/// Adds up the chunks' `resource_count` sums in input order, as they come back from the parsers
/// in any order, and finds the chunk where the input's total overflows.
#[derive(Default)]
struct InOrder {
    /// The index of the next chunk to add.
    next: u64,
    /// The sum over the chunks before `next`.
    total: u64,
    /// Chunks back early, waiting for the ones before them.
    pending: std::collections::BTreeMap<u64, Parsed>,
    /// The chunk whose rows take the total past `u64::MAX`, and the total before it.
    crossing: Option<(Chunk, u64)>,
    /// Nothing more to add: an overflow was found, or a chunk was not read whole (the first
    /// error in input order is in it or before it).
    done: bool,
}

impl InOrder {
    /// Takes one chunk back and adds up every chunk now in order; buffers go back to `splitter`.
    fn take<R: Read>(&mut self, parsed: Parsed, splitter: &mut Splitter<R>) {
        if self.done {
            splitter.recycle(parsed.chunk.data);
            return;
        }
        self.pending.insert(parsed.chunk.index, parsed);
        while !self.done {
            let Some(p) = self.pending.remove(&self.next) else {
                break;
            };
            match p.resources.and_then(|n| self.total.checked_add(n)) {
                Some(total) => {
                    self.total = total;
                    self.next += 1;
                    self.done = !p.complete;
                    splitter.recycle(p.chunk.data);
                }
                None => {
                    self.crossing = Some((p.chunk, self.total));
                    self.done = true;
                }
            }
        }
        if self.done {
            for (_, p) in std::mem::take(&mut self.pending) {
                splitter.recycle(p.chunk.data);
            }
        }
    }
}

/// What every parser of one input shares: the plan resolved from the header.
struct Context<'a> {
    input: &'a str,
    format: Format,
    plan: Plan,
    width: usize,
    wanted: Wanted,
    limits: Limits,
    header: Vec<String>,
}

/// Rows counted by one parser.
#[derive(Default)]
pub(crate) struct Counts {
    pub rows: u64,
    pub ragged_rows: u64,
    pub malformed_tag_rows: u64,
    pub first_malformed_tags_line: Option<u64>,
}

impl Counts {
    /// Adds another parser's counts.
    pub(crate) fn add(&mut self, other: Counts) {
        self.rows += other.rows;
        self.ragged_rows += other.ragged_rows;
        self.malformed_tag_rows += other.malformed_tag_rows;
        self.first_malformed_tags_line = match (
            self.first_malformed_tags_line,
            other.first_malformed_tags_line,
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Reads the header from the first chunk, detects the format and resolves the plan. Returns the
/// first chunk positioned after the header (at the header for a headerless ARN list).
fn start<'a, R: Read>(
    input: &'a str,
    splitter: &mut Splitter<R>,
    opts: &ImportOptions,
) -> Result<(Context<'a>, Option<Chunk>), ImportError> {
    let limits = opts.limits;
    let split_error = |e| split_error(input, limits, e);
    let mut tokenizer = Tokenizer::default();
    let (mut chunk, cursor, header_line) = loop {
        let Some(chunk) = splitter.next_chunk().map_err(split_error)? else {
            return Err(ImportError::Empty {
                input: input.to_owned(),
            });
        };
        let mut cur = Cursor {
            pos: chunk.start,
            line: chunk.line,
        };
        if let Some(line) = tokenizer
            .next(&chunk.data, &mut cur)
            .map_err(|q| open_quote(input, q))?
        {
            break (chunk, cur, line);
        }
    };
    let fields = tokenizer.fields(&chunk.data, None);
    if let Some(first) = fields.get(0) {
        let order = match first {
            [0xFF, 0xFE, ..] => Some("little-endian"),
            [0xFE, 0xFF, ..] => Some("big-endian"),
            [_, 0, ..] => Some("little-endian, no byte-order mark"),
            [0, _, ..] => Some("big-endian, no byte-order mark"),
            _ => None,
        };
        if let Some(order) = order {
            return Err(ImportError::Utf16 {
                input: input.to_owned(),
                order,
            });
        }
    }
    if fields.len() > limits.max_columns {
        return Err(too_many_columns(input, limits, header_line));
    }
    // The header's fields are held to the field limit like every row's.
    for (i, field) in fields.iter().enumerate() {
        if field.len() as u64 > limits.max_field_bytes {
            return Err(field_too_large(input, limits, header_line, i as u64 + 1));
        }
    }
    let header = utf8_fields(input, header_line, fields)?;
    let width = fields.len();
    let format = match opts.format {
        Some(f) => f,
        None => Format::detect(&header).ok_or_else(|| ImportError::UnknownFormat {
            input: input.to_owned(),
            found: HeaderList(&header).to_string(),
        })?,
    };
    let plan = Plan::build(format, &header).map_err(|column| ImportError::MissingColumn {
        input: input.to_owned(),
        line: header_line,
        column,
        found: HeaderList(&header).to_string(),
    })?;
    let headerless = format == Format::ArnList && header.first().is_some_and(|c| looks_like_arn(c));
    if !headerless {
        chunk.start = cursor.pos;
        chunk.line = cursor.line;
    }
    let wanted = Wanted::new(&opts.tag_keys, &plan);
    let ctx = Context {
        input,
        format,
        plan,
        width,
        wanted,
        limits,
        header: if headerless { Vec::new() } else { header },
    };
    Ok((ctx, Some(chunk)))
}

impl Context<'_> {
    fn resolve(&self) -> Resolve<'_> {
        Resolve {
            format: self.format,
            plan: &self.plan,
            wanted: &self.wanted,
        }
    }

    fn stats(&self, counts: Counts) -> ImportStats {
        ImportStats {
            format: self.format,
            rows: counts.rows,
            ragged_rows: counts.ragged_rows,
            malformed_tag_rows: counts.malformed_tag_rows,
            first_malformed_tags_line: counts.first_malformed_tags_line,
            duplicate_columns: self.plan.duplicate_columns.clone(),
            header: self.header.clone(),
            parquet: None,
        }
    }

    fn split_error(&self, e: SplitError) -> ImportError {
        split_error(self.input, self.limits, e)
    }
}

/// A field over the field limit, at `line` and `column`.
fn field_too_large(input: &str, limits: Limits, line: u64, column: u64) -> ImportError {
    ImportError::TooLarge {
        input: input.to_owned(),
        line,
        column,
        what: format!("a field larger than {} bytes", limits.max_field_bytes),
    }
}

/// A header or row with more columns than the limit, at `line`.
fn too_many_columns(input: &str, limits: Limits, line: u64) -> ImportError {
    ImportError::TooLarge {
        input: input.to_owned(),
        line,
        column: limits.max_columns as u64 + 1,
        what: format!("more than {} columns", limits.max_columns),
    }
}

fn split_error(input: &str, limits: Limits, e: SplitError) -> ImportError {
    match e {
        SplitError::Io { line, error } => ImportError::Io {
            input: format!("{input}:{line}"),
            error,
        },
        SplitError::LineTooLong { line } => ImportError::TooLarge {
            input: input.to_owned(),
            line,
            column: 1,
            what: format!("a line longer than {} bytes", limits.max_line_bytes),
        },
        SplitError::FieldTooLarge { line, column } => field_too_large(input, limits, line, column),
        SplitError::RecordTooLong { line } => ImportError::TooLarge {
            input: input.to_owned(),
            line,
            column: 1,
            what: format!(
                "a record (with quoted line breaks) longer than the line limit of {} bytes",
                limits.max_line_bytes
            ),
        },
    }
}

fn open_quote(input: &str, q: OpenQuote) -> ImportError {
    ImportError::OpenQuote {
        input: input.to_owned(),
        line: q.line,
        column: q.column,
    }
}

/// One parser's reusable state: the tokenizer and per-row scratch.
#[derive(Default)]
struct Worker {
    tokenizer: Tokenizer,
    rows: Resolver,
}

impl Worker {
    /// Parses every record of a chunk and hands each row to `sink`. `resources` is the sum of
    /// the `resource_count`s read before the chunk; each row's count is added to it, and a row
    /// that would take it past `u64::MAX` is an error.
    fn parse(
        &mut self,
        ctx: &Context<'_>,
        chunk: &Chunk,
        counts: &mut Counts,
        resources: &mut u64,
        sink: &mut impl FnMut(&InventoryRecord<'_>),
    ) -> Result<(), ImportError> {
        let data = &chunk.data[..];
        let input = ctx.input;
        let limits = ctx.limits;
        let width = ctx.width;
        let plan = &ctx.plan;
        let format = ctx.format;
        // One check of the whole chunk (the header in the first chunk is text too); only when it
        // fails is each field checked, to name the one that is not.
        let text = crate::tokenize::utf8(data);
        let all_utf8 = text.is_some();
        let mut cur = Cursor {
            pos: chunk.start,
            line: chunk.line,
        };
        loop {
            let before = cur.pos;
            let Some(line) = self
                .tokenizer
                .next(data, &mut cur)
                .map_err(|q| open_quote(input, q))?
            else {
                break;
            };
            let rec = self.tokenizer.fields(data, text);
            if rec.len() != width {
                // Real exports write rows one field short (a trailing column left off) or one
                // field long with an empty last field (a trailing comma); both are read, counted
                // and reported. Anything else is an error: reading it by position would misplace
                // values.
                let short_by_one = rec.len() + 1 == width;
                let long_by_empty = rec.len() == width + 1
                    && rec
                        .get(width)
                        .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace));
                if !(short_by_one || long_by_empty) {
                    return Err(ImportError::Ragged {
                        input: input.to_owned(),
                        line,
                        column: width.min(rec.len()) as u64 + 1,
                        expected: width as u64,
                        found: rec.len() as u64,
                    });
                }
                counts.ragged_rows += 1;
            }
            if rec.len() > limits.max_columns {
                return Err(too_many_columns(input, limits, line));
            }
            // No field is longer than the bytes its record was read from (unescaping only drops
            // quotes): a record of text no longer than the field limit has no field to check.
            let read = (cur.pos - before) as u64;
            if !all_utf8 || read > limits.max_field_bytes {
                for (i, field) in rec.iter().enumerate() {
                    if field.len() as u64 > limits.max_field_bytes {
                        return Err(field_too_large(input, limits, line, i as u64 + 1));
                    }
                    if !all_utf8 && let Err(e) = std::str::from_utf8(field) {
                        return Err(ImportError::InvalidUtf8 {
                            input: input.to_owned(),
                            line,
                            column: i as u64 + 1,
                            offset: e.valid_up_to(),
                        });
                    }
                }
            }
            let row = Row {
                rec,
                null_literal: format.null_literal(),
            };
            self.rows
                .resolve(&ctx.resolve(), &row, line, counts, resources, sink)
                .map_err(|e| e.at_line(input, line, plan.resource_count))?;
        }
        Ok(())
    }
}

fn utf8_fields(input: &str, line: u64, rec: Fields<'_>) -> Result<Vec<String>, ImportError> {
    rec.iter()
        .enumerate()
        .map(|(i, f)| {
            std::str::from_utf8(f)
                .map(|s| s.trim_start_matches('\u{feff}').to_owned())
                .map_err(|e| ImportError::InvalidUtf8 {
                    input: input.to_owned(),
                    line,
                    column: i as u64 + 1,
                    offset: e.valid_up_to(),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq)]
    struct Got {
        line: u64,
        kind: String,
        lit: String,
        service: String,
        account: String,
        region: String,
        resource: String,
        team: String,
        env: String,
        class: String,
    }

    fn read_all(
        text: &[u8],
        format: Option<Format>,
    ) -> Result<(ImportStats, Vec<Got>), ImportError> {
        let mut out = Vec::new();
        let opts = ImportOptions {
            format,
            ..ImportOptions::default()
        };
        let stats = read("in.csv", text, &opts, |r| {
            out.push(Got {
                line: r.line,
                kind: format!("{:?}", r.kind),
                lit: r.line_item_type.into(),
                service: r.service.into(),
                account: r.account_id.into(),
                region: r.region.into(),
                resource: r.resource_id.into(),
                team: r.owner_team.into(),
                env: r.environment.into(),
                class: r.data_classification.into(),
            })
        })?;
        Ok((stats, out))
    }

    #[test]
    fn legacy_cur_product_code_tags_and_line_item_types() {
        let text = b"\"lineItem/LineItemType\",\"lineItem/UsageAccountId\",\"lineItem/ProductCode\",\"product/servicecode\",\"product/region\",\"lineItem/ResourceId\",\"resourceTags/user:Team\",\"resourceTags/user:Environment\"\r\n\
            Usage,111122223333,AmazonEC2,AWSDataTransfer,us-east-1,i-1,payments,prod\r\n\
            Tax,111122223333,AmazonEC2,,,,,\r\n\
            Usage,111122223333,,AmazonS3,eu-west-1,bucket,,\r\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::Cur);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (
                rows[0].service.as_str(),
                rows[0].team.as_str(),
                rows[0].env.as_str()
            ),
            ("AmazonEC2", "payments", "prod")
        );
        assert_eq!(rows[0].kind, "Resource");
        assert_eq!(rows[1].kind, "NonResource");
        assert_eq!(rows[1].lit, "Tax");
        assert_eq!(
            rows[2].service, "AmazonS3",
            "servicecode when the product code is blank"
        );
        assert_eq!(rows[2].line, 4);
    }

    #[test]
    fn cur2_resource_tags_json_map() {
        let text = b"line_item_line_item_type,line_item_usage_account_id,line_item_product_code,product_region_code,line_item_resource_id,resource_tags\n\
            Usage,111122223333,AmazonRDS,eu-west-1,db-1,\"{\"\"user_team\"\":\"\"data\"\",\"\"user_data_classification\"\":\"\"restricted\"\"}\"\n\
            Credit,111122223333,AmazonRDS,,,{}\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::Cur2);
        assert_eq!(
            (rows[0].team.as_str(), rows[0].class.as_str()),
            ("data", "restricted")
        );
        assert_eq!(rows[1].kind, "NonResource");
    }

    #[test]
    fn focus_other_providers_null_literals_and_tags() {
        let text = b"ProviderName,ServiceName,SubAccountId,RegionId,ResourceId,ChargeCategory,Tags\n\
            AWS,Amazon Simple Queue Service,111,us-west-2,arn:aws:sqs:us-west-2:111:q,Usage,\"{\"\"Team\"\":\"\"web\"\"}\"\n\
            Microsoft,Virtual Machines,sub,eastus,vm1,Usage,NULL\n\
            AWS,Amazon S3,111,NULL,NULL,Tax,NULL\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::Focus);
        assert_eq!(rows[0].team, "web");
        assert_eq!(rows[1].kind, "OtherProvider(\"Microsoft\")");
        assert_eq!(
            (rows[2].region.as_str(), rows[2].resource.as_str()),
            ("", ""),
            "NULL is empty"
        );
        assert_eq!(rows[2].kind, "NonResource");
    }

    #[test]
    fn malformed_json_tags_are_counted_with_their_first_line() {
        // CUR 2.0, FOCUS and AWS Config: a cut cell, a JSON string, a number; `{}`, `[]`, `null`
        // and an empty cell are well-formed. Rows are still read, with their service.
        let cases: [(&[u8], Format); 3] = [
            (
                b"line_item_product_code,line_item_usage_account_id,resource_tags\n\
                  AmazonS3,1,\"{\"\"user_team\"\":\"\"web\"\"}\"\n\
                  AmazonS3,1,\"{\"\"user_team\"\":\"\"we\"\n\
                  AmazonEC2,1,{}\n\
                  AmazonEC2,1,\"{\"\"user_team\"\":\"\"we\"\n\
                  AmazonEC2,1,\n",
                Format::Cur2,
            ),
            (
                b"ProviderName,ServiceName,SubAccountId,ChargeCategory,Tags\n\
                  AWS,Amazon S3,1,Usage,NULL\n\
                  AWS,Amazon S3,1,Usage,\"\"\"web\"\"\"\n\
                  AWS,Amazon S3,1,Usage,null\n\
                  AWS,Amazon S3,1,Tax,team=web\n\
                  AWS,Amazon S3,1,Usage,[]\n",
                Format::Focus,
            ),
            (
                b"resourceId,resourceType,accountId,tags\n\
                  i-1,AWS::EC2::Instance,1,[]\n\
                  i-2,AWS::EC2::Instance,1,[]\n\
                  i-3,AWS::EC2::Instance,1,42\n\
                  i-4,AWS::EC2::Instance,1,\"[{\"\"key\"\":\"\"Owner\"\",\"\"value\"\":\"\"x\"\"}]\"\n",
                Format::AwsConfig,
            ),
        ];
        let want = [(2, Some(3)), (2, Some(3)), (1, Some(4))];
        for ((text, format), (rows, first)) in cases.into_iter().zip(want) {
            let (stats, got) = read_all(text, None).unwrap();
            assert_eq!(stats.format, format);
            assert_eq!(
                (stats.malformed_tag_rows, stats.first_malformed_tags_line),
                (rows, first),
                "{format:?}"
            );
            assert!(got.iter().all(|r| !r.service.is_empty()), "{format:?}");
            // The same in parallel, with the malformed rows in other chunks than the first.
            for chunk in [1, 9, 0] {
                let opts = ImportOptions {
                    chunk_bytes: chunk,
                    ..ImportOptions::default()
                };
                let mut sinks = vec![|_: &InventoryRecord<'_>| {}; 3];
                let par = read_parallel("in.csv", text, &opts, &mut sinks).unwrap();
                assert_eq!(par, stats, "{format:?}, chunks of {chunk}");
            }
        }
        // A malformed cell the cache has seen before still counts, and its tags stay empty.
        let text = b"ProviderName,ServiceName,ChargeCategory,Tags\nAWS,Amazon S3,Usage,{oops\nAWS,Amazon S3,Usage,{oops\nAWS,Amazon S3,Usage,\"{\"\"Team\"\":\"\"web\"\"}\"\n";
        let (stats, got) = read_all(text, None).unwrap();
        assert_eq!(
            (stats.malformed_tag_rows, stats.first_malformed_tags_line),
            (2, Some(2))
        );
        assert_eq!((got[0].team.as_str(), got[2].team.as_str()), ("", "web"));
    }

    #[test]
    fn aws_config_types_and_key_value_tag_lists() {
        let text = b"resourceId,resourceType,awsRegion,accountId,tags\n\
            i-1,AWS::EC2::Instance,eu-west-1,111,\"[{\"\"key\"\":\"\"Owner\"\",\"\"value\"\":\"\"platform\"\"}]\"\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::AwsConfig);
        assert_eq!(
            (rows[0].service.as_str(), rows[0].team.as_str()),
            ("AWS::EC2::Instance", "platform")
        );
    }

    #[test]
    fn tag_editor_tag_columns() {
        let text = b"Identifier,Service,Type,Region,Tags,Tag: Team,Tag: Environment\n\
            i-1,EC2,Instance,eu-west-1,2,ml,dev\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::TagEditor);
        assert_eq!(
            (
                rows[0].service.as_str(),
                rows[0].team.as_str(),
                rows[0].env.as_str()
            ),
            ("EC2", "ml", "dev")
        );
    }

    #[test]
    fn marketplace_rows_by_billing_entity_and_hosted_third_parties() {
        let text = b"bill_billing_entity,line_item_product_code,line_item_line_item_type\nAWS Marketplace,4h7ynb1jlx0exampleprod,Usage\nAWS,AmazonS3,Usage\n";
        let (_, rows) = read_all(text, None).unwrap();
        assert_eq!(
            (rows[0].service.as_str(), rows[1].service.as_str()),
            ("AWS Marketplace", "AmazonS3")
        );
        let focus = b"ServiceProviderName,HostProviderName,ServiceName,ChargeCategory\nContoso Ltd.,AWS,Contoso Log Shipper,Usage\nMicrosoft,Microsoft,Virtual Machines,Usage\n";
        let (_, rows) = read_all(focus, None).unwrap();
        assert_eq!(rows[0].kind, "Resource", "hosted on AWS: in scope");
        assert_eq!(rows[1].kind, "OtherProvider(\"Microsoft\")");
    }

    #[test]
    fn headerless_arn_list_gives_service_account_and_region() {
        let text =
            b"arn:aws:lambda:eu-west-1:111122223333:function:f\n\narn:aws:s3:::bucket\narn:aws\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::ArnList);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (
                rows[0].line,
                rows[0].account.as_str(),
                rows[0].region.as_str()
            ),
            (1, "111122223333", "eu-west-1")
        );
        assert_eq!(
            rows[0].service,
            "arn:aws:lambda:eu-west-1:111122223333:function:f"
        );
        assert_eq!(rows[1].line, 3);
        assert_eq!(
            rows[2].service, "arn:aws",
            "partial ARN kept, counted (and left unmapped)"
        );
    }

    #[test]
    fn explicit_service_beats_arn() {
        let text = b"service,arn\nsqs,arn:aws:s3:::bucket\n";
        let (_, rows) = read_all(text, None).unwrap();
        assert_eq!(rows[0].service, "sqs");
        assert_eq!(rows[0].resource, "");
    }

    #[test]
    fn rows_one_short_or_one_empty_long_are_read_and_counted() {
        let text = b"lineItem/ProductCode,lineItem/UsageAccountId,lineItem/ResourceId\nAmazonS3,1\nAmazonS3,1,b,\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!((stats.ragged_rows, rows.len()), (2, 2));
        let (stats, rows) = read_all(b"service,region\ns3\n", None).unwrap();
        assert_eq!((stats.ragged_rows, rows[0].service.as_str()), (1, "s3"));
        let err = read_all(b"service,region\ns3,eu,x\n", None).unwrap_err();
        assert!(
            matches!(
                err,
                ImportError::Ragged {
                    line: 2,
                    column: 3,
                    ..
                }
            ),
            "a non-empty extra field: {err}"
        );
        let err = read_all(b"lineItem/ProductCode,a,b\nAmazonS3\n", None).unwrap_err();
        assert!(
            matches!(err, ImportError::Ragged { line: 2, .. }),
            "two short is an error"
        );
    }

    #[test]
    fn forced_format_and_unknown_header() {
        let err = read_all(b"foo,bar\n1,2\n", None).unwrap_err();
        assert!(err.to_string().contains("cannot tell the format"), "{err}");
        let err = read_all(b"foo,bar\n1,2\n", Some(Format::Focus)).unwrap_err();
        assert!(err.to_string().contains("no `ServiceName` column"), "{err}");
    }

    #[test]
    fn limits_stop_huge_fields_lines_and_column_counts() {
        let small = ImportOptions {
            limits: Limits {
                max_field_bytes: 8,
                max_line_bytes: 64,
                max_columns: 3,
            },
            ..ImportOptions::default()
        };
        let run = |text: &[u8]| {
            read("in.csv", text, &small, |_| {})
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            run(b"service\ns3\nabcdefghij\n"),
            "in.csv:3:1: the input has a field larger than 8 bytes; raise the limit (--max-field-bytes) if the file is genuine"
        );
        let long = [b"service\n".as_slice(), &[b'x'; 100], b"\n"].concat();
        assert!(
            run(&long).starts_with("in.csv:2:1: the input has a line longer than 64 bytes"),
            "{}",
            run(&long)
        );
        assert!(
            run(b"service,a,b,c\ns3,1,2,3\n")
                .starts_with("in.csv:1:4: the input has more than 3 columns")
        );
    }

    /// A native inventory of several megabytes (several chunks), CRLF, with quoted line breaks.
    fn big_inventory(rows: usize) -> (Vec<u8>, Vec<(u64, String)>) {
        let mut text = b"service,account_id,resource_id,notes\r\n".to_vec();
        let mut want = Vec::new();
        let mut line = 2;
        for i in 0..rows {
            if i.is_multiple_of(7) {
                text.extend(format!("s3,{i},r{i},\"multi\nline, {i}\"\r\n").bytes());
                want.push((line, i.to_string()));
                line += 2;
            } else {
                text.extend(format!("ec2,{i},r{i},plain text of row {i}\r\n").bytes());
                want.push((line, i.to_string()));
                line += 1;
            }
        }
        (text, want)
    }

    #[test]
    fn parallel_reading_sees_every_row_once_with_exact_lines() {
        let (text, want) = big_inventory(80_000);
        assert!(text.len() > 3 * crate::split::CHUNK_BYTES);
        let opts = ImportOptions::default();
        let mut seq = Vec::new();
        let seq_stats = read("in.csv", &text[..], &opts, |r| {
            seq.push((r.line, r.account_id.to_owned()))
        })
        .unwrap();
        assert_eq!(seq, want);
        let mut parts: Vec<Vec<(u64, String)>> = vec![Vec::new(); 3];
        let mut sinks: Vec<_> = parts
            .iter_mut()
            .map(|p| move |r: &InventoryRecord<'_>| p.push((r.line, r.account_id.to_owned())))
            .collect();
        let par_stats = read_parallel("in.csv", &text[..], &opts, &mut sinks).unwrap();
        drop(sinks);
        assert_eq!(par_stats, seq_stats);
        assert!(
            parts.iter().filter(|p| !p.is_empty()).count() > 1,
            "work was shared"
        );
        let mut all: Vec<_> = parts.into_iter().flatten().collect();
        all.sort();
        assert_eq!(all, want);
    }

    /// Blank lines before the header fill whole chunks that are never parsed; reading in
    /// parallel must still finish (it once waited forever for those chunks to be added up, once
    /// the window of chunks in flight was full), with the same rows and lines as reading in
    /// sequence. Found by the `import_detect` fuzz target.
    #[test]
    fn blank_chunks_before_the_header_do_not_stall_parallel_reading() {
        let mut text = vec![b'\n'; 40];
        text.extend_from_slice(b"service,region,resource_count\n");
        for i in 0..60 {
            text.extend_from_slice(format!("s3,eu-west-{i},1\n").as_bytes());
        }
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let opts = ImportOptions {
                chunk_bytes: 1,
                ..ImportOptions::default()
            };
            let mut lines = vec![Vec::new(); 3];
            let mut sinks: Vec<_> = lines
                .iter_mut()
                .map(|l| move |r: &InventoryRecord<'_>| l.push(r.line))
                .collect();
            let stats = read_parallel("in.csv", &text[..], &opts, &mut sinks).map(|s| s.rows);
            drop(sinks);
            let mut lines: Vec<u64> = lines.into_iter().flatten().collect();
            lines.sort_unstable();
            let _ = done.send((stats.ok(), lines));
        });
        let (rows, lines) = finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("parallel reading finishes");
        assert_eq!(rows, Some(60));
        assert_eq!(lines, (42..102).collect::<Vec<u64>>());
    }

    /// A parsing thread stuck on its first row fills the channel: the calling thread must
    /// parse the chunks it cannot hand out into the first sink (on old code, every sink had a
    /// thread of its own and the first sink never ran on the calling thread).
    #[test]
    fn the_calling_thread_parses_when_every_parser_has_work_waiting() {
        use std::sync::atomic::AtomicBool;
        let (text, want) = big_inventory(80_000);
        let caller = std::thread::current().id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let first_sink_ran = AtomicBool::new(false);
        let on_caller = AtomicBool::new(true);
        let mut parts: Vec<Vec<(u64, String)>> = vec![Vec::new(); 2];
        let (first_sink_ran, on_caller) = (&first_sink_ran, &on_caller);
        let mut sinks: Vec<_> = parts
            .iter_mut()
            .enumerate()
            .map(|(i, p)| {
                move |r: &InventoryRecord<'_>| {
                    if i == 0 {
                        first_sink_ran.store(true, Ordering::SeqCst);
                        if std::thread::current().id() != caller {
                            on_caller.store(false, Ordering::SeqCst);
                        }
                    } else {
                        while !first_sink_ran.load(Ordering::SeqCst)
                            && std::time::Instant::now() < deadline
                        {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                    }
                    p.push((r.line, r.account_id.to_owned()));
                }
            })
            .collect();
        let stats = read_parallel("in.csv", &text[..], &ImportOptions::default(), &mut sinks);
        drop(sinks);
        assert_eq!(stats.map(|s| s.rows).ok(), Some(want.len() as u64));
        assert!(first_sink_ran.load(Ordering::SeqCst), "the first sink ran");
        assert!(on_caller.load(Ordering::SeqCst), "on the calling thread");
        let mut all: Vec<_> = parts.into_iter().flatten().collect();
        all.sort();
        assert_eq!(all, want);
    }

    /// A panic while the calling thread parses stops the reading and is raised once the parsing
    /// thread has stopped, rather than leaving it waiting for chunks.
    #[test]
    fn a_panic_on_the_calling_thread_stops_every_parser() {
        use std::sync::atomic::AtomicBool;
        let (text, _) = big_inventory(80_000);
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            let first_sink_ran = AtomicBool::new(false);
            let first_sink_ran = &first_sink_ran;
            let mut sinks: Vec<_> = (0..2)
                .map(|i| {
                    move |_: &InventoryRecord<'_>| {
                        if i == 0 {
                            first_sink_ran.store(true, Ordering::SeqCst);
                            panic!("a row on the calling thread");
                        }
                        // The parsing thread waits, so that the calling thread gets a chunk.
                        while !first_sink_ran.load(Ordering::SeqCst)
                            && std::time::Instant::now() < deadline
                        {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                    }
                })
                .collect();
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                read_parallel("in.csv", &text[..], &ImportOptions::default(), &mut sinks)
                    .map(|s| s.rows)
                    .ok()
            }));
            let _ = done.send(outcome.map_err(|p| {
                p.downcast_ref::<&str>()
                    .map(|m| m.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            }));
        });
        let outcome = finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("parallel reading stops");
        assert_eq!(outcome, Err("a row on the calling thread".to_owned()));
    }

    #[test]
    fn parallel_reading_reports_the_first_error_in_input_order() {
        let (mut text, want) = big_inventory(80_000);
        // A bad row late in the input: its own line is named.
        let late = want[70_000].0;
        let cut = text.len() - 200;
        let tail_start = cut + text[cut..].iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
        text.truncate(tail_start);
        let line_of_tail =
            2 + text[..tail_start].iter().filter(|&&b| b == b'\n').count() as u64 - 1;
        text.extend(b"s3,1,2,3,4,5\r\n");
        assert!(late < line_of_tail);
        let opts = ImportOptions::default();
        let mut sinks = vec![|_: &InventoryRecord<'_>| {}; 2];
        let err = read_parallel("in.csv", &text[..], &opts, &mut sinks).unwrap_err();
        assert!(
            matches!(err, ImportError::Ragged { line, .. } if line == line_of_tail),
            "{err} (want line {line_of_tail})"
        );
        // And an earlier bad row wins over it, though another thread may meet the later first.
        let at = text.windows(6).position(|w| w == b"ec2,3,").unwrap_or(0);
        text[at..at + 3].copy_from_slice(b"\xff\xfe\xfd");
        let err = read_parallel("in.csv", &text[..], &opts, &mut sinks).unwrap_err();
        assert!(
            matches!(
                err,
                ImportError::InvalidUtf8 {
                    line: 6,
                    column: 1,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_bad_row_before_an_over_long_line_is_reported_first() {
        // Both are in the first block the splitter reads: errors still come in input order.
        let mut text = b"service,region\ns3,eu\ns3,eu,x\n".to_vec();
        text.extend(vec![b'x'; 100]);
        text.push(b'\n');
        let opts = ImportOptions {
            limits: Limits {
                max_line_bytes: 64,
                ..Limits::default()
            },
            ..ImportOptions::default()
        };
        let err = read("in.csv", &text[..], &opts, |_| {}).unwrap_err();
        assert!(matches!(err, ImportError::Ragged { line: 3, .. }), "{err}");
        let mut sinks = vec![|_: &InventoryRecord<'_>| {}; 2];
        let err = read_parallel("in.csv", &text[..], &opts, &mut sinks).unwrap_err();
        assert!(matches!(err, ImportError::Ragged { line: 3, .. }), "{err}");
        text.drain(15..24);
        let err = read("in.csv", &text[..], &opts, |_| {}).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("in.csv:3:1: the input has a line longer than 64 bytes"),
            "{err}"
        );
    }

    #[test]
    fn utf16_is_named() {
        let text = b"\xff\xfes\x00e\x00r\x00v\x00i\x00c\x00e\x00\n\x00";
        let err = read_all(text, None).unwrap_err();
        assert!(err.to_string().contains("UTF-16 (little-endian)"), "{err}");
        let no_bom = b"s\x00e\x00r\x00v\x00i\x00c\x00e\x00\n\x00";
        assert!(matches!(
            read_all(no_bom, None),
            Err(ImportError::Utf16 { .. })
        ));
    }

    /// The rows (line, service, resource id) a read saw, and how it ended.
    type ChunkedRead = (Vec<(u64, String, String)>, Result<ImportStats, String>);

    /// Rows, their lines and the outcome of reading `text` in chunks of about `chunk_bytes`.
    fn read_in_chunks(text: &[u8], chunk_bytes: usize) -> ChunkedRead {
        read_in_chunks_with(text, chunk_bytes, Limits::default())
    }

    /// [`read_in_chunks`] under `limits`.
    fn read_in_chunks_with(text: &[u8], chunk_bytes: usize, limits: Limits) -> ChunkedRead {
        let opts = ImportOptions {
            chunk_bytes,
            limits,
            ..ImportOptions::default()
        };
        let mut seen = Vec::new();
        let outcome = read("x.csv", text, &opts, |r| {
            seen.push((r.line, r.service.to_owned(), r.resource_id.to_owned()))
        })
        .map_err(|e| e.to_string());
        (seen, outcome)
    }

    #[test]
    fn a_crlf_after_a_lone_cr_counts_once_whatever_the_chunks() {
        // Found by the `import_detect` fuzz target: a CR, then a CRLF, analysed in two blocks
        // (the lone CR byte by byte, the LF of the CRLF by the LF-only path) counted three breaks.
        for chunk in [0, 1, 2, 3, 4, 7] {
            let (rows, outcome) = read_in_chunks(b"arn:a\r\r\nb\nc\n", chunk);
            assert!(outcome.is_ok(), "{outcome:?}");
            let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
            assert_eq!(lines, [1, 3, 4], "chunks of {chunk}");
        }
    }

    #[test]
    fn limit_errors_do_not_depend_on_the_chunk_size() {
        // Found by the import fuzz targets once they ran under tight limits: a header field over
        // the field limit went unchecked when the header arrived whole (the line limit was
        // reported further down instead), and a multi-line record over the line limit was refused
        // only when it arrived in pieces.
        let header_field = b"\"ident\r\r\r\r\r\r\rment\n\0\0\0s,ents,prod\xff\xff\xff\xffSRM-IAM-0512866,tial,\"al,\"\"al,\"";
        let long_record =
            b"\"service)d,neitemt}pets\ncolumnmn2\"pa\r\0\0\0SRIR-02\0\0\0\0\0SRM-VIRcloudhsm";
        let limits = |line, field, columns| Limits {
            max_line_bytes: line,
            max_field_bytes: field,
            max_columns: columns,
        };
        let crlf_at_the_limit = b"\r\n\t\0r~\r\n\0\"identity/LineItemId\",b\r\n";
        for (text, limits, error) in [
            (
                // Found by `import_forced`: a line exactly at the limit, its CR read in one block
                // and its LF in the next, was refused as one byte too long.
                &crlf_at_the_limit[..],
                limits(4, 64, 9),
                "x.csv:1:1: the file is UTF-16",
            ),
            (
                &header_field[..],
                limits(17, 7, 1),
                "x.csv:1:1: the input has a field larger than 7 bytes",
            ),
            (
                &long_record[..],
                limits(23, 7, 1),
                "x.csv:1:1: the input has a field larger than 7 bytes",
            ),
            (
                &b"service,resource_id_of_the_row\ns3,a\n"[..],
                limits(100, 15, 9),
                "x.csv:1:2: the input has a field larger than 15 bytes",
            ),
            (
                &long_record[..],
                limits(23, 64, 9),
                "x.csv:1:1: the input has a record (with quoted line breaks) longer than the line \
                 limit of 23 bytes",
            ),
        ] {
            for chunk in [0, 1, 2, 3, 5, 8, 13, 64] {
                let (_, outcome) = read_in_chunks_with(text, chunk, limits);
                let message = outcome.expect_err("over a limit");
                assert!(message.starts_with(error), "chunks of {chunk}: {message}");
            }
        }
    }

    #[test]
    fn a_resource_count_total_past_u64_is_an_error_at_the_row_that_overflows() {
        let text = b"service,resource_count\ns3,18446744073709551615\ns3,1\n";
        let err = read("inv.csv", &text[..], &ImportOptions::default(), |_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "inv.csv:3:2: resource_count `1` takes the input's total past 18446744073709551615 \
             resources; the counts cannot be added up (check this column)"
        );
        let at_the_limit = b"service,resource_count\ns3,18446744073709551614\ns3,1\ns3,0\n";
        assert!(
            read(
                "inv.csv",
                &at_the_limit[..],
                &ImportOptions::default(),
                |_| {}
            )
            .is_ok()
        );
    }

    /// The outcome of reading `text` in parallel over `threads` sinks, in chunks of about
    /// `chunk_bytes`, as a message.
    fn parallel_outcome(text: &[u8], chunk_bytes: usize, threads: usize) -> Result<u64, String> {
        let opts = ImportOptions {
            chunk_bytes,
            ..ImportOptions::default()
        };
        let mut sinks = vec![|_: &InventoryRecord<'_>| {}; threads];
        read_parallel("inv.csv", text, &opts, &mut sinks)
            .map(|s| s.rows)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_overflowing_row_does_not_depend_on_threads_or_chunks() {
        // Counts of 2^62: the fourth of them overflows, wherever the chunks fall and whichever
        // thread reads which; a bad row before it wins, a bad row after it does not.
        let big = 1u64 << 62;
        let mut rows: Vec<String> = (0..40).map(|i| format!("s{i},1")).collect();
        for at in [5, 12, 20, 31] {
            rows[at] = format!("s{at},{big}");
        }
        let text = |rows: &[String]| format!("service,resource_count\n{}\n", rows.join("\n"));
        let overflow = format!(
            "inv.csv:33:2: resource_count `{big}` takes the input's total past {} resources",
            u64::MAX
        );
        let mut bad_before = rows.clone();
        bad_before[25] = "s25,x".into();
        let mut bad_after = rows.clone();
        bad_after[35] = "s35,x".into();
        for (text, want) in [
            (text(&rows), overflow.as_str()),
            (text(&bad_before), "inv.csv:27:2: resource_count `x` is not"),
            (text(&bad_after), overflow.as_str()),
        ] {
            let sequential = read(
                "inv.csv",
                text.as_bytes(),
                &ImportOptions::default(),
                |_| {},
            )
            .map(|s| s.rows)
            .map_err(|e| e.to_string());
            let message = sequential.clone().unwrap_err();
            assert!(message.starts_with(want), "{message}");
            for chunk in [1, 2, 7, 16, 33, 100, 0] {
                for threads in [2, 3, 5] {
                    assert_eq!(
                        parallel_outcome(text.as_bytes(), chunk, threads),
                        sequential,
                        "chunks of {chunk}, {threads} threads"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// Chunk boundaries never change a row, its line, or the first error: every mix of LF,
        /// CRLF, lone CR, quotes and quoted line breaks, cut into chunks of 1 to 13 bytes.
        #[test]
        fn lines_and_errors_do_not_depend_on_the_chunk_size(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "s3", "ec2", ",", "a", "\r", "\n", "\r\n", "\"", "\"x\r\ny\"", "\"\"", " ",
                ]),
                0..60,
            ),
            chunk in 1usize..14,
        ) {
            let text = format!("service,resource_id\n{}", parts.concat());
            proptest::prop_assert_eq!(
                read_in_chunks(text.as_bytes(), chunk),
                read_in_chunks(text.as_bytes(), 0)
            );
        }

        /// Nor do they change which limit is reported, or where, when lines, records, fields or
        /// rows are over tight limits.
        #[test]
        fn limit_errors_are_the_same_in_any_chunks(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "s3", "ec2-instance", ",", "a", "\r", "\n", "\r\n", "\"", "\"x\r\ny\"",
                    "\"\"", " ", "\"long quoted\nfield\"",
                ]),
                0..60,
            ),
            chunk in 1usize..14,
            line in 1u64..40,
            field in 1u64..20,
            columns in 1usize..4,
        ) {
            let text = format!("service,resource_id\n{}", parts.concat());
            let limits = Limits { max_line_bytes: line, max_field_bytes: field, max_columns: columns };
            proptest::prop_assert_eq!(
                read_in_chunks_with(text.as_bytes(), chunk, limits),
                read_in_chunks_with(text.as_bytes(), 0, limits)
            );
        }
    }
}
