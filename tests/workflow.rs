//! The quarterly workflow: a report of one quarter as the baseline of the next, and `srmatrix diff`.

use std::fs;

use crate::util::{assert_exit, repo, srmatrix_in, stderr, stdout};

/// Writes a Q2 inventory (the first 120 rows of the example) and a Q3 one (all of it) and the Q2
/// JSON report; returns the directory.
fn two_quarters() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let full = fs::read_to_string(repo("inputs/inventory.csv")).unwrap();
    let q2: String = full.lines().take(120).map(|l| format!("{l}\n")).collect();
    fs::write(dir.path().join("q2.csv"), q2).unwrap();
    fs::write(dir.path().join("q3.csv"), &full).unwrap();
    let o = srmatrix_in(
        dir.path(),
        &[
            "report", "-i", "q2.csv", "--out", "q2", "--period", "2026-Q2", "--format", "json",
        ],
    );
    assert_exit(&o, 0);
    dir
}

#[test]
fn baseline_adds_changes_to_every_format() {
    let dir = two_quarters();
    // An organisation override that changes one owner between the quarters.
    fs::create_dir(dir.path().join("cat")).unwrap();
    fs::write(
        dir.path().join("cat/statements.toml"),
        "[[statement]]\nservice = \"s3\"\ncontrol = \"SRM-CFG-04\"\nowner = \"Shared\"\nsource = \"internal: managed change pipeline\"\n",
    )
    .unwrap();
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "q3.csv",
            "--out",
            "q3",
            "--period",
            "2026-Q3",
            "--baseline",
            "q2/report.json",
            "--catalog",
            "cat",
            "--format",
            "md,html,csv,json,xlsx",
        ],
    );
    assert_exit(&o, 0);
    let md = fs::read_to_string(dir.path().join("q3/report.md")).unwrap();
    assert!(
        md.contains("## Changes since 2026\\-Q2") || md.contains("## Changes since 2026-Q2"),
        "md section"
    );
    assert!(md.contains("**Services adopted**"));
    assert!(
        md.contains("| s3 | SRM-CFG-04 | Customer | Shared |"),
        "ownership change shown"
    );
    let html = fs::read_to_string(dir.path().join("q3/report.html")).unwrap();
    assert!(html.contains("<section id=\"changes\">"));
    let csv = fs::read_to_string(dir.path().join("q3/changes.csv")).unwrap();
    assert!(
        csv.contains(r#""ownership-changed","s3","SRM-CFG-04","Customer","Shared""#),
        "{csv}"
    );
    assert!(csv.lines().any(|l| l.starts_with("\"service-adopted\",")));
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("q3/report.json")).unwrap()).unwrap();
    assert_eq!(json["changes"]["since"], "2026-Q2");
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook(dir.path().join("q3/report.xlsx")).unwrap();
    assert_eq!(wb.sheet_names().last().map(String::as_str), Some("Changes"));
    let rows = wb.worksheet_range("Changes").unwrap();
    assert!(
        rows.rows()
            .any(|r| r.iter().any(|c| c == "ownership-changed"))
    );
}

#[test]
fn diff_command_in_markdown_and_csv() {
    let dir = two_quarters();
    let o = srmatrix_in(
        dir.path(),
        &[
            "report", "-i", "q3.csv", "--out", "q3", "--period", "2026-Q3", "--format", "json",
        ],
    );
    assert_exit(&o, 0);
    let o = srmatrix_in(dir.path(), &["diff", "q2/report.json", "q3/report.json"]);
    assert_exit(&o, 0);
    let md = stdout(&o);
    assert!(md.starts_with("## Changes since 2026"), "{md}");
    assert!(md.contains("Services adopted"));
    let o = srmatrix_in(
        dir.path(),
        &[
            "diff",
            "q2/report.json",
            "q3/report.json",
            "--format",
            "csv",
        ],
    );
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with(r#""change","subject","detail","before","after""#));
    let o = srmatrix_in(dir.path(), &["diff", "q3/report.json", "q3/report.json"]);
    assert!(stdout(&o).contains("No change."));
}

#[test]
fn diff_refuses_what_is_not_a_report() {
    let dir = two_quarters();
    fs::write(dir.path().join("other.json"), "{\"a\": 1}").unwrap();
    let o = srmatrix_in(dir.path(), &["diff", "q2/report.json", "other.json"]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("not an srmatrix JSON report"),
        "{}",
        stderr(&o)
    );
    fs::write(dir.path().join("broken.json"), "{\n\"a\": ").unwrap();
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "q3.csv",
            "--out",
            "x",
            "--baseline",
            "broken.json",
        ],
    );
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("broken.json:2:"),
        "line and column: {}",
        stderr(&o)
    );
}
