//! The bytes of a Parquet input as the `parquet` crate reads them ([`ChunkReader`]), and calls
//! into that crate with its panics contained.

use std::fs::File;
use std::io::{self, Read};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

/// The bytes of a Parquet input: a file read with positioned reads (so that threads reading
/// different row groups never share a file offset), or bytes in memory.
pub struct ParquetSource {
    inner: Source,
    len: u64,
    on_rows: Option<RowProgress>,
    on_idle: Option<ThreadIdle>,
}

/// Hears, after each batch of rows read, how many rows it held and how many rows the file has
/// in all (as its footer says), from whichever thread read the batch.
pub type RowProgress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Hears, from each reading thread, that it has no rows left to read (its core is free while
/// the others finish).
pub type ThreadIdle = Arc<dyn Fn() + Send + Sync>;

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
            on_rows: None,
            on_idle: None,
        })
    }

    /// Bytes in memory (tests, fuzzing, standard input).
    pub fn bytes(data: Vec<u8>) -> ParquetSource {
        ParquetSource {
            len: data.len() as u64,
            inner: Source::Bytes(Bytes::from(data)),
            on_rows: None,
            on_idle: None,
        }
    }

    /// Tells `on_rows` how many rows each batch read held, and the file's rows in all (a
    /// progress bar: only the columns srmatrix needs are read, so bytes would not add up to the
    /// file's size).
    pub fn with_progress(mut self, on_rows: RowProgress) -> ParquetSource {
        self.on_rows = Some(on_rows);
        self
    }

    /// The progress listener, if any.
    pub(super) fn progress(&self) -> Option<RowProgress> {
        self.on_rows.clone()
    }

    /// Tells `on_idle` when a reading thread has no rows left to read: work that can wait for a
    /// free core (the file's digest) can start then.
    pub fn with_idle(mut self, on_idle: ThreadIdle) -> ParquetSource {
        self.on_idle = Some(on_idle);
        self
    }

    /// The idle listener, if any.
    pub(super) fn idle(&self) -> Option<ThreadIdle> {
        self.on_idle.clone()
    }

    pub(super) fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
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
        Ok(n)
    }
}

/// Reads from `file` at `pos`, whatever its offset (which clones of the file share): how every
/// thread reading one Parquet file reads it, the digest's included.
#[cfg(unix)]
pub fn positioned_read(file: &File, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

/// Reads from `file` at `pos`, whatever its offset (which this moves, but no reader of the
/// file depends on it).
#[cfg(windows)]
pub fn positioned_read(file: &File, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}

impl Length for ParquetSource {
    fn len(&self) -> u64 {
        self.len
    }
}

/// A sequential reader over a [`ParquetSource`] from an offset.
pub(super) struct SourceReader {
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
pub(super) struct Shared(Arc<SourceRef>);

impl Shared {
    pub(super) fn new(source: ParquetSource) -> Shared {
        Shared(Arc::new(SourceRef(source)))
    }
}

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
/// such a panic unprinted, since [`read_parquet`](super::read_parquet) turns it into an error
/// naming the row group and column. (The crate's decoders assert on some corrupt pages, e.g. a
/// PLAIN byte array whose length prefix is cut off, instead of returning an error.)
pub fn in_upstream_reader() -> bool {
    IN_UPSTREAM.with(std::cell::Cell::get)
}

/// Calls into the `parquet` crate, containing a panic of its own: `Err` with what to report.
pub(super) fn upstream<T>(f: impl FnOnce() -> Result<T, ParquetError>) -> Result<T, String> {
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
