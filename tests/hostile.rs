//! Hostile input: every file of `tests/hostile/` (and a few generated ones) run through
//! `srmatrix report` in every format, with the outcome `tests/hostile/expected.toml` gives.
//!
//! What is asserted, per case: the exit code (never 101, a panic), the error message, no output on
//! error, every row accounted for on success, and outputs that are safe to open: no CSV or XLSX
//! cell a spreadsheet would run as a formula, no HTML element or event handler from the input, and
//! Markdown tables that keep their shape.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::Output;
use std::time::Instant;

use crate::util::{repo, srmatrix_in, stderr, stdout};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    case: Vec<Case>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    exit: i32,
    #[serde(default)]
    stderr_contains: String,
    rows: Option<u64>,
    generate: Option<String>,
    #[serde(default)]
    md_contains: Vec<String>,
    known_gap: Option<String>,
    /// Findings report.json must hold (exit 0 only).
    #[serde(default)]
    findings: Vec<ExpectedFinding>,
}

/// A finding a case's report must hold, about the case's file.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFinding {
    code: String,
    count: u64,
    message_contains: String,
}

fn cases() -> Vec<Case> {
    let text = fs::read_to_string(repo("tests/hostile/expected.toml")).unwrap();
    toml::from_str::<Expected>(&text).unwrap().case
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Puts the case's input in `dir`: a copy of the corpus file, or a generated one. `None` when
/// the case cannot be run here (an unreadable file, as root).
fn prepare(case: &Case, dir: &Path) -> Option<()> {
    let path = dir.join(&case.file);
    match case.generate.as_deref() {
        None => {
            fs::copy(repo("tests/hostile").join(&case.file), &path).unwrap();
        }
        Some("field-50mb-one-line") => {
            let mut f = fs::File::create(&path).unwrap();
            f.write_all(b"service,region\ns3,").unwrap();
            f.write_all(&vec![b'a'; 50 << 20]).unwrap();
            f.write_all(b"\n").unwrap();
        }
        Some("field-50mb-multiline") => {
            let mut f = fs::File::create(&path).unwrap();
            f.write_all(b"service,region\ns3,\"").unwrap();
            let mut line = vec![b'a'; 1023];
            line.push(b'\n');
            for _ in 0..(50 << 10) {
                f.write_all(&line).unwrap();
            }
            f.write_all(b"\"\n").unwrap();
        }
        Some("line-18mb") => {
            let mut f = fs::File::create(&path).unwrap();
            let header: Vec<String> = (0..20)
                .map(|i| {
                    if i == 0 {
                        "service".into()
                    } else {
                        format!("c{i}")
                    }
                })
                .collect();
            writeln!(f, "{}", header.join(",")).unwrap();
            f.write_all(b"s3").unwrap();
            let field = vec![b'b'; 900 * 1024];
            for _ in 1..20 {
                f.write_all(b",").unwrap();
                f.write_all(&field).unwrap();
            }
            f.write_all(b"\n").unwrap();
        }
        Some("columns-10000") => {
            let header: Vec<String> = std::iter::once("service".to_owned())
                .chain((1..10_000).map(|i| format!("c{i}")))
                .collect();
            let row = format!("s3{}", ",x".repeat(9_999));
            fs::write(&path, format!("{}\n{row}\n", header.join(","))).unwrap();
        }
        Some("directory") => fs::create_dir(&path).unwrap(),
        Some("unreadable") => {
            fs::write(&path, "service\ns3\n").unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
            }
            if fs::File::open(&path).is_ok() {
                eprintln!(
                    "note: {} skipped: the file is readable despite chmod 000 (running as root, or not on Unix)",
                    case.file
                );
                return None;
            }
        }
        Some(other) => panic!("{}: unknown generator `{other}`", case.file),
    }
    Some(())
}

/// Runs one case; returns what went wrong, if anything.
fn run_case(case: &Case) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    if prepare(case, dir.path()).is_none() {
        return Vec::new();
    }
    let started = Instant::now();
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "--inventory",
            &case.file,
            "--out",
            "out",
            "--format",
            "md,html,csv,json,xlsx",
        ],
    );
    let elapsed = started.elapsed();
    eprintln!(
        "hostile {}: exit {:?} in {:.2?}",
        case.file,
        o.status.code(),
        elapsed
    );
    let mut problems = Vec::new();
    if o.status.code() == Some(101) || o.status.code().is_none() {
        problems.push(format!("PANIC or signal: {:?}\n{}", o.status, stderr(&o)));
        return problems;
    }
    let outcome = check_outcome(case, &o, &dir.path().join("out"));
    match (&case.known_gap, outcome.is_empty()) {
        (Some(gap), false) => {
            eprintln!("KNOWN GAP {}: {gap}", case.file);
        }
        (Some(gap), true) => problems.push(format!(
            "known gap now behaves as expected; remove `known_gap` from expected.toml: {gap}"
        )),
        (None, _) => problems.extend(outcome),
    }
    problems
}

fn check_outcome(case: &Case, o: &Output, out: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let err = stderr(o);
    if o.status.code() != Some(case.exit) {
        problems.push(format!(
            "exit {:?}, expected {}\n--- stdout\n{}\n--- stderr\n{err}",
            o.status.code(),
            case.exit,
            stdout(o)
        ));
        return problems;
    }
    if !err.contains(&case.stderr_contains) {
        problems.push(format!("stderr lacks `{}`:\n{err}", case.stderr_contains));
    }
    if case.exit != 0 {
        let written = fs::read_dir(out).map(|d| d.count()).unwrap_or(0);
        if written != 0 {
            problems.push(format!(
                "{written} file(s) written to the output directory on error"
            ));
        }
        return problems;
    }
    problems.extend(check_json(case, out));
    problems.extend(check_csv(out));
    problems.extend(check_xlsx(out));
    problems.extend(check_html(out));
    problems.extend(check_markdown(case, out));
    problems
}

/// The rows read, and every one of them counted once.
fn check_json(case: &Case, out: &Path) -> Vec<String> {
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    let input = &json["inputs"][0];
    let rows = input["rows"].as_u64().unwrap();
    let n = |key: &str| input[key].as_u64().unwrap();
    let other: u64 = input["other_provider_rows"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    let accounted = n("mapped_rows")
        + n("unmapped_rows")
        + n("non_service_rows")
        + n("non_resource_rows")
        + n("out_of_scope_rows")
        + n("blank_service_rows")
        + other;
    let mut problems = Vec::new();
    if Some(rows) != case.rows {
        problems.push(format!("report.json rows {rows}, expected {:?}", case.rows));
    }
    if accounted != rows {
        problems.push(format!("{accounted} rows accounted for of {rows}: {input}"));
    }
    let findings = json["findings"].as_array().unwrap();
    for want in &case.findings {
        let found = findings.iter().any(|f| {
            f["code"] == want.code.as_str()
                && f["subject"] == case.file.as_str()
                && f["count"] == want.count
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(&want.message_contains))
        });
        if !found {
            problems.push(format!(
                "report.json has no finding {want:?} about {}: {}",
                case.file,
                serde_json::Value::Array(findings.clone())
            ));
        }
    }
    problems
}

fn formula_like(cell: &str) -> bool {
    cell.starts_with(FORMULA_TRIGGERS)
}

/// The list separators a spreadsheet may split a CSV file on: the comma it is written with, the
/// `;` of locales whose decimal mark is a comma, and the tab of a tab-separated import.
pub const SPREADSHEET_SEPARATORS: [u8; 3] = [b',', b';', b'\t'];

/// Every cell of every CSV output, parsed with the csv crate as a spreadsheet of each list
/// separator would split it.
fn check_csv(out: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut files = 0;
    for entry in fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        files += 1;
        problems.extend(formula_cells(&path));
    }
    if files < 2 {
        problems.push(format!("only {files} CSV file(s) written"));
    }
    problems
}

/// The cells of one CSV file that start with a formula trigger when it is split on `,`, `;` or
/// tab, each named by separator, record and field.
pub fn formula_cells(path: &Path) -> Vec<String> {
    let bytes = fs::read(path).unwrap();
    let mut problems = Vec::new();
    for sep in SPREADSHEET_SEPARATORS {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(sep)
            .has_headers(false)
            .flexible(true)
            .from_reader(&bytes[..]);
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.unwrap();
            for (j, cell) in rec.iter().enumerate() {
                if formula_like(cell) {
                    problems.push(format!(
                        "{} split on {:?}: record {}, field {}: formula cell {cell:.60?}",
                        path.display(),
                        sep as char,
                        i + 1,
                        j + 1
                    ));
                }
            }
        }
    }
    problems
}

/// Every string cell of every sheet of the workbook, and no formula anywhere.
fn check_xlsx(out: &Path) -> Vec<String> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(out.join("report.xlsx")).unwrap();
    let mut problems = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for (r, c, cell) in range.used_cells() {
            if let calamine::Data::String(s) = cell
                && formula_like(s)
            {
                problems.push(format!("report.xlsx {name}!R{}C{}: {s:?}", r + 1, c + 1));
            }
        }
        let formulas = wb.worksheet_formula(&name).unwrap();
        if formulas.used_cells().any(|(_, _, f)| !f.is_empty()) {
            problems.push(format!("report.xlsx {name}: has a formula"));
        }
    }
    problems
}

/// The elements and attributes of an HTML page: (tag name, attribute names), with the bodies of
/// `<script>` elements. Enough of the HTML tokenizer to see what a browser would run.
fn html_tags(html: &str) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let b = html.as_bytes();
    let mut tags = Vec::new();
    let mut scripts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' || !b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        while i < b.len() && b[i] != b'>' {
            match b[i] {
                c if c.is_ascii_whitespace() || c == b'/' => i += 1,
                b'=' => {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    if let Some(&q) = b.get(i).filter(|&&q| q == b'"' || q == b'\'') {
                        i += 1;
                        while i < b.len() && b[i] != q {
                            i += 1;
                        }
                        i += 1;
                    } else {
                        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                            i += 1;
                        }
                    }
                }
                _ => {
                    let a = i;
                    while i < b.len()
                        && !b[i].is_ascii_whitespace()
                        && !matches!(b[i], b'=' | b'>' | b'/')
                    {
                        i += 1;
                    }
                    attrs.push(html[a..i].to_ascii_lowercase());
                }
            }
        }
        i += 1;
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            let end = html[i.min(html.len())..]
                .find(&close)
                .map_or(html.len(), |e| i + e);
            if name == "script" {
                scripts.push(html[i.min(end)..end].to_owned());
            }
            i = end;
        }
        tags.push((name, attrs));
    }
    (tags, scripts)
}

/// No element, event handler, script or `javascript:` link from the input.
fn check_html(out: &Path) -> Vec<String> {
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let mut problems = Vec::new();
    let (tags, scripts) = html_tags(&html);
    for (name, attrs) in &tags {
        if matches!(name.as_str(), "img" | "iframe" | "object" | "embed") {
            problems.push(format!("report.html: <{name}> element from the input"));
        }
        for a in attrs {
            if a.starts_with("on") {
                problems.push(format!("report.html: <{name} {a}=...> event handler"));
            }
        }
    }
    for s in &scripts {
        if s.contains("alert(") {
            problems.push(format!("report.html: a script from the input: {s:.80}"));
        }
    }
    let lower = html.to_ascii_lowercase();
    for bad in ["<script>alert", "href=\"javascript:", "href='javascript:"] {
        if lower.contains(bad) {
            problems.push(format!("report.html contains `{bad}`"));
        }
    }
    problems
}

/// Pipes not escaped with a backslash: the cell separators of a Markdown table row.
fn table_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n
}

/// Every table keeps the shape of its header row; no raw HTML or `javascript:` link from the
/// input; the escapes the case lists are there.
fn check_markdown(case: &Case, out: &Path) -> Vec<String> {
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    let mut problems = Vec::new();
    let mut header: Option<(usize, usize)> = None;
    for (i, line) in md.lines().enumerate() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let pipes = table_pipes(line);
        match header {
            None => header = Some((i + 1, pipes)),
            Some((at, want)) if pipes != want => problems.push(format!(
                "report.md:{}: {pipes} cell separators, the table header on line {at} has {want}: {line:.120}",
                i + 1
            )),
            Some(_) => {}
        }
    }
    // A value shown as text has its `<` and `]` escaped with a backslash.
    for bad in ["<script", "<img", "<svg", "<a ", "](javascript:"] {
        let raw = md
            .match_indices(bad)
            .any(|(at, _)| !md[..at].ends_with('\\'));
        if raw {
            problems.push(format!("report.md contains unescaped `{bad}`"));
        }
    }
    for want in &case.md_contains {
        if !md.contains(want.as_str()) {
            problems.push(format!("report.md lacks `{want}`"));
        }
    }
    problems
}

#[test]
fn hostile_corpus_has_the_expected_outcome_and_never_panics() {
    let cases = cases();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    for case in &cases {
        assert!(
            case.exit == 0 || case.exit == 1,
            "{}: exit 0 or 1",
            case.file
        );
        assert_eq!(
            case.rows.is_some(),
            case.exit == 0,
            "{}: `rows` goes with exit 0",
            case.file
        );
        assert!(
            case.findings.is_empty() || case.exit == 0,
            "{}: `findings` go with exit 0",
            case.file
        );
        if case.generate.is_none() {
            assert!(
                repo("tests/hostile").join(&case.file).is_file(),
                "{} is missing",
                case.file
            );
        }
    }
    let results: Vec<(String, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| s.spawn(move || (case.file.clone(), run_case(case))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failures: Vec<String> = results
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(file, p)| format!("{file}:\n  {}", p.join("\n  ")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_corpus_file_has_a_case() {
    let cases = cases();
    for entry in fs::read_dir(repo("tests/hostile")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == "expected.toml" {
            continue;
        }
        assert!(
            cases.iter().any(|c| c.file == name),
            "tests/hostile/{name} has no case in expected.toml"
        );
    }
}

#[test]
fn html_scanner_sees_handlers_and_script_bodies() {
    let (tags, scripts) = html_tags(
        "<p title=\"&quot;&gt;&lt;img onerror=x&gt;\">t</p><img src=x onerror=alert(1)><script>alert(1)</script>",
    );
    assert_eq!(tags[0], ("p".to_owned(), vec!["title".to_owned()]));
    assert_eq!(
        tags[1],
        (
            "img".to_owned(),
            vec!["src".to_owned(), "onerror".to_owned()]
        )
    );
    assert_eq!(scripts, ["alert(1)"]);
    assert_eq!(table_pipes("| a \\| b | c |"), 3);
}
