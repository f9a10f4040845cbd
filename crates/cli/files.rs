//! File I/O of the binary: catalog and template directories, inputs, atomic output.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use srmatrix_model::{Catalog, CatalogSources};
use srmatrix_render::Templates;

/// Loads the catalog: the built-in files, each replaced by the file of the same name in `dir`.
pub fn load_catalog(dir: Option<&Path>) -> Result<Catalog> {
    let mut sources = CatalogSources::builtin();
    if let Some(dir) = dir {
        if !dir.is_dir() {
            bail!("--catalog {}: not a directory", dir.display());
        }
        let mut found = 0;
        for name in CatalogSources::FILE_NAMES {
            let path = dir.join(name);
            if path.is_file() {
                let text = fs::read_to_string(&path)
                    .with_context(|| format!("reading catalog file {}", path.display()))?;
                if let Some(slot) = sources.slot_mut(name) {
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
                CatalogSources::FILE_NAMES.join(", ")
            );
        }
    }
    Ok(Catalog::load(&sources)?)
}

/// Loads the templates: the built-in ones, each shadowed by a `.md` or `.html` file of the same
/// name in `dir`.
pub fn load_templates(dir: Option<&Path>) -> Result<Templates> {
    let mut templates = Templates::builtin();
    let Some(dir) = dir else {
        return Ok(templates);
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
    for (name, path) in names {
        let text = fs::read_to_string(&path)
            .with_context(|| format!("reading template {}", path.display()))?;
        templates.shadow(&name, &path.display().to_string(), text);
    }
    Ok(templates)
}

/// Opens an input for streaming; `-` is standard input.
pub fn open_input(path: &Path) -> Result<Box<dyn Read>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    if path.is_dir() {
        bail!("{}: is a directory, not an inventory file", path.display());
    }
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
}

/// Writes `bytes` to `dir/name` atomically: a temporary file in `dir`, then a rename, so that a
/// reader never sees a half-written file.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let target = dir.join(name);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", target.display()))?;
    tmp.persist(&target)
        .with_context(|| format!("replacing {}", target.display()))?;
    Ok(target)
}

/// Fails when an output file would overwrite one of the inputs.
pub fn refuse_overwriting_inputs(outputs: &[PathBuf], inputs: &[PathBuf]) -> Result<()> {
    let canon = |p: &Path| fs::canonicalize(p).ok();
    for out in outputs {
        let Some(out_c) = canon(out) else { continue };
        for input in inputs {
            if canon(input).as_ref() == Some(&out_c) {
                bail!(
                    "refusing to write {}: it is also an input; choose another --out directory",
                    out.display()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn overwriting_an_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("report.csv");
        fs::write(&input, "service\n").unwrap();
        let err = refuse_overwriting_inputs(
            &[dir.path().join("report.csv")],
            std::slice::from_ref(&input),
        )
        .unwrap_err();
        assert!(err.to_string().contains("it is also an input"));
        refuse_overwriting_inputs(&[dir.path().join("report.md")], &[input]).unwrap();
    }
}
