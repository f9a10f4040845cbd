//! The generated exports are what srmatrix reads: every row is read, the format is detected, and
//! every product code and FOCUS `ServiceName` resolves to a catalog service or billing group.

#![allow(clippy::unwrap_used)] // a test: a failure is a panic with the error

use srmatrix_bench::generator::{self, ExportFormat, Options};
use srmatrix_import::{Format, ImportOptions};
use srmatrix_model::{AssessmentBuilder, Catalog};

fn import(format: ExportFormat, rows: u64) -> (srmatrix_import::ImportStats, Vec<u8>) {
    let opts = Options {
        rows,
        format,
        seed: 42,
        ..Options::default()
    };
    let bytes = generator::to_vec(&opts);
    let mut seen = 0u64;
    let stats = srmatrix_import::read("generated", &bytes[..], &ImportOptions::default(), |_| {
        seen += 1;
    })
    .unwrap();
    assert_eq!(seen, rows);
    (stats, bytes)
}

#[test]
fn every_row_is_read_and_every_service_maps() {
    let catalog = Catalog::builtin().unwrap();
    for (format, want) in [
        (ExportFormat::Cur, Format::Cur),
        (ExportFormat::Focus, Format::Focus),
    ] {
        let rows = 6000;
        let (stats, bytes) = import(format, rows);
        assert_eq!(stats.rows, rows, "{format:?}");
        assert_eq!(stats.format, want, "{format:?}");
        assert_eq!(stats.ragged_rows, 0, "{format:?}");

        let mut builder = AssessmentBuilder::new();
        let input = builder.start_input("generated", "");
        let stats =
            srmatrix_import::read("generated", &bytes[..], &ImportOptions::default(), |rec| {
                builder.add(input, rec)
            })
            .unwrap();
        builder.input_details(
            input,
            stats.format.as_str(),
            stats.ragged_rows,
            &stats.duplicate_columns,
        );
        let assessment = builder.finish(&catalog);
        let summary = &assessment.inputs[0];
        assert_eq!(summary.rows, rows, "{format:?}");
        assert_eq!(summary.accounted_rows(), rows, "{format:?}");
        let unmapped: Vec<_> = assessment
            .unmapped
            .iter()
            .map(|u| (u.identifier.as_str(), u.rows))
            .collect();
        assert!(unmapped.is_empty(), "{format:?}: unmapped {unmapped:?}");
        assert_eq!(summary.blank_service_rows, 0, "{format:?}");
        // Tax, credits and fees are counted, not assessed.
        assert!(
            summary.non_resource_rows > rows / 40,
            "{format:?}: {summary:?}"
        );
        // Data transfer and Marketplace rows are billing codes, not services.
        let groups: Vec<&str> = assessment
            .non_service
            .iter()
            .map(|n| n.group.as_str())
            .collect();
        assert!(groups.contains(&"data-transfer"), "{format:?}: {groups:?}");
        assert!(groups.contains(&"marketplace"), "{format:?}: {groups:?}");
        assert!(
            assessment.services.len() >= 55,
            "{format:?}: {}",
            assessment.services.len()
        );
        assert_eq!(assessment.accounts.len(), 40, "{format:?}");
        assert_eq!(
            assessment.regions.len(),
            7,
            "{format:?}: six Regions and global"
        );
        assert!(
            assessment.teams.len() >= 12,
            "{format:?}: teams from the Team tag"
        );
        let tagged = assessment
            .services
            .iter()
            .flat_map(|s| s.environments.iter().chain(&s.classifications))
            .count();
        assert!(
            tagged > 100,
            "{format:?}: environment and classification tags are read"
        );
    }
}

#[test]
fn every_identifier_the_generator_writes_is_in_the_catalog() {
    let catalog = Catalog::builtin().unwrap();
    let ids = generator::service_identifiers();
    assert!(ids.len() >= 60);
    for id in &ids {
        if id.marketplace {
            // The importer reads a Marketplace row of a CUR as `AWS Marketplace`.
            assert!(catalog.identify("AWS Marketplace").is_some());
        } else {
            assert!(
                catalog.identify(id.product_code).is_some(),
                "product code {}",
                id.product_code
            );
        }
        assert!(
            catalog.identify(id.service_name).is_some(),
            "FOCUS ServiceName {}",
            id.service_name
        );
    }
}
