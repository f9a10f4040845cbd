//! Framework registers: one row per requirement of a framework version (or of a baseline), in the
//! framework's order, saying how this estate meets it.
//!
//! A requirement is met through the SRM controls that cite it: over the services in use, the
//! owners of those controls give its status (inherited from AWS, shared, customer). A requirement
//! no control cites is the customer's with the reason when it concerns the customer organisation
//! alone (`customer_only` in the requirement file), is met through its sub-requirements when it
//! has some, and is otherwise "not addressed by the SRM catalog": the customer determines it. No
//! requirement is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use foldhash::{HashMap, HashSet};
use serde::Serialize;
use srmatrix_model::catalog::Framework;
use srmatrix_model::requirements::{Baseline, DOCUMENT_SHAPES, Requirement};
use srmatrix_model::{Catalog, Owner};

use crate::context::{ResponsibilityView, ServiceView};

/// How a requirement is met in this estate.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every control behind it is AWS's for every service in use.
    Inherited,
    /// AWS and the customer each do part (or it depends on the service).
    Shared,
    /// The customer does it for every service in use.
    Customer,
    /// It concerns the customer organisation alone; no cloud service changes that.
    CustomerOrganisational,
    /// Met through its sub-requirements (the rows that name it as parent).
    SubRequirements,
    /// No control of the catalog covers it: the customer determines how it is met.
    NotAddressed,
}

impl Status {
    /// The status as shown in reports.
    pub fn label(self) -> &'static str {
        match self {
            Status::Inherited => "Inherited from AWS",
            Status::Shared => "Shared",
            Status::Customer => "Customer",
            Status::CustomerOrganisational => "Customer (organisational)",
            Status::SubRequirements => "See sub-requirements",
            Status::NotAddressed => "Not addressed by the SRM catalog (customer determines)",
        }
    }

    /// Every status, in report order.
    pub const ALL: [Status; 6] = [
        Status::Inherited,
        Status::Shared,
        Status::Customer,
        Status::CustomerOrganisational,
        Status::SubRequirements,
        Status::NotAddressed,
    ];
}

/// One row of a register.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct RegisterRow {
    /// Requirement id.
    pub id: String,
    /// Requirement title.
    pub title: String,
    /// Family or domain id.
    pub family: String,
    /// Family or domain title.
    pub family_title: String,
    /// Kind of requirement (`control`, `enhancement`, `standard`, ...).
    pub level: String,
    /// The requirement it belongs to, if any.
    pub parent: String,
    /// The framework's qualifier (HIPAA required/addressable, CIS level, SOC 2 category).
    pub qualifier: String,
    /// How it is met.
    pub status: Status,
    /// The status as shown.
    pub status_label: &'static str,
    /// Why, in a sentence.
    pub reason: String,
    /// The SRM controls behind it.
    pub controls: Vec<String>,
    /// Services in use for which AWS does it.
    pub services_aws: Vec<String>,
    /// Services in use for which it is shared.
    pub services_shared: Vec<String>,
    /// Services in use for which the customer does it.
    pub services_customer: Vec<String>,
    /// What AWS does, each distinct statement once.
    pub aws: Vec<Arc<str>>,
    /// What the customer does, each distinct statement once.
    pub customer: Vec<Arc<str>>,
    /// The owner teams that carry the customer side.
    pub teams: Vec<String>,
    /// Evidence to keep, each name once.
    pub evidence: Vec<String>,
    /// What the organisation policy changes: assignments, third-party inheritance, controls out
    /// of scope, accepted exceptions.
    pub policy: Vec<String>,
    /// FedRAMP CRM "Can Be Inherited from CSP": Yes, Partial or No.
    pub fedramp_inheritable: String,
    /// FedRAMP control origination.
    pub fedramp_origination: String,
    /// CSA CCM SSRM control ownership.
    pub ccm_ownership: String,
}

/// The register of a framework or of one of its baselines.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Register {
    /// The id selected: a framework (`iso-27001`) or a baseline (`fedramp-moderate`).
    pub id: String,
    /// The framework's id.
    pub framework: String,
    /// The document shapes it is also written as (`fedramp-crm`, `fedramp-cis`, `ccm-ssrm`).
    pub documents: Vec<String>,
    /// Title: the framework's, or the baseline's.
    pub title: String,
    /// Rows per status, in [`Status::ALL`] order.
    pub by_status: Vec<StatusCount>,
    /// One row per requirement, in the framework's order.
    pub rows: Vec<RegisterRow>,
}

/// How many rows of a register have a status.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct StatusCount {
    /// The status.
    pub status: Status,
    /// As shown.
    pub label: &'static str,
    /// Rows.
    pub count: usize,
}

/// The frameworks and baselines a run has registers for: those of `selection` (framework or
/// baseline ids) that list their requirements; with none selected, every framework that does.
pub fn selected<'c>(
    catalog: &'c Catalog,
    selection: &[String],
) -> Vec<(&'c Framework, Option<&'c Baseline>)> {
    if selection.is_empty() {
        return catalog
            .frameworks
            .iter()
            .filter(|f| !f.register.is_empty())
            .map(|f| (f, None))
            .collect();
    }
    let mut out: Vec<(&Framework, Option<&Baseline>)> = Vec::new();
    for id in selection {
        if let Some(sel) = catalog.selection(id)
            && !sel.0.register.is_empty()
            && !out
                .iter()
                .any(|(f, b)| f.id == sel.0.id && b.map(|b| &b.id) == sel.1.map(|b| &b.id))
        {
            out.push(sel);
        }
    }
    out
}

/// The document shapes (`fedramp-crm`, `fedramp-cis`, `ccm-ssrm`) the registers of `selection`
/// are also written as, in [`DOCUMENT_SHAPES`] order.
pub fn documents(catalog: &Catalog, selection: &[String]) -> Vec<&'static str> {
    let chosen = selected(catalog, selection);
    DOCUMENT_SHAPES
        .into_iter()
        .filter(|d| {
            chosen
                .iter()
                .any(|(f, _)| f.documents.iter().any(|x| x == d))
        })
        .collect()
}

/// The registers of the frameworks and baselines of `selection` (see [`selected`]).
pub fn registers(
    catalog: &Catalog,
    selection: &[String],
    services: &[ServiceView],
) -> Vec<Register> {
    build(
        catalog,
        &selected(catalog, selection),
        &Located::new(services),
    )
}

/// The registers of `selection`, built on the calling thread and one more, and what `beside`
/// gives, run first on that other thread: the registers are the largest view of the report
/// context, built while the other core would wait. They come out in [`selected`]'s order
/// whichever thread built each.
pub fn registers_beside<T: Send>(
    catalog: &Catalog,
    selection: &[String],
    services: &[ServiceView],
    beside: impl FnOnce() -> T + Send,
) -> (Vec<Register>, T) {
    let at = Located::new(services);
    let chosen = selected(catalog, selection);
    // The other thread's share: `beside` (counted as an average register) and the first
    // registers, up to about half of the rows in all.
    let rows: Vec<usize> = chosen.iter().map(|(fw, _)| fw.register.len()).collect();
    let beside_rows = rows.iter().sum::<usize>() / rows.len().max(1);
    let half = (rows.iter().sum::<usize>() + beside_rows) / 2;
    let mut cut = 0;
    let mut load = beside_rows;
    while cut < rows.len() && load + rows[cut] <= half {
        load += rows[cut];
        cut += 1;
    }
    let (first, rest) = chosen.split_at(cut);
    if rest.is_empty() {
        // Nothing left for this thread (no register, or one): no other thread is started.
        return (build(catalog, first, &at), beside());
    }
    std::thread::scope(|scope| {
        let other = scope.spawn(|| (beside(), build(catalog, first, &at)));
        let mut mine = build(catalog, rest, &at);
        let (value, mut registers) = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        registers.append(&mut mine);
        (registers, value)
    })
}

/// The registers of `chosen`, in order.
fn build(
    catalog: &Catalog,
    chosen: &[(&Framework, Option<&Baseline>)],
    at: &Located<'_>,
) -> Vec<Register> {
    chosen
        .iter()
        .map(|&(fw, baseline)| {
            // The controls citing each requirement of this framework, in catalog order.
            let mut citing: HashMap<&str, Vec<&str>> = HashMap::default();
            for c in &catalog.controls {
                if let Some(ids) = c.frameworks.get(&fw.id) {
                    let mut seen: Vec<&str> = Vec::with_capacity(ids.len());
                    for id in ids {
                        if !seen.contains(&id.as_str()) {
                            seen.push(id);
                            citing.entry(id.as_str()).or_default().push(c.id.as_str());
                        }
                    }
                }
            }
            let chosen: Vec<&Requirement> = fw
                .register
                .iter()
                .filter(|r| baseline.is_none_or(|b| r.baselines.contains(&b.id)))
                .collect();
            // A parent is met through its sub-requirements only if some are in this register
            // (a baseline may select a control without any of its enhancements).
            let parents: HashSet<&str> =
                chosen.iter().filter_map(|r| r.parent.as_deref()).collect();
            let rows: Vec<RegisterRow> = chosen
                .iter()
                .map(|r| {
                    row(
                        catalog,
                        r,
                        parents.contains(r.id.as_str()),
                        citing.get(r.id.as_str()).map_or(&[][..], Vec::as_slice),
                        at,
                    )
                })
                .collect();
            let by_status = Status::ALL
                .iter()
                .map(|&status| StatusCount {
                    status,
                    label: status.label(),
                    count: rows.iter().filter(|r| r.status == status).count(),
                })
                .collect();
            Register {
                id: baseline.map_or(fw.id.clone(), |b| b.id.clone()),
                framework: fw.id.clone(),
                documents: fw.documents.clone(),
                title: baseline.map_or(fw.title.clone(), |b| b.title.clone()),
                by_status,
                rows,
            }
        })
        .collect()
}

/// The services in use, where each control's responsibilities are among them, and the teams
/// those responsibilities name.
struct Located<'s> {
    services: &'s [ServiceView],
    /// Control id → (service, responsibility) positions, in service then responsibility order.
    by_control: HashMap<&'s str, Vec<(usize, usize)>>,
    /// Every team a responsibility names, in order (as a `BTreeSet` would list them).
    teams: Vec<&'s str>,
    /// Per service, per responsibility: its team list, as a position in `team_sets`.
    team_set: Vec<Vec<usize>>,
    /// Each distinct team list as a bit set over `teams` (a service's responsibilities share
    /// one list, so a row unites a few of these instead of inserting every team of every
    /// service it meets into a set).
    team_sets: Vec<Vec<u64>>,
}

impl<'s> Located<'s> {
    fn new(services: &'s [ServiceView]) -> Self {
        let mut by_control: HashMap<&str, Vec<(usize, usize)>> = HashMap::default();
        // Team lists by address: those shared (`Arc`) are met once.
        let mut list_at: HashMap<*const String, usize> = HashMap::default();
        let mut lists: Vec<&[String]> = Vec::new();
        let mut team_set = Vec::with_capacity(services.len());
        for (si, s) in services.iter().enumerate() {
            let mut sets = Vec::with_capacity(s.responsibilities.len());
            for (ri, r) in s.responsibilities.iter().enumerate() {
                by_control
                    .entry(r.control.as_str())
                    .or_default()
                    .push((si, ri));
                let next = lists.len();
                let at = *list_at.entry(r.customer_teams.as_ptr()).or_insert(next);
                if at == next {
                    lists.push(&r.customer_teams);
                }
                sets.push(at);
            }
            team_set.push(sets);
        }
        let teams: Vec<&str> = lists
            .iter()
            .flat_map(|l| l.iter().map(String::as_str))
            .collect::<BTreeSet<&str>>()
            .into_iter()
            .collect();
        let bit: HashMap<&str, usize> = teams.iter().enumerate().map(|(i, &t)| (t, i)).collect();
        let words = teams.len().div_ceil(64);
        let team_sets = lists
            .iter()
            .map(|l| {
                let mut bits = vec![0u64; words];
                for t in l.iter() {
                    if let Some(&i) = bit.get(t.as_str()) {
                        bits[i / 64] |= 1 << (i % 64);
                    }
                }
                bits
            })
            .collect();
        Located {
            services,
            by_control,
            teams,
            team_set,
            team_sets,
        }
    }

    /// The responsibilities of `controls` with their positions, in service then responsibility
    /// order (as a scan of every service's responsibilities would find them).
    fn of(
        &self,
        controls: &[&str],
    ) -> Vec<((usize, usize), &'s ServiceView, &'s ResponsibilityView)> {
        let mut at: Vec<(usize, usize)> = controls
            .iter()
            .filter_map(|c| self.by_control.get(c))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter()
            .filter_map(|(si, ri)| {
                let s = self.services.get(si)?;
                Some(((si, ri), s, s.responsibilities.get(ri)?))
            })
            .collect()
    }

    /// No teams, as a bit set.
    fn no_teams(&self) -> Vec<u64> {
        vec![0; self.teams.len().div_ceil(64)]
    }

    /// Adds the teams of the responsibility at `(si, ri)` to `bits`.
    fn add_teams(&self, (si, ri): (usize, usize), bits: &mut [u64]) {
        let set = self
            .team_set
            .get(si)
            .and_then(|s| s.get(ri))
            .and_then(|&i| self.team_sets.get(i));
        for (b, t) in bits.iter_mut().zip(set.into_iter().flatten()) {
            *b |= t;
        }
    }

    /// The teams in `bits`, in order.
    fn team_names(&self, bits: &[u64]) -> Vec<String> {
        (0..self.teams.len())
            .filter(|i| bits[i / 64] >> (i % 64) & 1 == 1)
            .map(|i| self.teams[i].to_owned())
            .collect()
    }
}

/// One requirement's row: `controls` are the controls citing it, in catalog order.
fn row(
    catalog: &Catalog,
    req: &Requirement,
    has_children: bool,
    controls: &[&str],
    at: &Located<'_>,
) -> RegisterRow {
    // Borrowed while collecting, owned once at the end: a requirement cited by several controls
    // meets the same services, teams and evidence many times over.
    let mut by_owner: [BTreeSet<&str>; 3] = Default::default();
    let mut aws = Distinct::default();
    let mut customer = Distinct::default();
    let mut teams = at.no_teams();
    let mut evidence: BTreeSet<&str> = BTreeSet::new();
    // Evidence lists are shared by every service's copy of a control: each list once.
    let mut evidence_lists: HashSet<*const String> = Default::default();
    let mut policy = BTreeSet::new();
    let mut third_party_only = true;
    let mut any = false;
    for (pos, s, r) in at.of(controls) {
        if let Some(why) = &r.out_of_scope {
            policy.insert(format!("{} out of scope: {why}", r.control));
            continue;
        }
        any = true;
        let slot = match r.owner {
            Owner::Aws => 0,
            Owner::Shared => 1,
            Owner::Customer => 2,
        };
        by_owner[slot].insert(&s.id);
        aws.push(&r.aws);
        if r.owner != Owner::Aws {
            customer.push(&r.customer);
            at.add_teams(pos, &mut teams);
            if evidence_lists.insert(r.evidence.as_ptr()) {
                evidence.extend(r.evidence.iter().map(String::as_str));
            }
        }
        note_policy(r, &mut policy);
        if r.inherited_from.is_none() || r.owner == Owner::Aws {
            third_party_only = false;
        }
    }
    let [services_aws, services_shared, services_customer] =
        by_owner.map(|s| s.into_iter().map(str::to_owned).collect::<Vec<_>>());
    let (status, reason) = if !controls.is_empty() && any {
        let status = match (
            services_aws.is_empty(),
            services_shared.is_empty(),
            services_customer.is_empty(),
        ) {
            (false, true, true) => Status::Inherited,
            (true, true, false) => Status::Customer,
            _ => Status::Shared,
        };
        let reason = match status {
            Status::Inherited => {
                "AWS performs every control behind it for every service in use".to_owned()
            }
            Status::Customer => {
                "The customer performs every control behind it for every service in use".to_owned()
            }
            _ => "AWS and the customer each do part, or who does it depends on the service"
                .to_owned(),
        };
        (status, reason)
    } else if !controls.is_empty() {
        (
            Status::NotAddressed,
            "The controls behind it apply to no service in use (or are out of scope by policy)"
                .to_owned(),
        )
    } else if let Some(why) = &req.customer_only {
        (Status::CustomerOrganisational, why.clone())
    } else if has_children {
        (
            Status::SubRequirements,
            "Met through its sub-requirements (the rows that follow)".to_owned(),
        )
    } else {
        (
            Status::NotAddressed,
            "No control of the SRM catalog maps to it: the customer determines how it is met"
                .to_owned(),
        )
    };
    let owner = match status {
        Status::Inherited => Some(Owner::Aws),
        Status::Shared => Some(Owner::Shared),
        Status::Customer | Status::CustomerOrganisational | Status::NotAddressed => {
            Some(Owner::Customer)
        }
        Status::SubRequirements => None,
    };
    let third_party = any && third_party_only && status != Status::Inherited;
    // The owner's term of a vocabulary, or its `third-party` term when a third party does it.
    let term = |terms: &BTreeMap<String, String>, owner_term: &str| -> String {
        if third_party {
            crate::context::third_party(terms, owner_term)
        } else {
            owner_term.to_owned()
        }
    };
    let (fedramp_inheritable, mut fedramp_origination, ccm_ownership) = match owner {
        Some(o) => (
            catalog.fedramp_inheritable(o).to_owned(),
            term(&catalog.fedramp_origination, catalog.fedramp_origination(o)),
            term(&catalog.ccm_ssrm_ownership, catalog.ccm_term(o)),
        ),
        None => Default::default(),
    };
    if status == Status::NotAddressed {
        // Nothing can be inherited; where it originates is the customer's to determine.
        fedramp_origination.clear();
    }
    RegisterRow {
        id: req.id.clone(),
        title: req.title.clone(),
        family: req.family.clone(),
        family_title: req.family_title.clone(),
        level: req.level.clone(),
        parent: req.parent.clone().unwrap_or_default(),
        qualifier: req.qualifier.clone(),
        status,
        status_label: status.label(),
        reason,
        controls: controls.iter().map(|&c| c.to_owned()).collect(),
        services_aws,
        services_shared,
        services_customer,
        aws: aws.list,
        customer: customer.list,
        teams: at.team_names(&teams),
        evidence: evidence.into_iter().map(str::to_owned).collect(),
        policy: policy.into_iter().collect(),
        fedramp_inheritable,
        fedramp_origination,
        ccm_ownership,
    }
}

/// Texts in order of first appearance, each once, blank ones left out.
#[derive(Default)]
struct Distinct<'t> {
    list: Vec<Arc<str>>,
    /// Texts met, by content.
    seen: HashSet<&'t str>,
    /// Texts met, by address: every service's copy of a control shares its statements, so a
    /// text is mostly recognised without hashing its few hundred bytes.
    at: HashSet<*const u8>,
}

impl<'t> Distinct<'t> {
    fn push(&mut self, text: &'t Arc<str>) {
        if self.at.insert(text.as_ptr()) && !text.trim().is_empty() && self.seen.insert(text) {
            self.list.push(text.clone());
        }
    }
}

fn note_policy(r: &ResponsibilityView, policy: &mut BTreeSet<String>) {
    if let Some(team) = &r.assigned_team {
        policy.insert(format!("{} assigned to {team}", r.control));
    }
    if let Some(party) = &r.inherited_from {
        policy.insert(format!("{} performed by {party} (third party)", r.control));
    }
    for e in &r.exceptions {
        let state = if e.expired { "expired" } else { "until" };
        policy.insert(format!(
            "{} exception accepted by {} ({state} {}): {}",
            r.control, e.approver, e.expires, e.justification
        ));
    }
}

/// The FedRAMP CRM's "Specific Inheritance and Customer Agency/CSP Responsibilities" of a row:
/// what AWS does and what the customer does, or why it is the customer's alone.
pub fn responsibilities_text(r: &RegisterRow) -> String {
    match r.status {
        Status::Inherited => format!("Inherited from AWS. AWS: {}", paragraphs(&r.aws)),
        Status::Shared => format!(
            "AWS: {}\n\nCustomer: {}",
            paragraphs(&r.aws),
            paragraphs(&r.customer)
        ),
        Status::Customer => format!("Customer: {}", paragraphs(&r.customer)),
        Status::CustomerOrganisational | Status::SubRequirements | Status::NotAddressed => {
            r.reason.clone()
        }
    }
}

/// The first register written in `shape`, if any.
pub fn register_with<'c>(ctx: &'c crate::ReportContext, shape: &str) -> Option<&'c Register> {
    ctx.registers
        .iter()
        .find(|r| r.documents.iter().any(|d| d == shape))
}

/// Statements as paragraphs of one cell.
pub fn paragraphs(texts: &[Arc<str>]) -> String {
    texts
        .iter()
        .map(|t| t.as_ref())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A SOC 2 criterion in SOC 2's own vocabulary, with AWS as a carved-out subservice organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Soc2View {
    /// Complementary subservice organization controls: what AWS must do, relied on through
    /// AWS's own SOC 2 report.
    pub csoc: String,
    /// AWS's complementary user entity controls: what the customer must do for AWS's controls to
    /// work.
    pub cuec: String,
    /// What the service organization (the customer) does itself, with no AWS control involved.
    pub own: String,
}

/// CSA CCM's "CSC Responsibilities" of a row: what the customer does where it shares or owns
/// the controls behind it, else why it is the customer's.
pub fn csc_responsibilities(r: &RegisterRow) -> String {
    match r.status {
        Status::Inherited => String::new(),
        Status::Shared | Status::Customer => paragraphs(&r.customer),
        _ => r.reason.clone(),
    }
}

/// The CIS worksheet's mark of a row under one of FedRAMP's origination values: `X` only under
/// the value itself (a third party's control claims no authorization nobody has verified).
pub fn origination_mark(r: &RegisterRow, value: &str) -> &'static str {
    if r.fedramp_origination == value {
        "X"
    } else {
        ""
    }
}

/// The SOC 2 view of a register row.
pub fn soc2_view(r: &RegisterRow) -> Soc2View {
    let (csoc, cuec, own) = match r.status {
        Status::Inherited => (paragraphs(&r.aws), String::new(), String::new()),
        Status::Shared => (paragraphs(&r.aws), paragraphs(&r.customer), String::new()),
        Status::Customer => (String::new(), String::new(), paragraphs(&r.customer)),
        Status::CustomerOrganisational | Status::NotAddressed | Status::SubRequirements => {
            (String::new(), String::new(), r.reason.clone())
        }
    };
    Soc2View { csoc, cuec, own }
}
