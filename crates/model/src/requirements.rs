//! Framework requirements: every requirement of a framework version, in the framework's order,
//! from the catalog's `requirements/FRAMEWORK.csv` files, and the baselines that select some of
//! them (NIST SP 800-53 LOW/MODERATE/HIGH, FedRAMP LOW/MODERATE/HIGH/LI-SaaS).
//!
//! A requirement file has the columns `id, title, family, family_title, parent, level, qualifier,
//! baselines, customer_only`. Validation: every id matches its framework's `id_pattern` and is
//! unique, a parent is an earlier row, every baseline named is one the framework defines, and
//! every requirement id a control cites exists (checked by the catalog once controls are read).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{Framework, SourceFile, csv_rows_at};
use crate::error::{CatalogError, Problem};

/// The requirement files shipped in the binary (the repository's `catalog/requirements/`), by
/// their path relative to a catalog directory.
pub const BUILTIN_FILES: [(&str, &str); 9] = [
    (
        "requirements/nist-800-53.csv",
        include_str!("../../../catalog/requirements/nist-800-53.csv"),
    ),
    (
        "requirements/iso-27001.csv",
        include_str!("../../../catalog/requirements/iso-27001.csv"),
    ),
    (
        "requirements/soc2.csv",
        include_str!("../../../catalog/requirements/soc2.csv"),
    ),
    (
        "requirements/pci-dss.csv",
        include_str!("../../../catalog/requirements/pci-dss.csv"),
    ),
    (
        "requirements/cis-aws.csv",
        include_str!("../../../catalog/requirements/cis-aws.csv"),
    ),
    (
        "requirements/cis-aws-v6.csv",
        include_str!("../../../catalog/requirements/cis-aws-v6.csv"),
    ),
    (
        "requirements/cis-aws-v7.csv",
        include_str!("../../../catalog/requirements/cis-aws-v7.csv"),
    ),
    (
        "requirements/csa-ccm.csv",
        include_str!("../../../catalog/requirements/csa-ccm.csv"),
    ),
    (
        "requirements/hipaa.csv",
        include_str!("../../../catalog/requirements/hipaa.csv"),
    ),
];

/// The documents a register can be shaped into, besides the register itself: a framework lists
/// those its auditors expect (`documents` in `catalog.toml`).
pub const DOCUMENT_SHAPES: [&str; 4] = ["fedramp-crm", "fedramp-cis", "ccm-ssrm", "soc2-csoc-cuec"];

/// One requirement of a framework version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// The framework's own id: `AC-2(1)`, `A.5.1`, `CC6.1`, `8.4.2`, `IAM-01`, `164.308(a)(1)`.
    pub id: String,
    /// Title: the framework's own for public-domain texts (NIST, FedRAMP, HIPAA), a short
    /// description in srmatrix's words for copyrighted ones (see `catalog/SOURCES.md`).
    pub title: String,
    /// Family or domain id: `AC`, `A.5`, `CC6`, `8`, `IAM`, `164.308`.
    pub family: String,
    /// Family or domain title.
    pub family_title: String,
    /// The requirement this one belongs to (an enhancement's control, a specification's
    /// standard), if any.
    pub parent: Option<String>,
    /// Kind within the framework: `control`, `enhancement`, `standard`, `section`, ...
    pub level: String,
    /// A qualifier the framework gives: `required`/`addressable` (HIPAA), `Level 1 automated`
    /// (CIS), the trust services category (SOC 2); empty when none.
    pub qualifier: String,
    /// The baselines that select this requirement (ids of the framework's `baseline`s).
    pub baselines: Vec<String>,
    /// Why the requirement is the customer's alone whatever cloud service is used (it concerns
    /// the customer organisation itself: personnel, training, policies, contracts); `None` when
    /// the cloud changes who does it.
    pub customer_only: Option<String>,
    /// Whether later rows name this one as their parent.
    pub has_children: bool,
}

/// A baseline: a named selection of a framework's requirements.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Stable id, selectable with `--framework`: `fedramp-moderate`.
    pub id: String,
    /// Title: "FedRAMP Rev. 5 Moderate baseline".
    pub title: String,
    /// How many requirements the baseline's publisher lists; checked against the file.
    #[serde(default)]
    pub expected: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: String,
    title: String,
    family: String,
    family_title: String,
    #[serde(default)]
    parent: String,
    level: String,
    #[serde(default)]
    qualifier: String,
    #[serde(default)]
    baselines: String,
    #[serde(default)]
    customer_only: String,
}

/// Reads and checks the requirements of `framework` from `file`; problems are collected.
pub(crate) fn parse(
    file: &SourceFile,
    framework: &Framework,
    pattern: Option<&regex::Regex>,
    problems: &mut Vec<Problem>,
) -> Result<Vec<Requirement>, CatalogError> {
    let mut out: Vec<Requirement> = Vec::new();
    let mut lines: HashMap<String, u64> = HashMap::new();
    for (line, raw) in csv_rows_at::<RawRequirement>(file, problems)? {
        let problem = |message: String| Problem {
            file: file.origin.clone(),
            line,
            column: 1,
            message,
        };
        let fw = &framework.id;
        if let Some(re) = pattern
            && !re.is_match(&raw.id)
        {
            problems.push(problem(format!(
                "`{}` is not a well-formed {fw} requirement id",
                raw.id
            )));
        }
        if raw.title.is_empty() || raw.family.is_empty() || raw.level.is_empty() {
            problems.push(problem(format!(
                "requirement `{}`: title, family and level must not be empty",
                raw.id
            )));
        }
        if let Some(first) = lines.insert(raw.id.clone(), line) {
            problems.push(problem(format!(
                "requirement `{}` is listed twice (first on line {first})",
                raw.id
            )));
            continue;
        }
        let parent = Some(raw.parent).filter(|p| !p.is_empty());
        if let Some(p) = &parent {
            match out.iter_mut().find(|r| &r.id == p) {
                Some(r) => r.has_children = true,
                None => problems.push(problem(format!(
                    "requirement `{}`: parent `{p}` is not an earlier row",
                    raw.id
                ))),
            }
        }
        let baselines: Vec<String> = raw
            .baselines
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        for b in &baselines {
            if !framework.baseline.iter().any(|x| &x.id == b) {
                problems.push(problem(format!(
                    "requirement `{}`: baseline `{b}` is not one {fw} defines",
                    raw.id
                )));
            }
        }
        out.push(Requirement {
            id: raw.id,
            title: raw.title,
            family: raw.family,
            family_title: raw.family_title,
            parent,
            level: raw.level,
            qualifier: raw.qualifier,
            baselines,
            customer_only: Some(raw.customer_only).filter(|r| !r.is_empty()),
            has_children: false,
        });
    }
    for b in &framework.baseline {
        let n = out.iter().filter(|r| r.baselines.contains(&b.id)).count();
        if let Some(want) = b.expected
            && n != want
        {
            problems.push(Problem {
                file: file.origin.clone(),
                line: 1,
                column: 1,
                message: format!("baseline `{}` selects {n} requirements, not {want}", b.id),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framework() -> Framework {
        Framework {
            id: "nist-800-53".into(),
            title: "NIST".into(),
            id_pattern: r"^[A-Z]{2}-[0-9]{1,2}(\([0-9]{1,2}\))?$".into(),
            requirements: Some("requirements/nist-800-53.csv".into()),
            documents: Vec::new(),
            baseline: vec![Baseline {
                id: "fedramp-low".into(),
                title: "FedRAMP Low".into(),
                expected: Some(2),
            }],
            register: Vec::new(),
        }
    }

    fn read(text: &str) -> (Vec<Requirement>, Vec<String>) {
        let file = SourceFile {
            origin: "requirements/nist-800-53.csv".into(),
            text: text.into(),
        };
        let fw = framework();
        let re = regex::Regex::new(&fw.id_pattern).unwrap();
        let mut problems = Vec::new();
        let rows = parse(&file, &fw, Some(&re), &mut problems).unwrap();
        (rows, problems.iter().map(ToString::to_string).collect())
    }

    const HEADER: &str =
        "id,title,family,family_title,parent,level,qualifier,baselines,customer_only\n";

    #[test]
    fn requirements_keep_their_order_parents_and_baselines() {
        let (rows, problems) = read(&format!(
            "{HEADER}AC-1,Policy and Procedures,AC,Access Control,,control,,fedramp-low,Organisational: the customer's own policy\n\
             AC-2,Account Management,AC,Access Control,,control,,fedramp-low,\n\
             AC-2(1),Automated System Account Management,AC,Access Control,AC-2,enhancement,,,\n"
        ));
        assert!(problems.is_empty(), "{problems:?}");
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["AC-1", "AC-2", "AC-2(1)"]);
        assert!(rows[1].has_children && !rows[0].has_children);
        assert_eq!(rows[2].parent.as_deref(), Some("AC-2"));
        assert_eq!(rows[0].baselines, ["fedramp-low"]);
        assert!(rows[0].customer_only.is_some() && rows[1].customer_only.is_none());
    }

    #[test]
    fn bad_rows_are_problems_naming_their_line() {
        let (_, problems) = read(&format!(
            "{HEADER}AC-1,Policy,AC,Access Control,,control,,fedramp-low,\n\
             ac-2,Account,AC,Access Control,,control,,,\n\
             AC-1,Again,AC,Access Control,,control,,,\n\
             AC-3(1),Orphan,AC,Access Control,AC-3,enhancement,,fedramp-nope,\n"
        ));
        let text = problems.join("\n");
        for want in [
            ":3:1: `ac-2` is not a well-formed nist-800-53 requirement id",
            ":4:1: requirement `AC-1` is listed twice (first on line 2)",
            ":5:1: requirement `AC-3(1)`: parent `AC-3` is not an earlier row",
            ":5:1: requirement `AC-3(1)`: baseline `fedramp-nope` is not one nist-800-53 defines",
            "baseline `fedramp-low` selects 1 requirements, not 2",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
    }
}
