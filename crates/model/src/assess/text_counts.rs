//! Short texts of the row's hot path: compared inline ([`same_text`]), and counted per text
//! ([`TextCounts`]: line item types, other providers), without a library call or a tree walk
//! for each row.

use std::collections::BTreeMap;

/// Whether two texts are equal, compared a word at a time inline. The standard comparison calls
/// the C library's `memcmp` for every pair, which costs more than comparing the few bytes of
/// an account id, a Region or a line item type; long texts still take it.
#[inline]
pub(super) fn same_text(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n > 32 {
        return a == b;
    }
    if n >= 8 {
        // Whole words, then the last word (overlapping the one before when `n` is no multiple
        // of 8).
        let mut at = 0;
        while at + 8 < n {
            if word(a, at) != word(b, at) {
                return false;
            }
            at += 8;
        }
        return word(a, n - 8) == word(b, n - 8);
    }
    if n >= 4 {
        return half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// The 8 bytes of `s` from `at`.
#[inline(always)]
fn word(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_ne_bytes(w)
}

/// The 4 bytes of `s` from `at`.
#[inline(always)]
fn half(s: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&s[at..at + 4]);
    u32::from_ne_bytes(w)
}

/// The first texts counted, looked up in a short list before the tree that holds the rest: an
/// export has a handful of line item types, and most rows carry the first one seen.
const FEW: usize = 16;

/// Counts per text: the first [`FEW`] texts in a list compared with [`same_text`], any more in
/// a tree (so that an input of a million distinct texts costs a tree look-up per row, not a
/// walk of a long list).
#[derive(Default, Debug, Clone)]
pub(super) struct TextCounts {
    few: Vec<(Box<str>, u64)>,
    more: BTreeMap<String, u64>,
}

impl TextCounts {
    /// Adds one to `text`'s count.
    #[inline]
    pub(super) fn bump(&mut self, text: &str) {
        self.add(text, 1);
    }

    /// Adds `n` to `text`'s count.
    pub(super) fn add(&mut self, text: &str, n: u64) {
        if let Some((_, count)) = self
            .few
            .iter_mut()
            .find(|(t, _)| same_text(t.as_bytes(), text.as_bytes()))
        {
            *count += n;
        } else if self.few.len() < FEW {
            self.few.push((text.into(), n));
        } else if let Some(count) = self.more.get_mut(text) {
            *count += n;
        } else {
            self.more.insert(text.to_owned(), n);
        }
    }

    /// Adds every count of `other`.
    pub(super) fn merge(&mut self, other: TextCounts) {
        for (text, n) in other.few {
            self.add(&text, n);
        }
        for (text, n) in other.more {
            self.add(&text, n);
        }
    }

    /// The counts by text, in text order.
    pub(super) fn to_map(&self) -> BTreeMap<String, u64> {
        let mut map = self.more.clone();
        for (text, n) in &self.few {
            *map.entry(text.to_string()).or_default() += n;
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Inline comparison agrees with the standard one for every length around the word
        /// sizes, equal texts and texts differing in any one byte.
        #[test]
        fn same_text_is_equality(
            a in proptest::collection::vec(proptest::num::u8::ANY, 0..48),
            at in 0usize..48,
            by in 1u8..=255,
            cut in 0usize..3,
        ) {
            proptest::prop_assert!(same_text(&a, &a.clone()));
            let mut b = a.clone();
            if !b.is_empty() {
                let i = at % b.len();
                b[i] = b[i].wrapping_add(by);
                proptest::prop_assert_eq!(same_text(&a, &b), a == b);
            }
            let shorter = &a[..a.len().saturating_sub(cut)];
            proptest::prop_assert_eq!(same_text(&a, shorter), a.as_slice() == shorter);
        }

        /// Counts are those of a plain map, however many distinct texts there are and however
        /// they are split between merged counters.
        #[test]
        fn counts_are_those_of_a_map(
            texts in proptest::collection::vec(0u8..40, 0..200),
            split in 0usize..200,
        ) {
            let name = |t: u8| format!("type-{t}");
            let mut want: BTreeMap<String, u64> = BTreeMap::new();
            let (mut one, mut two) = (TextCounts::default(), TextCounts::default());
            for (i, &t) in texts.iter().enumerate() {
                *want.entry(name(t)).or_default() += 1;
                if i < split { one.bump(&name(t)) } else { two.bump(&name(t)) }
            }
            one.merge(two);
            proptest::prop_assert_eq!(one.to_map(), want);
        }
    }
}
