//! `srmatrix completions`: a shell completion script, generated from the command line definition.

use std::process::ExitCode;

use anyhow::Result;

/// Arguments of `srmatrix completions`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix completions bash > ~/.local/share/bash-completion/completions/srmatrix\n  srmatrix completions zsh > \"${fpath[1]}/_srmatrix\"\n  srmatrix completions fish > ~/.config/fish/completions/srmatrix.fish"
)]
pub struct Args {
    /// The shell to complete for.
    shell: clap_complete::Shell,
}

/// Runs `srmatrix completions`: writes the script to standard output.
pub fn run(args: Args) -> Result<ExitCode> {
    let mut command = crate::cli_command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "srmatrix", &mut script);
    crate::term::out(format_args!("{}", String::from_utf8_lossy(&script)))?;
    Ok(ExitCode::SUCCESS)
}
