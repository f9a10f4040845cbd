//! `srmatrix report`: assess inventories and write the reports.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use srmatrix_import::{TagKeys, native};
use srmatrix_model::AssessmentBuilder;
use srmatrix_render::{Format, ReportContext, ReportMeta};

use crate::files;

/// Arguments of `srmatrix report`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix report --inventory inputs/inventory.csv --out outputs\n  srmatrix report --inventory prod.csv dev.csv --org \"Northwind Analytics\" --period 2026-Q3 --format md,csv\n  SOURCE_DATE_EPOCH=1767225600 srmatrix report --inventory inventory.csv   # reproducible output"
)]
pub struct Args {
    /// Inventory CSV files (`-` for standard input); all of them go into one report.
    #[arg(long, short = 'i', required = true, num_args = 1.., value_name = "FILE")]
    inventory: Vec<PathBuf>,
    /// Directory the reports are written to (created if missing).
    #[arg(long, short = 'o', default_value = "outputs", value_name = "DIR")]
    out: PathBuf,
    /// Formats to write, comma-separated.
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
    /// Directory whose templates (report.md, report.html) replace the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Timestamp printed as generated-at (RFC 3339); default: SOURCE_DATE_EPOCH if set, else now.
    #[arg(long, value_name = "RFC3339")]
    generated_at: Option<String>,
}

/// Runs `srmatrix report`.
pub fn run(args: Args) -> Result<ExitCode> {
    let catalog = files::load_catalog(args.catalog.as_deref())?;
    let templates = files::load_templates(args.templates.as_deref())?;
    let generated_at = generated_at(args.generated_at.as_deref())?;
    let mut formats = args.format.clone();
    formats.sort();
    formats.dedup();

    let outputs: Vec<PathBuf> = formats
        .iter()
        .map(|f| args.out.join(f.file_name()))
        .collect();
    files::refuse_overwriting_inputs(&outputs, &args.inventory)?;

    let keys = TagKeys::default();
    let mut builder = AssessmentBuilder::new();
    for path in &args.inventory {
        let name = path.display().to_string();
        let reader = files::open_input(path)?;
        let input = builder.start_input(&name, native::FORMAT);
        native::read(&name, reader, &keys, |rec| builder.add(input, rec))?;
    }
    let assessment = builder.finish(&catalog);

    let meta = ReportMeta {
        organisation: args.org.trim().to_owned(),
        period: args.period.trim().to_owned(),
        generated_at,
        tool: format!("srmatrix {}", env!("CARGO_PKG_VERSION")),
    };
    let ctx = ReportContext::new(&assessment, &catalog, meta);
    let documents = srmatrix_render::render(&ctx, &formats, &templates)?;

    fs::create_dir_all(&args.out)
        .with_context(|| format!("creating output directory {}", args.out.display()))?;
    for doc in &documents {
        let path = files::write_atomic(&args.out, doc.file_name, &doc.bytes)?;
        eprintln!("wrote {} ({} bytes)", path.display(), doc.bytes.len());
    }
    eprintln!(
        "{} row(s) read, {} mapped; {} service(s) in use; {} unmapped identifier(s); {} finding(s)",
        assessment.total_rows(),
        assessment.mapped_rows(),
        assessment.services.len(),
        assessment.unmapped.len(),
        assessment.findings.len()
    );
    Ok(ExitCode::SUCCESS)
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
