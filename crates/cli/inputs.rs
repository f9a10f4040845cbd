//! Reading inventory inputs into an assessment: options shared by `report` and `inspect`.

use std::path::PathBuf;

use anyhow::Result;
use srmatrix_import::{Format, ImportOptions, ImportStats, Limits, TagKeys};
use srmatrix_model::AssessmentBuilder;

use crate::files;

/// How inputs are read.
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Read every input as this format instead of detecting it from the header: native, cur,
    /// cur-athena, cur2, focus, aws-config, tag-editor, resource-explorer, arn-list.
    #[arg(long, value_name = "NAME")]
    input_format: Option<Format>,
    /// Tag key that names the owner team (repeatable; replaces the defaults Team, owner_team,
    /// Owner, application, business_unit).
    #[arg(long = "team-tag", value_name = "KEY")]
    team_tags: Vec<String>,
    /// Tag key that names the environment (repeatable; replaces the defaults environment, env, stage).
    #[arg(long = "env-tag", value_name = "KEY")]
    env_tags: Vec<String>,
    /// Tag key that names the data classification (repeatable; replaces the defaults
    /// data_classification, classification).
    #[arg(long = "classification-tag", value_name = "KEY")]
    classification_tags: Vec<String>,
    /// Largest field accepted, in bytes.
    #[arg(long, default_value_t = Limits::default().max_field_bytes, value_name = "BYTES")]
    max_field_bytes: u64,
    /// Longest line accepted, in bytes.
    #[arg(long, default_value_t = Limits::default().max_line_bytes, value_name = "BYTES")]
    max_line_bytes: u64,
    /// Most columns accepted in a header or row.
    #[arg(long, default_value_t = Limits::default().max_columns, value_name = "N")]
    max_columns: usize,
    /// Most distinct groups (service × account × region × team × environment × classification)
    /// kept in memory; beyond it the run stops with an error (pre-aggregate the input instead).
    #[arg(long, default_value_t = srmatrix_model::assess::DEFAULT_MAX_GROUPS, value_name = "N")]
    max_groups: usize,
}

impl InputArgs {
    /// The importer options these arguments ask for.
    pub fn options(&self) -> ImportOptions {
        self.options_with(None)
    }

    /// The importer options: tag keys from the flags, else from the policy, else the defaults.
    pub fn options_with(&self, policy: Option<&srmatrix_model::Policy>) -> ImportOptions {
        let mut keys = TagKeys::default();
        if let Some(p) = policy {
            for (slot, given) in [
                (&mut keys.team, &p.tags.team),
                (&mut keys.environment, &p.tags.environment),
                (&mut keys.classification, &p.tags.classification),
            ] {
                if !given.is_empty() {
                    slot.clone_from(given);
                }
            }
        }
        if !self.team_tags.is_empty() {
            keys.team.clone_from(&self.team_tags);
        }
        if !self.env_tags.is_empty() {
            keys.environment.clone_from(&self.env_tags);
        }
        if !self.classification_tags.is_empty() {
            keys.classification.clone_from(&self.classification_tags);
        }
        ImportOptions {
            format: self.input_format,
            tag_keys: keys,
            limits: Limits {
                max_field_bytes: self.max_field_bytes,
                max_line_bytes: self.max_line_bytes,
                max_columns: self.max_columns,
            },
        }
    }

    /// The most distinct groups to keep.
    pub fn max_groups(&self) -> usize {
        self.max_groups
    }
}

/// Reads every input into the builder, one after the other, streaming.
pub fn read_all(
    paths: &[PathBuf],
    opts: &ImportOptions,
    builder: &mut AssessmentBuilder,
) -> Result<Vec<ImportStats>> {
    let mut all = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let (reader, digest) = files::open_input(path)?;
        let input = builder.start_input(&name, "");
        // Import errors name the input, line and column themselves.
        let stats = srmatrix_import::read(&name, reader, opts, |rec| builder.add(input, rec))?;
        builder.input_details(
            input,
            stats.format.as_str(),
            stats.ragged_rows,
            &stats.duplicate_columns,
        );
        if let Some((name, line)) = builder.limit_exceeded() {
            anyhow::bail!(
                "{name}:{line}:1: more distinct groups (service × account × region × team × environment × classification) than --max-groups allows; raise it, or pre-aggregate the input (docs/inventory-formats.md)"
            );
        }
        let (sha256, bytes) = digest.finish();
        builder.input_digest(input, &sha256, bytes);
        all.push(stats);
    }
    Ok(all)
}
