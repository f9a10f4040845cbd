//! The resource decides the service: one estate written as an AWS Config export, an ARN list and
//! a Tag Editor export (`tests/fixtures/resources/`) is reported under EBS, VPC, Transit Gateway
//! and VPN with their own statements, not all under EC2; `explain` shows the path; retired
//! services in use are findings; the OSCAL output links each service to AWS's own component.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::{assert_exit, repo, srmatrix, srmatrix_in, stderr, stdout};

/// `report -f json` of `inputs` in a fresh directory; the parsed report.json.
fn report_json(inputs: &[&Path], extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["report".into()];
    for i in inputs {
        args.push("-i".into());
        args.push(i.display().to_string());
    }
    args.extend(
        [
            "--out",
            "out",
            "-f",
            "json",
            "--generated-at",
            "2026-12-06T00:00:00Z",
        ]
        .map(String::from),
    );
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = srmatrix_in(dir.path(), &args);
    assert_exit(&o, 0);
    serde_json::from_slice(&fs::read(dir.path().join("out/report.json")).unwrap()).unwrap()
}

fn resources_per_service(report: &Value) -> BTreeMap<String, u64> {
    report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["resources"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn fixture(name: &str) -> std::path::PathBuf {
    repo(&format!("tests/fixtures/resources/{name}"))
}

fn want(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[test]
fn each_resource_is_reported_under_its_own_service_in_every_format() {
    let network = [
        ("ebs", 2),
        ("ec2", 1),
        ("transit-gateway", 2),
        ("vpc", 4),
        ("vpn", 3),
    ];
    let mut config = network.to_vec();
    config.extend([("aurora", 1), ("documentdb", 1)]);
    for (file, expected) in [
        ("config.csv", want(&config)),
        ("arns.txt", want(&network)),
        ("tag-editor.csv", want(&network)),
    ] {
        let report = report_json(&[&fixture(file)], &[]);
        assert_eq!(resources_per_service(&report), expected, "{file}");
    }
}

#[test]
fn the_report_says_which_rule_moved_the_rows_and_uses_the_services_own_statements() {
    let report = report_json(&[&fixture("config.csv")], &[]);
    let services = report["services"].as_array().unwrap();
    let service = |id: &str| services.iter().find(|s| s["id"] == id).unwrap();
    let ebs = service("ebs");
    let rules: Vec<&str> = ebs["resolved_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["resource id prefix snap-", "resource type AWS::EC2::Volume"]
    );
    // EBS answers guest-OS patching with its own statement, not the EC2 one.
    let pat01 = |s: &Value| -> (String, String) {
        let r = s["responsibilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["control"] == "SRM-PAT-01")
            .unwrap();
        (
            r["basis"].as_str().unwrap().to_owned(),
            r["customer"].as_str().unwrap().to_owned(),
        )
    };
    let (ebs_basis, ebs_text) = pat01(ebs);
    let (_, ec2_text) = pat01(service("ec2"));
    assert_eq!(ebs_basis, "service-statement");
    assert_ne!(ebs_text, ec2_text);
    // The VPN and Transit Gateway are AWS-run network services without a guest OS.
    for id in ["vpn", "transit-gateway", "vpc"] {
        let s = service(id);
        assert_eq!(s["deployment"]["id"], "aws-network-service", "{id}");
        let (basis, _) = pat01(s);
        assert_ne!(basis, "category-default", "{id}");
    }
    assert!(service("ec2")["deployment"].is_null());
}

#[test]
fn explain_resolves_resource_types_arns_and_ids_and_shows_the_path() {
    for (args, service, path) in [
        (
            vec!["explain", "AWS::EC2::Volume"],
            "(ebs)",
            "resource type AWS::EC2::Volume",
        ),
        (
            vec![
                "explain",
                "arn:aws:ec2:eu-west-1:111122223333:transit-gateway/tgw-1",
            ],
            "(transit-gateway)",
            "ARN resource ec2:transit-gateway/",
        ),
        (
            vec!["explain", "AmazonEC2", "--resource-id", "vol-0abc"],
            "(ebs)",
            "resource id prefix vol-",
        ),
        (
            vec!["explain", "AWS::RDS::DBCluster", "--engine", "docdb"],
            "(documentdb)",
            "database engine docdb",
        ),
        (
            vec!["explain", "AWS::Serverless::Function"],
            "(lambda)",
            "resource type AWS::Serverless::Function",
        ),
    ] {
        let o = srmatrix(&args);
        assert_exit(&o, 0);
        let text = stdout(&o);
        let first = text.lines().next().unwrap_or_default();
        assert!(first.ends_with(service), "{args:?}: {first}");
        assert!(text.contains(path), "{args:?}:\n{text}");
    }
    let o = srmatrix(&["explain", "AWS::EC2::Instance", "-f", "json"]);
    assert_exit(&o, 0);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["resolution"]["service"], "ec2");
    assert_eq!(v["resolution"]["rule"]["kind"], "cfn-type");
}

#[test]
fn explain_names_a_billing_code_as_charges_not_a_service() {
    let o = srmatrix(&["explain", "AWSDataTransfer"]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(err.contains("is not a service"), "{err}");
    assert!(err.contains("data-transfer"), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn a_retired_service_in_use_is_a_high_finding_with_aws_migration_path() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("inventory.csv");
    fs::write(
        &input,
        "service,account_id,region,resource_id,owner_team\n\
         AWS Elemental MediaStore,111122223333,eu-west-1,container-1,media\n\
         Amazon WorkMail,111122223333,eu-west-1,org-1,it\n\
         Amazon S3,111122223333,eu-west-1,bucket-1,web\n",
    )
    .unwrap();
    let report = report_json(&[&input], &[]);
    let findings = report["findings"].as_array().unwrap();
    let finding = |code: &str, subject: &str| {
        findings
            .iter()
            .find(|f| f["code"] == code && f["subject"] == subject)
            .unwrap_or_else(|| panic!("no {code} for {subject}: {findings:?}"))
    };
    let retired = finding("retired-service", "mediastore");
    assert_eq!(retired["severity"], "high");
    assert!(retired["message"].as_str().unwrap().contains("2025-11-13"));
    assert!(retired["action"].as_str().unwrap().contains("S3"));
    let announced = finding("end-of-support-announced", "workmail");
    assert_eq!(announced["severity"], "medium");
    let lifecycle = [
        "retired-service",
        "end-of-support-announced",
        "closed-to-new-customers",
    ];
    assert!(
        !findings
            .iter()
            .any(|f| f["subject"] == "s3" && lifecycle.contains(&f["code"].as_str().unwrap())),
        "an available service is no lifecycle finding"
    );
}

#[test]
fn oscal_components_link_to_aws_components_in_a_namespace_the_user_sets() {
    let dir = tempfile::tempdir().unwrap();
    let run = |ns: Option<&str>, out: &str| -> Value {
        let mut args = vec![
            "report",
            "-i",
            "config.csv",
            "--out",
            out,
            "-f",
            "oscal",
            "--generated-at",
            "2026-12-06T00:00:00Z",
        ];
        if let Some(ns) = ns {
            args.extend(["--oscal-namespace", ns]);
        }
        fs::copy(fixture("config.csv"), dir.path().join("config.csv")).unwrap();
        let o = srmatrix_in(dir.path(), &args);
        assert_exit(&o, 0);
        serde_json::from_slice(&fs::read(dir.path().join(out).join("report.oscal.json")).unwrap())
            .unwrap()
    };
    let default = run(None, "a");
    let text = default.to_string();
    assert!(
        !text.contains(".invalid"),
        "the default namespace is a real URI"
    );
    let components = default["component-definition"]["components"]
        .as_array()
        .unwrap();
    let ebs = components
        .iter()
        .find(|c| c["title"] == "Amazon Elastic Block Store")
        .unwrap();
    let props = ebs["props"].as_array().unwrap();
    assert!(props.iter().any(|p| p["name"] == "service-id"
        && p["ns"] == "http://aws.amazon.com/ns/oscal"
        && p["value"] == "EBS"));
    let link = ebs["links"][0]["href"].as_str().unwrap();
    assert!(
        link.starts_with(
            "https://raw.githubusercontent.com/awslabs/oscal-content-for-aws-services/"
        ) && link.contains("/component-definitions/ebs.oscal.json#"),
        "{link}"
    );
    // Same evidence, same document UUID; another namespace, other UUIDs and the user's `ns`.
    let again = run(None, "b");
    assert_eq!(
        default["component-definition"]["uuid"],
        again["component-definition"]["uuid"]
    );
    let ours = run(Some("https://grc.example.com/ns/oscal"), "c");
    assert_ne!(
        default["component-definition"]["uuid"],
        ours["component-definition"]["uuid"]
    );
    assert_ne!(
        components[0]["uuid"],
        ours["component-definition"]["components"][0]["uuid"]
    );
    assert!(
        ours.to_string()
            .contains("\"ns\":\"https://grc.example.com/ns/oscal\"")
    );
    // Other input bytes, another document UUID.
    fs::write(
        dir.path().join("config.csv"),
        fs::read_to_string(fixture("config.csv"))
            .unwrap()
            .replace("web-1", "web-2"),
    )
    .unwrap();
    let mut args = vec!["report", "-i", "config.csv", "--out", "d", "-f", "oscal"];
    args.extend(["--generated-at", "2026-12-06T00:00:00Z"]);
    assert_exit(&srmatrix_in(dir.path(), &args), 0);
    let changed: Value =
        serde_json::from_slice(&fs::read(dir.path().join("d/report.oscal.json")).unwrap()).unwrap();
    assert_ne!(
        default["component-definition"]["uuid"],
        changed["component-definition"]["uuid"]
    );
    // A namespace that is no URI is refused before anything is read.
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "config.csv",
            "--out",
            "e",
            "--oscal-namespace",
            "not a uri",
        ],
    );
    assert_exit(&o, 2);
}
