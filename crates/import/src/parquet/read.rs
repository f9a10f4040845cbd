//! Reading row groups: one [`Worker`] per thread takes [`Unit`]s (row groups, the last one cut
//! into parts) in file order from [`Groups`], decodes each in batches and resolves its rows.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};

use parquet::basic::{Compression, Type as Physical};
use parquet::file::reader::{ChunkReader, FileReader};
use parquet::file::serialized_reader::SerializedFileReader;

use super::pages::CheckedPages;
use super::rows::{MapBatch, ParquetRow, map_entries};
use super::schema::{Kind, Projection, Slot};
use super::source::{RowProgress, Shared, ThreadIdle, upstream};
use super::text::{self, TextColumn};
use super::values::{Leaf, Reader};
use super::{BATCH_ROWS, error};
use crate::format::{Format, Plan, fold_key};
use crate::reader::{Counts, Resolve, Resolver, RowError, Wanted};
use crate::{ImportError, InventoryRecord};

/// Distinct map keys whose folding is remembered per thread.
const KEY_CACHE_ENTRIES: usize = 4096;

/// What every thread reading one Parquet input shares.
pub(super) struct Ctx<'a> {
    pub(super) input: &'a str,
    pub(super) format: Format,
    pub(super) plan: Plan,
    pub(super) wanted: Wanted,
    pub(super) projection: Projection,
    /// Rows before each row group.
    pub(super) first_row: Vec<u64>,
    /// Told of each batch of rows read.
    pub(super) progress: Option<RowProgress>,
    /// Told when a thread has no rows left to read.
    pub(super) idle: Option<ThreadIdle>,
    /// The file's rows, as its footer says.
    pub(super) rows: u64,
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
pub(super) struct Worker {
    pub(super) rows: Resolver,
    /// Whether the last row group stopped at a `resource_count` total overflow.
    pub(super) overflowed: bool,
    /// Raw map key → its number in [`Wanted::keys`] (or none).
    pub(super) keys: std::collections::HashMap<String, Option<usize>, foldhash::fast::RandomState>,
}

impl Worker {
    /// The number of the wanted key a map key stands for: its `user_` / `user:` prefix off,
    /// then folded.
    fn wanted_key(&mut self, raw: &str, wanted: &[String]) -> Option<usize> {
        let find = |raw: &str| {
            let k = raw
                .strip_prefix("user:")
                .or_else(|| raw.strip_prefix("user_"))
                .unwrap_or(raw);
            let folded = fold_key(k);
            wanted.iter().position(|w| *w == folded)
        };
        match self.keys.get(raw) {
            Some(&at) => at,
            None => {
                let at = find(raw);
                if self.keys.len() < KEY_CACHE_ENTRIES {
                    self.keys.insert(raw.to_owned(), at);
                }
                at
            }
        }
    }

    /// Reads the rows of one unit, handing each row to `sink`; returns the sum of its rows'
    /// `resource_count`s added to `resources`.
    pub(super) fn row_group<C: ChunkReader + 'static>(
        &mut self,
        ctx: &Ctx<'_>,
        file: &SerializedFileReader<C>,
        unit: Unit,
        counts: &mut Counts,
        resources: &mut u64,
        sink: &mut impl FnMut(&InventoryRecord<'_>),
    ) -> Result<(), ImportError> {
        let g = unit.group;
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
            let pages = Box::new(CheckedPages::new(pages, &desc));
            let own = desc.physical_type() == Physical::BYTE_ARRAY
                && kind == Kind::Text
                && text::readable(rg_meta.column(leaf).encodings());
            let reader = if own {
                let (def, rep) = (desc.max_def_level(), desc.max_rep_level());
                Reader::Text(Box::new(TextColumn::new(pages, def, rep)))
            } else {
                Reader::of_crate(&desc, pages)
            };
            leaves.push((leaf, Leaf::new(reader, desc, kind)));
        }
        let group_rows = u64::try_from(rg_meta.num_rows()).unwrap_or(0);
        // Rows before the unit in its group are skipped, and rows are counted from its start.
        if unit.start > 0 {
            let skip = usize::try_from(unit.start).unwrap_or(usize::MAX);
            for (leaf, l) in &mut leaves {
                let skipped = upstream(|| l.skip(skip)).map_err(|e| at_leaf(*leaf, e))?;
                if skipped != skip {
                    return Err(at_leaf(
                        *leaf,
                        format!(
                            "the column ends after {skipped} of the row group's {group_rows} rows"
                        ),
                    ));
                }
            }
        }
        let expected = unit.end.min(group_rows).saturating_sub(unit.start);
        let first_row = ctx.first_row.get(g).copied().unwrap_or(0) + unit.start;
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
                                unit.start + done + got as u64,
                                unit.start + done + n as u64
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
                    format!(
                        "the column ends after {} of the row group's {group_rows} rows",
                        unit.start + done
                    ),
                ));
            }
            // Text of each flat slot per row, and each map slot's wanted entries per row.
            let mut flat: Vec<Vec<&str>> = Vec::with_capacity(ctx.projection.slots.len());
            let mut maps: Vec<MapBatch<'_>> = Vec::new();
            let leaf_of = |i: usize| leaves.iter().find(|(l, _)| *l == i).map(|(_, l)| l);
            for slot in &ctx.projection.slots {
                match *slot {
                    Slot::Flat { leaf } => {
                        let Some(l) = leaf_of(leaf) else {
                            flat.push(Vec::new());
                            continue;
                        };
                        flat.push(l.rows(n).map_err(|e| at_leaf(leaf, e))?);
                    }
                    Slot::Map {
                        col,
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
                        let mut map = MapBatch {
                            col,
                            entries: Vec::new(),
                            starts: Vec::new(),
                        };
                        map_entries(
                            (k, &kt),
                            (v, &vt),
                            entry_def,
                            n,
                            |raw| self.wanted_key(raw, &ctx.wanted.keys),
                            &mut map.entries,
                            &mut map.starts,
                        )
                        .map_err(|e| at_leaf(key, e))?;
                        maps.push(map);
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
                let row = ParquetRow {
                    cols: &by_col,
                    row: r,
                    maps: &maps,
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
            if let Some(progress) = &ctx.progress {
                progress(n as u64, ctx.rows);
            }
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
    error(
        ctx.input,
        Some(g),
        column,
        format!("row {line}: {}", e.message()),
    )
}

pub(super) fn codec_name(c: Compression) -> &'static str {
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

/// What one unit gave: its rows' `resource_count` sum, or its error, whether it is an overflow,
/// and the sum of the unit's rows before it (which may take the input's total past the maximum
/// at an earlier row).
pub(super) type GroupOutcome = Result<u64, (ImportError, bool, u64)>;

/// Rows of one row group that one thread reads: the group's rows `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Unit {
    pub(super) group: usize,
    pub(super) start: u64,
    pub(super) end: u64,
}

/// The units of a file read on `threads` threads, in file order: every row group whole, but the
/// last one cut into up to `threads` parts, and, when there are fewer groups than threads, every
/// group into as many as give each thread one; parts have at least [`BATCH_ROWS`] rows. Threads
/// take units as they finish the one before, so with whole groups one thread would read the
/// last group alone while the others wait (a file of one row group on one thread). Each part
/// reads its group's pages up to its own rows again (skipping whole pages where their headers
/// allow), so groups are cut no more than that.
pub(super) fn units(ctx: &Ctx<'_>, threads: usize) -> Vec<Unit> {
    let groups = ctx.first_row.len();
    let mut units = Vec::with_capacity(groups + threads);
    for (g, &first) in ctx.first_row.iter().enumerate() {
        let next = ctx.first_row.get(g + 1).copied().unwrap_or(ctx.rows);
        let rows = next.saturating_sub(first);
        let batches = usize::try_from(rows / BATCH_ROWS as u64).unwrap_or(usize::MAX);
        let parts = if g + 1 == groups {
            threads
        } else if groups < threads {
            threads.div_ceil(groups)
        } else {
            1
        };
        let parts = parts.min(batches).max(1);
        // Parts start on a batch of the whole group, so that each reads the batches reading
        // the group whole would (an error in one is the same error, at the same row).
        let batch = BATCH_ROWS as u64;
        let cut = |p: usize| match p {
            0 => 0,
            p if p == parts => rows,
            // In u128: a footer may claim any row count.
            p => {
                let even = u128::from(rows) * p as u128 / parts as u128;
                let near = (even + u128::from(batch / 2)) / u128::from(batch) * u128::from(batch);
                u64::try_from(near).unwrap_or(rows).min(rows)
            }
        };
        units.extend((0..parts).map(|p| Unit {
            group: g,
            start: cut(p),
            end: cut(p + 1),
        }));
    }
    units
}

/// The units of one input, taken in file order by the threads that read them.
pub(super) struct Groups<'g, 'a> {
    pub(super) ctx: &'g Ctx<'a>,
    pub(super) file: &'g SerializedFileReader<Shared>,
    pub(super) units: &'g [Unit],
    pub(super) next: AtomicUsize,
    /// The first unit that failed: later ones are not read.
    pub(super) failed: AtomicUsize,
}

impl Groups<'_, '_> {
    /// Reads units until there are none left: the rows counted, and each unit's outcome by its
    /// index.
    pub(super) fn run(
        &self,
        sink: &mut impl FnMut(&InventoryRecord<'_>),
    ) -> (Counts, Vec<(usize, GroupOutcome)>) {
        let mut worker = Worker::default();
        let mut counts = Counts::default();
        let mut outcomes = Vec::new();
        loop {
            let u = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&unit) = self.units.get(u) else {
                break;
            };
            if u > self.failed.load(Ordering::Relaxed) {
                break;
            }
            let mut sum = 0;
            worker.overflowed = false;
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                worker.row_group(self.ctx, self.file, unit, &mut counts, &mut sum, sink)
            }))
            .unwrap_or_else(|_| {
                Err(error(
                    self.ctx.input,
                    Some(unit.group),
                    None,
                    "the Parquet reader failed on this row group (corrupt data)",
                ))
            });
            let outcome = match result {
                Ok(()) => Ok(sum),
                Err(e) => {
                    self.failed.fetch_min(u, Ordering::Relaxed);
                    Err((e, worker.overflowed, sum))
                }
            };
            outcomes.push((u, outcome));
        }
        if let Some(idle) = &self.ctx.idle {
            idle();
        }
        (counts, outcomes)
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::{Unit, units};

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../tests/fixtures/formats/parquet/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Reads `bytes` on `threads` sinks: the outcome, and what `seen` takes of every row, sorted.
    fn read_rows<T: Ord + Clone + Send>(
        bytes: &[u8],
        threads: usize,
        seen: impl Fn(&InventoryRecord<'_>) -> T + Sync,
    ) -> (Result<ImportStats, String>, Vec<T>) {
        let seen = &seen;
        let mut parts: Vec<Vec<T>> = vec![Vec::new(); threads];
        let mut sinks: Vec<_> = parts
            .iter_mut()
            .map(|p| move |r: &InventoryRecord<'_>| p.push(seen(r)))
            .collect();
        let result = read_parquet(
            "x.parquet",
            ParquetSource::bytes(bytes.to_vec()),
            &ImportOptions::default(),
            &mut sinks,
        )
        .map_err(|e| e.to_string());
        drop(sinks);
        let mut rows: Vec<T> = parts.into_iter().flatten().collect();
        rows.sort();
        (result, rows)
    }

    /// Reads `bytes` on `threads` sinks: the outcome, and (line, service) of every row sorted.
    fn read_on(bytes: &[u8], threads: usize) -> (Result<ImportStats, String>, Vec<(u64, String)>) {
        read_rows(bytes, threads, |r| (r.line, r.service.to_owned()))
    }

    /// The error of `file` on 1, 2, 3 and 7 threads: the resource total passing 2^64 at `row`
    /// (a count of 2^62), in row group `group`.
    fn assert_overflow_at(file: &str, group: usize, row: u64) {
        let bytes = fixture(file);
        let want = format!(
            "x.parquet: row group {group}, column `resource_count`: row {row}: resource_count `{}` takes the input's total past",
            1u64 << 62
        );
        for threads in [1, 2, 3, 7] {
            let (outcome, _) = read_on(&bytes, threads);
            let err = outcome.unwrap_err();
            assert!(err.starts_with(&want), "{threads} thread(s): {err}");
        }
    }

    #[test]
    fn rows_are_numbered_through_the_file_whatever_the_threads() {
        // 32 rows in 4 row groups: rows of one file spread over several sinks.
        let bytes = fixture("cur2.snappy.parquet");
        let (one, rows) = read_on(&bytes, 1);
        let one = one.unwrap();
        assert_eq!(one.format, Format::Cur2);
        assert_eq!(rows.len(), 32);
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, (1..=32).collect::<Vec<u64>>());
        for threads in [0, 2, 3, 5] {
            let (other, other_rows) = read_on(&bytes, threads);
            assert_eq!(other.unwrap(), one, "{threads} thread(s)");
            if threads > 0 {
                assert_eq!(other_rows, rows, "{threads} thread(s)");
            }
        }
    }

    #[test]
    fn the_first_sink_reads_on_the_calling_thread() {
        let bytes = fixture("focus.zstd.parquet");
        let caller = std::thread::current().id();
        let mut seen: Vec<Vec<std::thread::ThreadId>> = vec![Vec::new(); 3];
        let mut sinks: Vec<_> = seen
            .iter_mut()
            .map(|s| move |_: &InventoryRecord<'_>| s.push(std::thread::current().id()))
            .collect();
        let source = ParquetSource::bytes(bytes);
        let stats =
            read_parquet("x.parquet", source, &ImportOptions::default(), &mut sinks).unwrap();
        drop(sinks);
        assert_eq!(seen.iter().map(Vec::len).sum::<usize>() as u64, stats.rows);
        assert!(!seen[0].is_empty() && seen[0].iter().all(|&t| t == caller));
        assert!(seen[1..].iter().flatten().all(|&t| t != caller));
    }

    #[test]
    fn progress_hears_every_row_and_the_footers_total() {
        // 1,000 rows in 8 row groups: batches from several threads.
        let bytes = fixture("focus.zstd.parquet");
        for threads in [1, 3] {
            let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let to = std::sync::Arc::clone(&heard);
            let source = ParquetSource::bytes(bytes.clone()).with_progress(std::sync::Arc::new(
                move |n, total| to.lock().unwrap().push((n, total)),
            ));
            let mut sinks: Vec<_> = (0..threads).map(|_| |_: &InventoryRecord<'_>| {}).collect();
            let stats =
                read_parquet("x.parquet", source, &ImportOptions::default(), &mut sinks).unwrap();
            let heard = heard.lock().unwrap();
            let batches = stats.parquet.as_ref().unwrap().row_groups;
            assert_eq!(
                heard.len(),
                batches,
                "{threads} thread(s): one call per batch"
            );
            assert_eq!(heard.iter().map(|h| h.0).sum::<u64>(), stats.rows);
            assert!(heard.iter().all(|h| h.1 == 1000 && h.0 > 0), "{heard:?}");
        }
    }

    #[test]
    fn each_reading_thread_says_once_that_it_has_no_rows_left() {
        let bytes = fixture("cur2-parts.snappy.parquet");
        for threads in [1, 2, 5] {
            let heard = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let to = std::sync::Arc::clone(&heard);
            let rows = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let rows_then = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let (r, then) = (
                std::sync::Arc::clone(&rows),
                std::sync::Arc::clone(&rows_then),
            );
            let source = ParquetSource::bytes(bytes.clone())
                .with_progress(std::sync::Arc::new(move |n, _| {
                    r.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
                }))
                .with_idle(std::sync::Arc::new(move || {
                    to.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    then.lock()
                        .unwrap()
                        .push(rows.load(std::sync::atomic::Ordering::SeqCst));
                }));
            let mut sinks: Vec<_> = (0..threads).map(|_| |_: &InventoryRecord<'_>| {}).collect();
            let stats =
                read_parquet("x.parquet", source, &ImportOptions::default(), &mut sinks).unwrap();
            assert_eq!(heard.load(std::sync::atomic::Ordering::SeqCst), threads);
            // The last thread to go idle has seen every row read.
            let then = rows_then.lock().unwrap();
            assert_eq!(then.iter().max().copied(), Some(stats.rows), "{threads}");
        }
    }

    #[test]
    fn the_last_row_group_is_cut_into_a_part_per_thread() {
        let bytes = fixture("cur2-parts.snappy.parquet");
        let (ctx, ..) = open(
            "x.parquet",
            ParquetSource::bytes(bytes),
            &ImportOptions::default(),
        )
        .map_err(|e| e.to_string())
        .unwrap();
        let unit = |group, start, end| Unit { group, start, end };
        assert_eq!(units(&ctx, 1), [unit(0, 0, 1000), unit(1, 0, 6360)]);
        // The last group in parts that start on the batch of 2,048 rows nearest an even cut.
        assert_eq!(
            units(&ctx, 3),
            [
                unit(0, 0, 1000),
                unit(1, 0, 2048),
                unit(1, 2048, 4096),
                unit(1, 4096, 6360)
            ]
        );
        assert_eq!(
            units(&ctx, 2),
            [unit(0, 0, 1000), unit(1, 0, 4096), unit(1, 4096, 6360)]
        );
        // Parts of at least a batch: 6,360 rows make three.
        assert_eq!(units(&ctx, 8).len(), 1 + 3);
        // Fewer groups than threads: every group cut, so that each thread has a part.
        let two = Ctx {
            first_row: vec![0, 10_000],
            rows: 20_000,
            ..ctx
        };
        let cuts = |c: &Ctx<'_>, threads| -> Vec<(usize, u64)> {
            units(c, threads)
                .iter()
                .map(|u| (u.group, u.start))
                .collect()
        };
        assert_eq!(
            cuts(&two, 4),
            [(0, 0), (0, 4096), (1, 0), (1, 2048), (1, 4096), (1, 8192)]
        );
        assert_eq!(cuts(&two, 2), [(0, 0), (1, 0), (1, 4096)]);
        // A footer may claim any row count: the parts still follow each other to its end.
        let huge = Ctx {
            first_row: vec![0, 1000],
            rows: i64::MAX as u64,
            ..two
        };
        let parts = units(&huge, 8);
        assert_eq!(parts.len(), 1 + 8);
        for pair in parts[1..].windows(2) {
            assert!(
                pair[0].start < pair[0].end && pair[0].end == pair[1].start,
                "{pair:?}"
            );
        }
        assert_eq!(parts[8].end, i64::MAX as u64 - 1000);
        // A row group smaller than two batches is not cut.
        let (small, ..) = open(
            "x.parquet",
            ParquetSource::bytes(fixture("cur2.snappy.parquet")),
            &ImportOptions::default(),
        )
        .map_err(|e| e.to_string())
        .unwrap();
        assert_eq!(units(&small, 4).len(), small.first_row.len());
    }

    #[test]
    fn parts_of_a_row_group_give_the_rows_one_thread_reads() {
        // 7,360 rows, the last 6,360 in one row group of pages of about 1 KiB, maps included.
        let bytes = fixture("cur2-parts.snappy.parquet");
        let read = |threads: usize| {
            let (stats, rows) = read_rows(&bytes, threads, |r| {
                (
                    r.line,
                    r.service.to_owned(),
                    r.account_id.to_owned(),
                    r.resource_id.to_owned(),
                    r.owner_team.to_owned(),
                    r.environment.to_owned(),
                )
            });
            (stats.unwrap(), rows)
        };
        let (one, rows) = read(1);
        assert_eq!(one.rows, 7360);
        assert_eq!(rows.len(), 7360);
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, (1..=7360).collect::<Vec<u64>>());
        // Each copy of the 32 source rows carries its number in its resource ids.
        assert!(
            rows[7359].3.is_empty() || rows[7359].3.ends_with("-229"),
            "{:?}",
            rows[7359]
        );
        assert!(
            rows.iter().any(|r| !r.4.is_empty()),
            "team tags read from the map"
        );
        for threads in [2, 3, 5] {
            let (other, other_rows) = read(threads);
            assert_eq!(other, one, "{threads} thread(s)");
            assert!(other_rows == rows, "{threads} thread(s): other rows");
        }
    }

    #[test]
    fn an_overflow_in_a_part_names_the_row_one_thread_names() {
        // The fourth count of 2^62 is at row 6,701, in the last row group's last part.
        assert_overflow_at("bad/resource-count-overflow-late.parquet", 2, 6701);
    }

    #[test]
    fn an_overflow_before_a_bad_count_is_the_error_whatever_the_threads() {
        // The total passes 2^64 at row 1,101; row 3,101's count is negative. One thread reads
        // the last row group whole and stops at row 3,101, three read it in parts.
        assert_overflow_at("bad/overflow-before-a-bad-count.parquet", 2, 1101);
    }

    #[test]
    fn the_overflowing_row_does_not_depend_on_the_threads() {
        assert_overflow_at("bad/resource-count-overflow.parquet", 11, 31);
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
