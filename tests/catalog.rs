//! The catalog covers what real exports bill for, and its commands and scoping options work.

use std::collections::BTreeSet;

use srmatrix_model::{Catalog, Identified};

use crate::util::{assert_exit, repo, srmatrix, stdout};

/// Every value of the named columns of a CSV file (plain or gzip).
fn column_values(path: &str, columns: &[&str]) -> BTreeSet<String> {
    let bytes = std::fs::read(repo(path)).unwrap();
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut s)
            .unwrap();
        s
    } else {
        String::from_utf8(bytes).unwrap()
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = rdr.headers().unwrap().clone();
    let idx: Vec<usize> = columns
        .iter()
        .filter_map(|c| {
            header
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == *c)
        })
        .collect();
    assert!(!idx.is_empty(), "{path} has none of {columns:?}");
    let mut out = BTreeSet::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for &i in &idx {
            if let Some(v) = rec
                .get(i)
                .map(str::trim)
                .filter(|v| !v.is_empty() && *v != "NULL")
            {
                out.insert(v.to_owned());
            }
        }
    }
    out
}

#[track_caller]
fn all_identified(catalog: &Catalog, values: &BTreeSet<String>, what: &str) {
    let missing: Vec<&String> = values
        .iter()
        .filter(|v| catalog.identify(v).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "{what}: not in the catalog: {missing:?}"
    );
}

#[test]
fn every_product_code_of_the_real_samples_is_a_service_or_a_billing_group() {
    let catalog = Catalog::builtin().unwrap();
    let observed = column_values(
        "tests/fixtures/service-ids/observed_cur_pairs.csv",
        &["lineItem/ProductCode", "product/servicecode"],
    );
    assert!(observed.len() >= 20);
    all_identified(&catalog, &observed, "observed_cur_pairs.csv");
    let legacy = column_values(
        "tests/fixtures/formats/legacy-cur/test_cur.csv.gz",
        &["lineItem/ProductCode", "product/servicecode"],
    );
    all_identified(&catalog, &legacy, "test_cur.csv.gz");
    let athena = column_values(
        "tests/fixtures/formats/cur-athena/2022-07-01-alt-columns.csv",
        &["line_item_product_code", "product_servicecode"],
    );
    all_identified(&catalog, &athena, "2022-07-01-alt-columns.csv");
}

#[test]
fn every_aws_service_name_of_the_focus_sample_is_known() {
    let catalog = Catalog::builtin().unwrap();
    let path = repo("tests/fixtures/formats/focus/focus_sample.csv");
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header = rdr.headers().unwrap().clone();
    let provider = header.iter().position(|h| h == "ProviderName").unwrap();
    let name = header.iter().position(|h| h == "ServiceName").unwrap();
    let mut names = BTreeSet::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if rec.get(provider) == Some("AWS") {
            names.insert(rec.get(name).unwrap().to_owned());
        }
    }
    assert!(names.len() >= 20, "{names:?}");
    all_identified(&catalog, &names, "focus_sample.csv ServiceName");
}

#[test]
fn billing_codes_are_not_services() {
    let catalog = Catalog::builtin().unwrap();
    for code in ["AWSDataTransfer", "mra"] {
        assert!(
            matches!(catalog.identify(code), Some(Identified::Billing(_))),
            "{code} is a non-service billing code"
        );
        assert_eq!(catalog.lookup(code), None);
    }
}

#[test]
fn catalog_covers_every_iam_prefix_with_a_category() {
    let catalog = Catalog::builtin().unwrap();
    assert!(
        catalog.services.len() >= 300,
        "{} services",
        catalog.services.len()
    );
    for s in &catalog.services {
        if s.id != s.id.trim() || s.name.is_empty() {
            panic!("bad service {s:?}");
        }
    }
}

#[test]
fn frameworks_list_and_control_filter() {
    let o = srmatrix(&["catalog", "frameworks", "--format", "csv"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    for id in [
        "nist-800-53",
        "iso-27001",
        "soc2",
        "pci-dss",
        "cis-aws",
        "csa-ccm",
        "hipaa",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("\"{id}\","))),
            "{id} listed"
        );
    }
    let catalog = Catalog::builtin().unwrap();
    let o = srmatrix(&[
        "catalog",
        "controls",
        "--framework",
        "cis-aws",
        "--format",
        "json",
    ]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let listed = v.as_array().unwrap();
    let expected = catalog
        .controls
        .iter()
        .filter(|c| c.frameworks.contains_key("cis-aws"))
        .count();
    assert_eq!(listed.len(), expected);
    assert!(expected > 0 && expected < catalog.controls.len());
    for c in listed {
        assert!(
            c["frameworks"]["cis-aws"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        );
    }
    assert_exit(
        &srmatrix(&["catalog", "controls", "--framework", "nope"]),
        1,
    );
}

#[test]
fn report_scoped_to_one_framework() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = srmatrix(&[
        "report",
        "-i",
        "inputs/inventory.csv",
        "--out",
        out,
        "--framework",
        "hipaa",
        "--format",
        "csv,md",
    ]);
    assert_exit(&o, 0);
    let catalog = Catalog::builtin().unwrap();
    let hipaa: BTreeSet<&str> = catalog
        .controls
        .iter()
        .filter(|c| c.frameworks.get("hipaa").is_some_and(|v| !v.is_empty()))
        .map(|c| c.id.as_str())
        .collect();
    let mut rdr = csv::Reader::from_path(dir.path().join("report.csv")).unwrap();
    let header = rdr.headers().unwrap().clone();
    let ctl = header.iter().position(|h| h == "control_id").unwrap();
    let fw = header.iter().position(|h| h == "frameworks").unwrap();
    let mut seen = BTreeSet::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        seen.insert(rec.get(ctl).unwrap().to_owned());
        let refs = rec.get(fw).unwrap();
        assert!(
            refs.starts_with("hipaa: ") && !refs.contains(';'),
            "only HIPAA references: {refs}"
        );
    }
    let seen: BTreeSet<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(seen, hipaa);
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("| Frameworks | scoped to hipaa |"));
    assert_exit(
        &srmatrix(&[
            "report",
            "-i",
            "inputs/inventory.csv",
            "--out",
            out,
            "--framework",
            "nope",
        ]),
        1,
    );
}

#[test]
fn report_grouped_by_the_guidance_taxonomy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = srmatrix(&[
        "report",
        "-i",
        "inputs/inventory.csv",
        "--out",
        out,
        "--format",
        "md",
        "--taxonomy",
        "guidance",
    ]);
    assert_exit(&o, 0);
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        md.contains("### Serverless services (AWS Prescriptive Guidance)"),
        "lambda is serverless"
    );
    assert!(
        md.contains("### Container services (AWS Prescriptive Guidance)"),
        "eks, ecs are container"
    );
    assert_exit(
        &srmatrix(&[
            "report",
            "-i",
            "inputs/inventory.csv",
            "--out",
            out,
            "--taxonomy",
            "nope",
        ]),
        2,
    );
}

#[test]
fn services_list_shows_both_taxonomies() {
    let o = srmatrix(&["catalog", "services", "--format", "csv"]);
    let text = stdout(&o);
    let header = text.lines().next().unwrap();
    assert!(
        header.contains(r#""whitepaper_2016","guidance_category","taxonomies_disagree""#),
        "{header}"
    );
    let lambda = text.lines().find(|l| l.starts_with("\"lambda\",")).unwrap();
    assert!(lambda.contains(",\"serverless\","), "{lambda}");
    let ec2 = text.lines().find(|l| l.starts_with("\"ec2\",")).unwrap();
    assert!(
        ec2.contains(",\"infrastructure\",\"infrastructure\","),
        "{ec2}"
    );
}
