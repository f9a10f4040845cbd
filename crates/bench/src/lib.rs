//! Benchmark support for srmatrix.
//!
//! - [`generator`]: a deterministic generator of large, realistic AWS billing exports (legacy Cost
//!   and Usage Report and FOCUS 1.0), with its own pseudo-random number generator so that the same
//!   arguments always give the same bytes, whatever the versions of the dependencies.
//! - [`baseline`]: the reference loop the benchmark compares srmatrix against: a plain,
//!   single-threaded `csv` crate loop (through `flate2` for gzip input) that groups rows by
//!   account × service × team.
//!
//! The binary `srmatrix-bench` exposes both (`gen`, `baseline`); the criterion benchmarks in
//! `benches/` use the generator to build their inputs in memory.

pub mod baseline;
pub mod generator;
