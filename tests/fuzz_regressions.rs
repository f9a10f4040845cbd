//! Replays the inputs the fuzz targets (`fuzz/`) found or that guard their edge cases, saved
//! under `tests/fixtures/fuzz/<target>/`, through the same checks the targets run
//! (`fuzz/src/checks.rs`, compiled in here): no panic, and each target's invariants.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

#[path = "../fuzz/src/checks.rs"]
mod checks;

/// A target's check: panics when an invariant fails.
type Check = fn(&[u8]);

/// Each target directory and the check its inputs go through.
const TARGETS: [(&str, Check); 8] = [
    ("import_detect", checks::import_detect),
    ("import_forced", checks::import_forced),
    ("import_parquet", checks::import_parquet),
    ("catalog", checks::catalog),
    ("policy", checks::policy),
    ("template", checks::template),
    ("markdown", checks::markdown),
    ("tokenize_differential", checks::tokenize_differential),
];

fn replay(target: &str, check: Check) -> (usize, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    inputs.sort();
    let mut failures = Vec::new();
    for path in &inputs {
        let data = std::fs::read(path).unwrap();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            failures.push(format!("{}: {msg}", path.display()));
        }
    }
    (inputs.len(), failures)
}

#[test]
fn saved_fuzz_inputs_pass_their_targets_checks() {
    let mut failures = Vec::new();
    for (target, check) in TARGETS {
        let (count, mut failed) = replay(target, check);
        assert!(count > 0, "no saved inputs for {target}");
        failures.append(&mut failed);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_saved_input_is_described_in_its_readme() {
    for (target, _) in TARGETS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz")
            .join(target);
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name != "README.md" {
                assert!(
                    readme.contains(&format!("`{name}`")),
                    "{target}/README.md does not describe `{name}`"
                );
            }
        }
    }
}
