//! `srmatrix report`: assess inventories and write the reports.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use srmatrix_model::{AssessOptions, AssessmentBuilder};
use srmatrix_render::context::Detail;
use srmatrix_render::{Format, ReportContext, ReportMeta};

use crate::digest::Hasher;
use crate::evidence_set::OutDir;
use crate::files;
use crate::inputs::{self, InputArgs};
use crate::manifest::{self, FileDigest, InputRecord, Manifest};
use crate::term::noteln;

/// Arguments of `srmatrix report`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix report --inventory inputs/inventory.csv --out outputs\n  srmatrix report --inventory prod.csv dev.csv --org \"Northwind Analytics\" --period 2026-Q3 --format md,csv\n  SOURCE_DATE_EPOCH=1767225600 srmatrix report --inventory inventory.csv   # reproducible output"
)]
pub struct Args {
    /// Inventory files (`-` for standard input; `.gz` read transparently; Parquet by its magic
    /// bytes), in any supported format, or directories (every `.parquet` and `.csv.gz` file in
    /// them, as AWS Data Exports deliver a month); all of them go into one report.
    #[arg(long, short = 'i', required = true, num_args = 1.., value_name = "FILE")]
    inventory: Vec<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    /// Directory the reports are written to (created if missing). It holds one evidence set,
    /// replaced whole: files srmatrix did not write are kept.
    #[arg(long, short = 'o', default_value = "outputs", value_name = "DIR")]
    out: PathBuf,
    /// Formats to write, comma-separated: md, html, csv, json, xlsx, oscal.
    #[arg(
        long,
        short = 'f',
        value_delimiter = ',',
        default_value = "md,html,csv",
        value_name = "LIST"
    )]
    format: Vec<Format>,
    /// Organisation named in the report.
    #[arg(long, default_value = "", value_name = "NAME")]
    org: String,
    /// Period the inventory covers, e.g. 2026-Q3.
    #[arg(long, default_value = "", value_name = "PERIOD")]
    period: String,
    /// Directory whose catalog files replace the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
    /// Organisation policy file; default: srmatrix.toml in the working directory, if present.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Directory whose templates (report.md, report.html) replace the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Scope the report to these frameworks or baselines, each with its register (repeatable or
    /// comma-separated: nist-800-53, fedramp-moderate, iso-27001, ...; `srmatrix catalog
    /// frameworks` lists the ids).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    framework: Vec<String>,
    /// Taxonomy that groups the services of the matrix: srm (the Shared Responsibility Model
    /// categories) or guidance (AWS Prescriptive Guidance); default: the catalog's `report_taxonomy`.
    #[arg(long, value_name = "NAME")]
    taxonomy: Option<srmatrix_model::Taxonomy>,
    /// The JSON report (`report.json`) of an earlier period: every format gains a "Changes since"
    /// section (and changes.csv, an XLSX sheet).
    #[arg(long, value_name = "REPORT.json")]
    baseline: Option<PathBuf>,
    /// How much report.md and report.html show: summary (scope, summary, findings grouped by
    /// code, the matrix, the registers of --framework, controls, teams and services in brief) or
    /// full (also the category defaults, every service's statements, each team's full action list
    /// and the crosswalk). The CSV files, the workbook and report.json always hold everything.
    #[arg(long, default_value = "summary", value_name = "LEVEL", value_parser = parse_detail)]
    detail: Detail,
    /// Namespace (an absolute URI, such as `https://grc.example.com/ns/oscal`) of the property
    /// names srmatrix writes in report.oscal.json; its UUIDs are derived from it. Default: a
    /// `urn:uuid:` of srmatrix's.
    #[arg(long, value_name = "URI", default_value = srmatrix_render::oscal::DEFAULT_NS, value_parser = parse_namespace)]
    oscal_namespace: String,
    /// Name printed as "prepared by" in the sign-off block (empty: a line to sign).
    #[arg(long, default_value = "", value_name = "NAME")]
    prepared_by: String,
    /// Name printed as "reviewed by" in the sign-off block.
    #[arg(long, default_value = "", value_name = "NAME")]
    reviewed_by: String,
    /// Timestamp printed as generated-at (RFC 3339); default: SOURCE_DATE_EPOCH if set, else now.
    #[arg(long, value_name = "RFC3339")]
    generated_at: Option<String>,
}

/// Runs `srmatrix report`.
pub fn run(mut args: Args) -> Result<ExitCode> {
    args.inventory = inputs::expand_dirs(&args.inventory)?;
    // The first input's digest begins while the catalog and templates load (crate::digest).
    let mut hasher = Hasher::start(args.inventory.first().map(|p| p.as_path()));
    let (catalog, catalog_files) = files::load_catalog_with_digests(args.catalog.as_deref())?;
    for f in &args.framework {
        if catalog.selection(f).is_none() {
            let ids: Vec<&str> = catalog
                .frameworks
                .iter()
                .flat_map(|x| {
                    std::iter::once(x.id.as_str()).chain(x.baseline.iter().map(|b| b.id.as_str()))
                })
                .collect();
            bail!(
                "--framework {f}: not in the catalog (frameworks and baselines: {})",
                ids.join(", ")
            );
        }
    }
    let (templates, template_files) = files::load_templates_with_files(args.templates.as_deref())?;
    let generated_at = generated_at(args.generated_at.as_deref())?;
    let mut formats = args.format.clone();
    formats.sort();
    formats.dedup();
    inputs::refuse_duplicates(&args.inventory)?;
    if formats
        .iter()
        .any(|f| matches!(f, Format::Csv | Format::Xlsx))
    {
        refuse_shared_documents(&catalog, &args.framework)?;
    }
    let policy_path = files::policy_path(args.policy.as_deref());

    // The output directory is locked from here to the end of the run; nothing in it is touched
    // until the new set is swapped in whole (crate::evidence_set).
    let out_dir = OutDir::open(&args.out)?;
    let mut names: Vec<String> = Format::file_names(
        &formats,
        args.baseline.is_some(),
        &srmatrix_render::register::documents(&catalog, &args.framework),
    )
    .into_iter()
    .map(String::from)
    .collect();
    names.push(manifest::MANIFEST_FILE.to_owned());
    names.extend(out_dir.previous_outputs());
    let mut reads: Vec<(&str, PathBuf)> = args
        .inventory
        .iter()
        .map(|p| ("input", p.clone()))
        .collect();
    reads.extend(policy_path.iter().map(|p| ("policy", p.clone())));
    reads.extend(args.baseline.iter().map(|p| ("baseline", p.clone())));
    reads.extend(template_files.iter().map(|(p, _)| ("template", p.clone())));
    if let Some(dir) = &args.catalog {
        reads.extend(
            srmatrix_model::CatalogSources::builtin_file_names()
                .map(|name| ("catalog file", dir.join(name))),
        );
    }
    files::refuse_clashes(out_dir.target(), &names, &reads)?;

    let policy = match policy_path {
        Some(path) => Some((path.clone(), files::load_policy(&path, &catalog)?)),
        None => None,
    };
    let policy_ref = policy.as_ref().map(|(_, (p, _))| p);
    let mut builder = match policy_ref {
        Some(p) => AssessmentBuilder::with_scope(p.scope.clone()),
        None => AssessmentBuilder::new(),
    };
    builder.set_max_groups(args.input.max_groups());
    builder.set_resolver(catalog.resolver().clone());
    let (_, digests) = inputs::read_all(
        &args.inventory,
        &args.input.options_with(policy_ref),
        args.input.reading(),
        &mut builder,
        &mut hasher,
    )?;
    let mut options = AssessOptions {
        policy: policy_ref.cloned(),
        as_of: generated_at.get(..10).unwrap_or_default().to_owned(),
        ..AssessOptions::default()
    };
    if let Some(sensitive) = policy_ref.and_then(|p| p.sensitive_classifications.clone()) {
        options.sensitive_classifications = sensitive;
    }
    let mut assessment = builder.finish_with(&catalog, &options);

    let or_policy = |flag: &str, from: Option<&String>| match flag.trim() {
        "" => from.map(|s| s.trim().to_owned()).unwrap_or_default(),
        given => given.to_owned(),
    };
    let meta = ReportMeta {
        organisation: or_policy(&args.org, policy_ref.and_then(|p| p.organisation.as_ref())),
        period: or_policy(&args.period, policy_ref.and_then(|p| p.period.as_ref())),
        generated_at,
        tool: format!("srmatrix {}", env!("CARGO_PKG_VERSION")),
        frameworks: args.framework.clone(),
        taxonomy: args.taxonomy.unwrap_or(catalog.report_taxonomy),
        prepared_by: args.prepared_by.trim().to_owned(),
        reviewed_by: args.reviewed_by.trim().to_owned(),
        detail: args.detail,
    };
    let as_of = options.as_of.clone();
    let mut ctx = ReportContext::new(&assessment, &catalog, meta);
    // The end of each input was hashed while the assessment and its context were built.
    digests.settle(&mut assessment.inputs)?;
    for (shown, read) in ctx.inputs.iter_mut().zip(&assessment.inputs) {
        shown.sha256.clone_from(&read.sha256);
        shown.bytes = read.bytes;
    }
    if let Some((path, (p, digest))) = &policy {
        let mut view =
            srmatrix_render::context::PolicyView::new(&path.display().to_string(), p, &as_of);
        view.sha256.clone_from(&digest.sha256);
        ctx.policy = Some(view);
    }
    ctx.oscal_namespace.clone_from(&args.oscal_namespace);
    let baseline = match &args.baseline {
        Some(path) => {
            let (report, digest) = super::diff::read_report_with_digest(path)?;
            ctx.compare_with(&report)?;
            Some(digest)
        }
        None => None,
    };
    // What the manifest and the last line need of the assessment; the rest of it is freed before
    // rendering, which needs only the report context.
    let inputs: Vec<InputRecord> = assessment
        .inputs
        .iter()
        .zip(&args.inventory)
        .map(|(i, path)| InputRecord {
            file: if path.as_os_str() == "-" {
                FileDigest {
                    path: "-".to_owned(),
                    absolute: None,
                    absolute_hex: None,
                    bytes: i.bytes,
                    sha256: i.sha256.clone(),
                }
            } else {
                FileDigest::of_file(path, i.bytes, i.sha256.clone())
            },
            format: i.format.clone(),
            rows: i.rows,
        })
        .collect();
    let summary = format!(
        "{} row(s) read, {} mapped; {} service(s) in use; {} unmapped identifier(s); {} finding(s)",
        assessment.total_rows(),
        assessment.mapped_rows(),
        assessment.services.len(),
        (assessment.unmapped.len() as u64).saturating_add(assessment.unmapped_others.identifiers),
        assessment.findings.len()
    );
    drop(assessment);

    // Every document and the manifest go to a staging directory beside the output directory;
    // the two are swapped only once all of them are written. An error or a signal before then
    // removes the staging directory and leaves the previous set as it was.
    let staging = out_dir.stage()?;
    let written = srmatrix_render::render_to(
        &ctx,
        &formats,
        &templates,
        &files::ReportDir(staging.path()),
    )?;
    let mut outputs = Vec::new();
    for doc in written {
        let (_, digest) = doc.writer.commit(staging.path(), doc.file_name)?;
        outputs.push(digest);
    }
    let record = Manifest {
        manifest_version: manifest::MANIFEST_VERSION,
        tool: ctx.meta.tool.clone(),
        generated_at: ctx.meta.generated_at.clone(),
        command_line: std::env::args_os()
            .map(|a| manifest::path_text(&a))
            .collect(),
        catalog: format!("{} {}", catalog.name, catalog.version),
        catalog_files,
        policy: policy.as_ref().map(|(_, (_, digest))| digest.clone()),
        templates: template_files.into_iter().map(|(_, d)| d).collect(),
        baseline,
        inputs,
        outputs,
    };
    let mut json = serde_json::to_vec_pretty(&record)?;
    json.push(b'\n');
    files::write_atomic(staging.path(), manifest::MANIFEST_FILE, &json)?;
    staging.commit()?;
    drop(out_dir);

    // Only now is the set in place; a closed standard error cannot undo it.
    for out in &record.outputs {
        noteln!(
            "wrote {} ({} bytes)",
            crate::term::path(&args.out.join(&out.path)),
            out.bytes
        );
    }
    noteln!(
        "wrote {} (check it later with: srmatrix verify {})",
        crate::term::path(&args.out.join(manifest::MANIFEST_FILE)),
        crate::term::path(&args.out)
    );
    noteln!("{summary}");
    // The process ends here: its memory goes back whole. Freeing the report context, catalog
    // and templates string by string first would take about 12 ms of a run.
    std::mem::forget((ctx, catalog, templates));
    Ok(ExitCode::SUCCESS)
}

/// Two registers written in the same framework shape (`--framework fedramp-low,fedramp-high`
/// both make crm.csv and cis.csv) would have one silently left out: refused as bad usage.
fn refuse_shared_documents(catalog: &srmatrix_model::Catalog, selection: &[String]) -> Result<()> {
    let chosen = srmatrix_render::register::selected(catalog, selection);
    for shape in srmatrix_model::requirements::DOCUMENT_SHAPES {
        let with: Vec<String> = chosen
            .iter()
            .filter(|(f, _)| f.documents.iter().any(|d| d == shape))
            .map(|(f, b)| b.map_or(f.id.clone(), |b| b.id.clone()))
            .collect();
        if with.len() > 1 {
            return Err(super::UsageError::new(format!(
                "--framework {}: each is written in the {shape} shape, which holds one register; choose one of them per run (or --format md,html,json, which show them all)",
                with.join(", ")
            ))
            .into());
        }
    }
    Ok(())
}

fn parse_detail(s: &str) -> Result<Detail, String> {
    s.parse()
}

fn parse_namespace(s: &str) -> Result<String, String> {
    if srmatrix_render::oscal::is_namespace(s) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "`{s}` is not an absolute URI (scheme:rest, such as https://grc.example.com/ns/oscal)"
        ))
    }
}

/// The generated-at timestamp: `--generated-at`, else `SOURCE_DATE_EPOCH`, else now; UTC, seconds.
fn generated_at(flag: Option<&str>) -> Result<String> {
    let at: DateTime<Utc> = if let Some(s) = flag {
        DateTime::parse_from_rfc3339(s.trim())
            .with_context(|| {
                format!(
                    "--generated-at `{s}` is not an RFC 3339 timestamp (e.g. 2026-10-01T00:00:00Z)"
                )
            })?
            .with_timezone(&Utc)
    } else if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let secs: i64 = epoch
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH `{epoch}` is not a number of seconds"))?;
        match DateTime::from_timestamp(secs, 0) {
            Some(t) => t,
            None => bail!("SOURCE_DATE_EPOCH `{epoch}` is out of range"),
        }
    } else {
        Utc::now()
    };
    Ok(at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::generated_at;

    #[test]
    fn generated_at_is_normalised_to_utc_seconds() {
        assert_eq!(
            generated_at(Some("2026-10-01T02:30:00.123+02:00")).unwrap(),
            "2026-10-01T00:30:00Z"
        );
        assert!(generated_at(Some("yesterday")).is_err());
    }
}
