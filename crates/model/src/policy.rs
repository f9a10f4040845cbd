//! The organisation policy (`srmatrix.toml`): defaults, tag keys, who carries which controls,
//! what is inherited from a third party or out of scope, accepted risks, and the scope of the
//! assessment. It is validated against the catalog; every problem names its line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalog::{Catalog, SourceFile};
use crate::error::{CatalogError, Problem};

/// A starter policy, written by `srmatrix init`.
pub const STARTER: &str = include_str!("starter-policy.toml");

/// Which controls a policy entry is about: one control or a whole domain.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Selector {
    /// A control id.
    Control(String),
    /// A domain id.
    Domain(String),
}

/// The customer side of controls carried by a named team instead of the resources' owner teams.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Assignment {
    /// The controls.
    pub selector: Selector,
    /// The team.
    pub team: String,
}

/// Controls whose customer side a third party performs (managed service provider, SaaS).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Inheritance {
    /// The controls.
    pub selector: Selector,
    /// Only these services (all when empty).
    pub services: Vec<String>,
    /// The third party.
    pub from: String,
}

/// Controls the organisation declares out of scope.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct OutOfScope {
    /// The controls.
    pub selector: Selector,
    /// Only these services (all when empty).
    pub services: Vec<String>,
    /// Why.
    pub justification: String,
}

/// An accepted risk: a control of a service (optionally in one account) not met, until a date.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Exception {
    /// Control id.
    pub control: String,
    /// Service id.
    pub service: String,
    /// Account, when the exception covers one account only.
    pub account: Option<String>,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who accepted it.
    pub approver: String,
    /// Last day it holds, `YYYY-MM-DD`.
    pub expires: String,
}

/// Accounts, regions and environments to include or exclude.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Only these accounts (all when empty).
    #[serde(default)]
    pub include_accounts: Vec<String>,
    /// Never these accounts.
    #[serde(default)]
    pub exclude_accounts: Vec<String>,
    /// Only these regions.
    #[serde(default)]
    pub include_regions: Vec<String>,
    /// Never these regions.
    #[serde(default)]
    pub exclude_regions: Vec<String>,
    /// Only these environments.
    #[serde(default)]
    pub include_environments: Vec<String>,
    /// Never these environments.
    #[serde(default)]
    pub exclude_environments: Vec<String>,
}

impl Scope {
    /// Whether a row of this account, region and environment is in scope.
    pub fn admits(&self, account: &str, region: &str, environment: &str) -> bool {
        let inside = |include: &[String], exclude: &[String], v: &str| {
            (include.is_empty() || include.iter().any(|x| x.eq_ignore_ascii_case(v)))
                && !exclude.iter().any(|x| x.eq_ignore_ascii_case(v))
        };
        inside(&self.include_accounts, &self.exclude_accounts, account)
            && inside(&self.include_regions, &self.exclude_regions, region)
            && inside(
                &self.include_environments,
                &self.exclude_environments,
                environment,
            )
    }

    /// Whether any filter is set.
    pub fn is_filtering(&self) -> bool {
        [
            &self.include_accounts,
            &self.exclude_accounts,
            &self.include_regions,
            &self.exclude_regions,
            &self.include_environments,
            &self.exclude_environments,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }
}

/// Tag keys for owner team, environment and classification.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTags {
    /// Keys naming the owner team.
    #[serde(default)]
    pub team: Vec<String>,
    /// Keys naming the environment.
    #[serde(default)]
    pub environment: Vec<String>,
    /// Keys naming the data classification.
    #[serde(default)]
    pub classification: Vec<String>,
}

/// A validated organisation policy.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, Serialize)]
pub struct Policy {
    /// Organisation name (the report's default).
    pub organisation: Option<String>,
    /// Default period.
    pub period: Option<String>,
    /// Tag keys (empty lists keep the defaults).
    pub tags: PolicyTags,
    /// Classifications that count as sensitive (`None` keeps the defaults).
    pub sensitive_classifications: Option<Vec<String>>,
    /// Controls assigned to named teams.
    pub assignments: Vec<Assignment>,
    /// Controls inherited from third parties.
    pub inherited: Vec<Inheritance>,
    /// Controls out of scope.
    pub out_of_scope: Vec<OutOfScope>,
    /// Accepted risks.
    pub exceptions: Vec<Exception>,
    /// Scope filters.
    pub scope: Scope,
}

/// A value of the policy file with its byte range, for problems that point at the value itself.
type At<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    organisation: Option<String>,
    period: Option<String>,
    #[serde(default)]
    tags: PolicyTags,
    sensitive_classifications: Option<Vec<String>>,
    #[serde(default)]
    assign: Vec<At<RawAssign>>,
    #[serde(default)]
    inherit: Vec<At<RawInherit>>,
    #[serde(default)]
    out_of_scope: Vec<At<RawOutOfScope>>,
    #[serde(default)]
    exception: Vec<At<RawException>>,
    #[serde(default)]
    scope: RawScope,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssign {
    control: Option<At<String>>,
    domain: Option<At<String>>,
    team: At<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInherit {
    control: Option<At<String>>,
    domain: Option<At<String>>,
    #[serde(default)]
    services: Vec<At<String>>,
    from: At<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutOfScope {
    control: Option<At<String>>,
    domain: Option<At<String>>,
    #[serde(default)]
    services: Vec<At<String>>,
    justification: At<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    control: At<String>,
    service: At<String>,
    account: Option<String>,
    justification: At<String>,
    approver: At<String>,
    /// A quoted `"YYYY-MM-DD"` or a TOML date `YYYY-MM-DD`.
    expires: At<toml::Value>,
}

/// [`Scope`] as written, every entry with its place.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    include_accounts: Vec<At<String>>,
    #[serde(default)]
    exclude_accounts: Vec<At<String>>,
    #[serde(default)]
    include_regions: Vec<At<String>>,
    #[serde(default)]
    exclude_regions: Vec<At<String>>,
    #[serde(default)]
    include_environments: Vec<At<String>>,
    #[serde(default)]
    exclude_environments: Vec<At<String>>,
}

/// The 1-based line and column (in characters) of a byte offset of `text`.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.bytes().filter(|&b| b == b'\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() as u64 + 1;
    (line, column)
}

/// Whether `s` is a calendar date `YYYY-MM-DD`.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    matches!((num(0..4), num(5..7), num(8..10)), (Some(_), Some(m), Some(d)) if (1..=12).contains(&m) && (1..=31).contains(&d))
}

/// The scope as a [`Scope`], with a problem for every account, region or environment that is
/// both included and excluded (a contradiction: the exclusion would win without a word), at the
/// exclusion and naming the inclusion.
fn scope(
    raw: &RawScope,
    problems: &mut Vec<Problem>,
    problem: &dyn Fn(usize, String) -> Problem,
    place: &dyn Fn(usize) -> String,
) -> Scope {
    for (what, include, exclude) in [
        ("account", &raw.include_accounts, &raw.exclude_accounts),
        ("region", &raw.include_regions, &raw.exclude_regions),
        (
            "environment",
            &raw.include_environments,
            &raw.exclude_environments,
        ),
    ] {
        for x in exclude {
            let same = |i: &&At<String>| i.get_ref().eq_ignore_ascii_case(x.get_ref());
            if let Some(i) = include.iter().find(same) {
                problems.push(problem(
                    x.span().start,
                    format!(
                        "{what} `{}` is excluded here and included at {}: keep one of them",
                        x.get_ref(),
                        place(i.span().start)
                    ),
                ));
            }
        }
    }
    let values = |list: &[At<String>]| list.iter().map(|x| x.get_ref().clone()).collect();
    Scope {
        include_accounts: values(&raw.include_accounts),
        exclude_accounts: values(&raw.exclude_accounts),
        include_regions: values(&raw.include_regions),
        exclude_regions: values(&raw.exclude_regions),
        include_environments: values(&raw.include_environments),
        exclude_environments: values(&raw.exclude_environments),
    }
}

/// The date of an exception's `expires`: a quoted `"YYYY-MM-DD"` or an unquoted TOML date
/// `YYYY-MM-DD` (TOML's local date), both as `YYYY-MM-DD`; what is wrong otherwise.
fn expiry_date(v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) if is_date(s) => Ok(s.clone()),
        toml::Value::Datetime(d) => match (d.date, d.time, d.offset) {
            (Some(date), None, None) => Ok(format!(
                "{:04}-{:02}-{:02}",
                date.year, date.month, date.day
            )),
            _ => Err(format!(
                "`expires` = {d} is a date and time; give the date only, YYYY-MM-DD"
            )),
        },
        toml::Value::String(s) => Err(format!("`expires` = `{s}` is not a date YYYY-MM-DD")),
        other => Err(format!("`expires` = {other} is not a date YYYY-MM-DD")),
    }
}

impl Policy {
    /// Parses and validates a policy against the catalog. Every problem names the line and column
    /// of the value it is about (the `[[table]]` header when a key is missing); a contradiction
    /// (an account, region or environment both included and excluded, a control or domain
    /// assigned twice) names both places.
    pub fn load(file: &SourceFile, catalog: &Catalog) -> Result<Policy, CatalogError> {
        let problem = |offset: usize, message: String| {
            let (line, column) = line_col(&file.text, offset);
            Problem {
                file: file.origin.clone(),
                line,
                column,
                message,
            }
        };
        let place = |offset: usize| {
            let (line, column) = line_col(&file.text, offset);
            format!("line {line}, column {column}")
        };
        let raw: RawPolicy = toml::from_str(&file.text).map_err(|e| CatalogError::Invalid {
            problems: vec![problem(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            )],
        })?;
        let mut problems = Vec::new();
        let selector = |at: usize,
                        control: Option<At<String>>,
                        domain: Option<At<String>>,
                        problems: &mut Vec<Problem>| {
            match (control, domain) {
                (Some(c), None) => {
                    let start = c.span().start;
                    let c = c.into_inner();
                    if catalog.control_index(&c).is_none() {
                        problems.push(problem(start, format!("unknown control `{c}`")));
                    }
                    Some((Selector::Control(c), start))
                }
                (None, Some(d)) => {
                    let start = d.span().start;
                    let d = d.into_inner();
                    if !catalog.domains.iter().any(|x| x.id == d) {
                        problems.push(problem(start, format!("unknown domain `{d}`")));
                    }
                    Some((Selector::Domain(d), start))
                }
                (Some(_), Some(d)) => {
                    problems.push(problem(
                        d.span().start,
                        "give exactly one of `control` or `domain`, not both".into(),
                    ));
                    None
                }
                (None, None) => {
                    problems.push(problem(
                        at,
                        "give exactly one of `control` or `domain`".into(),
                    ));
                    None
                }
            }
        };
        let check_services = |services: &[At<String>], problems: &mut Vec<Problem>| {
            for s in services {
                if catalog.service_index(s.get_ref()).is_none() {
                    problems.push(problem(
                        s.span().start,
                        format!(
                            "unknown service `{}` (use the catalog's service ids)",
                            s.get_ref()
                        ),
                    ));
                }
            }
        };
        let text = |v: At<String>, name: &str, problems: &mut Vec<Problem>| {
            let trimmed = v.get_ref().trim().to_owned();
            if trimmed.is_empty() {
                problems.push(problem(v.span().start, format!("`{name}` is empty")));
            }
            trimmed
        };
        let scope = scope(&raw.scope, &mut problems, &problem, &place);
        let mut policy = Policy {
            organisation: raw.organisation,
            period: raw.period,
            tags: raw.tags,
            sensitive_classifications: raw.sensitive_classifications,
            scope,
            ..Policy::default()
        };
        // Where each control or domain was first assigned, to name both places of a second.
        let mut assigned: BTreeMap<(bool, String), usize> = BTreeMap::new();
        for a in raw.assign {
            let at = a.span().start;
            let a = a.into_inner();
            let team = text(a.team, "team", &mut problems);
            if let Some((selector, start)) = selector(at, a.control, a.domain, &mut problems) {
                let key = match &selector {
                    Selector::Control(c) => (true, c.clone()),
                    Selector::Domain(d) => (false, d.clone()),
                };
                if let Some(&first) = assigned.get(&key) {
                    let what = if key.0 { "control" } else { "domain" };
                    problems.push(problem(
                        start,
                        format!(
                            "{what} `{}` is assigned again here (to `{team}`) and already at {}: assign it once",
                            key.1,
                            place(first)
                        ),
                    ));
                } else {
                    assigned.insert(key, start);
                }
                policy.assignments.push(Assignment { selector, team });
            }
        }
        for i in raw.inherit {
            let at = i.span().start;
            let i = i.into_inner();
            check_services(&i.services, &mut problems);
            let from = i.from;
            if from.get_ref().trim().is_empty() {
                problems.push(problem(
                    from.span().start,
                    "`from` is empty: name the third party".into(),
                ));
            }
            if let Some((selector, _)) = selector(at, i.control, i.domain, &mut problems) {
                policy.inherited.push(Inheritance {
                    selector,
                    services: i.services.into_iter().map(Spanned::into_inner).collect(),
                    from: from.into_inner().trim().to_owned(),
                });
            }
        }
        for o in raw.out_of_scope {
            let at = o.span().start;
            let o = o.into_inner();
            check_services(&o.services, &mut problems);
            let justification = text(o.justification, "justification", &mut problems);
            if let Some((selector, _)) = selector(at, o.control, o.domain, &mut problems) {
                policy.out_of_scope.push(OutOfScope {
                    selector,
                    services: o.services.into_iter().map(Spanned::into_inner).collect(),
                    justification,
                });
            }
        }
        for e in raw.exception {
            let e = e.into_inner();
            if catalog.control_index(e.control.get_ref()).is_none() {
                problems.push(problem(
                    e.control.span().start,
                    format!("unknown control `{}`", e.control.get_ref()),
                ));
            }
            check_services(std::slice::from_ref(&e.service), &mut problems);
            let expires = match expiry_date(e.expires.get_ref()) {
                Ok(d) => d,
                Err(message) => {
                    problems.push(problem(e.expires.span().start, message));
                    String::new()
                }
            };
            let justification = text(e.justification, "justification", &mut problems);
            let approver = text(e.approver, "approver", &mut problems);
            policy.exceptions.push(Exception {
                control: e.control.into_inner(),
                service: e.service.into_inner(),
                account: e.account.filter(|a| !a.trim().is_empty()),
                justification,
                approver,
                expires,
            });
        }
        if problems.is_empty() {
            Ok(policy)
        } else {
            problems.sort_by_key(|p| (p.line, p.column));
            Err(CatalogError::Invalid { problems })
        }
    }

    fn matches(selector: &Selector, control: &str, domain: &str) -> bool {
        match selector {
            Selector::Control(c) => c == control,
            Selector::Domain(d) => d == domain,
        }
    }

    /// What the policy says of one service × control: the first matching entry of each kind
    /// (a control entry wins over a domain entry).
    pub fn decide(
        &self,
        service: &str,
        control: &str,
        domain: &str,
        as_of: &str,
    ) -> PolicyDecision {
        let pick = |entries: Vec<(&Selector, usize)>| -> Option<usize> {
            entries
                .iter()
                .filter(|(s, _)| Self::matches(s, control, domain))
                .min_by_key(|(s, _)| matches!(s, Selector::Domain(_)))
                .map(|(_, i)| *i)
        };
        let for_service =
            |services: &[String]| services.is_empty() || services.iter().any(|s| s == service);
        let assigned = pick(
            self.assignments
                .iter()
                .enumerate()
                .map(|(i, a)| (&a.selector, i))
                .collect(),
        )
        .map(|i| self.assignments[i].team.clone());
        let inherited = pick(
            self.inherited
                .iter()
                .enumerate()
                .filter(|(_, x)| for_service(&x.services))
                .map(|(i, x)| (&x.selector, i))
                .collect(),
        )
        .map(|i| self.inherited[i].from.clone());
        let out_of_scope = pick(
            self.out_of_scope
                .iter()
                .enumerate()
                .filter(|(_, x)| for_service(&x.services))
                .map(|(i, x)| (&x.selector, i))
                .collect(),
        )
        .map(|i| self.out_of_scope[i].justification.clone());
        let exceptions = self
            .exceptions
            .iter()
            .filter(|e| e.service == service && e.control == control)
            .map(|e| ExceptionStatus {
                account: e.account.clone(),
                justification: e.justification.clone(),
                approver: e.approver.clone(),
                expires: e.expires.clone(),
                expired: !as_of.is_empty() && e.expires.as_str() < as_of,
            })
            .collect();
        PolicyDecision {
            assigned_team: assigned,
            inherited_from: inherited,
            out_of_scope,
            exceptions,
        }
    }

    /// Tag keys as given, by field.
    pub fn tag_keys(&self) -> BTreeMap<&'static str, &[String]> {
        BTreeMap::from([
            ("team", self.tags.team.as_slice()),
            ("environment", self.tags.environment.as_slice()),
            ("classification", self.tags.classification.as_slice()),
        ])
    }
}

/// An exception as it stands on the report's date.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionStatus {
    /// Account, when limited to one.
    pub account: Option<String>,
    /// Why.
    pub justification: String,
    /// Who accepted it.
    pub approver: String,
    /// Last day.
    pub expires: String,
    /// Whether it has expired on the report's date.
    pub expired: bool,
}

/// What the policy says of one service × control.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PolicyDecision {
    /// The team that carries the customer side instead of the resources' owner teams.
    pub assigned_team: Option<String>,
    /// The third party that performs the customer side.
    pub inherited_from: Option<String>,
    /// Why the control is out of scope.
    pub out_of_scope: Option<String>,
    /// Accepted risks on this service × control.
    pub exceptions: Vec<ExceptionStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Policy, CatalogError> {
        let catalog = Catalog::builtin().unwrap();
        Policy::load(
            &SourceFile {
                origin: "srmatrix.toml".into(),
                text: text.into(),
            },
            &catalog,
        )
    }

    #[test]
    fn the_starter_policy_is_valid() {
        let p = load(STARTER).unwrap();
        assert!(
            !p.assignments.is_empty() && !p.exceptions.is_empty(),
            "the starter shows every kind of entry"
        );
    }

    /// The problems of `text`, one `file:line:column: message` a line.
    fn problems(text: &str) -> Vec<String> {
        load(text)
            .unwrap_err()
            .problems()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn errors_point_at_the_offending_value() {
        let text = "organisation = \"X\"\n\
                    \n\
                    [[assign]]\n\
                    control = \"SRM-NOPE-01\"\n\
                    team = \"Sec\"\n\
                    \n\
                    [[inherit]]\n\
                    control = \"SRM-LOG-03\"\n\
                    services = [\"s3\", \"nope\"]\n\
                    from = \" \"\n\
                    \n\
                    [[exception]]\n\
                    control = \"SRM-ENC-01\"\n\
                    service = \"nope\"\n\
                    justification = \"j\"\n\
                    approver = \"\"\n\
                    expires = \"2026-13-01\"\n\
                    \n\
                    [[out_of_scope]]\n\
                    domain = \"nope\"\n\
                    justification = \"\"\n\
                    \n\
                    [[assign]]\n\
                    team = \"x\"\n";
        assert_eq!(
            problems(text),
            [
                "srmatrix.toml:4:11: unknown control `SRM-NOPE-01`",
                "srmatrix.toml:9:19: unknown service `nope` (use the catalog's service ids)",
                "srmatrix.toml:10:8: `from` is empty: name the third party",
                "srmatrix.toml:14:11: unknown service `nope` (use the catalog's service ids)",
                "srmatrix.toml:16:12: `approver` is empty",
                "srmatrix.toml:17:11: `expires` = `2026-13-01` is not a date YYYY-MM-DD",
                "srmatrix.toml:20:10: unknown domain `nope`",
                "srmatrix.toml:21:17: `justification` is empty",
                "srmatrix.toml:23:1: give exactly one of `control` or `domain`",
            ]
        );
        assert_eq!(
            problems("[[assign]]\ncontrol = \"SRM-IAM-01\"\ndomain = \"iam\"\nteam = \"x\"\n"),
            ["srmatrix.toml:3:10: give exactly one of `control` or `domain`, not both"]
        );
        // Syntax and type errors deep in a table: the value itself.
        assert_eq!(
            problems("organisation = \"X\"\n[scope]\nexclude_regions = []\ninclude_accounts = [\"1\", 2]\n")
                .iter()
                .map(|p| p.split(": ").next().unwrap_or_default().to_owned())
                .collect::<Vec<_>>(),
            ["srmatrix.toml:4:26"]
        );
        assert!(
            problems("[tags]\n\nteam = \"Team\"\n")[0].starts_with("srmatrix.toml:3:8: "),
            "{:?}",
            problems("[tags]\n\nteam = \"Team\"\n")
        );
        assert!(problems("colour = \"blue\"\n")[0].starts_with("srmatrix.toml:1:1: "));
        assert!(
            problems(
                "[[exception]]\ncontrol = \"SRM-ENC-01\"\nservice = \"s3\"\n\njustification = 5\n"
            )[0]
            .starts_with("srmatrix.toml:5:17: "),
            "{:?}",
            problems(
                "[[exception]]\ncontrol = \"SRM-ENC-01\"\nservice = \"s3\"\n\njustification = 5\n"
            )
        );
    }

    /// An exception whose `expires` is the given TOML value text.
    fn exception_expiring(expires: &str) -> String {
        format!(
            "[[exception]]\ncontrol = \"SRM-ENC-01\"\nservice = \"s3\"\njustification = \"j\"\napprover = \"a\"\nexpires = {expires}\n"
        )
    }

    #[test]
    fn an_unquoted_toml_date_expires_like_the_quoted_string() {
        let quoted = load(&exception_expiring("\"2026-12-31\"")).unwrap();
        let unquoted = load(&exception_expiring("2026-12-31")).unwrap();
        assert_eq!(unquoted.exceptions[0].expires, "2026-12-31");
        assert_eq!(
            format!("{:?}", unquoted.exceptions),
            format!("{:?}", quoted.exceptions)
        );
        let d = unquoted.decide("s3", "SRM-ENC-01", "encryption", "2027-01-01");
        assert!(d.exceptions[0].expired);
        assert_eq!(
            problems(&exception_expiring("2026-12-31T10:00:00Z")),
            [
                "srmatrix.toml:6:11: `expires` = 2026-12-31T10:00:00Z is a date and time; give the date only, YYYY-MM-DD"
            ]
        );
        assert_eq!(
            problems(&exception_expiring("20261231")),
            ["srmatrix.toml:6:11: `expires` = 20261231 is not a date YYYY-MM-DD"]
        );
    }

    #[test]
    fn a_scope_value_both_included_and_excluded_is_an_error_naming_both_lines() {
        let text = "[scope]\n\
                    include_accounts = [\"111111111111\", \"222222222222\"]\n\
                    exclude_regions = [\"us-east-1\"]\n\
                    exclude_accounts = [\"333333333333\",\n  \"222222222222\"]\n\
                    include_environments = [\"Prod\"]\n\
                    exclude_environments = [\"prod\"]\n";
        assert_eq!(
            problems(text),
            [
                "srmatrix.toml:5:3: account `222222222222` is excluded here and included at line 2, column 37: keep one of them",
                "srmatrix.toml:7:25: environment `prod` is excluded here and included at line 6, column 25: keep one of them",
            ]
        );
        assert!(load("[scope]\ninclude_accounts = [\"1\"]\nexclude_accounts = [\"2\"]\n").is_ok());
    }

    #[test]
    fn a_control_assigned_twice_is_an_error_naming_both_lines() {
        let text = "[[assign]]\ncontrol = \"SRM-IAM-02\"\nteam = \"Identity\"\n\n\
                    [[assign]]\ndomain = \"iam\"\nteam = \"Platform Security\"\n\n\
                    [[assign]]\ncontrol = \"SRM-IAM-02\"\nteam = \"Platform Security\"\n\n\
                    [[assign]]\ncontrol = \"SRM-IAM-02\"\nteam = \"Identity\"\n\n\
                    [[assign]]\ndomain = \"iam\"\nteam = \"Identity\"\n";
        assert_eq!(
            problems(text),
            [
                "srmatrix.toml:10:11: control `SRM-IAM-02` is assigned again here (to `Platform Security`) and already at line 2, column 11: assign it once",
                "srmatrix.toml:14:11: control `SRM-IAM-02` is assigned again here (to `Identity`) and already at line 2, column 11: assign it once",
                "srmatrix.toml:18:10: domain `iam` is assigned again here (to `Identity`) and already at line 6, column 10: assign it once",
            ]
        );
        // A control and its domain: the control entry wins, by design (the starter does this).
        assert!(
            load("[[assign]]\ndomain = \"iam\"\nteam = \"A\"\n\n[[assign]]\ncontrol = \"SRM-IAM-02\"\nteam = \"B\"\n")
                .is_ok()
        );
    }

    #[test]
    fn decisions_prefer_a_control_over_its_domain_and_expire_exceptions() {
        let p = load(
            "[[assign]]\ndomain = \"iam\"\nteam = \"Platform Security\"\n\n[[assign]]\ncontrol = \"SRM-IAM-02\"\nteam = \"Identity\"\n\n\
             [[inherit]]\ncontrol = \"SRM-LOG-03\"\nservices = [\"s3\"]\nfrom = \"Contoso MSSP\"\n\n\
             [[exception]]\ncontrol = \"SRM-ENC-01\"\nservice = \"s3\"\njustification = \"legacy bucket\"\napprover = \"CISO\"\nexpires = \"2026-09-30\"\n",
        )
        .unwrap();
        assert_eq!(
            p.decide("s3", "SRM-IAM-01", "iam", "")
                .assigned_team
                .as_deref(),
            Some("Platform Security")
        );
        assert_eq!(
            p.decide("s3", "SRM-IAM-02", "iam", "")
                .assigned_team
                .as_deref(),
            Some("Identity")
        );
        assert_eq!(
            p.decide("s3", "SRM-LOG-03", "logging", "")
                .inherited_from
                .as_deref(),
            Some("Contoso MSSP")
        );
        assert_eq!(
            p.decide("ec2", "SRM-LOG-03", "logging", "").inherited_from,
            None,
            "only the listed services"
        );
        let before = p.decide("s3", "SRM-ENC-01", "encryption", "2026-09-30");
        assert!(!before.exceptions[0].expired, "valid through its last day");
        let after = p.decide("s3", "SRM-ENC-01", "encryption", "2026-10-01");
        assert!(after.exceptions[0].expired);
    }

    #[test]
    fn scope_filters() {
        let s = Scope {
            include_accounts: vec!["111".into()],
            exclude_environments: vec!["dev".into()],
            ..Scope::default()
        };
        assert!(s.admits("111", "eu-west-1", "prod"));
        assert!(!s.admits("222", "eu-west-1", "prod"));
        assert!(!s.admits("111", "eu-west-1", "DEV"));
        assert!(s.is_filtering());
        assert!(!Scope::default().is_filtering());
    }
}
