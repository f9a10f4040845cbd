//! `srmatrix verify`: recompute the hashes a report run recorded and say, file by file, whether
//! the evidence is intact.
//!
//! Nothing in the manifest is trusted: output entries must be plain file names inside the
//! directory, only regular files are read, an unknown manifest version or an empty output list is
//! "not intact", and a file in the directory that the manifest does not list is reported.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use crate::manifest::{self, Check, FileDigest, Manifest};
use crate::term::{escape, outln};

/// Arguments of `srmatrix verify`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix verify outputs/\n  srmatrix verify evidence/2026-Q3 --inputs-optional\n\nExit codes: 0 intact, 1 something was modified, is missing, is not listed, or the manifest cannot be trusted."
)]
pub struct Args {
    /// The report directory holding manifest.json.
    dir: PathBuf,
    /// Do not fail when an input, catalog, policy, template or baseline file is missing (inputs
    /// often stay where they were read); a modified one still fails.
    #[arg(long)]
    inputs_optional: bool,
    /// Do not fail on files in the directory that the manifest does not list (they are still
    /// reported; hidden ones, such as `.gitkeep`, never fail).
    #[arg(long)]
    allow_unlisted: bool,
}

/// The tally of a verification.
struct Verdict {
    failed: usize,
    quiet: bool,
}

impl Verdict {
    /// One line per file; failures count. With `--quiet` only failures are shown.
    fn line(&mut self, kind: &str, word: &str, path: &Path, fails: bool) -> Result<()> {
        if fails {
            self.failed += 1;
        }
        if fails || !self.quiet {
            outln!("  {kind:<8} {word:<22} {}", crate::term::path(path))?;
        }
        Ok(())
    }
}

/// Runs `srmatrix verify`.
pub fn run(args: Args) -> Result<ExitCode> {
    let quiet = crate::term::quiet();
    let manifest_path = args.dir.join(manifest::MANIFEST_FILE);
    let m = match manifest::read(&args.dir) {
        Ok(m) => m,
        Err(e) if manifest_path.exists() => {
            outln!("NOT INTACT: {}", escape(&format!("{e:#}")))?;
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e),
    };
    if !quiet {
        outln!(
            "{} ({}, generated at {})",
            crate::term::path(&manifest_path),
            escape(&m.tool),
            escape(&m.generated_at)
        )?;
    }
    let mut v = Verdict { failed: 0, quiet };
    let problems = m.problems();
    for p in &problems {
        outln!("  manifest UNTRUSTED              {p}")?;
        v.failed += 1;
    }
    check_outputs(&m, &args, &mut v)?;
    let dir_parent = fs::canonicalize(&args.dir)
        .ok()
        .and_then(|d| d.parent().map(Path::to_path_buf));
    for input in &m.inputs {
        if input.file.path == "-" {
            if !quiet {
                outln!("  input    standard input (not checked)")?;
            }
            continue;
        }
        check_read_file("input", &input.file, &args, dir_parent.as_deref(), &mut v)?;
    }
    let others = m
        .catalog_files
        .iter()
        .filter(|f| !f.path.starts_with("builtin:"))
        .map(|f| ("catalog", f))
        .chain(m.policy.iter().map(|f| ("policy", f)))
        .chain(m.templates.iter().map(|f| ("template", f)))
        .chain(m.baseline.iter().map(|f| ("baseline", f)));
    for (kind, f) in others {
        check_read_file(kind, f, &args, dir_parent.as_deref(), &mut v)?;
    }
    if v.failed == 0 {
        if !quiet {
            outln!("intact: every file matches its recorded SHA-256")?;
        }
        Ok(ExitCode::SUCCESS)
    } else {
        outln!(
            "NOT INTACT: {} problem(s): files modified, missing, not regular files or not listed, or a manifest that cannot be trusted",
            v.failed
        )?;
        Ok(ExitCode::from(1))
    }
}

/// Checks every listed output (plain names only, regular files only, no symlinks) and reports
/// every entry of the directory the manifest does not list.
fn check_outputs(m: &Manifest, args: &Args, v: &mut Verdict) -> Result<()> {
    let mut listed = BTreeSet::new();
    for out in &m.outputs {
        if !manifest::is_plain_name(&out.path) {
            continue;
        }
        listed.insert(std::ffi::OsString::from(&out.path));
        let path = args.dir.join(&out.path);
        let check = manifest::check_file(&path, out, false);
        v.line("output", word(check), &path, check != Check::Intact)?;
    }
    let mut unlisted: Vec<PathBuf> = fs::read_dir(&args.dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name() != manifest::MANIFEST_FILE)
                .filter(|e| !listed.contains(&e.file_name()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    unlisted.sort();
    for path in unlisted {
        // Hidden entries (`.gitkeep`, `.DS_Store`) are shown but do not fail: srmatrix never
        // writes one, and tools leave them in any directory.
        let hidden = path
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."));
        if hidden {
            v.line("extra", "hidden, not in manifest", &path, false)?;
        } else {
            v.line("extra", "NOT IN MANIFEST", &path, !args.allow_unlisted)?;
        }
    }
    Ok(())
}

/// Checks a file the run read. It is looked for where it was (the absolute path recorded),
/// then, if it is not there, as given from the working directory, from the report directory's
/// parent and from the report directory: found intact elsewhere, it is reported as moved.
fn check_read_file(
    kind: &str,
    f: &FileDigest,
    args: &Args,
    dir_parent: Option<&Path>,
    v: &mut Verdict,
) -> Result<()> {
    let fatal_if_missing = !args.inputs_optional;
    let given = PathBuf::from(&f.path);
    let recorded = f.absolute_path();
    if let Some(abs) = &recorded {
        let check = manifest::check_file(abs, f, true);
        if check != Check::Missing {
            return v.line(kind, word(check), abs, check != Check::Intact);
        }
    }
    let mut candidates = vec![given.clone()];
    if given.is_relative() {
        candidates.extend(dir_parent.map(|p| p.join(&given)));
        candidates.push(args.dir.join(&given));
        if let Some(name) = given.file_name() {
            candidates.push(args.dir.join(name));
        }
    }
    let mut seen_other = None;
    for candidate in &candidates {
        match manifest::check_file(candidate, f, true) {
            Check::Intact => {
                if recorded.is_none() {
                    return v.line(kind, "ok", candidate, false);
                }
                let word = "moved (intact)";
                v.line(kind, word, candidate, false)?;
                if !v.quiet
                    && let Some(abs) = &recorded
                {
                    outln!("  {:<8} {:<22} was {}", "", "", crate::term::path(abs))?;
                }
                return Ok(());
            }
            Check::Missing => {}
            other => {
                seen_other.get_or_insert((other, candidate.clone()));
            }
        }
    }
    match seen_other {
        // Not where it was, and what is found in its other places is not it: modified (or not
        // a regular file), whatever --inputs-optional says.
        Some((check, path)) => v.line(kind, word(check), &path, true),
        None => {
            let shown_path = recorded.as_ref().unwrap_or(&given);
            if fatal_if_missing {
                v.line(kind, "MISSING", shown_path, true)
            } else {
                v.line(kind, "missing (not checked)", shown_path, false)
            }
        }
    }
}

fn word(check: Check) -> &'static str {
    match check {
        Check::Intact => "ok",
        Check::Modified => "MODIFIED",
        Check::Missing => "MISSING",
        Check::NotAFile => "NOT A REGULAR FILE",
    }
}
