//! Property tests of the importer, the assessment and the renderers on random native inventories:
//! every row is counted exactly once, row order never changes a report, and splitting rows over
//! several inputs changes nothing but the per-input summaries.

use std::collections::BTreeMap;

use proptest::prelude::*;
use srmatrix_import::{ImportOptions, read};
use srmatrix_model::{Assessment, AssessmentBuilder, Catalog};
use srmatrix_render::{Format, ReportContext, ReportMeta, Templates, render};

/// Service identifiers: catalog ids, billing codes (of services and of non-service charges),
/// names the catalog does not know, odd spellings and empty cells.
const SERVICES: &[&str] = &[
    "s3",
    "sqs",
    "lambda",
    "ec2",
    "AmazonS3",
    "AmazonEC2",
    "AmazonRDS",
    "AWSDataTransfer",
    "AWSSupportBusiness",
    " S3 ",
    "frobnicator",
    "Amazon Unknown Service",
    "arn:aws:sqs:eu-west-1:111122223333:q",
    "",
];
const ACCOUNTS: &[&str] = &["", "111122223333", "444455556666"];
const REGIONS: &[&str] = &["", "eu-west-1", "us-east-1"];
const TEAMS: &[&str] = &["", "payments", "web", "data|lake"];
const ENVIRONMENTS: &[&str] = &["", "prod", "dev"];
const CLASSIFICATIONS: &[&str] = &["", "public", "confidential", "restricted"];

/// One generated row: indexes into the lists above and a resource count (`None`: empty cell).
#[derive(Debug, Clone)]
struct Row {
    service: usize,
    account: usize,
    region: usize,
    team: usize,
    environment: usize,
    classification: usize,
    resource: u8,
    count: Option<u16>,
}

fn row() -> impl Strategy<Value = Row> {
    (
        0..SERVICES.len(),
        0..ACCOUNTS.len(),
        0..REGIONS.len(),
        0..TEAMS.len(),
        0..ENVIRONMENTS.len(),
        0..CLASSIFICATIONS.len(),
        any::<u8>(),
        proptest::option::of(0..1000u16),
    )
        .prop_map(
            |(service, account, region, team, environment, classification, resource, count)| Row {
                service,
                account,
                region,
                team,
                environment,
                classification,
                resource,
                count,
            },
        )
}

fn rows(with_blank_services: bool) -> impl Strategy<Value = Vec<Row>> {
    proptest::collection::vec(row(), 0..40).prop_map(move |mut rows| {
        if !with_blank_services {
            rows.retain(|r| !SERVICES[r.service].is_empty());
        }
        rows
    })
}

/// The rows as a native inventory.
fn csv_of(rows: &[Row]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "service",
        "account_id",
        "region",
        "resource_id",
        "owner_team",
        "environment",
        "data_classification",
        "resource_count",
    ])
    .unwrap();
    for r in rows {
        w.write_record([
            SERVICES[r.service],
            ACCOUNTS[r.account],
            REGIONS[r.region],
            &format!("res-{}", r.resource),
            TEAMS[r.team],
            ENVIRONMENTS[r.environment],
            CLASSIFICATIONS[r.classification],
            &r.count.map(|c| c.to_string()).unwrap_or_default(),
        ])
        .unwrap();
    }
    w.into_inner().unwrap()
}

/// Reads each (name, bytes) input into one assessment, as the binary does.
fn assess<'c>(catalog: &'c Catalog, inputs: &[(&str, Vec<u8>)]) -> Assessment<'c> {
    let mut builder = AssessmentBuilder::new();
    let opts = ImportOptions::default();
    for (name, bytes) in inputs {
        let input = builder.start_input(name, "");
        let stats = read(name, bytes.as_slice(), &opts, |rec| builder.add(input, rec)).unwrap();
        builder.input_details(
            input,
            stats.format.as_str(),
            stats.ragged_rows,
            &stats.duplicate_columns,
        );
    }
    builder.finish(catalog)
}

fn meta(catalog: &Catalog) -> ReportMeta {
    ReportMeta {
        organisation: "Property Test Ltd".into(),
        period: "2026-Q3".into(),
        generated_at: "2026-10-01T00:00:00Z".into(),
        tool: "srmatrix test".into(),
        frameworks: Vec::new(),
        taxonomy: catalog.report_taxonomy,
        prepared_by: String::new(),
        reviewed_by: String::new(),
        detail: Default::default(),
    }
}

/// report.md, report.csv and report.json of an assessment, by file name.
fn documents(catalog: &Catalog, a: &Assessment<'_>) -> BTreeMap<&'static str, Vec<u8>> {
    let ctx = ReportContext::new(a, catalog, meta(catalog));
    render(
        &ctx,
        &[Format::Markdown, Format::Csv, Format::Json],
        &Templates::builtin(),
    )
    .unwrap()
    .into_iter()
    .filter(|d| matches!(d.file_name, "report.md" | "report.csv" | "report.json"))
    .map(|d| (d.file_name, d.bytes))
    .collect()
}

/// What a split must not change: per service, its rows, resources and owner teams.
type ServiceFacts = BTreeMap<String, (u64, u64, BTreeMap<String, u64>)>;

fn service_facts(a: &Assessment<'_>) -> ServiceFacts {
    a.services
        .iter()
        .map(|s| (s.service.id.clone(), (s.rows, s.resources, s.teams.clone())))
        .collect()
}

/// The built-in catalog, loaded once: loading it is most of a case's time in a debug build.
fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| Catalog::builtin().unwrap())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 32,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// (a) Every data row lands in exactly one bucket: mapped, unmapped, non-service, non-resource,
    /// other provider, out of scope or blank service.
    #[test]
    fn every_row_is_counted_exactly_once(rows in rows(true)) {
        let catalog = catalog();
        let a = assess(catalog, &[("inv.csv", csv_of(&rows))]);
        let input = &a.inputs[0];
        prop_assert_eq!(input.rows, rows.len() as u64);
        prop_assert_eq!(input.accounted_rows(), input.rows);
        let blank = rows.iter().filter(|r| SERVICES[r.service].trim().is_empty()).count() as u64;
        prop_assert_eq!(input.blank_service_rows, blank);
    }

    /// (b) Shuffling the rows gives byte-identical report.md, report.csv and report.json. Blank
    /// service cells are left out: their findings cite line numbers, which a shuffle changes.
    #[test]
    fn row_order_never_changes_the_report(
        (rows, shuffled) in rows(false).prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle()))
    ) {
        let catalog = catalog();
                let one = assess(catalog, &[("inv.csv", csv_of(&rows))]);
        let two = assess(catalog, &[("inv.csv", csv_of(&shuffled))]);
        let (one, two) = (documents(catalog, &one), documents(catalog, &two));
        prop_assert_eq!(one.len(), 3);
        for (name, bytes) in &one {
            if two[name] != *bytes {
                let (a, b) = (String::from_utf8_lossy(bytes), String::from_utf8_lossy(&two[name]));
                let first = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(0);
                prop_assert!(
                    false,
                    "{} differs after shuffling the rows, first at line {}:\n- {}\n+ {}",
                    name,
                    first + 1,
                    a.lines().nth(first).unwrap_or(""),
                    b.lines().nth(first).unwrap_or("")
                );
            }
        }
    }

    /// (c) The rows split over two inputs give the same services, owner teams, rows and
    /// resources as all of them in one input.
    #[test]
    fn splitting_rows_over_inputs_changes_no_service(rows in rows(true), at in 0usize..40) {
        let catalog = catalog();
        let at = at.min(rows.len());
        let whole = assess(catalog, &[("inv.csv", csv_of(&rows))]);
        let split = assess(
            catalog,
            &[("a.csv", csv_of(&rows[..at])), ("b.csv", csv_of(&rows[at..]))],
        );
        prop_assert_eq!(service_facts(&whole), service_facts(&split));
        prop_assert_eq!(&whole.teams, &split.teams);
        prop_assert_eq!(&whole.accounts, &split.accounts);
        prop_assert_eq!(whole.total_rows(), split.total_rows());
        prop_assert_eq!(whole.mapped_rows(), split.mapped_rows());
        let unmapped = |a: &Assessment<'_>| -> Vec<(String, u64, u64)> {
            a.unmapped.iter().map(|u| (u.identifier.clone(), u.rows, u.resources)).collect()
        };
        prop_assert_eq!(unmapped(&whole), unmapped(&split));
        for input in &split.inputs {
            prop_assert_eq!(input.accounted_rows(), input.rows);
        }
    }
}

/// The example resource ids of an unowned group must not depend on which rows came first.
#[test]
fn unowned_examples_do_not_depend_on_row_order() {
    let catalog = catalog();
    let rows: Vec<Row> = (0..8u8)
        .map(|i| Row {
            service: 0,
            account: 1,
            region: 1,
            team: 0,
            environment: 0,
            classification: 0,
            resource: i,
            count: None,
        })
        .collect();
    let mut reversed = rows.clone();
    reversed.reverse();
    let one = assess(catalog, &[("inv.csv", csv_of(&rows))]);
    let two = assess(catalog, &[("inv.csv", csv_of(&reversed))]);
    assert_eq!(one.unowned[0].examples, two.unowned[0].examples);
}
