//! `--format oscal`: `report.oscal.json`, an OSCAL 1.1.2 component definition, validated against
//! NIST's JSON Schema in `tests/fixtures/oscal/` (provenance in its README). The official examples
//! are validated too, which shows that the validator works. Broken copies of them must fail.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{assert_exit, repo, sha256_hex, srmatrix, stderr};

/// Services in use in the bundled example (`inputs/inventory.csv`).
const EXAMPLE_SERVICES: usize = 67;

fn fixture(name: &str) -> Vec<u8> {
    fs::read(repo(&format!("tests/fixtures/oscal/{name}"))).unwrap()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// The OSCAL 1.1.2 component-definition schema (draft-07), with format validation on.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&json(&fixture("oscal_component_schema.json")))
            .unwrap()
    })
}

fn errors(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn oscal_fixtures_are_the_documented_bytes() {
    for (name, sha256) in [
        (
            "oscal_component_schema.json",
            "7b74710940ad39b6b63d4ddccbadf2c7d2e9bf11b07808d41d2aa27a4616e5ce",
        ),
        (
            "example-component-definition.json",
            "9dabff90824256be3688b071a70b98827e58643d6c7bec445155d0e27fd944e4",
        ),
        (
            "example-component.json",
            "f115bdc4365108f67d4e5503f19f26676338b3b91a353a1fd95b1063ac411758",
        ),
    ] {
        assert_eq!(sha256_hex(&fixture(name)), sha256, "{name}");
    }
}

#[test]
fn official_oscal_examples_validate() {
    for name in [
        "example-component-definition.json",
        "example-component.json",
    ] {
        let errs = errors(&json(&fixture(name)));
        assert!(errs.is_empty(), "{name}: {errs:#?}");
    }
}

/// What is broken, and how.
type Breakage = (&'static str, fn(&mut Value));

#[test]
fn oscal_schema_rejects_broken_examples() {
    let example = json(&fixture("example-component-definition.json"));
    let broken: [Breakage; 5] = [
        ("uuid removed", |d| {
            d["component-definition"]
                .as_object_mut()
                .unwrap()
                .remove("uuid");
        }),
        ("control-id `bad id`", |d| {
            d["component-definition"]["components"][0]["control-implementations"][0]["implemented-requirements"]
                [0]["control-id"] = "bad id".into();
        }),
        ("last-modified without a time", |d| {
            d["component-definition"]["metadata"]["last-modified"] = "2024-02-01".into();
        }),
        ("party uuid not a uuid", |d| {
            d["component-definition"]["components"][0]["responsible-roles"][0]["party-uuids"][0] =
                "not-a-uuid".into();
        }),
        ("unknown top-level property", |d| {
            d["unexpected"] = true.into();
        }),
    ];
    for (what, breaks) in broken {
        let mut doc = example.clone();
        breaks(&mut doc);
        assert!(!errors(&doc).is_empty(), "{what}: accepted");
    }
}

fn render_oscal(out: &Path) -> Vec<u8> {
    let o = srmatrix(&[
        "report",
        "--inventory",
        "inputs/inventory.csv",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "oscal",
        "--generated-at",
        "2026-10-01T00:00:00Z",
    ]);
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("report.oscal.json"), "{}", stderr(&o));
    fs::read(out.join("report.oscal.json")).unwrap()
}

/// `ac-2` or `ac-2.1`: lower-case family, numbers without leading zeros.
fn is_oscal_control_id(id: &str) -> bool {
    let number =
        |n: &str| !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit());
    let Some((family, rest)) = id.split_once('-') else {
        return false;
    };
    let (base, enhancement) = match rest.split_once('.') {
        Some((b, e)) => (b, Some(e)),
        None => (rest, None),
    };
    family.len() >= 2
        && family.bytes().all(|b| b.is_ascii_lowercase())
        && number(base)
        && enhancement.is_none_or(number)
}

/// Every `uuid` value in the document.
fn uuids<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("uuid", Value::String(s)) => out.push(s),
                    _ => uuids(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| uuids(v, out)),
        _ => {}
    }
}

#[test]
fn example_oscal_report_validates_and_is_reproducible() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let bytes = render_oscal(a.path());
    assert!(
        bytes == render_oscal(b.path()),
        "two runs give different bytes"
    );

    let doc = json(&bytes);
    let errs = errors(&doc);
    assert!(
        errs.is_empty(),
        "{} schema errors, first: {:#?}",
        errs.len(),
        &errs[..errs.len().min(10)]
    );

    let cd = &doc["component-definition"];
    assert_eq!(cd["metadata"]["oscal-version"], "1.1.2");
    assert_eq!(cd["metadata"]["last-modified"], "2026-10-01T00:00:00Z");

    let components = cd["components"].as_array().unwrap();
    assert_eq!(
        components.len(),
        EXAMPLE_SERVICES,
        "one component per service"
    );
    let titles: BTreeSet<&str> = components
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), EXAMPLE_SERVICES, "distinct services");

    let mut requirements = 0;
    for c in components {
        assert_eq!(c["type"], "service", "{}", c["title"]);
        for ci in c["control-implementations"].as_array().unwrap() {
            let ids: Vec<&str> = ci["implemented-requirements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["control-id"].as_str().unwrap())
                .collect();
            requirements += ids.len();
            for id in &ids {
                assert!(is_oscal_control_id(id), "{}: control-id `{id}`", c["title"]);
            }
            let unique: BTreeSet<&str> = ids.iter().copied().collect();
            assert_eq!(
                unique.len(),
                ids.len(),
                "{}: repeated control-id",
                c["title"]
            );
        }
    }
    assert!(
        requirements > EXAMPLE_SERVICES,
        "{requirements} requirements"
    );

    let mut all = Vec::new();
    uuids(&doc, &mut all);
    let distinct: BTreeSet<&str> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "every uuid is unique");
}
