//! Views derived from the per-service responsibilities: the action list of each owner team and the
//! framework crosswalk.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::HashMap;
use serde::Serialize;
use srmatrix_model::{Catalog, Owner};

use crate::context::{ControlView, OwnerCounts, ResponsibilityView, ServiceView};

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

/// One team's list while it is built: the services it is met in, and its actions found by
/// content (their order) and, for speed, by the addresses of their shared texts.
struct TeamList {
    key: TeamKey,
    services: Vec<String>,
    /// The service last added to `services`: each service once, whatever its actions.
    last_service: Option<usize>,
    actions: Vec<TeamAction>,
    by_content: BTreeMap<ActionKey, usize>,
    /// (control position, address of the customer text, address of the evidence) → action:
    /// every service's copy of a control shares its texts, so comparing their content (a few
    /// hundred bytes, for each team and service) is mostly avoided.
    by_address: HashMap<(usize, *const u8, *const String), usize>,
}

impl TeamList {
    fn add_service(&mut self, at: usize, id: &str) {
        if self.last_service != Some(at) {
            self.services.push(id.to_owned());
            self.last_service = Some(at);
        }
    }

    /// The action of `r` (control position `pos`), made on first use.
    fn action(&mut self, pos: usize, r: &ResponsibilityView) -> &mut TeamAction {
        let address = (pos, r.customer.as_ptr(), r.evidence.as_ptr());
        let at = match self.by_address.get(&address) {
            Some(&at) => at,
            None => {
                let next = self.actions.len();
                let at = *self
                    .by_content
                    .entry((pos, r.customer.clone(), r.evidence.clone()))
                    .or_insert(next);
                if at == next {
                    self.actions.push(TeamAction {
                        control: r.control.clone(),
                        title: r.title.clone(),
                        owner: r.owner,
                        customer: r.customer.clone(),
                        evidence: r.evidence.clone(),
                        services: Vec::new(),
                    });
                }
                self.by_address.insert(address, at);
                at
            }
        };
        &mut self.actions[at]
    }
}

/// Builds the action list of every team from the services in use (already scoped).
pub fn team_actions(services: &[ServiceView], controls: &[ControlView]) -> Vec<TeamActions> {
    let order: HashMap<&str, usize> = controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    // Team lists, found by name once per service (owner teams) or per assignment.
    let mut lists: Vec<TeamList> = Vec::new();
    let mut by_name: [HashMap<String, usize>; 2] = Default::default();
    let mut list_of = |unowned: bool, team: &str, lists: &mut Vec<TeamList>| -> usize {
        let names = &mut by_name[usize::from(unowned)];
        if let Some(&at) = names.get(team) {
            return at;
        }
        lists.push(TeamList {
            key: (unowned, team.to_owned()),
            services: Vec::new(),
            last_service: None,
            actions: Vec::new(),
            by_content: BTreeMap::new(),
            by_address: HashMap::default(),
        });
        names.insert(team.to_owned(), lists.len() - 1);
        lists.len() - 1
    };
    for (si, s) in services.iter().enumerate() {
        let mut owners: Vec<usize> = s
            .teams
            .iter()
            .map(|t| list_of(false, &t.team, &mut lists))
            .collect();
        if s.unowned_resources > 0 {
            owners.push(list_of(true, NO_OWNER_TEAM, &mut lists));
        }
        for &l in &owners {
            lists[l].add_service(si, &s.id);
        }
        // The policy can assign a control to a named team, give it to a third party, or put it
        // out of scope; the last two leave no action for the organisation's teams.
        for r in s.responsibilities.iter().filter(|r| {
            r.owner.customer_acts() && r.inherited_from.is_none() && r.out_of_scope.is_none()
        }) {
            let assigned: [usize; 1];
            let carriers: &[usize] = match &r.assigned_team {
                Some(team) => {
                    assigned = [list_of(false, team, &mut lists)];
                    &assigned
                }
                None => &owners,
            };
            let pos = order.get(r.control.as_str()).copied().unwrap_or(usize::MAX);
            for &l in carriers {
                let list = &mut lists[l];
                list.action(pos, r).services.push(s.id.clone());
                list.add_service(si, &s.id);
            }
        }
    }
    lists.sort_by(|a, b| a.key.cmp(&b.key));
    lists
        .into_iter()
        .map(|list| {
            let TeamList {
                key: (unowned, team),
                mut services,
                actions,
                by_content,
                ..
            } = list;
            services.sort();
            services.dedup();
            let mut actions: Vec<Option<TeamAction>> = actions.into_iter().map(Some).collect();
            TeamActions {
                team,
                unowned,
                services,
                actions: by_content
                    .into_values()
                    .filter_map(|at| actions.get_mut(at).and_then(Option::take))
                    .collect(),
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
