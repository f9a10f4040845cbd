//! The workbook in a real spreadsheet application: headless LibreOffice Calc (Debian's
//! `libreoffice-calc-nogui`, `/usr/bin/soffice`) opens `report.xlsx` of the bundled example, and
//! of an inventory whose team names are spreadsheet markup, and saves every sheet as CSV; every
//! cell must read in LibreOffice as calamine reads it (text exactly, numbers as numbers), and the
//! sheets must be the report's ten. Its CSV documents, opened with `;` and with tab as the list
//! separator, must have no formula cell.
//!
//! The workbook is printed too, as auditors do: LibreOffice's PDF of it keeps every column of a
//! sheet on one page width, repeats each sheet's header row on every page and prints the footer
//! (organisation and period, sheet, page number) on every page.
//!
//! Without LibreOffice (or poppler's `pdftotext`) the tests are skipped with a message, unless
//! `CI` is set: then they fail. `.ci/run` installs both.

use std::fs;
use std::io::Cursor;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};

use crate::util::{assert_exit, srmatrix, tool_available};

const SOFFICE: &str = "/usr/bin/soffice";

/// A conversion that takes longer is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(120);

/// LibreOffice's CSV export options: comma, double quote, UTF-8, first line 1, no cell formats,
/// default language, (two import-only options), values rather than as shown (percentages still
/// come as shown, see `compare`), no formulas, (one import-only option), every sheet to its own
/// file.
const CSV_FILTER: &str =
    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1";

/// Team names that are the markup of the workbook's shared strings, and Excel's escape syntax.
const HOSTILE_TEAMS: [&str; 3] = [
    "<r><t>a</t></r></si><si><r><t>b</t></r>",
    "x_x0041_y & <b>bold</b>",
    "\"quoted\", 'single'",
];

#[test]
fn workbook_in_headless_libreoffice() {
    if !tool_available(SOFFICE, "libreoffice-calc-nogui") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();

    let example = tmp.path().join("example");
    render(&example, "inputs/inventory.csv");

    let inventory = tmp.path().join("hostile.csv");
    let mut csv = String::from("service,account_id,region,resource_id,owner_team\n");
    for (i, team) in HOSTILE_TEAMS.iter().enumerate() {
        let quoted = format!("\"{}\"", team.replace('"', "\"\""));
        csv.push_str(&format!("ec2,111111111111,eu-west-1,i-{i},{quoted}\n"));
    }
    fs::write(&inventory, csv).unwrap();
    let hostile = tmp.path().join("hostile");
    render(&hostile, inventory.to_str().unwrap());

    for dir in [&example, &hostile] {
        let workbook = dir.join("report.xlsx");
        let sheets = convert(&workbook, &tmp.path().join("profile"));
        compare(&workbook, &sheets);
    }

    // The hostile names come back as the text they are, in the sheets that list teams.
    let teams = read_csv(&hostile.join("csv").join("report-Team actions.csv"));
    let listed: Vec<&str> = teams.iter().skip(1).map(|r| r[0].as_str()).collect();
    for team in HOSTILE_TEAMS {
        assert!(listed.contains(&team), "{team:?} not in {listed:?}");
    }
}

#[test]
fn the_printed_workbook_keeps_every_column_on_one_page_width() {
    if !tool_available(SOFFICE, "libreoffice-calc-nogui")
        || !tool_available("/usr/bin/pdftotext", "poppler-utils")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = srmatrix(&[
        "report",
        "--inventory",
        "inputs/inventory.csv",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "xlsx",
        "--org",
        "Northwind Analytics",
        "--period",
        "2026-Q3",
        "--generated-at",
        "2026-10-01T00:00:00Z",
        "--quiet",
    ]);
    assert_exit(&o, 0);
    let workbook = out.join("report.xlsx");
    soffice(
        &[
            "--convert-to",
            "pdf",
            "--outdir",
            out.to_str().unwrap(),
            workbook.to_str().unwrap(),
        ],
        &tmp.path().join("profile"),
    );
    let text = Command::new("/usr/bin/pdftotext")
        .args(["-layout"])
        .arg(out.join("report.pdf"))
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    // Before the print setup the bundled example's workbook printed to 2,184 pages, columns
    // split from their rows.
    assert!((20..=400).contains(&pages.len()), "{} pages", pages.len());
    // Each sheet's first and last column headers, by sheet name.
    let mut wb = Xlsx::new(Cursor::new(fs::read(&workbook).unwrap())).unwrap();
    let mut headers = std::collections::BTreeMap::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        let width = range.width();
        let cell = |c: usize| range.get((0, c)).map(|d| d.to_string()).unwrap_or_default();
        headers.insert(name, (cell(0), cell(width - 1)));
    }
    let total = pages.len();
    let words = |s: &str| s.split_whitespace().next().unwrap_or_default().to_owned();
    for (i, page) in pages.iter().enumerate() {
        let footer = page
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        assert!(
            footer.contains("Northwind Analytics, 2026-Q3")
                && footer.contains(&format!("Page {} of {total}", i + 1)),
            "page {}: footer {footer:?}",
            i + 1
        );
        let sheet = headers
            .keys()
            .find(|name| footer.contains(&format!("  {name}  ")))
            .unwrap_or_else(|| panic!("page {}: no sheet name in {footer:?}", i + 1));
        let (first, last) = &headers[sheet];
        let top = page
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        assert!(
            top.contains(&words(first)) && top.contains(&words(last)),
            "page {} of {sheet}: the header row {top:?} lacks {first:?} or {last:?}",
            i + 1
        );
    }
}

/// Renders the workbook of `inventory` into `out`.
fn render(out: &Path, inventory: &str) {
    let o = srmatrix(&[
        "report",
        "--inventory",
        inventory,
        "--out",
        out.to_str().unwrap(),
        "--format",
        "xlsx",
        "--generated-at",
        "2026-10-01T00:00:00Z",
        "--quiet",
    ]);
    assert_exit(&o, 0);
}

/// Converts every sheet of `workbook` to CSV (`<dir>/csv/report-<sheet>.csv`) with a fresh
/// LibreOffice profile; returns the sheet names and their files.
fn convert(workbook: &Path, profile: &Path) -> Vec<(String, std::path::PathBuf)> {
    let out = workbook.parent().unwrap().join("csv");
    soffice(
        &[
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            out.to_str().unwrap(),
            workbook.to_str().unwrap(),
        ],
        profile,
    );
    let mut sheets: Vec<(String, std::path::PathBuf)> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_stem()?.to_str()?.strip_prefix("report-")?.to_owned();
            Some((name, p))
        })
        .collect();
    sheets.sort();
    sheets
}

/// Runs headless LibreOffice with `args` and a fresh `profile`; fails the test if it fails or
/// takes longer than [`TIMEOUT`].
fn soffice(args: &[&str], profile: &Path) {
    let mut child = Command::new(SOFFICE)
        .args([
            "--headless",
            "--norestore",
            &format!("-env:UserInstallation=file://{}", profile.display()),
        ])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > TIMEOUT {
            child.kill().ok();
            panic!("LibreOffice took more than {TIMEOUT:?}: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "soffice failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The CSV documents of a report whose values hide formulas behind a `;`, a tab or a line break,
/// opened in LibreOffice Calc with `;` and with tab as the separator (the way a spreadsheet of a
/// `;` locale, or a tab-separated import, splits them) and saved as workbooks: no cell of any of
/// them is a formula. LibreOffice splits the unquoted `a,x;=1+1;y` into `a,x`, `=1+1` (a formula,
/// shown as 2) and `y`.
#[test]
fn csv_reports_in_libreoffice_with_semicolon_and_tab_separators() {
    if !tool_available(SOFFICE, "libreoffice-calc-nogui") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let inventory = tmp.path().join("hostile.csv");
    let mut csv = String::from("service,account_id,region,resource_id,owner_team\n");
    for (i, v) in ["x;=1+1;y", "x\t=2+2", "x\n=3+3", "x;\"@SUM(4)\";y"]
        .iter()
        .enumerate()
    {
        let v = format!("\"{}\"", v.replace('"', "\"\""));
        csv.push_str(&format!("{v},{v},{v},i-{i},{v}\ns3,{v},{v},b-{i},{v}\n"));
    }
    fs::write(&inventory, csv).unwrap();
    let out = tmp.path().join("out");
    let o = srmatrix(&[
        "report",
        "--inventory",
        inventory.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "csv",
        "--quiet",
    ]);
    assert_exit(&o, 0);
    let mut files: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_owned())
        .filter(|p| p.ends_with(".csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 9, "{files:?}");
    let mut formulas = Vec::new();
    for (name, separator) in [("semicolon", 59), ("tab", 9)] {
        let dir = tmp.path().join(name);
        let infilter = format!("--infilter=CSV:{separator},34,76,1");
        let mut args = vec![
            infilter.as_str(),
            "--convert-to",
            "xlsx",
            "--outdir",
            dir.to_str().unwrap(),
        ];
        args.extend(files.iter().map(String::as_str));
        soffice(&args, &tmp.path().join("profile"));
        for file in &files {
            let stem = Path::new(file).file_stem().unwrap().to_str().unwrap();
            let book = dir.join(format!("{stem}.xlsx"));
            let mut wb = Xlsx::new(Cursor::new(fs::read(&book).unwrap())).unwrap();
            for sheet in wb.sheet_names() {
                let f = wb.worksheet_formula(&sheet).unwrap();
                for (r, c, formula) in f.used_cells() {
                    if !formula.is_empty() {
                        formulas.push(format!(
                            "{name}: {stem}.csv R{}C{}: ={formula}",
                            r + 1,
                            c + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(formulas.is_empty(), "{}", formulas.join("\n"));
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap();
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Every cell of every sheet as LibreOffice saved it against calamine's reading.
fn compare(workbook: &Path, sheets: &[(String, std::path::PathBuf)]) {
    let mut wb = Xlsx::new(Cursor::new(fs::read(workbook).unwrap())).unwrap();
    let mut names: Vec<String> = wb.sheet_names();
    names.sort();
    let converted: Vec<String> = sheets.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(converted, names, "LibreOffice saw other sheets");
    assert_eq!(
        names.len(),
        srmatrix_render::xlsx::SHEETS.len() + srmatrix_render::xlsx::DOCUMENT_SHEETS.len()
    );
    let mut cells = 0;
    for (name, path) in sheets {
        let range = wb.worksheet_range(name).unwrap();
        let rows = read_csv(path);
        let height = range.end().map_or(0, |e| e.0 + 1) as usize;
        let width = range.end().map_or(0, |e| e.1 + 1) as usize;
        assert_eq!(rows.len(), height, "{name}: rows");
        for (r, row) in rows.iter().enumerate() {
            for c in 0..width.max(row.len()) {
                let seen = row.get(c).map_or("", String::as_str);
                let expected = range.get_value((r as u32, c as u32));
                let same = match expected {
                    None | Some(Data::Empty) => seen.is_empty(),
                    Some(Data::String(s)) => seen == s,
                    // LibreOffice saves a percentage as shown (`98.4%` for 0.984).
                    Some(Data::Float(f)) => match seen.strip_suffix('%') {
                        Some(p) => p.parse::<f64>().is_ok_and(|v| (v / 100.0 - f).abs() < 5e-4),
                        None => seen.parse::<f64>().is_ok_and(|v| (v - f).abs() < 1e-9),
                    },
                    Some(Data::Int(i)) => seen.parse::<i64>() == Ok(*i),
                    Some(other) => panic!("{name} {r}:{c}: unexpected {other:?}"),
                };
                assert!(
                    same,
                    "{name} row {r} column {c}: LibreOffice {seen:?}, calamine {expected:?}"
                );
                cells += 1;
            }
        }
    }
    assert!(cells > 1000, "only {cells} cells compared");
}
