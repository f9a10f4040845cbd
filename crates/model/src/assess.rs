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
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use foldhash::fast::{FixedState, RandomState};

use serde::Serialize;

use crate::catalog::{Basis, Catalog, Control, Identified, Responsibility, Service};
use crate::distinct;
use crate::policy::{Policy, PolicyDecision, Scope};
use crate::resolve::{Resolver, ResourceFacts, TypeRules};
use crate::vocab::Category;

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

/// Hash maps of the hot path: foldhash, several times faster than SipHash on short keys. Group
/// keys come from inputs, so the seed is random per run (no chosen-collision slowdown); ids are
/// hashed with a fixed seed so that a blank id's group marker never depends on the run.
type HashMap<K, V> = std::collections::HashMap<K, V, RandomState>;
type HashSet<T> = std::collections::HashSet<T, RandomState>;

/// The fixed-seed hash of resource ids and group markers.
fn id_hash(value: impl Hash) -> u64 {
    FixedState::with_seed(0x5352_4d61_7472_6978).hash_one(value)
}

/// The distinct resource ids (their hashes) of one group. Most groups hold a handful, kept
/// inline in the space a hash set's header takes anyway: no allocation and no hashing for them
/// (a group has one per parsing thread, tens of thousands in all); more spill to a hash set.
#[derive(Debug, Clone)]
pub(crate) enum DistinctIds {
    Few { ids: [u64; FEW_IDS], len: u8 },
    Many(HashSet<u64>),
}

/// Ids kept inline by [`DistinctIds`].
const FEW_IDS: usize = 5;

impl Default for DistinctIds {
    fn default() -> Self {
        DistinctIds::Few {
            ids: [0; FEW_IDS],
            len: 0,
        }
    }
}

impl DistinctIds {
    pub(crate) fn insert(&mut self, id: u64) {
        match self {
            DistinctIds::Few { ids, len } => {
                let n = usize::from(*len);
                if ids[..n].contains(&id) {
                    return;
                }
                if n < FEW_IDS {
                    ids[n] = id;
                    *len += 1;
                } else {
                    let mut set =
                        HashSet::with_capacity_and_hasher(FEW_IDS * 2, RandomState::default());
                    set.extend(ids.iter().copied());
                    set.insert(id);
                    *self = DistinctIds::Many(set);
                }
            }
            DistinctIds::Many(set) => {
                set.insert(id);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            DistinctIds::Few { len, .. } => usize::from(*len),
            DistinctIds::Many(set) => set.len(),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let (few, many) = match self {
            DistinctIds::Few { ids, len } => (&ids[..usize::from(*len)], None),
            DistinctIds::Many(set) => (&[][..], Some(set)),
        };
        few.iter()
            .copied()
            .chain(many.into_iter().flatten().copied())
    }

    fn extend(&mut self, other: DistinctIds) {
        match (&mut *self, other) {
            (DistinctIds::Many(mine), DistinctIds::Many(theirs)) if theirs.len() > mine.len() => {
                let mut theirs = theirs;
                theirs.extend(mine.iter().copied());
                *self = DistinctIds::Many(theirs);
            }
            (_, other) => {
                for id in other.iter() {
                    self.insert(id);
                }
            }
        }
    }
}

/// Entries of a builder by text key: an index from key to position, and the entries in a dense
/// list (the groups, and the resources without an owner team). The index's slots stay small (a
/// key and a position), so its spare capacity, and the copy made each time it grows, cost a
/// fraction of a table of whole tallies.
struct Keyed<T> {
    index: HashMap<Box<str>, usize>,
    tallies: Vec<T>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            index: HashMap::default(),
            tallies: Vec::new(),
        }
    }
}

impl<T: Default> Keyed<T> {
    fn len(&self) -> usize {
        self.tallies.len()
    }

    /// Room for `more` entries (as many as another builder's: at most that many are new).
    fn reserve(&mut self, more: usize) {
        self.index.reserve(more);
        self.tallies.reserve(more);
    }

    /// The position of `key`.
    fn position(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// The position of `key`, its entry made with `new` when the key is new.
    fn position_or_insert_with(&mut self, key: &str, new: impl FnOnce() -> T) -> usize {
        match self.index.get(key) {
            Some(&i) => i,
            None => {
                let i = self.tallies.len();
                self.index.insert(key.into(), i);
                self.tallies.push(new());
                i
            }
        }
    }

    /// The entry of `key`, made with `new` when the key is new.
    fn get_or_insert_with(&mut self, key: &str, new: impl FnOnce() -> T) -> &mut T {
        let i = self.position_or_insert_with(key, new);
        // Every position in the index is one of `tallies`.
        &mut self.tallies[i]
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.index
            .iter()
            .filter_map(|(key, &i)| self.tallies.get(i).map(|t| (&**key, t)))
    }

    /// Every key with its position in `tallies`.
    fn positions(&self) -> impl Iterator<Item = (&str, usize)> {
        self.index.iter().map(|(key, &i)| (&**key, i))
    }

    fn into_iter(self) -> impl Iterator<Item = (Box<str>, T)> {
        let mut tallies = self.tallies;
        self.index
            .into_iter()
            .filter_map(move |(key, i)| tallies.get_mut(i).map(|t| (key, std::mem::take(t))))
    }
}

/// The groups of a builder.
type Groups = Keyed<Tally>;

/// The text fields of the rows a builder has seen, numbered, so that the hot path looks a row's
/// group up by a few integers instead of building, hashing and comparing its whole text key.
/// Numbers are the builder's own (forks number differently): they never leave it.
struct FieldNumbers {
    numbers: HashMap<Box<str>, u32>,
    /// The most values numbered ([`MAX_NUMBERED_FIELDS`], lower in tests).
    limit: usize,
}

impl Default for FieldNumbers {
    fn default() -> Self {
        FieldNumbers {
            numbers: HashMap::default(),
            limit: MAX_NUMBERED_FIELDS,
        }
    }
}

/// The most field values a builder numbers; rows with values beyond them take the text path.
const MAX_NUMBERED_FIELDS: usize = 1 << 21;

impl FieldNumbers {
    /// The number of `value`, numbering it when new (`None` once [`MAX_NUMBERED_FIELDS`] are).
    fn number(&mut self, value: &str) -> Option<u32> {
        if let Some(&n) = self.numbers.get(value) {
            return Some(n);
        }
        if self.numbers.len() >= self.limit {
            return None;
        }
        let n = self.numbers.len() as u32;
        self.numbers.insert(value.into(), n);
        Some(n)
    }
}

#[derive(Default)]
struct Tally {
    rows: u64,
    resources: u64,
    blank_resource_ids: u64,
    distinct: DistinctIds,
    /// Sets of this group's ids from other forks, too large to unite while merging: they are
    /// counted together in [`AssessmentBuilder::finish_with`], on every thread (see
    /// [`crate::distinct`]).
    merged: Vec<DistinctIds>,
    /// The first line of the group in its input, so that merged builders can tell where a group
    /// limit was crossed.
    first_line: u64,
    /// The hash standing for a line item without a resource id (one unidentified resource of
    /// the group): of the group's text key, so the same in every fork.
    marker: u64,
}

/// Resources without an owner team per service × rule × account × Region: their explicit counts
/// and example ids. Their distinct ids are those of the groups without a team, counted in
/// [`AssessmentBuilder::finish_with`].
#[derive(Default)]
struct UnownedTally {
    resources: u64,
    examples: Vec<String>,
}

/// Counts a row's resources: explicit counts add up; a line item adds its resource id once, and
/// line items without an id count as one unidentified resource of their group (`group` is the
/// hash of the group key), as the documented SQL aggregation counts them.
fn count_resources(
    resources: &mut u64,
    distinct: &mut DistinctIds,
    rec: &InventoryRecord<'_>,
    group: u64,
) {
    match rec.resource_count {
        // Bounded by the input's checked bound; saturates only when that overflowed.
        Some(n) => *resources = resources.saturating_add(n),
        None => {
            let id = tidy(rec.resource_id);
            if id.is_empty() {
                distinct.insert(group);
            } else {
                distinct.insert(id_hash(id));
            }
        }
    }
}

#[derive(Default)]
struct InputTally {
    name: String,
    format: String,
    rows: u64,
    blank_service_lines: Vec<u64>,
    blank_service_rows: u64,
    non_resource_rows: u64,
    out_of_scope_rows: u64,
    other_provider_rows: BTreeMap<String, u64>,
    line_item_types: BTreeMap<String, u64>,
    ragged_rows: u64,
    duplicate_columns: Vec<String>,
    /// Rows whose JSON tags cell was malformed, and the first line of one.
    malformed_tag_rows: u64,
    first_malformed_tags_line: Option<u64>,
    sha256: String,
    bytes: u64,
    /// At least the resources of the rows assessed: see [`AssessmentBuilder::resources_overflow`].
    resources_bound: u64,
    /// Whether `resources_bound` overflowed.
    bound_overflowed: bool,
}

impl InputTally {
    /// Adds `n` to the resources bound, noting an overflow.
    fn bound_resources(&mut self, n: u64) {
        match self.resources_bound.checked_add(n) {
            Some(b) => self.resources_bound = b,
            None => self.bound_overflowed = true,
        }
    }
}

/// Adds one to a count keyed by a borrowed string, allocating only for a new key.
fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

/// Aggregates inventory records as they stream in.
#[derive(Default)]
pub struct AssessmentBuilder {
    inputs: Vec<InputTally>,
    groups: Groups,
    unowned: Keyed<UnownedTally>,
    /// Account names: the first seen per account, as (input, line, name).
    account_names: BTreeMap<String, (usize, u64, String)>,
    /// The row fields of the hot path, numbered.
    fields: FieldNumbers,
    /// Groups by their numbered key (input, service, rule, account, Region, team, environment,
    /// classification): the same groups as their text keys, found without building those.
    numbered_groups: HashMap<[u32; 8], usize>,
    /// Resources without an owner team by numbered key (service, rule, account, Region).
    numbered_unowned: HashMap<[u32; 4], usize>,
    /// Per service number: whether a resource rule may move its rows (0 not known yet, 1 no,
    /// 2 yes); the same answers as `may_move`.
    may_move_numbered: Vec<u8>,
    /// Per account number: where its name was first seen, as (input, line), so that later rows
    /// of the account skip `account_names`.
    account_named_at: Vec<(usize, u64)>,
    scope: Scope,
    max_groups: usize,
    /// Where the group limit was first hit: (input, line).
    overflow: Option<(usize, u64)>,
    key: String,
    /// Identifier lookup and resource rules; without one, rows stay with the service their
    /// identifier names.
    resolver: Option<Arc<Resolver>>,
    /// Per identifier × resource type × usage type as written (not for ARNs; at most
    /// [`RULE_MEMO_ENTRIES`]): `None` when no resource rule can move such rows, else their
    /// namespace-level service (`None`: the identifier names nothing, but rules may) and what
    /// the rules say before the resource id is looked at.
    rule_memo: HashMap<Box<str>, Option<(Option<usize>, TypeRules)>>,
    /// Per identifier as written: whether a resource rule may move its rows at all (most
    /// identifiers name a service without rules, and skip `rule_memo`'s longer key).
    may_move: HashMap<Box<str>, bool>,
    /// The key of `rule_memo` being looked up.
    rule_key: String,
    /// Forks merged into this builder: the threads that count distinct ids in `finish_with`,
    /// unless `finish_threads` says otherwise.
    forks_merged: usize,
    finish_threads: Option<usize>,
}

/// The most identifier × resource type × usage type combinations a builder remembers the
/// resource rules of (about 100 bytes each); rows past them are resolved without the memo.
const RULE_MEMO_ENTRIES: usize = 1 << 16;

/// The default most distinct groups (input × service × account × region × team × environment ×
/// classification) an assessment keeps: memory grows with groups, never with rows.
pub const DEFAULT_MAX_GROUPS: usize = 1_000_000;

/// `s` without leading and trailing whitespace, as [`str::trim`] gives it, without decoding
/// characters when both ends are ASCII and not whitespace (nearly every field of a row, which
/// the importer has trimmed already).
fn tidy(s: &str) -> &str {
    // `char::is_whitespace`, not `u8::is_ascii_whitespace`: the vertical tab is whitespace to
    // `str::trim` but not ASCII whitespace.
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && !char::from(b).is_whitespace());
    if s.is_empty() || (plain(s.as_bytes().first()) && plain(s.as_bytes().last())) {
        s
    } else {
        s.trim()
    }
}

/// How a resource without an owner team is shown: its id, and its type when known.
fn example_text(id: &str, ty: &str) -> String {
    if ty.is_empty() {
        id.to_owned()
    } else {
        format!("{id} ({ty})")
    }
}

/// Orders `example` against `example_text(id, ty)`, without writing that out.
fn cmp_example(example: &str, id: &str, ty: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (e, i) = (example.as_bytes(), id.as_bytes());
    let n = e.len().min(i.len());
    match e[..n].cmp(&i[..n]) {
        Ordering::Equal if e.len() < i.len() => Ordering::Less,
        Ordering::Equal => {
            // `example` starts with the id: the rest of it against the type's part.
            let suffix: [&[u8]; 3] = if ty.is_empty() {
                [b"", b"", b""]
            } else {
                [b" (", ty.as_bytes(), b")"]
            };
            e[n..]
                .iter()
                .copied()
                .cmp(suffix.into_iter().flatten().copied())
        }
        other => other,
    }
}

/// Appends a field to a group key, length-prefixed so that no field content can merge two keys.
fn push_field(key: &mut String, field: &str) {
    let mut buf = [0u8; 20];
    key.push_str(decimal(field.len(), &mut buf));
    key.push(':');
    key.push_str(field);
}

/// A number in decimal, written into `buf` without going through the formatting machinery.
fn decimal(mut n: usize, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

/// Splits a key written by [`push_field`].
fn split_fields(key: &str) -> Vec<&str> {
    fields(key).collect()
}

/// The fields of a key written by [`push_field`], without collecting them.
fn fields(mut key: &str) -> impl Iterator<Item = &str> {
    std::iter::from_fn(move || {
        let (len, rest) = key.split_once(':')?;
        let len = len.parse::<usize>().ok()?;
        let field = rest.get(..len)?;
        key = &rest[len..];
        Some(field)
    })
}

/// The eight fields of a group key: input, service, rule, account, Region, team, environment,
/// classification.
fn group_fields(key: &str) -> Option<[&str; 8]> {
    let mut f = fields(key);
    let mut out = [""; 8];
    for slot in &mut out {
        *slot = f.next()?;
    }
    f.next().is_none().then_some(out)
}

impl AssessmentBuilder {
    /// A builder with nothing read yet.
    pub fn new() -> Self {
        AssessmentBuilder {
            max_groups: DEFAULT_MAX_GROUPS,
            ..Self::default()
        }
    }

    /// A builder that counts rows outside `scope` as out of scope instead of assessing them.
    pub fn with_scope(scope: Scope) -> Self {
        AssessmentBuilder {
            scope,
            ..Self::new()
        }
    }

    /// Resolves rows with the catalog's resource rules (an EBS volume billed as `AmazonEC2` is
    /// EBS). Give it `catalog.resolver()` of the catalog the assessment is finished with.
    pub fn set_resolver(&mut self, resolver: Arc<Resolver>) {
        self.resolver = Some(resolver);
        self.rule_memo.clear();
        self.may_move.clear();
    }

    /// The resource rule that moves a row, as a key field (the rule's index plus one, or empty).
    /// The same as [`Resolver::refine`] of the identifier's namespace-level service, with what
    /// does not depend on the resource id remembered per identifier × resource type × usage type.
    fn rule_of(
        &mut self,
        service: &str,
        number: Option<u32>,
        rec: &InventoryRecord<'_>,
    ) -> Option<u32> {
        let resolver = self.resolver.as_deref()?;
        let base_of = |service: &str| {
            let base = match resolver.identify(service) {
                Some(Identified::Service(b)) => Some(b),
                Some(Identified::Billing(_)) => return None,
                None => None,
            };
            resolver.has_rules(base).then_some(base)
        };
        let facts = ResourceFacts {
            service,
            resource_type: rec.resource_type,
            resource_id: rec.resource_id,
            usage_type: rec.usage_type,
            engine: rec.engine,
        };
        if service.len() > 4 && service[..4].eq_ignore_ascii_case("arn:") {
            // ARNs are not memoised: each is its own identifier.
            return resolver.refine(base_of(service)?, &facts);
        }
        let numbered = number.map(|n| n as usize);
        let known = numbered.and_then(|n| self.may_move_numbered.get(n).copied());
        let may_move = match known {
            Some(1) => false,
            Some(2) => true,
            _ => {
                let m = match self.may_move.get(service) {
                    Some(&m) => m,
                    None => {
                        let m = base_of(service).is_some();
                        if self.may_move.len() < RULE_MEMO_ENTRIES {
                            self.may_move.insert(service.into(), m);
                        }
                        m
                    }
                };
                if let Some(n) = numbered {
                    if self.may_move_numbered.len() <= n {
                        self.may_move_numbered.resize(n + 1, 0);
                    }
                    self.may_move_numbered[n] = if m { 2 } else { 1 };
                }
                m
            }
        };
        if !may_move {
            return None;
        }
        self.rule_key.clear();
        for f in [service, rec.resource_type, rec.usage_type] {
            push_field(&mut self.rule_key, f);
        }
        let known = match self.rule_memo.get(self.rule_key.as_str()) {
            Some(&known) => known,
            None => {
                let known = base_of(service)
                    .and_then(|base| resolver.refine_by_type(base, &facts).map(|t| (base, t)));
                if self.rule_memo.len() < RULE_MEMO_ENTRIES {
                    self.rule_memo.insert(self.rule_key.as_str().into(), known);
                }
                known
            }
        };
        let (base, by_type) = known?;
        let by_id = if by_type.needs_id() {
            resolver.refine_by_id(base, &facts)
        } else {
            None
        };
        resolver.refine_engine(base, by_type.combine(by_id), &facts)
    }

    /// Sets how many threads count distinct resource ids when the assessment is finished (by
    /// default one per fork merged, at least one). The result never depends on it.
    pub fn set_finish_threads(&mut self, threads: usize) {
        self.finish_threads = Some(threads.max(1));
    }

    /// Sets the most distinct groups kept; rows that would open a group beyond it are not
    /// aggregated and [`AssessmentBuilder::limit_exceeded`] says where the limit was hit.
    pub fn set_max_groups(&mut self, max: usize) {
        self.max_groups = max;
    }

    /// Where the group limit was first hit, as `(input name, line)`; the assessment is then
    /// incomplete and must not be reported.
    pub fn limit_exceeded(&self) -> Option<(String, u64)> {
        self.overflow.map(|(i, line)| {
            (
                self.inputs
                    .get(i)
                    .map_or_else(String::new, |t| t.name.clone()),
                line,
            )
        })
    }

    /// The first input, in input order, at which the resources read so far (over this input and
    /// the ones before it) add up to more than `u64::MAX`; the assessment's resource totals are
    /// then meaningless and must not be reported. Whether and where this happens depends only on
    /// the rows added, never on how they were shared between forks. (The importer names the row
    /// when one input's own `resource_count`s overflow; this also catches totals over inputs.)
    pub fn resources_overflow(&self) -> Option<&str> {
        let mut total: u64 = 0;
        for t in &self.inputs {
            match total.checked_add(t.resources_bound) {
                Some(sum) if !t.bound_overflowed => total = sum,
                _ => return Some(&t.name),
            }
        }
        None
    }

    /// Starts a new input; its id is given to [`AssessmentBuilder::add`].
    pub fn start_input(&mut self, name: &str, format: &str) -> usize {
        self.inputs.push(InputTally {
            name: name.to_owned(),
            format: format.to_owned(),
            ..InputTally::default()
        });
        self.inputs.len() - 1
    }

    /// Records what the importer learnt about an input once it has read it: its format (detected
    /// from the header), rows read ragged, and header names that appear twice.
    pub fn input_details(
        &mut self,
        input: usize,
        format: &str,
        ragged_rows: u64,
        duplicate_columns: &[String],
    ) {
        if let Some(t) = self.inputs.get_mut(input) {
            format.clone_into(&mut t.format);
            t.ragged_rows = ragged_rows;
            t.duplicate_columns = duplicate_columns.to_vec();
        }
    }

    /// Records the rows of an input whose JSON tags cell the importer could not read (they were
    /// read without their tags), and the first line of one; reported as a `malformed-tags`
    /// finding.
    pub fn input_malformed_tags(&mut self, input: usize, rows: u64, first_line: Option<u64>) {
        if let Some(t) = self.inputs.get_mut(input) {
            t.malformed_tag_rows = rows;
            t.first_malformed_tags_line = first_line;
        }
    }

    /// Records the SHA-256 and size of an input's bytes.
    pub fn input_digest(&mut self, input: usize, sha256: &str, bytes: u64) {
        if let Some(t) = self.inputs.get_mut(input) {
            sha256.clone_into(&mut t.sha256);
            t.bytes = bytes;
        }
    }

    /// An empty builder for reading part of an input on another thread: same inputs (with nothing
    /// counted), scope and group limit. Its counts come back with [`AssessmentBuilder::merge`].
    pub fn fork(&self) -> AssessmentBuilder {
        AssessmentBuilder {
            inputs: self
                .inputs
                .iter()
                .map(|t| InputTally {
                    name: t.name.clone(),
                    format: t.format.clone(),
                    ..InputTally::default()
                })
                .collect(),
            scope: self.scope.clone(),
            max_groups: self.max_groups,
            resolver: self.resolver.clone(),
            ..AssessmentBuilder::default()
        }
    }

    /// Adds the counts of a [`fork`](AssessmentBuilder::fork). Merging never depends on which
    /// rows went to which fork or in what order: sums, unions, and "first" taken as the smallest
    /// line. When the merged groups exceed the limit, the limit is reported at the row that would
    /// have opened the first group beyond it had the rows been read in order; for that to hold,
    /// each fork must see its own rows in input order (as the parallel reader hands them out).
    pub fn merge(&mut self, mut other: AssessmentBuilder) {
        self.forks_merged += 1;
        for (mine, theirs) in self.inputs.iter_mut().zip(other.inputs) {
            mine.rows += theirs.rows;
            mine.blank_service_lines.extend(theirs.blank_service_lines);
            mine.blank_service_lines.sort_unstable();
            mine.blank_service_lines.truncate(LINE_SAMPLES);
            mine.blank_service_rows += theirs.blank_service_rows;
            mine.non_resource_rows += theirs.non_resource_rows;
            mine.out_of_scope_rows += theirs.out_of_scope_rows;
            mine.bound_overflowed |= theirs.bound_overflowed;
            mine.bound_resources(theirs.resources_bound);
            for (k, n) in theirs.other_provider_rows {
                *mine.other_provider_rows.entry(k).or_default() += n;
            }
            for (k, n) in theirs.line_item_types {
                *mine.line_item_types.entry(k).or_default() += n;
            }
        }
        if self.groups.len() == 0 {
            // The first fork's groups become these as they are: no copy, no growth.
            self.groups = std::mem::take(&mut other.groups);
        } else {
            self.groups.reserve(other.groups.len());
        }
        for (key, t) in other.groups.into_iter() {
            let g = self.groups.get_or_insert_with(&key, || Tally {
                first_line: t.first_line,
                marker: t.marker,
                ..Tally::default()
            });
            g.rows += t.rows;
            g.resources = g.resources.saturating_add(t.resources);
            g.blank_resource_ids += t.blank_resource_ids;
            // Small sets are united here; of two large ones, one waits for `finish_with`.
            g.distinct = match (std::mem::take(&mut g.distinct), t.distinct) {
                (DistinctIds::Many(a), DistinctIds::Many(b)) => {
                    let (keep, wait) = if a.len() >= b.len() { (a, b) } else { (b, a) };
                    g.merged.push(DistinctIds::Many(wait));
                    DistinctIds::Many(keep)
                }
                (DistinctIds::Many(a), few) | (few, DistinctIds::Many(a)) => {
                    let mut ids = DistinctIds::Many(a);
                    ids.extend(few);
                    ids
                }
                (mut a, b) => {
                    a.extend(b);
                    a
                }
            };
            g.merged.extend(t.merged);
            g.first_line = g.first_line.min(t.first_line);
        }
        for (key, t) in other.unowned.into_iter() {
            let u = self.unowned.get_or_insert_with(&key, UnownedTally::default);
            u.resources = u.resources.saturating_add(t.resources);
            u.examples.extend(t.examples);
            u.examples.sort();
            u.examples.dedup();
            u.examples.truncate(UNOWNED_SAMPLES);
        }
        for (account, seen) in other.account_names {
            match self.account_names.get_mut(&account) {
                Some(mine) if (mine.0, mine.1) <= (seen.0, seen.1) => {}
                Some(mine) => *mine = seen,
                None => {
                    self.account_names.insert(account, seen);
                }
            }
        }
        if let Some(o) = other.overflow
            && self.overflow.is_none_or(|s| o < s)
        {
            self.overflow = Some(o);
        }
        if self.groups.len() > self.max_groups {
            // In input order, the limit is crossed by the row opening the group whose first line
            // ranks just past the limit.
            let mut firsts: Vec<(usize, u64)> = self
                .groups
                .iter()
                .map(|(key, t)| {
                    let input = fields(key)
                        .next()
                        .and_then(|i| i.parse().ok())
                        .unwrap_or_default();
                    (input, t.first_line)
                })
                .collect();
            firsts.sort_unstable();
            if let Some(&at) = firsts.get(self.max_groups)
                && self.overflow.is_none_or(|s| at < s)
            {
                self.overflow = Some(at);
            }
        }
    }

    /// Keeps `name` as the account's name when no row before (input, line) named it.
    fn note_account_name(
        &mut self,
        input: usize,
        line: u64,
        account: &str,
        number: Option<u32>,
        name: &str,
    ) {
        let at = (input, line);
        if let Some(n) = number.map(|n| n as usize) {
            match self.account_named_at.get_mut(n) {
                Some(seen) if *seen <= at => return,
                Some(seen) => *seen = at,
                None => {
                    self.account_named_at.resize(n + 1, (usize::MAX, u64::MAX));
                    self.account_named_at[n] = at;
                }
            }
        }
        match self.account_names.get_mut(account) {
            Some(seen) if (seen.0, seen.1) <= at => {}
            Some(seen) => *seen = (input, line, name.to_owned()),
            None => {
                self.account_names
                    .insert(account.to_owned(), (input, line, name.to_owned()));
            }
        }
    }

    /// Counts one record of an input.
    pub fn add(&mut self, input: usize, rec: &InventoryRecord<'_>) {
        let Some(tally) = self.inputs.get_mut(input) else {
            return;
        };
        tally.rows += 1;
        let lit = tidy(rec.line_item_type);
        if !lit.is_empty() {
            bump(&mut tally.line_item_types, lit);
        }
        match rec.kind {
            RowKind::Resource => {}
            RowKind::NonResource => {
                tally.non_resource_rows += 1;
                return;
            }
            RowKind::OtherProvider(p) => {
                bump(&mut tally.other_provider_rows, tidy(p));
                return;
            }
        }
        if !self.scope.admits(
            tidy(rec.account_id),
            tidy(rec.region),
            tidy(rec.environment),
        ) {
            tally.out_of_scope_rows += 1;
            return;
        }
        let service = tidy(rec.service);
        if service.is_empty() {
            tally.blank_service_rows += 1;
            // The first lines, whatever order rows arrive in (forks see chunks out of order).
            let lines = &mut tally.blank_service_lines;
            if lines.len() < LINE_SAMPLES || lines.last().is_some_and(|&l| rec.line < l) {
                let at = lines.partition_point(|&l| l < rec.line);
                lines.insert(at, rec.line);
                lines.truncate(LINE_SAMPLES);
            }
            return;
        }
        tally.bound_resources(rec.resource_count.unwrap_or(1));
        let account = tidy(rec.account_id);
        let region = tidy(rec.region);
        let team = tidy(rec.owner_team);
        let environment = tidy(rec.environment);
        let classification = tidy(rec.data_classification);
        let is_arn = service.len() > 4 && service[..4].eq_ignore_ascii_case("arn:");
        let service_number = if is_arn {
            None
        } else {
            self.fields.number(service)
        };
        let account_number = self.fields.number(account);
        let name = tidy(rec.account_name);
        if !name.is_empty() && !account.is_empty() {
            self.note_account_name(input, rec.line, account, account_number, name);
        }
        let rule = self.rule_of(service, service_number, rec);
        let rule_slot = rule.map_or(0, |r| r.saturating_add(1));
        let numbered = (|| {
            Some([
                u32::try_from(input).ok()?,
                service_number?,
                rule_slot,
                account_number?,
                self.fields.number(region)?,
                self.fields.number(team)?,
                self.fields.number(environment)?,
                self.fields.number(classification)?,
            ])
        })();
        let position = match numbered.and_then(|k| self.numbered_groups.get(&k)) {
            Some(&p) => p,
            None => {
                // The rule as a key field (its index plus one, or empty).
                let mut rule_digits = [0u8; 20];
                let rule_field = rule.map_or("", |r| decimal(r as usize + 1, &mut rule_digits));
                self.key.clear();
                let mut digits = [0u8; 20];
                push_field(&mut self.key, decimal(input, &mut digits));
                for f in [
                    service,
                    rule_field,
                    account,
                    region,
                    team,
                    environment,
                    classification,
                ] {
                    push_field(&mut self.key, f);
                }
                let p = match self.groups.position(&self.key) {
                    Some(p) => p,
                    None if self.groups.len() >= self.max_groups => {
                        self.overflow.get_or_insert((input, rec.line));
                        return;
                    }
                    None => {
                        let marker = id_hash(("group", self.key.as_str()));
                        self.groups.position_or_insert_with(&self.key, || Tally {
                            first_line: rec.line,
                            marker,
                            ..Tally::default()
                        })
                    }
                };
                if let Some(k) = numbered {
                    self.numbered_groups.insert(k, p);
                }
                p
            }
        };
        let group = &mut self.groups.tallies[position];
        group.rows += 1;
        group.first_line = group.first_line.min(rec.line);
        count_resources(&mut group.resources, &mut group.distinct, rec, group.marker);

        if tidy(rec.resource_id).is_empty() {
            group.blank_resource_ids += 1;
        }
        if team.is_empty() {
            let numbered = (|| {
                Some([
                    service_number?,
                    rule_slot,
                    account_number?,
                    self.fields.number(region)?,
                ])
            })();
            let position = match numbered.and_then(|k| self.numbered_unowned.get(&k)) {
                Some(&p) => p,
                None => {
                    let mut rule_digits = [0u8; 20];
                    let rule_field = rule.map_or("", |r| decimal(r as usize + 1, &mut rule_digits));
                    self.key.clear();
                    for f in [service, rule_field, account, region] {
                        push_field(&mut self.key, f);
                    }
                    let p = self
                        .unowned
                        .position_or_insert_with(&self.key, UnownedTally::default);
                    if let Some(k) = numbered {
                        self.numbered_unowned.insert(k, p);
                    }
                    p
                }
            };
            let u = &mut self.unowned.tallies[position];
            // Distinct ids are the group's (counted in `finish_with`); explicit counts add up.
            if let Some(n) = rec.resource_count {
                u.resources = u.resources.saturating_add(n);
            }
            let id = tidy(rec.resource_id);
            let full = u.examples.len() >= UNOWNED_SAMPLES;
            if !id.is_empty() && (!full || u.examples.last().is_some_and(|last| id < last.as_str()))
            {
                let ty = tidy(rec.resource_type);
                // Keep the smallest ids, so that the examples do not depend on row order. Most
                // rows repeat an example already kept: found without writing it out.
                if let Err(at) = u.examples.binary_search_by(|e| cmp_example(e, id, ty)) {
                    u.examples.insert(at, example_text(id, ty));
                    u.examples.truncate(UNOWNED_SAMPLES);
                }
            }
        }
    }

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
        // The groups' distinct ids, taken out of their tallies, counted below.
        let sets = self.groups.tallies.iter().map(|t| 1 + t.merged.len()).sum();
        let mut id_sets: Vec<(u32, DistinctIds)> = Vec::with_capacity(sets);
        for (g, t) in self.groups.tallies.iter_mut().enumerate() {
            let g = g as u32;
            id_sets.push((g, std::mem::take(&mut t.distinct)));
            id_sets.extend(std::mem::take(&mut t.merged).into_iter().map(|d| (g, d)));
        }
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
                other_provider_rows: t.other_provider_rows.clone(),
                line_item_types: t.line_item_types.clone(),
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
        let mut by_text: Vec<(&str, usize)> = self.groups.positions().collect();
        by_text.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let keys = || {
            by_text
                .iter()
                .filter_map(|&(key, g)| Some((group_fields(key)?, g)))
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
        for ([input, service, rule, account, region, team, ..], g) in keys() {
            let input: usize = input.parse().unwrap_or_default();
            let next = input_slots.len() as u32;
            input_slot[g] = *input_slots.entry((input, service)).or_insert(next);
            let found = match by_rule(rule) {
                Some(r) => Some(Identified::Service(r.service)),
                None => resolved.get(service).copied().flatten(),
            };
            let union = match found {
                Some(Identified::Service(i)) => ResourceUnion::Service(i),
                Some(Identified::Billing(_)) => continue,
                None if listed.contains(service) => ResourceUnion::Unmapped(service),
                None => ResourceUnion::Others,
            };
            let next = service_slots.len() as u32;
            service_slot[g] = *service_slots.entry(union).or_insert(next);
            if team.is_empty() {
                unowned_key.clear();
                for f in [service, rule, account, region] {
                    push_field(&mut unowned_key, f);
                }
                let next = unowned_slots.len() as u32;
                unowned_slot[g] = *unowned_slots.entry(unowned_key.clone()).or_insert(next);
            }
        }
        let threads = self.finish_threads.unwrap_or(self.forks_merged.max(1));
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

        for ([input, service, rule, account, region, team, env, class], g) in keys() {
            let tally = &tallies[g];
            let rule = by_rule(rule);
            let input: usize = input.parse().unwrap_or_default();
            let summary = &mut inputs[input];
            summary.blank_resource_ids += tally.blank_resource_ids;
            for (set, v) in [
                (&mut accounts, account),
                (&mut regions, region),
                (&mut teams, team),
            ] {
                if !v.is_empty() {
                    set.insert(v.to_owned());
                }
            }
            let found = match rule {
                Some(r) => Some(Identified::Service(r.service)),
                None => *resolved
                    .entry(service)
                    .or_insert_with(|| catalog.identify(service)),
            };
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
                n.codes.insert(service.to_owned());
                if !account.is_empty() {
                    n.accounts.insert(account.to_owned());
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
                    u.accounts.insert(account.to_owned());
                }
                u.inputs.insert(summary.name.clone());
                continue;
            };
            summary.mapped_rows += tally.rows;
            let u = uses
                .entry(idx)
                .or_insert_with(|| new_use(catalog, idx, options));
            u.spellings.insert(service.to_owned());
            if let Some(r) = rule {
                *u.resolved_by.entry(r.describe()).or_default() += tally.rows;
            }
            u.rows += tally.rows;
            for (set, v) in [
                (&mut u.accounts, account),
                (&mut u.regions, region),
                (&mut u.environments, env),
                (&mut u.classifications, class),
            ] {
                if !v.is_empty() {
                    set.insert(v.to_owned());
                }
            }
            if !class.is_empty() && options.is_sensitive(class) {
                u.sensitive_resources = u.sensitive_resources.saturating_add(resources_of(g));
            }
            if team.is_empty() {
                u.unowned_resources = u.unowned_resources.saturating_add(resources_of(g));
            } else {
                let n = u.teams.entry(team.to_owned()).or_default();
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
                    examples: t.examples,
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

fn new_use<'c>(catalog: &'c Catalog, idx: usize, options: &AssessOptions) -> ServiceUse<'c> {
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

fn findings(
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
        let other: u64 = t.other_provider_rows.values().sum();
        if other > 0 {
            let names: Vec<&str> = t.other_provider_rows.keys().map(String::as_str).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogSources;

    #[test]
    fn distinct_ids_inline_spill_and_merge_like_a_set() {
        // Sequences that stay inline, spill, and repeat ids on both sides of the spill.
        let runs: [&[u64]; 5] = [
            &[],
            &[7, 7, 7],
            &[1, 2, 3, 4, 5],
            &[1, 2, 3, 4, 5, 6, 1, 6],
            &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 0],
        ];
        for a in runs {
            for b in runs {
                let mut ours = DistinctIds::default();
                let mut theirs = DistinctIds::default();
                a.iter().for_each(|&id| ours.insert(id));
                b.iter().for_each(|&id| theirs.insert(id));
                let set = |ids: &[u64]| {
                    ids.iter()
                        .copied()
                        .collect::<std::collections::BTreeSet<_>>()
                };
                assert_eq!(ours.len(), set(a).len());
                assert_eq!(
                    ours.iter().collect::<std::collections::BTreeSet<_>>(),
                    set(a)
                );
                ours.extend(theirs);
                let both: Vec<u64> = a.iter().chain(b).copied().collect();
                assert_eq!(ours.len(), set(&both).len(), "{a:?} + {b:?}");
                assert_eq!(
                    ours.iter().collect::<std::collections::BTreeSet<_>>(),
                    set(&both)
                );
                assert_eq!(
                    matches!(ours, DistinctIds::Many(_)),
                    set(&both).len() > FEW_IDS
                );
            }
        }
    }

    fn catalog() -> Catalog {
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
    fn numbered_and_text_keys_give_the_same_assessment() {
        // The hot path finds groups by numbered fields; rows whose values are past the numbering
        // limit take the text path. Any limit, even one that splits a row's fields between the
        // two, gives the same assessment. The built-in catalog, for its resource rules.
        let cat = Catalog::builtin().unwrap();
        let services = ["s3", "AmazonEC2", "lambda", "arn:aws:s3:::b", "NoSuchThing"];
        let mut rows = Vec::new();
        for line in 2..300u64 {
            let n = line as usize;
            rows.push((
                line,
                services[n % services.len()],
                format!("{}", n % 7),
                ["", "web", "data", "ops"][n % 4].to_owned(),
                if n.is_multiple_of(3) {
                    String::new()
                } else {
                    format!("vol-{}", n % 41)
                },
                ["", "Prod"][n % 2],
            ));
        }
        let run = |limit: usize| {
            let mut b = AssessmentBuilder::new();
            b.set_resolver(cat.resolver().clone());
            b.fields.limit = limit;
            let i = b.start_input("a.csv", "cur");
            for r in &rows {
                b.add(
                    i,
                    &InventoryRecord {
                        line: r.0,
                        service: r.1,
                        account_id: &r.2,
                        account_name: r.5,
                        region: ["eu-west-1", "us-east-1"][r.0 as usize % 2],
                        owner_team: &r.3,
                        resource_id: &r.4,
                        line_item_type: "Usage",
                        ..InventoryRecord::default()
                    },
                );
            }
            let numbered = (b.numbered_groups.len(), b.groups.len());
            (numbered, format!("{:?}", b.finish(&cat)))
        };
        let ((all_numbered, groups), expected) = run(MAX_NUMBERED_FIELDS);
        assert!(
            all_numbered > 0 && all_numbered < groups,
            "ARNs take the text path"
        );
        for limit in [0, 1, 3, 8, 12] {
            let ((numbered, _), got) = run(limit);
            assert!(numbered < all_numbered, "limit {limit}");
            assert_eq!(expected, got, "limit {limit}");
        }
    }

    #[test]
    fn merged_forks_equal_one_builder() {
        let cat = catalog();
        let services = [
            "s3",
            "AmazonEC2",
            "lambda",
            "",
            "NoSuchThing",
            "AWSDataTransfer",
        ];
        let mut rows = Vec::new();
        for line in 2..400u64 {
            let n = line as usize;
            let id = if n.is_multiple_of(5) {
                String::new()
            } else {
                format!("r-{}", n % 37)
            };
            rows.push((
                line,
                services[n % services.len()],
                format!("{}", n % 4),
                ["", "web", "data"][n % 3].to_owned(),
                id,
                ["", "Prod acct"][n % 2],
            ));
        }
        let add =
            |b: &mut AssessmentBuilder, i: usize, r: &(u64, &str, String, String, String, &str)| {
                b.add(
                    i,
                    &InventoryRecord {
                        line: r.0,
                        service: r.1,
                        account_id: &r.2,
                        account_name: if r.5.is_empty() { "" } else { r.5 },
                        region: "eu-west-1",
                        owner_team: &r.3,
                        resource_id: &r.4,
                        resource_count: None,
                        line_item_type: "Usage",
                        ..InventoryRecord::default()
                    },
                );
            };
        for max in [DEFAULT_MAX_GROUPS, 7] {
            let mut one = AssessmentBuilder::new();
            one.set_max_groups(max);
            let i = one.start_input("a.csv", "cur");
            for r in &rows {
                add(&mut one, i, r);
            }
            let one_limit = one.limit_exceeded();
            let expected = format!("{:?}", one.finish(&cat));
            // Any number of threads counting the distinct ids at the end: the same result.
            for finish_threads in [None, Some(1), Some(2), Some(5)] {
                let mut merged = AssessmentBuilder::new();
                merged.set_max_groups(max);
                let j = merged.start_input("a.csv", "cur");
                let mut forks = [merged.fork(), merged.fork(), merged.fork()];
                // Chunks of 25 rows dealt round robin. Without a limit the order does not matter
                // (chunks go in reverse); the limit needs each fork to see its own rows in input
                // order, as the parallel reader guarantees.
                let chunks: Vec<_> = rows.chunks(25).enumerate().collect();
                let mut order: Vec<_> = chunks.iter().collect();
                if max == DEFAULT_MAX_GROUPS {
                    order.reverse();
                }
                for (k, chunk) in order {
                    for r in *chunk {
                        add(&mut forks[k % 3], j, r);
                    }
                }
                for f in forks {
                    merged.merge(f);
                }
                if let Some(t) = finish_threads {
                    merged.set_finish_threads(t);
                }
                assert_eq!(one_limit, merged.limit_exceeded(), "max {max}");
                if max == DEFAULT_MAX_GROUPS {
                    let (a, b) = (&expected, format!("{:?}", merged.finish(&cat)));
                    let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
                    assert!(
                        *a == b,
                        "differ at {at}: {:?} vs {:?}",
                        a.get(at.saturating_sub(300)..at + 100),
                        b.get(at.saturating_sub(300)..at + 100)
                    );
                }
            }
        }
    }

    #[test]
    fn tidy_trims_as_str_trim_does() {
        let ends = [
            "", " ", "\t", "\u{b}", "\u{c}", "\r\n", "\u{a0}", "\u{2003}", "é", "a", "\u{1f}",
        ];
        for a in ends {
            for b in ends {
                for middle in ["", "x", " x ", "s3"] {
                    let s = format!("{a}{middle}{b}");
                    assert_eq!(tidy(&s), s.trim(), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn examples_compare_as_their_text() {
        let parts = [
            "", "a", "a ", "a (", "a (t)", "a!", "a\u{1f}", "i-1", "i-10", "é", "t",
        ];
        for example in parts
            .iter()
            .flat_map(|&id| parts.iter().map(move |&ty| example_text(id, ty)))
        {
            for id in parts {
                for ty in parts {
                    assert_eq!(
                        cmp_example(&example, id, ty),
                        example.as_str().cmp(example_text(id, ty).as_str()),
                        "{example:?} against {id:?} ({ty:?})"
                    );
                }
            }
        }
    }

    #[test]
    fn group_keys_cannot_collide_through_field_content() {
        let mut k1 = String::new();
        push_field(&mut k1, "a:1");
        push_field(&mut k1, "b");
        let mut k2 = String::new();
        push_field(&mut k2, "a");
        push_field(&mut k2, "1:b");
        assert_ne!(k1, k2);
        assert_eq!(split_fields(&k1), ["a:1", "b"]);
        assert_eq!(split_fields(&k2), ["a", "1:b"]);
    }

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
