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
    pub services: Vec<Arc<str>>,
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

/// What makes two services' copies of a control one action: (control position, what the
/// customer does, evidence). Services that share all three share the action.
type ActionKey = (usize, Arc<str>, Arc<[String]>);

/// One team's list while it is built.
struct TeamList<'a> {
    key: TeamKey,
    /// The services (positions) it is met in, ascending, each once.
    services: Vec<usize>,
    /// The position in `actions` of this team's action of each content (by its number): a map,
    /// not a vector by number, so that a team costs its own actions whatever the number of
    /// contents in the report.
    slot: HashMap<usize, usize>,
    /// (content number, the responsibility first met with that content, services (positions)).
    actions: Vec<(usize, &'a ResponsibilityView, Vec<usize>)>,
}

impl<'a> TeamList<'a> {
    /// Adds service `at` to the services the team is met in (services come in order).
    fn add_service(&mut self, at: usize) {
        if self.services.last() != Some(&at) {
            self.services.push(at);
        }
    }

    /// Adds service `at` to the team's action of content `content`, made from `r` on first use.
    fn add_action(&mut self, content: usize, r: &'a ResponsibilityView, at: usize) {
        let next = self.actions.len();
        let i = *self.slot.entry(content).or_insert(next);
        if i == next {
            self.actions.push((content, r, Vec::new()));
        }
        self.actions[i].2.push(at);
    }
}

/// Builds the action list of every team from the services in use (already scoped).
///
/// Each distinct action content (control, what the customer does, evidence) is numbered once for
/// the whole report, not once per team: a report of billing exports has dozens of teams per
/// service, and a team's action is then found by that number. The content is looked up by the
/// addresses of its shared texts first, since every service's copy of a control shares them
/// (the services are borrowed throughout, so no address is reused meanwhile), and compared by
/// content only when those are new.
pub fn team_actions(services: &[ServiceView], controls: &[ControlView]) -> Vec<TeamActions> {
    let order: HashMap<&str, usize> = controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let ids: Vec<Arc<str>> = services.iter().map(|s| Arc::from(s.id.as_str())).collect();
    let mut by_content: BTreeMap<ActionKey, usize> = BTreeMap::new();
    let mut by_address: HashMap<(usize, *const u8, *const String), usize> = HashMap::default();
    // Team lists, found by name once per service (owner teams) or per assignment.
    let mut lists: Vec<TeamList<'_>> = Vec::new();
    let mut by_name: [HashMap<String, usize>; 2] = Default::default();
    let mut list_of = |unowned: bool, team: &str, lists: &mut Vec<TeamList<'_>>| -> usize {
        let names = &mut by_name[usize::from(unowned)];
        if let Some(&at) = names.get(team) {
            return at;
        }
        lists.push(TeamList {
            key: (unowned, team.to_owned()),
            services: Vec::new(),
            slot: HashMap::default(),
            actions: Vec::new(),
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
            lists[l].add_service(si);
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
            if carriers.is_empty() {
                continue;
            }
            let pos = order.get(r.control.as_str()).copied().unwrap_or(usize::MAX);
            let address = (pos, r.customer.as_ptr(), r.evidence.as_ptr());
            let content = *by_address.entry(address).or_insert_with(|| {
                let next = by_content.len();
                *by_content
                    .entry((pos, r.customer.clone(), r.evidence.clone()))
                    .or_insert(next)
            });
            for &l in carriers {
                let list = &mut lists[l];
                list.add_action(content, r, si);
                list.add_service(si);
            }
        }
    }
    // Actions come in content order: control, then what the customer does, then evidence.
    let mut rank = vec![0; by_content.len()];
    for (i, &content) in by_content.values().enumerate() {
        rank[content] = i;
    }
    lists.sort_by(|a, b| a.key.cmp(&b.key));
    lists
        .into_iter()
        .map(|list| {
            let TeamList {
                key: (unowned, team),
                services: owned,
                mut actions,
                ..
            } = list;
            let mut services: Vec<String> = owned.iter().map(|&si| ids[si].to_string()).collect();
            services.sort();
            services.dedup();
            actions.sort_unstable_by_key(|&(content, ..)| rank[content]);
            TeamActions {
                team,
                unowned,
                services,
                actions: actions
                    .into_iter()
                    .map(|(_, r, at)| TeamAction {
                        control: r.control.clone(),
                        title: r.title.clone(),
                        owner: r.owner,
                        customer: r.customer.clone(),
                        evidence: r.evidence.clone(),
                        services: at.iter().map(|&si| ids[si].clone()).collect(),
                    })
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
    use std::collections::BTreeSet;

    use srmatrix_model::{AssessmentBuilder, InventoryRecord};

    use super::*;
    use crate::context::{ReportContext, ReportMeta};

    /// The action lists as their definition reads: per team, the services it owns resources of,
    /// and per action content the services it applies to, the first service's copy giving the
    /// texts.
    fn team_actions_by_definition(
        services: &[ServiceView],
        controls: &[ControlView],
    ) -> Vec<TeamActions> {
        type Building = (BTreeSet<String>, BTreeMap<ActionKey, TeamAction>);
        let pos = |id: &str| controls.iter().position(|c| c.id == id);
        let mut teams: BTreeMap<TeamKey, Building> = BTreeMap::new();
        for s in services {
            let mut owners: Vec<TeamKey> =
                s.teams.iter().map(|t| (false, t.team.clone())).collect();
            if s.unowned_resources > 0 {
                owners.push((true, NO_OWNER_TEAM.to_owned()));
            }
            for o in &owners {
                teams.entry(o.clone()).or_default().0.insert(s.id.clone());
            }
            for r in &s.responsibilities {
                if !r.owner.customer_acts()
                    || r.inherited_from.is_some()
                    || r.out_of_scope.is_some()
                {
                    continue;
                }
                let carriers = match &r.assigned_team {
                    Some(t) => vec![(false, t.clone())],
                    None => owners.clone(),
                };
                let key = (
                    pos(&r.control).unwrap_or(usize::MAX),
                    r.customer.clone(),
                    r.evidence.clone(),
                );
                for c in carriers {
                    let (owned, actions) = teams.entry(c).or_default();
                    owned.insert(s.id.clone());
                    actions
                        .entry(key.clone())
                        .or_insert_with(|| TeamAction {
                            control: r.control.clone(),
                            title: r.title.clone(),
                            owner: r.owner,
                            customer: r.customer.clone(),
                            evidence: r.evidence.clone(),
                            services: Vec::new(),
                        })
                        .services
                        .push(Arc::from(s.id.as_str()));
                }
            }
        }
        teams
            .into_iter()
            .map(|((unowned, team), (owned, actions))| TeamActions {
                team,
                unowned,
                services: owned.into_iter().collect(),
                actions: actions.into_values().collect(),
            })
            .collect()
    }

    fn context_of(rows: &[(&str, &str)]) -> ReportContext {
        let catalog = Catalog::builtin().unwrap();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("inventory.csv", "native");
        for (n, &(service, team)) in rows.iter().enumerate() {
            b.add(
                i,
                &InventoryRecord {
                    line: n as u64 + 2,
                    service,
                    account_id: "111111111111",
                    resource_id: "r-1",
                    owner_team: team,
                    resource_count: Some(1),
                    ..InventoryRecord::default()
                },
            );
        }
        let meta = ReportMeta::for_tests("2026-10-01T00:00:00Z");
        ReportContext::new(&b.finish(&catalog), &catalog, meta)
    }

    #[test]
    fn team_actions_are_those_of_their_definition() {
        let ctx = context_of(&[
            ("ec2", "platform"),
            ("ec2", "data"),
            ("ec2", ""),
            ("rds", "data"),
            ("s3", "platform"),
            ("s3", "web"),
            ("lambda", "web"),
            ("dynamodb", ""),
            ("eks", "platform"),
        ]);
        let same = |services: &[ServiceView]| {
            let built = serde_json::to_value(team_actions(services, &ctx.controls)).unwrap();
            let defined =
                serde_json::to_value(team_actions_by_definition(services, &ctx.controls)).unwrap();
            assert_eq!(built, defined);
            built
        };
        let built = same(&ctx.services);
        assert!(built.as_array().unwrap().len() >= 4, "{built}");

        // Copies of a control's texts that are equal but not shared (as from a policy or another
        // catalog file) make one action, and texts that differ make two, whichever text it is;
        // a control assigned to a team goes to that team alone (one that owns nothing, an owner
        // team, or one named like the list of resources without an owner team), one out of
        // scope to nobody; a copy whose owner differs keeps the first one met.
        let mut services = ctx.services.clone();
        for (k, s) in services.iter_mut().enumerate() {
            for (j, r) in s.responsibilities.iter_mut().enumerate() {
                match (k + j) % 9 {
                    0 => r.customer = Arc::from(r.customer.to_string()),
                    1 => r.evidence = r.evidence.iter().cloned().collect(),
                    2 => {
                        let team = ["security", "platform", NO_OWNER_TEAM][j % 3];
                        r.assigned_team = Some(team.into());
                    }
                    3 => r.out_of_scope = Some("not used".into()),
                    4 => r.owner = Owner::Shared,
                    5 => r.customer = Arc::from(format!("{} Also review it yearly.", r.customer)),
                    6 if k % 2 == 0 => {
                        let mut evidence = r.evidence.to_vec();
                        evidence.push("The review's minutes".into());
                        r.evidence = evidence.into();
                    }
                    _ => {}
                }
            }
        }
        let built = same(&services);
        let security = built
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["team"] == "security")
            .expect("the assigned team has a list");
        assert!(!security["actions"].as_array().unwrap().is_empty());
    }

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
