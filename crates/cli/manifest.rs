//! The evidence manifest: what a report run read and wrote, with SHA-256 hashes, so that
//! `srmatrix verify` can later show that nothing was altered.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// File name of the manifest in the output directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// A file and its hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileDigest {
    /// Path (inputs, catalog and policy files) or file name in the output directory (outputs).
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
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
    /// The command line, arguments as given.
    pub command_line: Vec<String>,
    /// Catalog name and version.
    pub catalog: String,
    /// Catalog files (built-in ones are named `builtin:...`).
    pub catalog_files: Vec<FileDigest>,
    /// The organisation policy file, if one was used.
    pub policy: Option<FileDigest>,
    /// Inputs.
    pub inputs: Vec<InputRecord>,
    /// Outputs, by file name in the output directory.
    pub outputs: Vec<FileDigest>,
}

/// Lower-case hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    digest
        .iter()
        .fold(String::with_capacity(2 * digest.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The digest of bytes under a name.
pub fn digest_of(path: &str, bytes: &[u8]) -> FileDigest {
    FileDigest {
        path: path.to_owned(),
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
}

/// Checks a file against its recorded digest, streaming it.
pub fn check_file(path: &Path, want: &FileDigest) -> Check {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Check::Missing;
    };
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match std::io::Read::read(&mut file, &mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                bytes += n as u64;
            }
            Err(_) => return Check::Missing,
        }
    }
    if bytes == want.bytes && hex(&hasher.finalize()) == want.sha256 {
        Check::Intact
    } else {
        Check::Modified
    }
}

/// Reads a manifest.
pub fn read(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not an srmatrix manifest", path.display()))
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
        assert_eq!(check_file(&path, &d), Check::Intact);
        std::fs::write(&path, b"evidencE").unwrap();
        assert_eq!(
            check_file(&path, &d),
            Check::Modified,
            "same size, other bytes"
        );
        std::fs::remove_file(&path).unwrap();
        assert_eq!(check_file(&path, &d), Check::Missing);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
