//! `srmatrix init`: write a commented starter organisation policy.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::files;
use crate::term::outln;

/// Arguments of `srmatrix init`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix init\n  srmatrix init --policy governance/srmatrix.toml\n  srmatrix policy check"
)]
pub struct Args {
    /// Where to write the policy; never overwrites an existing file.
    #[arg(long, default_value = files::POLICY_FILE, value_name = "FILE")]
    policy: PathBuf,
}

/// Runs `srmatrix init`.
pub fn run(args: Args) -> Result<ExitCode> {
    if args.policy.exists() {
        bail!("{} exists; not overwriting it", args.policy.display());
    }
    let dir = match args.policy.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = args
        .policy
        .file_name()
        .and_then(|n| n.to_str())
        .context("--policy must name a file")?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    std::io::Write::write_all(&mut tmp, srmatrix_model::policy::STARTER.as_bytes())?;
    tmp.persist_noclobber(dir.join(name))
        .map_err(|e| anyhow::anyhow!("{}: {}", args.policy.display(), e.error))?;
    outln!(
        "wrote {}; edit it, then: srmatrix policy check",
        args.policy.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
