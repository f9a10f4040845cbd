//! Exact distinct counts of resource ids (their 64-bit hashes) per group and per union of groups,
//! on several threads.
//!
//! Each group of an assessment holds the ids of its rows, in one set per parsing thread that saw
//! the group (a resource billed in several chunks lands in several). The assessment needs how many
//! distinct ids each group has, and how many the groups of each *slot* of a projection have
//! together (per input × identifier, per service, per service × account × Region without a
//! team). Sets are not united one into another (serial, and a copy of every id per union):
//! every (id, group) pair is scattered into partitions by the id's top bits, each partition is
//! sorted, and the runs of equal ids are counted. Partitions hold disjoint ids, so their counts
//! add up, and each thread takes its own partitions: the counting runs on every thread, and the
//! result is the same for any number of threads (exact counts, no order involved).
//!
//! Memory: a pair is 12 bytes (the id and a 32-bit group, packed); a group's set is dropped as
//! soon as its pairs are out, and every partition is allocated at its exact size.

use crate::assess::DistinctIds;

/// Partitions of the id space (by the top bits of an id). More than threads, so that uneven
/// partitions still balance; few enough that each one's vector is large.
const PARTITION_BITS: u32 = 8;
const PARTITIONS: usize = 1 << PARTITION_BITS;

/// No slot: the group is in no union of this projection.
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// A way of uniting groups: the slot of every group (or [`NO_SLOT`]) and the number of slots.
pub(crate) struct Projection<'a> {
    pub slot_of_group: &'a [u32],
    pub slots: usize,
}

/// Distinct ids per group and per slot of each projection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Counts {
    pub per_group: Vec<u64>,
    pub per_slot: Vec<Vec<u64>>,
}

impl Counts {
    fn zero(groups: usize, projections: &[Projection<'_>]) -> Counts {
        Counts {
            per_group: vec![0; groups],
            per_slot: projections.iter().map(|p| vec![0; p.slots]).collect(),
        }
    }

    fn add(&mut self, other: &Counts) {
        for (a, b) in self.per_group.iter_mut().zip(&other.per_group) {
            *a += b;
        }
        for (mine, theirs) in self.per_slot.iter_mut().zip(&other.per_slot) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
    }
}

/// An id and its group, packed into 12 bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(C, packed(4))]
struct Pair {
    id: u64,
    group: u32,
}

fn partition(id: u64) -> usize {
    (id >> (64 - PARTITION_BITS)) as usize
}

/// Counts the distinct ids of `sets` (each with its group, several sets per group allowed) per
/// group and per slot of each projection, on `threads` threads.
pub(crate) fn count(
    sets: Vec<(u32, DistinctIds)>,
    groups: usize,
    projections: &[Projection<'_>],
    threads: usize,
) -> Counts {
    let threads = threads.max(1);
    // The sets in `threads` runs of about equal ids, each scattered by its own thread.
    let total: usize = sets.iter().map(|(_, s)| s.len()).sum();
    let mut runs: Vec<Vec<(u32, DistinctIds)>> = (0..threads).map(|_| Vec::new()).collect();
    let (mut run, mut filled) = (0, 0);
    for set in sets {
        if filled * threads >= total * (run + 1) && run + 1 < threads {
            run += 1;
        }
        filled += set.1.len();
        runs[run].push(set);
    }
    let scatter = |run: Vec<(u32, DistinctIds)>| -> Vec<Vec<Pair>> {
        let mut sizes = vec![0usize; PARTITIONS];
        for (_, set) in &run {
            for id in set.iter() {
                sizes[partition(id)] += 1;
            }
        }
        let mut parts: Vec<Vec<Pair>> = sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
        for (group, set) in run {
            for id in set.iter() {
                parts[partition(id)].push(Pair { id, group });
            }
        }
        parts
    };
    let scattered: Vec<Vec<Vec<Pair>>> = on_threads(runs, scatter);
    // Thread t counts partitions t, t + threads, ...: each takes that partition's pairs from
    // every scatter.
    let mut by_partition: Vec<Vec<Vec<Pair>>> = (0..PARTITIONS).map(|_| Vec::new()).collect();
    for parts in scattered {
        for (p, v) in parts.into_iter().enumerate() {
            if !v.is_empty() {
                by_partition[p].push(v);
            }
        }
    }
    let mut shares: Vec<Vec<Vec<Vec<Pair>>>> = (0..threads).map(|_| Vec::new()).collect();
    for (p, v) in by_partition.into_iter().enumerate() {
        shares[p % threads].push(v);
    }
    let work = |share: Vec<Vec<Vec<Pair>>>| -> Counts {
        let mut counts = Counts::zero(groups, projections);
        let mut pairs: Vec<Pair> = Vec::new();
        let mut slots: Vec<u32> = Vec::new();
        for pieces in share {
            pairs.clear();
            let n: usize = pieces.iter().map(Vec::len).sum();
            pairs.reserve_exact(n);
            for piece in pieces {
                pairs.extend_from_slice(&piece);
            }
            pairs.sort_unstable();
            pairs.dedup();
            count_runs(&pairs, projections, &mut counts, &mut slots);
        }
        counts
    };
    let mut counts = Counts::zero(groups, projections);
    for part in on_threads(shares, work) {
        counts.add(&part);
    }
    counts
}

/// `f` of every item, in the items' order: the first on this thread, each other on a thread of
/// its own (this one would only wait, and memory it freed before is used again rather than a new
/// thread's).
pub(crate) fn on_threads<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return Vec::new();
    };
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items.map(|item| s.spawn(move || f(item))).collect();
        let mut results = vec![f(first)];
        results.extend(
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
        );
        results
    })
}

/// Counts sorted, deduplicated pairs: each pair is one id of its group; each run of one id counts
/// once in every slot its groups fall in.
fn count_runs(
    pairs: &[Pair],
    projections: &[Projection<'_>],
    counts: &mut Counts,
    slots: &mut Vec<u32>,
) {
    let mut start = 0;
    while start < pairs.len() {
        let id = pairs[start].id;
        let mut end = start + 1;
        while end < pairs.len() && { pairs[end].id } == id {
            end += 1;
        }
        let run = &pairs[start..end];
        for p in run {
            counts.per_group[p.group as usize] += 1;
        }
        for (k, projection) in projections.iter().enumerate() {
            let per_slot = &mut counts.per_slot[k];
            if let [one] = run {
                let slot = projection.slot_of_group[one.group as usize];
                if slot != NO_SLOT {
                    per_slot[slot as usize] += 1;
                }
                continue;
            }
            slots.clear();
            slots.extend(
                run.iter()
                    .map(|p| projection.slot_of_group[p.group as usize])
                    .filter(|&s| s != NO_SLOT),
            );
            slots.sort_unstable();
            slots.dedup();
            for &s in slots.iter() {
                per_slot[s as usize] += 1;
            }
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn on_threads_keeps_the_items_order_and_works_on_the_calling_thread() {
        let caller = std::thread::current().id();
        for n in 0..5 {
            let got = on_threads((0..n).collect(), |i: usize| {
                (i, std::thread::current().id() == caller)
            });
            let want: Vec<(usize, bool)> = (0..n).map(|i| (i, i == 0)).collect();
            assert_eq!(got, want);
        }
    }

    /// The counts as plain sets would give them.
    fn reference(
        sets: &[(u32, Vec<u64>)],
        groups: usize,
        projections: &[Projection<'_>],
    ) -> Counts {
        let mut per_group: BTreeMap<u32, BTreeSet<u64>> = BTreeMap::new();
        for (g, ids) in sets {
            per_group.entry(*g).or_default().extend(ids);
        }
        let mut counts = Counts::zero(groups, projections);
        for (&g, ids) in &per_group {
            counts.per_group[g as usize] = ids.len() as u64;
        }
        for (k, p) in projections.iter().enumerate() {
            let mut per_slot: BTreeMap<u32, BTreeSet<u64>> = BTreeMap::new();
            for (&g, ids) in &per_group {
                let slot = p.slot_of_group[g as usize];
                if slot != NO_SLOT {
                    per_slot.entry(slot).or_default().extend(ids);
                }
            }
            for (s, ids) in per_slot {
                counts.per_slot[k][s as usize] = ids.len() as u64;
            }
        }
        counts
    }

    fn distinct(ids: &[u64]) -> DistinctIds {
        let mut d = DistinctIds::default();
        ids.iter().for_each(|&id| d.insert(id));
        d
    }

    proptest! {
        /// Any sets, any projections, any number of threads: the counts of plain sets.
        #[test]
        fn counts_equal_plain_sets_for_any_threads(
            groups in 1usize..12,
            raw in prop::collection::vec((0u32..12, prop::collection::vec(any::<u64>(), 0..20)), 0..30),
            shared in prop::collection::vec(any::<u64>(), 1..8),
            slots_a in prop::collection::vec(0u32..5, 12),
            slots_b in prop::collection::vec(0u32..3, 12),
        ) {
            // Ids repeated across groups and sets (a resource in several groups and chunks),
            // and ids spread over every partition (the top bits vary).
            let sets: Vec<(u32, Vec<u64>)> = raw
                .into_iter()
                .map(|(g, mut ids)| {
                    ids.extend(shared.iter().take(ids.len() % 4));
                    ids.extend(ids.clone().iter().take(2));
                    (g % groups as u32, ids)
                })
                .collect();
            let a: Vec<u32> = (0..groups).map(|g| slots_a[g]).collect();
            let b: Vec<u32> = (0..groups).map(|g| if slots_b[g] == 2 { NO_SLOT } else { slots_b[g] }).collect();
            let projections = [
                Projection { slot_of_group: &a, slots: 5 },
                Projection { slot_of_group: &b, slots: 2 },
            ];
            let expected = reference(&sets, groups, &projections);
            for threads in [1, 2, 3, 5] {
                let input = sets.iter().map(|(g, ids)| (*g, distinct(ids))).collect();
                prop_assert_eq!(&count(input, groups, &projections, threads), &expected, "{} threads", threads);
            }
        }
    }

    #[test]
    fn many_ids_over_every_partition() {
        // Large sets (spilled to hash sets), shared between groups, on 1-4 threads.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let pool: Vec<u64> = (0..5000).map(|_| next()).collect();
        let sets: Vec<(u32, Vec<u64>)> = (0..40)
            .map(|k| {
                let ids = (0..700).map(|_| pool[(next() % 5000) as usize]).collect();
                ((k % 13) as u32, ids)
            })
            .collect();
        let slot: Vec<u32> = (0..13).map(|g| g % 4).collect();
        let projections = [Projection {
            slot_of_group: &slot,
            slots: 4,
        }];
        let expected = reference(&sets, 13, &projections);
        for threads in 1..=4 {
            let input = sets.iter().map(|(g, ids)| (*g, distinct(ids))).collect();
            assert_eq!(count(input, 13, &projections, threads), expected);
        }
    }
}
