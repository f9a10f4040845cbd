//! Rendering a large report: 400 services × 40 controls, every format, as `srmatrix report` does
//! (`crates/cli/cmd/report.rs`). The catalog, the assessment and the report context are built
//! once, outside the timed closures.
//!
//! The built-in catalog has 318 services and 59 controls. The benchmark catalog is built from the
//! built-in sources: the real services plus synthetic rows in the same CSV format up to 400, and
//! 40 of the controls (every domain kept) with the statements that refer to them.

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use srmatrix_model::{AssessmentBuilder, Catalog, CatalogSources, InventoryRecord, RowKind};
use srmatrix_render::{Format, Output, ReportContext, ReportMeta, Templates};

/// Services in the benchmark catalog.
const SERVICES: usize = 400;
/// Controls in the benchmark catalog.
const CONTROLS: usize = 40;

/// The built-in sources cut and padded to [`SERVICES`] services and [`CONTROLS`] controls.
fn sources() -> CatalogSources {
    let mut src = CatalogSources::builtin();
    let real = src
        .services
        .text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    let categories = ["infrastructure", "container", "abstracted"];
    let mut services = src.services.text.trim_end().to_owned();
    services.push('\n');
    for i in 0..SERVICES.saturating_sub(real) {
        let category = categories[i % categories.len()];
        services.push_str(&format!(
            "synthetic-{i:03},Synthetic Service {i:03},{category},\"Synthetic row for the render benchmark, category {category}.\",,,synth{i:03},SyntheticService{i:03},,,Synthetic {i:03},benchmark,,,,,,,,\n"
        ));
    }
    src.services.text = services;

    // Controls: rank-major over domains (every domain's first control, then every second ...).
    let controls = std::mem::take(&mut src.controls.text);
    let (preamble, blocks) = split_blocks(&controls, "[[control]]");
    let mut rank_in_domain = std::collections::HashMap::new();
    let mut ranked: Vec<(usize, usize, &str)> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let domain = field(b, "domain").unwrap_or_default();
            let rank = rank_in_domain.entry(domain).or_insert(0usize);
            *rank += 1;
            (*rank, i, *b)
        })
        .collect();
    ranked.sort_by_key(|&(rank, i, _)| (rank, i));
    let mut kept: Vec<(usize, &str)> = ranked
        .iter()
        .take(CONTROLS)
        .map(|&(_, i, b)| (i, b))
        .collect();
    kept.sort_by_key(|&(i, _)| i);
    let ids: HashSet<&str> = kept.iter().filter_map(|(_, b)| field(b, "id")).collect();
    assert_eq!(ids.len(), CONTROLS.min(blocks.len()));
    src.controls.text = join_blocks(preamble, kept.iter().map(|(_, b)| *b), "[[control]]");

    let statements = std::mem::take(&mut src.statements.text);
    let (preamble, blocks) = split_blocks(&statements, "[[statement]]");
    let statements = blocks
        .into_iter()
        .filter(|b| field(b, "control").is_some_and(|c| ids.contains(c)));
    src.statements.text = join_blocks(preamble, statements, "[[statement]]");

    // A deployment names the controls it decides: only the kept ones.
    src.catalog.text = src
        .catalog
        .text
        .lines()
        .map(|l| match l.strip_prefix("decides = [") {
            Some(list) => {
                let kept: Vec<&str> = list
                    .trim_end_matches(']')
                    .split(',')
                    .map(str::trim)
                    .filter(|c| ids.contains(c.trim_matches('"')))
                    .collect();
                format!("decides = [{}]\n", kept.join(", "))
            }
            None => format!("{l}\n"),
        })
        .collect();
    src
}

/// The text before the first `marker` line, and each block after a `marker` line.
fn split_blocks<'a>(text: &'a str, marker: &str) -> (&'a str, Vec<&'a str>) {
    let sep = format!("\n{marker}\n");
    let mut parts = text.split(sep.as_str());
    let preamble = parts.next().unwrap_or_default();
    (preamble, parts.collect())
}

fn join_blocks<'a>(preamble: &str, blocks: impl Iterator<Item = &'a str>, marker: &str) -> String {
    let mut out = preamble.to_owned();
    for b in blocks {
        out.push('\n');
        out.push_str(marker);
        out.push('\n');
        out.push_str(b);
    }
    out
}

/// The value of `key = "value"` at the start of a line of a block.
fn field<'a>(block: &'a str, key: &str) -> Option<&'a str> {
    block.lines().find_map(|l| {
        let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
        rest.strip_prefix('"')?.strip_suffix('"')
    })
}

fn render(c: &mut Criterion) {
    let catalog = match Catalog::load(&sources()) {
        Ok(c) => c,
        Err(e) => panic!("the benchmark catalog does not load: {e}"),
    };
    assert_eq!(catalog.services.len(), SERVICES);
    assert_eq!(catalog.controls.len(), CONTROLS);

    // Every service in use: 3 accounts × 2 Regions × 2 teams, 3 resources each.
    let mut builder = AssessmentBuilder::new();
    let input = builder.start_input("inventory.csv", "native");
    let accounts = ["111111111111", "222222222222", "333333333333"];
    let regions = ["us-east-1", "eu-west-1"];
    let teams = ["payments", ""];
    let mut line = 1;
    for service in &catalog.services {
        for account in accounts {
            for region in regions {
                for team in teams {
                    for n in 0..3 {
                        line += 1;
                        let id = format!("{}-{account}-{region}-{team}-{n}", service.id);
                        builder.add(
                            input,
                            &InventoryRecord {
                                line,
                                kind: RowKind::Resource,
                                service: &service.id,
                                account_id: account,
                                region,
                                resource_id: &id,
                                owner_team: team,
                                environment: "prod",
                                data_classification: "confidential",
                                resource_count: Some(1),
                                ..InventoryRecord::default()
                            },
                        );
                    }
                }
            }
        }
    }
    builder.input_details(input, "native", 0, &[]);
    let assessment = builder.finish(&catalog);
    assert_eq!(assessment.services.len(), SERVICES);
    let meta = || ReportMeta {
        organisation: "Northwind Traders".to_owned(),
        period: "2026-Q3".to_owned(),
        generated_at: "2026-01-01T00:00:00Z".to_owned(),
        tool: "srmatrix bench".to_owned(),
        frameworks: Vec::new(),
        taxonomy: catalog.report_taxonomy,
        prepared_by: String::new(),
        reviewed_by: String::new(),
        detail: Default::default(),
    };
    let ctx = ReportContext::new(&assessment, &catalog, meta());
    let templates = Templates::builtin();

    let mut group = c.benchmark_group("render_400x40");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        // XLSX and OSCAL take a second or more per iteration: one iteration per sample.
        .sampling_mode(SamplingMode::Flat);
    group.bench_function("context", |b| {
        b.iter(|| black_box(ReportContext::new(&assessment, &catalog, meta())));
    });
    for format in Format::ALL {
        let size = match srmatrix_render::render(&ctx, &[format], &templates) {
            Ok(docs) => docs.iter().map(|d| d.bytes.len() as u64).sum(),
            Err(e) => panic!("{format}: {e}"),
        };
        group.throughput(Throughput::Bytes(size));
        group.bench_function(BenchmarkId::new("format", format.as_str()), |b| {
            b.iter(
                || match srmatrix_render::render(&ctx, &[format], &templates) {
                    Ok(docs) => black_box(docs.len()),
                    Err(e) => panic!("{format}: {e}"),
                },
            );
        });
    }
    // Every format in one call, as `srmatrix report` renders them (one thread per format).
    group.bench_function("all formats", |b| {
        b.iter(
            || match srmatrix_render::render(&ctx, &Format::ALL, &templates) {
                Ok(docs) => black_box(docs.len()),
                Err(e) => panic!("all formats: {e}"),
            },
        );
    });
    // The same, with every document's bytes counted and dropped as they are produced: the
    // rendering alone, without the cost of growing a buffer for each document in memory.
    group.bench_function("all formats, discarded", |b| {
        b.iter(
            || match srmatrix_render::render_to(&ctx, &Format::ALL, &templates, &Discard) {
                Ok(docs) => black_box(docs.iter().map(|d| d.writer.0).sum::<u64>()),
                Err(e) => panic!("all formats: {e}"),
            },
        );
    });
    // The same into files, each hashed with SHA-256 as it is written, as `srmatrix report`
    // writes its documents (without the final sync and renames).
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("a temporary directory: {e}"),
    };
    let files = Files(dir.path().to_owned());
    group.bench_function("all formats, to hashed files", |b| {
        b.iter(
            || match srmatrix_render::render_to(&ctx, &Format::ALL, &templates, &files) {
                Ok(docs) => black_box(docs.len()),
                Err(e) => panic!("all formats: {e}"),
            },
        );
    });
    group.finish();
}

/// An [`Output`] that writes each document to a file in a directory, hashing it as it goes.
struct Files(std::path::PathBuf);

/// A document file and the SHA-256 of what was written to it.
struct HashedFile {
    file: std::fs::File,
    sha: sha2::Sha256,
}

impl std::io::Write for HashedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.file.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Output for Files {
    type Writer = HashedFile;

    fn create(&self, name: &'static str) -> std::io::Result<HashedFile> {
        Ok(HashedFile {
            file: std::fs::File::create(self.0.join(name))?,
            sha: sha2::Sha256::default(),
        })
    }
}

/// An [`Output`] that counts the bytes of each document and keeps none.
struct Discard;

/// The byte count of a discarded document.
struct Counted(u64);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Output for Discard {
    type Writer = Counted;

    fn create(&self, _: &'static str) -> std::io::Result<Counted> {
        Ok(Counted(0))
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
