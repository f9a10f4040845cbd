//! `report.json` has a `schema_version` and a JSON Schema, `docs/report.schema.json`, derived from
//! the report context's types (schemars): the committed schema is the one the types give, and
//! every report.json srmatrix writes validates against it.

use std::fs;

use serde_json::Value;

use crate::util::{assert_exit, repo, srmatrix_in};

/// The schema the types give, as committed (pretty JSON, one trailing newline).
fn generated() -> String {
    let schema = schemars::schema_for!(srmatrix_render::ReportContext);
    let mut text = serde_json::to_string_pretty(&schema).unwrap();
    text.push('\n');
    text
}

#[test]
fn the_committed_schema_is_the_one_the_types_give() {
    let path = repo("docs/report.schema.json");
    let want = generated();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&path, &want).unwrap();
    }
    let got = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "docs/report.schema.json is not the schema of the report context; rerun with UPDATE_GOLDEN=1"
    );
}

#[test]
fn every_report_json_validates_against_the_schema() {
    let schema: Value = serde_json::from_str(&generated()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::copy(repo("inputs/inventory.csv"), d.join("inventory.csv")).unwrap();
    // A starter policy, so that the policy view and its effects are in the report.
    assert_exit(&srmatrix_in(d, &["init"]), 0);
    let runs: [&[&str]; 2] = [
        &["report", "-i", "inventory.csv", "--out", "a", "-f", "json"],
        &[
            "report",
            "-i",
            "inventory.csv",
            "--out",
            "c",
            "-f",
            "json",
            "--framework",
            "fedramp-moderate,soc2",
            "--baseline",
            "a/report.json",
        ],
    ];
    for (i, args) in runs.iter().enumerate() {
        let o = srmatrix_in(d, args);
        assert_exit(&o, 0);
        let out = args[args.iter().position(|a| *a == "--out").unwrap() + 1];
        let report: Value =
            serde_json::from_slice(&fs::read(d.join(out).join("report.json")).unwrap()).unwrap();
        assert_eq!(report["schema_version"], 1);
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}:\n{}", errors.join("\n"));
        if i == 1 {
            assert!(
                report["changes"].is_object(),
                "the baseline run has changes"
            );
            assert!(report["policy"].is_object(), "srmatrix.toml was applied");
            assert_eq!(report["registers"].as_array().unwrap().len(), 2);
        }
    }
    // The schema is not vacuous: a register row without its status is refused.
    let mut bad: Value =
        serde_json::from_slice(&fs::read(d.join("c/report.json")).unwrap()).unwrap();
    bad["registers"][0]["rows"][0]
        .as_object_mut()
        .unwrap()
        .remove("status");
    assert!(!validator.is_valid(&bad));
    bad["registers"][0]["rows"][0]["status"] = Value::from("probably");
    assert!(!validator.is_valid(&bad));
}
