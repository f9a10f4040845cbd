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
/// Each slot of the table holds a value's length and first [`HEAD`] bytes beside its number, so
/// that a look-up compares most values (account ids, Regions, teams, environments) in the cache
/// line the probe reads anyway. Between two look-ups of a value the bytes of a row stream
/// through the cache: when the comparison read the value's own allocation, the look-up waited
/// for memory there (docs/performance.md, "2026-12-07, late night: what rows wait for in
/// memory"). Longer values compare their remaining bytes from one contiguous copy.
///
/// A value costs its `Arc`, a 24-byte slot (about two with the table's spare room) and a 4-byte
/// tail start: values are at most six per group, and a group costs more than that on its own.
pub(super) struct FieldNumbers {
    /// Numbers, found by the hash of their text.
    table: HashTable<Slot>,
    /// The values by number.
    values: Vec<Arc<str>>,
    /// The bytes of values longer than [`HEAD`] past their head, one after the other, and where
    /// each value's start, by number (its length gives the end).
    tails: Vec<u8>,
    tail_starts: Vec<u32>,
    /// Field values come from inputs: a random seed per run (no chosen-collision slowdown).
    hasher: RandomState,
    /// The most values numbered ([`MAX_NUMBERED_FIELDS`], lower in tests).
    pub(super) limit: usize,
}

/// Bytes of a value kept in its table slot.
const HEAD: usize = 16;

/// A table slot: a value's number, length and first [`HEAD`] bytes (zero after its end).
#[derive(Clone, Copy)]
struct Slot {
    number: u32,
    len: u32,
    head: [u64; 2],
}

/// The first [`HEAD`] bytes of `value` as two little-endian words, zero after its end: read a
/// word (or half) at a time, overlapping, rather than copied byte by byte or through a call.
#[inline]
fn head(value: &[u8]) -> [u64; 2] {
    let n = value.len();
    let word = |at: usize| {
        value
            .get(at..at + 8)
            .map_or(0, |w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
    };
    let half = |at: usize| {
        value.get(at..at + 4).map_or(0, |w| {
            u64::from(u32::from_le_bytes(w.try_into().unwrap_or_default()))
        })
    };
    match n {
        16.. => [word(0), word(8)],
        // The last word, its first `16 - n` bytes (the first word's) shifted out.
        9..=15 => [word(0), word(n - 8) >> (8 * (16 - n))],
        8 => [word(0), 0],
        // The first and last halves, overlapping (the same bytes twice).
        4..=7 => [half(0) | half(n - 4) << (8 * (n - 4)), 0],
        _ => [
            value
                .iter()
                .enumerate()
                .fold(0, |w, (i, &b)| w | u64::from(b) << (8 * i)),
            0,
        ],
    }
}

impl Default for FieldNumbers {
    fn default() -> Self {
        FieldNumbers {
            table: HashTable::new(),
            values: Vec::new(),
            tails: Vec::new(),
            tail_starts: Vec::new(),
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

    /// The number of `value`, numbering it when new: `None` once `limit` values are numbered,
    /// or when the tails would pass 4 GiB (such values take the text path).
    pub(super) fn number(&mut self, value: &str) -> Option<u32> {
        let bytes = value.as_bytes();
        let hash = self.hasher.hash_one(value);
        let (len, first) = (bytes.len(), head(bytes));
        let (tails, tail_starts) = (&self.tails, &self.tail_starts);
        if let Some(slot) = self.table.find(hash, |slot| {
            slot.len as usize == len
                && slot.head == first
                && (len <= HEAD || {
                    let start = tail_starts[slot.number as usize] as usize;
                    same_text(&tails[start..start + len - HEAD], &bytes[HEAD..])
                })
        }) {
            return Some(slot.number);
        }
        let tail = len.saturating_sub(HEAD);
        let Ok(start) = u32::try_from(self.tails.len()) else {
            return None;
        };
        if self.values.len() >= self.limit
            || u32::try_from(len).is_err()
            || u32::try_from(self.tails.len() + tail).is_err()
        {
            return None;
        }
        let number = self.values.len() as u32;
        self.values.push(value.into());
        self.tails.extend_from_slice(&bytes[len - tail..]);
        self.tail_starts.push(start);
        let slot = Slot {
            number,
            len: len as u32,
            head: first,
        };
        let (values, hasher) = (&self.values, &self.hasher);
        self.table
            .insert_unique(hash, slot, |s| hasher.hash_one(&*values[s.number as usize]));
        Some(number)
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

    #[test]
    fn a_head_is_the_first_bytes_zero_padded() {
        let text: Vec<u8> = (1..=20).collect();
        for n in 0..=20 {
            let mut padded = [0u8; 16];
            let k = n.min(16);
            padded[..k].copy_from_slice(&text[..k]);
            let expected = [
                u64::from_le_bytes(padded[..8].try_into().unwrap()),
                u64::from_le_bytes(padded[8..].try_into().unwrap()),
            ];
            assert_eq!(head(&text[..n]), expected, "{n} bytes");
        }
    }

    proptest::proptest! {
        /// Equal texts get one number, different texts different ones, whatever their length
        /// against the slot's head (texts sharing their first 16 bytes, NUL bytes, texts one
        /// byte apart in length).
        #[test]
        fn numbers_are_one_per_distinct_text(
            texts in proptest::collection::vec(
                "(arn:aws:ec2:us-east-1|0123456789abcdef|a)?(\\x00|x|yz)?[0-9]{0,3}",
                0..60,
            ),
        ) {
            let mut f = FieldNumbers::default();
            let mut seen: std::collections::HashMap<String, u32> = Default::default();
            for t in &texts {
                let n = f.number(t).unwrap();
                let expected = *seen.entry(t.clone()).or_insert(n);
                proptest::prop_assert_eq!(n, expected, "{:?}", t);
            }
            let mut numbers: Vec<u32> = seen.values().copied().collect();
            numbers.sort_unstable();
            numbers.dedup();
            proptest::prop_assert_eq!(numbers.len(), seen.len());
            for (t, &n) in &seen {
                proptest::prop_assert_eq!(&*f.values[n as usize], t.as_str());
            }
        }
    }
}
