//! Assessment of an inventory against the catalog.
//!
//! Records stream in through [`AssessmentBuilder::add`], which aggregates them per input ×
//! service identifier × account × region × team × environment × classification without allocating
//! for groups it has seen before. [`AssessmentBuilder::finish`] resolves each distinct identifier
//! once against the catalog and produces the [`Assessment`]: memory grows with distinct groups,
//! never with rows.
//!
//! Arithmetic: row counts go up by one per row read, so no count of rows, nor any sum of them
//! (over groups, forks or inputs, each row counted once), can reach `u64::MAX` in a run. Resource
//! counts come from the input (`resource_count`) and can: each input keeps a checked bound of its
//! resources (a row's count, or one for a row whose resources are counted as distinct ids), and
//! every resource total of the assessment, per group, service, team or input, is a part of the sum
//! of those bounds. When that sum overflows, [`AssessmentBuilder::resources_overflow`] names the
//! input where it did, and the totals (added with saturation, never wrapped) must not be
//! reported.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::catalog::{Basis, Catalog, Control, Identified, Responsibility, Service};
use crate::distinct;
use crate::policy::{Policy, PolicyDecision};
use crate::vocab::Category;

/// Counting records as they stream in, on any number of threads.
mod builder;
/// Responsibilities per service in use, and the findings.
mod field_numbers;
mod findings;
mod group_index;
mod text_counts;
mod unowned;

pub(crate) use builder::DistinctIds;
pub use builder::{AssessmentBuilder, DEFAULT_MAX_GROUPS};
use builder::{HashMap, HashSet, group_fields, push_field, split_fields};
use findings::{findings, new_use};
use unowned::UnownedTally;

/// How many example resource ids are kept per service × account × region without an owner team.
pub const UNOWNED_SAMPLES: usize = 5;
/// How many line numbers are kept for a row problem.
pub const LINE_SAMPLES: usize = 10;
/// The most unmapped identifiers an assessment lists one by one (each with its finding): those
/// naming the most rows, ties broken by the identifier, so the choice depends only on the input.
/// Any others are counted together in [`Assessment::unmapped_others`] and one finding: an input
/// with an unknown service column in 500,000 spellings would otherwise make reports of
/// hundreds of megabytes and take gigabytes to write.
pub const MAX_UNMAPPED_LISTED: usize = 10_000;

/// What a row stands for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RowKind<'a> {
    /// A resource, or usage of one: assessed.
    #[default]
    Resource,
    /// A billing row that is no resource (tax, credit, refund, fee ...): counted by type.
    NonResource,
    /// A row of another cloud provider (FOCUS exports): counted by provider.
    OtherProvider(&'a str),
}

/// One inventory row, as the importer read it. Fields borrow from the importer's record buffer.
#[derive(Debug, Clone, Copy, Default)]
pub struct InventoryRecord<'a> {
    /// 1-based line of the row in its input.
    pub line: u64,
    /// What the row stands for.
    pub kind: RowKind<'a>,
    /// Billing line-item type or charge category, when the format has one (`Usage`, `Tax`).
    pub line_item_type: &'a str,
    /// Service in any identifier form, as written.
    pub service: &'a str,
    /// AWS account id.
    pub account_id: &'a str,
    /// AWS account name, when the format carries one (FOCUS `SubAccountName`).
    pub account_name: &'a str,
    /// Region code.
    pub region: &'a str,
    /// Resource id or ARN.
    pub resource_id: &'a str,
    /// Resource type (`AWS::S3::Bucket`, `instance`) or billing product family (`Storage`).
    pub resource_type: &'a str,
    /// Billing usage type (`USE1-Fargate-vCPU-Hours:perCPU`), when the format has one.
    pub usage_type: &'a str,
    /// Database engine (`aurora-mysql`, CUR `Aurora MySQL`), when the format has one.
    pub engine: &'a str,
    /// Team that owns the resource.
    pub owner_team: &'a str,
    /// Environment (prod, staging ...).
    pub environment: &'a str,
    /// Data classification (public, internal, confidential, restricted ...).
    pub data_classification: &'a str,
    /// Resources the row stands for: `Some(n)` when the format says so (a native row is one
    /// resource, or `n` when pre-aggregated); `None` for billing line items, whose resources are
    /// counted as distinct resource ids.
    pub resource_count: Option<u64>,
}

/// Choices that shape an assessment beyond the catalog.
#[derive(Debug, Clone)]
pub struct AssessOptions {
    /// Data classifications (compared case-insensitively) that count as sensitive.
    pub sensitive_classifications: Vec<String>,
    /// The organisation policy, if any.
    pub policy: Option<Policy>,
    /// The report's date, `YYYY-MM-DD`, against which exceptions expire (empty: never).
    pub as_of: String,
}

impl Default for AssessOptions {
    fn default() -> Self {
        AssessOptions {
            sensitive_classifications: [
                "confidential",
                "restricted",
                "secret",
                "sensitive",
                "pii",
                "phi",
                "pci",
                "cardholder",
            ]
            .map(String::from)
            .to_vec(),
            policy: None,
            as_of: String::new(),
        }
    }
}

impl AssessOptions {
    fn is_sensitive(&self, classification: &str) -> bool {
        self.sensitive_classifications
            .iter()
            .any(|c| c.eq_ignore_ascii_case(classification))
    }
}

/// Finding severity.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Evidence is missing or wrong; fix before handing the report over.
    High,
    /// Part of the picture is incomplete.
    Medium,
    /// Worth a look.
    Low,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        })
    }
}

/// Something in the inventory that needs attention, with a stable kebab-case code.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code: `unmapped-service`, `unowned-resources`, `blank-service`.
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// What the finding is about (a service id or raw identifier).
    pub subject: String,
    /// How many rows or resources it concerns.
    pub count: u64,
    /// What was found.
    pub message: String,
    /// What to do about it.
    pub action: String,
}

/// What one input contributed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputSummary {
    /// Path or name of the input (`-` for standard input).
    pub name: String,
    /// Format the importer read it as.
    pub format: String,
    /// Data rows read.
    pub rows: u64,
    /// Rows whose service was identified.
    pub mapped_rows: u64,
    /// Rows whose service is not in the catalog.
    pub unmapped_rows: u64,
    /// Rows with an empty service cell.
    pub blank_service_rows: u64,
    /// Rows whose identifier is a billing code that is not a service (data transfer, support ...).
    pub non_service_rows: u64,
    /// Billing rows that are no resource (tax, credits, refunds, fees ...).
    pub non_resource_rows: u64,
    /// Rows of other cloud providers, per provider.
    pub other_provider_rows: BTreeMap<String, u64>,
    /// Rows outside the policy's scope (accounts, regions, environments).
    pub out_of_scope_rows: u64,
    /// Rows per billing line-item type or charge category (all rows of formats that have one).
    pub line_item_types: BTreeMap<String, u64>,
    /// Rows one field longer or shorter than the header, read as they were.
    pub ragged_rows: u64,
    /// Header names that appear more than once (the first non-empty value was used).
    pub duplicate_columns: Vec<String>,
    /// SHA-256 of the input's bytes as read (before decompression), hex.
    pub sha256: String,
    /// Size of the input in bytes as read.
    pub bytes: u64,
    /// Rows with an empty resource id.
    pub blank_resource_ids: u64,
    /// Resources the rows stand for.
    pub resources: u64,
}

impl InputSummary {
    /// Rows accounted for: every row lands in exactly one of mapped, unmapped, non-service,
    /// blank service, non-resource or other provider. Equal to [`InputSummary::rows`].
    pub fn accounted_rows(&self) -> u64 {
        self.mapped_rows
            + self.unmapped_rows
            + self.non_service_rows
            + self.blank_service_rows
            + self.non_resource_rows
            + self.out_of_scope_rows
            + self.other_provider_rows.values().sum::<u64>()
    }
}

/// A service of the catalog that the inventory uses.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceUse<'c> {
    /// The catalog's service.
    pub service: &'c Service,
    /// The identifiers the inventory named it by.
    pub spellings: BTreeSet<String>,
    /// Rows that a resource rule gave to this service, by the rule in words
    /// (`resource type AWS::EC2::Volume`); rows found by their identifier alone are not listed.
    pub resolved_by: BTreeMap<String, u64>,
    /// Accounts it is used in.
    pub accounts: BTreeSet<String>,
    /// Regions it is used in.
    pub regions: BTreeSet<String>,
    /// Owner teams and how many resources each owns.
    pub teams: BTreeMap<String, u64>,
    /// Environments.
    pub environments: BTreeSet<String>,
    /// Data classifications.
    pub classifications: BTreeSet<String>,
    /// Inventory rows.
    pub rows: u64,
    /// Resources.
    pub resources: u64,
    /// Resources without an owner team.
    pub unowned_resources: u64,
    /// Resources whose data classification counts as sensitive.
    pub sensitive_resources: u64,
    /// Responsibilities, one per catalog control, in catalog order.
    pub responsibilities: Vec<AssessedResponsibility<'c>>,
}

/// A service's responsibility for one control.
#[derive(Debug, Clone, Serialize)]
pub struct AssessedResponsibility<'c> {
    /// The control.
    pub control: &'c Control,
    /// The resolved responsibility.
    pub responsibility: &'c Responsibility,
    /// Service statement or category default.
    pub basis: Basis,
    /// What the organisation policy says of it.
    pub policy: PolicyDecision,
}

/// An identifier the catalog does not know.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct UnmappedService {
    /// The identifier as written (trimmed).
    pub identifier: String,
    /// Rows that name it.
    pub rows: u64,
    /// Resources those rows stand for.
    pub resources: u64,
    /// Accounts it appears in.
    pub accounts: BTreeSet<String>,
    /// Inputs it appears in.
    pub inputs: BTreeSet<String>,
}

/// The unmapped identifiers beyond [`MAX_UNMAPPED_LISTED`], counted together (all zero when
/// every unmapped identifier is listed).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnmappedOthers {
    /// Distinct identifiers not listed (exact).
    pub identifiers: u64,
    /// Rows that name them.
    pub rows: u64,
    /// Resources those rows stand for (a resource id under several of them counts once).
    pub resources: u64,
    /// Resources of theirs without an owner team, per identifier × account × region added up
    /// (as [`Assessment::unowned`] counts them; those entries are not listed there).
    pub unowned_resources: u64,
}

/// Rows of billing codes that are not services, per group.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct NonServiceCharges {
    /// Group id (`data-transfer`).
    pub group: String,
    /// Group title.
    pub title: String,
    /// Rows.
    pub rows: u64,
    /// The codes as written.
    pub codes: BTreeSet<String>,
    /// Accounts.
    pub accounts: BTreeSet<String>,
}

/// Resources without an owner team, per service × account × region.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct UnownedResources {
    /// Canonical service id, or the raw identifier when unmapped.
    pub service: String,
    /// Account id.
    pub account_id: String,
    /// Region.
    pub region: String,
    /// How many resources.
    pub resources: u64,
    /// Up to [`UNOWNED_SAMPLES`] example resource ids (with their type when known).
    pub examples: Vec<String>,
}

/// The assessment of an inventory against the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment<'c> {
    /// One summary per input, in the order read.
    pub inputs: Vec<InputSummary>,
    /// Services in use, sorted by category, then id.
    pub services: Vec<ServiceUse<'c>>,
    /// Identifiers that could not be mapped, sorted; at most [`MAX_UNMAPPED_LISTED`] of them.
    pub unmapped: Vec<UnmappedService>,
    /// Unmapped identifiers beyond those listed, counted together.
    pub unmapped_others: UnmappedOthers,
    /// Billing codes that are not services, per group in catalog order.
    pub non_service: Vec<NonServiceCharges>,
    /// Resources with no owner team, sorted.
    pub unowned: Vec<UnownedResources>,
    /// Every account seen.
    pub accounts: BTreeSet<String>,
    /// Account names, for the accounts an input named.
    pub account_names: BTreeMap<String, String>,
    /// Every region seen.
    pub regions: BTreeSet<String>,
    /// Every owner team seen.
    pub teams: BTreeSet<String>,
    /// Findings, sorted by severity, code and subject.
    pub findings: Vec<Finding>,
}

impl Assessment<'_> {
    /// Services in use per category.
    pub fn services_by_category(&self) -> BTreeMap<Category, usize> {
        let mut out: BTreeMap<Category, usize> = Category::ALL.iter().map(|&c| (c, 0)).collect();
        for s in &self.services {
            *out.entry(s.service.category).or_default() += 1;
        }
        out
    }

    /// Total data rows over all inputs.
    pub fn total_rows(&self) -> u64 {
        self.inputs.iter().map(|i| i.rows).sum()
    }

    /// Total rows mapped to a service.
    pub fn mapped_rows(&self) -> u64 {
        self.inputs.iter().map(|i| i.mapped_rows).sum()
    }
}

/// A union of groups whose resources are counted together (see `finish_with`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ResourceUnion<'a> {
    Service(usize),
    Unmapped(&'a str),
    Others,
}

impl AssessmentBuilder {
    /// Resolves every distinct identifier against the catalog and builds the assessment, with the
    /// default [`AssessOptions`].
    pub fn finish(self, catalog: &Catalog) -> Assessment<'_> {
        self.finish_with(catalog, &AssessOptions::default())
    }

    /// Resolves every distinct identifier against the catalog and builds the assessment.
    pub fn finish_with<'c>(
        mut self,
        catalog: &'c Catalog,
        options: &AssessOptions,
    ) -> Assessment<'c> {
        self.settle();
        // The groups' distinct ids, taken out of their tallies, counted below.
        let sets = self.groups.len() + self.waiting.len();
        let mut id_sets: Vec<(u32, DistinctIds)> = Vec::with_capacity(sets);
        for (g, t) in self.groups.tallies.iter_mut().enumerate() {
            id_sets.push((g as u32, std::mem::take(&mut t.distinct)));
        }
        id_sets.extend(
            std::mem::take(&mut self.waiting)
                .into_iter()
                .map(|(g, d)| (g as u32, d)),
        );
        id_sets.retain(|(_, d)| d.len() > 0);
        let mut inputs: Vec<InputSummary> = self
            .inputs
            .iter()
            .map(|t| InputSummary {
                name: t.name.clone(),
                format: t.format.clone(),
                rows: t.rows,
                blank_service_rows: t.blank_service_rows,
                non_resource_rows: t.non_resource_rows,
                out_of_scope_rows: t.out_of_scope_rows,
                other_provider_rows: t.other_provider_rows.to_map(),
                line_item_types: t.line_item_types.to_map(),
                ragged_rows: t.ragged_rows,
                duplicate_columns: t.duplicate_columns.clone(),
                sha256: t.sha256.clone(),
                bytes: t.bytes,
                ..InputSummary::default()
            })
            .collect();
        let mut resolved: HashMap<&str, Option<Identified>> = HashMap::default();
        let mut non_service: BTreeMap<usize, NonServiceCharges> = BTreeMap::new();
        let mut uses: BTreeMap<usize, ServiceUse<'_>> = BTreeMap::new();
        let mut unmapped: BTreeMap<String, UnmappedService> = BTreeMap::new();
        let mut others = UnmappedOthers::default();
        let mut accounts = BTreeSet::new();
        let mut regions = BTreeSet::new();
        let mut teams = BTreeSet::new();

        let tallies = &self.groups.tallies;
        // Every group's fields, in the order of their keys.
        // (Kept as text and split where used: an array of fields per group would take five
        // times the memory, at the moment the process peaks.)
        let threads = self.finish_threads.unwrap_or(self.forks_merged.max(1));
        let by_text = sorted_by_key(self.groups.positions().collect(), threads);
        // The loops below walk the groups in key order, and so their keys and tallies in no
        // order of memory: those of the group a few places ahead are fetched meanwhile.
        let keys = || {
            by_text.iter().enumerate().filter_map(|(i, &(key, g))| {
                if let Some(&(next, h)) = by_text.get(i + builder::FETCH_AHEAD) {
                    if let Some(first) = next.as_bytes().first() {
                        builder::prefetch(first);
                    }
                    if let Some(t) = tallies.get(h) {
                        builder::prefetch(t);
                    }
                }
                Some((group_fields(key)?, g))
            })
        };
        // Each identifier resolved once; the unmapped ones listed are those with the most rows.
        let mut unmapped_rows: HashMap<&str, u64> = HashMap::default();
        // A resource rule, by its key field (index plus one), and the service it gives.
        let rules = catalog.resolver().rules();
        let by_rule = |field: &str| {
            let r = field.parse::<usize>().ok()?.checked_sub(1)?;
            rules
                .get(r)
                .filter(|rule| rule.service < catalog.services.len())
        };
        for ([_, service, rule, ..], g) in keys() {
            let tally = &tallies[g];
            if by_rule(rule).is_some() {
                continue;
            }
            let found = *resolved
                .entry(service)
                .or_insert_with(|| catalog.identify(service));
            if found.is_none() {
                *unmapped_rows.entry(service).or_default() += tally.rows;
            }
        }
        let listed: HashSet<&str> = if unmapped_rows.len() <= MAX_UNMAPPED_LISTED {
            unmapped_rows.keys().copied().collect()
        } else {
            let mut by_rows: Vec<(&str, u64)> =
                unmapped_rows.iter().map(|(&k, &n)| (k, n)).collect();
            by_rows.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            others.identifiers = (by_rows.len() - MAX_UNMAPPED_LISTED) as u64;
            by_rows.truncate(MAX_UNMAPPED_LISTED);
            by_rows.into_iter().map(|(k, _)| k).collect()
        };
        drop(unmapped_rows);
        // Distinct resource ids: per group, and per union of groups. A resource billed under
        // several groups (its tags changed during the period) counts once per input ×
        // identifier, per service over all its spellings and inputs, per unmapped identifier, and
        // per service × account × Region without an owner team.
        let groups = tallies.len();
        let mut input_slot = vec![distinct::NO_SLOT; groups];
        let mut input_slots: BTreeMap<(usize, &str), u32> = BTreeMap::new();
        let mut service_slot = vec![distinct::NO_SLOT; groups];
        let mut service_slots: BTreeMap<ResourceUnion<'_>, u32> = BTreeMap::new();
        let mut unowned_slot = vec![distinct::NO_SLOT; groups];
        let mut unowned_slots: HashMap<String, u32> = HashMap::default();
        let mut unowned_key = String::new();
        // Groups come in key order: most repeat the previous group's input, identifier and rule,
        // whose slots are then taken without a search of the maps.
        let mut last: Option<(&str, &str, &str, u32, Option<u32>)> = None;
        for (fields, g) in keys() {
            let [input, service, rule, account, region, team, ..] = fields;
            let (in_slot, union_slot) = match last {
                Some((i, s, r, in_slot, union_slot)) if (i, s, r) == (input, service, rule) => {
                    (in_slot, union_slot)
                }
                _ => {
                    let n: usize = input.parse().unwrap_or_default();
                    let next = input_slots.len() as u32;
                    let in_slot = *input_slots.entry((n, service)).or_insert(next);
                    let found = match by_rule(rule) {
                        Some(r) => Some(Identified::Service(r.service)),
                        None => resolved.get(service).copied().flatten(),
                    };
                    let union = match found {
                        Some(Identified::Service(i)) => Some(ResourceUnion::Service(i)),
                        Some(Identified::Billing(_)) => None,
                        None if listed.contains(service) => Some(ResourceUnion::Unmapped(service)),
                        None => Some(ResourceUnion::Others),
                    };
                    let union_slot = union.map(|union| {
                        let next = service_slots.len() as u32;
                        *service_slots.entry(union).or_insert(next)
                    });
                    last = Some((input, service, rule, in_slot, union_slot));
                    (in_slot, union_slot)
                }
            };
            input_slot[g] = in_slot;
            let Some(union_slot) = union_slot else {
                continue;
            };
            service_slot[g] = union_slot;
            if team.is_empty() {
                unowned_key.clear();
                for f in [service, rule, account, region] {
                    push_field(&mut unowned_key, f);
                }
                let next = unowned_slots.len() as u32;
                unowned_slot[g] = match unowned_slots.get(unowned_key.as_str()) {
                    Some(&slot) => slot,
                    None => *unowned_slots.entry(unowned_key.clone()).or_insert(next),
                };
            }
        }
        let projections = [
            distinct::Projection {
                slot_of_group: &input_slot,
                slots: input_slots.len(),
            },
            distinct::Projection {
                slot_of_group: &service_slot,
                slots: service_slots.len(),
            },
            distinct::Projection {
                slot_of_group: &unowned_slot,
                slots: unowned_slots.len(),
            },
        ];
        let counted = distinct::count(id_sets, groups, &projections, threads);
        let resources_of = |g: usize| tallies[g].resources.saturating_add(counted.per_group[g]);
        // Explicit counts (`resource_count`) of each union, plus its distinct ids.
        let mut input_explicit = vec![0u64; input_slots.len()];
        let mut service_explicit = vec![0u64; service_slots.len()];
        for (g, t) in tallies.iter().enumerate() {
            for (slot, explicit) in [
                (input_slot[g], &mut input_explicit),
                (service_slot[g], &mut service_explicit),
            ] {
                if slot != distinct::NO_SLOT {
                    let e = &mut explicit[slot as usize];
                    *e = e.saturating_add(t.resources);
                }
            }
        }

        // The previous group's account, Region and team, and the service use it went to with its
        // spelling, account, Region, environment and classification: groups come in key order,
        // so most groups repeat most of them, and a set is searched only for a new value.
        let mut last_fields = ["", "", ""];
        let mut last_use: Option<(usize, [&str; 5])> = None;
        // The previous group's input, identifier and rule fields, and what they gave; and its
        // classification, and whether that is sensitive.
        let mut last_service = None;
        let mut last_class = None;
        for (
            [
                input_field,
                service,
                rule_field,
                account,
                region,
                team,
                env,
                class,
            ],
            g,
        ) in keys()
        {
            let tally = &tallies[g];
            let (input, rule, found) = match last_service {
                Some((i, s, r, resolved_as)) if (i, s, r) == (input_field, service, rule_field) => {
                    resolved_as
                }
                _ => {
                    let rule = by_rule(rule_field);
                    let input: usize = input_field.parse().unwrap_or_default();
                    let found = match rule {
                        Some(r) => Some(Identified::Service(r.service)),
                        None => *resolved
                            .entry(service)
                            .or_insert_with(|| catalog.identify(service)),
                    };
                    last_service = Some((input_field, service, rule_field, (input, rule, found)));
                    (input, rule, found)
                }
            };
            let summary = &mut inputs[input];
            summary.blank_resource_ids += tally.blank_resource_ids;
            for ((set, v), last) in [
                (&mut accounts, account),
                (&mut regions, region),
                (&mut teams, team),
            ]
            .into_iter()
            .zip(&mut last_fields)
            {
                if !v.is_empty() && v != *last {
                    insert_text(set, v);
                }
                *last = v;
            }
            if let Some(Identified::Billing(b)) = found {
                summary.non_service_rows += tally.rows;
                let code = &catalog.billing_codes[b];
                let group = &catalog.billing_groups[code.group];
                let n = non_service
                    .entry(code.group)
                    .or_insert_with(|| NonServiceCharges {
                        group: group.id.clone(),
                        title: group.title.clone(),
                        rows: 0,
                        codes: BTreeSet::new(),
                        accounts: BTreeSet::new(),
                    });
                n.rows += tally.rows;
                insert_text(&mut n.codes, service);
                if !account.is_empty() {
                    insert_text(&mut n.accounts, account);
                }
                continue;
            }
            let Some(Identified::Service(idx)) = found else {
                summary.unmapped_rows += tally.rows;
                if !listed.contains(service) {
                    others.rows += tally.rows;
                    continue;
                }
                let u = unmapped
                    .entry(service.to_owned())
                    .or_insert_with(|| UnmappedService {
                        identifier: service.to_owned(),
                        rows: 0,
                        resources: 0,
                        accounts: BTreeSet::new(),
                        inputs: BTreeSet::new(),
                    });
                u.rows += tally.rows;
                if !account.is_empty() {
                    insert_text(&mut u.accounts, account);
                }
                insert_text(&mut u.inputs, &summary.name);
                continue;
            };
            summary.mapped_rows += tally.rows;
            let u = uses
                .entry(idx)
                .or_insert_with(|| new_use(catalog, idx, options));
            let values = [service, account, region, env, class];
            let before = match last_use.replace((idx, values)) {
                Some((i, before)) if i == idx => before,
                _ => [""; 5],
            };
            if let Some(r) = rule {
                *u.resolved_by.entry(r.describe()).or_default() += tally.rows;
            }
            u.rows += tally.rows;
            for ((set, v), last) in [
                &mut u.spellings,
                &mut u.accounts,
                &mut u.regions,
                &mut u.environments,
                &mut u.classifications,
            ]
            .into_iter()
            .zip(values)
            .zip(before)
            {
                if !v.is_empty() && v != last {
                    insert_text(set, v);
                }
            }
            let sensitive = match last_class {
                Some((c, sensitive)) if c == class => sensitive,
                _ => {
                    let sensitive = !class.is_empty() && options.is_sensitive(class);
                    last_class = Some((class, sensitive));
                    sensitive
                }
            };
            if sensitive {
                u.sensitive_resources = u.sensitive_resources.saturating_add(resources_of(g));
            }
            if team.is_empty() {
                u.unowned_resources = u.unowned_resources.saturating_add(resources_of(g));
            } else {
                let n = match u.teams.get_mut(team) {
                    Some(n) => n,
                    None => u.teams.entry(team.to_owned()).or_default(),
                };
                *n = n.saturating_add(resources_of(g));
            }
        }

        for (&(input, _), &slot) in &input_slots {
            if let Some(summary) = inputs.get_mut(input) {
                let n = input_explicit[slot as usize]
                    .saturating_add(counted.per_slot[0][slot as usize]);
                summary.resources = summary.resources.saturating_add(n);
            }
        }
        for (union, &slot) in &service_slots {
            let n =
                service_explicit[slot as usize].saturating_add(counted.per_slot[1][slot as usize]);
            match union {
                ResourceUnion::Service(i) => {
                    if let Some(u) = uses.get_mut(i) {
                        u.resources = n;
                    }
                }
                ResourceUnion::Unmapped(ident) => {
                    if let Some(u) = unmapped.get_mut(*ident) {
                        u.resources = n;
                    }
                }
                ResourceUnion::Others => others.resources = n,
            }
        }

        let mut raw_unowned: Vec<(Box<str>, UnownedTally)> = self.unowned.into_iter().collect();
        raw_unowned.sort_by(|a, b| a.0.cmp(&b.0));
        let mut unowned: Vec<UnownedResources> = raw_unowned
            .into_iter()
            .filter_map(|(key, t)| {
                let f = split_fields(&key);
                let [service, rule, account, region] = f[..] else {
                    return None;
                };
                let distinct = unowned_slots
                    .get(&*key)
                    .map_or(0, |&slot| counted.per_slot[2][slot as usize]);
                let resources = t.resources.saturating_add(distinct);
                let found = match by_rule(rule) {
                    Some(r) => Some(Identified::Service(r.service)),
                    None => resolved.get(service).copied().flatten(),
                };
                let service = match found {
                    Some(Identified::Service(i)) => catalog.services[i].id.clone(),
                    Some(Identified::Billing(_)) => return None,
                    None if listed.contains(service) => service.to_owned(),
                    None => {
                        others.unowned_resources =
                            others.unowned_resources.saturating_add(resources);
                        return None;
                    }
                };
                Some(UnownedResources {
                    service,
                    account_id: account.to_owned(),
                    region: region.to_owned(),
                    resources,
                    examples: t.examples.into_vec(),
                })
            })
            .collect();
        // Stable: entries of one service × account × region keep the order of their raw keys.
        unowned.sort_by(|a, b| {
            (&a.service, &a.account_id, &a.region).cmp(&(&b.service, &b.account_id, &b.region))
        });
        // Two raw spellings of one service may land in the same service × account × region.
        unowned.dedup_by(|b, a| {
            if (&a.service, &a.account_id, &a.region) == (&b.service, &b.account_id, &b.region) {
                a.resources = a.resources.saturating_add(b.resources);
                a.examples.append(&mut b.examples);
                a.examples.sort();
                a.examples.dedup();
                a.examples.truncate(UNOWNED_SAMPLES);
                true
            } else {
                false
            }
        });

        let mut services: Vec<ServiceUse<'_>> = uses.into_values().collect();
        services.sort_by(|a, b| {
            (a.service.category, &a.service.id).cmp(&(b.service.category, &b.service.id))
        });
        let unmapped: Vec<UnmappedService> = unmapped.into_values().collect();
        let findings = findings(
            catalog,
            options,
            &self.inputs,
            &services,
            &unmapped,
            &others,
        );
        Assessment {
            inputs,
            services,
            unmapped,
            unmapped_others: others,
            non_service: non_service.into_values().collect(),
            unowned,
            accounts,
            account_names: self
                .account_names
                .into_iter()
                .map(|(account, (_, _, name))| (account, name))
                .collect(),
            regions,
            teams,
            findings,
        }
    }
}

/// Adds `v` to `set`, allocating only when it is new (most groups repeat their neighbours'
/// accounts, Regions and teams).
/// `keys` (distinct texts, each with a position) sorted by text: in two halves on two threads
/// when `threads` allows and there are enough, then merged by the standard library's stable sort,
/// which finds the two sorted runs and merges them in one pass. Keys are distinct, so the order is
/// the same however they are sorted.
fn sorted_by_key(mut keys: Vec<(&str, usize)>, threads: usize) -> Vec<(&str, usize)> {
    if threads < 2 || keys.len() < builder::PARALLEL_FROM {
        keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
        return keys;
    }
    let middle = keys.len() / 2;
    let (left, right) = keys.split_at_mut(middle);
    distinct::on_threads(vec![left, right], |half| {
        half.sort_unstable_by(|a, b| a.0.cmp(b.0))
    });
    keys.sort_by(|a, b| a.0.cmp(b.0));
    keys
}

fn insert_text(set: &mut BTreeSet<String>, v: &str) {
    if !set.contains(v) {
        set.insert(v.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogSources;

    proptest::proptest! {
        // Few cases: each draws thousands of keys, to reach the parallel sort.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        #[test]
        fn keys_sorted_on_threads_are_sorted_as_on_one(
            keys in proptest::collection::btree_set("[a-c\u{1f}]{0,12}", 0..9_000),
            threads in 1usize..4,
        ) {
            // Distinct keys, in an order that is not theirs (shorter ones last).
            let mut given: Vec<(&str, usize)> =
                keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
            given.sort_by_key(|&(k, i)| (std::cmp::Reverse(k.len()), i));
            let mut expected = given.clone();
            expected.sort_unstable_by(|a, b| a.0.cmp(b.0));
            proptest::prop_assert_eq!(sorted_by_key(given, threads), expected);
        }
    }

    /// A record of one resource (`resource_count` 1) in eu-west-1.
    fn rec<'a>(
        line: u64,
        service: &'a str,
        account: &'a str,
        team: &'a str,
        id: &'a str,
    ) -> InventoryRecord<'a> {
        InventoryRecord {
            line,
            service,
            account_id: account,
            region: "eu-west-1",
            resource_id: id,
            owner_team: team,
            resource_count: Some(1),
            ..InventoryRecord::default()
        }
    }

    /// A catalog of two services, S3 and EC2, without statements or resource rules.
    pub(super) fn catalog() -> Catalog {
        let mut s = CatalogSources::builtin();
        s.services.text = "id,name,category,iam_prefixes,billing_codes\n\
            s3,Amazon Simple Storage Service,abstracted,s3,AmazonS3\n\
            ec2,Amazon Elastic Compute Cloud,infrastructure,ec2,AmazonEC2\n"
            .into();
        s.statements.text = String::new();
        s.resource_types.text = String::new();
        s.aws_components.text = String::new();
        Catalog::load(&s).unwrap()
    }

    #[test]
    fn aggregates_spellings_of_one_service() {
        let cat = catalog();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        b.add(i, &rec(2, "s3", "111", "web", "b1"));
        b.add(i, &rec(3, "AmazonS3", "222", "web", "b2"));
        b.add(
            i,
            &rec(4, "Amazon Simple Storage Service", "111", "data", "b3"),
        );
        let a = b.finish(&cat);
        assert_eq!(a.services.len(), 1);
        let s3 = &a.services[0];
        assert_eq!(s3.service.id, "s3");
        assert_eq!(s3.rows, 3);
        assert_eq!(s3.resources, 3);
        assert_eq!(s3.accounts.iter().collect::<Vec<_>>(), ["111", "222"]);
        assert_eq!(s3.teams.get("web"), Some(&2));
        assert_eq!(s3.spellings.len(), 3);
        assert_eq!(s3.responsibilities.len(), cat.controls.len());
        assert_eq!(a.inputs[0].mapped_rows, 3);
    }

    /// Groups come to the services pass in key order, and a set is searched only for a value
    /// the previous group did not have: each service still lists every account, Region,
    /// spelling, environment and classification of its own groups, including those the
    /// service before it ended with.
    #[test]
    fn each_service_lists_its_own_accounts_regions_and_spellings() {
        let cat = catalog();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        let row = |line, service, account, region, env| InventoryRecord {
            line,
            service,
            account_id: account,
            region,
            environment: env,
            data_classification: "internal",
            resource_count: Some(1),
            ..InventoryRecord::default()
        };
        b.add(i, &row(2, "ec2", "111", "eu-west-1", "prod"));
        b.add(i, &row(3, "s3", "111", "eu-west-1", "prod"));
        b.add(i, &row(4, "s3", "222", "eu-west-1", "prod"));
        b.add(i, &row(5, "AmazonS3", "222", "us-east-1", "dev"));
        b.add(i, &row(6, "ec2", "222", "us-east-1", "dev"));
        let a = b.finish(&cat);
        let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>();
        let by_id = |id: &str| a.services.iter().find(|s| s.service.id == id).unwrap();
        let (ec2, s3) = (by_id("ec2"), by_id("s3"));
        assert_eq!(list(&ec2.accounts), ["111", "222"]);
        assert_eq!(list(&s3.accounts), ["111", "222"]);
        assert_eq!(list(&ec2.regions), ["eu-west-1", "us-east-1"]);
        assert_eq!(list(&s3.regions), ["eu-west-1", "us-east-1"]);
        assert_eq!(list(&s3.spellings), ["AmazonS3", "s3"]);
        assert_eq!(list(&ec2.environments), ["dev", "prod"]);
        assert_eq!(list(&s3.environments), ["dev", "prod"]);
        assert_eq!(list(&s3.classifications), ["internal"]);
        assert_eq!(list(&a.accounts), ["111", "222"]);
        assert_eq!(list(&a.regions), ["eu-west-1", "us-east-1"]);
    }

    #[test]
    fn every_row_is_counted_once() {
        let cat = catalog();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        let j = b.start_input("b.csv", "native");
        b.add(i, &rec(2, "ec2", "111", "", "i-1"));
        b.add(i, &rec(3, "Contoso Thing", "111", "web", "x"));
        b.add(j, &rec(2, "", "111", "web", "x"));
        b.add(j, &rec(3, "Contoso Thing", "222", "web", ""));
        b.add(j, &rec(4, "ec2", "111", "", "i-2"));
        let a = b.finish(&cat);
        for s in &a.inputs {
            assert_eq!(s.rows, s.accounted_rows(), "{}", s.name);
        }
        assert_eq!(a.total_rows(), 5);
        assert_eq!(a.unmapped.len(), 1);
        assert_eq!(a.unmapped[0].rows, 2);
        assert_eq!(a.unmapped[0].inputs.len(), 2);
        assert_eq!(a.inputs[1].blank_resource_ids, 1);
        assert_eq!(
            a.unowned.len(),
            1,
            "two inputs, one service × account × region"
        );
        assert_eq!(a.unowned[0].resources, 2);
        assert_eq!(a.unowned[0].examples, ["i-1", "i-2"]);
        let codes: Vec<_> = a.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            ["blank-service", "unmapped-service", "unowned-resources"]
        );
        assert!(
            a.findings[0].message.contains("line 2"),
            "{}",
            a.findings[0].message
        );
    }

    #[test]
    fn row_kinds_and_billing_codes_are_counted_apart() {
        let mut s = CatalogSources::builtin();
        s.services.text =
            "id,name,category,billing_codes\ns3,Amazon S3,abstracted,AmazonS3\n".into();
        s.statements.text = String::new();
        s.resource_types.text = String::new();
        s.aws_components.text = String::new();
        s.billing.text =
            "code,group,name\nAWSDataTransfer,data-transfer,AWS Data Transfer\n".into();
        let cat = Catalog::load(&s).unwrap();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("cur.csv", "cur");
        let usage = InventoryRecord {
            line_item_type: "Usage",
            ..rec(2, "AmazonS3", "1", "t", "b")
        };
        b.add(i, &usage);
        b.add(
            i,
            &InventoryRecord {
                line_item_type: "Usage",
                ..rec(3, "AWSDataTransfer", "1", "", "")
            },
        );
        b.add(
            i,
            &InventoryRecord {
                kind: RowKind::NonResource,
                line_item_type: "Tax",
                ..rec(4, "AmazonS3", "1", "", "")
            },
        );
        b.add(
            i,
            &InventoryRecord {
                kind: RowKind::OtherProvider("Microsoft"),
                ..rec(5, "Virtual Machines", "", "", "")
            },
        );
        let a = b.finish(&cat);
        let s = &a.inputs[0];
        assert_eq!(
            (
                s.rows,
                s.mapped_rows,
                s.non_service_rows,
                s.non_resource_rows
            ),
            (4, 1, 1, 1)
        );
        assert_eq!(s.other_provider_rows.get("Microsoft"), Some(&1));
        assert_eq!(s.line_item_types.get("Usage"), Some(&2));
        assert_eq!(s.line_item_types.get("Tax"), Some(&1));
        assert_eq!(s.accounted_rows(), s.rows);
        assert_eq!(a.non_service.len(), 1);
        assert_eq!(a.non_service[0].group, "data-transfer");
        assert!(
            a.unmapped.is_empty(),
            "a billing code is not an unmapped service"
        );
        assert!(
            a.unowned.is_empty(),
            "non-service rows are not unowned resources"
        );
    }

    #[test]
    fn the_group_limit_stops_aggregating_and_says_where() {
        let mut b = AssessmentBuilder::new();
        b.set_max_groups(2);
        let i = b.start_input("a.csv", "native");
        b.add(i, &rec(2, "s3", "1", "t", "x"));
        b.add(i, &rec(3, "s3", "2", "t", "x"));
        b.add(i, &rec(4, "s3", "1", "t", "y"));
        assert_eq!(
            b.limit_exceeded(),
            None,
            "an existing group takes more rows"
        );
        b.add(i, &rec(5, "s3", "3", "t", "z"));
        assert_eq!(b.limit_exceeded(), Some(("a.csv".to_owned(), 5)));
    }

    #[test]
    fn unmapped_identifiers_past_the_cap_are_counted_together() {
        let cat = catalog();
        let extra = 7;
        let n = MAX_UNMAPPED_LISTED + extra;
        // Identifier i names one row, or two when i is a multiple of 3; `s3` rows are mapped.
        let mut rows = Vec::new();
        for i in 0..n {
            let ident = format!("Unknown{i:05}");
            for k in 0..(1 + usize::from(i % 3 == 0)) {
                rows.push((ident.clone(), format!("r{i}-{k}")));
            }
            if i % 1000 == 0 {
                rows.push(("s3".to_owned(), format!("b{i}")));
            }
        }
        let add = |b: &mut AssessmentBuilder, input: usize, at: usize| {
            let (ident, id) = &rows[at];
            b.add(input, &rec(at as u64 + 2, ident, "1", "", id));
        };
        let mut one = AssessmentBuilder::new();
        let i = one.start_input("a.csv", "native");
        for at in 0..rows.len() {
            add(&mut one, i, at);
        }
        let a = one.finish(&cat);
        assert_eq!(a.unmapped.len(), MAX_UNMAPPED_LISTED);
        let twice = n.div_ceil(3);
        let others = &a.unmapped_others;
        assert_eq!(others.identifiers, extra as u64);
        assert_eq!(
            (others.rows, others.resources, others.unowned_resources),
            (extra as u64, extra as u64, extra as u64)
        );
        assert_eq!(a.unowned.len(), MAX_UNMAPPED_LISTED + 1, "listed and s3");
        // The listed are those with the most rows, then the first by identifier: the unlisted
        // are the last identifiers naming one row.
        assert_eq!(a.unmapped.iter().filter(|u| u.rows == 2).count(), twice);
        let unlisted: Vec<String> = (0..n)
            .filter(|i| i % 3 != 0)
            .map(|i| format!("Unknown{i:05}"))
            .rev()
            .take(extra)
            .collect();
        assert!(a.unmapped.iter().all(|u| !unlisted.contains(&u.identifier)));
        // Every row still accounted for, and exactly.
        let s = &a.inputs[0];
        assert_eq!(s.rows, s.accounted_rows());
        assert_eq!(s.unmapped_rows, (n + twice) as u64);
        let f: Vec<&Finding> = a
            .findings
            .iter()
            .filter(|f| f.code == "unmapped-service")
            .collect();
        assert_eq!(f.len(), MAX_UNMAPPED_LISTED + 1);
        let f = f
            .iter()
            .find(|f| f.subject == "other unmapped identifiers")
            .unwrap();
        assert_eq!(f.count, extra as u64);
        assert!(
            f.message.starts_with(&format!(
                "7 row(s) (7 resource(s)) name 7 more identifier(s) the catalog does not know, beyond the {MAX_UNMAPPED_LISTED} listed"
            )),
            "{}",
            f.message
        );
        // The same over three forks fed in reverse chunks.
        let mut merged = AssessmentBuilder::new();
        let j = merged.start_input("a.csv", "native");
        let mut forks = [merged.fork(), merged.fork(), merged.fork()];
        let starts: Vec<usize> = (0..rows.len()).step_by(997).collect();
        for (k, &from) in starts.iter().enumerate().rev() {
            for at in from..(from + 997).min(rows.len()) {
                add(&mut forks[k % 3], j, at);
            }
        }
        for f in forks {
            merged.merge(f);
        }
        let b = merged.finish(&cat);
        assert_eq!(b.unmapped_others, a.unmapped_others);
        assert_eq!(format!("{:?}", b.unmapped), format!("{:?}", a.unmapped));
        assert_eq!(b.findings, a.findings);
    }

    #[test]
    fn malformed_tags_are_a_finding_naming_input_rows_and_first_line() {
        let cat = catalog();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("focus.csv", "focus");
        let j = b.start_input("clean.csv", "focus");
        b.add(i, &rec(2, "s3", "1", "", "x"));
        b.add(j, &rec(2, "s3", "1", "", "y"));
        b.input_malformed_tags(i, 3, Some(7));
        b.input_malformed_tags(j, 0, None);
        let a = b.finish(&cat);
        let found: Vec<&Finding> = a
            .findings
            .iter()
            .filter(|f| f.code == "malformed-tags")
            .collect();
        assert_eq!(found.len(), 1, "{:?}", a.findings);
        let f = found[0];
        assert_eq!(
            (f.subject.as_str(), f.count, f.severity),
            ("focus.csv", 3, Severity::Medium)
        );
        assert!(
            f.message.starts_with(
                "3 row(s) of focus.csv have a tags cell that is not a JSON object or list, first on line 7;"
            ),
            "{}",
            f.message
        );
        assert_eq!(
            a.inputs[0].rows,
            a.inputs[0].accounted_rows(),
            "rows still counted"
        );
    }

    #[test]
    fn resource_counts_past_u64_are_an_overflow_never_a_wrapped_total() {
        let cat = catalog();
        let counted = |line, service, n| InventoryRecord {
            resource_count: Some(n),
            ..rec(line, service, "1", "", "")
        };
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        b.add(i, &counted(2, "s3", u64::MAX - 1));
        b.add(i, &counted(3, "ec2", 1));
        assert_eq!(b.resources_overflow(), None, "exactly u64::MAX is a count");
        b.add(i, &counted(4, "Contoso Thing", 1));
        assert_eq!(b.resources_overflow(), Some("a.csv"));
        // Summing up never wraps (nor panics in a debug build).
        let a = b.finish(&cat);
        assert!(a.inputs[0].resources >= u64::MAX - 1);
        // The same rows over forks, each under the limit alone, and in one group: found when
        // the forks are merged.
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        let (mut f1, mut f2) = (b.fork(), b.fork());
        f1.add(i, &counted(2, "s3", u64::MAX));
        f2.add(i, &counted(3, "s3", 1));
        assert_eq!(
            (f1.resources_overflow(), f2.resources_overflow()),
            (None, None)
        );
        b.merge(f2);
        b.merge(f1);
        assert_eq!(b.resources_overflow(), Some("a.csv"));
        let a = b.finish(&cat);
        assert_eq!(
            a.services[0].resources,
            u64::MAX,
            "saturated, not wrapped to 0"
        );
        // Over two inputs, each fine alone: the second is named.
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        let j = b.start_input("b.csv", "native");
        b.add(i, &counted(2, "s3", 1 << 63));
        b.add(j, &counted(2, "s3", 1 << 62));
        assert_eq!(b.resources_overflow(), None);
        b.add(j, &counted(3, "ec2", 1 << 62));
        assert_eq!(b.resources_overflow(), Some("b.csv"));
        let a = b.finish(&cat);
        assert_eq!(a.services.len(), 2);
        // Rows without a count add one each to the bound (their distinct ids).
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        b.add(i, &counted(2, "s3", u64::MAX));
        b.add(
            i,
            &InventoryRecord {
                resource_count: None,
                ..rec(3, "s3", "1", "", "x")
            },
        );
        assert_eq!(b.resources_overflow(), Some("a.csv"));
    }

    /// Rows spread over forks in chunks, read in any order, then merged: the same assessment as
    /// one builder reading them in order, group limit included.
    #[test]
    fn sensitive_data_on_customer_protected_services_is_called_out() {
        let cat = catalog();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        let mut r = rec(2, "s3", "1", "t", "x");
        r.data_classification = "Restricted";
        b.add(i, &r);
        b.add(i, &rec(3, "ec2", "1", "t", "y"));
        let a = b.finish(&cat);
        let s3 = a.services.iter().find(|s| s.service.id == "s3").unwrap();
        assert_eq!(s3.sensitive_resources, 1);
        let expect_finding = s3.responsibilities.iter().any(|r| {
            r.responsibility.owner.customer_acts() && cat.domain_protects_data(&r.control.domain)
        });
        let found: Vec<_> = a
            .findings
            .iter()
            .filter(|f| f.code == "sensitive-data-customer-controls")
            .collect();
        assert_eq!(found.len(), usize::from(expect_finding));
        if let Some(f) = found.first() {
            assert_eq!(f.subject, "s3");
            assert!(f.message.contains("Restricted data"), "{}", f.message);
        }
        let strict = AssessOptions {
            sensitive_classifications: vec![],
            ..AssessOptions::default()
        };
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        b.add(i, &r);
        let a = b.finish_with(&cat, &strict);
        assert_eq!(a.services[0].sensitive_resources, 0);
    }

    /// A service's sensitive, unowned and per-team resources add each group's distinct resource
    /// ids to its explicit counts, whatever the number of threads that count the ids and however
    /// the rows were split between forks.
    #[test]
    fn shares_of_a_service_count_distinct_ids_and_explicit_counts() {
        let cat = catalog();
        let row = |line, team, class, id, count| {
            let mut r = rec(line, "s3", "1", team, id);
            r.data_classification = class;
            r.resource_count = count;
            r
        };
        let rows = [
            row(2, "a", "Restricted", "x", None),
            row(3, "a", "Restricted", "x", None),
            row(4, "a", "Restricted", "y", None),
            row(5, "", "", "z", None),
            row(6, "", "", "z", None),
            row(7, "", "", "w", None),
            row(8, "", "", "", Some(3)),
            row(9, "b", "", "", Some(4)),
            row(10, "b", "", "q", None),
        ];
        for threads in [1, 2, 3] {
            for split in [0, 2, 5, rows.len()] {
                let mut first = AssessmentBuilder::new();
                let mut second = AssessmentBuilder::new();
                let i = first.start_input("a.csv", "native");
                second.start_input("a.csv", "native");
                for (n, r) in rows.iter().enumerate() {
                    let b = if n < split { &mut first } else { &mut second };
                    b.add(i, r);
                }
                first.merge(second);
                first.set_finish_threads(threads);
                let a = first.finish(&cat);
                let s3 = &a.services[0];
                let at = format!("{threads} thread(s), split at {split}");
                assert_eq!(s3.sensitive_resources, 2, "{at}");
                assert_eq!(s3.unowned_resources, 2 + 3, "{at}");
                let teams: Vec<(&str, u64)> =
                    s3.teams.iter().map(|(t, &n)| (t.as_str(), n)).collect();
                assert_eq!(teams, [("a", 2), ("b", 4 + 1)], "{at}");
                assert_eq!(s3.resources, 2 + 2 + 3 + 4 + 1, "{at}");
            }
        }
    }

    #[test]
    fn services_sort_by_category_then_id() {
        let cat = catalog();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("a.csv", "native");
        b.add(i, &rec(2, "s3", "1", "t", "x"));
        b.add(i, &rec(3, "ec2", "1", "t", "y"));
        let a = b.finish(&cat);
        let ids: Vec<_> = a.services.iter().map(|s| s.service.id.as_str()).collect();
        assert_eq!(ids, ["ec2", "s3"]);
        assert_eq!(a.services_by_category()[&Category::Container], 0);
    }
}
