//! `srmatrix`: maps an AWS inventory to the AWS Shared Responsibility Model and renders
//! responsibility-assignment reports.
//!
//! The binary only wires the libraries together and does the I/O: it reads inputs, the catalog
//! and templates from disk, hands them to `srmatrix-import`, `srmatrix-model` and
//! `srmatrix-render`, and writes the documents atomically.

mod cmd;
mod files;
mod inputs;
mod manifest;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a failed run (bad input, unreadable file, invalid catalog).
const EXIT_ERROR: u8 = 1;

#[derive(Parser)]
#[command(
    name = "srmatrix",
    version,
    about = "AWS Shared Responsibility Model reports from your AWS inventory",
    long_about = "srmatrix reads CSV inventories of AWS usage, maps every service to the AWS Shared \
Responsibility Model, and writes responsibility-assignment reports (Markdown, HTML, CSV): who owns \
each control (AWS, Shared, Customer), what the customer must do, which team carries it, and what \
evidence proves it.",
    after_help = "Examples:\n  srmatrix report --inventory inputs/inventory.csv --out outputs\n  srmatrix inspect cur-2026-09.csv.gz\n  srmatrix verify outputs\n  srmatrix explain s3\n  srmatrix catalog services --format csv\n\nExit codes: 0 success, 1 error (bad input, unreadable file, invalid catalog), 2 bad usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
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
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("srmatrix: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
