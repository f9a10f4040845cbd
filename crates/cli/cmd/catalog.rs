//! `srmatrix catalog`: list the services, controls and frameworks, or check a catalog.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;
use srmatrix_model::Category;

use super::{ListFormat, write_csv, write_json};
use crate::files;

/// Arguments of `srmatrix catalog`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix catalog services\n  srmatrix catalog controls --format csv > controls.csv\n  srmatrix catalog check --catalog my-catalog/"
)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// List the services with their category and identifiers.
    Services(ListArgs),
    /// List the controls with their owner per category and framework references.
    Controls(ListArgs),
    /// Validate a catalog and print what it holds; exit 1 when it has problems.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct ListArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: ListFormat,
    /// Directory whose catalog files replace the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Directory whose catalog files replace the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
}

/// Runs `srmatrix catalog`.
pub fn run(args: Args) -> Result<ExitCode> {
    match args.what {
        What::Services(a) => services(a),
        What::Controls(a) => controls(a),
        What::Check(a) => check(a),
    }
}

fn services(args: ListArgs) -> Result<ExitCode> {
    let catalog = files::load_catalog(args.catalog.as_deref())?;
    match args.format {
        ListFormat::Json => write_json(&catalog.services)?,
        ListFormat::Csv => {
            let rows: Vec<Vec<String>> = catalog
                .services
                .iter()
                .map(|s| {
                    vec![
                        s.id.clone(),
                        s.name.clone(),
                        s.category.to_string(),
                        s.category_reason.clone(),
                        s.iam_prefixes.join(";"),
                        s.billing_codes.join(";"),
                        s.cfn_namespaces.join(";"),
                        s.sdk_ids.join(";"),
                        s.aliases.join(";"),
                    ]
                })
                .collect();
            write_csv(
                &[
                    "id",
                    "name",
                    "category",
                    "category_reason",
                    "iam_prefixes",
                    "billing_codes",
                    "cfn_namespaces",
                    "sdk_ids",
                    "aliases",
                ],
                &rows,
            )?;
        }
        ListFormat::Text => {
            let w = catalog
                .services
                .iter()
                .map(|s| s.id.len())
                .max()
                .unwrap_or(0);
            for s in &catalog.services {
                println!("{:<w$}  {:<14}  {}", s.id, s.category.as_str(), s.name);
            }
            println!("\n{} services", catalog.services.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ControlRow<'a> {
    id: &'a str,
    domain: &'a str,
    title: &'a str,
    description: &'a str,
    owner_infrastructure: String,
    owner_container: String,
    owner_abstracted: String,
    frameworks: &'a std::collections::BTreeMap<String, Vec<String>>,
}

fn controls(args: ListArgs) -> Result<ExitCode> {
    let catalog = files::load_catalog(args.catalog.as_deref())?;
    let rows: Vec<ControlRow<'_>> = catalog
        .controls
        .iter()
        .map(|c| ControlRow {
            id: &c.id,
            domain: &c.domain,
            title: &c.title,
            description: &c.description,
            owner_infrastructure: c.for_category(Category::Infrastructure).owner.to_string(),
            owner_container: c.for_category(Category::Container).owner.to_string(),
            owner_abstracted: c.for_category(Category::Abstracted).owner.to_string(),
            frameworks: &c.frameworks,
        })
        .collect();
    let fw = |c: &ControlRow<'_>| {
        c.frameworks
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match args.format {
        ListFormat::Json => write_json(&rows)?,
        ListFormat::Csv => {
            let out: Vec<Vec<String>> = rows
                .iter()
                .map(|c| {
                    vec![
                        c.id.into(),
                        c.domain.into(),
                        c.title.into(),
                        c.owner_infrastructure.clone(),
                        c.owner_container.clone(),
                        c.owner_abstracted.clone(),
                        fw(c),
                    ]
                })
                .collect();
            write_csv(
                &[
                    "id",
                    "domain",
                    "title",
                    "owner_infrastructure",
                    "owner_container",
                    "owner_abstracted",
                    "frameworks",
                ],
                &out,
            )?;
        }
        ListFormat::Text => {
            println!(
                "{:<11}  {:<17}  {:<8}  {:<8}  {:<8}  title",
                "id", "domain", "infra", "contain.", "abstr."
            );
            for c in &rows {
                println!(
                    "{:<11}  {:<17}  {:<8}  {:<8}  {:<8}  {}",
                    c.id,
                    c.domain,
                    c.owner_infrastructure,
                    c.owner_container,
                    c.owner_abstracted,
                    c.title
                );
            }
            println!("\n{} controls", rows.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    match files::load_catalog(args.catalog.as_deref()) {
        Ok(c) => {
            println!(
                "{} {}: ok ({} services, {} controls, {} domains, {} frameworks, {} service-specific statements)",
                c.name,
                c.version,
                c.services.len(),
                c.controls.len(),
                c.domains.len(),
                c.frameworks.len(),
                c.statement_count()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e:#}");
            eprintln!("catalog check failed");
            Ok(ExitCode::from(1))
        }
    }
}
