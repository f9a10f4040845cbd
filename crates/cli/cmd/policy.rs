//! `srmatrix policy check`: validate an organisation policy against the catalog.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::files;
use crate::term::{errln, outln};

/// Arguments of `srmatrix policy`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix policy check\n  srmatrix policy check --policy governance/srmatrix.toml"
)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Validate the policy; every problem is named with its line; exit 1 when it has problems.
    Check {
        /// The policy; default: srmatrix.toml in the working directory.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Directory whose catalog files replace the built-in ones by name.
        #[arg(long, value_name = "DIR")]
        catalog: Option<PathBuf>,
    },
}

/// Runs `srmatrix policy`.
pub fn run(args: Args) -> Result<ExitCode> {
    let What::Check { policy, catalog } = args.what;
    let Some(path) = files::policy_path(policy.as_deref()) else {
        bail!(
            "no {} here and no --policy given (srmatrix init writes a starter)",
            files::POLICY_FILE
        );
    };
    let catalog = files::load_catalog(catalog.as_deref())?;
    match files::load_policy(&path, &catalog) {
        Ok((p, _)) => {
            outln!(
                "{}: ok ({} assignment(s), {} inherited, {} out of scope, {} exception(s){})",
                path.display(),
                p.assignments.len(),
                p.inherited.len(),
                p.out_of_scope.len(),
                p.exceptions.len(),
                if p.scope.is_filtering() {
                    ", scope filters set"
                } else {
                    ""
                }
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            errln!("{}", crate::term::escape(&format!("{e:#}")));
            errln!("policy check failed");
            Ok(ExitCode::from(1))
        }
    }
}
