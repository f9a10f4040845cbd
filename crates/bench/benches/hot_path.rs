//! The row hot path: parse, identify the service and aggregate, over generated CUR and FOCUS
//! exports held in memory, as `srmatrix report` drives it (`crates/cli/inputs.rs`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use srmatrix_bench::generator::{self, ExportFormat, Options};
use srmatrix_import::ImportOptions;
use srmatrix_model::{AssessmentBuilder, Catalog};

/// Rows per generated input.
const ROWS: u64 = 20_000;

fn hot_path(c: &mut Criterion) {
    let catalog = match Catalog::builtin() {
        Ok(c) => c,
        Err(e) => panic!("the built-in catalog does not load: {e}"),
    };
    let opts = ImportOptions::default();
    let mut group = c.benchmark_group("hot_path");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, format) in [("cur", ExportFormat::Cur), ("focus", ExportFormat::Focus)] {
        let bytes = generator::to_vec(&Options {
            rows: ROWS,
            format,
            ..Options::default()
        });
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(BenchmarkId::new("parse_identify_aggregate", name), |b| {
            b.iter(|| {
                let mut builder = AssessmentBuilder::new();
                let input = builder.start_input("bench", "");
                let stats = match srmatrix_import::read("bench", &bytes[..], &opts, |rec| {
                    builder.add(input, rec)
                }) {
                    Ok(s) => s,
                    Err(e) => panic!("{e}"),
                };
                builder.input_details(
                    input,
                    stats.format.as_str(),
                    stats.ragged_rows,
                    &stats.duplicate_columns,
                );
                let assessment = builder.finish(&catalog);
                black_box((assessment.total_rows(), assessment.services.len()))
            });
        });
        // The importer alone, with a sink that only counts: what aggregation adds is the difference.
        group.bench_function(BenchmarkId::new("parse_only", name), |b| {
            b.iter(|| {
                let mut n = 0u64;
                match srmatrix_import::read("bench", &bytes[..], &opts, |rec| {
                    n += rec.line & 1;
                }) {
                    Ok(s) => black_box((s.rows, n)),
                    Err(e) => panic!("{e}"),
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
