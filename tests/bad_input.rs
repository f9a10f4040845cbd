//! Bad input: each case names the file, line and column, exits 1, and writes no report.

use std::fs;

use crate::util::{assert_exit, srmatrix_in, stderr};

/// Writes `bytes` to `name` in a fresh directory and runs `report` on it there.
fn report_on(name: &str, bytes: &[u8]) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(name), bytes).unwrap();
    let o = srmatrix_in(dir.path(), &["report", "-i", name, "--out", "out"]);
    (o, dir)
}

#[track_caller]
fn fails_with(name: &str, bytes: &[u8], expected: &str) {
    let (o, dir) = report_on(name, bytes);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(err.contains(expected), "expected `{expected}` in:\n{err}");
    assert!(
        !dir.path().join("out").exists(),
        "no report is written on bad input"
    );
}

#[test]
fn unknown_header_and_missing_service_column() {
    fails_with(
        "inv.csv",
        b"svc,region\ns3,eu-west-1\n",
        "inv.csv:1:1: cannot tell the format from the header (found: `svc`, `region`); name it with --input-format",
    );
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("inv.csv"), b"svc,region\ns3,eu-west-1\n").unwrap();
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "inv.csv",
            "--input-format",
            "native",
            "--out",
            "out",
        ],
    );
    assert_exit(&o, 1);
    assert!(
        stderr(&o)
            .contains("inv.csv:1:1: no `service` column in the header (found: `svc`, `region`)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn utf16_file_is_named_as_such() {
    let mut bytes = vec![0xFF, 0xFE];
    for b in b"service\ns3\n" {
        bytes.extend([*b, 0]);
    }
    fails_with(
        "inv.csv",
        &bytes,
        "inv.csv:1:1: the file is UTF-16 (little-endian)",
    );
}

#[test]
fn truncated_and_fake_gzip() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &b"service,region\ns3,eu-west-1\n".repeat(2000)).unwrap();
    let full = gz.finish().unwrap();
    fails_with("inv.csv.gz", &full[..full.len() / 2], "inv.csv.gz");
    let (o, _dir) = report_on("fake.csv.gz", b"service\ns3\n");
    assert_exit(&o, 0);
}

#[test]
fn ragged_row() {
    fails_with(
        "inv.csv",
        b"service,region,account_id\r\ns3,eu-west-1,1\r\n\r\nsqs\r\n",
        "inv.csv:4:2: row has 1 fields but the header has 3",
    );
}

#[test]
fn invalid_utf8() {
    fails_with(
        "inv.csv",
        b"service,owner_team\ns3,caf\xe9\n",
        "inv.csv:2:2: field is not valid UTF-8",
    );
}

#[test]
fn empty_file() {
    fails_with("inv.csv", b"", "inv.csv:1:1: the input is empty");
}

#[test]
fn bad_resource_count() {
    fails_with(
        "inv.csv",
        b"service,resource_count\ns3,many\n",
        "inv.csv:2:2: resource_count `many` is not a whole number",
    );
}

#[test]
fn missing_file_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let o = srmatrix_in(dir.path(), &["report", "-i", "nope.csv", "--out", "out"]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("nope.csv: cannot open"),
        "{}",
        stderr(&o)
    );
    fs::create_dir(dir.path().join("adir")).unwrap();
    let o = srmatrix_in(dir.path(), &["report", "-i", "adir", "--out", "out"]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("adir: the directory holds no .parquet or .csv.gz file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_second_of_several_inputs_is_named() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("good.csv"), "service\ns3\n").unwrap();
    fs::write(
        dir.path().join("bad.csv"),
        "service,region,account_id\ns3\n",
    )
    .unwrap();
    let o = srmatrix_in(
        dir.path(),
        &["report", "-i", "good.csv", "bad.csv", "--out", "out"],
    );
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("bad.csv:2:2: row has 1 fields"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn header_only_inventory_is_an_empty_report_not_an_error() {
    let (o, dir) = report_on("inv.csv", b"service,region\n");
    assert_exit(&o, 0);
    let md = fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(
        md.contains("0 read, 0 mapped to a service (no row names a service)"),
        "{md}"
    );
}

#[test]
fn blank_service_rows_are_counted_not_dropped() {
    let (o, dir) = report_on("inv.csv", b"service,account_id\ns3,1\n,2\n  ,3\n");
    assert_exit(&o, 0);
    let md = fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(md.contains("`blank-service`"), "{md}");
    assert!(md.contains("line 3, 4"), "{md}");
    let row = md.lines().find(|l| l.starts_with("| inv")).unwrap();
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    // | name | format | sha256 | bytes | rows | mapped | unmapped | non-service | non-resource | other | out of scope | blank service |
    assert_eq!(
        &cells[5..13],
        ["3", "1", "0", "0", "0", "0", "0", "2"],
        "{row}"
    );
    assert_eq!(
        cells[3].trim_matches('`').len(),
        64,
        "SHA-256 of the input: {row}"
    );
}

#[test]
fn output_over_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("out")).unwrap();
    fs::write(dir.path().join("out/report.csv"), "service\ns3\n").unwrap();
    let o = srmatrix_in(
        dir.path(),
        &["report", "-i", "out/report.csv", "--out", "out"],
    );
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("it is also the input out/report.csv"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("out/report.csv")).unwrap(),
        "service\ns3\n"
    );
    // The working directory cannot be swapped out from under the shell that runs srmatrix.
    fs::write(dir.path().join("inv.csv"), "service\ns3\n").unwrap();
    let o = srmatrix_in(dir.path(), &["report", "-i", "inv.csv", "--out", "."]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("working directory"), "{}", stderr(&o));
}

#[test]
fn hostile_values_are_escaped_in_every_format() {
    let (o, dir) = report_on(
        "inv.csv",
        b"service,account_id,owner_team\n\"<script>alert(1)</script>\",=HYPERLINK(\"http://x\"),\"a|b\nc\"\ns3,+1,@team\n",
    );
    assert_exit(&o, 0);
    let html = fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(!html.contains("<script>alert"), "HTML escaped");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "shown as text"
    );
    let md = fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(md.contains("\\<script\\>"), "Markdown escaped");
    assert!(!md.contains("a|b"), "pipes escaped");
    let csv_text = fs::read_to_string(dir.path().join("out/report.csv")).unwrap();
    assert!(csv_text.contains("'+1"), "formula neutralised: {csv_text}");
    assert!(csv_text.contains("'@team"), "formula neutralised");
}

/// Every CSV document, `changes.csv` included, of a report whose values hide formulas behind a
/// `;`, a tab or a line break: split on `,`, `;` or tab as a spreadsheet of that list separator
/// would, no cell starts with a formula trigger.
#[test]
fn csv_outputs_have_no_formula_cell_under_any_list_separator() {
    let dir = tempfile::tempdir().unwrap();
    let payloads = [
        "x;=cmd|' /C calc'!A0;y",
        "x\t=cmd|' /C calc'!A0",
        "x\n@SUM(1)",
        "x;\"-2\"",
        "ends;",
    ];
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut q2 = String::from("service,account_id,owner_team,environment\n");
    let mut q3 = q2.clone();
    for (i, p) in payloads.iter().enumerate() {
        let p = quote(p);
        q2.push_str(&format!("s3,{p},before{i},{p}\n"));
        q3.push_str(&format!("{p},{p},{p},{p}\nlambda,{p},{p},{p}\n"));
    }
    fs::write(dir.path().join("q2.csv"), q2).unwrap();
    fs::write(dir.path().join("q3.csv"), q3).unwrap();
    let o = srmatrix_in(
        dir.path(),
        &["report", "-i", "q2.csv", "--out", "q2", "--format", "json"],
    );
    assert_exit(&o, 0);
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "q3.csv",
            "--out",
            "q3",
            "--baseline",
            "q2/report.json",
            "--format",
            "csv",
        ],
    );
    assert_exit(&o, 0);
    let mut problems = Vec::new();
    let mut names = Vec::new();
    for entry in fs::read_dir(dir.path().join("q3")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            names.push(path.file_name().unwrap().to_string_lossy().into_owned());
            problems.extend(crate::hostile::formula_cells(&path));
        }
    }
    names.sort();
    assert_eq!(
        names,
        [
            "ccm-ssrm.csv",
            "changes.csv",
            "cis.csv",
            "crm.csv",
            "crosswalk.csv",
            "findings.csv",
            "registers.csv",
            "report.csv",
            "soc2-csoc-cuec.csv",
            "team-actions.csv"
        ]
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let changes = fs::read_to_string(dir.path().join("q3/changes.csv")).unwrap();
    assert!(
        changes.contains("x;'=cmd|' /C calc'!A0;y"),
        "the payload is in changes.csv, neutralised: {changes}"
    );
}

#[test]
fn limits_give_errors_naming_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("wide.csv"),
        format!("service,{}\ns3\n", vec!["c"; 5000].join(",")),
    )
    .unwrap();
    let o = srmatrix_in(dir.path(), &["report", "-i", "wide.csv", "--out", "out"]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("wide.csv:1:4097: the input has more than 4096 columns"),
        "{}",
        stderr(&o)
    );

    let big = format!("service,region\ns3,{}\n", "x".repeat(2 << 20));
    fs::write(dir.path().join("big.csv"), big).unwrap();
    let o = srmatrix_in(dir.path(), &["report", "-i", "big.csv", "--out", "out"]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("big.csv:2:2: the input has a field larger than 1048576 bytes"),
        "{}",
        stderr(&o)
    );
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "big.csv",
            "--out",
            "out",
            "--max-field-bytes",
            "4000000",
            "--format",
            "csv",
        ],
    );
    assert_exit(&o, 0);

    let rows: String = (0..50).map(|i| format!("s3,{i}\n")).collect();
    fs::write(
        dir.path().join("many.csv"),
        format!("service,account_id\n{rows}"),
    )
    .unwrap();
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "many.csv",
            "--out",
            "out2",
            "--max-groups",
            "10",
        ],
    );
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("many.csv:12:1: more distinct groups"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("out2").exists());
}

/// Resource counts that fit in each input but not over both: the second input is named, and
/// with one thread or three alike.
#[test]
fn resource_counts_past_u64_over_two_inputs_name_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let half = 1u64 << 63;
    fs::write(
        dir.path().join("a.csv"),
        format!("service,resource_count\ns3,{half}\n"),
    )
    .unwrap();
    fs::write(
        dir.path().join("b.csv"),
        format!(
            "service,resource_count\nec2,{}\nsqs,{}\n",
            half / 2,
            half / 2
        ),
    )
    .unwrap();
    for threads in ["1", "3"] {
        let o = srmatrix_in(
            dir.path(),
            &[
                "report",
                "-i",
                "a.csv",
                "-i",
                "b.csv",
                "--threads",
                threads,
                "--out",
                "out",
            ],
        );
        assert_exit(&o, 1);
        assert!(
            stderr(&o).contains(
                "b.csv: the resources of this input and the inputs before it add up to more than 18446744073709551615"
            ),
            "{}",
            stderr(&o)
        );
        assert!(!dir.path().join("out").exists());
    }
}
