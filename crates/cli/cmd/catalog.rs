//! `srmatrix catalog`: list the services, controls and frameworks, or check a catalog.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;
use srmatrix_model::Category;

use super::{ListFormat, write_csv, write_json};
use crate::files;
use crate::term::{errln, outln};

/// Arguments of `srmatrix catalog`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix catalog services\n  srmatrix catalog controls --framework nist-800-53 --format csv > controls.csv\n  srmatrix catalog frameworks\n  srmatrix catalog check --catalog my-catalog/"
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
    Controls(ControlArgs),
    /// List the frameworks and baselines (what --framework takes), with how many controls map to
    /// each and how many rows its register has.
    Frameworks(ListArgs),
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
struct ControlArgs {
    #[command(flatten)]
    list: ListArgs,
    /// Only controls that map to this framework (`srmatrix catalog frameworks` lists the ids).
    #[arg(long, value_name = "ID")]
    framework: Option<String>,
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
        What::Frameworks(a) => frameworks(a),
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
                        s.whitepaper_2016.map(|c| c.to_string()).unwrap_or_default(),
                        s.guidance_category
                            .map(|c| c.as_str().to_owned())
                            .unwrap_or_default(),
                        if s.taxonomies_disagree() {
                            "yes".into()
                        } else {
                            String::new()
                        },
                        s.iam_prefixes.join(";"),
                        s.billing_codes.join(";"),
                        s.cfn_namespaces.join(";"),
                        s.sdk_ids.join(";"),
                        s.aliases.join(";"),
                        s.deployment.clone().unwrap_or_default(),
                        s.lifecycle.status.as_str().to_owned(),
                        s.lifecycle.closed_on.clone().unwrap_or_default(),
                        s.lifecycle.end_of_support_on.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            write_csv(
                &[
                    "id",
                    "name",
                    "category",
                    "category_reason",
                    "whitepaper_2016",
                    "guidance_category",
                    "taxonomies_disagree",
                    "iam_prefixes",
                    "billing_codes",
                    "cfn_namespaces",
                    "sdk_ids",
                    "aliases",
                    "deployment",
                    "lifecycle",
                    "closed_on",
                    "end_of_support_on",
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
            outln!("{:<w$}  {:<14}  {:<14}  name", "id", "category", "guidance")?;
            for s in &catalog.services {
                let guidance = s.guidance_category.map_or("-", |g| g.as_str());
                let mut flag = String::new();
                if s.taxonomies_disagree() {
                    flag.push_str("  [taxonomies disagree]");
                }
                if let Some(d) = &s.deployment {
                    flag.push_str(&format!("  [{d}]"));
                }
                match (&s.lifecycle.end_of_support_on, &s.lifecycle.closed_on) {
                    (Some(end), _) => flag.push_str(&format!("  [end of support {end}]")),
                    (None, Some(closed)) => {
                        flag.push_str(&format!("  [closed to new customers {closed}]"));
                    }
                    (None, None) => {}
                }
                outln!(
                    "{:<w$}  {:<14}  {:<14}  {}{flag}",
                    s.id,
                    s.category.as_str(),
                    guidance,
                    s.name
                )?;
            }
            let disagree = catalog
                .services
                .iter()
                .filter(|s| s.taxonomies_disagree())
                .count();
            outln!(
                "\n{} services; {} billing codes that are not services; {} where AWS Prescriptive Guidance's category differs",
                catalog.services.len(),
                catalog.billing_codes.len(),
                disagree
            )?;
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

fn controls(args: ControlArgs) -> Result<ExitCode> {
    let ControlArgs {
        list: args,
        framework,
    } = args;
    let catalog = files::load_catalog(args.catalog.as_deref())?;
    if let Some(f) = &framework
        && !catalog.frameworks.iter().any(|x| &x.id == f)
    {
        let ids: Vec<&str> = catalog.frameworks.iter().map(|x| x.id.as_str()).collect();
        anyhow::bail!(
            "--framework {f}: not in the catalog (frameworks: {})",
            ids.join(", ")
        );
    }
    let rows: Vec<ControlRow<'_>> = catalog
        .controls
        .iter()
        .filter(|c| {
            framework
                .as_ref()
                .is_none_or(|f| c.frameworks.get(f).is_some_and(|ids| !ids.is_empty()))
        })
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
            outln!(
                "{:<11}  {:<17}  {:<8}  {:<8}  {:<8}  title",
                "id",
                "domain",
                "infra",
                "contain.",
                "abstr."
            )?;
            for c in &rows {
                outln!(
                    "{:<11}  {:<17}  {:<8}  {:<8}  {:<8}  {}",
                    c.id,
                    c.domain,
                    c.owner_infrastructure,
                    c.owner_container,
                    c.owner_abstracted,
                    c.title
                )?;
            }
            outln!("\n{} controls", rows.len())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct FrameworkRow<'a> {
    /// What `--framework` takes: a framework or one of its baselines.
    id: &'a str,
    /// The framework (for a baseline, the one it selects from).
    framework: &'a str,
    title: &'a str,
    /// Controls that cite one of its requirements.
    controls: usize,
    /// Distinct requirements cited by controls.
    requirements: usize,
    /// Rows of its register (every requirement of the framework or baseline).
    register: usize,
}

fn frameworks(args: ListArgs) -> Result<ExitCode> {
    let catalog = files::load_catalog(args.catalog.as_deref())?;
    let mut rows: Vec<FrameworkRow<'_>> = Vec::new();
    for f in &catalog.frameworks {
        let selections = std::iter::once((f.id.as_str(), f.title.as_str(), None)).chain(
            f.baseline
                .iter()
                .map(|b| (b.id.as_str(), b.title.as_str(), Some(b))),
        );
        for (id, title, baseline) in selections {
            let in_selection = |rid: &str| {
                baseline.is_none_or(|b| {
                    f.register
                        .iter()
                        .any(|r| r.id == rid && r.baselines.contains(&b.id))
                })
            };
            let mut reqs = std::collections::BTreeSet::new();
            let mut controls = 0;
            for c in &catalog.controls {
                let cited: Vec<&String> = c
                    .frameworks
                    .get(&f.id)
                    .into_iter()
                    .flatten()
                    .filter(|rid| in_selection(rid))
                    .collect();
                if !cited.is_empty() {
                    controls += 1;
                    reqs.extend(cited);
                }
            }
            rows.push(FrameworkRow {
                id,
                framework: &f.id,
                title,
                controls,
                requirements: reqs.len(),
                register: f
                    .register
                    .iter()
                    .filter(|r| baseline.is_none_or(|b| r.baselines.contains(&b.id)))
                    .count(),
            });
        }
    }
    match args.format {
        ListFormat::Json => write_json(&rows)?,
        ListFormat::Csv => {
            let out: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.id.into(),
                        r.framework.into(),
                        r.title.into(),
                        r.controls.to_string(),
                        r.requirements.to_string(),
                        r.register.to_string(),
                    ]
                })
                .collect();
            write_csv(
                &[
                    "id",
                    "framework",
                    "title",
                    "controls",
                    "requirements",
                    "register_rows",
                ],
                &out,
            )?;
        }
        ListFormat::Text => {
            outln!(
                "{:<22}  {:>8}  {:>12}  {:>8}  title",
                "id (--framework)",
                "controls",
                "requirements",
                "register"
            )?;
            for r in &rows {
                outln!(
                    "{:<22}  {:>8}  {:>12}  {:>8}  {}",
                    r.id,
                    r.controls,
                    r.requirements,
                    r.register,
                    r.title
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    match files::load_catalog(args.catalog.as_deref()) {
        Ok(c) => {
            outln!(
                "{} {}: ok ({} services, {} non-service billing codes, {} controls, {} domains, {} frameworks, {} service-specific statements, {} resource rules, {} deployments)",
                c.name,
                c.version,
                c.services.len(),
                c.billing_codes.len(),
                c.controls.len(),
                c.domains.len(),
                c.frameworks.len(),
                c.statement_count(),
                c.resolver().rules().len(),
                c.deployments.len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            errln!("{}", crate::term::escape(&format!("{e:#}")));
            errln!("catalog check failed");
            Ok(ExitCode::from(1))
        }
    }
}
