//! Every inventory format, read from its fixture (real public exports where one exists, built from
//! AWS's documentation otherwise; see `tests/fixtures/formats/*/README.md`) and checked against
//! `tests/fixtures/formats/expected.json`, which the fixtures' author computed independently with
//! Python (`compute_expected.py`).
//!
//! The expectations encode srmatrix's documented choices (`docs/inventory-formats.md`): rows whose
//! CUR billing entity is `AWS Marketplace` count as Marketplace, a partial ARN stays an unmapped
//! identifier, and an explicit service column wins over an ARN.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;
use srmatrix_import::{Format, ImportOptions};
use srmatrix_model::{AssessmentBuilder, Catalog};

use crate::util::repo;

fn read_fixture(rel: &str) -> Vec<u8> {
    let bytes = std::fs::read(repo(&format!("tests/fixtures/formats/{rel}"))).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes
    }
}

fn counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// The format each fixture directory holds.
fn format_of(rel: &str) -> Format {
    let dir = rel.split('/').next().unwrap();
    let file = rel.rsplit('/').next().unwrap();
    match (dir, file) {
        ("legacy-cur" | "legacy-cur-built", _) | ("quirks", "cur-case-variant-tag-columns.csv") => {
            Format::Cur
        }
        ("cur-athena", _) | ("quirks", "spaced-headers.csv") => Format::CurAthena,
        ("cur2", _) => Format::Cur2,
        ("focus", _) | ("quirks", "focus-1.3-service-provider.csv") => Format::Focus,
        ("aws-config", _) => Format::AwsConfig,
        ("tag-editor", _) => Format::TagEditor,
        ("resource-explorer", _) => Format::ResourceExplorer,
        ("arn-list", _) => Format::ArnList,
        _ => Format::Native,
    }
}

#[test]
fn every_fixture_imports_as_expected() {
    let catalog = Catalog::builtin().unwrap();
    let text = std::fs::read_to_string(repo("tests/fixtures/formats/expected.json")).unwrap();
    let expected: Value = serde_json::from_str(&text).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (rel, want) in expected.as_object().unwrap() {
        if rel.starts_with('_') {
            continue;
        }
        checked += 1;
        let bytes = read_fixture(rel);
        let mut builder = AssessmentBuilder::new();
        builder.set_resolver(catalog.resolver().clone());
        let input = builder.start_input(rel, "");
        let stats = match srmatrix_import::read(rel, &bytes[..], &ImportOptions::default(), |r| {
            builder.add(input, r)
        }) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{rel}: {e}"));
                continue;
            }
        };
        builder.input_details(
            input,
            stats.format.as_str(),
            stats.ragged_rows,
            &stats.duplicate_columns,
        );
        let a = builder.finish(&catalog);
        let s = &a.inputs[0];
        let mut check = |what: &str, got: String, want: String| {
            if got != want {
                failures.push(format!("{rel}: {what}: got {got}, expected {want}"));
            }
        };
        check(
            "format",
            stats.format.to_string(),
            format_of(rel).to_string(),
        );
        check(
            "rows read",
            s.rows.to_string(),
            want["rows_read"].to_string(),
        );
        check(
            "every row accounted once",
            s.accounted_rows().to_string(),
            s.rows.to_string(),
        );
        if want.get("resources_per_service_id").is_some() {
            // A pre-aggregated native inventory: compare resources, not rows.
            let resources: BTreeMap<String, u64> = a
                .services
                .iter()
                .map(|u| (u.service.id.clone(), u.resources))
                .collect();
            check(
                "resources per service",
                format!("{resources:?}"),
                format!("{:?}", counts(&want["resources_per_service_id"])),
            );
            let unmapped: BTreeMap<String, u64> = a
                .unmapped
                .iter()
                .map(|u| (u.identifier.clone(), u.resources))
                .collect();
            check(
                "unmapped resources",
                format!("{unmapped:?}"),
                format!("{:?}", counts(&want["unmapped_identifiers_resources"])),
            );
            let groups: Vec<&str> = a.non_service.iter().map(|n| n.group.as_str()).collect();
            let want_groups: Vec<String> = counts(&want["billing_code_resources"])
                .into_keys()
                .collect();
            check(
                "non-service groups",
                format!("{groups:?}"),
                format!("{want_groups:?}"),
            );
            // `resources_without_owner_team` of the fixture also counts non-service billing rows
            // (data transfer); srmatrix reports only resources of services as unowned.
            continue;
        }

        let per_service: BTreeMap<String, u64> = a
            .services
            .iter()
            .map(|u| (u.service.id.clone(), u.rows))
            .collect();
        check(
            "resource rows per service",
            format!("{per_service:?}"),
            format!("{:?}", counts(&want["resource_rows_per_service_id"])),
        );

        check(
            "non-resource rows",
            s.non_resource_rows.to_string(),
            want["non_resource_rows_total"].to_string(),
        );
        let other: u64 = s.other_provider_rows.values().sum();
        check(
            "other-provider rows",
            other.to_string(),
            want["other_provider_rows_total"].to_string(),
        );

        let want_billing = counts(&want["billing_code_rows"]);
        let want_unmapped = counts(&want["unmapped_identifiers"]);
        let billing: BTreeMap<String, u64> = a
            .non_service
            .iter()
            .map(|n| (n.group.clone(), n.rows))
            .collect();
        check(
            "non-service billing rows",
            format!("{billing:?}"),
            format!("{want_billing:?}"),
        );
        let unmapped: BTreeMap<String, u64> = a
            .unmapped
            .iter()
            .map(|u| (u.identifier.clone(), u.rows))
            .collect();
        if matches!(stats.format, Format::TagEditor | Format::ResourceExplorer) {
            // The explicit `Service` column names the unknown service (`NimbusGrid`); the fixture
            // author keyed it by ARN. Same rows, another spelling.
            let rows = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
            check(
                "unmapped rows",
                rows(&unmapped).to_string(),
                rows(&want_unmapped).to_string(),
            );
        } else {
            check(
                "unmapped identifiers",
                format!("{unmapped:?}"),
                format!("{want_unmapped:?}"),
            );
        }

        if stats.format != Format::Native {
            // Resources are distinct resource ids; services with rows that have no id also count
            // one unidentified resource per group (cross-checked against the SQL below).
            let blank = counts(&want["rows_without_resource_id_per_service"]);
            let resources: BTreeMap<String, u64> = a
                .services
                .iter()
                .filter(|u| !blank.contains_key(&u.service.id))
                .map(|u| (u.service.id.clone(), u.resources))
                .collect();
            let want_resources: BTreeMap<String, u64> =
                counts(&want["distinct_resource_ids_per_service"])
                    .into_iter()
                    .filter(|(k, _)| {
                        !k.starts_with("UNMAPPED:")
                            && !k.starts_with("BILLING:")
                            && !blank.contains_key(k)
                    })
                    .collect();
            check(
                "distinct resources per service",
                format!("{resources:?}"),
                format!("{want_resources:?}"),
            );
        }
    }
    assert!(checked >= 20, "only {checked} fixtures");
    assert!(
        failures.is_empty(),
        "{} mismatch(es):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn tag_keys_of_every_format_map_to_the_same_team() {
    let catalog = Catalog::builtin().unwrap();
    let cases: [(&str, &[u8]); 5] = [
        ("cur", b"lineItem/ProductCode,resourceTags/user:Team\nAmazonS3,payments\n"),
        ("athena", b"line_item_product_code,resource_tags_user_team\nAmazonS3,payments\n"),
        ("cur2", b"line_item_product_code,resource_tags\nAmazonS3,\"{\"\"user_Team\"\":\"\"payments\"\"}\"\n"),
        ("tag-editor", b"Identifier,Service,Type,Region,Tag: Team\nb,s3,Bucket,us-east-1,payments\n"),
        ("focus", b"ProviderName,ServiceName,ChargeCategory,Tags\nAWS,Amazon S3,Usage,\"{\"\"Team\"\":\"\"payments\"\"}\"\n"),
    ];
    for (name, text) in cases {
        let mut builder = AssessmentBuilder::new();
        let input = builder.start_input(name, "");
        srmatrix_import::read(name, text, &ImportOptions::default(), |r| {
            builder.add(input, r)
        })
        .unwrap();
        let a = builder.finish(&catalog);
        assert_eq!(a.teams.iter().collect::<Vec<_>>(), ["payments"], "{name}");
    }
}

#[test]
fn configured_tag_keys_replace_the_defaults() {
    let catalog = Catalog::builtin().unwrap();
    let text = b"lineItem/ProductCode,resourceTags/user:Team,resourceTags/user:CostOwner\nAmazonS3,payments,finance-ops\n";
    let mut opts = ImportOptions::default();
    opts.tag_keys.team = vec!["CostOwner".into()];
    let mut builder = AssessmentBuilder::new();
    let input = builder.start_input("cur", "");
    srmatrix_import::read("cur", &text[..], &opts, |r| builder.add(input, r)).unwrap();
    let a = builder.finish(&catalog);
    assert_eq!(a.teams.iter().collect::<Vec<_>>(), ["finance-ops"]);
}

/// Resources per service of a direct import agree with the documented DuckDB aggregation
/// (`docs/inventory-formats.md`) run over the same export. They can differ in one way only: a
/// resource whose tags changed within the period sits in two groups of the aggregated inventory
/// and is counted in each, while a direct import counts it once (the FOCUS sample has one such
/// CloudFront distribution). The aggregation keeps no resource ids or usage types, so the
/// resource rules cannot move its rows: both are compared at namespace level (the identifier's
/// service), which is what the aggregated inventory can say.
#[test]
fn direct_import_agrees_with_the_sql_aggregation() {
    let catalog = Catalog::builtin().unwrap();
    let per_service = |rel: &str| -> BTreeMap<String, u64> {
        let bytes = read_fixture(rel);
        let mut builder = AssessmentBuilder::new();
        let input = builder.start_input(rel, "");
        srmatrix_import::read(rel, &bytes[..], &ImportOptions::default(), |r| {
            builder.add(input, r)
        })
        .unwrap();
        let a = builder.finish(&catalog);
        a.services
            .iter()
            .map(|u| (u.service.id.clone(), u.resources))
            .collect()
    };
    for (export, aggregated) in [
        (
            "focus/focus_sample.csv",
            "native-aggregated/from-focus-duckdb.csv",
        ),
        (
            "cur2/cur2_export.csv",
            "native-aggregated/from-cur2-duckdb.csv",
        ),
        (
            "legacy-cur-built/legacy_cur_report-00001.csv",
            "native-aggregated/from-legacy-cur-duckdb.csv",
        ),
    ] {
        let direct = per_service(export);
        let sql = per_service(aggregated);
        assert_eq!(
            direct.keys().collect::<Vec<_>>(),
            sql.keys().collect::<Vec<_>>(),
            "{export}"
        );
        for (service, n) in &direct {
            assert!(
                *n <= sql[service],
                "{export}: {service} {n} > {}",
                sql[service]
            );
        }
        let (d, q): (u64, u64) = (direct.values().sum(), sql.values().sum());
        assert!(q - d <= 1, "{export}: direct {d}, aggregated {q}");
    }
}
