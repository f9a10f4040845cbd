//! The bundled example, rendered and compared byte for byte with the golden reports in
//! `tests/golden/example/`. Run with `UPDATE_GOLDEN=1` to rewrite them after an intended change,
//! then review the diff.

use std::fs;

use crate::util::{assert_exit, repo, sha256_hex, srmatrix, stderr};

/// Documents compared byte for byte with a file in the golden directory (readable diffs).
const FORMATS: [&str; 3] = ["report.md", "report.html", "report.csv"];

/// Documents compared by SHA-256 with `SHA256SUMS` in the golden directory (too large, or binary,
/// to keep as files).
const HASHED: [&str; 11] = [
    "findings.csv",
    "team-actions.csv",
    "crosswalk.csv",
    "registers.csv",
    "crm.csv",
    "cis.csv",
    "ccm-ssrm.csv",
    "soc2-csoc-cuec.csv",
    "report.json",
    "report.xlsx",
    "report.oscal.json",
];

fn render_example(out: &std::path::Path) {
    let out = out.to_str().unwrap();
    let o = srmatrix(&[
        "report",
        "--inventory",
        "inputs/inventory.csv",
        "--out",
        out,
        "--org",
        "Northwind Analytics",
        "--period",
        "2026-Q3",
        "--generated-at",
        "2026-10-01T00:00:00Z",
        "--format",
        "md,html,csv,json,xlsx,oscal",
    ]);
    assert_exit(&o, 0);
}

#[test]
fn example_reports_match_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    render_example(dir.path());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let golden = repo("tests/golden/example");
    let mut mismatched = Vec::new();
    for name in FORMATS {
        let got = fs::read(dir.path().join(name)).unwrap();
        let path = golden.join(name);
        if update {
            fs::create_dir_all(&golden).unwrap();
            fs::write(&path, &got).unwrap();
            continue;
        }
        let want = fs::read(&path).unwrap_or_default();
        if got != want {
            let first = got
                .split(|&b| b == b'\n')
                .zip(want.split(|&b| b == b'\n'))
                .position(|(a, b)| a != b)
                .map_or(0, |i| i + 1);
            mismatched.push(format!("{name} (first difference on line {first})"));
        }
    }
    let sums: String = HASHED
        .iter()
        .map(|name| {
            format!(
                "{}  {name}\n",
                sha256_hex(&fs::read(dir.path().join(name)).unwrap())
            )
        })
        .collect();
    let sums_path = golden.join("SHA256SUMS");
    if update {
        fs::write(&sums_path, &sums).unwrap();
    } else {
        let want = fs::read_to_string(&sums_path).unwrap_or_default();
        for (got, want) in sums.lines().zip(want.lines().chain(std::iter::repeat(""))) {
            if got != want {
                mismatched.push(format!(
                    "{} (SHA-256)",
                    got.split_whitespace().last().unwrap_or("?")
                ));
            }
        }
    }
    assert!(
        mismatched.is_empty(),
        "reports differ from tests/golden/example: {}; rerun with UPDATE_GOLDEN=1 and review the diff",
        mismatched.join(", ")
    );
}

#[test]
fn same_input_gives_same_bytes_and_source_date_epoch_sets_the_time() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [&a, &b] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_srmatrix"))
            .args(["report", "-i", "inputs/inventory.csv", "--out"])
            .arg(dir.path())
            .current_dir(repo(""))
            .env("SOURCE_DATE_EPOCH", "1790812800")
            .output()
            .unwrap();
        assert_exit(&o, 0);
    }
    for name in FORMATS.iter().chain(&[
        "findings.csv",
        "team-actions.csv",
        "crosswalk.csv",
        "registers.csv",
        "crm.csv",
        "cis.csv",
        "ccm-ssrm.csv",
        "soc2-csoc-cuec.csv",
    ]) {
        let x = fs::read(a.path().join(name)).unwrap();
        assert_eq!(x, fs::read(b.path().join(name)).unwrap(), "{name}");
    }
    let md = fs::read_to_string(a.path().join("report.md")).unwrap();
    assert!(
        md.contains("| Generated at | 2026-10-01T00:00:00Z |"),
        "SOURCE_DATE_EPOCH honoured"
    );
}

#[test]
fn example_report_has_every_section_and_the_expected_numbers() {
    let dir = tempfile::tempdir().unwrap();
    render_example(dir.path());
    let md = fs::read_to_string(dir.path().join("report.md")).unwrap();
    for heading in [
        "## Summary",
        "## Findings",
        "## Responsibility matrix",
        "### Infrastructure services",
        "### Container (managed platform) services",
        "### Abstracted services",
        "## Framework registers",
        "## Controls",
        "## Services in use",
        "## Unmapped services",
        "## Resources with no owner team",
        "## Inputs",
        "## Methodology",
    ] {
        assert!(md.contains(heading), "missing {heading}");
    }
    // The default report reads in one sitting; the full detail is in the CSV files, the workbook
    // and `--detail full`.
    assert!(
        md.len() <= 250_000,
        "report.md is {} bytes, over the 250 KB target",
        md.len()
    );
    for full_only in ["## Category defaults", "## Framework crosswalk"] {
        assert!(!md.contains(full_only), "{full_only} is --detail full only");
    }
    assert!(md.contains("| Organisation | Northwind Analytics |"));
    assert!(md.contains("| Period | 2026\\-Q3 |") || md.contains("| Period | 2026-Q3 |"));
    assert!(
        md.contains("`unmapped-service`"),
        "the example has unmapped services"
    );
    assert!(
        md.contains("`unowned-resources`"),
        "the example has untagged resources"
    );

    // 54 near-identical findings read as one, with their subjects.
    let sensitive: Vec<&str> = md
        .lines()
        .filter(|l| l.contains("`sensitive-data-customer-controls`"))
        .collect();
    assert_eq!(sensitive.len(), 1, "{sensitive:?}");
    assert!(sensitive[0].contains("api\\-gateway (1)") || sensitive[0].contains("api-gateway (1)"));

    let csv_text = fs::read_to_string(dir.path().join("report.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    for col in [
        "service_id",
        "service_name",
        "category",
        "control_id",
        "control_title",
        "domain",
        "owner",
        "aws_responsibility",
        "customer_responsibility",
        "customer_team",
        "evidence",
        "frameworks",
        "accounts",
        "regions",
        "resource_count",
    ] {
        assert!(
            header.iter().any(|h| h == col),
            "report.csv lacks column {col}"
        );
    }
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let catalog = srmatrix_model::Catalog::builtin().unwrap();
    let services: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.get(0).unwrap()).collect();
    assert!(
        services.len() >= 25,
        "example uses 25+ mapped services, got {}",
        services.len()
    );
    assert_eq!(
        rows.len(),
        services.len() * catalog.controls.len(),
        "one row per service × control"
    );
    for r in &rows {
        assert!(
            matches!(r.get(6), Some("AWS" | "Shared" | "Customer")),
            "owner {:?}",
            r.get(6)
        );
    }
    let html = fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("Content-Security-Policy"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "one inline script: the matrix filter"
    );
    assert!(!html.contains("<script src"), "no external script");
    assert!(!html.contains("src=\"http"), "no external resources");
    let csp = html
        .split("script-src ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert!(
        csp.starts_with("'sha256-") && !csp.contains("unsafe"),
        "script allowed by hash only: {csp}"
    );
    assert!(stderr(&srmatrix(&["report", "--help"])).is_empty());
}

#[test]
fn several_inventories_make_one_report() {
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("extra.csv");
    fs::write(
        &extra,
        "service,account_id,owner_team\nsqs,999999999999,ops\nAWSQueueService,999999999999,ops\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = srmatrix(&[
        "report",
        "-i",
        "inputs/inventory.csv",
        extra.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "md",
        "--generated-at",
        "2026-10-01T00:00:00Z",
    ]);
    assert_exit(&o, 0);
    assert!(
        !out.join("report.html").exists(),
        "--format md writes only Markdown"
    );
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("999999999999"),
        "accounts of the second input are in scope"
    );
    assert!(md.contains("inputs/inventory\\.csv") || md.contains("inputs/inventory.csv"));
    assert!(md.contains("extra\\.csv") || md.contains("extra.csv"));
}

#[test]
fn report_json_is_documented() {
    let dir = tempfile::tempdir().unwrap();
    let o = srmatrix(&[
        "report",
        "-i",
        "inputs/inventory.csv",
        "--out",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_exit(&o, 0);
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let doc = fs::read_to_string(repo("docs/report-json.md")).unwrap();
    for key in v.as_object().unwrap().keys() {
        assert!(
            doc.contains(&format!("`{key}`")),
            "docs/report-json.md does not describe `{key}`"
        );
    }
    for f in v["findings"].as_array().unwrap() {
        let code = f["code"].as_str().unwrap();
        assert!(
            doc.contains(&format!("| `{code}` |")),
            "finding code {code} undocumented"
        );
    }
}

#[test]
fn xlsx_workbook_reads_back_with_every_sheet() {
    use calamine::Reader;
    let dir = tempfile::tempdir().unwrap();
    let o = srmatrix(&[
        "report",
        "-i",
        "inputs/inventory.csv",
        "--out",
        dir.path().to_str().unwrap(),
        "--format",
        "xlsx",
    ]);
    assert_exit(&o, 0);
    let bytes = fs::read(dir.path().join("report.xlsx")).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "a zip container");
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let mut want: Vec<String> = srmatrix_render::xlsx::SHEETS.map(String::from).to_vec();
    want.splice(
        7..7,
        srmatrix_render::xlsx::DOCUMENT_SHEETS.map(|(_, n)| n.to_owned()),
    );
    assert_eq!(wb.sheet_names(), want);
    let catalog = srmatrix_model::Catalog::builtin().unwrap();
    let resp = wb.worksheet_range("Responsibilities").unwrap();
    let services = 67;
    assert_eq!(
        resp.height(),
        1 + services * catalog.controls.len(),
        "header + one row per service × control"
    );
    let tracker = wb.worksheet_range("Evidence tracker").unwrap();
    let header: Vec<String> = tracker
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    for col in ["Evidence link", "Status", "Reviewer", "Review date"] {
        assert!(header.iter().any(|h| h == col), "{col} in {header:?}");
    }
}
