//! `srmatrix explain`: the responsibilities for one service.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;
use srmatrix_model::{Catalog, Identified, Owner, ResourceFacts, ResourceRule};

use super::{ListFormat, write_csv, write_json};
use crate::files;
use crate::term::outln;

/// Arguments of `srmatrix explain`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix explain s3\n  srmatrix explain AmazonRDS --format csv\n  srmatrix explain \"AWS::EC2::Volume\" --format json\n  srmatrix explain arn:aws:ec2:eu-west-1:123456789012:transit-gateway/tgw-0abc\n  srmatrix explain AmazonEC2 --resource-id vol-0abc"
)]
pub struct Args {
    /// The service, by any identifier: id, name, billing code, ARN namespace, CloudFormation
    /// resource type, or a whole ARN; a resource type or ARN is resolved to the service its
    /// resource belongs to (`AWS::EC2::Volume` is EBS).
    service: String,
    /// The row's resource type as an export writes it (`Volume`, `ec2:volume`, a CUR product
    /// family such as `Storage`), to resolve as a row with it would be.
    #[arg(long, value_name = "TYPE")]
    resource_type: Option<String>,
    /// The row's resource id or ARN (`vol-0abc`).
    #[arg(long, value_name = "ID")]
    resource_id: Option<String>,
    /// The row's billing usage type (`USE1-Fargate-vCPU-Hours:perCPU`).
    #[arg(long, value_name = "USAGE")]
    usage_type: Option<String>,
    /// The row's database engine (`aurora-mysql`, `docdb`).
    #[arg(long, value_name = "ENGINE")]
    engine: Option<String>,
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
    let ident = args.service.trim();
    let is_type = ident.contains("::");
    let is_arn = srmatrix_model::resolve::is_arn(ident);
    let facts = ResourceFacts {
        service: ident,
        resource_type: args
            .resource_type
            .as_deref()
            .unwrap_or(if is_type { ident } else { "" }),
        resource_id: args
            .resource_id
            .as_deref()
            .unwrap_or(if is_arn { ident } else { "" }),
        usage_type: args.usage_type.as_deref().unwrap_or(""),
        engine: args.engine.as_deref().unwrap_or(""),
    };
    let resolver = catalog.resolver();
    let resolution = resolver.resolve(&facts);
    let rule = resolution.rule.map(|r| &resolver.rules()[r as usize]);
    let (base, si) = match (resolution.identified, rule) {
        (Some(Identified::Service(base)), rule) => (Some(base), rule.map_or(base, |r| r.service)),
        (None, Some(rule)) => (None, rule.service),
        (Some(Identified::Billing(b)), _) => {
            let code = &catalog.billing_codes[b];
            let group = &catalog.billing_groups[code.group];
            bail!(
                "`{ident}` is not a service: it is the billing code {} ({}) of the group `{}` ({}); its rows are reported as charges that are not services, with no controls of their own",
                code.code,
                code.name,
                group.id,
                group.title
            );
        }
        (None, None) => bail!("{}", unknown_service(&catalog, &args.service)),
    };
    let service = &catalog.services[si];
    let base = base.map(|b| &catalog.services[b]);
    let path = Path {
        identifier: ident,
        namespace_service: base.map(|b| b.id.as_str()),
        rule,
        service: &service.id,
    };
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
                resolution: &'a Path<'a>,
                responsibilities: &'a [Row<'a>],
            }
            write_json(&Out {
                service,
                resolution: &path,
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
            match path.rule {
                Some(rule) => outln!(
                    "Resolved: `{}` names {}; its {} gives it to {} ({}) (resource-types.csv line {}: {})",
                    crate::term::escape(ident),
                    base.map_or_else(
                        || "no service at namespace level".to_owned(),
                        |b| format!("{} ({})", b.name, b.id)
                    ),
                    rule.describe(),
                    service.name,
                    service.id,
                    rule.line,
                    rule.source
                )?,
                None => outln!(
                    "Resolved: `{}` names {} ({})",
                    crate::term::escape(ident),
                    service.name,
                    service.id
                )?,
            }
            if let Some(d) = service
                .deployment
                .as_deref()
                .and_then(|d| catalog.deployment(d))
            {
                outln!("Deployment: {} ({})", d.title, service.deployment_reason)?;
            }
            let life = &service.lifecycle;
            if life.status != srmatrix_model::LifecycleStatus::Available {
                outln!(
                    "Lifecycle: {}{}{}; migration: {} ({})",
                    life.status.as_str(),
                    life.closed_on
                        .as_deref()
                        .map(|d| format!(", closed to new customers on {d}"))
                        .unwrap_or_default(),
                    life.end_of_support_on
                        .as_deref()
                        .map(|d| format!(", end of support on {d}"))
                        .unwrap_or_default(),
                    life.migration,
                    life.source
                )?;
            }
            if !service.assumed_variant.is_empty() {
                outln!("Assumes: {}", service.assumed_variant)?;
            }
            for r in &rows {
                outln!()?;
                let mark = match r.basis.as_str() {
                    "service-statement" => " (service-specific)",
                    "deployment-default" => " (deployment default)",
                    _ => "",
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

/// How the identifier was resolved, for `--format json`.
#[derive(Serialize)]
struct Path<'a> {
    /// The identifier as given.
    identifier: &'a str,
    /// The service its namespace names (none for a type only a rule resolves).
    namespace_service: Option<&'a str>,
    /// The resource rule that moved it, if any.
    rule: Option<&'a ResourceRule>,
    /// The service it resolves to.
    service: &'a str,
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
