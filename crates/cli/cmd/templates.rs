//! `srmatrix templates`: export the built-in templates for customisation.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use srmatrix_render::Templates;

use crate::files;
use crate::term::outln;

/// Arguments of `srmatrix templates`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix templates export my-templates/\n  srmatrix report --inventory inventory.csv --templates my-templates/"
)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Write the built-in templates into DIR (created if missing); never overwrites a file.
    Export {
        /// Directory to write to.
        dir: PathBuf,
    },
}

/// Runs `srmatrix templates`.
pub fn run(args: Args) -> Result<ExitCode> {
    let What::Export { dir } = args.what;
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let sources = Templates::builtin_sources();
    let existing: Vec<String> = sources
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        bail!(
            "not overwriting {}; remove them or choose another directory",
            existing.join(", ")
        );
    }
    for (name, text) in sources {
        let path = files::write_atomic(&dir, name, text.as_bytes())?;
        outln!("wrote {}", path.display())?;
    }
    outln!(
        "edit them, then: srmatrix report --templates {} ...",
        dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
