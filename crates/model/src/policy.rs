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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Selector {
    /// A control id.
    Control(String),
    /// A domain id.
    Domain(String),
}

/// The customer side of controls carried by a named team instead of the resources' owner teams.
#[derive(Debug, Clone, Serialize)]
pub struct Assignment {
    /// The controls.
    pub selector: Selector,
    /// The team.
    pub team: String,
}

/// Controls whose customer side a third party performs (managed service provider, SaaS).
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    organisation: Option<String>,
    period: Option<String>,
    #[serde(default)]
    tags: PolicyTags,
    sensitive_classifications: Option<Vec<String>>,
    #[serde(default)]
    assign: Vec<Spanned<RawAssign>>,
    #[serde(default)]
    inherit: Vec<Spanned<RawInherit>>,
    #[serde(default)]
    out_of_scope: Vec<Spanned<RawOutOfScope>>,
    #[serde(default)]
    exception: Vec<Spanned<RawException>>,
    #[serde(default)]
    scope: Scope,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssign {
    control: Option<String>,
    domain: Option<String>,
    team: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInherit {
    control: Option<String>,
    domain: Option<String>,
    #[serde(default)]
    services: Vec<String>,
    from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutOfScope {
    control: Option<String>,
    domain: Option<String>,
    #[serde(default)]
    services: Vec<String>,
    justification: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    control: String,
    service: String,
    account: Option<String>,
    justification: String,
    approver: String,
    expires: String,
}

fn line_of(text: &str, offset: usize) -> u64 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Whether `s` is a calendar date `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    matches!((num(0..4), num(5..7), num(8..10)), (Some(_), Some(m), Some(d)) if (1..=12).contains(&m) && (1..=31).contains(&d))
}

impl Policy {
    /// Parses and validates a policy against the catalog; every problem names its line.
    pub fn load(file: &SourceFile, catalog: &Catalog) -> Result<Policy, CatalogError> {
        let problem = |offset: usize, message: String| Problem {
            file: file.origin.clone(),
            line: line_of(&file.text, offset),
            column: 1,
            message,
        };
        let raw: RawPolicy = toml::from_str(&file.text).map_err(|e| CatalogError::Invalid {
            problems: vec![problem(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            )],
        })?;
        let mut problems = Vec::new();
        let selector = |at: usize,
                        control: Option<String>,
                        domain: Option<String>,
                        problems: &mut Vec<Problem>| {
            match (control, domain) {
                (Some(c), None) => {
                    if catalog.control_index(&c).is_none() {
                        problems.push(problem(at, format!("unknown control `{c}`")));
                    }
                    Some(Selector::Control(c))
                }
                (None, Some(d)) => {
                    if !catalog.domains.iter().any(|x| x.id == d) {
                        problems.push(problem(at, format!("unknown domain `{d}`")));
                    }
                    Some(Selector::Domain(d))
                }
                _ => {
                    problems.push(problem(
                        at,
                        "give exactly one of `control` or `domain`".into(),
                    ));
                    None
                }
            }
        };
        let check_services = |at: usize, services: &[String], problems: &mut Vec<Problem>| {
            for s in services {
                if catalog.service_index(s).is_none() {
                    problems.push(problem(
                        at,
                        format!("unknown service `{s}` (use the catalog's service ids)"),
                    ));
                }
            }
        };
        let mut policy = Policy {
            organisation: raw.organisation,
            period: raw.period,
            tags: raw.tags,
            sensitive_classifications: raw.sensitive_classifications,
            scope: raw.scope,
            ..Policy::default()
        };
        for a in raw.assign {
            let at = a.span().start;
            let a = a.into_inner();
            if a.team.trim().is_empty() {
                problems.push(problem(at, "`team` is empty".into()));
            }
            if let Some(selector) = selector(at, a.control, a.domain, &mut problems) {
                policy.assignments.push(Assignment {
                    selector,
                    team: a.team.trim().to_owned(),
                });
            }
        }
        for i in raw.inherit {
            let at = i.span().start;
            let i = i.into_inner();
            check_services(at, &i.services, &mut problems);
            if i.from.trim().is_empty() {
                problems.push(problem(at, "`from` is empty: name the third party".into()));
            }
            if let Some(selector) = selector(at, i.control, i.domain, &mut problems) {
                policy.inherited.push(Inheritance {
                    selector,
                    services: i.services,
                    from: i.from.trim().to_owned(),
                });
            }
        }
        for o in raw.out_of_scope {
            let at = o.span().start;
            let o = o.into_inner();
            check_services(at, &o.services, &mut problems);
            if o.justification.trim().is_empty() {
                problems.push(problem(at, "`justification` is empty".into()));
            }
            if let Some(selector) = selector(at, o.control, o.domain, &mut problems) {
                policy.out_of_scope.push(OutOfScope {
                    selector,
                    services: o.services,
                    justification: o.justification.trim().to_owned(),
                });
            }
        }
        for e in raw.exception {
            let at = e.span().start;
            let e = e.into_inner();
            if catalog.control_index(&e.control).is_none() {
                problems.push(problem(at, format!("unknown control `{}`", e.control)));
            }
            check_services(at, std::slice::from_ref(&e.service), &mut problems);
            if !is_date(&e.expires) {
                problems.push(problem(
                    at,
                    format!("`expires` = `{}` is not a date YYYY-MM-DD", e.expires),
                ));
            }
            for (name, v) in [
                ("justification", &e.justification),
                ("approver", &e.approver),
            ] {
                if v.trim().is_empty() {
                    problems.push(problem(at, format!("`{name}` is empty")));
                }
            }
            policy.exceptions.push(Exception {
                control: e.control,
                service: e.service,
                account: e.account.filter(|a| !a.trim().is_empty()),
                justification: e.justification.trim().to_owned(),
                approver: e.approver.trim().to_owned(),
                expires: e.expires,
            });
        }
        if problems.is_empty() {
            Ok(policy)
        } else {
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

    #[test]
    fn errors_name_the_line() {
        let text = "organisation = \"X\"\n\n[[assign]]\ncontrol = \"SRM-NOPE-01\"\nteam = \"Sec\"\n\n[[exception]]\ncontrol = \"SRM-ENC-01\"\nservice = \"nope\"\njustification = \"j\"\napprover = \"a\"\nexpires = \"2026-13-01\"\n";
        let err = load(text).unwrap_err().to_string();
        assert!(
            err.contains("srmatrix.toml:3:1: unknown control `SRM-NOPE-01`"),
            "{err}"
        );
        assert!(
            err.contains("srmatrix.toml:7:1: unknown service `nope`"),
            "{err}"
        );
        assert!(
            err.contains("`expires` = `2026-13-01` is not a date"),
            "{err}"
        );
        let err = load("[[assign]]\ncontrol = \"SRM-IAM-01\"\ndomain = \"iam\"\nteam = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("exactly one of `control` or `domain`"),
            "{err}"
        );
        let err = load("colour = \"blue\"\n").unwrap_err().to_string();
        assert!(err.contains("srmatrix.toml:1:1:"), "{err}");
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
