//! `srmatrix inspect`: how inventory files are read, without rendering a report.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use srmatrix_model::AssessmentBuilder;

use crate::digest::Hasher;
use crate::files;
use crate::inputs::{self, InputArgs};
use crate::term::outln;

/// Arguments of `srmatrix inspect`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  srmatrix inspect inputs/inventory.csv\n  srmatrix inspect cur-2026-09.csv.gz --team-tag CostCenterOwner\n  srmatrix inspect export.csv --input-format focus"
)]
pub struct Args {
    /// Inventory files (`-` for standard input; `.gz` read transparently; Parquet by its magic
    /// bytes), or directories of `.parquet` and `.csv.gz` files (an AWS Data Exports partition).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    /// Directory whose catalog files replace the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
}

/// Runs `srmatrix inspect`.
pub fn run(mut args: Args) -> Result<ExitCode> {
    args.files = inputs::expand_dirs(&args.files)?;
    inputs::refuse_duplicates(&args.files)?;
    // The first input's digest begins while the catalog loads (crate::digest).
    let mut hasher = Hasher::start(args.files.first().map(|p| p.as_path()));
    let catalog = files::load_catalog(args.catalog.as_deref())?;
    let mut builder = AssessmentBuilder::new();
    builder.set_max_groups(args.input.max_groups());
    builder.set_resolver(catalog.resolver().clone());
    let (stats, digests) = inputs::read_all(
        &args.files,
        &args.input.options(),
        args.input.reading(),
        &mut builder,
        &mut hasher,
    )?;
    let mut a = builder.finish(&catalog);
    digests.settle(&mut a.inputs)?;
    for (summary, stats) in a.inputs.iter().zip(&stats) {
        outln!("{}", crate::term::escape(&summary.name))?;
        outln!("  format:             {}", summary.format)?;
        if let Some(pq) = &stats.parquet {
            outln!(
                "  parquet:            {} row group(s), {} row(s), {} leaf column(s){}",
                pq.row_groups,
                pq.rows,
                pq.leaf_columns,
                pq.created_by
                    .as_deref()
                    .map(|w| format!(", written by {}", crate::term::escape(w)))
                    .unwrap_or_default()
            )?;
            outln!(
                "  columns read:       {} of {} (codecs: {})",
                pq.columns_read.len(),
                stats.header.len(),
                pq.codecs.join(", ")
            )?;
            for c in &pq.columns_read {
                outln!("    {}", crate::term::escape(c))?;
            }
        } else if !stats.header.is_empty() {
            outln!("  columns:            {}", stats.header.len())?;
        }
        outln!("  rows read:          {}", summary.rows)?;
        outln!("  mapped to services: {}", summary.mapped_rows)?;
        outln!("  unmapped:           {}", summary.unmapped_rows)?;
        outln!("  non-service codes:  {}", summary.non_service_rows)?;
        outln!("  non-resource rows:  {}", summary.non_resource_rows)?;
        for (provider, n) in &summary.other_provider_rows {
            outln!("  other provider:     {n} ({provider})")?;
        }
        outln!("  blank service:      {}", summary.blank_service_rows)?;
        outln!("  blank resource id:  {}", summary.blank_resource_ids)?;
        if summary.ragged_rows > 0 {
            outln!("  ragged rows:        {}", summary.ragged_rows)?;
        }
        if stats.malformed_tag_rows > 0 {
            outln!("  malformed tags:     {} row(s)", stats.malformed_tag_rows)?;
        }
        if !summary.duplicate_columns.is_empty() {
            outln!(
                "  duplicate columns:  {}",
                summary.duplicate_columns.join(", ")
            )?;
        }
        if !summary.line_item_types.is_empty() {
            outln!("  rows per line-item type / charge category:")?;
            for (t, n) in &summary.line_item_types {
                outln!("    {t}: {n}")?;
            }
        }
        outln!(
            "  accounted for:      {} of {} rows",
            summary.accounted_rows(),
            summary.rows
        )?;
    }
    outln!()?;
    outln!("{} service(s) in use:", a.services.len())?;
    for s in &a.services {
        outln!(
            "  {:<24} {:<14} {} row(s), {} resource(s)",
            s.service.id,
            s.service.category.as_str(),
            s.rows,
            s.resources
        )?;
    }
    if !a.non_service.is_empty() {
        outln!("non-service billing codes:")?;
        for n in &a.non_service {
            let codes: Vec<&str> = n.codes.iter().map(String::as_str).collect();
            outln!("  {:<24} {} row(s): {}", n.group, n.rows, codes.join(", "))?;
        }
    }
    if !a.unmapped.is_empty() {
        outln!("unmapped identifiers:")?;
        for u in &a.unmapped {
            outln!("  {:?}: {} row(s)", u.identifier, u.rows)?;
        }
        let others = &a.unmapped_others;
        if others.identifiers > 0 {
            outln!(
                "  and {} more identifier(s), not listed: {} row(s)",
                others.identifiers,
                others.rows
            )?;
        }
    }
    // The process ends here: its memory goes back whole, without freeing the assessment and
    // the catalog string by string first.
    std::mem::forget(a);
    std::mem::forget(catalog);
    Ok(ExitCode::SUCCESS)
}
