//! Parquet inputs: each fixture in `tests/fixtures/formats/parquet/` (built from a CSV fixture by
//! `make_fixtures.py`, shaped as AWS delivers the export) gives the same assessment as its CSV
//! twin, whatever the number of threads; a directory is read as an AWS Data Exports partition;
//! bad files are errors that name the file, the row group and the column.

use std::fs;

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use srmatrix_import::{Format, ImportOptions, ParquetSource};
use srmatrix_model::{AssessmentBuilder, Catalog, hex};

use crate::util::{assert_exit, repo, srmatrix, srmatrix_in, stderr, stdout};

/// Each Parquet fixture, its CSV twin, and the format each is read as.
const TWINS: [(&str, &str, Format, Format); 7] = [
    (
        "parquet/cur2.snappy.parquet",
        "cur2/cur2_export.csv",
        Format::Cur2,
        Format::Cur2,
    ),
    // Plain text in v2 pages (srmatrix's text reader) beside delta-encoded text (the crate's).
    (
        "parquet/cur2-encodings.snappy.parquet",
        "cur2/cur2_export.csv",
        Format::Cur2,
        Format::Cur2,
    ),
    (
        "parquet/cur2-cost-category.snappy.parquet",
        "cur2/cur2_cost_category.csv",
        Format::Cur2,
        Format::Cur2,
    ),
    (
        "parquet/focus.zstd.parquet",
        "focus/focus_sample.csv",
        Format::Focus,
        Format::Focus,
    ),
    (
        "parquet/legacy-cur-athena.gzip.parquet",
        "legacy-cur-built/legacy_cur_report-00001.csv",
        Format::CurAthena,
        Format::Cur,
    ),
    (
        "parquet/cur-athena-koku.snappy.parquet",
        "cur-athena/2022-07-01-alt-columns.csv",
        Format::CurAthena,
        Format::CurAthena,
    ),
    (
        "parquet/native-aggregated.parquet",
        "native-aggregated/inventory-aggregated.csv",
        Format::Native,
        Format::Native,
    ),
];

fn fixture(rel: &str) -> std::path::PathBuf {
    repo(&format!("tests/fixtures/formats/{rel}"))
}

/// The assessment of a CSV input as JSON, each row numbered by its place among the data rows
/// (as a Parquet row is), not by its line.
fn csv_assessment(rel: &str, catalog: &Catalog) -> (Format, Value) {
    let bytes = fs::read(fixture(rel)).unwrap();
    let mut builder = AssessmentBuilder::new();
    // As the binary reads: with the catalog's resource rules (types, usage types, engines).
    builder.set_resolver(catalog.resolver().clone());
    let input = builder.start_input("input", "");
    let mut row = 0;
    let stats = srmatrix_import::read(rel, &bytes[..], &ImportOptions::default(), |r| {
        row += 1;
        let mut r = *r;
        r.line = row;
        builder.add(input, &r);
    })
    .unwrap();
    builder.input_details(input, stats.format.as_str(), 0, &stats.duplicate_columns);
    (stats.format, assessment_json(builder, catalog))
}

/// The assessment of a Parquet input as JSON, read on `threads` threads.
fn parquet_assessment(rel: &str, catalog: &Catalog, threads: usize) -> (Format, Value) {
    let file = fs::File::open(fixture(rel)).unwrap();
    let mut builder = AssessmentBuilder::new();
    builder.set_resolver(catalog.resolver().clone());
    let input = builder.start_input("input", "");
    let mut forks: Vec<AssessmentBuilder> = (0..threads).map(|_| builder.fork()).collect();
    let mut sinks: Vec<_> = forks
        .iter_mut()
        .map(|f| move |r: &srmatrix_import::InventoryRecord<'_>| f.add(input, r))
        .collect();
    let stats = srmatrix_import::read_parquet(
        rel,
        ParquetSource::file(file).unwrap(),
        &ImportOptions::default(),
        &mut sinks,
    )
    .unwrap();
    drop(sinks);
    for f in forks {
        builder.merge(f);
    }
    builder.input_details(input, stats.format.as_str(), 0, &stats.duplicate_columns);
    let info = stats.parquet.expect("Parquet details");
    assert_eq!(info.rows, stats.rows, "{rel}: every row of the footer read");
    (stats.format, assessment_json(builder, catalog))
}

fn assessment_json(builder: AssessmentBuilder, catalog: &Catalog) -> Value {
    let mut v = serde_json::to_value(builder.finish(catalog)).unwrap();
    // The format name is the one thing a legacy CUR and its Athena-named twin may differ in.
    if let Some(inputs) = v.get_mut("inputs").and_then(Value::as_array_mut) {
        for i in inputs {
            i["format"] = Value::Null;
        }
    }
    v
}

#[test]
fn each_parquet_fixture_gives_the_same_assessment_as_its_csv_twin() {
    let catalog = Catalog::builtin().unwrap();
    for (parquet, csv, parquet_format, csv_format) in TWINS {
        let (f, want) = csv_assessment(csv, &catalog);
        assert_eq!(f, csv_format, "{csv}");
        let rows = want["inputs"][0]["rows"].as_u64().unwrap();
        assert!(rows > 0, "{csv}: rows were read");
        for threads in [1, 2, 3] {
            let (f, got) = parquet_assessment(parquet, &catalog, threads);
            assert_eq!(f, parquet_format, "{parquet}");
            if got != want {
                let (g, w) = (got.to_string(), want.to_string());
                let at = g.bytes().zip(w.bytes()).take_while(|(a, b)| a == b).count();
                let from = at.saturating_sub(200);
                panic!(
                    "{parquet} on {threads} thread(s) differs from {csv}:\n parquet: …{}\n csv:     …{}",
                    g.get(from..(at + 200).min(g.len())).unwrap_or(""),
                    w.get(from..(at + 200).min(w.len())).unwrap_or("")
                );
            }
        }
    }
}

#[test]
fn parquet_tags_owner_and_nulls_are_read_as_in_csv() {
    // What the twins' equality rests on, checked directly on the CUR 2.0 and FOCUS files: the
    // `resource_tags` and `Tags` maps give owner teams, and a FOCUS null is empty, not "NULL".
    for (rel, team) in [
        ("parquet/cur2.snappy.parquet", "payments"),
        ("parquet/focus.zstd.parquet", ""),
    ] {
        let mut teams = std::collections::BTreeSet::new();
        let mut null_text = 0;
        let mut sink = |r: &srmatrix_import::InventoryRecord<'_>| {
            teams.insert(r.owner_team.to_owned());
            null_text += usize::from(r.resource_id == "NULL" || r.region == "NULL");
        };
        let file = fs::File::open(fixture(rel)).unwrap();
        let stats = srmatrix_import::read_parquet(
            rel,
            ParquetSource::file(file).unwrap(),
            &ImportOptions::default(),
            std::slice::from_mut(&mut sink),
        )
        .unwrap();
        assert!(
            stats.parquet.unwrap().row_groups > 1,
            "{rel}: several row groups"
        );
        assert!(teams.contains(team), "{rel}: {teams:?}");
        assert!(teams.len() > 2, "{rel}: teams from the map: {teams:?}");
        assert_eq!(null_text, 0, "{rel}");
    }
}

#[test]
fn cur2_cost_categories_count_after_resource_tags_as_in_the_legacy_cur() {
    // For each wanted key in turn (`team` … `business_unit`), the resource tag first, then the
    // cost category: the CUR 2.0 maps in CSV (JSON) and Parquet (MAP), and the legacy CUR's
    // `resourceTags/user:*` and `costCategory/*` columns, give the same owner and environment.
    let want = [
        ("payments", "prod"),    // both maps: the resource tags win
        ("analytics", "prod"),   // only cost categories
        ("Commerce", "staging"), // the `BusinessUnit` cost category; the tagged environment
        ("finance", ""),         // `team` (a cost category) is asked for before `owner` (a tag)
        ("", ""),
    ];
    let legacy = "lineItem/LineItemType,lineItem/UsageAccountId,lineItem/ProductCode,\
        lineItem/ResourceId,product/region,resourceTags/user:Team,resourceTags/user:Environment,\
        resourceTags/user:Owner,costCategory/Team,costCategory/Environment,costCategory/BusinessUnit
Usage,304512867190,AmazonEC2,i-0a1b2c3d4e5f60011,us-east-1,payments,prod,,finance,sandbox,
Usage,304512867190,AmazonS3,analytics-lake-example,us-east-1,,,,analytics,prod,
Usage,415623978201,AmazonRDS,arn:aws:rds:us-west-2:415623978201:db:orders,us-west-2,,staging,,,,Commerce
Usage,415623978201,AWSLambda,arn:aws:lambda:us-west-2:415623978201:function:ingest,us-west-2,,,platform,finance,,
Usage,526734089312,AmazonEC2,i-0c3d4e5f6a7b80014,us-west-2,,,,,,
";
    let csv_rows = |name: &str, bytes: &[u8]| {
        let mut rows = Vec::new();
        let stats = srmatrix_import::read(name, bytes, &ImportOptions::default(), |r| {
            rows.push((r.owner_team.to_owned(), r.environment.to_owned()));
        })
        .unwrap();
        (stats.format, rows)
    };
    let (format, from_legacy) = csv_rows("legacy.csv", legacy.as_bytes());
    assert_eq!(format, Format::Cur);
    let (format, from_csv) = csv_rows(
        "cur2.csv",
        &fs::read(fixture("cur2/cur2_cost_category.csv")).unwrap(),
    );
    assert_eq!(format, Format::Cur2);
    let rel = "parquet/cur2-cost-category.snappy.parquet";
    let mut from_parquet = Vec::new();
    let mut sink = |r: &srmatrix_import::InventoryRecord<'_>| {
        from_parquet.push((r.owner_team.to_owned(), r.environment.to_owned()));
    };
    let stats = srmatrix_import::read_parquet(
        rel,
        ParquetSource::file(fs::File::open(fixture(rel)).unwrap()).unwrap(),
        &ImportOptions::default(),
        std::slice::from_mut(&mut sink),
    )
    .unwrap();
    assert!(
        stats
            .parquet
            .unwrap()
            .columns_read
            .contains(&"cost_category: map<string, string>".to_owned())
    );
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(t, e)| ((*t).to_owned(), (*e).to_owned()))
        .collect();
    assert_eq!(from_legacy, want, "legacy CUR");
    assert_eq!(from_csv, want, "CUR 2.0 CSV");
    assert_eq!(from_parquet, want, "CUR 2.0 Parquet");

    // A malformed `cost_category` cell is counted, once per row, and the resource tags still read.
    let bad = "line_item_product_code,resource_tags,cost_category\n\
        AmazonS3,\"{\"\"user_team\"\":\"\"web\"\"}\",not json\n\
        AmazonS3,oops,[1\n";
    let mut teams = Vec::new();
    let stats = srmatrix_import::read("bad.csv", bad.as_bytes(), &ImportOptions::default(), |r| {
        teams.push(r.owner_team.to_owned());
    })
    .unwrap();
    assert_eq!(
        (stats.malformed_tag_rows, stats.first_malformed_tags_line),
        (2, Some(2))
    );
    assert_eq!(teams, ["web", ""]);
}

#[test]
fn a_directory_is_read_as_a_data_exports_partition_in_a_stable_order() {
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("export/data/BILLING_PERIOD=2026-09");
    fs::create_dir_all(&part).unwrap();
    // Names as Data Exports writes them; the Parquet magic decides, not the name.
    let files = [
        ("cur2-00002.snappy.parquet", "parquet/cur2.snappy.parquet"),
        (
            "cur2-00001.snappy.parquet",
            "parquet/legacy-cur-athena.gzip.parquet",
        ),
        ("cur2-00003.csv.gz", "legacy-cur/test_cur.csv.gz"),
    ];
    for (name, from) in files {
        fs::copy(fixture(from), part.join(name)).unwrap();
    }
    fs::write(part.join("notes.txt"), "not an export").unwrap();
    fs::create_dir_all(dir.path().join("export/metadata")).unwrap();
    fs::write(dir.path().join("export/metadata/Manifest.json"), "{}").unwrap();
    let o = srmatrix_in(
        dir.path(),
        &["report", "-i", "export", "--format", "json", "--out", "out"],
    );
    assert_exit(&o, 0);
    let manifest: Value =
        serde_json::from_slice(&fs::read(dir.path().join("out/manifest.json")).unwrap()).unwrap();
    let text = manifest.to_string();
    let mut at = Vec::new();
    for (name, _) in files {
        let sha = hex(&Sha256::digest(fs::read(part.join(name)).unwrap()));
        let pos = text.find(&sha);
        assert!(pos.is_some(), "{name}'s SHA-256 in the manifest: {text}");
        assert!(text.contains(name), "{name} listed");
        at.push((name, pos));
    }
    at.sort_by_key(|(_, p)| *p);
    let order: Vec<&str> = at.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        order,
        [
            "cur2-00001.snappy.parquet",
            "cur2-00002.snappy.parquet",
            "cur2-00003.csv.gz"
        ],
        "sorted by path"
    );
    assert!(!text.contains("notes.txt") && !text.contains("Manifest.json"));

    let empty = dir.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let o = srmatrix_in(dir.path(), &["inspect", "empty"]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("no .parquet or .csv.gz file"),
        "{}",
        stderr(&o)
    );

    // A link back up the tree is not followed: the walk ends and each file is read once.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("..", part.join("loop")).unwrap();
        let o = srmatrix_in(dir.path(), &["inspect", "export"]);
        assert_exit(&o, 0);
        let text = stdout(&o);
        assert_eq!(
            text.matches("cur2-00002.snappy.parquet").count(),
            1,
            "{text}"
        );
    }
}

#[test]
fn inspect_shows_the_parquet_schema_row_groups_and_rows() {
    let o = srmatrix(&[
        "inspect",
        "tests/fixtures/formats/parquet/cur2.snappy.parquet",
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    for want in [
        "format:             cur2",
        "parquet:            4 row group(s), 32 row(s), 34 leaf column(s)",
        "codecs: SNAPPY",
        "resource_tags: map<string, string>",
        "line_item_product_code: string",
        "rows read:          32",
    ] {
        assert!(out.contains(want), "{want:?} in\n{out}");
    }
    assert!(
        !out.contains("line_item_unblended_cost"),
        "only the columns the plan needs are read:\n{out}"
    );
    // Parquet is told by its magic bytes, whatever the file is called.
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("export.csv");
    fs::copy(fixture("parquet/cur2.snappy.parquet"), &renamed).unwrap();
    let o = srmatrix(&["inspect", renamed.to_str().unwrap()]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).contains("format:             cur2")
            && stdout(&o).contains("parquet:            4 row group(s), 32 row(s)"),
        "{}",
        stdout(&o)
    );
    // `--input-format` still forces the format of a Parquet file.
    let o = srmatrix(&[
        "inspect",
        "tests/fixtures/formats/parquet/cur2.snappy.parquet",
        "--input-format",
        "cur-athena",
    ]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).contains("format:             cur-athena"),
        "{}",
        stdout(&o)
    );
}

/// Runs `inspect` on `bytes` written as `name` and returns its error message.
fn inspect_error(name: &str, bytes: &[u8], extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(name), bytes).unwrap();
    let mut args = vec!["inspect", name];
    args.extend(extra);
    let o = srmatrix_in(dir.path(), &args);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// The byte range of the first data page of `column` in row group `group` of a Parquet file.
fn column_chunk(bytes: &[u8], group: usize, column: &str) -> (usize, usize) {
    use parquet::file::reader::FileReader as _;
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(bytes::Bytes::from(
        bytes.to_vec(),
    ))
    .unwrap();
    let rg = reader.metadata().row_group(group);
    let chunk = rg
        .columns()
        .iter()
        .find(|c| c.column_path().string() == column)
        .unwrap();
    let (start, len) = chunk.byte_range();
    (start as usize, len as usize)
}

#[test]
fn bad_parquet_is_an_error_naming_the_file_row_group_and_column() {
    let good = fs::read(fixture("parquet/cur2.snappy.parquet")).unwrap();

    // Cut off: the footer is gone.
    let err = inspect_error("cut.parquet", &good[..good.len() / 2], &[]);
    assert!(
        err.contains("cut.parquet: cannot read the footer (the file is cut off or corrupt)"),
        "{err}"
    );

    // The footer's magic is wrong.
    let mut bad_magic = good.clone();
    let n = bad_magic.len();
    bad_magic[n - 4..].copy_from_slice(b"PAR0");
    let err = inspect_error("magic.parquet", &bad_magic, &[]);
    assert!(
        err.contains("magic.parquet: cannot read the footer"),
        "{err}"
    );

    // A corrupt page: the product codes of the third row group overwritten past the page header.
    let (start, len) = column_chunk(&good, 2, "line_item_product_code");
    let mut corrupt = good.clone();
    for b in &mut corrupt[start + len / 3..start + len] {
        *b = 0xA5;
    }
    let err = inspect_error("page.parquet", &corrupt, &[]);
    assert!(
        err.contains("page.parquet: row group 3, column `line_item_product_code`: "),
        "{err}"
    );

    // A dictionary page header whose value count no longer fits its bytes
    // (tests/fixtures/fuzz/import_parquet/cur2-corrupt-page; the `parquet` crate's decoder
    // asserted on it): refused before it is decoded.
    let mut dictionary = good.clone();
    dictionary[4656] ^= 0x5A;
    let err = inspect_error("dictionary.parquet", &dictionary, &[]);
    assert!(
        err.contains("dictionary.parquet: row group 1, column `product_product_family`: ")
            && err.contains("corrupt dictionary page: it declares 40 values in 84 bytes"),
        "{err}"
    );

    // A plain byte array whose length prefix is cut off, in a text column: srmatrix's text
    // reader names it (the `parquet` crate's decoder panicked on this page).
    let mut cut = good.clone();
    cut[7939] ^= 0x5A;
    let err = inspect_error("cut-value.parquet", &cut, &[]);
    assert!(
        err.contains("cut-value.parquet: row group 2, column `line_item_usage_type`: ")
            && err.contains("corrupt page: a dictionary entry's length is cut off"),
        "{err}"
    );

    // A corrupt delta-encoded page, on which the `parquet` crate's decoder panics instead of
    // returning an error (a slice range out of order): contained, and not printed as a crash.
    let mut asserts = fs::read(fixture("parquet/cur2-encodings.snappy.parquet")).unwrap();
    asserts[2521] ^= 0x5A;
    let err = inspect_error("assert.parquet", &asserts, &[]);
    assert!(
        err.contains("assert.parquet: row group 1, column `line_item_product_code`: ")
            && err.contains("corrupt data: the Parquet decoder stopped on it"),
        "{err}"
    );

    // A dictionary page declaring far more values than its bytes hold (found by fuzzing: the
    // `parquet` crate would have sized the dictionary by the count, 12 GB, and the process
    // ended out of memory): refused before it is decoded.
    let saved = fs::read(repo(
        "tests/fixtures/fuzz/import_parquet/dictionary-claims-too-many-values",
    ))
    .unwrap();
    let err = inspect_error("dict.parquet", &saved[1..], &[]);
    assert!(
        err.contains("dict.parquet: row group 1, column `ChargeCategory`: ")
            && err.contains("corrupt dictionary page: it declares 398458879 values in 9 bytes"),
        "{err}"
    );

    // A codec AWS does not write.
    let brotli = fs::read(fixture("parquet/bad/brotli.parquet")).unwrap();
    let err = inspect_error("brotli.parquet", &brotli, &[]);
    assert!(
        err.contains("brotli.parquet: row group 1, column `line_item_product_code`: compressed with BROTLI, which srmatrix does not read"),
        "{err}"
    );

    // No service column: named, whether the format is detected (from the other CUR 2.0
    // columns) or forced.
    let no_service = fs::read(fixture("parquet/bad/no-service-column.parquet")).unwrap();
    let err = inspect_error("svc.parquet", &no_service, &[]);
    assert!(
        err.contains("svc.parquet: column `line_item_product_code`: the schema has no such column"),
        "{err}"
    );
    let err = inspect_error("svc.parquet", &no_service, &["--input-format", "cur2"]);
    assert!(
        err.contains("svc.parquet: column `line_item_product_code`: the schema has no such column"),
        "{err}"
    );

    // Gzip around Parquet, and Parquet on standard input, are named too.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_srmatrix"))
        .args(["inspect", "-"])
        .stdin(fs::File::open(fixture("parquet/cur2.snappy.parquet")).unwrap())
        .output()
        .unwrap();
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("Apache Parquet file")
            && stderr(&o).contains("give the .parquet file itself"),
        "{}",
        stderr(&o)
    );
}
