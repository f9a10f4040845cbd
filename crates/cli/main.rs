//! `srmatrix`: maps an AWS inventory to the AWS Shared Responsibility Model and renders
//! responsibility-assignment reports.
//!
//! The binary only wires the libraries together and does the I/O: it reads inputs, the catalog
//! and templates from disk, hands them to `srmatrix-import`, `srmatrix-model` and
//! `srmatrix-render`, and writes the output directory as one evidence set ([`evidence_set`]).
//!
//! Nothing here prints with `print!`/`eprintln!` (they panic on a closed stream): see [`term`].

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cmd;
mod digest;
mod evidence_set;
mod files;
mod inputs;
mod manifest;
mod term;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

use crate::term::errln;

/// Exit code for a failed run (bad input, unreadable file, invalid catalog).
const EXIT_ERROR: u8 = 1;

/// Exit code for bad usage (as clap exits on a command-line error).
const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "srmatrix",
    version,
    about = "AWS Shared Responsibility Model reports from your AWS inventory",
    long_about = "srmatrix reads CSV inventories of AWS usage, maps every service to the AWS Shared \
Responsibility Model, and writes responsibility-assignment reports: who owns each control (AWS, \
Shared, Customer), what the customer must do, which team carries it, and what evidence proves it. \
Output formats (report --format): md (report.md), html (report.html), csv (report.csv with \
findings.csv, team-actions.csv, crosswalk.csv, registers.csv, the FedRAMP CRM/CIS, CSA CCM SSRM \
and SOC 2 CSOC/CUEC views crm.csv, cis.csv, ccm-ssrm.csv, soc2-csoc-cuec.csv, and changes.csv \
with --baseline), json (report.json), xlsx \
(report.xlsx), oscal (report.oscal.json); every run also writes manifest.json, which `srmatrix \
verify` checks.",
    after_help = "Examples:\n  srmatrix report --inventory inputs/inventory.csv --out outputs\n  srmatrix inspect cur-2026-09.csv.gz\n  srmatrix verify outputs\n  srmatrix explain s3\n  srmatrix catalog services --format csv\n  srmatrix completions bash\n\nExit codes: 0 success, 1 error (bad input, unreadable file, invalid catalog), 2 bad usage."
)]
struct Cli {
    /// Only errors on standard error: no progress bar, no `wrote ...` lines, no notes.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// The command line definition, for generated completions and manual pages.
pub fn cli_command() -> clap::Command {
    Cli::command()
}

#[derive(Subcommand)]
enum Command {
    /// Assess inventories and write the reports.
    Report(Box<cmd::report::Args>),
    /// Show the responsibilities for one service.
    Explain(cmd::explain::Args),
    /// List or check the catalog.
    Catalog(cmd::catalog::Args),
    /// Show how inventory files are read: format, columns and import summary, without a report.
    Inspect(cmd::inspect::Args),
    /// Work with the report templates.
    Templates(cmd::templates::Args),
    /// Check that a report directory's files still match the hashes in its manifest.json.
    Verify(cmd::verify::Args),
    /// Show what changed between two JSON reports (services, ownership, teams, findings).
    Diff(cmd::diff::Args),
    /// Write a commented starter organisation policy (srmatrix.toml).
    Init(cmd::init::Args),
    /// Check the organisation policy.
    Policy(cmd::policy::Args),
    /// Write a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cmd::completions::Args),
    /// Write the manual page of srmatrix or of one subcommand (roff).
    Man(cmd::man::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    term::set_quiet(cli.quiet);
    // The `parquet` crate asserts on some corrupt pages; the importer turns such a panic into an
    // error that names the file, row group and column, so it is not printed as a crash.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !srmatrix_import::parquet::in_upstream_reader() {
            default_hook(info);
        }
    }));
    let result = match cli.command {
        Command::Report(args) => cmd::report::run(*args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Catalog(args) => cmd::catalog::run(args),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Templates(args) => cmd::templates::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Init(args) => cmd::init::run(args),
        Command::Policy(args) => cmd::policy::run(args),
        Command::Completions(args) => cmd::completions::run(args),
        Command::Man(args) => cmd::man::run(args),
    };
    let result = result.and_then(|code| term::flush_out().map(|()| code).map_err(Into::into));
    match result {
        Ok(code) => code,
        // The reader of standard output went away (`srmatrix inspect big.csv | head`): what it
        // wanted it has; end quietly, as ripgrep does.
        Err(e) if term::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Messages quote values from inputs: shown escaped, never as raw control characters.
            errln!("srmatrix: error: {}", term::escape(&format!("{e:#}")));
            if e.downcast_ref::<cmd::UsageError>().is_some() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::from(EXIT_ERROR)
            }
        }
    }
}
