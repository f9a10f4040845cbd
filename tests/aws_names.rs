//! Every AWS name the catalog relies on is AWS's own.
//!
//! `tests/data/aws-oscal/` holds what `scripts/aws-oscal/extract.py` takes from AWS's published
//! OSCAL content (Apache-2.0; see its PROVENANCE.md): the Security Hub CSPM controls, the AWS
//! Config rule components with the controls they evaluate, and one row per service component with
//! its identifiers. Ids AWS's snapshot lacks but its documentation lists are in the `-extra` files,
//! each with the page it was checked on. These tests hold the catalog to them: every Security
//! Hub control and Config rule named as evidence exists, every stated control/rule pair is one AWS
//! links, and every identifier of AWS's components resolves to the right catalog service.

use std::collections::{BTreeMap, BTreeSet};

use srmatrix_model::Catalog;

use crate::util::repo;

fn rows(name: &str) -> Vec<BTreeMap<String, String>> {
    let path = repo(&format!("tests/data/aws-oscal/{name}"));
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    rdr.deserialize()
        .map(|r| r.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// Every evidence item the catalog can put in a report: every service × control as resolved
/// (statement, deployment default or category default) and every category default.
fn evidence_items(catalog: &Catalog) -> BTreeSet<String> {
    let mut items = BTreeSet::new();
    for c in &catalog.controls {
        for r in c
            .by_category
            .iter()
            .chain(c.by_deployment.values().flatten())
        {
            items.extend(r.evidence.iter().cloned());
        }
    }
    for si in 0..catalog.services.len() {
        for ci in 0..catalog.controls.len() {
            items.extend(
                catalog
                    .resolve(si, ci)
                    .responsibility
                    .evidence
                    .iter()
                    .cloned(),
            );
        }
    }
    items
}

/// Security Hub CSPM control ids (`S3.1`, `APIGateway.8`) in an item that names Security Hub;
/// other dotted ids (ISO 27001 `A.7`, SOC 2 `A1.2`) are not controls.
fn security_hub_ids(item: &str) -> Vec<&str> {
    if !item.contains("Security Hub") {
        return Vec::new();
    }
    let bytes = item.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_uppercase()
            && (i == 0
                || !matches!(bytes[i - 1], b'.' | b'`' | b'-' | b'_')
                    && !bytes[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j + 1 < bytes.len() && bytes[j] == b'.' && bytes[j + 1].is_ascii_digit() {
            let mut k = j + 1;
            while k < bytes.len() && bytes[k].is_ascii_digit() {
                k += 1;
            }
            let next_ok = k == bytes.len()
                || !(bytes[k].is_ascii_alphanumeric()
                    || bytes[k] == b'_'
                    || (bytes[k] == b'.'
                        && k + 1 < bytes.len()
                        && bytes[k + 1].is_ascii_alphanumeric()));
            if next_ok {
                out.push(&item[i..k]);
            }
            i = k;
        } else {
            i = j.max(i + 1);
        }
    }
    out
}

/// Backticked AWS Config managed-rule names (lower-kebab) in an item that names Config; CLI
/// commands (`aws ...`) and parameters do not match.
fn config_rules(item: &str) -> Vec<&str> {
    if !item.contains("Config") {
        return Vec::new();
    }
    item.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.contains('-')
                && !s.starts_with('-')
                && !s.ends_with('-')
                && !s.contains("--")
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .collect()
}

struct AwsNames {
    controls: BTreeSet<String>,
    rules: BTreeSet<String>,
    /// Config rule name → Security Hub controls that AWS says it evaluates.
    links: BTreeMap<String, BTreeSet<String>>,
}

fn aws_names() -> AwsNames {
    let snapshot = rows("security-hub-controls.csv");
    let extra = rows("security-hub-controls-extra.csv");
    let rules = rows("config-rules.csv");
    let rules_extra = rows("config-rules-extra.csv");
    let mut names = AwsNames {
        controls: BTreeSet::new(),
        rules: BTreeSet::new(),
        links: BTreeMap::new(),
    };
    for r in &snapshot {
        names.controls.insert(r["id"].clone());
        for rule in r["assessment_rule"].split(';').filter(|s| !s.is_empty()) {
            names.rules.insert(rule.to_owned());
            names
                .links
                .entry(rule.to_owned())
                .or_default()
                .insert(r["id"].clone());
        }
    }
    for r in &extra {
        assert!(
            names.controls.insert(r["id"].clone()),
            "{} is in AWS's snapshot and in the extra file",
            r["id"]
        );
        assert!(!r["source"].is_empty() && !r["checked"].is_empty(), "{r:?}");
        if let Some(rest) = r["source"].split("AWS Config rule ").nth(1) {
            let rule: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                .collect();
            names.links.entry(rule).or_default().insert(r["id"].clone());
        }
    }
    for r in &rules {
        for name in [&r["config_rule"], &r["oscal_title"]] {
            names.rules.insert(name.clone());
            for c in r["security_hub_controls"]
                .split(';')
                .filter(|s| !s.is_empty())
            {
                names
                    .links
                    .entry(name.clone())
                    .or_default()
                    .insert(c.to_owned());
            }
        }
    }
    for r in &rules_extra {
        assert!(
            !r["checked"].to_ascii_uppercase().contains("UNVERIFIED"),
            "{} is not verified: the catalog must not cite it",
            r["config_rule"]
        );
        names.rules.insert(r["config_rule"].clone());
    }
    names
}

#[test]
fn the_extracts_are_whole() {
    assert_eq!(rows("security-hub-controls.csv").len(), 452);
    assert_eq!(rows("config-rules.csv").len(), 423);
    let components = rows("components.csv");
    assert_eq!(components.len(), 398);
    assert!(components.iter().all(|c| !c["catalog_service"].is_empty()));
}

#[test]
fn every_security_hub_control_cited_exists() {
    let catalog = Catalog::builtin().unwrap();
    let aws = aws_names();
    let mut cited = 0;
    let mut unknown = Vec::new();
    for item in evidence_items(&catalog) {
        for id in security_hub_ids(&item) {
            cited += 1;
            if !aws.controls.contains(id) {
                unknown.push(format!("{id} in: {item}"));
            }
        }
    }
    assert!(
        cited > 100,
        "only {cited} Security Hub ids found: the scanner is broken"
    );
    assert!(
        unknown.is_empty(),
        "not Security Hub controls:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn every_config_rule_cited_exists() {
    let catalog = Catalog::builtin().unwrap();
    let aws = aws_names();
    let mut cited = 0;
    let mut unknown = Vec::new();
    for item in evidence_items(&catalog) {
        for rule in config_rules(&item) {
            cited += 1;
            if !aws.rules.contains(rule) {
                unknown.push(format!("{rule} in: {item}"));
            }
        }
    }
    assert!(
        cited > 50,
        "only {cited} Config rules found: the scanner is broken"
    );
    assert!(
        unknown.is_empty(),
        "not AWS Config managed rules:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn stated_control_and_rule_pairs_are_the_ones_aws_links() {
    let catalog = Catalog::builtin().unwrap();
    let aws = aws_names();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for item in evidence_items(&catalog) {
        let (controls, rules) = (security_hub_ids(&item), config_rules(&item));
        // A pair is stated when one side names exactly one: each rule must evaluate one of the
        // item's controls, or the one control must be evaluated by one of its rules.
        if controls.is_empty() || rules.is_empty() || (controls.len() > 1 && rules.len() > 1) {
            continue;
        }
        checked += 1;
        let linked = |rule: &str| {
            aws.links
                .get(rule)
                .is_some_and(|l| controls.iter().any(|c| l.contains(*c)))
        };
        if !rules.iter().any(|r| linked(r)) {
            wrong.push(item.clone());
        }
    }
    assert!(checked >= 10, "only {checked} pairs found");
    assert!(
        wrong.is_empty(),
        "pairs AWS does not link:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_identifier_of_aws_components_resolves_to_its_service() {
    let catalog = Catalog::builtin().unwrap();
    let exceptions: BTreeMap<(String, String), String> = rows("identifier-exceptions.csv")
        .into_iter()
        .map(|r| {
            (
                (r["service_id"].clone(), r["identifier"].clone()),
                r["resolves_to"].clone(),
            )
        })
        .collect();
    let mut used_exceptions = BTreeSet::new();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for c in rows("components.csv") {
        let want = &c["catalog_service"];
        assert!(
            catalog.service_index(want).is_some(),
            "unknown catalog service {want}"
        );
        let mut idents: Vec<String> = [
            "service_id",
            "api_endpoint_prefix",
            "arn_namespace",
            "iam_prefix",
        ]
        .iter()
        .map(|k| c[*k].clone())
        .collect();
        let source = &c["cloudtrail_event_source"];
        idents.push(source.clone());
        if !source.is_empty() {
            idents.push(format!("{source}.amazonaws.com"));
        }
        idents.extend(c["labels"].split(';').map(str::to_owned));
        for ident in idents.iter().filter(|i| !i.trim().is_empty()) {
            checked += 1;
            let got = catalog
                .lookup(ident)
                .map(|i| catalog.services[i].id.as_str());
            let bare = ident.trim_end_matches(".amazonaws.com").to_owned();
            let expected = match exceptions.get(&(c["service_id"].clone(), bare.clone())) {
                Some(e) => {
                    used_exceptions.insert((c["service_id"].clone(), bare));
                    e.as_str()
                }
                None => want.as_str(),
            };
            if got != Some(expected) {
                wrong.push(format!(
                    "{} ({}): `{ident}` resolves to {got:?}, expected {expected}",
                    c["file"], c["service_id"]
                ));
            }
        }
    }
    assert!(checked > 1500, "{checked}");
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    let stale: Vec<_> = exceptions
        .keys()
        .filter(|k| !used_exceptions.contains(*k))
        .collect();
    assert!(
        stale.is_empty(),
        "exceptions that no longer occur: {stale:?}"
    );
}

#[test]
fn the_scanners_find_what_they_should() {
    assert_eq!(
        security_hub_ids("Security Hub CSPM findings export for controls EC2.13, EC2.19 and S3.1"),
        ["EC2.13", "EC2.19", "S3.1"]
    );
    assert!(security_hub_ids("ISO 27001 A.7 and SOC 2 A1.2 without the hub").is_empty());
    assert!(security_hub_ids("Security Hub control ids in `aws.config.1` or v1.2").is_empty());
    assert_eq!(
        config_rules("AWS Config rules `restricted-ssh` and `aws ec2 describe` (`KmsKeyId`)"),
        ["restricted-ssh"]
    );
}

#[test]
fn no_evidence_or_action_points_at_retired_tooling() {
    let catalog = Catalog::builtin().unwrap();
    // Every name of a service with an end of support, and retired features of services that go on.
    let mut retired: Vec<(String, &str)> = vec![("CodeGuru Security".to_owned(), "codeguru")];
    for s in &catalog.services {
        if s.lifecycle.status == srmatrix_model::LifecycleStatus::EndOfSupport {
            for name in std::iter::once(&s.name).chain(&s.aliases) {
                if name.contains(' ') {
                    retired.push((name.clone(), s.id.as_str()));
                }
            }
        }
    }
    assert!(retired.len() > 40, "{}", retired.len());
    let mut found = Vec::new();
    for (si, s) in catalog.services.iter().enumerate() {
        for ci in 0..catalog.controls.len() {
            let r = catalog.resolve(si, ci).responsibility;
            for text in r.evidence.iter().chain([&r.customer]) {
                for (name, owner) in &retired {
                    // A retired service's own statements may name it; a successor that keeps the
                    // name's start (the Amazon Chime SDK) is not the retired service.
                    let hit = text
                        .match_indices(name.as_str())
                        .any(|(at, _)| !text[at + name.len()..].starts_with(" SDK"));
                    if hit && s.id != *owner {
                        found.push(format!(
                            "{} × {}: names {name}: {text}",
                            s.id, catalog.controls[ci].id
                        ));
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    assert!(found.is_empty(), "{}", found.join("\n"));
}
