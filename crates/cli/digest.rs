//! SHA-256 of every input, computed where a core would otherwise wait.
//!
//! The manifest records the SHA-256 of every input, which auditors check with `sha256sum`. It is
//! one sequential pass over the file. On two cores both are busy parsing while a file is read,
//! so hashing then takes their time; but one core waits while the catalog loads (before the read)
//! and while the other merges the threads' counts and builds the assessment (after it). A
//! regular file's digest is therefore computed in up to three parts, one continuing the other's
//! state:
//!
//! 1. its first bytes, by a thread started before the catalog loads ([`EarlyDigest`]), stopped
//!    when the read starts;
//! 2. the middle, by the reading thread as it reads ([`StreamDigest`]);
//! 3. its last [`HELD_BYTES`], read again and hashed on a thread of the lowest priority once the
//!    read is over ([`PendingDigest`]), joined once the report context is built (or hashed by
//!    the joining thread itself if that thread is late: [`HASHER_GRACE`]).
//!
//! The parts read the file at positions, so a file that changed between them would give a digest
//! of bytes that were never parsed together: the file's size, modification time and (on Unix)
//! inode change time are taken when it is opened and compared when its digest is settled, and
//! a change fails the run; the early part is used only for the same file (device and inode).
//! Standard input and pipes are hashed whole as they are read; with several inputs, only the
//! last one's end is held (the others' would wait behind the parsing of the next).

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::SystemTime;

use anyhow::Result;
use sha2::{Digest as _, Sha256};

/// Bytes at a file's end whose hashing waits until the file has been read: about 45 ms of
/// SHA-256 with SHA-NI here, less than a core stays idle while the threads' counts are merged
/// and the assessment and report context are built after a 1M-row export (docs/performance.md).
pub const HELD_BYTES: u64 = 64 << 20;

/// Bytes hashed per read by the threads that hash at positions.
const BLOCK: usize = 1 << 16;

/// A finished SHA-256 (hex only once it is settled: the hashing threads never allocate, see
/// [`hash_at`]).
type Sum = [u8; 32];

/// What a file was when it was opened; a digest computed over several reads of it holds only if
/// the file is the same when the digest is settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileState {
    len: u64,
    modified: Option<SystemTime>,
    /// The inode's change time (Unix), which unlike the modification time cannot be set back:
    /// a rewrite in place of the same size with its modification time restored still shows.
    changed: Option<(i64, i64)>,
    /// Device and inode (Unix): the same path may name another file later.
    id: Option<(u64, u64)>,
}

impl FileState {
    /// The state of an open file; `None` unless it is a regular file.
    pub fn of(file: &File) -> Option<FileState> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() {
            return None;
        }
        #[cfg(unix)]
        let (changed, id) = {
            use std::os::unix::fs::MetadataExt as _;
            (
                Some((meta.ctime(), meta.ctime_nsec())),
                Some((meta.dev(), meta.ino())),
            )
        };
        #[cfg(not(unix))]
        let (changed, id) = (None, None);
        Some(FileState {
            len: meta.len(),
            modified: meta.modified().ok(),
            changed,
            id,
        })
    }

    /// The file's size when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }
}

/// Lowers the calling thread's priority as far as it goes, so that it runs only on a core no
/// other thread of the run wants (Linux keeps a nice value per thread; elsewhere, nothing).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // Best effort: raising one's own nice value is always allowed, and at worst the thread
        // keeps the normal priority.
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19);
    }
}

/// Hashes `file` from `pos` on into `sha` a block at a time, until `until` bytes, the file's end
/// or `stop`; the position reached. The buffer is on the stack: nothing to free or keep.
fn hash_at(
    file: &File,
    sha: &mut Sha256,
    mut pos: u64,
    until: u64,
    stop: Option<&AtomicBool>,
) -> io::Result<u64> {
    let mut buf = [0u8; BLOCK];
    while pos < until && !stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
        let want = usize::try_from(until - pos)
            .unwrap_or(usize::MAX)
            .min(BLOCK);
        let Some(buf) = buf.get_mut(..want) else {
            break;
        };
        let n = match srmatrix_import::positioned_read(file, pos, buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sha.update(buf.get(..n).unwrap_or_default());
        pos += n as u64;
    }
    Ok(pos)
}

/// The thread of the lowest priority that hashes the first input's first bytes before the read
/// and every input's held end after it, one job after the other.
///
/// One thread for the whole run, started before any other: every thread that allocates takes
/// a heap arena of glibc's, and a thread that exits hands its arena to the next one started.
/// Started first and kept, this one leaves the other threads' arenas about as they were (a
/// thread per part, started and ended around the others, cost 0.6-1.2 MiB more peak RSS on the
/// 1M-row CUR report, most likely by starting the rendering on an arena without the parsers'
/// freed memory).
pub struct Hasher {
    jobs: Option<mpsc::Sender<Job>>,
    early: Option<EarlyDigest>,
}

/// What the hashing thread is asked to do.
enum Job {
    /// Hash `file` from its start until `stop` or its end.
    Head {
        file: File,
        state: FileState,
        stop: Arc<AtomicBool>,
        reply: mpsc::Sender<Option<(Sha256, u64, FileState)>>,
    },
    /// Hash `file` from `from` to `len` into `sha`, then tell whether the file goes on; or stop
    /// at `stop` (the digest was finished elsewhere).
    Tail {
        file: File,
        sha: Box<Sha256>,
        from: u64,
        len: u64,
        stop: Arc<AtomicBool>,
        reply: mpsc::Sender<io::Result<(Sum, u64)>>,
    },
}

impl Job {
    fn run(self) {
        match self {
            Job::Head {
                file,
                state,
                stop,
                reply,
            } => {
                let mut sha = Sha256::new();
                let hashed = hash_at(&file, &mut sha, 0, state.len, Some(&stop)).ok();
                let _ = reply.send(hashed.map(|n| (sha, n, state)));
            }
            Job::Tail {
                file,
                sha,
                from,
                len,
                stop,
                reply,
            } => {
                let _ = reply.send(finish_at(&file, *sha, from, len, Some(&stop)));
            }
        }
    }
}

/// Hashes `file` from `from` to `len` into `sha`; the digest and the bytes it covers (one more
/// than `len` if the file goes on past it: it grew while it was read). A `stop` cuts it short
/// (its result is then not used).
fn finish_at(
    file: &File,
    mut sha: Sha256,
    from: u64,
    len: u64,
    stop: Option<&AtomicBool>,
) -> io::Result<(Sum, u64)> {
    let end = hash_at(file, &mut sha, from, len, stop)?;
    let mut more = [0u8; 1];
    let past = srmatrix_import::positioned_read(file, end, &mut more)?;
    Ok((sha.finalize().into(), end + past as u64))
}

impl Hasher {
    /// Starts the thread, and has it hash `first` from its start if it is a regular file
    /// (standard input, a pipe, a directory or a file that cannot be opened are left to the
    /// read, which reports them properly).
    pub fn start(first: Option<&Path>) -> Hasher {
        let (jobs, queue) = mpsc::channel::<Job>();
        let started = std::thread::Builder::new()
            .name("input digest".to_owned())
            .spawn(move || {
                lower_priority();
                while let Ok(job) = queue.recv() {
                    job.run();
                }
            });
        let mut hasher = Hasher {
            jobs: started.ok().map(|_| jobs),
            early: None,
        };
        hasher.early = first.and_then(|path| hasher.head(path));
        hasher
    }

    /// A hasher without a thread: every digest is computed as its input is read.
    #[cfg(test)]
    pub fn none() -> Hasher {
        Hasher {
            jobs: None,
            early: None,
        }
    }

    fn head(&self, path: &Path) -> Option<EarlyDigest> {
        // Only a regular file is opened: opening a named pipe waits for its writer, and closing
        // it again would leave the writer without a reader (SIGPIPE) before the read opens it.
        if path.as_os_str() == "-" || !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            return None;
        }
        let file = File::open(path).ok()?;
        let state = FileState::of(&file)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (reply, replied) = mpsc::channel();
        self.jobs
            .as_ref()?
            .send(Job::Head {
                file,
                state,
                stop: Arc::clone(&stop),
                reply,
            })
            .ok()?;
        Some(EarlyDigest { stop, replied })
    }

    /// Stops the early digest (if any is left); the hash of the bytes it covered and how many,
    /// if they are the start of the file in `state` (the same file, unchanged), else nothing.
    pub fn take_early(&mut self, state: &FileState) -> Option<(Sha256, u64)> {
        let early = self.early.take()?;
        early.stop.store(true, Ordering::Relaxed);
        let (sha, hashed, began) = early.replied.recv().ok()??;
        (began == *state).then_some((sha, hashed))
    }

    /// Whether the thread runs (digests can be held for it).
    pub fn runs(&self) -> bool {
        self.jobs.is_some()
    }

    /// Finishes a digest from `from` to `len` of `file` on the thread (on the calling thread if
    /// it has stopped). What the thread was given is kept, so that [`PendingDigest`] can finish
    /// the digest itself if the thread is late (see [`HASHER_GRACE`]).
    fn tail(&self, file: File, sha: Sha256, from: u64, len: u64) -> Computing {
        let fallback = || -> io::Result<Fallback> {
            Ok(Fallback {
                file: file.try_clone()?,
                sha: sha.clone(),
                from,
                len,
                stop: Arc::new(AtomicBool::new(false)),
            })
        };
        let (Some(jobs), Ok(fallback)) = (&self.jobs, fallback()) else {
            return Computing::Done(finish_at(&file, sha, from, len, None));
        };
        let (reply, replied) = mpsc::channel();
        let job = Job::Tail {
            file,
            sha: Box::new(sha),
            from,
            len,
            stop: Arc::clone(&fallback.stop),
            reply,
        };
        match jobs.send(job) {
            Ok(()) => Computing::Replied(replied, Box::new(fallback)),
            Err(_) => Computing::Done(fallback.finish()),
        }
    }
}

/// How long a digest's end waits for the hashing thread once the run needs it, before the
/// waiting thread hashes it itself. The hashing thread runs at the lowest priority; on a machine
/// busy with other programs it could get almost no time (a 64 MiB end, 45 ms of work, would take
/// seconds), and it cannot be given its priority back without privileges. Unloaded, the end is
/// done before it is needed.
const HASHER_GRACE: std::time::Duration = std::time::Duration::from_millis(50);

/// What a digest's end needs to be hashed again, by the thread that waits for it.
struct Fallback {
    file: File,
    sha: Sha256,
    from: u64,
    len: u64,
    /// Stops the hashing thread's copy of the job.
    stop: Arc<AtomicBool>,
}

impl Fallback {
    fn finish(self) -> io::Result<(Sum, u64)> {
        self.stop.store(true, Ordering::Relaxed);
        finish_at(&self.file, self.sha, self.from, self.len, None)
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        // An early digest never taken (the run failed before its read) stops with the run.
        if let Some(early) = &self.early {
            early.stop.store(true, Ordering::Relaxed);
        }
    }
}

/// The first input's digest, begun by the [`Hasher`] before the read.
struct EarlyDigest {
    stop: Arc<AtomicBool>,
    replied: mpsc::Receiver<Option<(Sha256, u64, FileState)>>,
}

/// The SHA-256 of a stream, computed by the thread that reads it (see [`Digesting`]) over the
/// bytes from `from` (those before were hashed already) up to `until` (those from it on are
/// hashed afterwards: [`StreamDigest::pending`]).
#[derive(Clone)]
pub struct StreamDigest(Rc<RefCell<Stream>>);

struct Stream {
    sha: Sha256,
    /// Bytes read so far.
    read: u64,
    from: u64,
    until: u64,
}

impl Default for StreamDigest {
    fn default() -> Self {
        StreamDigest::continuing(Sha256::new(), 0, u64::MAX)
    }
}

impl StreamDigest {
    /// A digest that takes over `sha`, the hash of the stream's first `from` bytes, and leaves
    /// the bytes from `until` on unhashed.
    pub fn continuing(sha: Sha256, from: u64, until: u64) -> StreamDigest {
        StreamDigest(Rc::new(RefCell::new(Stream {
            sha,
            read: 0,
            from,
            until,
        })))
    }

    /// The hex SHA-256 and byte count of what was read, when nothing was left to hash later.
    #[cfg(test)]
    pub fn finish(&self) -> (String, u64) {
        let state = self.0.borrow();
        (
            crate::manifest::hex(&state.sha.clone().finalize()),
            state.read,
        )
    }

    /// Once the stream has been read to its end: its digest, finished by `hasher` from `file`
    /// at positions if bytes were left for later (`file` is the stream's file, as it was when
    /// opened, compared again when the digest is settled; `None` for standard input or a pipe,
    /// which leave nothing for later).
    pub fn pending(
        self,
        input: usize,
        name: &str,
        file: Option<(File, FileState)>,
        hasher: &Hasher,
    ) -> io::Result<PendingDigest> {
        let Stream {
            sha,
            read,
            from,
            until,
        } = self.0.replace(Stream {
            sha: Sha256::new(),
            read: 0,
            from: 0,
            until: 0,
        });
        let checked = match &file {
            Some((file, state)) => Some((file.try_clone()?, state.clone())),
            None => None,
        };
        // What the early digest covered past the hold is not hashed again.
        let rest = until.max(from);
        let digest = match file {
            Some((file, state)) if read > rest => hasher.tail(file, sha, rest, state.len),
            _ => Computing::Done(Ok((sha.finalize().into(), read))),
        };
        Ok(PendingDigest {
            input,
            name: name.to_owned(),
            read,
            file: checked,
            digest,
        })
    }
}

/// A reader that hashes the bytes it passes on into a [`StreamDigest`] (those in its window)
/// and tells `on_read` how many it read.
pub struct Digesting<R, F> {
    inner: R,
    digest: StreamDigest,
    on_read: F,
}

impl<R, F> Digesting<R, F> {
    /// Reads `inner` into `digest`.
    pub fn new(inner: R, digest: StreamDigest, on_read: F) -> Self {
        Digesting {
            inner,
            digest,
            on_read,
        }
    }
}

impl<R: Read, F: FnMut(usize)> Read for Digesting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.digest.0.borrow_mut();
        let at = state.read;
        let window = |bound: u64| {
            usize::try_from(bound.saturating_sub(at))
                .unwrap_or(n)
                .min(n)
        };
        let (from, until) = (window(state.from), window(state.until));
        if from < until {
            state.sha.update(buf.get(from..until).unwrap_or_default());
        }
        state.read += n as u64;
        (self.on_read)(n);
        Ok(n)
    }
}

/// How far the digest of the Parquet file read at positions may go before a reader is idle.
pub struct ParquetDigest {
    /// The early digest's state and how many bytes it covered.
    pub start: Option<(Sha256, u64)>,
    /// Where hashing waits for the signal.
    pub held_from: u64,
    /// The signal: a reader has no rows left (or every sender is gone).
    pub until: Option<std::sync::mpsc::Receiver<()>>,
}

impl ParquetDigest {
    /// Starts the digest of a Parquet `file` (at positions, whatever the readers do with its
    /// offset) on a thread of its own, which hashes what `start` did not cover up to
    /// `held_from`, waits for `until`, then hashes the rest; the file is compared with `state`
    /// when the digest is settled.
    pub fn spawn(
        self,
        input: usize,
        name: &str,
        file: File,
        state: FileState,
    ) -> io::Result<PendingDigest> {
        let len = state.len;
        let checked = (file.try_clone()?, state);
        let ParquetDigest {
            start,
            held_from,
            until,
        } = self;
        let handle = std::thread::Builder::new()
            .name("parquet digest".to_owned())
            .spawn(move || {
                let (mut sha, from) = start.unwrap_or_else(|| (Sha256::new(), 0));
                let pos = hash_at(&file, &mut sha, from, held_from.min(len), None)?;
                if let Some(until) = until {
                    let _ = until.recv();
                }
                finish_at(&file, sha, pos, len, None)
            })?;
        Ok(PendingDigest {
            input,
            name: name.to_owned(),
            read: len,
            file: Some(checked),
            digest: Computing::Thread(handle),
        })
    }
}

/// An input's digest, computed or still being computed.
pub struct PendingDigest {
    input: usize,
    name: String,
    /// Bytes the reading took from the input (its size when it was opened, for Parquet).
    read: u64,
    /// The file and its state when opened, compared again when the digest is settled.
    file: Option<(File, FileState)>,
    digest: Computing,
}

enum Computing {
    Done(io::Result<(Sum, u64)>),
    Thread(JoinHandle<io::Result<(Sum, u64)>>),
    Replied(mpsc::Receiver<io::Result<(Sum, u64)>>, Box<Fallback>),
}

impl PendingDigest {
    /// Waits for the digest: the input's number, hex SHA-256 and size; an error if the file
    /// could not be read again or changed while it was read.
    fn wait(self) -> Result<(usize, String, u64)> {
        let result = match self.digest {
            Computing::Done(r) => r,
            Computing::Thread(handle) => match handle.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Computing::Replied(replied, fallback) => match replied.recv_timeout(HASHER_GRACE) {
                Ok(r) => r,
                Err(_) => fallback.finish(),
            },
        };
        let (sum, bytes) =
            result.map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", self.name))?;
        let changed = |before: u64, after: u64| {
            anyhow::anyhow!(
                "{}: the file changed while it was read ({before} bytes, then {after}); read it again once it is complete",
                self.name
            )
        };
        // The file as it is now first: it has the sizes to show.
        if let Some((file, state)) = &self.file {
            match FileState::of(file) {
                Some(now) if now == *state => {}
                now => {
                    let after = now.map_or(0, |s| s.len);
                    if after != state.len {
                        return Err(changed(state.len, after));
                    }
                    anyhow::bail!(
                        "{}: the file changed while it was read (written again in place); read it again once it is complete",
                        self.name
                    );
                }
            }
        }
        if bytes != self.read {
            return Err(changed(self.read, bytes));
        }
        Ok((self.input, crate::manifest::hex(&sum), bytes))
    }
}

/// The digests [`crate::inputs::read_all`] left computing.
#[derive(Default)]
pub struct PendingDigests(pub(crate) Vec<PendingDigest>);

impl PendingDigests {
    /// Waits for every digest and records it in `inputs` (the assessment's input summaries, or
    /// the report context's copy of them); an input that could not be read again, or changed
    /// while it was read, is an error.
    pub fn settle(self, inputs: &mut [srmatrix_model::assess::InputSummary]) -> Result<()> {
        for p in self.0 {
            let (input, sha256, bytes) = p.wait()?;
            if let Some(summary) = inputs.get_mut(input) {
                summary.sha256 = sha256;
                summary.bytes = bytes;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    /// A temporary file of `n` bytes that differ from their neighbours.
    fn file_of(n: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
        let bytes: Vec<u8> = (0..n).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&bytes).unwrap();
        f.flush().unwrap();
        (f, bytes)
    }

    fn opened(f: &tempfile::NamedTempFile) -> (File, FileState) {
        let file = f.reopen().unwrap();
        let state = FileState::of(&file).unwrap();
        (file, state)
    }

    /// Reads `f` through a [`Digesting`] reader in reads of `step` bytes with the digest
    /// continuing `start` and holding bytes from `until` on for `hasher`; the settled digest.
    fn stream(
        f: &tempfile::NamedTempFile,
        hasher: &Hasher,
        start: Option<(Sha256, u64)>,
        until: u64,
        step: usize,
    ) -> Result<(String, u64)> {
        let (sha, from) = start.unwrap_or_else(|| (Sha256::new(), 0));
        let digest = StreamDigest::continuing(sha, from, until);
        let (file, state) = opened(f);
        let mut reader = Digesting::new(f.reopen().unwrap(), digest.clone(), |_| {});
        let mut buf = vec![0u8; step];
        while reader.read(&mut buf)? > 0 {}
        let pending = digest.pending(0, "inventory.csv", Some((file, state)), hasher)?;
        let mut inputs = vec![srmatrix_model::assess::InputSummary::default()];
        PendingDigests(vec![pending]).settle(&mut inputs)?;
        let summary = inputs.remove(0);
        Ok((summary.sha256, summary.bytes))
    }

    #[test]
    fn every_split_of_the_digest_gives_the_whole_files_sha256() {
        let (f, bytes) = file_of(300_001);
        let whole = (crate::manifest::sha256_hex(&bytes), 300_001);
        let hasher = Hasher::start(None);
        for until in [0, 1, 65_536, 150_000, 299_999, 300_001, u64::MAX] {
            for head in [0, 1, 4_096, 100_000, 250_000, 300_001] {
                let mut sha = Sha256::new();
                sha.update(&bytes[..head]);
                for step in [1 << 16, 7_777] {
                    let got = stream(&f, &hasher, Some((sha.clone(), head as u64)), until, step);
                    assert_eq!(
                        got.unwrap(),
                        whole,
                        "head {head}, until {until}, step {step}"
                    );
                }
            }
        }
        let alone = stream(&f, &Hasher::none(), None, 100_000, 1 << 16);
        assert_eq!(
            alone.unwrap(),
            whole,
            "with no thread, on the calling thread"
        );
    }

    #[test]
    fn the_early_digest_hashes_the_files_start_until_taken() {
        let (f, bytes) = file_of(3 << 20);
        let mut hasher = Hasher::start(Some(f.path()));
        std::thread::sleep(std::time::Duration::from_millis(20));
        let (_, state) = opened(&f);
        let (sha, hashed) = hasher.take_early(&state).expect("the same file");
        let mut expected = Sha256::new();
        expected.update(&bytes[..hashed as usize]);
        assert_eq!(sha.finalize(), expected.finalize(), "{hashed} bytes");
        assert!(hasher.take_early(&state).is_none(), "taken once");
        let whole = stream(&f, &hasher, Some((Sha256::new(), 0)), u64::MAX, 1 << 16).unwrap();
        assert_eq!(whole.0, crate::manifest::sha256_hex(&bytes));
    }

    #[test]
    fn an_early_digest_of_another_file_is_not_taken() {
        let (f, _) = file_of(200_000);
        let (other, _) = file_of(200_000);
        let mut hasher = Hasher::start(Some(f.path()));
        let (_, state) = opened(&other);
        #[cfg(unix)]
        assert!(hasher.take_early(&state).is_none(), "another inode");
        #[cfg(not(unix))]
        let _ = (&mut hasher, state);
        let mut hasher = Hasher::start(Some(f.path()));
        let (_, mut state) = opened(&f);
        state.len += 1;
        assert!(hasher.take_early(&state).is_none(), "another size");
        assert!(
            Hasher::start(Some(Path::new("-"))).early.is_none(),
            "standard input"
        );
    }

    /// Settles the digest of `f` read whole with its end held, after `change` ran on it.
    fn settle_after(
        f: &mut tempfile::NamedTempFile,
        checked: bool,
        change: impl FnOnce(&mut tempfile::NamedTempFile),
    ) -> Result<()> {
        let hasher = Hasher::start(None);
        let digest = StreamDigest::continuing(Sha256::new(), 0, 100_000);
        let (file, state) = opened(f);
        let mut reader = Digesting::new(f.reopen().unwrap(), digest.clone(), |_| {});
        std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        change(f);
        let mut pending = digest
            .pending(0, "inventory.csv", Some((file, state)), &hasher)
            .unwrap();
        if !checked {
            // The byte counts alone, as if the file's state could not be compared.
            pending.file = None;
        }
        let mut inputs = vec![srmatrix_model::assess::InputSummary::default()];
        let settled = PendingDigests(vec![pending]).settle(&mut inputs);
        assert!(
            settled.is_ok() || inputs[0].sha256.is_empty(),
            "no digest recorded"
        );
        settled
    }

    #[test]
    fn a_file_grown_after_its_read_is_refused_by_its_size_or_its_length_alone() {
        for checked in [true, false] {
            let (mut f, _) = file_of(200_000);
            let err = settle_after(&mut f, checked, |f| {
                f.write_all(b"more rows\n").unwrap();
                f.flush().unwrap();
            })
            .unwrap_err()
            .to_string();
            let sizes = if checked {
                "(200000 bytes, then 200010)"
            } else {
                "(200000 bytes, then 200001)"
            };
            assert!(
                err.contains("the file changed while it was read") && err.contains(sizes),
                "{checked}: {err}"
            );
        }
    }

    #[test]
    fn a_file_rewritten_in_place_with_its_time_set_back_is_refused() {
        let (mut f, bytes) = file_of(200_000);
        let modified = f.as_file().metadata().unwrap().modified().unwrap();
        let err = settle_after(&mut f, true, |f| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let mut again = bytes.clone();
            again[150_000] ^= 1;
            let file = f.as_file_mut();
            std::io::Seek::rewind(file).unwrap();
            file.write_all(&again).unwrap();
            file.set_modified(modified).unwrap();
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("written again in place"), "{err}");
        let (mut f, _) = file_of(200_000);
        settle_after(&mut f, true, |_| {}).expect("an unchanged file");
    }

    #[test]
    fn taking_the_early_digest_stops_it() {
        // A sparse gigabyte: hashing it whole would take most of a second.
        let f = tempfile::NamedTempFile::new().unwrap();
        f.as_file().set_len(1 << 30).unwrap();
        let mut hasher = Hasher::start(Some(f.path()));
        let (_, state) = opened(&f);
        let (_, hashed) = hasher.take_early(&state).unwrap();
        assert!(hashed < 1 << 30, "stopped at {hashed}");
    }

    #[test]
    fn a_late_hashing_thread_is_not_waited_for() {
        // The thread is kept busy by an early digest never taken (a sparse gigabyte): the end of
        // another file queues behind it, and is hashed by the thread that needs it instead.
        let big = tempfile::NamedTempFile::new().unwrap();
        big.as_file().set_len(1 << 30).unwrap();
        let hasher = Hasher::start(Some(big.path()));
        let (f, bytes) = file_of(300_001);
        let started = std::time::Instant::now();
        let got = stream(&f, &hasher, None, 100_000, 1 << 16).unwrap();
        assert_eq!(got, (crate::manifest::sha256_hex(&bytes), 300_001));
        // A hang guard, not a timing: waiting for the queued job means hashing the gigabyte.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "waited {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn the_parquet_digest_waits_for_a_reader_to_be_idle_then_covers_the_whole_file() {
        let (f, bytes) = file_of(150_000);
        let (file, state) = opened(&f);
        let (idle, until) = mpsc::channel();
        let mut early = Sha256::new();
        early.update(&bytes[..1_000]);
        let pending = ParquetDigest {
            start: Some((early, 1_000)),
            held_from: 70_001,
            until: Some(until),
        }
        .spawn(0, "cur.parquet", file, state)
        .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let Computing::Thread(handle) = &pending.digest else {
            panic!("computed on a thread");
        };
        assert!(!handle.is_finished(), "went past the hold unsignalled");
        idle.send(()).unwrap();
        let mut inputs = vec![srmatrix_model::assess::InputSummary::default()];
        PendingDigests(vec![pending]).settle(&mut inputs).unwrap();
        assert_eq!(inputs[0].sha256, crate::manifest::sha256_hex(&bytes));
        assert_eq!(inputs[0].bytes, 150_000);
    }
}
