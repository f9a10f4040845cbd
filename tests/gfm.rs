//! `report.md` in GitHub's own Markdown renderer: `cmark-gfm` (Debian's `cmark-gfm`,
//! `/usr/bin/cmark-gfm`) with GitHub's extensions (autolink, table, strikethrough, tagfilter) and
//! raw HTML let through, rendering a report whose every value from an input, the policy or a
//! baseline report is hostile: backticks that would close a code span around raw HTML, bare URLs,
//! `www.` addresses and e-mail addresses that GFM would turn into links, table breakers.
//!
//! The page must have no link to the hostile host, no element from a value, and show every value
//! as its own text. Without cmark-gfm the test is skipped with a message, unless `CI` is set: then
//! it fails. `.ci/run` installs cmark-gfm.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::util::{assert_exit, srmatrix_in, tool_available};

const CMARK_GFM: &str = "/usr/bin/cmark-gfm";

/// Values that would be markup, raw HTML or a link if a template printed them unescaped or in a
/// code span.
const PAYLOADS: [&str; 10] = [
    "a`<img src=x onerror=alert(1)>`b",
    "x`<b>bold</b>`y",
    "see http://evil.example/a",
    "https://evil.example/b",
    "www.evil.example",
    "ops@evil.example",
    "mailto:sec@evil.example",
    "ftp://evil.example/c",
    "a|b **c** [d](https://evil.example/e) &lt;i&gt;",
    "x:y@evil.example.",
];

/// Renders the hostile report (inventory, policy, flags and baseline all carrying [`PAYLOADS`])
/// and returns its `report.md`.
fn hostile_report(dir: &Path) -> String {
    let q = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut inv = String::from(
        "service,account_id,region,resource_id,owner_team,environment,data_classification\n",
    );
    for (i, p) in PAYLOADS.iter().enumerate() {
        let p = q(p);
        inv.push_str(&format!(
            "{p},111111111111,eu-west-1,u-{i},ops,prod,internal\n"
        ));
        inv.push_str(&format!("s3,{p},{p},b-{i},{p},{p},{p}\n"));
        inv.push_str(&format!("lambda,111111111111,eu-west-1,{p},,,\n"));
    }
    fs::write(dir.join("inv.csv"), &inv).unwrap();
    let t = |v: &str| toml::Value::String(v.to_owned()).to_string();
    let policy = format!(
        "[[assign]]\ncontrol = \"SRM-ENC-01\"\nteam = {}\n\n\
         [[inherit]]\ncontrol = \"SRM-PHY-01\"\nfrom = {}\n\n\
         [[out_of_scope]]\ncontrol = \"SRM-PHY-02\"\njustification = {}\n\n\
         [[exception]]\ncontrol = \"SRM-ENC-02\"\nservice = \"s3\"\naccount = {}\n\
         justification = {}\napprover = {}\nexpires = \"2099-12-31\"\n",
        t(PAYLOADS[0]),
        t(PAYLOADS[2]),
        t(PAYLOADS[4]),
        t(PAYLOADS[5]),
        t(PAYLOADS[6]),
        t(PAYLOADS[1]),
    );
    fs::write(dir.join("p.toml"), policy).unwrap();
    let o = srmatrix_in(
        dir,
        &["report", "-i", "inv.csv", "--out", "q2", "--format", "json"],
    );
    assert_exit(&o, 0);
    // The baseline: the same report with a payload in every field the comparison prints.
    let path = dir.join("q2/report.json");
    let mut base: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let p = |i: usize| serde_json::Value::from(PAYLOADS[i % PAYLOADS.len()]);
    base["meta"]["period"] = p(3);
    base["catalog"]["version"] = p(7);
    // A team of the baseline only (every payload is a team now).
    let gone = format!("gone {}", PAYLOADS[8]);
    base["teams"].as_array_mut().unwrap().push(gone.into());
    base["findings"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "code": p(0), "subject": p(1), "severity": p(2), "count": 1
        }));
    base["services"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"id": p(9), "responsibilities": []}));
    let s3 = base["services"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["id"] == "s3")
        .unwrap();
    s3["responsibilities"][0]["owner"] = p(5);
    base["policy"] = serde_json::json!({"exceptions": [{
        "control": p(4), "service": p(6), "account": p(8), "expires": p(0), "expired": false
    }]});
    fs::write(&path, serde_json::to_vec(&base).unwrap()).unwrap();
    let o = srmatrix_in(
        dir,
        &[
            "report",
            "-i",
            "inv.csv",
            "--out",
            "q3",
            "--format",
            "md",
            "--policy",
            "p.toml",
            "--baseline",
            "q2/report.json",
            "--org",
            PAYLOADS[3],
            "--period",
            PAYLOADS[9],
            "--prepared-by",
            PAYLOADS[4],
            "--reviewed-by",
            PAYLOADS[1],
        ],
    );
    assert_exit(&o, 0);
    fs::read_to_string(dir.join("q3/report.md")).unwrap()
}

/// `md` rendered by cmark-gfm as GitHub renders it, raw HTML kept (so that any that gets
/// through shows).
fn cmark_gfm(md: &str) -> String {
    let mut child = Command::new(CMARK_GFM)
        .args([
            "--unsafe",
            "-e",
            "autolink",
            "-e",
            "table",
            "-e",
            "strikethrough",
            "-e",
            "tagfilter",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(md.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}

/// The text of an HTML fragment: tags dropped, the five entities cmark-gfm writes decoded.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = rest[i..].split_once('>').map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn report_md_in_cmark_gfm_has_no_link_or_element_from_a_value() {
    if !tool_available(CMARK_GFM, "cmark-gfm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let md = hostile_report(dir.path());
    let html = cmark_gfm(&md);
    let mut problems = Vec::new();
    for (i, _) in html.match_indices("<a ") {
        let tag = &html[i..html[i..].find('>').map_or(html.len(), |e| i + e)];
        if tag.contains("evil") {
            problems.push(format!("a link from a value: {tag}"));
        }
    }
    for element in ["<img", "<b>", "<i>"] {
        if html.contains(element) {
            problems.push(format!("an element from a value: {element}"));
        }
    }
    let text = text_of(&html);
    for p in PAYLOADS {
        if !text.contains(p) {
            problems.push(format!("{p:?} is not shown as its own text"));
        }
    }
    // Every place the report prints a value, with the value shown as itself.
    for (section, value) in [
        ("| Organisation | ", PAYLOADS[3]),
        ("## Changes since ", PAYLOADS[3]),
        ("Teams removed:** ", &format!("gone {}", PAYLOADS[8])),
        ("Services retired** (1): ", PAYLOADS[9]),
        ("Catalog:** ", PAYLOADS[7]),
        ("| Prepared by | ", PAYLOADS[4]),
    ] {
        let line = md.lines().find(|l| l.contains(section));
        let shown = line.map(|l| text_of(&cmark_gfm(l)));
        if !shown.as_deref().is_some_and(|s| s.contains(value)) {
            problems.push(format!("{section:?}: {value:?} not shown in {shown:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n--- report.md\n{md}",
        problems.join("\n")
    );
}
