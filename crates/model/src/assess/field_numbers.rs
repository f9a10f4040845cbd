//! The text fields of the rows a builder has seen, numbered (see [`FieldNumbers`]).

use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use super::text_counts::same_text;

/// The text fields of the rows a builder has seen, numbered, so that the hot path looks a row's
/// group up by a few integers instead of building, hashing and comparing its whole text key.
/// Numbers are the builder's own (forks number differently): they never leave it.
///
/// The table holds numbers only; a candidate's text is compared inline ([`same_text`]): the
/// standard map compared each row's six fields through a `memcmp` call each (docs/performance.md,
/// "2026-12-07, afternoon").
pub(super) struct FieldNumbers {
    /// Numbers, found by the hash of their text.
    table: HashTable<u32>,
    /// The values by number.
    values: Vec<Arc<str>>,
    /// The values' bytes again, one after the other, and where each one is, by number: what a
    /// look-up compares. Each `Arc` is an allocation of its own, scattered over the heap, and the
    /// bytes of every row streamed through the cache between two look-ups of a value: comparing
    /// with it waited for memory (docs/performance.md, "2026-12-07, night").
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// Field values come from inputs: a random seed per run (no chosen-collision slowdown).
    hasher: RandomState,
    /// The most values numbered ([`MAX_NUMBERED_FIELDS`], lower in tests).
    pub(super) limit: usize,
}

impl Default for FieldNumbers {
    fn default() -> Self {
        FieldNumbers {
            table: HashTable::new(),
            values: Vec::new(),
            bytes: Vec::new(),
            spans: Vec::new(),
            hasher: RandomState::default(),
            limit: MAX_NUMBERED_FIELDS,
        }
    }
}

/// The most field values a builder numbers; rows with values beyond them take the text path.
pub(super) const MAX_NUMBERED_FIELDS: usize = 1 << 21;

impl FieldNumbers {
    /// Numbers for at most `limit` values.
    pub(super) fn with_limit(limit: usize) -> FieldNumbers {
        FieldNumbers {
            limit,
            ..FieldNumbers::default()
        }
    }

    /// The number of `value`, numbering it when new (`None` once [`MAX_NUMBERED_FIELDS`] are).
    pub(super) fn number(&mut self, value: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(value);
        let (bytes, spans) = (&self.bytes, &self.spans);
        if let Some(&n) = self.table.find(hash, |&n| {
            let (start, end) = spans[n as usize];
            same_text(&bytes[start..end], value.as_bytes())
        }) {
            return Some(n);
        }
        if self.values.len() >= self.limit {
            return None;
        }
        let n = self.values.len() as u32;
        self.values.push(value.into());
        let start = self.bytes.len();
        self.bytes.extend_from_slice(value.as_bytes());
        self.spans.push((start, self.bytes.len()));
        let (values, hasher) = (&self.values, &self.hasher);
        self.table
            .insert_unique(hash, n, |&m| hasher.hash_one(&*values[m as usize]));
        Some(n)
    }

    /// The text fields (service, account, Region, team, environment, classification) of a
    /// numbered key: for a row whose group is opened after its own text is gone (see
    /// `NumberedRow`).
    pub(super) fn texts(&self, numbered: &[u32; 8]) -> [Arc<str>; 6] {
        [1, 3, 4, 5, 6, 7].map(|i| Arc::clone(&self.values[numbered[i] as usize]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_text_gets_one_number_in_order_up_to_the_limit() {
        let mut f = FieldNumbers {
            limit: 4,
            ..FieldNumbers::default()
        };
        let texts = [
            "eu-west-1",
            "",
            "123456789012",
            "eu-west-1",
            "AmazonEC2",
            "x",
            "",
        ];
        let got: Vec<Option<u32>> = texts.iter().map(|t| f.number(t)).collect();
        assert_eq!(
            got,
            [Some(0), Some(1), Some(2), Some(0), Some(3), None, Some(1)]
        );
        let texts = f.texts(&[9, 0, 9, 1, 2, 3, 0, 1]);
        assert_eq!(
            texts.each_ref().map(|t| &**t),
            [
                "eu-west-1",
                "",
                "123456789012",
                "AmazonEC2",
                "eu-west-1",
                ""
            ]
        );
    }
}
