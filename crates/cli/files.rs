//! File I/O of the binary: catalog and template directories, inputs, atomic output.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest as _, Sha256};
use srmatrix_model::{Catalog, CatalogSources};

use crate::digest::{Digesting, FileState, StreamDigest};
use crate::manifest::FileDigest;
use srmatrix_render::Templates;

/// Loads the catalog: the built-in files, each replaced by the file of the same name in `dir`.
pub fn load_catalog(dir: Option<&Path>) -> Result<Catalog> {
    load_catalog_with_digests(dir).map(|(c, _)| c)
}

/// Loads the catalog and the SHA-256 of each of its files, for the evidence manifest.
pub fn load_catalog_with_digests(dir: Option<&Path>) -> Result<(Catalog, Vec<FileDigest>)> {
    let mut sources = CatalogSources::builtin();
    if let Some(dir) = dir {
        if !dir.is_dir() {
            bail!("--catalog {}: not a directory", dir.display());
        }
        let mut found = 0;
        let names: Vec<String> = sources
            .file_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        for name in &names {
            let path = dir.join(name);
            if path.is_file() {
                let text = fs::read_to_string(&path)
                    .with_context(|| format!("reading catalog file {}", path.display()))?;
                if let Some(slot) = sources.slot_mut(name.as_str()) {
                    slot.origin = path.display().to_string();
                    slot.text = text;
                    found += 1;
                }
            }
        }
        if found == 0 {
            bail!(
                "--catalog {}: none of {} is there",
                dir.display(),
                names.join(", ")
            );
        }
    }
    let digests = sources
        .files()
        .iter()
        .map(|f| {
            let sha256 = crate::manifest::sha256_hex(f.text.as_bytes());
            if f.origin.starts_with("builtin:") {
                FileDigest {
                    path: f.origin.clone(),
                    absolute: None,
                    absolute_hex: None,
                    bytes: f.text.len() as u64,
                    sha256,
                }
            } else {
                FileDigest::of_file(Path::new(&f.origin), f.text.len() as u64, sha256)
            }
        })
        .collect();
    Ok((Catalog::load(&sources)?, digests))
}

/// The policy file to use: `--policy FILE`, else `srmatrix.toml` in the working directory if
/// there is one.
pub fn policy_path(flag: Option<&Path>) -> Option<PathBuf> {
    match flag {
        Some(p) => Some(p.to_owned()),
        None => {
            let default = PathBuf::from(POLICY_FILE);
            default.is_file().then_some(default)
        }
    }
}

/// The policy file name looked for in the working directory.
pub const POLICY_FILE: &str = "srmatrix.toml";

/// Loads and validates a policy; returns it with its digest for the manifest.
pub fn load_policy(path: &Path, catalog: &Catalog) -> Result<(srmatrix_model::Policy, FileDigest)> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the policy", path.display()))?;
    let source = srmatrix_model::catalog::SourceFile {
        origin: path.display().to_string(),
        text,
    };
    let policy = srmatrix_model::Policy::load(&source, catalog)?;
    let digest = FileDigest::of_file(
        path,
        source.text.len() as u64,
        crate::manifest::sha256_hex(source.text.as_bytes()),
    );
    Ok((policy, digest))
}

/// Loads the templates: the built-in ones, each shadowed by a `.md` or `.html` file of the same
/// name in `dir`. Returns, for each file of `dir` that shadows a built-in one, its path
/// and digest (for the manifest and the check that no output replaces it).
pub fn load_templates_with_files(
    dir: Option<&Path>,
) -> Result<(Templates, Vec<(PathBuf, FileDigest)>)> {
    let mut templates = Templates::builtin();
    let Some(dir) = dir else {
        return Ok((templates, Vec::new()));
    };
    let entries = fs::read_dir(dir).with_context(|| format!("--templates {}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if path.is_file() && (name.ends_with(".md") || name.ends_with(".html")) {
            names.push((name.to_owned(), path.clone()));
        }
    }
    if names.is_empty() {
        bail!(
            "--templates {}: no .md or .html template there (the built-in ones are {})",
            dir.display(),
            Templates::BUILTIN_NAMES.join(", ")
        );
    }
    names.sort();
    let mut files = Vec::new();
    for (name, path) in names {
        let text = fs::read_to_string(&path)
            .with_context(|| format!("reading template {}", path.display()))?;
        let digest = FileDigest::of_file(
            &path,
            text.len() as u64,
            crate::manifest::sha256_hex(text.as_bytes()),
        );
        templates.shadow(&name, &path.display().to_string(), text);
        files.push((path, digest));
    }
    Ok((templates, files))
}

/// An input, opened once.
pub enum Opened {
    /// A Parquet file (it starts with `PAR1`, whatever its name): read from its footer, with
    /// random access, not streamed.
    Parquet(File),
    /// Anything else, to stream with [`stream_input`]: standard input, or a file with the bytes
    /// read to tell its kind given back in front; with a regular file, a second handle to it
    /// (for its digest's reads at positions) and its state when opened.
    Stream(Box<dyn Read>, Option<(File, FileState)>),
}

/// Opens an input once (`-` is standard input) and tells a Parquet file from one to stream.
/// The file is opened a single time: a named pipe or a process substitution (`<(zcat …)`) can
/// be neither reopened nor rewound, so the bytes read to tell its kind are put back in front.
pub fn open(path: &Path) -> Result<Opened> {
    if path.as_os_str() == "-" {
        return Ok(Opened::Stream(Box::new(io::stdin()), None));
    }
    if path.is_dir() {
        bail!("{}: is a directory, not an inventory file", path.display());
    }
    let mut file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut head = Vec::with_capacity(4);
    (&mut file)
        .take(4)
        .read_to_end(&mut head)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if srmatrix_import::is_parquet(&head) {
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            bail!(
                "{}: a Parquet file through a pipe: Parquet is read from its footer, with random access; give the .parquet file itself",
                path.display()
            );
        }
        return Ok(Opened::Parquet(file));
    }
    let again = FileState::of(&file).and_then(|state| Some((file.try_clone().ok()?, state)));
    Ok(Opened::Stream(
        Box::new(io::Cursor::new(head).chain(file)),
        again,
    ))
}

/// Opens an input for streaming, Parquet too (from its start, as standard input would give it);
/// `-` is standard input. See [`stream_input`].
#[cfg(test)]
pub fn open_input<'a>(
    path: &Path,
    on_read: impl FnMut(usize) + 'a,
) -> Result<(Box<dyn Read + 'a>, StreamDigest)> {
    use std::io::Seek as _;
    let digest = StreamDigest::default();
    let reader = match open(path)? {
        Opened::Stream(raw, _) => stream_input(path, raw, on_read, digest.clone())?,
        Opened::Parquet(mut file) => {
            file.rewind()?;
            stream_input(path, Box::new(file), on_read, digest.clone())?
        }
    };
    Ok((reader, digest))
}

/// Streams an input opened by [`open`]. Gzip input (by its magic bytes, not its name) is
/// decompressed on the fly. `digest` hashes the file's bytes as they are read (those in its
/// window); `on_read` hears how many bytes of the file each read took.
pub fn stream_input<'a>(
    path: &Path,
    raw: Box<dyn Read>,
    on_read: impl FnMut(usize) + 'a,
    digest: StreamDigest,
) -> Result<Box<dyn Read + 'a>> {
    let reader: Box<dyn BufRead + 'a> = Box::new(BufReader::with_capacity(
        1 << 16,
        Digesting::new(raw, digest, on_read),
    ));
    let (head, reader) =
        peek(reader, HEAD_BYTES).with_context(|| format!("{}: cannot read", path.display()))?;
    refuse_unreadable_format(path, &head, false)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let inner: Box<dyn BufRead + 'a> = Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(reader),
        ));
        // What the gzip stream holds is checked too (`.tar.gz`, a gzipped Parquet file); a
        // corrupt stream is left for the reader to report with its line.
        let (head, inner) = match peek_lenient(inner, HEAD_BYTES) {
            (Some(head), inner) => (head, inner),
            (None, inner) => return Ok(inner),
        };
        refuse_unreadable_format(path, &head, true)?;
        return Ok(inner);
    }
    Ok(reader)
}

/// How many leading bytes the format check looks at (a tar header's magic is at 257).
const HEAD_BYTES: usize = 512;

/// The first `n` bytes of `reader` (however short its reads come, as from a pipe), and a reader
/// that yields them again, then the rest.
fn peek<'a>(
    mut reader: Box<dyn BufRead + 'a>,
    n: usize,
) -> io::Result<(Vec<u8>, Box<dyn BufRead + 'a>)> {
    let mut head = Vec::with_capacity(n);
    (&mut reader).take(n as u64).read_to_end(&mut head)?;
    let again: Box<dyn BufRead + 'a> = Box::new(io::Cursor::new(head.clone()).chain(reader));
    Ok((head, again))
}

/// [`peek`], but a read error gives `None` and a reader that repeats what was read, so that the
/// error surfaces again where it is reported properly.
fn peek_lenient<'a>(
    mut reader: Box<dyn BufRead + 'a>,
    n: usize,
) -> (Option<Vec<u8>>, Box<dyn BufRead + 'a>) {
    let mut head = Vec::with_capacity(n);
    let ok = (&mut reader).take(n as u64).read_to_end(&mut head).is_ok();
    let again: Box<dyn BufRead + 'a> = Box::new(io::Cursor::new(head.clone()).chain(reader));
    (ok.then_some(head), again)
}

/// File formats that are recognised by their first bytes and that srmatrix does not read, with
/// what to do instead.
const UNREADABLE_FORMATS: [(&[u8], &str, &str); 7] = [
    (
        b"PAR1",
        "an Apache Parquet file",
        "srmatrix reads Parquet from a file, not from standard input or a gzip stream (Parquet compresses inside the file): give the .parquet file itself",
    ),
    (
        b"PK\x03\x04",
        "a ZIP archive",
        "extract it and give the CSV files inside",
    ),
    (
        b"PK\x05\x06",
        "an empty ZIP archive",
        "extract it and give the CSV files inside",
    ),
    (
        b"BZh",
        "bzip2-compressed",
        "decompress it (bunzip2) or recompress it with gzip",
    ),
    (
        b"\x28\xb5\x2f\xfd",
        "Zstandard-compressed",
        "decompress it (zstd -d) or recompress it with gzip",
    ),
    (
        b"\xfd7zXZ\x00",
        "xz-compressed",
        "decompress it (xz -d) or recompress it with gzip",
    ),
    (
        b"7z\xbc\xaf\x27\x1c",
        "a 7-Zip archive",
        "extract it and give the CSV files inside",
    ),
];

/// Fails, naming the format, when `head` starts like a file srmatrix cannot read (instead of
/// reading binary bytes as CSV and echoing them in a UTF-8 error). `inside_gzip`: `head` is the
/// start of a gzip stream's content.
fn refuse_unreadable_format(path: &Path, head: &[u8], inside_gzip: bool) -> Result<()> {
    let tar = head.get(257..262) == Some(b"ustar".as_slice());
    let found = UNREADABLE_FORMATS
        .iter()
        .find(|(magic, _, _)| head.starts_with(magic))
        .map(|&(_, what, instead)| (what, instead))
        .or(tar.then_some(("a tar archive", "extract it and give the CSV files inside")));
    if let Some((what, instead)) = found {
        let container = if inside_gzip { " inside gzip" } else { "" };
        bail!(
            "{}:1:1: this is {what}{container}, which srmatrix does not read: {instead}",
            crate::manifest::path_text(path.as_os_str())
        );
    }
    Ok(())
}

/// Writes `bytes` to `dir/name` atomically: a temporary file in `dir`, then a rename, so that a
/// reader never sees a half-written file.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let mut file = ReportFile::create(dir, name)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", dir.join(name).display()))?;
    Ok(file.commit(dir, name)?.0)
}

/// An output file being written: a temporary file in the output directory, hashed as it is
/// written. [`ReportFile::commit`] renames it into place; dropped uncommitted, it is removed.
pub struct ReportFile {
    tmp: tempfile::NamedTempFile,
    sha256: Sha256,
    bytes: u64,
}

impl ReportFile {
    /// Starts `dir/name` as a hidden temporary file in `dir`.
    pub fn create(dir: &Path, name: &str) -> io::Result<ReportFile> {
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        Ok(ReportFile {
            tmp,
            sha256: Sha256::new(),
            bytes: 0,
        })
    }

    /// Flushes the file and syncs it to disk.
    pub fn sync(&mut self) -> io::Result<()> {
        self.tmp.flush()?;
        self.tmp.as_file().sync_all()
    }

    /// Flushes the file and asks the kernel to start writing it to disk, without waiting for it
    /// (`posix_fadvise(DONTNEED)` starts the writeback of dirty pages on Linux): the rendering
    /// thread goes on with the next document, and `commit`'s sync later finds the file mostly
    /// written. Syncing here instead kept the rendering threads waiting 30-50 ms on the CUR's
    /// report (docs/performance.md, "2026-12-07, afternoon").
    pub fn start_writeback(&mut self) -> io::Result<()> {
        self.tmp.flush()?;
        #[cfg(target_os = "linux")]
        {
            let _ = rustix::fs::fadvise(self.tmp.as_file(), 0, None, rustix::fs::Advice::DontNeed);
        }
        Ok(())
    }

    /// Syncs the file to disk and renames it to `dir/name`: returns that path and the file's
    /// digest for the manifest.
    pub fn commit(self, dir: &Path, name: &str) -> Result<(PathBuf, FileDigest)> {
        let target = dir.join(name);
        let mut file = self;
        file.sync()
            .with_context(|| format!("writing {}", target.display()))?;
        let ReportFile {
            tmp, sha256, bytes, ..
        } = file;
        // A temporary file is private (0600); a report is a normal file, readable like any other
        // output. (In a report run `dir` is the fresh staging directory, so every output gets
        // 0644; `write_atomic` elsewhere keeps the mode of a file it replaces.)
        #[cfg(unix)]
        {
            let mode = fs::metadata(&target)
                .map(|m| m.permissions())
                .unwrap_or_else(|_| default_permissions());
            tmp.as_file()
                .set_permissions(mode)
                .with_context(|| format!("setting permissions of {}", target.display()))?;
        }
        tmp.persist(&target)
            .with_context(|| format!("replacing {}", target.display()))?;
        let digest = FileDigest {
            path: name.to_owned(),
            absolute: None,
            absolute_hex: None,
            bytes,
            sha256: crate::manifest::hex(&sha256.finalize()),
        };
        Ok((target, digest))
    }
}

impl Write for ReportFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.tmp.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        self.sha256.update(written);
        self.bytes += written.len() as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// The directories of `dir` and its ancestors that do not exist yet, deepest first: what
/// creating `dir` would make.
pub fn missing_dirs(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect()
}

/// Removes `dirs` (deepest first) while they are empty: undoes the creation of what
/// [`missing_dirs`] listed after a failed run. A directory that is not empty stays.
pub fn remove_empty_dirs(dirs: &[PathBuf]) {
    for d in dirs {
        if fs::remove_dir(d).is_err() {
            break;
        }
    }
}

/// The output directory as the renderer's [`srmatrix_render::Output`]: every document goes to a
/// [`ReportFile`] in it (the directory is created when the first document is).
pub struct ReportDir<'a>(pub &'a Path);

impl srmatrix_render::Output for ReportDir<'_> {
    type Writer = ReportFile;

    fn create(&self, file_name: &'static str) -> io::Result<ReportFile> {
        fs::create_dir_all(self.0)?;
        ReportFile::create(self.0, file_name)
    }

    fn scratch_dir(&self) -> Option<&Path> {
        Some(self.0)
    }

    fn finished(&self, file: &mut ReportFile) -> io::Result<()> {
        file.start_writeback()
    }
}

#[cfg(unix)]
fn default_permissions() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o644)
}

/// Refuses, as bad usage and before anything is written, an output directory entry that this run
/// would replace or remove (`names`: the files it writes, the manifest, and the outputs of the
/// set there before) when it is also a file the run reads (`reads`: what it is, and its path),
/// compared after resolving symlinks.
pub fn refuse_clashes(out: &Path, names: &[String], reads: &[(&str, PathBuf)]) -> Result<()> {
    let reads: Vec<(&str, &PathBuf, PathBuf)> = reads
        .iter()
        .filter(|(_, p)| p.as_os_str() != "-")
        .filter_map(|(what, p)| fs::canonicalize(p).ok().map(|c| (*what, p, c)))
        .collect();
    for name in names {
        let Ok(output) = fs::canonicalize(out.join(name)) else {
            continue;
        };
        if let Some((what, given, _)) = reads.iter().find(|(_, _, c)| *c == output) {
            return Err(crate::cmd::UsageError::new(format!(
                "refusing to replace {}: it is also the {what} {}; choose another --out directory",
                crate::term::path(&out.join(name)),
                crate::term::path(given)
            ))
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document whose writeback was started when it was finished (as rendering threads do)
    /// is still written whole, hashed as written, and renamed into place at commit.
    #[test]
    fn a_document_written_back_early_commits_whole() {
        use srmatrix_render::Output as _;
        let dir = tempfile::tempdir().unwrap();
        let out = ReportDir(dir.path());
        let mut file = out.create("report.csv").unwrap();
        let text = b"service,owner\n".repeat(50_000);
        file.write_all(&text[..text.len() / 2]).unwrap();
        out.finished(&mut file).unwrap();
        file.write_all(&text[text.len() / 2..]).unwrap();
        out.finished(&mut file).unwrap();
        let (path, digest) = file.commit(dir.path(), "report.csv").unwrap();
        assert_eq!(fs::read(&path).unwrap(), text);
        assert_eq!(digest.bytes, text.len() as u64);
        assert_eq!(digest.sha256, crate::manifest::sha256_hex(&text));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "a.txt", b"one").unwrap();
        write_atomic(dir.path(), "a.txt", b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("a.txt")).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.txt"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("a.txt"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o777,
                0o644,
                "a report is not private like a temporary file"
            );
        }
    }

    #[test]
    fn gzip_is_read_transparently() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inv.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"service\ns3\n").unwrap();
        fs::write(&path, gz.finish().unwrap()).unwrap();
        let mut text = String::new();
        let (mut reader, digest) = open_input(&path, |_| {}).unwrap();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "service\ns3\n");
        let (hex, bytes) = digest.finish();
        assert_eq!(
            bytes,
            fs::metadata(&path).unwrap().len(),
            "the compressed bytes are hashed"
        );
        assert_eq!(hex.len(), 64);
        fs::write(&path, b"abc").unwrap();
        let (mut reader, digest) = open_input(&path, |_| {}).unwrap();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(
            digest.finish().0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "SHA-256 of abc"
        );
    }

    #[test]
    fn replacing_an_input_is_refused_even_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("report.csv");
        fs::write(&input, "service\n").unwrap();
        let names = ["report.csv".to_owned(), "report.md".to_owned()];
        let err = refuse_clashes(dir.path(), &names, &[("input", input.clone())]).unwrap_err();
        assert!(err.to_string().contains("it is also the input"), "{err}");
        assert!(err.downcast_ref::<crate::cmd::UsageError>().is_some());
        refuse_clashes(dir.path(), &names[1..], &[("input", input.clone())]).unwrap();
        #[cfg(unix)]
        {
            let elsewhere = tempfile::tempdir().unwrap();
            let link = elsewhere.path().join("inventory.csv");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            let err = refuse_clashes(dir.path(), &names, &[("policy", link)]).unwrap_err();
            assert!(err.to_string().contains("the policy"), "{err}");
        }
    }

    #[test]
    fn the_format_check_sees_the_head_however_short_the_reads() {
        /// A reader that gives one byte per read, as a slow pipe can.
        struct OneByte(std::io::Cursor<Vec<u8>>);
        impl Read for OneByte {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(1);
                self.0.read(&mut buf[..n])
            }
        }
        let mut tar = vec![b'x'; 600];
        tar[257..262].copy_from_slice(b"ustar");
        let reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(
            1,
            OneByte(io::Cursor::new(tar.clone())),
        ));
        let (head, mut again) = peek(reader, HEAD_BYTES).unwrap();
        assert_eq!(head.len(), HEAD_BYTES);
        let err = refuse_unreadable_format(Path::new("x.csv"), &head, false).unwrap_err();
        assert!(err.to_string().contains("tar archive"), "{err}");
        let mut all = Vec::new();
        again.read_to_end(&mut all).unwrap();
        assert_eq!(all, tar, "every byte is read once, in order");
    }

    #[test]
    fn formats_srmatrix_cannot_read_are_named() {
        let dir = tempfile::tempdir().unwrap();
        for (bytes, want) in [
            (b"PAR1\x15\x04".as_slice(), "Apache Parquet"),
            (b"PK\x03\x04\x14\x00", "ZIP archive"),
            (b"BZh91AY&SY", "bzip2"),
            (b"\x28\xb5\x2f\xfd\x00", "Zstandard"),
            (b"\xfd7zXZ\x00\x00", "xz"),
        ] {
            let path = dir.path().join("export.csv");
            fs::write(&path, bytes).unwrap();
            let err = open_input(&path, |_| {}).err().unwrap().to_string();
            assert!(err.contains(want) && err.contains(":1:1:"), "{err}");
            assert!(!err.contains("UTF-8"), "{err}");
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"PAR1\x15\x04 rest of a parquet file")
            .unwrap();
        let path = dir.path().join("export.parquet.gz");
        fs::write(&path, gz.finish().unwrap()).unwrap();
        let err = open_input(&path, |_| {}).err().unwrap().to_string();
        assert!(err.contains("Apache Parquet file inside gzip"), "{err}");
        fs::write(&path, b"service\nPAR1\n").unwrap();
        assert!(
            open_input(&path, |_| {}).is_ok(),
            "only the first bytes count"
        );
    }
}
