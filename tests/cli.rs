//! The subcommands other than `report`, help and usage errors.

use crate::util::{assert_exit, srmatrix, stderr, stdout};

#[test]
fn explain_s3_by_every_identifier_form() {
    for ident in [
        "s3",
        "Amazon Simple Storage Service",
        "AmazonS3",
        "AWS::S3::Bucket",
        "arn:aws:s3:::bucket",
    ] {
        let o = srmatrix(&["explain", ident]);
        assert_exit(&o, 0);
        let out = stdout(&o);
        assert!(
            out.starts_with("Amazon Simple Storage Service (s3)"),
            "{ident}: {out}"
        );
        assert!(out.contains("Category: Abstracted services"), "{ident}");
    }
}

#[test]
fn explain_formats_agree() {
    let catalog = srmatrix_model::Catalog::builtin().unwrap();
    let json = stdout(&srmatrix(&["explain", "rds", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["service"]["id"], "rds");
    assert_eq!(v["service"]["category"], "container");
    let resp = v["responsibilities"].as_array().unwrap();
    assert_eq!(resp.len(), catalog.controls.len());
    let csv_out = stdout(&srmatrix(&["explain", "rds", "--format", "csv"]));
    let mut rdr = csv::Reader::from_reader(csv_out.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), resp.len());
    for (row, j) in rows.iter().zip(resp) {
        assert_eq!(row.get(1), j["control"].as_str());
        assert_eq!(row.get(4), j["owner"].as_str());
    }
}

#[test]
fn explain_unknown_service_fails_with_suggestions() {
    let o = srmatrix(&["explain", "Lambd"]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(err.contains("no service `Lambd` in the catalog"), "{err}");
    assert!(err.contains("lambda"), "suggests lambda: {err}");
}

#[test]
fn catalog_lists_services_and_controls() {
    let catalog = srmatrix_model::Catalog::builtin().unwrap();
    let o = srmatrix(&["catalog", "services", "--format", "csv"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(rdr.records().count(), catalog.services.len());
    let o = srmatrix(&["catalog", "controls", "--format", "json"]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), catalog.controls.len());
    let o = srmatrix(&["catalog", "controls"]);
    assert!(stdout(&o).contains(&format!("{} controls", catalog.controls.len())));
}

#[test]
fn shipped_catalog_passes_check_and_meets_the_minimums() {
    let o = srmatrix(&["catalog", "check"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains(": ok ("), "{}", stdout(&o));
    let catalog = srmatrix_model::Catalog::builtin().unwrap();
    assert!(
        catalog.services.len() >= 30,
        "{} services",
        catalog.services.len()
    );
    assert!(
        catalog.controls.len() >= 20,
        "{} controls",
        catalog.controls.len()
    );
    for c in srmatrix_model::Category::ALL {
        assert!(
            catalog.services.iter().filter(|s| s.category == c).count() >= 5,
            "{c}"
        );
    }
    for d in &catalog.domains {
        assert!(
            catalog.controls.iter().any(|c| c.domain == d.id),
            "domain {} has no control",
            d.id
        );
    }
}

#[test]
fn catalog_check_reports_a_broken_catalog_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("statements.toml"),
        "[[statement]]\nservice = \"s3\"\ncontrol = \"SRM-NOPE-99\"\nsource = \"x\"\n",
    )
    .unwrap();
    let o = srmatrix(&[
        "catalog",
        "check",
        "--catalog",
        dir.path().to_str().unwrap(),
    ]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(
        err.contains("statements.toml:1:1: statement: unknown control `SRM-NOPE-99`"),
        "{err}"
    );
}

#[test]
fn catalog_override_changes_one_statement() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = srmatrix_model::Catalog::builtin().unwrap();
    let control = &catalog.controls[0].id;
    std::fs::write(
        dir.path().join("statements.toml"),
        format!("[[statement]]\nservice = \"sqs\"\ncontrol = \"{control}\"\nowner = \"Customer\"\ncustomer = \"Our own override.\"\nsource = \"internal policy 7\"\n"),
    )
    .unwrap();
    let o = srmatrix(&[
        "explain",
        "sqs",
        "--format",
        "json",
        "--catalog",
        dir.path().to_str().unwrap(),
    ]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let first = &v["responsibilities"][0];
    assert_eq!(first["owner"], "Customer");
    assert_eq!(first["customer"], "Our own override.");
    assert_eq!(first["basis"], "service-statement");
}

#[test]
fn help_has_examples_everywhere() {
    for args in [
        &["--help"][..],
        &["report", "--help"],
        &["explain", "--help"],
        &["catalog", "--help"],
    ] {
        let o = srmatrix(args);
        assert_exit(&o, 0);
        assert!(stdout(&o).contains("Example"), "{args:?}");
    }
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &["frobnicate"][..],
        &["report"],
        &["report", "-i", "x.csv", "--format", "pdf"],
        &["explain"],
    ] {
        let o = srmatrix(args);
        assert_exit(&o, 2);
    }
}

#[test]
fn user_templates_shadow_the_builtin_ones() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("report.md"),
        "services={{ summary.services }} org={{ meta.organisation }}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = srmatrix(&[
        "report",
        "-i",
        "inputs/inventory.csv",
        "--out",
        out.to_str().unwrap(),
        "--org",
        "X",
        "--templates",
        tpl.to_str().unwrap(),
        "--format",
        "md,html",
    ]);
    assert_exit(&o, 0);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("services=") && md.contains("org=X"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "report.html still built in"
    );

    std::fs::write(tpl.join("report.md"), "{{ nope | no_such_filter }}\n").unwrap();
    let o = srmatrix(&[
        "report",
        "-i",
        "inputs/inventory.csv",
        "--out",
        out.to_str().unwrap(),
        "--templates",
        tpl.to_str().unwrap(),
    ]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("template report.md ("),
        "{}",
        stderr(&o)
    );
}

#[test]
fn templates_report_their_line_and_cannot_reach_files() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    let out = dir.path().join("out");
    let run = |text: &str| {
        std::fs::write(tpl.join("report.md"), text).unwrap();
        srmatrix(&[
            "report",
            "-i",
            "inputs/inventory.csv",
            "--out",
            out.to_str().unwrap(),
            "--templates",
            tpl.to_str().unwrap(),
            "--format",
            "md",
        ])
    };
    let o = run("fine\n{{ summary.services }}\n{{ nope.deeper }}\n");
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("--> report.md:3:"),
        "names the line: {}",
        stderr(&o)
    );
    for escape in [
        "{% include \"/etc/passwd\" %}",
        "{% include \"../../etc/passwd\" %}",
        "{{ get_env(name=\"HOME\") }}",
        "{% import \"/etc/hosts\" as x %}",
    ] {
        let o = run(escape);
        assert_exit(&o, 1);
        assert!(
            !out.join("report.md").exists()
                || !std::fs::read_to_string(out.join("report.md"))
                    .unwrap()
                    .contains("root:"),
            "{escape}"
        );
    }
}

/// A template that fails while rendering (after the other formats have started writing) leaves
/// no file behind: no temporary file, no new output directory, and an earlier report untouched.
#[test]
fn a_failed_render_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("report.md"),
        "{{ summary.services }}\n{{ nope.deeper }}\n",
    )
    .unwrap();
    let out = dir.path().join("new").join("out");
    let run = |out: &std::path::Path| {
        srmatrix(&[
            "report",
            "-i",
            "inputs/inventory.csv",
            "--out",
            out.to_str().unwrap(),
            "--templates",
            tpl.to_str().unwrap(),
            "--format",
            "csv,json,xlsx,oscal,md",
        ])
    };
    let o = run(&out);
    assert_exit(&o, 1);
    assert!(!dir.path().join("new").exists(), "{}", stderr(&o));

    let kept = dir.path().join("kept");
    std::fs::create_dir(&kept).unwrap();
    std::fs::write(kept.join("report.csv"), "earlier\n").unwrap();
    let o = run(&kept);
    assert_exit(&o, 1);
    let names: Vec<String> = std::fs::read_dir(&kept)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["report.csv"]);
    assert_eq!(
        std::fs::read_to_string(kept.join("report.csv")).unwrap(),
        "earlier\n"
    );
}

/// The number of parsing threads never changes a byte of any report: an inventory of several
/// chunks (the bundled example repeated, rows shuffled by chunk) and a Parquet export of several
/// row groups, each read with one and with three threads.
#[test]
fn reports_do_not_depend_on_the_number_of_threads() {
    let example = std::fs::read_to_string(crate::util::repo("inputs/inventory.csv")).unwrap();
    let mut lines = example.lines();
    let header = lines.next().unwrap();
    let body: Vec<&str> = lines.collect();
    let mut text = format!("{header}\n");
    for copy in 0..80 {
        for line in &body {
            // Distinct resource ids per copy, so distinct counting is exercised across chunks.
            text.push_str(&line.replace("arn:aws:", &format!("arn:aws:{copy}")));
            text.push('\n');
        }
    }
    assert!(text.len() > 2 << 20, "several chunks: {}", text.len());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.csv"), &text).unwrap();
    // A CUR 2.0 Parquet export of four row groups: row groups are shared between threads.
    std::fs::copy(
        crate::util::repo("tests/fixtures/formats/parquet/cur2.snappy.parquet"),
        dir.path().join("cur2.parquet"),
    )
    .unwrap();
    let run = |input: &str, threads: &str| {
        let out = format!("out-{input}-{threads}");
        let o = crate::util::srmatrix_in(
            dir.path(),
            &[
                "report",
                "-i",
                input,
                "--format",
                "md,html,csv,json,xlsx,oscal",
                "--out",
                &out,
                "--generated-at",
                "2026-10-01T00:00:00Z",
                "--threads",
                threads,
            ],
        );
        assert_exit(&o, 0);
        assert!(
            !crate::util::stderr(&o).contains("MiB"),
            "no progress bar when standard error is not a terminal"
        );
        let mut files = std::collections::BTreeMap::new();
        for e in std::fs::read_dir(dir.path().join(&out)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name != "manifest.json" {
                files.insert(name, std::fs::read(&p).unwrap());
            }
        }
        files
    };
    for input in ["big.csv", "cur2.parquet"] {
        let one = run(input, "1");
        let three = run(input, "3");
        assert_eq!(one.len(), 14);
        for (name, bytes) in &one {
            assert!(three.get(name) == Some(bytes), "{input}: {name} differs");
        }
    }
}

/// An input through a pipe (a process substitution, `<(zcat …)`) is opened once and read whole:
/// a second open of the pipe would miss the bytes read to tell its kind. A Parquet file through
/// a pipe is refused with what to do instead (it is read from its footer).
#[test]
fn an_input_through_a_pipe_is_read_whole() {
    if !crate::util::tool_available("/bin/bash", "bash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |file: &str| {
        std::process::Command::new("/bin/bash")
            .arg("-c")
            .arg(format!(
                "\"$0\" report --inventory <(cat {file}) --format csv --out \"$1\"",
            ))
            .arg(env!("CARGO_BIN_EXE_srmatrix"))
            .arg(dir.path().join("out"))
            .current_dir(crate::util::root())
            .output()
            .unwrap()
    };
    let o = run("inputs/inventory.csv");
    assert_exit(&o, 0);
    assert!(
        crate::util::stderr(&o).contains("188 row(s) read"),
        "{}",
        crate::util::stderr(&o)
    );
    let o = run("tests/fixtures/formats/parquet/cur2.snappy.parquet");
    assert_exit(&o, 1);
    assert!(
        crate::util::stderr(&o).contains("give the .parquet file itself"),
        "{}",
        crate::util::stderr(&o)
    );
}
