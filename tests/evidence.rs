//! Verifiable evidence: every report run writes `manifest.json`; `srmatrix verify` recomputes the
//! hashes; the same inputs give byte-identical outputs.

use std::fs;
use std::process::Command;

use crate::util::{assert_exit, repo, stdout};

/// Runs `srmatrix` in `dir` with a fixed SOURCE_DATE_EPOCH.
fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_srmatrix"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1790812800")
        .output()
        .unwrap()
}

fn report_in(dir: &std::path::Path) {
    fs::copy(repo("inputs/inventory.csv"), dir.join("inventory.csv")).unwrap();
    let o = run_in(
        dir,
        &[
            "report",
            "-i",
            "inventory.csv",
            "--out",
            "out",
            "--format",
            "md,html,csv,json,xlsx",
        ],
    );
    assert_exit(&o, 0);
}

#[test]
fn manifest_records_every_input_and_output_with_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    report_in(dir.path());
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["generated_at"], "2026-10-01T00:00:00Z");
    assert!(m["tool"].as_str().unwrap().starts_with("srmatrix "));
    assert!(
        m["command_line"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--format")
    );
    assert_eq!(
        m["catalog_files"].as_array().unwrap().len(),
        srmatrix_model::CatalogSources::FILE_NAMES.len()
            + srmatrix_model::requirements::BUILTIN_FILES.len()
    );
    let outputs = m["outputs"].as_array().unwrap();
    let mut names: Vec<&str> = outputs
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    let mut on_disk: Vec<String> = fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "manifest.json")
        .collect();
    on_disk.sort();
    assert_eq!(names, on_disk, "every output is in the manifest");
    for o in outputs {
        let bytes = fs::read(dir.path().join("out").join(o["path"].as_str().unwrap())).unwrap();
        assert_eq!(o["bytes"].as_u64().unwrap(), bytes.len() as u64);
        assert_eq!(
            o["sha256"].as_str().unwrap(),
            crate::util::sha256_hex(&bytes)
        );
    }
    let input = &m["inputs"][0];
    assert_eq!(input["path"], "inventory.csv");
    assert_eq!(input["format"], "native");
    assert_eq!(input["rows"], 188);
}

#[test]
fn verify_says_intact_then_modified_then_missing() {
    let dir = tempfile::tempdir().unwrap();
    report_in(dir.path());
    let o = run_in(dir.path(), &["verify", "out"]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).contains("intact: every file matches"),
        "{}",
        stdout(&o)
    );

    let md = dir.path().join("out/report.md");
    let mut text = fs::read(&md).unwrap();
    text[100] ^= 1;
    fs::write(&md, &text).unwrap();
    let o = run_in(dir.path(), &["verify", "out"]);
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.contains("MODIFIED") && l.ends_with("report.md")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("ok") && l.ends_with("report.csv")),
        "{out}"
    );

    fs::remove_file(dir.path().join("out/report.xlsx")).unwrap();
    let o = run_in(dir.path(), &["verify", "out"]);
    assert_exit(&o, 1);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.contains("MISSING") && l.ends_with("report.xlsx"))
    );

    // A fresh run rewrites every output; then the input moves away.
    report_in(dir.path());
    assert_exit(&run_in(dir.path(), &["verify", "out"]), 0);
    fs::remove_file(dir.path().join("inventory.csv")).unwrap();
    assert_exit(&run_in(dir.path(), &["verify", "out"]), 1);
    assert_exit(
        &run_in(dir.path(), &["verify", "out", "--inputs-optional"]),
        0,
    );
}

#[test]
fn same_inputs_give_byte_identical_outputs_and_manifest() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    report_in(a.path());
    report_in(b.path());
    let mut names: Vec<String> = fs::read_dir(a.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let x = fs::read(a.path().join("out").join(&name)).unwrap();
        let y = fs::read(b.path().join("out").join(&name)).unwrap();
        if name == "manifest.json" {
            // The manifests differ only in where the input was: its absolute path.
            let strip = |bytes: &[u8], dir: &std::path::Path| {
                let dir = fs::canonicalize(dir).unwrap();
                String::from_utf8(bytes.to_vec())
                    .unwrap()
                    .replace(dir.to_str().unwrap(), "DIR")
            };
            assert_eq!(strip(&x, a.path()), strip(&y, b.path()));
            continue;
        }
        assert!(x == y, "{name} differs between two runs");
    }
}

#[test]
fn verify_without_a_manifest_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["verify", "."]);
    assert_exit(&o, 1);
}
