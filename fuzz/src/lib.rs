//! Shared checks of the srmatrix fuzz targets. `checks.rs` is also compiled into the integration
//! tests (`tests/fuzz_regressions.rs`), which replay saved inputs through the same code.

#[path = "checks.rs"]
pub mod checks;
