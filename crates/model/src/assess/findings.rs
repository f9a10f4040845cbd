//! What the assessment says besides its counts: each service's responsibilities as the catalog
//! and the options resolve them, and the findings (unmapped identifiers, unowned resources,
//! retired services, …) in their stable order.

use std::collections::{BTreeMap, BTreeSet};

use super::builder::InputTally;
use super::{
    AssessOptions, AssessedResponsibility, Finding, MAX_UNMAPPED_LISTED, ServiceUse, Severity,
    UnmappedOthers, UnmappedService,
};
use crate::catalog::Catalog;

pub(super) fn new_use<'c>(
    catalog: &'c Catalog,
    idx: usize,
    options: &AssessOptions,
) -> ServiceUse<'c> {
    let service = &catalog.services[idx];
    let responsibilities = (0..catalog.controls.len())
        .map(|c| {
            let r = catalog.resolve(idx, c);
            let control = &catalog.controls[c];
            AssessedResponsibility {
                control,
                responsibility: r.responsibility,
                basis: r.basis,
                policy: options
                    .policy
                    .as_ref()
                    .map(|p| p.decide(&service.id, &control.id, &control.domain, &options.as_of))
                    .unwrap_or_default(),
            }
        })
        .collect();
    ServiceUse {
        service: &catalog.services[idx],
        spellings: BTreeSet::new(),
        resolved_by: BTreeMap::new(),
        accounts: BTreeSet::new(),
        regions: BTreeSet::new(),
        teams: BTreeMap::new(),
        environments: BTreeSet::new(),
        classifications: BTreeSet::new(),
        rows: 0,
        resources: 0,
        unowned_resources: 0,
        sensitive_resources: 0,
        responsibilities,
    }
}

/// A service in use that AWS has retired, is retiring or has closed to new customers.
fn lifecycle_finding(s: &ServiceUse<'_>, as_of: &str) -> Option<Finding> {
    let life = &s.service.lifecycle;
    let name = &s.service.name;
    let used = format!("{} resource(s) in {} inventory row(s)", s.resources, s.rows);
    let (code, severity, message, action) = match (life.status, life.end_of_support_on.as_deref()) {
        (_, Some(end)) if !as_of.is_empty() && end <= as_of => (
            "retired-service",
            Severity::High,
            format!(
                "{name} reached its end of support on {end} and is still in use ({used}): AWS no longer operates its side of the model for it."
            ),
            format!(
                "Migrate off it ({}) and record the decommissioning; until then, treat every control of it as the customer's, without AWS's attestation.",
                life.migration
            ),
        ),
        (_, Some(end)) => (
            "end-of-support-announced",
            Severity::Medium,
            format!("AWS ends support for {name} on {end}; it is in use ({used})."),
            format!(
                "Plan the migration before {end} ({}) and keep the plan as evidence.",
                life.migration
            ),
        ),
        (crate::catalog::LifecycleStatus::ClosedToNewCustomers, None) => (
            "closed-to-new-customers",
            Severity::Low,
            format!(
                "{name} is closed to new customers{}; existing use continues ({used}), but new accounts cannot adopt it.",
                life.closed_on
                    .as_deref()
                    .map(|d| format!(" since {d}"))
                    .unwrap_or_default()
            ),
            format!(
                "Decide whether to stay on it; AWS's recommended path: {}.",
                life.migration
            ),
        ),
        _ => return None,
    };
    Some(Finding {
        code,
        severity,
        subject: s.service.id.clone(),
        count: s.resources,
        message: format!("{message} (Source: {})", life.source),
        action,
    })
}

pub(super) fn findings(
    catalog: &Catalog,
    options: &AssessOptions,
    inputs: &[InputTally],
    services: &[ServiceUse<'_>],
    unmapped: &[UnmappedService],
    others: &UnmappedOthers,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in services {
        if let Some(f) = lifecycle_finding(s, &options.as_of) {
            out.push(f);
        }
        if !s.service.assumed_variant.is_empty() {
            out.push(Finding {
                code: "assumed-variant",
                severity: Severity::Low,
                subject: s.service.id.clone(),
                count: s.resources,
                message: format!(
                    "The inventory does not say which variant of {} each resource is; its statements assume: {}",
                    s.service.name, s.service.assumed_variant
                ),
                action: "Confirm the variant in use; where it differs, the customer's side of patching and host controls differs as the assumption says.".into(),
            });
        }
        for r in &s.responsibilities {
            for e in r.policy.exceptions.iter().filter(|e| e.expired) {
                out.push(Finding {
                    code: "expired-exception",
                    severity: Severity::High,
                    subject: format!("{} × {}", s.service.id, r.control.id),
                    count: 1,
                    message: format!(
                        "The accepted risk on {} for {}{} expired on {} (approved by {}: {}).",
                        r.control.id,
                        s.service.name,
                        e.account.as_ref().map(|a| format!(" in account {a}")).unwrap_or_default(),
                        e.expires,
                        e.approver,
                        e.justification
                    ),
                    action: "Meet the control, or have the exception renewed and update the policy file.".into(),
                });
            }
        }
    }
    for t in inputs {
        if t.ragged_rows > 0 {
            out.push(Finding {
                code: "ragged-rows",
                severity: Severity::Low,
                subject: t.name.clone(),
                count: t.ragged_rows,
                message: format!(
                    "{} row(s) of {} have one field more or fewer than the header; they were read by position, as billing exports are known to write them.",
                    t.ragged_rows, t.name
                ),
                action: "Check that the export was not cut or edited; nothing to do if it came from AWS as it is.".into(),
            });
        }
        if !t.duplicate_columns.is_empty() {
            out.push(Finding {
                code: "duplicate-columns",
                severity: Severity::Low,
                subject: t.name.clone(),
                count: t.duplicate_columns.len() as u64,
                message: format!(
                    "The header of {} names {} more than once; the first of each was read.",
                    t.name,
                    t.duplicate_columns.join(", ")
                ),
                action: "Check that the first column of each name holds the values you expect."
                    .into(),
            });
        }
        if t.malformed_tag_rows > 0 {
            let first = t
                .first_malformed_tags_line
                .map(|l| format!(", first on line {l}"))
                .unwrap_or_default();
            out.push(Finding {
                code: "malformed-tags",
                severity: Severity::Medium,
                subject: t.name.clone(),
                count: t.malformed_tag_rows,
                message: format!(
                    "{} row(s) of {} have a tags cell that is not a JSON object or list{first}; they were counted and mapped without their tags, so owner team, environment and data classification from tags are missing for them.",
                    t.malformed_tag_rows, t.name
                ),
                action: "Check the tags column of the export (a cut or re-quoted cell); export it again from AWS or fix the cells, and run the report again.".into(),
            });
        }
        let other_providers = t.other_provider_rows.to_map();
        let other: u64 = other_providers.values().sum();
        if other > 0 {
            let names: Vec<&str> = other_providers.keys().map(String::as_str).collect();
            out.push(Finding {
                code: "other-provider-rows",
                severity: Severity::Low,
                subject: t.name.clone(),
                count: other,
                message: format!(
                    "{other} row(s) of {} belong to other providers ({}); they are out of scope of the AWS model and counted, not assessed.",
                    t.name,
                    names.join(", ")
                ),
                action: "Assess those providers with their own shared responsibility model.".into(),
            });
        }
    }
    for s in services.iter().filter(|s| s.sensitive_resources > 0) {
        let controls: Vec<&str> = s
            .responsibilities
            .iter()
            .filter(|r| {
                r.responsibility.owner.customer_acts()
                    && catalog.domain_protects_data(&r.control.domain)
            })
            .map(|r| r.control.id.as_str())
            .collect();
        if controls.is_empty() {
            continue;
        }
        let classes: Vec<&str> = s
            .classifications
            .iter()
            .filter(|c| options.is_sensitive(c))
            .map(String::as_str)
            .collect();
        out.push(Finding {
            code: "sensitive-data-customer-controls",
            severity: Severity::Medium,
            subject: s.service.id.clone(),
            count: s.sensitive_resources,
            message: format!(
                "{} resource(s) of {} hold {} data; protecting it is the customer's job (alone or shared) under {}.",
                s.sensitive_resources,
                s.service.name,
                classes.join("/"),
                controls.join(", ")
            ),
            action: "Collect the evidence listed for these controls for this service first; confirm encryption, key policies and access reviews.".into(),
        });
    }
    for t in inputs.iter().filter(|t| t.blank_service_rows > 0) {
        let lines: Vec<String> = t.blank_service_lines.iter().map(u64::to_string).collect();
        let more = if t.blank_service_rows > t.blank_service_lines.len() as u64 {
            ", ..."
        } else {
            ""
        };
        out.push(Finding {
            code: "blank-service",
            severity: Severity::High,
            subject: t.name.clone(),
            count: t.blank_service_rows,
            message: format!(
                "{} row(s) of {} have an empty service cell (line {}{more}); they are counted but cannot be assessed.",
                t.blank_service_rows,
                t.name,
                lines.join(", ")
            ),
            action: "Fill in the service of these rows in the source inventory and run the report again.".into(),
        });
    }
    for u in unmapped {
        out.push(Finding {
            code: "unmapped-service",
            severity: Severity::High,
            subject: u.identifier.clone(),
            count: u.rows,
            message: format!(
                "{} row(s) ({} resource(s)) name the service \"{}\", which the catalog does not know; no responsibility is assigned for them.",
                u.rows, u.resources, u.identifier
            ),
            action: "Correct the identifier in the inventory, or add the service to the catalog (services.csv) with --catalog.".into(),
        });
    }
    if others.identifiers > 0 {
        out.push(Finding {
            code: "unmapped-service",
            severity: Severity::High,
            subject: "other unmapped identifiers".into(),
            count: others.rows,
            message: format!(
                "{} row(s) ({} resource(s)) name {} more identifier(s) the catalog does not know, beyond the {MAX_UNMAPPED_LISTED} listed (those with the most rows); they are counted, not listed, and no responsibility is assigned for them.",
                others.rows, others.resources, others.identifiers
            ),
            action: "Check the service column of the inventory: that many unknown spellings usually means the wrong column, or a format the importer misread (srmatrix inspect).".into(),
        });
    }
    for s in services.iter().filter(|s| s.unowned_resources > 0) {
        out.push(Finding {
            code: "unowned-resources",
            severity: Severity::Medium,
            subject: s.service.id.clone(),
            count: s.unowned_resources,
            message: format!(
                "{} of {} resource(s) of {} have no owner team; their customer-side responsibilities have no one to carry them.",
                s.unowned_resources, s.resources, s.service.name
            ),
            action: "Tag these resources with an owner team (owner_team column or a team tag) and run the report again.".into(),
        });
    }
    out.sort_by(|a, b| (a.severity, a.code, &a.subject).cmp(&(b.severity, b.code, &b.subject)));
    out
}
