//! The output directory as one evidence set, replaced whole or not at all.
//!
//! A report run never writes into the output directory itself. It renders every document and the
//! manifest into a staging directory beside it (`.NAME.srmatrix-XXXXXX`, same parent, so same
//! filesystem), then swaps the two directories with one `renameat2(RENAME_EXCHANGE)` call: a
//! reader sees the whole old set or the whole new one, never a mix. Files in the old directory
//! that srmatrix did not write (not listed by its manifest, not written by this run) are then
//! moved into the new directory, one atomic rename each; srmatrix's own earlier outputs go with
//! the old directory.
//!
//! Runs into the same parent directory take turns: each holds an advisory lock (`flock`) on the
//! parent for its whole run; a second run waits, saying so. An error, SIGINT, SIGTERM or SIGHUP
//! before the swap removes the staging directory (and any directory the run created) and leaves
//! the previous set byte-identical; one after the swap finishes moving the foreign files back
//! first. A SIGKILL can leave a staging directory behind, never a mixed set: the next run into
//! the same directory finds it and recovers it (see [`recover`]).
//!
//! Where the filesystem cannot exchange two directories (or on a platform without the call) the
//! swap is two renames, old set aside then new set in, with a moment in which the directory is
//! absent: still never mixed. The output directory must not be a mount point nor contain the
//! working directory (neither can be swapped); such a `--out` is refused before anything is read.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

use anyhow::{Context, Result};

use crate::cmd::UsageError;
use crate::manifest::{self, MANIFEST_FILE, Manifest};
use crate::term::{errln, noteln};

/// The file that marks a staging directory whose set was never swapped in (removed just before
/// the swap): a leftover directory holding it is deleted whole.
const STAGING_MARKER: &str = ".srmatrix-staging";

/// The output directory of a run, locked for the run.
pub struct OutDir {
    /// The directory, absolute, symlinks resolved: what is swapped.
    target: PathBuf,
    /// Its parent, where the staging directory is made and the lock is held.
    parent: PathBuf,
    /// The prefix of this directory's staging directories.
    prefix: OsString,
    /// Directories this run created for the output, deepest first.
    made: Vec<PathBuf>,
    /// The manifest of the set there before, when it is sound.
    previous: Option<Manifest>,
    /// The advisory lock on the parent, released when dropped.
    _lock: File,
}

impl OutDir {
    /// Takes `given` as the output directory: creates it if missing, refuses what cannot be
    /// swapped (`-`, a file, `/`, a mount point, the working directory or one that contains it),
    /// waits for any other run into the same parent, and recovers what an interrupted run left.
    pub fn open(given: &Path) -> Result<OutDir> {
        let shown = crate::term::path(given);
        if given.as_os_str() == "-" || given.as_os_str().is_empty() {
            return Err(UsageError::new(format!(
                "--out `{shown}`: the reports are a directory of files, not a stream; name a directory"
            ))
            .into());
        }
        if given.exists() && !given.is_dir() {
            return Err(
                UsageError::new(format!("--out {shown}: exists and is not a directory")).into(),
            );
        }
        let made = crate::files::missing_dirs(given);
        let mut dir = OutDir::lock(given, &shown, made.clone()).inspect_err(|_| {
            crate::files::remove_empty_dirs(&made);
        })?;
        install_signal_handlers();
        *pending_slot() = Some(Pending {
            staging: None,
            target: dir.target.clone(),
            swapped: false,
            made: dir.made.clone(),
        });
        // Leftovers first: a swap interrupted between its two renames left no `--out` at all,
        // and its new set is rolled forward only while the target is missing.
        dir.recover_leftovers();
        fs::create_dir_all(&dir.target).with_context(|| format!("creating {shown}"))?;
        if is_mount_point(&dir.target, &dir.parent) {
            return Err(UsageError::new(format!(
                "--out {shown}: is a mount point, which cannot be replaced as a whole; use a directory inside it (e.g. --out {shown}/report)"
            ))
            .into());
        }
        dir.previous = manifest::read(&dir.target)
            .ok()
            .filter(|m| m.problems().is_empty());
        Ok(dir)
    }

    /// Resolves `given` (symlinks too; the directory itself need not exist yet), refuses what
    /// cannot be swapped and takes the lock on its parent.
    fn lock(given: &Path, shown: &str, made: Vec<PathBuf>) -> Result<OutDir> {
        let root_refused = || -> anyhow::Error {
            UsageError::new(format!(
                "--out {shown}: the root directory cannot be replaced; name a directory below it"
            ))
            .into()
        };
        let target = if given.exists() {
            fs::canonicalize(given).with_context(|| format!("{shown}: cannot resolve"))?
        } else {
            let name = given.file_name().ok_or_else(root_refused)?;
            let parent = match given.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            fs::create_dir_all(&parent).with_context(|| format!("creating {shown}"))?;
            fs::canonicalize(&parent)
                .with_context(|| format!("{shown}: cannot resolve"))?
                .join(name)
        };
        let Some(parent) = target.parent().map(Path::to_path_buf) else {
            return Err(root_refused());
        };
        if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize)
            && cwd.starts_with(&target)
        {
            return Err(UsageError::new(format!(
                "--out {shown}: is the working directory or contains it; srmatrix replaces the output directory as a whole, so give it a directory of its own (e.g. --out outputs)"
            ))
            .into());
        }
        let lock = File::open(&parent)
            .with_context(|| format!("{}: cannot open to lock", parent.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                noteln!(
                    "waiting for another srmatrix run writing into {} to finish…",
                    crate::term::path(&parent)
                );
                lock.lock()
                    .with_context(|| format!("{}: cannot lock", parent.display()))?;
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("{}: cannot lock", parent.display()));
            }
        }
        let mut prefix = OsString::from(".");
        prefix.push(target.file_name().unwrap_or_else(|| OsStr::new("out")));
        prefix.push(".srmatrix-");
        Ok(OutDir {
            target,
            parent,
            prefix,
            made,
            previous: None,
            _lock: lock,
        })
    }

    /// The directory, absolute with symlinks resolved.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The file names srmatrix wrote there last time (from the manifest there, when sound).
    pub fn previous_outputs(&self) -> Vec<String> {
        self.previous
            .as_ref()
            .map(Manifest::output_names)
            .unwrap_or_default()
    }

    /// Makes the staging directory the new set is rendered into.
    pub fn stage(&self) -> Result<Staging> {
        let staging = tempfile::Builder::new()
            .prefix(&self.prefix)
            .tempdir_in(&self.parent)
            .with_context(|| format!("creating a staging directory in {}", self.parent.display()))?
            .keep();
        *pending_slot() = Some(Pending {
            staging: Some(staging.clone()),
            target: self.target.clone(),
            swapped: false,
            made: self.made.clone(),
        });
        let staging = Staging { path: staging };
        File::create(staging.path.join(STAGING_MARKER))
            .with_context(|| format!("writing in {}", staging.path.display()))?;
        Ok(staging)
    }

    /// Recovers the staging directories an interrupted run left beside this directory.
    fn recover_leftovers(&mut self) {
        let Ok(entries) = fs::read_dir(&self.parent) else {
            return;
        };
        let prefix = self.prefix.as_encoded_bytes();
        // `.NAME.srmatrix-` and tempfile's six random characters, `-old` after the first of two
        // renames: not the staging directories of a sibling named `NAME.srmatrix-x`.
        let ours = |name: &OsStr| {
            let Some(rest) = name.as_encoded_bytes().strip_prefix(prefix) else {
                return false;
            };
            let random = rest.strip_suffix(b"-old").unwrap_or(rest);
            random.len() == 6 && random.iter().all(u8::is_ascii_alphanumeric)
        };
        let mut leftovers: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| ours(&e.file_name()))
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        leftovers.sort();
        for dir in leftovers {
            noteln!(
                "recovering {}, left by an interrupted srmatrix run",
                crate::term::path(&dir)
            );
            recover(&dir, &self.target);
        }
    }
}

impl Drop for OutDir {
    /// Removes the directories this run created for the output if they are still empty (the run
    /// failed before its set was swapped in).
    fn drop(&mut self) {
        let mut slot = pending_slot();
        if slot.as_ref().is_some_and(|p| p.staging.is_none()) {
            *slot = None;
        }
        drop(slot);
        crate::files::remove_empty_dirs(&self.made);
    }
}

/// The staging directory of a run. Dropped before [`Staging::commit`] (an error), it is removed
/// with every directory the run created; SIGINT, SIGTERM and SIGHUP do the same.
pub struct Staging {
    path: PathBuf,
}

impl Staging {
    /// The directory the documents and the manifest are written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Swaps the staged set in for the output directory's, then moves the files srmatrix did not
    /// write from the old set into the new one and removes the rest of the old set.
    pub fn commit(self) -> Result<()> {
        pause_for_tests();
        let mut slot = pending_slot();
        let Some(pending) = slot.as_mut() else {
            anyhow::bail!("the run was interrupted");
        };
        let target = pending.target.clone();
        if let Ok(meta) = fs::metadata(&target) {
            fs::set_permissions(&self.path, meta.permissions())
                .with_context(|| format!("setting permissions of {}", self.path.display()))?;
        }
        fs::remove_file(self.path.join(STAGING_MARKER))
            .with_context(|| format!("writing in {}", self.path.display()))?;
        sync_dir(&self.path);
        swap(&self.path, &target).with_context(|| {
            format!(
                "replacing {} with the new set staged in {}",
                target.display(),
                self.path.display()
            )
        })?;
        pending.swapped = true;
        if let Some(parent) = target.parent() {
            sync_dir(parent);
        }
        recover_old_set(&self.path, &target);
        *slot = None;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(pending) = pending_slot().take() {
            pending.clean_up();
        }
    }
}

/// What must be undone if the run stops now.
struct Pending {
    /// The staging directory, once there is one.
    staging: Option<PathBuf>,
    target: PathBuf,
    swapped: bool,
    made: Vec<PathBuf>,
}

impl Pending {
    fn clean_up(self) {
        match (&self.staging, self.swapped) {
            (Some(old_set), true) => recover_old_set(old_set, &self.target),
            (staging, _) => {
                if let Some(staging) = staging {
                    remove_staging(staging);
                }
                crate::files::remove_empty_dirs(&self.made);
            }
        }
    }
}

static PENDING: Mutex<Option<Pending>> = Mutex::new(None);

fn pending_slot() -> MutexGuard<'static, Option<Pending>> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// On SIGINT, SIGTERM or SIGHUP: wait until a swap under way has finished, undo what is pending,
/// and exit with 128 + the signal's number, as a shell reports a death by that signal.
fn install_signal_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            else {
                errln!("srmatrix: warning: cannot handle signals; an interrupted run may leave a staging directory");
                return;
            };
            let spawned = std::thread::Builder::new()
                .name("signals".into())
                .spawn(move || {
                    if let Some(signal) = signals.forever().next() {
                        if let Some(pending) = pending_slot().take() {
                            pending.clean_up();
                        }
                        std::process::exit(128 + signal);
                    }
                });
            if spawned.is_err() {
                errln!("srmatrix: warning: cannot handle signals; an interrupted run may leave a staging directory");
            }
        }
    });
}

/// Recovers `left` (a staging directory, or an old set swapped out) next to `target`:
/// - it still holds the staging marker: its set was never swapped in; it is deleted whole;
/// - `target` is missing: the swap was interrupted between its two renames; `left` is the
///   complete new set and is moved into place;
/// - otherwise `left` is an old set (see [`recover_old_set`]).
pub fn recover(left: &Path, target: &Path) {
    if left.join(STAGING_MARKER).exists() {
        remove_staging(left);
        return;
    }
    if fs::symlink_metadata(target).is_err() {
        if fs::rename(left, target).is_err() {
            warn_left(left);
        }
        return;
    }
    recover_old_set(left, target);
}

/// Empties the old set `left`, swapped out of `target`: the files srmatrix writes (listed by its
/// manifest or the new set's, every name srmatrix can write, and the manifests) are deleted,
/// every other entry is moved into `target` (unless `target` has one of that name: then it
/// stays, with a warning), and `left` is removed.
fn recover_old_set(left: &Path, target: &Path) {
    let known = srmatrix_render::Format::file_names(
        &srmatrix_render::Format::ALL,
        true,
        &srmatrix_model::requirements::DOCUMENT_SHAPES,
    );
    let ours: BTreeSet<OsString> = [left, target]
        .iter()
        .filter_map(|dir| manifest::read(dir).ok())
        .flat_map(|m| m.output_names())
        .map(OsString::from)
        .chain(known.into_iter().chain(LEGACY_OUTPUTS).map(OsString::from))
        .chain([OsString::from(MANIFEST_FILE)])
        .collect();
    let Ok(entries) = fs::read_dir(left) else {
        warn_left(left);
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if ours.contains(&name) && !is_dir {
            let _ = fs::remove_file(&path);
        } else if fs::symlink_metadata(target.join(&name)).is_err() {
            let _ = fs::rename(&path, target.join(&name));
        }
    }
    if fs::remove_dir(left).is_err() {
        warn_left(left);
    }
}

/// Outputs earlier versions of srmatrix wrote that this one no longer does.
const LEGACY_OUTPUTS: [&str; 1] = ["caiq.csv"];

/// Removes a staging directory whose set was never swapped in. On a signal, rendering threads
/// may still be creating files in it: its marker goes last, so that a directory left behind is
/// still known for a staging directory, and the removal is tried again for a moment.
fn remove_staging(dir: &Path) {
    for _ in 0..100 {
        if let Ok(entries) = fs::read_dir(dir) {
            for entry in entries.filter_map(|e| e.ok()) {
                if entry.file_name() == STAGING_MARKER {
                    continue;
                }
                let _ = if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    fs::remove_dir_all(entry.path())
                } else {
                    fs::remove_file(entry.path())
                };
            }
        }
        let _ = fs::remove_file(dir.join(STAGING_MARKER));
        match fs::remove_dir(dir) {
            Ok(()) => return,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(_) => {
                let _ = File::create(dir.join(STAGING_MARKER));
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}

/// Test hook: with `SRMATRIX_TEST_PAUSE_BEFORE_SWAP_MS` set, a run waits that many milliseconds
/// (at most a minute) with its whole set staged, just before the swap, so that the integration
/// tests can interrupt or race a run at the moment that matters. Not for other use.
fn pause_for_tests() {
    if let Some(ms) = std::env::var("SRMATRIX_TEST_PAUSE_BEFORE_SWAP_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
    }
}

fn warn_left(dir: &Path) {
    errln!(
        "srmatrix: warning: {} holds files that srmatrix did not write and could not move back; look at them and remove the directory",
        crate::term::path(dir)
    );
}

/// Swaps the directories `staging` and `target` (both exist) in one step where the filesystem
/// can; otherwise moves `target` aside and `staging` in, then the old set to `staging`'s name.
fn swap(staging: &Path, target: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            Err(e)
                if e == rustix::io::Errno::INVAL
                    || e == rustix::io::Errno::NOSYS
                    || e == rustix::io::Errno::OPNOTSUPP => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut aside = staging.as_os_str().to_owned();
    aside.push("-old");
    let aside = PathBuf::from(aside);
    fs::rename(target, &aside)?;
    if let Err(e) = fs::rename(staging, target) {
        let _ = fs::rename(&aside, target);
        return Err(e);
    }
    fs::rename(&aside, staging)
}

/// Whether `dir` is on another filesystem than its parent.
fn is_mount_point(dir: &Path, parent: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (fs::metadata(dir), fs::metadata(parent)) {
            (Ok(a), Ok(b)) => a.dev() != b.dev(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, parent);
        false
    }
}

/// Flushes a directory's entries to disk (best effort: not every platform can).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    fn manifest_listing(dir: &Path, outputs: &[&str]) {
        let outputs: Vec<String> = outputs
            .iter()
            .map(|n| {
                format!(
                    r#"{{"path":"{n}","bytes":1,"sha256":"{}"}}"#,
                    "0".repeat(64)
                )
            })
            .collect();
        let json = format!(
            r#"{{"manifest_version":2,"tool":"t","generated_at":"","command_line":[],"catalog":"","catalog_files":[],"policy":null,"inputs":[],"outputs":[{}]}}"#,
            outputs.join(",")
        );
        fs::write(dir.join(MANIFEST_FILE), json).unwrap();
    }

    #[test]
    fn an_old_set_gives_back_foreign_files_and_drops_its_own() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join(".out.srmatrix-1");
        let target = root.path().join("out");
        fs::create_dir(&old).unwrap();
        fs::create_dir(&target).unwrap();
        for f in ["report.md", "changes.csv", "notes.txt"] {
            fs::write(old.join(f), f).unwrap();
        }
        fs::create_dir(old.join("screenshots")).unwrap();
        manifest_listing(&old, &["report.md", "changes.csv"]);
        fs::write(target.join("report.md"), "new").unwrap();
        manifest_listing(&target, &["report.md"]);
        recover(&old, &target);
        assert!(!old.exists());
        assert_eq!(
            names(&target),
            ["manifest.json", "notes.txt", "report.md", "screenshots"]
        );
        assert_eq!(fs::read_to_string(target.join("report.md")).unwrap(), "new");
    }

    #[test]
    fn a_foreign_file_named_like_the_marker_is_given_back_not_a_reason_to_delete() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join(".out.srmatrix-aB3dE9");
        let target = root.path().join("out");
        fs::create_dir(&old).unwrap();
        fs::create_dir(&target).unwrap();
        fs::write(old.join(STAGING_MARKER), "mine").unwrap();
        fs::write(old.join("notes.txt"), "keep").unwrap();
        fs::write(
            old.join("report.json"),
            "an earlier run's, its manifest lost",
        )
        .unwrap();
        recover_old_set(&old, &target);
        assert!(!old.exists());
        assert_eq!(names(&target), [STAGING_MARKER, "notes.txt"]);
    }

    #[test]
    fn a_staging_directory_is_deleted_and_a_half_swapped_one_rolls_forward() {
        let root = tempfile::tempdir().unwrap();
        let staging = root.path().join(".out.srmatrix-2");
        let target = root.path().join("out");
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join(STAGING_MARKER), "").unwrap();
        fs::write(staging.join("report.md"), "half").unwrap();
        fs::create_dir(&target).unwrap();
        recover(&staging, &target);
        assert!(!staging.exists());
        assert!(names(&target).is_empty());

        fs::remove_dir(&target).unwrap();
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("report.md"), "whole").unwrap();
        recover(&staging, &target);
        assert_eq!(
            fs::read_to_string(target.join("report.md")).unwrap(),
            "whole"
        );
    }

    #[test]
    fn swap_exchanges_two_directories() {
        let root = tempfile::tempdir().unwrap();
        let a = root.path().join("a");
        let b = root.path().join("b");
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("new"), "").unwrap();
        fs::write(b.join("old"), "").unwrap();
        swap(&a, &b).unwrap();
        assert_eq!(names(&b), ["new"]);
        assert_eq!(names(&a), ["old"]);
    }
}
