//! Rows resolved the same way whatever the file format: a row's text by header position
//! ([`RowText`], for CSV records and Parquet batches alike) read through the plan into an
//! [`InventoryRecord`]: service (ARNs and Marketplace rows included), row kind, tags from tag
//! columns, `k=v` cells, JSON cells or maps, and `resource_count`.

use super::*;

/// The billing entity of third-party products sold through AWS Marketplace, and the identifier
/// the catalog knows them by.
pub(super) const MARKETPLACE_ENTITY: &str = "AWS Marketplace";

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
pub(super) struct ArnParts<'a> {
    region: &'a str,
    account: &'a str,
}

pub(super) fn arn_parts(arn: &str) -> Option<ArnParts<'_>> {
    let mut it = arn.strip_prefix("arn:")?.splitn(5, ':');
    let _partition = it.next()?;
    let _service = it.next()?;
    let region = it.next().unwrap_or("");
    let account = it.next().unwrap_or("");
    Some(ArnParts { region, account })
}

/// JSON tags of the current row, parsed on first use. Billing exports repeat a few thousand tag
/// sets over millions of rows, so what a set gives is kept by its text (up to
/// [`JSON_CACHE_ENTRIES`]), and a row whose `Tags` cell was seen before is not parsed again.
/// Only the wanted keys' values are kept ([`Wanted::keys`]): a row then finds each key's value
/// by its number, without comparing keys, and a set takes a few numbers rather than every tag.
#[derive(Default)]
pub(super) struct JsonTags {
    parsed: bool,
    /// The current row's values: an index into `store`, or `None` for `uncached`.
    current: Option<usize>,
    /// Per tag set seen: per wanted key, the number in `values` of its first non-empty value
    /// ([`NO_VALUE`] for none); and whether the cell was malformed.
    store: Vec<(Box<[u32]>, bool)>,
    index: std::collections::HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    /// The values of the sets in `store`, each once.
    values: Vec<Box<str>>,
    value_numbers: std::collections::HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    /// The current row's values per wanted key, once `store` is full.
    uncached: Vec<Option<String>>,
    /// The tags of the cell being parsed (kept for its allocation).
    parsed_tags: Vec<(String, String)>,
    /// Whether the current row's cell is malformed (not a JSON object or list).
    malformed: bool,
}

/// Distinct JSON tag cells remembered per parsing thread.
pub(super) const JSON_CACHE_ENTRIES: usize = 8192;

/// A wanted key that a tag set does not give.
const NO_VALUE: u32 = u32::MAX;

impl JsonTags {
    /// Parses `text`, or finds it parsed before, as the current row's tags; `keys` are the
    /// wanted keys, folded ([`Wanted::keys`]).
    fn load(&mut self, text: &str, keys: &[String]) {
        self.parsed = true;
        if let Some(&i) = self.index.get(text) {
            self.current = Some(i);
            self.malformed = self.store.get(i).is_some_and(|e| e.1);
            return;
        }
        let mut tags = std::mem::take(&mut self.parsed_tags);
        tags.clear();
        let malformed = !parse_json_tags(text, &mut tags);
        self.malformed = malformed;
        // Each key's first non-empty value, as a search of the tags in order finds it.
        let first = |key: &String| {
            tags.iter()
                .find(|(k, v)| k == key && !v.is_empty())
                .map(|(_, v)| v.as_str())
        };
        if self.store.len() < JSON_CACHE_ENTRIES {
            let numbers = keys
                .iter()
                .map(|key| first(key).map_or(NO_VALUE, |v| self.value_number(v)))
                .collect();
            self.store.push((numbers, malformed));
            self.index.insert(text.into(), self.store.len() - 1);
            self.current = Some(self.store.len() - 1);
        } else {
            self.uncached.clear();
            self.uncached
                .extend(keys.iter().map(|key| first(key).map(str::to_owned)));
            self.current = None;
        }
        self.parsed_tags = tags;
    }

    /// The number of `value` in `values`, adding it when new (at most one per wanted key of
    /// each stored set).
    fn value_number(&mut self, value: &str) -> u32 {
        if let Some(&n) = self.value_numbers.get(value) {
            return n;
        }
        let n = self.values.len() as u32;
        self.values.push(value.into());
        self.value_numbers.insert(value.into(), n);
        n
    }

    /// The current row's first non-empty value of wanted key number `key`.
    fn value(&self, key: usize) -> Option<&str> {
        match self.current {
            Some(i) => {
                let &n = self.store.get(i)?.0.get(key)?;
                (n != NO_VALUE)
                    .then(|| self.values.get(n as usize))
                    .flatten()
                    .map(|v| &**v)
            }
            None => self.uncached.get(key)?.as_deref(),
        }
    }
}

/// What resolving a row needs besides the row: the format, its plan and the wanted tag keys.
pub(crate) struct Resolve<'c> {
    pub format: Format,
    pub plan: &'c Plan,
    pub wanted: &'c Wanted,
}

/// A row that cannot be resolved: its `resource_count` (at the plan's column).
#[derive(Debug)]
pub(crate) enum RowError {
    /// Not a whole number.
    BadCount(String),
    /// Takes the input's total past `u64::MAX`.
    Overflow(u64),
}

impl RowError {
    /// What is wrong, without where (the same words for CSV and Parquet).
    pub(crate) fn message(&self) -> String {
        match self {
            RowError::BadCount(n) => {
                format!("resource_count `{n}` is not a whole number of resources")
            }
            RowError::Overflow(count) => format!(
                "resource_count `{count}` takes the input's total past {} resources; the counts cannot be added up (check this column)",
                u64::MAX
            ),
        }
    }

    /// The error at a CSV line, at the `resource_count` column.
    pub(super) fn at_line(self, input: &str, line: u64, column: Option<usize>) -> ImportError {
        let column = column.map_or(1, |c| c as u64 + 1);
        match self {
            RowError::BadCount(_) => ImportError::BadValue {
                input: input.to_owned(),
                line,
                column,
                message: self.message(),
            },
            RowError::Overflow(count) => ImportError::ResourceOverflow {
                input: input.to_owned(),
                line,
                column,
                count,
            },
        }
    }
}

/// A row's values by header position, as text, whatever the file format.
pub(crate) trait RowText<'r> {
    /// The trimmed value of a column (empty when null or absent).
    fn at(&self, col: usize) -> &'r str;

    /// The tags of the map column at `col` (Parquet `MAP<string,string>`), only those a wanted
    /// key asks for, each as its key's number in [`Wanted::keys`] and its value; `None` when
    /// that column's tags are JSON text.
    fn map_tags(&self, _col: usize) -> Option<&'r [(usize, &'r str)]> {
        None
    }

    fn get(&self, col: Option<usize>) -> &'r str {
        col.map_or("", |c| self.at(c))
    }

    fn first(&self, cols: &[usize]) -> &'r str {
        cols.iter()
            .map(|&c| self.at(c))
            .find(|v| !v.is_empty())
            .unwrap_or("")
    }
}

/// Per-row scratch of one parser: JSON tags and the owner/environment/classification values.
#[derive(Default)]
pub(crate) struct Resolver {
    /// One per JSON tags cell of the plan, in its order.
    json: Vec<JsonTags>,
    out: [String; 3],
}

impl Resolver {
    /// Resolves one row through the plan into an [`InventoryRecord`] and hands it to `sink`.
    /// `resources` is the sum of the `resource_count`s before the row; the row's is added.
    pub(crate) fn resolve<'r>(
        &mut self,
        ctx: &Resolve<'_>,
        row: &impl RowText<'r>,
        line: u64,
        counts: &mut Counts,
        resources: &mut u64,
        sink: &mut impl FnMut(&InventoryRecord<'_>),
    ) -> Result<(), RowError> {
        let plan = ctx.plan;
        let format = ctx.format;
        let wanted = ctx.wanted;
        // A native row is a resource (or `resource_count` of them); other formats' rows are
        // line items or listings whose resources are counted as distinct resource ids.
        let resource_count = match row.get(plan.resource_count) {
            "" if format == Format::Native => Some(1),
            "" => None,
            n => n
                .parse::<u64>()
                .map(Some)
                .map_err(|_| RowError::BadCount(n.to_owned()))?,
        };
        if let Some(n) = resource_count {
            *resources = resources.checked_add(n).ok_or(RowError::Overflow(n))?;
        }
        let arn = row.first(&plan.arn);
        let arn = if arn.starts_with("arn:") { arn } else { "" };
        let parts = arn_parts(arn);
        let mut service = row.first(&plan.service);
        if service.is_empty() {
            // Only an explicit service column is trusted over an ARN; a partial ARN stays
            // as written and the catalog does not resolve it (it is reported as unmapped).
            service = arn;
        }
        if row
            .first(&plan.billing_entity)
            .eq_ignore_ascii_case(MARKETPLACE_ENTITY)
        {
            // Marketplace product codes are opaque per product: the billing entity says
            // what the row is.
            service = MARKETPLACE_ENTITY;
        }
        let mut account_id = row.first(&plan.account_id);
        let mut region = row.first(&plan.region);
        if let Some(p) = &parts {
            if account_id.is_empty() {
                account_id = p.account;
            }
            if region.is_empty() {
                region = p.region;
            }
        }
        let line_item_type = row.get(plan.line_item_type);
        let provider = row.first(&plan.provider);
        let host = row.first(&plan.host_provider);
        // In scope: AWS's own rows, and a third party's product hosted on AWS (FOCUS 1.3).
        let in_scope = provider.is_empty()
            || is_aws_provider(provider)
            || (!host.is_empty() && is_aws_provider(host));
        let kind = if !in_scope {
            RowKind::OtherProvider(provider)
        } else if is_non_resource_type(line_item_type) {
            RowKind::NonResource
        } else {
            RowKind::Resource
        };
        self.json
            .resize_with(plan.tags_json.len(), JsonTags::default);
        let mut malformed = false;
        for (&col, json) in plan.tags_json.iter().zip(&mut self.json) {
            json.parsed = false;
            // Every row's JSON tags are checked, not only those whose tags are looked up,
            // so that a malformed cell is counted whichever columns the row fills.
            let cell = row.at(col);
            if row.map_tags(col).is_none() && !cell.is_empty() {
                json.load(cell, &wanted.keys);
                malformed |= json.malformed;
            }
        }
        if malformed {
            counts.malformed_tag_rows += 1;
            counts.first_malformed_tags_line.get_or_insert(line);
        }
        let [team, environment, classification] = &mut self.out;
        for (explicit, sources, slot) in [
            (&plan.owner_team, &wanted.team, &mut *team),
            (&plan.environment, &wanted.environment, &mut *environment),
            (
                &plan.data_classification,
                &wanted.classification,
                &mut *classification,
            ),
        ] {
            slot.clear();
            let v = row.first(explicit);
            if v.is_empty() {
                if let Some(v) = tag_value(row, plan, wanted, sources, &mut self.json) {
                    slot.push_str(v.trim());
                }
            } else {
                slot.push_str(v);
            }
        }
        counts.rows += 1;
        sink(&InventoryRecord {
            line,
            kind,
            line_item_type,
            service,
            account_id,
            account_name: row.first(&plan.account_name),
            region,
            resource_id: row.first(&plan.resource_id),
            resource_type: row.first(&plan.resource_type),
            usage_type: row.first(&plan.usage_type),
            engine: row.first(&plan.engine),
            owner_team: team,
            environment,
            data_classification: classification,
            resource_count,
        });
        Ok(())
    }
}

/// Where each wanted tag key may be found, resolved once from the header: per key, in order of
/// preference, the tag columns that carry it.
pub(crate) struct Wanted {
    pub team: Vec<KeySources>,
    pub environment: Vec<KeySources>,
    pub classification: Vec<KeySources>,
    /// Every wanted key once, folded: JSON tag sets and Parquet map tags give their values by
    /// these keys' numbers.
    pub keys: Vec<String>,
}

/// One wanted tag key and the tag columns named after it.
pub(crate) struct KeySources {
    /// The key's position in [`Wanted::keys`] (where it is, folded).
    pub number: usize,
    pub columns: Vec<usize>,
}

impl Wanted {
    pub(crate) fn new(tag_keys: &TagKeys, plan: &Plan) -> Wanted {
        let mut keys: Vec<String> = Vec::new();
        let mut resolve = |v: &[String]| {
            v.iter()
                .map(|k| {
                    let key = fold_key(k);
                    let columns = plan
                        .tag_columns
                        .iter()
                        .filter(|(_, name)| *name == key)
                        .map(|(c, _)| *c)
                        .collect();
                    let number = match keys.iter().position(|k| *k == key) {
                        Some(n) => n,
                        None => {
                            keys.push(key);
                            keys.len() - 1
                        }
                    };
                    KeySources { number, columns }
                })
                .collect()
        };
        let team = resolve(&tag_keys.team);
        let environment = resolve(&tag_keys.environment);
        let classification = resolve(&tag_keys.classification);
        Wanted {
            team,
            environment,
            classification,
            keys,
        }
    }
}

/// A row's fields as text (UTF-8 already checked).
pub(super) struct Row<'r> {
    pub(super) rec: Fields<'r>,
    pub(super) null_literal: bool,
}

impl<'r> RowText<'r> for Row<'r> {
    fn at(&self, col: usize) -> &'r str {
        let v = trim(self.rec.text(col).unwrap_or(""));
        if self.null_literal && v == "NULL" {
            ""
        } else {
            v
        }
    }
}

/// `str::trim`, with a fast answer for the common cases: an empty value, and a value that starts
/// and ends with an ASCII character that is not whitespace.
pub(crate) fn trim(s: &str) -> &str {
    let tidy = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && !char::from(b).is_whitespace());
    if s.is_empty() || (tidy(s.as_bytes().first()) && tidy(s.as_bytes().last())) {
        s
    } else {
        s.trim()
    }
}

/// The first non-empty value of a wanted key: the `k=v;k=v` cell, then tag columns, then JSON
/// tags cells (or maps) in the plan's order.
pub(super) fn tag_value<'a, 'r: 'a>(
    row: &impl RowText<'r>,
    plan: &Plan,
    wanted: &Wanted,
    sources: &[KeySources],
    json: &'a mut [JsonTags],
) -> Option<&'a str> {
    // Each map column's entries for this row, found once (the sources below look at every
    // column in turn): the first few columns' kept here, any further ones found again.
    const KEPT: usize = 4;
    let mut maps: [Option<&'r [(usize, &'r str)]>; KEPT] = [None; KEPT];
    for (i, (&col, json)) in plan.tags_json.iter().zip(json.iter_mut()).enumerate() {
        let map = row.map_tags(col);
        if let Some(kept) = maps.get_mut(i) {
            *kept = map;
        }
        if map.is_none() && !json.parsed {
            json.load(row.at(col), &wanted.keys);
        }
    }
    let map_at = |i: usize, col: usize| match maps.get(i) {
        Some(&kept) => kept,
        None => row.map_tags(col),
    };
    let native_map = plan.tags_kv.and_then(|col| row.map_tags(col));
    let json: &'a [JsonTags] = json;
    let kv = row.get(plan.tags_kv);
    for s in sources {
        if !kv.is_empty() {
            for pair in kv.split(';') {
                if let Some((k, v)) = pair.split_once('=')
                    && wanted.keys.get(s.number) == Some(&fold_key(k))
                    && !v.trim().is_empty()
                {
                    return Some(v.trim());
                }
            }
        }
        for &col in &s.columns {
            let v = row.at(col);
            if !v.is_empty() {
                return Some(v);
            }
        }
        for (i, (&col, json)) in plan.tags_json.iter().zip(json).enumerate() {
            if let Some(map) = map_at(i, col) {
                if let Some((_, v)) = map.iter().find(|(k, v)| *k == s.number && !v.is_empty()) {
                    return Some(v);
                }
            } else if let Some(v) = json.value(s.number) {
                return Some(v);
            }
        }
        // A native `tags` column stored as a Parquet map.
        if let Some(map) = native_map
            && let Some((_, v)) = map.iter().find(|(k, v)| *k == s.number && !v.is_empty())
        {
            return Some(v);
        }
    }
    None
}

/// Reads JSON tags: `{"Team": "x"}` (FOCUS, CUR 2.0, where CUR 2.0 keys carry a `user_` prefix)
/// or `[{"key": "Team", "value": "x"}]` (AWS Config). Keys are folded; list items without a key
/// and a value are skipped. Returns whether the cell is well-formed: empty, `null`, an object or
/// a list; anything else (not JSON, or another JSON value) gives no tags and `false`.
pub(super) fn parse_json_tags(text: &str, out: &mut Vec<(String, String)>) -> bool {
    if text.is_empty() {
        return true;
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let as_text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut push = |k: &str, v: String| {
        let k = k
            .strip_prefix("user:")
            .or_else(|| k.strip_prefix("user_"))
            .unwrap_or(k);
        out.push((fold_key(k), v));
    };
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in &map {
                push(k, as_text(v));
            }
        }
        serde_json::Value::Array(items) => {
            for item in &items {
                let field = |names: [&str; 2]| names.iter().find_map(|n| item.get(n));
                if let (Some(k), Some(v)) = (field(["key", "Key"]), field(["value", "Value"])) {
                    push(&as_text(k), as_text(v));
                }
            }
        }
        serde_json::Value::Null => {}
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first non-empty value of `key` in `cell`, as a search of all its tags finds it.
    fn reference(cell: &str, key: &str) -> Option<String> {
        let mut tags = Vec::new();
        parse_json_tags(cell, &mut tags);
        tags.into_iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v)
    }

    /// Whether kept in the cache or read past its end, every cell gives each wanted key's first
    /// non-empty value, and a cell seen again gives the same (also once the cache is full).
    #[test]
    fn tag_sets_give_each_wanted_key_its_first_value_cached_or_not() {
        let keys: Vec<String> = ["team", "environment", "owner"].map(String::from).into();
        let cell = |n: usize| match n % 4 {
            0 => format!(
                r#"{{"Team": "t{}", "Environment": "prod", "n": {n}}}"#,
                n % 7
            ),
            // Two spellings of one key: the first non-empty in the object's order.
            1 => format!(r#"{{"TEAM": "", "team": "late{n}", "Owner": "o"}}"#),
            2 => format!(r#"[{{"key": "Environment", "value": "dev{n}"}}]"#),
            _ => format!(r#"{{"Team": {n}, "oops"#),
        };
        let mut json = JsonTags::default();
        let cells = JSON_CACHE_ENTRIES + 50;
        for round in 0..2 {
            for n in 0..cells {
                let text = cell(n);
                json.load(&text, &keys);
                assert_eq!(json.malformed, n % 4 == 3, "cell {n}");
                for (k, key) in keys.iter().enumerate() {
                    assert_eq!(
                        json.value(k),
                        reference(&text, key).as_deref(),
                        "cell {n}, key {key}, round {round}"
                    );
                }
                assert_eq!(json.current.is_some(), n < JSON_CACHE_ENTRIES, "cell {n}");
            }
        }
        assert_eq!(json.store.len(), JSON_CACHE_ENTRIES);
        // Values are kept once however many sets give them.
        let distinct: std::collections::HashSet<&str> = json.values.iter().map(|v| &**v).collect();
        assert_eq!(distinct.len(), json.values.len());
        assert!(json.values.len() < JSON_CACHE_ENTRIES);
    }

    #[test]
    fn wanted_keys_are_numbered_once_across_slots() {
        let plan = Plan::default();
        let tag_keys = TagKeys {
            team: vec!["Team".into(), "Owner".into()],
            environment: vec!["env".into(), "owner".into()],
            classification: vec!["DataClassification".into()],
        };
        let w = Wanted::new(&tag_keys, &plan);
        assert_eq!(w.keys.len(), 4, "{:?}", w.keys);
        let given = [
            &tag_keys.team,
            &tag_keys.environment,
            &tag_keys.classification,
        ];
        let sources = [&w.team, &w.environment, &w.classification];
        for (keys, sources) in given.into_iter().zip(sources) {
            for (k, s) in keys.iter().zip(sources) {
                assert_eq!(w.keys[s.number], fold_key(k));
            }
        }
        assert_eq!(w.team[1].number, w.environment[1].number);
    }
}
