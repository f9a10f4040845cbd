//! The HTML report in a real browser: headless Chromium (Debian's `chromium`, `/usr/bin/chromium`)
//! loads the bundled example from disk and the test checks that the page logs no console error and
//! no Content-Security-Policy violation, makes no network request, that the matrix filter shows
//! the rows `report.json` says it should, and that a screenshot and a PDF come out.
//!
//! Every check is also run against deliberately broken copies of the page, so each one is shown
//! to be able to fail. A second page, of teams named with separators and markup, shows that the
//! team filter takes each name whole. Without Chromium the browser test is skipped with a message, unless `CI` is
//! set: then it fails. `.ci/run` installs Chromium.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{assert_exit, srmatrix, tool_available};

const CHROMIUM: &str = "/usr/bin/chromium";

/// How Chromium must be started on these machines (see the machine notes): headless, no sandbox
/// (root), no GPU, and none of its own background connections.
const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// A Chromium run that takes longer is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(90);

/// Chromium runs at a time. Each is CPU-bound; more than this only makes every run slower.
const WORKERS: usize = 3;

/// Filter states checked against `report.json`, as URL fragments.
const FRAGMENTS: [&str; 4] = [
    "team=payments",
    "category=container",
    "owner=Customer",
    "team=payments&owner=AWS",
];

/// The remote image the broken copies load.
const REMOTE_IMAGE: &str = "http://127.0.0.1:9/x.png";

/// Renders the bundled example into `out` in the given formats.
fn render_example(out: &Path, formats: &str) {
    let o = srmatrix(&[
        "report",
        "--inventory",
        "inputs/inventory.csv",
        "--out",
        out.to_str().unwrap(),
        "--format",
        formats,
        "--org",
        "Northwind Analytics",
        "--period",
        "2026-Q3",
        "--generated-at",
        "2026-10-01T00:00:00Z",
    ]);
    assert_exit(&o, 0);
}

// ---------------------------------------------------------------------------------------------
// The page source, without a browser.

#[test]
fn html_source_references_nothing_remote() {
    let dir = tempfile::tempdir().unwrap();
    render_example(dir.path(), "html");
    let html = fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"),
        "the page has no Content-Security-Policy meta tag with default-src 'none'"
    );
    let found = remote_references(&html);
    assert!(found.is_empty(), "remote references: {found:#?}");

    // The check can fail.
    let broken = html.replacen(
        "<body>",
        "<body><img src=\"https://example.com/x.png\"><link rel=\"stylesheet\" href=\"http://example.com/x.css\">",
        1,
    );
    assert_eq!(
        remote_references(&broken).len(),
        2,
        "broken copy not caught"
    );
}

/// Attributes that make a browser fetch (`src` and friends; `href` except on links), and CSS
/// `url(...)`/`@import` pointing at a remote address. An `<a href>` to documentation is fine: it is
/// only followed when clicked. `xmlns` is a name, not a fetch.
fn remote_references(html: &str) -> Vec<String> {
    const FETCHING: [&str; 9] = [
        "src",
        "srcset",
        "poster",
        "data",
        "action",
        "formaction",
        "background",
        "ping",
        "manifest",
    ];
    let remote = |v: &str| {
        let v = v.trim().to_ascii_lowercase();
        ["http:", "https:", "ws:", "wss:", "//"]
            .iter()
            .any(|p| v.starts_with(p))
            || v.contains("http://")
            || v.contains("https://")
    };
    let mut found = Vec::new();
    for tag in tags(html) {
        for (name, value) in &tag.attrs {
            let Some(value) = value else { continue };
            let fetches = FETCHING.contains(&name.as_str())
                || (name == "href" && tag.name != "a")
                || name == "xlink:href";
            if fetches && remote(value) {
                found.push(format!("<{} {name}=\"{value}\">", tag.name));
            }
        }
    }
    let lower = html.to_ascii_lowercase();
    for needle in ["url(http", "url('http", "url(\"http", "url(//", "@import"] {
        if lower.contains(needle) {
            found.push(format!("CSS {needle}"));
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// In Chromium.

#[test]
fn report_in_headless_chromium() {
    if !tool_available(CHROMIUM, "chromium") {
        return;
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    render_example(&out, "html,json");
    let report = out.join("report.html");
    let html = fs::read_to_string(&report).unwrap();
    let json: Value = serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    let rows = expected_rows(&json);
    assert!(!rows.is_empty(), "report.json has no matrix rows");

    // Broken copies, small: the page's own head (with its Content-Security-Policy), header, filter
    // form and script, without the report sections.
    let small = skeleton(&html);
    let pages = tmp.path().join("pages");
    fs::create_dir_all(&pages).unwrap();
    let write = |name: &str, text: String| {
        let p = pages.join(name);
        fs::write(&p, text).unwrap();
        p
    };
    let inline_script = write(
        "inline-script.html",
        replace_once(
            &small,
            "<body>",
            "<body><script>undefinedFunction()</script>",
        ),
    );
    let script_error = write(
        "script-error.html",
        replace_once(
            &small,
            "<span id=\"matrix-count\" class=\"muted\"></span>",
            "",
        ),
    );
    let img = format!("<body><img src=\"{REMOTE_IMAGE}\" alt=\"\">");
    let remote_image = write("remote-image.html", replace_once(&small, "<body>", &img));
    let csp_start = small
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .expect("CSP meta tag");
    let csp_end = csp_start + small[csp_start..].find('>').unwrap() + 1;
    let no_csp = format!("{}{}", &small[..csp_start], &small[csp_end..]);
    let remote_image_no_csp = write(
        "remote-image-no-csp.html",
        replace_once(&no_csp, "<body>", &img),
    );

    let png = tmp.path().join("report.png");
    let pdf = tmp.path().join("report.pdf");
    let mut jobs = vec![Job {
        name: "report".into(),
        url: file_url(&report),
        extra: vec![
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".into(),
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
            // Untagged: a quarter of the bytes and less time; the same pages.
            "--disable-pdf-tagging".into(),
        ],
    }];
    for (i, fragment) in FRAGMENTS.iter().enumerate() {
        jobs.push(Job {
            name: format!("fragment-{i}"),
            url: format!("{}#{fragment}", file_url(&report)),
            extra: Vec::new(),
        });
    }
    for page in [
        &inline_script,
        &script_error,
        &remote_image,
        &remote_image_no_csp,
    ] {
        jobs.push(Job {
            name: page.file_stem().unwrap().to_str().unwrap().into(),
            url: file_url(page),
            extra: Vec::new(),
        });
    }
    let runs = run_all(tmp.path(), jobs);
    let run = |name: &str| -> &Run {
        match runs.iter().find(|r| r.name == name) {
            Some(r) => r,
            None => panic!("no run {name}"),
        }
    };

    let mut failures: Vec<String> = runs.iter().filter_map(|r| r.error.clone()).collect();
    let mut fail = |msg: String| failures.push(msg);

    // 1 and 2, on the real page with and without a fragment: no console message or CSP
    // violation, no request to the network.
    for r in runs.iter().filter(|r| r.error.is_none()) {
        if r.name != "report" && !r.name.starts_with("fragment-") {
            continue;
        }
        let problems = console_problems(&r.stderr);
        if !problems.is_empty() {
            fail(format!(
                "{}: console errors or CSP violations: {problems:#?}",
                r.name
            ));
        }
        match page_requests(&r.net_log) {
            Ok(urls) if urls.is_empty() => {}
            Ok(urls) => fail(format!("{}: network requests: {urls:#?}", r.name)),
            Err(e) => fail(format!("{}: net log: {e}", r.name)),
        }
    }

    // 1 can fail: an inline script without a hash is refused by the CSP, and a script error is
    // logged.
    let r = run("inline-script");
    let problems = console_problems(&r.stderr);
    if !problems
        .iter()
        .any(|l| l.contains("Content Security Policy") && l.contains("inline script"))
    {
        fail(format!(
            "inline-script: the refused inline script went unnoticed; found {problems:#?}\n{}",
            tail(&r.stderr)
        ));
    }
    let r = run("script-error");
    let problems = console_problems(&r.stderr);
    if !problems.iter().any(|l| l.contains("Uncaught TypeError")) {
        fail(format!(
            "script-error: the script error went unnoticed; found {problems:#?}\n{}",
            tail(&r.stderr)
        ));
    }

    // 2 can fail: a remote image is refused by the CSP (Chromium 156 logs the refusal and
    // makes no request) and, without the CSP, is requested, which the net log shows.
    let r = run("remote-image");
    let problems = console_problems(&r.stderr);
    if !problems
        .iter()
        .any(|l| l.contains("Content Security Policy") && l.contains(REMOTE_IMAGE))
    {
        fail(format!(
            "remote-image: no CSP refusal of {REMOTE_IMAGE}; found {problems:#?}\n{}",
            tail(&r.stderr)
        ));
    }
    let r = run("remote-image-no-csp");
    match page_requests(&r.net_log) {
        Ok(urls) if urls.iter().any(|u| u == REMOTE_IMAGE) => {}
        Ok(urls) => fail(format!(
            "remote-image-no-csp: request for {REMOTE_IMAGE} not in the net log; found {urls:#?}"
        )),
        Err(e) => fail(format!("remote-image-no-csp: net log: {e}")),
    }

    // 3. Without a fragment: the form is shown and so is every row, none dimmed.
    let r = run("report");
    if r.error.is_none() {
        let dom = Dom::parse(&r.stdout);
        if dom.form_hidden != Some(false) {
            fail(format!(
                "report: the filter form is still hidden or missing ({:?})",
                dom.form_hidden
            ));
        }
        if let Err(e) = dom.check(&rows, "", "", "") {
            fail(format!("report (no fragment): {e}"));
        }
    }
    // 3. Each fragment: the rows report.json says, and the count on <body>.
    for (i, fragment) in FRAGMENTS.iter().enumerate() {
        let r = run(&format!("fragment-{i}"));
        if r.error.is_some() {
            continue;
        }
        let (mut team, mut category, mut owner) = ("", "", "");
        for pair in fragment.split('&') {
            match pair.split_once('=') {
                Some(("team", v)) => team = v,
                Some(("category", v)) => category = v,
                Some(("owner", v)) => owner = v,
                _ => panic!("bad fragment {fragment}"),
            }
        }
        if let Err(e) = Dom::parse(&r.stdout).check(&rows, team, category, owner) {
            fail(format!("#{fragment}: {e}"));
        }
    }

    // 4. Screenshot and PDF.
    if run("report").error.is_none() {
        let bytes = fs::read(&png).unwrap_or_default();
        if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.len() <= 20_000 {
            fail(format!(
                "screenshot: not a PNG over 20 KB ({} bytes)",
                bytes.len()
            ));
        } else {
            let be = |o: usize| u32::from_be_bytes(bytes[o..o + 4].try_into().unwrap());
            if (be(16), be(20)) != (1280, 2000) {
                fail(format!("screenshot: {}x{}, not 1280x2000", be(16), be(20)));
            }
        }
        let bytes = fs::read(&pdf).unwrap_or_default();
        let pages = pdf_pages(&bytes);
        // The default (summary) report of the bundled example prints to at most 40 pages: a
        // reviewer reads it in one sitting (the full detail is in the CSV files and workbook).
        if !bytes.starts_with(b"%PDF-") || bytes.len() <= 50_000 || !(5..=40).contains(&pages) {
            fail(format!(
                "PDF: want %PDF-, over 50 KB and 5 to 40 pages; got {} bytes, {pages} pages",
                bytes.len()
            ));
        }
        eprintln!(
            "screenshot {} bytes; PDF {} bytes, {pages} pages",
            fs::metadata(&png).map_or(0, |m| m.len()),
            bytes.len()
        );
    }
    eprintln!(
        "browser test: {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Team names that are separators or markup: the filter must take each as a whole name.
const TEAMS: [&str; 5] = ["a", "b", "a|b", "a,b", "q\"&<x>' =%"];

/// Percent-encodes every byte but ASCII letters and digits, as a URL fragment value.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The matrix filter of a report whose team names hold the characters a list encoding could
/// split on (`|`, `,`) and markup (`"`, `&`, `<`, `'`, `=`, `%`): filtering on team `a` shows the
/// services of team `a` only, not those of team `a|b`, and each name selects exactly its own
/// services, as `report.json` says; no console error or CSP violation.
#[test]
fn team_filter_takes_each_team_name_as_data() {
    if !tool_available(CHROMIUM, "chromium") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut csv = String::from("service,account_id,region,resource_id,owner_team\n");
    for (team, service) in TEAMS.iter().zip(["ec2", "lambda", "s3", "rds", "sqs"]) {
        let team = format!("\"{}\"", team.replace('"', "\"\""));
        csv.push_str(&format!(
            "{service},111111111111,eu-west-1,r-{service},{team}\n"
        ));
    }
    let inventory = tmp.path().join("teams.csv");
    fs::write(&inventory, csv).unwrap();
    let out = tmp.path().join("out");
    let o = srmatrix(&[
        "report",
        "--inventory",
        inventory.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "html,json",
        "--generated-at",
        "2026-10-01T00:00:00Z",
    ]);
    assert_exit(&o, 0);
    let json: Value = serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    let rows = expected_rows(&json);
    let report = out.join("report.html");
    let jobs = TEAMS
        .iter()
        .enumerate()
        .map(|(i, team)| Job {
            name: format!("team-{i}"),
            url: format!("{}#team={}", file_url(&report), percent_encode(team)),
            extra: Vec::new(),
        })
        .collect();
    let runs = run_all(tmp.path(), jobs);
    let mut failures = Vec::new();
    for (i, team) in TEAMS.iter().enumerate() {
        let r = runs.iter().find(|r| r.name == format!("team-{i}")).unwrap();
        if let Some(e) = &r.error {
            failures.push(e.clone());
            continue;
        }
        let problems = console_problems(&r.stderr);
        if !problems.is_empty() {
            failures.push(format!("team {team:?}: console: {problems:#?}"));
        }
        if let Err(e) = Dom::parse(&r.stdout).check(&rows, team, "", "") {
            failures.push(format!("team {team:?}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The last lines of Chromium's stderr, without its D-Bus complaints (no bus runs here).
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.contains("dbus")).collect();
    let from = lines.len().saturating_sub(15);
    format!("--- chromium stderr (end)\n{}", lines[from..].join("\n"))
}

/// Replaces the first `from` with `to`; `from` must be there.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the page");
    text.replacen(from, to, 1)
}

/// The page with `<main>` holding only the filter form.
fn skeleton(html: &str) -> String {
    let main = html.find("<main>").expect("<main>") + "<main>".len();
    let main_end = html.find("</main>").expect("</main>");
    let form = html
        .find("<form id=\"matrix-filter\"")
        .expect("filter form");
    let form_end = form + html[form..].find("</form>").expect("</form>") + "</form>".len();
    format!(
        "{}{}{}",
        &html[..main],
        &html[form..form_end],
        &html[main_end..]
    )
}

/// A `file://` URL, percent-encoding all but unreserved characters and `/`.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.to_str().unwrap().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            write!(url, "%{b:02X}").unwrap();
        }
    }
    url
}

/// Stderr lines (from `--enable-logging=stderr`) that are a console message, a script error or a
/// CSP refusal. Chromium 156 logs every console message, whatever its level, as
/// `[...:INFO:CONSOLE:<line>] "<message>", source: <url> (<line>)`; the page logs nothing on
/// purpose, so any console line is a problem.
fn console_problems(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Refused to")
                || l.contains("Content Security Policy")
                || l.contains("Uncaught")
        })
        .map(str::to_owned)
        .collect()
}

/// The http(s)/ws(s) URLs the page asked for, from a `--log-net-log` file: the `url` of every
/// `URL_REQUEST_START_JOB` event that a document initiated. Chromium's own requests (its network
/// time, update and account checks, which it makes even with background networking off, and which
/// fail on this closed network) carry the initiator `not an origin`; a request of the page carries
/// the page's origin (`null` for a file) and a `file://` network isolation key.
fn page_requests(net_log: &str) -> Result<Vec<String>, String> {
    let log: Value = serde_json::from_str(net_log).map_err(|e| format!("not JSON: {e}"))?;
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .ok_or("no URL_REQUEST_START_JOB in constants.logEventTypes")?;
    let events = log["events"].as_array().ok_or("no events")?;
    let mut urls = Vec::new();
    for e in events {
        if e["type"].as_u64() != Some(start_job) {
            continue;
        }
        let p = &e["params"];
        let Some(url) = p["url"].as_str() else {
            continue;
        };
        let network = ["http:", "https:", "ws:", "wss:"]
            .iter()
            .any(|s| url.starts_with(s));
        let browser_own = p["initiator"].as_str() == Some("not an origin")
            && !p["network_isolation_key"]
                .as_str()
                .unwrap_or("")
                .contains("file:");
        if network && !browser_own {
            urls.push(url.to_owned());
        }
    }
    Ok(urls)
}

/// Pages of a PDF: `/Type /Page` dictionaries, not `/Type /Pages`.
fn pdf_pages(pdf: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while let Some(at) = find(&pdf[i..], b"/Type") {
        let mut j = i + at + b"/Type".len();
        while pdf.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if pdf[j..].starts_with(b"/Page")
            && !pdf
                .get(j + b"/Page".len())
                .is_some_and(u8::is_ascii_alphanumeric)
        {
            n += 1;
        }
        i = j;
    }
    n
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Running Chromium.

struct Job {
    name: String,
    url: String,
    extra: Vec<String>,
}

struct Run {
    name: String,
    stdout: String,
    stderr: String,
    net_log: String,
    /// Why the run failed: a timeout, a non-zero exit.
    error: Option<String>,
}

/// Runs the jobs, `WORKERS` at a time, in the order given.
fn run_all(dir: &Path, jobs: Vec<Job>) -> Vec<Run> {
    let queue = Mutex::new(jobs.into_iter().rev().collect::<Vec<_>>());
    let runs = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                loop {
                    let job = queue.lock().unwrap().pop();
                    let Some(job) = job else { break };
                    let run = chromium(dir, &job);
                    runs.lock().unwrap().push(run);
                }
            });
        }
    });
    runs.into_inner().unwrap()
}

/// One Chromium run with a fresh profile, console logging to stderr and a net log, printing the
/// DOM after load to stdout (which also makes it exit), killed after `TIMEOUT`.
fn chromium(dir: &Path, job: &Job) -> Run {
    let base: PathBuf = dir.join("chromium").join(&job.name);
    let profile = base.join("profile");
    fs::create_dir_all(&profile).unwrap();
    let net_log = base.join("net-log.json");
    let stdout_path = base.join("stdout");
    let stderr_path = base.join("stderr");
    let started = Instant::now();
    let mut child = Command::new(CHROMIUM)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--enable-logging=stderr", "--v=0"])
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg("--net-log-capture-mode=Default")
        .arg("--dump-dom")
        .args(&job.extra)
        .arg(&job.url)
        .stdin(Stdio::null())
        // Files, not pipes: the DOM is megabytes and nothing reads a pipe while we wait.
        .stdout(fs::File::create(&stdout_path).unwrap())
        .stderr(fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("start chromium");
    let mut error = None;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            if !status.success() {
                error = Some(format!("{}: chromium exited with {status}", job.name));
            }
            break;
        }
        if started.elapsed() > TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            error = Some(format!(
                "{}: chromium killed after {} s",
                job.name,
                TIMEOUT.as_secs()
            ));
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "chromium {}: {:.1} s",
        job.name,
        started.elapsed().as_secs_f64()
    );
    let read = |p: &Path| String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned();
    let stderr = read(&stderr_path);
    if let Some(e) = &mut error {
        write!(e, "\n{}", tail(&stderr)).unwrap();
    }
    Run {
        name: job.name.clone(),
        stdout: read(&stdout_path),
        stderr,
        net_log: read(&net_log),
        error,
    }
}

// ---------------------------------------------------------------------------------------------
// The matrix, from report.json and from the DOM.

/// A matrix row of `report.json`.
struct Row {
    service: String,
    category: String,
    teams: Vec<String>,
    owners: Vec<String>,
}

fn expected_rows(json: &Value) -> Vec<Row> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    let mut rows = Vec::new();
    for group in json["matrix"].as_array().expect("matrix") {
        for r in group["rows"].as_array().expect("rows") {
            rows.push(Row {
                service: r["service"].as_str().unwrap().to_owned(),
                category: r["category"].as_str().unwrap().to_owned(),
                teams: strings(&r["teams"]),
                owners: r["cells"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["owner"].as_str().unwrap().to_owned())
                    .collect(),
            });
        }
    }
    rows
}

/// A matrix row as Chromium left it.
struct DomRow {
    service: Option<String>,
    hidden: bool,
    cells: usize,
    dim: usize,
}

/// What the test reads from a `--dump-dom`.
struct Dom {
    /// `data-matrix-shown` on `<body>`.
    shown: Option<String>,
    /// Whether `form#matrix-filter` has `hidden`; `None` when there is no such form.
    form_hidden: Option<bool>,
    rows: Vec<DomRow>,
}

impl Dom {
    fn parse(html: &str) -> Dom {
        let mut dom = Dom {
            shown: None,
            form_hidden: None,
            rows: Vec::new(),
        };
        let mut in_row = false;
        for tag in tags(html) {
            match tag.name.as_str() {
                "body" => dom.shown = tag.attr("data-matrix-shown").map(str::to_owned),
                "form" if tag.attr("id") == Some("matrix-filter") => {
                    dom.form_hidden = Some(tag.has("hidden"));
                }
                "tr" => {
                    in_row = tag.has("data-category");
                    if in_row {
                        dom.rows.push(DomRow {
                            service: None,
                            hidden: tag.has("hidden"),
                            cells: 0,
                            dim: 0,
                        });
                    }
                }
                "/tr" => in_row = false,
                "a" if in_row => {
                    let row = dom.rows.last_mut().unwrap();
                    if row.service.is_none() {
                        row.service = tag
                            .attr("href")
                            .and_then(|h| h.strip_prefix("#svc-"))
                            .map(str::to_owned);
                    }
                }
                "td" if in_row && tag.has("data-owner") => {
                    let row = dom.rows.last_mut().unwrap();
                    row.cells += 1;
                    if tag
                        .attr("class")
                        .is_some_and(|c| c.split_whitespace().any(|c| c == "dim"))
                    {
                        row.dim += 1;
                    }
                }
                _ => {}
            }
        }
        dom
    }

    /// Compares the DOM with the rows `report.json` says the filter shows: the team among the
    /// row's teams (or no team), the category (or none), and at least one cell with the owner (or
    /// no owner). Cells of another owner are dimmed.
    fn check(&self, rows: &[Row], team: &str, category: &str, owner: &str) -> Result<(), String> {
        let want: BTreeSet<&str> = rows
            .iter()
            .filter(|r| {
                (team.is_empty() || r.teams.iter().any(|t| t == team))
                    && (category.is_empty() || r.category == category)
                    && (owner.is_empty() || r.owners.iter().any(|o| o == owner))
            })
            .map(|r| r.service.as_str())
            .collect();
        if want.is_empty() {
            return Err(
                "report.json has no row for this filter: the check would prove nothing".into(),
            );
        }
        let want_dim: usize = rows
            .iter()
            .map(|r| {
                r.owners
                    .iter()
                    .filter(|o| !owner.is_empty() && *o != owner)
                    .count()
            })
            .sum();
        if !owner.is_empty() && want_dim == 0 {
            return Err(format!(
                "no cell of another owner than {owner}: the dimming check would prove nothing"
            ));
        }
        if self.rows.len() != rows.len() {
            return Err(format!(
                "{} matrix rows in the page, {} in report.json",
                self.rows.len(),
                rows.len()
            ));
        }
        let cells: usize = rows.iter().map(|r| r.owners.len()).sum();
        if self.rows.iter().map(|r| r.cells).sum::<usize>() != cells {
            return Err("matrix cells in the page differ from report.json".into());
        }
        let shown: BTreeSet<&str> = self
            .rows
            .iter()
            .filter(|r| !r.hidden)
            .map(|r| r.service.as_deref().unwrap_or("?"))
            .collect();
        let mut errors = Vec::new();
        if self.shown.as_deref() != Some(want.len().to_string().as_str()) {
            errors.push(format!(
                "data-matrix-shown is {:?}, want {}",
                self.shown,
                want.len()
            ));
        }
        if shown != want {
            errors.push(format!(
                "shown rows differ: only in the page {:?}, only in report.json {:?}",
                shown.difference(&want).collect::<Vec<_>>(),
                want.difference(&shown).collect::<Vec<_>>()
            ));
        }
        let dim: usize = self.rows.iter().map(|r| r.dim).sum();
        if dim != want_dim {
            errors.push(format!("{dim} dimmed cells, want {want_dim}"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A small tag scanner: enough for the report's own markup and Chromium's serialisation of it.

struct Tag {
    /// Lower case; `/tr` for a closing tag.
    name: String,
    attrs: Vec<(String, Option<String>)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    fn has(&self, name: &str) -> bool {
        self.attrs.iter().any(|(n, _)| n == name)
    }
}

/// The tags of `html`, in order, skipping comments, `<!DOCTYPE>` and the text of `<script>` and
/// `<style>`.
fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = html[i..].find('<') {
        i += at + 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        if b.get(i).is_some_and(|c| *c == b'!' || *c == b'?') {
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
            i += 1;
        }
        if i == start {
            continue;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let a = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !b"=>/".contains(&b[i]) {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            if i == a {
                i += 1;
                continue;
            }
            let mut value = None;
            if b.get(i) == Some(&b'=') {
                i += 1;
                match b.get(i) {
                    Some(&q) if q == b'"' || q == b'\'' => {
                        let end = html[i + 1..]
                            .find(char::from(q))
                            .map_or(b.len(), |e| i + 1 + e);
                        value = Some(html[i + 1..end].to_owned());
                        i = end + 1;
                    }
                    _ => {
                        let v = i;
                        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                            i += 1;
                        }
                        value = Some(html[v..i].to_owned());
                    }
                }
            }
            attrs.push((attr, value));
        }
        if !closing && (name == "script" || name == "style") {
            let end = format!("</{name}");
            i = html[i.min(b.len())..]
                .to_ascii_lowercase()
                .find(&end)
                .map_or(b.len(), |e| i + e);
        }
        let full = if closing { format!("/{name}") } else { name };
        out.push(Tag { name: full, attrs });
        if i >= b.len() {
            break;
        }
    }
    out
}
