//! Views derived from the per-service responsibilities: the action list of each owner team and the
//! framework crosswalk.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use srmatrix_model::{Catalog, Owner};

use crate::context::{ControlView, OwnerCounts, ServiceView};

/// The team name used for resources that have no owner team.
pub const NO_OWNER_TEAM: &str = "(no owner team)";

/// One customer-side responsibility a team carries, over one or more of its services.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct TeamAction {
    /// Control id.
    pub control: String,
    /// Control title.
    pub title: String,
    /// Owner (Customer or Shared).
    pub owner: Owner,
    /// What the customer does (Markdown).
    pub customer: Arc<str>,
    /// Evidence to collect.
    pub evidence: Arc<[String]>,
    /// Services (ids) the action applies to.
    pub services: Vec<String>,
}

/// A team and everything it must do.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct TeamActions {
    /// Team name, or [`NO_OWNER_TEAM`].
    pub team: String,
    /// Whether this is the list of resources with no owner team.
    pub unowned: bool,
    /// Services (ids) the team owns resources of.
    pub services: Vec<String>,
    /// Actions, in control order.
    pub actions: Vec<TeamAction>,
}

/// A team in the action lists: (whether it stands for resources with no owner team, name); the
/// no-owner-team list sorts last.
type TeamKey = (bool, String);

/// One action of a team: (control position, what the customer does, evidence). Services that
/// share all three share the action.
type ActionKey = (usize, Arc<str>, Arc<[String]>);

/// Builds the action list of every team from the services in use (already scoped).
pub fn team_actions(services: &[ServiceView], controls: &[ControlView]) -> Vec<TeamActions> {
    let order: BTreeMap<&str, usize> = controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut teams: BTreeMap<TeamKey, (Vec<String>, BTreeMap<ActionKey, TeamAction>)> =
        BTreeMap::new();
    for s in services {
        let mut owners: Vec<(bool, String)> =
            s.teams.iter().map(|t| (false, t.team.clone())).collect();
        if s.unowned_resources > 0 {
            owners.push((true, NO_OWNER_TEAM.to_owned()));
        }
        for key in &owners {
            teams.entry(key.clone()).or_default().0.push(s.id.clone());
        }
        // The policy can assign a control to a named team, give it to a third party, or put it
        // out of scope; the last two leave no action for the organisation's teams.
        for r in s.responsibilities.iter().filter(|r| {
            r.owner.customer_acts() && r.inherited_from.is_none() && r.out_of_scope.is_none()
        }) {
            let carriers: Vec<(bool, String)> = match &r.assigned_team {
                Some(team) => vec![(false, team.clone())],
                None => owners.clone(),
            };
            for key in carriers {
                let entry = teams.entry(key).or_default();
                let pos = order.get(r.control.as_str()).copied().unwrap_or(usize::MAX);
                let action = entry
                    .1
                    .entry((pos, r.customer.clone(), r.evidence.clone()))
                    .or_insert_with(|| TeamAction {
                        control: r.control.clone(),
                        title: r.title.clone(),
                        owner: r.owner,
                        customer: r.customer.clone(),
                        evidence: r.evidence.clone(),
                        services: Vec::new(),
                    });
                action.services.push(s.id.clone());
                if !entry.0.contains(&s.id) {
                    entry.0.push(s.id.clone());
                }
            }
        }
    }
    teams
        .into_iter()
        .map(|((unowned, team), (mut services, actions))| {
            services.sort();
            services.dedup();
            TeamActions {
                team,
                unowned,
                services,
                actions: actions.into_values().collect(),
            }
        })
        .collect()
}

/// A control behind a framework requirement.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct CrosswalkControl {
    /// Control id.
    pub control: String,
    /// Control title.
    pub title: String,
    /// Services in use per owner.
    pub owners: OwnerCounts,
    /// `AWS-inherited`, `customer`, `shared`, `mixed` (depends on the service) or `not in use`.
    pub inheritance: &'static str,
}

/// One requirement of a framework and the controls behind it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct CrosswalkRequirement {
    /// Requirement id (`AC-2`).
    pub id: String,
    /// The controls that map to it.
    pub controls: Vec<CrosswalkControl>,
}

/// A framework's requirements.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct CrosswalkFramework {
    /// Framework id.
    pub framework: String,
    /// Framework title.
    pub title: String,
    /// Requirements, in natural order (`AC-2` before `AC-10`).
    pub requirements: Vec<CrosswalkRequirement>,
}

fn inheritance(o: &OwnerCounts) -> &'static str {
    match (o.aws > 0, o.shared > 0, o.customer > 0) {
        (false, false, false) => "not in use",
        (true, false, false) => "AWS-inherited",
        (false, true, false) => "shared",
        (false, false, true) => "customer",
        _ => "mixed",
    }
}

/// Compares requirement ids naturally: runs of digits as numbers.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let chunks = |s: &str| -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, chunk)) if *d == digit => chunk.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    };
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let ord = match (x.0, y.0) {
            (true, true) => {
                let (nx, ny) = (x.1.trim_start_matches('0'), y.1.trim_start_matches('0'));
                nx.len().cmp(&ny.len()).then_with(|| nx.cmp(ny))
            }
            _ => x.1.cmp(&y.1),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// Builds the crosswalk of the frameworks in scope over the controls shown.
pub fn crosswalk(catalog: &Catalog, controls: &[ControlView]) -> Vec<CrosswalkFramework> {
    let mut out = Vec::new();
    for f in &catalog.frameworks {
        let mut reqs: BTreeMap<&str, Vec<CrosswalkControl>> = BTreeMap::new();
        for c in controls {
            let Some(refs) = c.frameworks.iter().find(|r| r.framework == f.id) else {
                continue;
            };
            for id in &refs.ids {
                reqs.entry(id.as_str()).or_default().push(CrosswalkControl {
                    control: c.id.clone(),
                    title: c.title.clone(),
                    owners: c.owners.clone(),
                    inheritance: inheritance(&c.owners),
                });
            }
        }
        if reqs.is_empty() {
            continue;
        }
        let mut requirements: Vec<CrosswalkRequirement> = reqs
            .into_iter()
            .map(|(id, controls)| CrosswalkRequirement {
                id: id.to_owned(),
                controls,
            })
            .collect();
        requirements.sort_by(|a, b| natural_cmp(&a.id, &b.id));
        out.push(CrosswalkFramework {
            framework: f.id.clone(),
            title: f.title.clone(),
            requirements,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_of_requirement_ids() {
        let mut ids = vec![
            "AC-10",
            "AC-2",
            "AC-2(1)",
            "A.8.10",
            "A.8.9",
            "CC6.1",
            "164.308(a)(1)(ii)(D)",
            "164.308(a)(5)(i)",
        ];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            ids,
            [
                "164.308(a)(1)(ii)(D)",
                "164.308(a)(5)(i)",
                "A.8.9",
                "A.8.10",
                "AC-2",
                "AC-2(1)",
                "AC-10",
                "CC6.1"
            ]
        );
    }

    #[test]
    fn inheritance_labels() {
        let c = |aws, shared, customer| OwnerCounts {
            aws,
            shared,
            customer,
        };
        assert_eq!(inheritance(&c(3, 0, 0)), "AWS-inherited");
        assert_eq!(inheritance(&c(0, 2, 0)), "shared");
        assert_eq!(inheritance(&c(0, 0, 1)), "customer");
        assert_eq!(inheritance(&c(1, 0, 1)), "mixed");
        assert_eq!(inheritance(&c(0, 0, 0)), "not in use");
    }
}
