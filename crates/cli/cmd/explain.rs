//! `srmatrix explain`: the responsibilities for one service.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;
use srmatrix_model::{Catalog, Owner};

use super::{ListFormat, write_csv, write_json};
use crate::files;
use crate::term::outln;

/// Arguments of `srmatrix explain`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix explain s3\n  srmatrix explain AmazonRDS --format csv\n  srmatrix explain \"AWS::Lambda::Function\" --format json"
)]
pub struct Args {
    /// The service, by any identifier: id, name, billing code, ARN namespace, CloudFormation type.
    service: String,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: ListFormat,
    /// Directory whose catalog files replace the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
}

#[derive(Serialize)]
struct Row<'a> {
    control: &'a str,
    title: &'a str,
    domain: &'a str,
    owner: Owner,
    aws: &'a str,
    customer: &'a str,
    evidence: &'a [String],
    source: &'a str,
    basis: String,
}

/// Runs `srmatrix explain`.
pub fn run(args: Args) -> Result<ExitCode> {
    let catalog = files::load_catalog(args.catalog.as_deref())?;
    let Some(si) = catalog.lookup(&args.service) else {
        bail!("{}", unknown_service(&catalog, &args.service));
    };
    let service = &catalog.services[si];
    let rows: Vec<Row<'_>> = (0..catalog.controls.len())
        .map(|ci| {
            let c = &catalog.controls[ci];
            let r = catalog.resolve(si, ci);
            Row {
                control: &c.id,
                title: &c.title,
                domain: catalog.domain_title(&c.domain),
                owner: r.responsibility.owner,
                aws: &r.responsibility.aws,
                customer: &r.responsibility.customer,
                evidence: &r.responsibility.evidence,
                source: &r.responsibility.source,
                basis: r.basis.to_string(),
            }
        })
        .collect();
    match args.format {
        ListFormat::Json => {
            #[derive(Serialize)]
            struct Out<'a> {
                service: &'a srmatrix_model::Service,
                responsibilities: &'a [Row<'a>],
            }
            write_json(&Out {
                service,
                responsibilities: &rows,
            })?;
        }
        ListFormat::Csv => {
            let out: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        service.id.clone(),
                        r.control.into(),
                        r.title.into(),
                        r.domain.into(),
                        r.owner.to_string(),
                        r.aws.into(),
                        r.customer.into(),
                        r.evidence.join(" | "),
                        r.basis.clone(),
                        r.source.into(),
                    ]
                })
                .collect();
            write_csv(
                &[
                    "service_id",
                    "control_id",
                    "control_title",
                    "domain",
                    "owner",
                    "aws_responsibility",
                    "customer_responsibility",
                    "evidence",
                    "basis",
                    "source",
                ],
                &out,
            )?;
        }
        ListFormat::Text => {
            let info = catalog.category_info(service.category);
            outln!("{} ({})", service.name, service.id)?;
            outln!(
                "Category: {}{}",
                info.title,
                if service.category_reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", service.category_reason)
                }
            )?;
            let idents: Vec<&str> = service.identifiers().skip(2).collect();
            if !idents.is_empty() {
                outln!("Known as: {}", idents.join(", "))?;
            }
            for r in &rows {
                outln!()?;
                let mark = if r.basis == "service-statement" {
                    " (service-specific)"
                } else {
                    ""
                };
                outln!(
                    "{} {} [{}] owner: {}{}",
                    r.control,
                    r.title,
                    r.domain,
                    r.owner,
                    mark
                )?;
                outln!("  AWS:      {}", r.aws)?;
                outln!("  Customer: {}", r.customer)?;
                for e in r.evidence {
                    outln!("  Evidence: {e}")?;
                }
                outln!("  Source:   {}", r.source)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The error text for an identifier the catalog does not know, with close matches.
fn unknown_service(catalog: &Catalog, ident: &str) -> String {
    let needle = ident.trim().to_lowercase();
    let mut close: Vec<&str> = catalog
        .services
        .iter()
        .filter(|s| {
            !needle.is_empty()
                && s.identifiers().any(|i| {
                    let i = i.to_lowercase();
                    i.contains(&needle) || needle.contains(&i)
                })
        })
        .map(|s| s.id.as_str())
        .collect();
    close.truncate(8);
    let mut msg = format!("no service `{ident}` in the catalog");
    if !close.is_empty() {
        msg.push_str(&format!(" (did you mean: {}?)", close.join(", ")));
    }
    msg.push_str("; `srmatrix catalog services` lists them all");
    msg
}
