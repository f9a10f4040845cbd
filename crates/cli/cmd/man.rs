//! `srmatrix man`: manual pages (roff), generated from the command line definition.

use std::process::ExitCode;

use anyhow::Result;

use super::UsageError;

/// Arguments of `srmatrix man`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix man > srmatrix.1 && man ./srmatrix.1\n  srmatrix man report > srmatrix-report.1\n  srmatrix man | gzip > /usr/local/share/man/man1/srmatrix.1.gz"
)]
pub struct Args {
    /// The subcommand whose page to write (`srmatrix-SUBCOMMAND(1)`); default: `srmatrix(1)`.
    subcommand: Option<String>,
}

/// Runs `srmatrix man`: writes the page to standard output.
pub fn run(args: Args) -> Result<ExitCode> {
    let command = crate::cli_command();
    let command = match &args.subcommand {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name) else {
                let names: Vec<&str> = command.get_subcommands().map(|s| s.get_name()).collect();
                return Err(UsageError::new(format!(
                    "man {name}: no such subcommand (subcommands: {})",
                    names.join(", ")
                ))
                .into());
            };
            let full = format!("srmatrix-{}", sub.get_name());
            sub.clone()
                .name(full.clone())
                .display_name(full)
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    crate::term::out(format_args!("{}", String::from_utf8_lossy(&page)))?;
    Ok(ExitCode::SUCCESS)
}
