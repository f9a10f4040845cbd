//! Integration tests: the `srmatrix` binary run end to end, golden reports, the seed statements,
//! and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

mod aws_names;
mod bad_input;
mod browser;
mod catalog;
mod cli;
mod evidence;
mod formats;
mod fuzz_regressions;
mod gfm;
mod golden;
mod hostile;
mod integrity;
mod oscal;
mod parquet;
mod policy;
mod properties;
mod resources;
mod schema;
mod seeds;
mod spreadsheet;
mod workflow;
