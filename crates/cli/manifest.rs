//! The evidence manifest: what a report run read and wrote, with SHA-256 hashes, so that
//! `srmatrix verify` can later show that nothing was altered.
//!
//! `verify` trusts nothing in a manifest: [`Manifest::problems`] rejects an unknown version, an
//! empty output list, and any output entry that is not a plain file name inside the directory;
//! [`check_file`] reads only regular files (a FIFO or a device named by a manifest never blocks
//! it).

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// File name of the manifest in the output directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The manifest format this version writes. Version 2 added the absolute paths of inputs, the
/// templates and the baseline; version 1 manifests are still verified.
pub const MANIFEST_VERSION: u32 = 2;

/// The manifest versions `verify` understands.
const KNOWN_VERSIONS: [u32; 2] = [1, 2];

/// A file and its hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileDigest {
    /// Path as given (inputs, catalog, policy, template and baseline files) or file name in the
    /// output directory (outputs). A byte that is not UTF-8 is written `\xNN`.
    pub path: String,
    /// The absolute path, symlinks resolved, at the time of the run (inputs, catalog, policy,
    /// template and baseline files), so that `verify` finds the file from any working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute: Option<String>,
    /// The absolute path's bytes in hex, when it is not UTF-8 (then `absolute` is only readable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute_hex: Option<String>,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

impl FileDigest {
    /// The digest of a file read from `path` (as given): records its absolute path too.
    pub fn of_file(path: &Path, bytes: u64, sha256: String) -> FileDigest {
        let mut digest = FileDigest {
            path: path_text(path.as_os_str()),
            absolute: None,
            absolute_hex: None,
            bytes,
            sha256,
        };
        if let Ok(abs) = std::fs::canonicalize(path) {
            digest.absolute = Some(path_text(abs.as_os_str()));
            digest.absolute_hex = non_utf8_hex(abs.as_os_str());
        }
        digest
    }

    /// The absolute path recorded, exactly (from its hex form when it is not UTF-8).
    pub fn absolute_path(&self) -> Option<PathBuf> {
        if let Some(hex) = &self.absolute_hex {
            return path_from_hex(hex);
        }
        self.absolute.as_ref().map(PathBuf::from)
    }
}

/// An input with what was read from it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputRecord {
    /// The input and its hash (of the bytes as read, before decompression).
    #[serde(flatten)]
    pub file: FileDigest,
    /// Format detected.
    pub format: String,
    /// Data rows read.
    pub rows: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Manifest format version.
    pub manifest_version: u32,
    /// Tool and version.
    pub tool: String,
    /// When the report was generated (the report's own timestamp).
    pub generated_at: String,
    /// The command line, arguments as given (bytes that are not UTF-8 written `\xNN`).
    pub command_line: Vec<String>,
    /// Catalog name and version.
    pub catalog: String,
    /// Catalog files (built-in ones are named `builtin:...`).
    pub catalog_files: Vec<FileDigest>,
    /// The organisation policy file, if one was used.
    pub policy: Option<FileDigest>,
    /// Template files given with `--templates` that replaced built-in ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<FileDigest>,
    /// The `--baseline` report compared with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<FileDigest>,
    /// Inputs.
    pub inputs: Vec<InputRecord>,
    /// Outputs, by file name in the output directory.
    pub outputs: Vec<FileDigest>,
}

impl Manifest {
    /// What makes this manifest untrustworthy, one message each: an unknown version, no outputs,
    /// an output entry that is not a plain file name (`..`, an absolute path, a separator), a
    /// name listed twice, or a hash that is not SHA-256 hex. Empty when it can be checked.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !KNOWN_VERSIONS.contains(&self.manifest_version) {
            problems.push(format!(
                "manifest_version {} is not one this srmatrix knows ({})",
                self.manifest_version,
                KNOWN_VERSIONS.map(|v| v.to_string()).join(", ")
            ));
        }
        if self.outputs.is_empty() {
            problems.push("the manifest lists no output".to_owned());
        }
        let mut seen = std::collections::BTreeSet::new();
        for out in &self.outputs {
            if !is_plain_name(&out.path) {
                problems.push(format!(
                    "output entry `{}` is not a plain file name in the directory",
                    crate::term::escape(&out.path)
                ));
            } else if !seen.insert(out.path.as_str()) {
                problems.push(format!(
                    "output `{}` is listed twice",
                    crate::term::escape(&out.path)
                ));
            }
        }
        for f in self.all_files() {
            if f.sha256.len() != 64 || !f.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                problems.push(format!(
                    "the hash of `{}` is not a SHA-256 in hex",
                    crate::term::escape(&f.path)
                ));
            }
        }
        problems
    }

    /// The output file names, when every entry is a plain name (see [`Manifest::problems`]).
    pub fn output_names(&self) -> Vec<String> {
        self.outputs
            .iter()
            .filter(|o| is_plain_name(&o.path))
            .map(|o| o.path.clone())
            .collect()
    }

    fn all_files(&self) -> impl Iterator<Item = &FileDigest> {
        self.outputs
            .iter()
            .chain(self.inputs.iter().map(|i| &i.file))
            .chain(&self.catalog_files)
            .chain(&self.policy)
            .chain(&self.templates)
            .chain(&self.baseline)
    }
}

/// Whether `name` is a file name that stays inside a directory: not empty, not `.` or `..`, no
/// separator, no NUL, not the manifest itself.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name != MANIFEST_FILE
        && !name.contains(['/', '\\', '\0'])
        && !Path::new(name).is_absolute()
        && Path::new(name).components().count() == 1
}

/// A path as text for the manifest and messages: UTF-8 as is, any other byte as `\xNN`.
pub fn path_text(path: &OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let mut out = String::new();
        for chunk in path.as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

/// The bytes of a path that is not UTF-8, in hex; `None` for a UTF-8 path.
fn non_utf8_hex(path: &OsStr) -> Option<String> {
    if path.to_str().is_some() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        Some(hex(path.as_bytes()))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The path whose bytes `hex` spells.
fn path_from_hex(hex: &str) -> Option<PathBuf> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt as _;
        bytes.map(|b| PathBuf::from(std::ffi::OsString::from_vec(b)))
    }
    #[cfg(not(unix))]
    {
        bytes
            .and_then(|b| String::from_utf8(b).ok())
            .map(PathBuf::from)
    }
}

pub use srmatrix_model::hex;

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The digest of bytes under a name.
#[cfg(test)]
pub fn digest_of(path: &str, bytes: &[u8]) -> FileDigest {
    FileDigest {
        path: path.to_owned(),
        absolute: None,
        absolute_hex: None,
        bytes: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    }
}

/// What a file's check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Same size and hash.
    Intact,
    /// Present, but different.
    Modified,
    /// Not there (or unreadable).
    Missing,
    /// There, but not a regular file (a directory, FIFO, device, or a symlink where a symlink is
    /// not accepted): not read.
    NotAFile,
}

/// Opens `path` for reading only if it is a regular file. With `follow` false a symlink is not a
/// regular file. The file is opened without blocking and checked again once open, so a FIFO
/// swapped in after the first look never blocks the reader.
pub fn open_regular(path: &Path, follow: bool) -> std::result::Result<File, Check> {
    let meta = if follow {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    match meta {
        Err(_) => return Err(Check::Missing),
        Ok(m) if !m.is_file() => return Err(Check::NotAFile),
        Ok(_) => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
        if !follow {
            options.custom_flags(
                (rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOFOLLOW).bits() as i32,
            );
        }
    }
    let file = options.open(path).map_err(|_| Check::Missing)?;
    match file.metadata() {
        Ok(m) if m.is_file() => Ok(file),
        Ok(_) => Err(Check::NotAFile),
        Err(_) => Err(Check::Missing),
    }
}

/// Checks a file against its recorded digest, streaming it. `follow`: whether a symlink to a
/// regular file is accepted (inputs) or not (outputs, which srmatrix writes as regular files).
pub fn check_file(path: &Path, want: &FileDigest, follow: bool) -> Check {
    let mut file = match open_regular(path, follow) {
        Ok(f) => f,
        Err(check) => return check,
    };
    match sha256_of_reader(&mut file) {
        Ok((sha256, bytes)) if bytes == want.bytes && sha256 == want.sha256 => Check::Intact,
        Ok(_) => Check::Modified,
        Err(_) => Check::Missing,
    }
}

/// The SHA-256 (hex) and number of the bytes `reader` gives, read to its end.
pub fn sha256_of_reader(mut reader: impl Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(buf.get(..n).unwrap_or_default());
                bytes += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((hex(&hasher.finalize()), bytes))
}

/// Reads a manifest (only a regular file; at most 64 MiB).
pub fn read(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let shown = crate::term::escape(&path_text(path.as_os_str())).into_owned();
    let file = open_regular(&path, false).map_err(|check| match check {
        Check::NotAFile => anyhow::anyhow!("{shown}: not a regular file"),
        _ => anyhow::anyhow!("{shown}: cannot read (no manifest: is this a report directory?)"),
    })?;
    let mut text = String::new();
    file.take(64 << 20)
        .read_to_string(&mut text)
        .with_context(|| format!("{shown}: cannot read"))?;
    serde_json::from_str(&text).with_context(|| format!("{shown}: not an srmatrix manifest"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_detects_modified_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        std::fs::write(&path, b"evidence").unwrap();
        let d = digest_of("report.md", b"evidence");
        assert_eq!(check_file(&path, &d, false), Check::Intact);
        std::fs::write(&path, b"evidencE").unwrap();
        assert_eq!(
            check_file(&path, &d, false),
            Check::Modified,
            "same size, other bytes"
        );
        std::fs::remove_file(&path).unwrap();
        assert_eq!(check_file(&path, &d, false), Check::Missing);
        assert_eq!(check_file(dir.path(), &d, true), Check::NotAFile);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.md");
        std::fs::write(&target, b"evidence").unwrap();
        let link = dir.path().join("report.md");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let d = digest_of("report.md", b"evidence");
        assert_eq!(check_file(&link, &d, true), Check::Intact);
        assert_eq!(check_file(&link, &d, false), Check::NotAFile);
    }

    #[test]
    fn only_plain_names_are_outputs() {
        for bad in [
            "",
            ".",
            "..",
            "../report.md",
            "/etc/passwd",
            "a/b",
            "a\\b",
            "nul\0",
            MANIFEST_FILE,
        ] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        for good in ["report.md", "..report", ".hidden", "crm.csv"] {
            assert!(is_plain_name(good), "{good:?}");
        }
    }

    #[test]
    fn a_manifest_with_bad_entries_has_problems() {
        let mut m = Manifest {
            manifest_version: MANIFEST_VERSION,
            tool: "srmatrix".into(),
            generated_at: String::new(),
            command_line: vec![],
            catalog: String::new(),
            catalog_files: vec![],
            policy: None,
            templates: vec![],
            baseline: None,
            inputs: vec![],
            outputs: vec![digest_of("report.md", b"x")],
        };
        assert!(m.problems().is_empty());
        m.manifest_version = 99;
        m.outputs.push(digest_of("../x", b"x"));
        m.outputs.push(digest_of("report.md", b"x"));
        let mut bad = digest_of("y.csv", b"x");
        bad.sha256 = "zz".into();
        m.outputs.push(bad);
        let problems = m.problems().join("\n");
        for want in [
            "manifest_version 99",
            "`../x`",
            "listed twice",
            "not a SHA-256",
        ] {
            assert!(problems.contains(want), "{want}: {problems}");
        }
        m.outputs.clear();
        assert!(m.problems().join("\n").contains("no output"));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_are_escaped_and_kept_exactly() {
        use std::os::unix::ffi::OsStrExt as _;
        let raw = OsStr::from_bytes(b"/tmp/inv\xff\\.csv");
        assert_eq!(path_text(raw), "/tmp/inv\\xff\\.csv");
        let hex = non_utf8_hex(raw).unwrap();
        assert_eq!(path_from_hex(&hex).unwrap().as_os_str(), raw);
        assert_eq!(non_utf8_hex(OsStr::new("/tmp/ok.csv")), None);
    }
}
