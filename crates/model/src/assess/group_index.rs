//! [`GroupIndex`]: the builder's table from a row's numbered group key (its hash) to the group's
//! position, with a way to fetch a key's slot from memory before it is looked up.
//!
//! Why not `hashbrown::HashTable`, which this replaced: at tens of thousands of groups the table
//! is beyond the core's cache (every row's 500 bytes stream through it), and the first load of
//! a row's bucket was the largest stall left on the hot path (about half of
//! `AssessmentBuilder::add`'s own time in a profile of the 1M-row CUR). The stall is hidden by
//! asking for the slot one row ahead, which needs the slot's address from the hash; hashbrown
//! does not expose it. This table is linear probing over 8-byte entries (a 32-bit tag from the
//! hash and the group's position), at most half full: a probe nearly always stays in the one
//! cache line that was fetched. Its behaviour is held to a hash map's by the property test
//! below.

/// Positions of groups by the hash of their numbered key. Entries hold a tag of the hash and a
/// position only; the key itself is the caller's (compared by the closure given to
/// [`GroupIndex::find`]), so that a look-up touches one line of this table and then the group.
#[derive(Default)]
pub(super) struct GroupIndex {
    /// `tag << 32 | (position + 1)`, or 0 for an empty slot; a power of two long (or empty).
    slots: Vec<u64>,
    len: usize,
}

/// The tag of a hash kept in its entry: bits 24 to 55, apart from the low bits that choose the
/// slot (up to 2^24 slots), so that entries probed together rarely share a tag.
fn tag(hash: u64) -> u32 {
    (hash >> 24) as u32
}

impl GroupIndex {
    /// The number of entries.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// Asks for the cache line of `hash`'s first slot, ahead of a [`GroupIndex::find`] or
    /// [`GroupIndex::find_tag`] for it.
    #[inline(always)]
    pub(super) fn prefetch(&self, hash: u64) {
        if let Some(slot) = self.slots.get(hash as usize & self.mask()) {
            super::builder::prefetch(slot);
        }
    }

    /// The entries from `hash`'s first slot to the first empty one, as (tag, position).
    fn probe(&self, hash: u64) -> impl Iterator<Item = (u32, u32)> + '_ {
        let mask = self.mask();
        let start = hash as usize & mask;
        // At most half full: an empty slot always ends the walk.
        (0..self.slots.len())
            .map(move |i| self.slots[(start + i) & mask])
            .take_while(|&e| e != 0)
            .map(|e| ((e >> 32) as u32, (e as u32) - 1))
    }

    /// The first position whose entry carries `hash`'s tag (its key may still differ).
    #[inline]
    pub(super) fn find_tag(&self, hash: u64) -> Option<u32> {
        let tag = tag(hash);
        self.probe(hash).find(|&(t, _)| t == tag).map(|(_, p)| p)
    }

    /// The position whose entry carries `hash`'s tag and for which `is_key` holds.
    pub(super) fn find(&self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        let tag = tag(hash);
        self.probe(hash)
            .find(|&(t, p)| t == tag && is_key(p))
            .map(|(_, p)| p)
    }

    /// Adds `position` under `hash` (the caller has checked that its key is not in the table);
    /// `hash_of` gives the hash of an entry's position when the table grows. `position` is below
    /// `u32::MAX`.
    pub(super) fn insert_unique(&mut self, hash: u64, position: u32, hash_of: impl Fn(u32) -> u64) {
        debug_assert!(position < u32::MAX);
        if (self.len + 1) * 2 > self.slots.len() {
            let grown = vec![0; (self.slots.len() * 2).max(MIN_SLOTS)];
            let old = std::mem::replace(&mut self.slots, grown);
            for entry in old.into_iter().filter(|&e| e != 0) {
                self.place(hash_of((entry as u32) - 1), entry);
            }
        }
        self.place(hash, u64::from(tag(hash)) << 32 | u64::from(position + 1));
        self.len += 1;
    }

    fn place(&mut self, hash: u64, entry: u64) {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = entry;
    }
}

/// The first allocation: 512 entries, 4 KiB.
const MIN_SLOTS: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn hash_of(key: u32, cleared: u64) -> u64 {
        // Not foldhash: a plain mix whose collisions the test controls through `cleared`.
        (u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(key) << 40) & !cleared
    }

    proptest! {
        /// Keys inserted in any order, with hashes of any quality (down to all equal), are found
        /// at their positions, and keys never inserted are not; tags alone find the first entry
        /// of a tag, as the builder's fast path expects.
        #[test]
        fn finds_what_a_hash_map_finds(
            keys in proptest::collection::vec(0u32..5_000, 0..1_500),
            absent in proptest::collection::vec(5_000u32..10_000, 0..50),
            cleared in prop_oneof![Just(0u64), Just(u64::MAX), Just(!0xFF), Just(0xFFFF_FFFF)],
        ) {
            let mut index = GroupIndex::default();
            let mut map = HashMap::new();
            let mut keys_at: Vec<u32> = Vec::new();
            for key in keys {
                let hash = hash_of(key, cleared);
                let found = index.find(hash, |p| keys_at[p as usize] == key);
                prop_assert_eq!(found, map.get(&key).copied());
                if found.is_none() {
                    let position = keys_at.len() as u32;
                    keys_at.push(key);
                    index.insert_unique(hash, position, |p| hash_of(keys_at[p as usize], cleared));
                    map.insert(key, position);
                }
                prop_assert_eq!(index.len(), map.len());
                prop_assert!(index.slots.len() >= 2 * index.len());
            }
            for (&key, &position) in &map {
                let hash = hash_of(key, cleared);
                index.prefetch(hash);
                prop_assert_eq!(index.find(hash, |p| keys_at[p as usize] == key), Some(position));
                let by_tag = index.find_tag(hash).expect("an entry carries the tag");
                prop_assert_eq!(tag(hash_of(keys_at[by_tag as usize], cleared)), tag(hash));
            }
            for key in absent {
                let hash = hash_of(key, cleared);
                prop_assert_eq!(index.find(hash, |p| keys_at[p as usize] == key), None);
            }
        }
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let index = GroupIndex::default();
        index.prefetch(7);
        assert_eq!(index.find_tag(7), None);
        assert_eq!(index.find(7, |_| true), None);
    }
}
