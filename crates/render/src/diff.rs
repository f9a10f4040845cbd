//! Changes between two reports: services adopted and retired, ownership changes, teams added and
//! removed, findings opened and closed. Both sides are read as JSON (`report.json`), so a report
//! of an earlier srmatrix version can serve as the baseline as long as it has these fields.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

/// An owner that changed for one service × control.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct OwnershipChange {
    /// Service id.
    pub service: String,
    /// Control id.
    pub control: String,
    /// Owner before.
    pub from: String,
    /// Owner now.
    pub to: String,
}

/// A finding, by its identity.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingRef {
    /// Finding code.
    pub code: String,
    /// Subject.
    pub subject: String,
    /// Severity.
    pub severity: String,
    /// Count.
    pub count: u64,
}

/// What changed since a baseline report.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// The baseline's period (or its generated-at when it has none).
    pub since: String,
    /// The baseline's generated-at.
    pub since_generated_at: String,
    /// Services in use now that were not.
    pub services_adopted: Vec<String>,
    /// Services no longer in use.
    pub services_retired: Vec<String>,
    /// Owner changes of services in use on both sides (catalog or policy changes).
    pub ownership_changes: Vec<OwnershipChange>,
    /// Teams seen now that were not.
    pub teams_added: Vec<String>,
    /// Teams no longer seen.
    pub teams_removed: Vec<String>,
    /// Findings now that were not.
    pub findings_opened: Vec<FindingRef>,
    /// Findings no longer raised.
    pub findings_closed: Vec<FindingRef>,
    /// Catalog version before and now, when it changed.
    pub catalog_change: Option<(String, String)>,
    /// Policy exceptions (accepted risks) that appeared, went, or changed expiry or state.
    pub exception_changes: Vec<ExceptionChange>,
}

/// A change to one accepted risk (control × service × account) of the policy.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExceptionChange {
    /// `added`, `removed`, `renewed` (new expiry) or `expired` (now past its date).
    pub change: String,
    /// Control id.
    pub control: String,
    /// Service id.
    pub service: String,
    /// Account, or empty for all.
    pub account: String,
    /// Expiry before (empty when added).
    pub before: String,
    /// Expiry now (empty when removed).
    pub after: String,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.services_adopted.is_empty()
            && self.services_retired.is_empty()
            && self.ownership_changes.is_empty()
            && self.teams_added.is_empty()
            && self.teams_removed.is_empty()
            && self.findings_opened.is_empty()
            && self.findings_closed.is_empty()
            && self.catalog_change.is_none()
            && self.exception_changes.is_empty()
    }
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn owners(report: &Value) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for s in report["services"].as_array().into_iter().flatten() {
        for r in s["responsibilities"].as_array().into_iter().flatten() {
            out.insert(
                (str_of(&s["id"]), str_of(&r["control"])),
                str_of(&r["owner"]),
            );
        }
    }
    out
}

fn findings(report: &Value) -> BTreeMap<(String, String), FindingRef> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let r = FindingRef {
                code: str_of(&f["code"]),
                subject: str_of(&f["subject"]),
                severity: str_of(&f["severity"]),
                count: f["count"].as_u64().unwrap_or(0),
            };
            ((r.code.clone(), r.subject.clone()), r)
        })
        .collect()
}

fn exceptions(report: &Value) -> BTreeMap<(String, String, String), (String, bool)> {
    report["policy"]["exceptions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                (
                    str_of(&e["control"]),
                    str_of(&e["service"]),
                    str_of(&e["account"]),
                ),
                (
                    str_of(&e["expires"]),
                    e["expired"].as_bool().unwrap_or(false),
                ),
            )
        })
        .collect()
}

fn exception_changes(old: &Value, new: &Value) -> Vec<ExceptionChange> {
    let (before, after) = (exceptions(old), exceptions(new));
    let mut out = Vec::new();
    let change = |kind: &str, k: &(String, String, String), b: &str, a: &str| ExceptionChange {
        change: kind.to_owned(),
        control: k.0.clone(),
        service: k.1.clone(),
        account: k.2.clone(),
        before: b.to_owned(),
        after: a.to_owned(),
    };
    for (k, (expires, expired)) in &after {
        match before.get(k) {
            None => out.push(change("added", k, "", expires)),
            Some((old_expires, _)) if old_expires != expires => {
                out.push(change("renewed", k, old_expires, expires))
            }
            Some((old_expires, old_expired)) if *expired && !old_expired => {
                out.push(change("expired", k, old_expires, expires))
            }
            Some(_) => {}
        }
    }
    for (k, (expires, _)) in &before {
        if !after.contains_key(k) {
            out.push(change("removed", k, expires, ""));
        }
    }
    out.sort();
    out
}

/// Whether a JSON value looks like an srmatrix report context.
pub fn is_report(v: &Value) -> bool {
    v["meta"].is_object() && v["services"].is_array() && v["findings"].is_array()
}

/// Compares a baseline report with a newer one (both as `report.json` values).
pub fn diff(old: &Value, new: &Value) -> Changes {
    let old_services: BTreeSet<String> = old["services"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| str_of(&s["id"]))
        .collect();
    let new_services: BTreeSet<String> = new["services"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| str_of(&s["id"]))
        .collect();
    let (old_owners, new_owners) = (owners(old), owners(new));
    let ownership_changes = new_owners
        .iter()
        .filter_map(|(key, to)| {
            let from = old_owners.get(key)?;
            (from != to).then(|| OwnershipChange {
                service: key.0.clone(),
                control: key.1.clone(),
                from: from.clone(),
                to: to.clone(),
            })
        })
        .collect();
    let (old_teams, new_teams) = (strings(&old["teams"]), strings(&new["teams"]));
    let (old_f, new_f) = (findings(old), findings(new));
    let period = str_of(&old["meta"]["period"]);
    let generated = str_of(&old["meta"]["generated_at"]);
    let (old_cat, new_cat) = (
        str_of(&old["catalog"]["version"]),
        str_of(&new["catalog"]["version"]),
    );
    Changes {
        since: if period.is_empty() {
            generated.clone()
        } else {
            period
        },
        since_generated_at: generated,
        services_adopted: new_services.difference(&old_services).cloned().collect(),
        services_retired: old_services.difference(&new_services).cloned().collect(),
        ownership_changes,
        teams_added: new_teams.difference(&old_teams).cloned().collect(),
        teams_removed: old_teams.difference(&new_teams).cloned().collect(),
        findings_opened: new_f
            .iter()
            .filter(|(k, _)| !old_f.contains_key(*k))
            .map(|(_, f)| f.clone())
            .collect(),
        findings_closed: old_f
            .iter()
            .filter(|(k, _)| !new_f.contains_key(*k))
            .map(|(_, f)| f.clone())
            .collect(),
        catalog_change: (old_cat != new_cat).then_some((old_cat, new_cat)),
        exception_changes: exception_changes(old, new),
    }
}

/// The changes as Markdown (for `srmatrix diff`). Every value comes from the two reports' JSON,
/// so every value goes through [`escape_markdown`](crate::escape_markdown) and is text (no code
/// span, where an escape would not apply).
pub fn to_markdown(c: &Changes) -> String {
    use crate::text::escape_markdown as esc;
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "## Changes since {}\n", esc(&c.since));
    if c.is_empty() {
        out.push_str("No change.\n");
        return out;
    }
    let list = |out: &mut String, title: &str, items: &[String]| {
        if !items.is_empty() {
            let _ = writeln!(
                out,
                "- **{title}** ({}): {}",
                items.len(),
                items.iter().map(|i| esc(i)).collect::<Vec<_>>().join(", ")
            );
        }
    };
    list(&mut out, "Services adopted", &c.services_adopted);
    list(&mut out, "Services retired", &c.services_retired);
    list(&mut out, "Teams added", &c.teams_added);
    list(&mut out, "Teams removed", &c.teams_removed);
    if let Some((from, to)) = &c.catalog_change {
        let _ = writeln!(out, "- **Catalog** {} → {}", esc(from), esc(to));
    }
    if !c.exception_changes.is_empty() {
        let _ = writeln!(
            out,
            "\n| Exception | Control | Service | Account | Expiry before | Expiry now |\n|---|---|---|---|---|---|"
        );
        for e in &c.exception_changes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                esc(&e.change),
                esc(&e.control),
                esc(&e.service),
                esc(&e.account),
                esc(&e.before),
                esc(&e.after)
            );
        }
    }
    if !c.ownership_changes.is_empty() {
        let _ = writeln!(
            out,
            "\n| Service | Control | Owner before | Owner now |\n|---|---|---|---|"
        );
        for o in &c.ownership_changes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                esc(&o.service),
                esc(&o.control),
                esc(&o.from),
                esc(&o.to)
            );
        }
    }
    for (title, items) in [
        ("Findings opened", &c.findings_opened),
        ("Findings closed", &c.findings_closed),
    ] {
        if !items.is_empty() {
            let _ = writeln!(
                out,
                "\n{title}:\n\n| Severity | Code | Subject | Count |\n|---|---|---|---:|"
            );
            for f in items {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    esc(&f.severity),
                    esc(&f.code),
                    esc(&f.subject),
                    f.count
                );
            }
        }
    }
    out
}

/// The changes as rows: change, subject, detail, before, after.
pub fn rows(c: &Changes) -> Vec<[String; 5]> {
    let mut rows: Vec<[String; 5]> = Vec::new();
    for s in &c.services_adopted {
        rows.push([
            "service-adopted".into(),
            s.clone(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for s in &c.services_retired {
        rows.push([
            "service-retired".into(),
            s.clone(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for o in &c.ownership_changes {
        rows.push([
            "ownership-changed".into(),
            o.service.clone(),
            o.control.clone(),
            o.from.clone(),
            o.to.clone(),
        ]);
    }
    for t in &c.teams_added {
        rows.push([
            "team-added".into(),
            t.clone(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for t in &c.teams_removed {
        rows.push([
            "team-removed".into(),
            t.clone(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for f in &c.findings_opened {
        rows.push([
            "finding-opened".into(),
            f.subject.clone(),
            f.code.clone(),
            String::new(),
            f.count.to_string(),
        ]);
    }
    for f in &c.findings_closed {
        rows.push([
            "finding-closed".into(),
            f.subject.clone(),
            f.code.clone(),
            f.count.to_string(),
            String::new(),
        ]);
    }
    if let Some((from, to)) = &c.catalog_change {
        rows.push([
            "catalog-changed".into(),
            "catalog".into(),
            String::new(),
            from.clone(),
            to.clone(),
        ]);
    }
    for e in &c.exception_changes {
        let subject = if e.account.is_empty() {
            e.service.clone()
        } else {
            format!("{} ({})", e.service, e.account)
        };
        rows.push([
            format!("exception-{}", e.change),
            subject,
            e.control.clone(),
            e.before.clone(),
            e.after.clone(),
        ]);
    }
    rows
}

/// The changes as CSV (`changes.csv`): change, subject, detail, before, after.
pub fn to_csv(c: &Changes) -> Result<Vec<u8>, crate::RenderError> {
    let rows = rows(c);
    let err = |e: csv::Error| crate::RenderError::Csv {
        file: "changes.csv",
        message: e.to_string(),
    };
    let mut w = crate::csv_writer_builder().from_writer(Vec::new());
    w.write_record(["change", "subject", "detail", "before", "after"])
        .map_err(err)?;
    for r in &rows {
        w.write_record(
            r.iter()
                .map(|c| crate::neutralise_csv_field(c).into_owned()),
        )
        .map_err(err)?;
    }
    w.into_inner().map_err(|e| crate::RenderError::Csv {
        file: "changes.csv",
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(
        period: &str,
        services: &[(&str, &[(&str, &str)])],
        teams: &[&str],
        findings: &[(&str, &str)],
    ) -> Value {
        json!({
            "meta": {"period": period, "generated_at": "2026-07-01T00:00:00Z"},
            "catalog": {"version": "2026.11.0"},
            "teams": teams,
            "services": services.iter().map(|(id, resp)| json!({
                "id": id,
                "responsibilities": resp.iter().map(|(c, o)| json!({"control": c, "owner": o})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "findings": findings.iter().map(|(code, subject)| json!({"code": code, "subject": subject, "severity": "high", "count": 1})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn finds_every_kind_of_change() {
        let old = report(
            "2026-Q2",
            &[("s3", &[("SRM-ENC-01", "Customer")]), ("ec2", &[])],
            &["web", "ops"],
            &[("unmapped-service", "Contoso")],
        );
        let new = report(
            "2026-Q3",
            &[("s3", &[("SRM-ENC-01", "Shared")]), ("lambda", &[])],
            &["web", "data"],
            &[("unowned-resources", "s3")],
        );
        let c = diff(&old, &new);
        assert_eq!(c.since, "2026-Q2");
        assert_eq!(c.services_adopted, ["lambda"]);
        assert_eq!(c.services_retired, ["ec2"]);
        assert_eq!(
            c.ownership_changes,
            [OwnershipChange {
                service: "s3".into(),
                control: "SRM-ENC-01".into(),
                from: "Customer".into(),
                to: "Shared".into()
            }]
        );
        assert_eq!(
            (c.teams_added.clone(), c.teams_removed.clone()),
            (vec!["data".to_owned()], vec!["ops".to_owned()])
        );
        assert_eq!(c.findings_opened[0].code, "unowned-resources");
        assert_eq!(c.findings_closed[0].subject, "Contoso");
        let md = to_markdown(&c);
        assert!(
            md.contains("## Changes since 2026\\-Q2") || md.contains("## Changes since 2026-Q2"),
            "{md}"
        );
        assert!(
            md.contains("| s3 | SRM-ENC-01 | Customer | Shared |"),
            "{md}"
        );
        let csv = String::from_utf8(to_csv(&c).unwrap()).unwrap();
        assert!(
            csv.contains(r#""ownership-changed","s3","SRM-ENC-01","Customer","Shared""#),
            "{csv}"
        );
        assert!(diff(&new, &new).is_empty());
        let mut old_p = new.clone();
        old_p["policy"] = json!({"exceptions": [
            {"control": "SRM-ENC-01", "service": "s3", "account": null, "expires": "2026-09-30", "expired": false},
            {"control": "SRM-KEY-02", "service": "kms", "account": null, "expires": "2026-12-31", "expired": false}]});
        let mut new_p = new.clone();
        new_p["policy"] = json!({"exceptions": [
            {"control": "SRM-ENC-01", "service": "s3", "account": null, "expires": "2027-03-31", "expired": false},
            {"control": "SRM-IAM-01", "service": "iam", "account": "111", "expires": "2027-01-31", "expired": false}]});
        let kinds: Vec<String> = diff(&old_p, &new_p)
            .exception_changes
            .iter()
            .map(|e| format!("{} {}", e.change, e.control))
            .collect();
        assert_eq!(
            kinds,
            [
                "added SRM-IAM-01",
                "removed SRM-KEY-02",
                "renewed SRM-ENC-01"
            ]
        );
    }
}
