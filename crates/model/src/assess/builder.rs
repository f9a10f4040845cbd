//! The streaming half of the assessment: [`AssessmentBuilder`] counts records as they arrive, per
//! input × service × resource rule × account × Region × team × environment × classification, on
//! as many threads as the importer reads with ([`AssessmentBuilder::fork`] and
//! [`AssessmentBuilder::merge`]); the assessment itself is made by
//! [`AssessmentBuilder::finish`] (in the parent module).

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use foldhash::fast::{FixedState, RandomState};

use super::field_numbers::FieldNumbers;
#[cfg(test)]
use super::field_numbers::MAX_NUMBERED_FIELDS;
use super::group_index::GroupIndex;
use super::text_counts::TextCounts;
use super::unowned::{UnownedQueue, UnownedTally};

use super::{InventoryRecord, LINE_SAMPLES, RowKind};
use crate::catalog::Identified;
use crate::policy::Scope;
use crate::resolve::{Resolver, ResourceFacts, TypeRules, is_arn};

/// Hash maps of the hot path: foldhash, several times faster than SipHash on short keys. Group
/// keys come from inputs, so the seed is random per run (no chosen-collision slowdown); ids are
/// hashed with a fixed seed so that a blank id's group marker never depends on the run.
pub(super) type HashMap<K, V> = std::collections::HashMap<K, V, RandomState>;
pub(super) type HashSet<T> = std::collections::HashSet<T, RandomState>;

/// The fixed-seed hash of resource ids and group markers.
pub(super) fn id_hash(value: impl Hash) -> u64 {
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
pub(super) struct Keyed<T> {
    index: HashMap<Box<str>, usize>,
    pub(super) tallies: Vec<T>,
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
    pub(super) fn len(&self) -> usize {
        self.tallies.len()
    }

    /// The position of `key`.
    fn position(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// The position of each of `keys` (the first of each pair), if it has one: looked up in two
    /// halves on two threads when there are many (the index is only read).
    fn positions_of(&self, keys: &[(&str, usize)]) -> Vec<Option<usize>>
    where
        T: Sync,
    {
        let look = |part: &[(&str, usize)]| -> Vec<Option<usize>> {
            part.iter().map(|&(key, _)| self.position(key)).collect()
        };
        if keys.len() < PARALLEL_FROM {
            return look(keys);
        }
        let halves: Vec<&[(&str, usize)]> = keys.chunks(keys.len().div_ceil(2)).collect();
        crate::distinct::on_threads(halves, look).concat()
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

    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.index
            .iter()
            .filter_map(|(key, &i)| self.tallies.get(i).map(|t| (&**key, t)))
    }

    /// Every key with its position in `tallies`.
    pub(super) fn positions(&self) -> impl Iterator<Item = (&str, usize)> {
        self.index.iter().map(|(key, &i)| (&**key, i))
    }

    pub(super) fn into_iter(self) -> impl Iterator<Item = (Box<str>, T)> {
        let mut tallies = self.tallies;
        self.index
            .into_iter()
            .filter_map(move |(key, i)| tallies.get_mut(i).map(|t| (key, std::mem::take(t))))
    }
}

/// The groups of a builder.
pub(super) type Groups = Keyed<Tally>;

/// The hash of a numbered key in `numbered_groups`, with the bits `cleared` cleared (none; all
/// of them in tests).
fn numbered_hash(hasher: &RandomState, cleared: u64, key: [u32; 8]) -> u64 {
    // As four words: the array's own `Hash` writes its length and hashes its bytes as a slice.
    let word = |i: usize| u64::from(key[2 * i]) | (u64::from(key[2 * i + 1]) << 32);
    hasher.hash_one((word(0), word(1), word(2), word(3))) & !cleared
}

/// Asks for the cache line holding `value` ahead of its use.
#[inline(always)]
pub(super) fn prefetch<T>(value: &T) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    safe_arch::prefetch_t0(value);
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = value;
}

#[derive(Default)]
pub(super) struct Tally {
    pub(super) rows: u64,
    pub(super) resources: u64,
    pub(super) blank_resource_ids: u64,
    pub(super) distinct: DistinctIds,
    /// The first line of the group in its input, so that merged builders can tell where a group
    /// limit was crossed.
    pub(super) first_line: u64,
    /// The hash standing for a line item without a resource id (one unidentified resource of
    /// the group): of the group's text key, so the same in every fork.
    pub(super) marker: u64,
    /// The group's numbered key, when the builder's table of numbered keys points here (the
    /// table holds positions only; the key is compared where the row's counts go anyway).
    pub(super) numbered: [u32; 8],
}

/// What a row adds to its group's resources: an explicit count, or its resource id's hash
/// (`None` for a blank id).
#[derive(Clone, Copy)]
struct RowResources {
    count: Option<u64>,
    id: Option<u64>,
}

impl RowResources {
    fn of(count: Option<u64>, id: &str) -> RowResources {
        RowResources {
            count,
            // The hash only when it is counted (no explicit count); a blank id stays `None`.
            id: (!id.is_empty()).then(|| if count.is_none() { id_hash(id) } else { 0 }),
        }
    }
}

/// Counts a row in its group: explicit resource counts add up; a line item adds its resource id
/// once, and line items without an id count as one unidentified resource of their group (its
/// `marker`), as the documented SQL aggregation counts them.
fn count_row(group: &mut Tally, line: u64, resources: RowResources) {
    group.rows += 1;
    group.first_line = group.first_line.min(line);
    match (resources.count, resources.id) {
        // Bounded by the input's checked bound; saturates only when that overflowed.
        (Some(n), _) => group.resources = group.resources.saturating_add(n),
        (None, None) => group.distinct.insert(group.marker),
        (None, Some(id)) => group.distinct.insert(id),
    }
    if resources.id.is_none() {
        group.blank_resource_ids += 1;
    }
}

/// A row with a numbered key, on its way to its group in two steps, each taken when the next
/// row arrives, so that what each step reads is fetched from memory while another row is
/// worked on (both are most often beyond the core's cache at tens of thousands of groups, and
/// they were the largest stalls of the hot path): first the key's slot in
/// [`AssessmentBuilder::numbered_groups`] is looked up (the row is `incoming`), then the group
/// its tag points to is counted (the row is `pending`, with `position`).
struct NumberedRow {
    input: usize,
    numbered: [u32; 8],
    hash: u64,
    rule: Option<u32>,
    line: u64,
    resources: RowResources,
}

/// A row whose group was found by its numbered key's hash tag alone (see [`NumberedRow`]).
struct PendingRow {
    row: NumberedRow,
    /// The group whose entry carries the row's tag (the key is compared when counting: another
    /// group may share the tag).
    position: usize,
}

#[derive(Default)]
pub(super) struct InputTally {
    pub(super) name: String,
    pub(super) format: String,
    pub(super) rows: u64,
    pub(super) blank_service_lines: Vec<u64>,
    pub(super) blank_service_rows: u64,
    pub(super) non_resource_rows: u64,
    pub(super) out_of_scope_rows: u64,
    pub(super) other_provider_rows: TextCounts,
    pub(super) line_item_types: TextCounts,
    pub(super) ragged_rows: u64,
    pub(super) duplicate_columns: Vec<String>,
    /// Rows whose JSON tags cell was malformed, and the first line of one.
    pub(super) malformed_tag_rows: u64,
    pub(super) first_malformed_tags_line: Option<u64>,
    pub(super) sha256: String,
    pub(super) bytes: u64,
    /// At least the resources of the rows assessed: see [`AssessmentBuilder::resources_overflow`].
    pub(super) resources_bound: u64,
    /// Whether `resources_bound` overflowed.
    pub(super) bound_overflowed: bool,
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

/// Aggregates inventory records as they stream in.
#[derive(Default)]
pub struct AssessmentBuilder {
    pub(super) inputs: Vec<InputTally>,
    pub(super) groups: Groups,
    pub(super) unowned: Keyed<UnownedTally>,
    /// Account names: the first seen per account, as (input, line, name).
    pub(super) account_names: BTreeMap<String, (usize, u64, String)>,
    /// The row fields of the hot path, numbered.
    fields: FieldNumbers,
    /// Groups by their numbered key (input, service, rule, account, Region, team, environment,
    /// classification): the same groups as their text keys, found without building those. Each
    /// entry is a tag of the key's hash and the group's position; the key itself is the
    /// group's `Tally::numbered`, which the row then updates: one cache miss for both, and
    /// 8-byte entries (a table of keys and positions was 40 bytes per group, beyond the core's
    /// cache at tens of thousands of groups).
    numbered_groups: GroupIndex,
    /// The hasher of `numbered_groups`.
    numbered_hasher: RandomState,
    /// Bits cleared from the hashes of numbered keys (none; all of them in tests, so that
    /// every key has the same hash and tag and the full comparison is exercised).
    hash_cleared: u64,
    /// The last row with a numbered key, not looked up yet (see [`NumberedRow`]).
    incoming: Option<NumberedRow>,
    /// The last row found by its tag, not counted yet (see [`NumberedRow`]).
    pending: Option<PendingRow>,
    /// Resources without an owner team by numbered key (service, rule, account, Region).
    numbered_unowned: HashMap<[u32; 4], usize>,
    /// Rows without an owner team not counted yet.
    unowned_queue: UnownedQueue,
    /// Per service number: whether a resource rule may move its rows at all (0 not known yet,
    /// 1 no, 2 yes): most identifiers name a service without rules, and skip `rule_memo`.
    may_move: Vec<u8>,
    /// Per account number: where its name was first seen, as (input, line), so that later rows
    /// of the account skip `account_names`.
    account_named_at: HashMap<u32, (usize, u64)>,
    scope: Scope,
    max_groups: usize,
    /// Where the group limit was first hit: (input, line).
    overflow: Option<(usize, u64)>,
    key: String,
    /// Identifier lookup and resource rules; without one, rows stay with the service their
    /// identifier names.
    resolver: Option<Arc<Resolver>>,
    /// Per identifier × resource type × usage type as written, by their numbers (the
    /// identifier's in `fields`, the others in `rule_fields`; not for ARNs; at most
    /// [`RULE_MEMO_ENTRIES`]): `None` when no resource rule can move such rows, else their
    /// namespace-level service (`None`: the identifier names nothing, but rules may) and what
    /// the rules say before the resource id is looked at.
    rule_memo: HashMap<[u32; 3], Option<(Option<usize>, TypeRules)>>,
    /// Resource types and usage types as written, numbered for `rule_memo` (apart from
    /// `fields`, whose table the group look-up keeps in cache).
    rule_fields: RuleFields,
    /// Sets of a group's ids from other forks, too large to unite while merging, by the group's
    /// position: counted with the group's own in [`AssessmentBuilder::finish_with`], on every
    /// thread (see [`crate::distinct`]). Kept here rather than in each tally (most have none).
    pub(super) waiting: Vec<(usize, DistinctIds)>,
    /// Forks merged into this builder: the threads that count distinct ids in `finish_with`,
    /// unless `finish_threads` says otherwise.
    pub(super) forks_merged: usize,
    pub(super) finish_threads: Option<usize>,
}

/// The most identifier × resource type × usage type combinations a builder remembers the
/// resource rules of, and the most resource and usage type values it numbers for them (about
/// 60 bytes a combination, 80 a value); rows past either are resolved without the memo.
const RULE_MEMO_ENTRIES: usize = 1 << 16;

/// Resource and usage types numbered for the resource-rule memo: at most [`RULE_MEMO_ENTRIES`]
/// values, however the builder was made.
struct RuleFields(FieldNumbers);

impl Default for RuleFields {
    fn default() -> Self {
        RuleFields(FieldNumbers::with_limit(RULE_MEMO_ENTRIES))
    }
}

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

/// Appends a field to a group key, length-prefixed so that no field content can merge two keys.
pub(super) fn push_field(key: &mut String, field: &str) {
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
pub(super) fn split_fields(key: &str) -> Vec<&str> {
    fields(key).collect()
}

/// The fields of a key written by [`push_field`], without collecting them.
fn fields(mut key: &str) -> impl Iterator<Item = &str> {
    std::iter::from_fn(move || {
        // The length's digits read in place: `finish` splits every key several times.
        let bytes = key.as_bytes();
        let mut len = 0usize;
        let mut digits = 0;
        while let Some(d) = bytes.get(digits).filter(|b| b.is_ascii_digit()) {
            len = len.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
            digits += 1;
        }
        if digits == 0 || bytes.get(digits) != Some(&b':') {
            return None;
        }
        let rest = &key[digits + 1..];
        let field = rest.get(..len)?;
        key = &rest[len..];
        Some(field)
    })
}

/// The eight fields of a group key: input, service, rule, account, Region, team, environment,
/// classification.
pub(super) fn group_fields(key: &str) -> Option<[&str; 8]> {
    let mut f = fields(key);
    let mut out = [""; 8];
    for slot in &mut out {
        *slot = f.next()?;
    }
    f.next().is_none().then_some(out)
}

/// Fewer keys than this are looked up (`merge`) or sorted (`finish_with`) on the calling thread
/// alone: a second thread would cost more than it saves.
pub(super) const PARALLEL_FROM: usize = 4096;

/// How many groups ahead `merge` and `finish_with`'s walks fetch the tallies (and keys) of: the
/// groups are walked in an order that is not theirs in memory.
pub(super) const FETCH_AHEAD: usize = 8;

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
        self.rule_fields = RuleFields::default();
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
        if is_arn(service) {
            // ARNs are not memoised: each is its own identifier.
            return resolver.refine(base_of(service)?, &facts);
        }
        let may_move = match number.map(|n| n as usize) {
            Some(n) => match self.may_move.get(n) {
                Some(1) => false,
                Some(2) => true,
                _ => {
                    let m = base_of(service).is_some();
                    if self.may_move.len() <= n {
                        self.may_move.resize(n + 1, 0);
                    }
                    self.may_move[n] = if m { 2 } else { 1 };
                    m
                }
            },
            // Past the numbering limit: asked again for each row.
            None => base_of(service).is_some(),
        };
        if !may_move {
            return None;
        }
        let by_type = || {
            base_of(service)
                .and_then(|base| resolver.refine_by_type(base, &facts).map(|t| (base, t)))
        };
        let key = (|| {
            Some([
                number?,
                self.rule_fields.0.number(rec.resource_type)?,
                self.rule_fields.0.number(rec.usage_type)?,
            ])
        })();
        let known = match key {
            Some(key) => match self.rule_memo.get(&key) {
                Some(&known) => known,
                None => {
                    let known = by_type();
                    if self.rule_memo.len() < RULE_MEMO_ENTRIES {
                        self.rule_memo.insert(key, known);
                    }
                    known
                }
            },
            // Past the numbering limits: asked again for each row.
            None => by_type(),
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
        // A pending row was kept under the old limit: it is counted under it.
        self.settle();
        self.max_groups = max;
    }

    /// Where the group limit was first hit, as `(input name, line)`; the assessment is then
    /// incomplete and must not be reported.
    pub fn limit_exceeded(&mut self) -> Option<(String, u64)> {
        self.settle();
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
        self.settle();
        other.settle();
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
            mine.other_provider_rows.merge(theirs.other_provider_rows);
            mine.line_item_types.merge(theirs.line_item_types);
        }
        if self.groups.len() == 0 {
            // The first fork's groups become these as they are: no copy, no growth.
            self.groups = std::mem::take(&mut other.groups);
            self.waiting.append(&mut other.waiting);
        }
        // No room is reserved for the other's groups: forks mostly see the same groups, and
        // reserving room for all of them would rehash every key here (4-5 ms at 30,000 groups)
        // to make room for the few that are new.
        // Where each of the other's groups lands here, for its waiting sets.
        let mut landed = vec![
            usize::MAX;
            if other.waiting.is_empty() {
                0
            } else {
                other.groups.len()
            }
        ];
        let Keyed {
            index: their_index,
            tallies: mut theirs,
        } = std::mem::take(&mut other.groups);
        // The other's groups (key and position there) and where each already is here.
        let their_keys: Vec<(&str, usize)> = their_index.iter().map(|(k, &i)| (&**k, i)).collect();
        let here = self.groups.positions_of(&their_keys);
        for (n, (&(key, at), &found)) in their_keys.iter().zip(&here).enumerate() {
            // Both sides' tallies are in no order here: those a few groups ahead are fetched
            // meanwhile.
            if let Some(&(_, ahead)) = their_keys.get(n + FETCH_AHEAD)
                && let Some(t) = theirs.get(ahead)
            {
                prefetch(t);
            }
            if let Some(&Some(ahead)) = here.get(n + FETCH_AHEAD)
                && let Some(t) = self.groups.tallies.get(ahead)
            {
                prefetch(t);
            }
            let Some(t) = theirs.get_mut(at).map(std::mem::take) else {
                continue;
            };
            let p = match found {
                Some(p) => p,
                None => self.groups.position_or_insert_with(key, || Tally {
                    first_line: t.first_line,
                    marker: t.marker,
                    ..Tally::default()
                }),
            };
            if let Some(l) = landed.get_mut(at) {
                *l = p;
            }
            let g = &mut self.groups.tallies[p];
            g.rows += t.rows;
            g.resources = g.resources.saturating_add(t.resources);
            g.blank_resource_ids += t.blank_resource_ids;
            // Small sets are united here; of two large ones, one waits for `finish_with`.
            g.distinct = match (std::mem::take(&mut g.distinct), t.distinct) {
                (DistinctIds::Many(a), DistinctIds::Many(b)) => {
                    let (keep, wait) = if a.len() >= b.len() { (a, b) } else { (b, a) };
                    self.waiting.push((p, DistinctIds::Many(wait)));
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
            g.first_line = g.first_line.min(t.first_line);
        }
        for (at, ids) in other.waiting {
            if let Some(&p) = landed.get(at) {
                self.waiting.push((p, ids));
            }
        }
        for (key, t) in other.unowned.into_iter() {
            let u = self.unowned.get_or_insert_with(&key, UnownedTally::default);
            u.resources = u.resources.saturating_add(t.resources);
            u.examples.merge(t.examples);
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
        if let Some(n) = number {
            match self.account_named_at.get_mut(&n) {
                Some(seen) if *seen <= at => return,
                Some(seen) => *seen = at,
                None => {
                    self.account_named_at.insert(n, at);
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

    /// The position of the group whose numbered key is `key` (its hash `hash`), if there is one.
    fn find_numbered(&self, key: [u32; 8], hash: u64) -> Option<usize> {
        let tallies = &self.groups.tallies;
        self.numbered_groups
            .find(hash, |p| {
                tallies.get(p as usize).is_some_and(|g| g.numbered == key)
            })
            .map(|p| p as usize)
    }

    /// Counts the rows still on their way: those without an owner team waiting for their tally
    /// (see `unowned`), and those waiting for their group (before anything reads or opens
    /// groups or tallies).
    pub(super) fn settle(&mut self) {
        self.unowned_queue.settle(&mut self.unowned.tallies);
        if let Some(row) = self.incoming.take() {
            self.place(row);
        }
        if let Some(row) = self.pending.take() {
            self.count_pending(row);
        }
    }

    /// Looks a row's numbered key up (its slot was fetched when the row came in). A key whose
    /// tag is in the table is counted with the next row so found (its group far enough from
    /// the limit that no row in between can reach it, so that where the limit is hit never
    /// changes); any other settles the pending row first, then is counted now.
    fn place(&mut self, row: NumberedRow) {
        let tag_found = if self.groups.len().saturating_add(2) < self.max_groups {
            self.numbered_groups.find_tag(row.hash)
        } else {
            None
        };
        if let Some(position) = tag_found.map(|p| p as usize) {
            if let Some(t) = self.groups.tallies.get(position) {
                prefetch(&t.numbered);
                prefetch(&t.distinct);
            }
            if let Some(before) = self.pending.replace(PendingRow { row, position }) {
                self.count_pending(before);
            }
        } else {
            if let Some(before) = self.pending.take() {
                self.count_pending(before);
            }
            if let Some(p) = self.open_numbered(&row) {
                count_row(&mut self.groups.tallies[p], row.line, row.resources);
            }
        }
    }

    /// The position of a numbered row's group, opened from its text fields when new (see
    /// [`AssessmentBuilder::group_of`]).
    fn open_numbered(&mut self, row: &NumberedRow) -> Option<usize> {
        let texts = self.fields.texts(&row.numbered);
        let fields = texts.each_ref().map(|t| &**t);
        let hashed = Some((row.numbered, row.hash));
        self.group_of(row.input, fields, row.rule, row.line, hashed)
    }

    /// Counts a row found by its tag: in the group the tag points to when its key is the row's,
    /// else in the group of that key (another group shared the tag).
    fn count_pending(&mut self, pending: PendingRow) {
        let PendingRow { row, position } = pending;
        let position = if self
            .groups
            .tallies
            .get(position)
            .is_some_and(|t| t.numbered == row.numbered)
        {
            Some(position)
        } else {
            // Another group's tag; else a new group after all.
            self.find_numbered(row.numbered, row.hash)
                .or_else(|| self.open_numbered(&row))
        };
        if let Some(p) = position {
            count_row(&mut self.groups.tallies[p], row.line, row.resources);
        }
    }

    /// The position of a row's group (`fields`: service, account, Region, team, environment,
    /// classification), found by its numbered key when it has one, else by its text key; opened
    /// when new, unless the group limit is reached (then `None`, and the limit noted).
    fn group_of(
        &mut self,
        input: usize,
        fields: [&str; 6],
        rule: Option<u32>,
        line: u64,
        hashed: Option<([u32; 8], u64)>,
    ) -> Option<usize> {
        let found = hashed.and_then(|(k, h)| self.find_numbered(k, h));
        if found.is_some() {
            return found;
        }
        let [service, account, region, team, environment, classification] = fields;
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
                self.overflow.get_or_insert((input, line));
                return None;
            }
            None => {
                let marker = id_hash(("group", self.key.as_str()));
                self.groups.position_or_insert_with(&self.key, || Tally {
                    first_line: line,
                    marker,
                    ..Tally::default()
                })
            }
        };
        if let (Some((k, h)), Ok(at)) = (hashed, u32::try_from(p)) {
            let tallies = &mut self.groups.tallies;
            tallies[p].numbered = k;
            let (hasher, cleared) = (&self.numbered_hasher, self.hash_cleared);
            self.numbered_groups.insert_unique(h, at, |q| {
                numbered_hash(hasher, cleared, tallies[q as usize].numbered)
            });
        }
        Some(p)
    }

    /// Counts one record of an input.
    pub fn add(&mut self, input: usize, rec: &InventoryRecord<'_>) {
        let Some(tally) = self.inputs.get_mut(input) else {
            return;
        };
        tally.rows += 1;
        let lit = tidy(rec.line_item_type);
        if !lit.is_empty() {
            tally.line_item_types.bump(lit);
        }
        match rec.kind {
            RowKind::Resource => {}
            RowKind::NonResource => {
                tally.non_resource_rows += 1;
                return;
            }
            RowKind::OtherProvider(p) => {
                tally.other_provider_rows.bump(tidy(p));
                return;
            }
        }
        let account = tidy(rec.account_id);
        let region = tidy(rec.region);
        let environment = tidy(rec.environment);
        if !self.scope.admits(account, region, environment) {
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
        let team = tidy(rec.owner_team);
        let resource_id = tidy(rec.resource_id);
        let classification = tidy(rec.data_classification);
        let service_number = if is_arn(service) {
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
        let hashed = numbered.map(|k| {
            (
                k,
                numbered_hash(&self.numbered_hasher, self.hash_cleared, k),
            )
        });
        let resources = RowResources::of(rec.resource_count, resource_id);
        if let Some((numbered, hash)) = hashed {
            // Looked up when the next row comes in (see `NumberedRow`).
            self.numbered_groups.prefetch(hash);
            let row = NumberedRow {
                input,
                numbered,
                hash,
                rule,
                line: rec.line,
                resources,
            };
            if let Some(before) = self.incoming.replace(row) {
                self.place(before);
            }
        } else {
            self.settle();
            let fields = [service, account, region, team, environment, classification];
            let Some(position) = self.group_of(input, fields, rule, rec.line, None) else {
                return;
            };
            count_row(&mut self.groups.tallies[position], rec.line, resources);
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
            // Counted two unowned rows later, its tally fetched meanwhile (see `unowned`).
            let ty = if resource_id.is_empty() {
                ""
            } else {
                tidy(rec.resource_type)
            };
            self.unowned_queue.push(
                &mut self.unowned.tallies,
                position,
                rec.resource_count,
                resource_id,
                ty,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::tests::catalog;
    use crate::catalog::Catalog;

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

    #[test]
    fn numbered_and_text_keys_give_the_same_assessment() {
        // The hot path finds groups by numbered fields; rows whose values are past the numbering
        // limit take the text path. Any limit, even one that splits a row's fields between the
        // two, gives the same assessment. So do hashes that all collide: every row then finds
        // some group by its tag, is counted with the next row, and most open their group from
        // their numbers after the comparison of keys fails. The built-in catalog, for its
        // resource rules.
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
        let run_with = |limit: usize, hash_cleared: u64, rule_limit: usize| {
            let mut b = AssessmentBuilder::new();
            b.set_resolver(cat.resolver().clone());
            b.fields.limit = limit;
            b.rule_fields.0.limit = rule_limit;
            b.hash_cleared = hash_cleared;
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
                        resource_type: ["", "AWS::EC2::Volume", "ec2:instance", ""]
                            [r.0 as usize / 3 % 4],
                        usage_type: [
                            "BoxUsage:t3.micro",
                            "EBS:VolumeUsage.gp3",
                            "",
                            "NatGateway-Hours",
                            "EBS:SnapshotUsage",
                        ][r.0 as usize / 5 % 5],
                        environment: ["prod", "", "dev"][r.0 as usize % 3],
                        data_classification: ["", "public", "internal", "secret", "pii"]
                            [r.0 as usize % 5],
                        ..InventoryRecord::default()
                    },
                );
            }
            b.settle();
            let numbered = (b.numbered_groups.len(), b.groups.len());
            (numbered, format!("{:?}", b.finish(&cat)))
        };
        let run =
            |limit: usize, hash_cleared: u64| run_with(limit, hash_cleared, RULE_MEMO_ENTRIES);
        let ((all_numbered, groups), expected) = run(MAX_NUMBERED_FIELDS, 0);
        assert!(
            expected.contains("\"ebs\""),
            "resource rules moved rows to EBS"
        );
        // Resource and usage types past their numbering limit are resolved without the memo.
        for rule_limit in [0, 1, 3] {
            let (_, got) = run_with(MAX_NUMBERED_FIELDS, 0, rule_limit);
            assert_eq!(expected, got, "rule limit {rule_limit}");
        }
        assert!(
            all_numbered > 0 && all_numbered < groups,
            "ARNs take the text path"
        );
        for limit in [0, 1, 3, 8, 12] {
            let ((numbered, _), got) = run(limit, 0);
            assert!(numbered < all_numbered, "limit {limit}");
            assert_eq!(expected, got, "limit {limit}");
        }
        for limit in [MAX_NUMBERED_FIELDS, 8] {
            let (_, got) = run(limit, u64::MAX);
            assert_eq!(expected, got, "limit {limit}, every hash the same");
        }
    }

    /// A row added before the group limit is lowered is counted under the limit it was added
    /// with, waiting or not: here the second row waits to be looked up (and would then find the
    /// first row's group by its tag, every hash being equal) and needs a group of its own.
    #[test]
    fn a_lower_group_limit_applies_to_rows_added_after_it() {
        let cat = catalog();
        let mut b = AssessmentBuilder::new();
        b.hash_cleared = u64::MAX;
        let i = b.start_input("a.csv", "cur");
        for (line, service) in [(2, "s3"), (3, "ec2")] {
            b.add(
                i,
                &InventoryRecord {
                    line,
                    service,
                    account_id: "111",
                    ..InventoryRecord::default()
                },
            );
        }
        assert!(b.incoming.is_some(), "the second row waits");
        b.set_max_groups(1);
        assert_eq!(b.limit_exceeded(), None);
        assert_eq!(b.groups.len(), 2);
        b.add(
            i,
            &InventoryRecord {
                line: 4,
                service: "lambda",
                account_id: "111",
                ..InventoryRecord::default()
            },
        );
        assert_eq!(b.limit_exceeded(), Some(("a.csv".to_owned(), 4)));
        assert_eq!(b.finish(&cat).total_rows(), 3);
    }

    /// Rows added after a merge land in their own groups, whether the merge handed the fork's
    /// groups over (none here yet) or added them: those groups carry the fork's numbered keys,
    /// which in this builder's numbering stand for other groups.
    #[test]
    fn rows_after_a_merge_land_in_their_groups() {
        let cat = catalog();
        let add =
            |b: &mut AssessmentBuilder, i: usize, &(line, service, account): &(u64, &str, &str)| {
                b.add(
                    i,
                    &InventoryRecord {
                        line,
                        service,
                        account_id: account,
                        region: "eu-west-1",
                        owner_team: "web",
                        resource_id: "",
                        line_item_type: "Usage",
                        ..InventoryRecord::default()
                    },
                );
            };
        // The fork numbers EC2 and account 2 first, this builder s3 and account 1: the same
        // numbers for different groups.
        let before = [(2, "s3", "1")];
        let forked = [(3, "AmazonEC2", "2"), (4, "s3", "2")];
        let after = [
            (5, "AmazonEC2", "2"),
            (6, "s3", "1"),
            (7, "AmazonEC2", "1"),
            (8, "s3", "2"),
        ];
        for rows_before in [false, true] {
            let mut one = AssessmentBuilder::new();
            let i = one.start_input("a.csv", "cur");
            let mut merged = AssessmentBuilder::new();
            let j = merged.start_input("a.csv", "cur");
            let mut fork = merged.fork();
            for r in before.iter().filter(|_| rows_before) {
                add(&mut one, i, r);
                add(&mut merged, j, r);
            }
            for r in &forked {
                add(&mut one, i, r);
                add(&mut fork, j, r);
            }
            merged.merge(fork);
            for r in &after {
                add(&mut one, i, r);
                add(&mut merged, j, r);
            }
            let (one, merged) = (one.finish(&cat), merged.finish(&cat));
            assert_eq!(
                format!("{one:?}"),
                format!("{merged:?}"),
                "rows before: {rows_before}"
            );
            let rows: Vec<_> = merged
                .services
                .iter()
                .map(|s| (s.service.id.as_str(), s.rows))
                .collect();
            let s3 = if rows_before { 4 } else { 3 };
            assert_eq!(rows, [("ec2", 3), ("s3", s3)]);
        }
        // A group a merge appends has the default numbered key, all zeros; so has a row whose
        // every field is this builder's first numbered value ("s3" here). Still two groups.
        let row = |b: &mut AssessmentBuilder, i: usize, line: u64, region: &str| {
            b.add(
                i,
                &InventoryRecord {
                    line,
                    service: "s3",
                    account_id: "s3",
                    region,
                    owner_team: "s3",
                    environment: "s3",
                    data_classification: "s3",
                    line_item_type: "Usage",
                    ..InventoryRecord::default()
                },
            );
        };
        let mut one = AssessmentBuilder::new();
        let i = one.start_input("a.csv", "cur");
        let mut merged = AssessmentBuilder::new();
        let j = merged.start_input("a.csv", "cur");
        let mut fork = merged.fork();
        for (line, region, into_fork) in [
            (2, "eu-west-1", false),
            (3, "s3", true),
            (4, "s3", false),
            (5, "eu-west-1", false),
        ] {
            row(&mut one, i, line, region);
            row(
                if into_fork { &mut fork } else { &mut merged },
                j,
                line,
                region,
            );
            if line == 3 {
                merged.merge(std::mem::replace(&mut fork, AssessmentBuilder::new()));
            }
        }
        let (one, merged) = (one.finish(&cat), merged.finish(&cat));
        assert_eq!(format!("{one:?}"), format!("{merged:?}"));
        assert_eq!(merged.services.len(), 1);
        assert_eq!(merged.services[0].regions.len(), 2);
    }

    #[test]
    fn forks_of_many_groups_merge_like_one_builder() {
        // Enough groups that the merge looks the other fork's up on two threads: most groups in
        // both forks, some in one only, ids shared across groups and forks.
        let cat = catalog();
        let rows: Vec<(u64, String, String, String)> = (0..30_000u64)
            .map(|n| {
                let account = format!(
                    "{:012}",
                    n % 7_000 + if n.is_multiple_of(11) { 50_000 } else { 0 }
                );
                let team = ["", "web", "data"][(n % 3) as usize].to_owned();
                (n + 2, account, team, format!("i-{}", n % 9_001))
            })
            .collect();
        let add = |b: &mut AssessmentBuilder, i: usize, r: &(u64, String, String, String)| {
            b.add(
                i,
                &InventoryRecord {
                    line: r.0,
                    service: if r.0.is_multiple_of(7) {
                        "s3"
                    } else {
                        "AmazonEC2"
                    },
                    account_id: &r.1,
                    region: "eu-west-1",
                    owner_team: &r.2,
                    resource_id: &r.3,
                    line_item_type: "Usage",
                    ..InventoryRecord::default()
                },
            );
        };
        let mut one = AssessmentBuilder::new();
        let i = one.start_input("a.csv", "cur");
        for r in &rows {
            add(&mut one, i, r);
        }
        let expected = format!("{:?}", one.finish(&cat));
        let mut merged = AssessmentBuilder::new();
        let j = merged.start_input("a.csv", "cur");
        let mut forks = [merged.fork(), merged.fork()];
        for (k, chunk) in rows.chunks(1_000).enumerate() {
            for r in chunk {
                add(&mut forks[k % 2], j, r);
            }
        }
        let [f0, f1] = forks;
        assert!(f0.groups.len() >= PARALLEL_FROM && f1.groups.len() >= PARALLEL_FROM);
        merged.merge(f0);
        merged.merge(f1);
        let got = format!("{:?}", merged.finish(&cat));
        assert!(
            got == expected,
            "the merged forks' assessment differs from one builder's"
        );
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
                let [f0, f1, f2] = forks;
                if finish_threads == Some(2) && max == DEFAULT_MAX_GROUPS {
                    // A builder that was itself merged into, merged last: its sets waiting for
                    // `finish_with` move along to the groups they belong to.
                    let mut pair = merged.fork();
                    pair.merge(f0);
                    pair.merge(f1);
                    assert!(!pair.waiting.is_empty(), "the test should merge large sets");
                    merged.merge(f2);
                    merged.merge(pair);
                } else {
                    for f in [f0, f1, f2] {
                        merged.merge(f);
                    }
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
    fn identifiers_with_a_character_across_byte_four_are_counted() {
        // "Café": the é takes bytes 3 and 4, so a test of the first four bytes as `arn:` must not
        // cut it (that panicked on the row).
        let cat = Catalog::builtin().unwrap();
        let mut b = AssessmentBuilder::new();
        b.set_resolver(cat.resolver().clone());
        let i = b.start_input("a.csv", "cur");
        for (line, service) in [(2, "Café"), (3, "ARN:aws:s3:::b"), (4, "arñ"), (5, "aws")] {
            b.add(
                i,
                &InventoryRecord {
                    line,
                    service,
                    resource_id: "x",
                    ..InventoryRecord::default()
                },
            );
        }
        assert_eq!(b.finish(&cat).inputs[0].rows, 4);
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
    fn keys_split_back_into_their_fields_and_stop_at_anything_else() {
        let fields_in = ["", "12:34", "é:ü", "0", &"x".repeat(1234)];
        let mut key = String::new();
        for f in fields_in {
            push_field(&mut key, f);
        }
        assert_eq!(split_fields(&key), fields_in);
        // Not a key written by push_field: no length, no colon, a length past the end, a length
        // that overflows.
        for bad in [
            "",
            "a:b",
            "3",
            "3:ab",
            ":ab",
            "99999999999999999999999:a",
            "+1:a",
        ] {
            assert!(split_fields(bad).is_empty(), "{bad:?}");
        }
        assert_eq!(split_fields("1:a2:b"), ["a"]);
    }
}
