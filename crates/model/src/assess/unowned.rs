//! Resources without an owner team, per service × rule × account × Region ([`UnownedTally`]):
//! their explicit counts and their smallest resource ids as examples ([`Examples`]), and the
//! rows waiting while their tally is fetched from memory ([`UnownedQueue`]).
//!
//! A builder keeps thousands of these tallies, and the bytes of every row stream through the
//! caches between two rows of one tally: counting a row where it comes in waited for the tally,
//! then for each example it compared its id with. A row now waits behind two more rows without
//! an owner: its tally is fetched when it comes in, its examples when the next one does, and it
//! is counted when the one after that comes in, both in the cache by then (docs/performance.md,
//! "2026-12-07, late night: what rows wait for in memory").

use std::cmp::Ordering;
use std::collections::VecDeque;

use super::UNOWNED_SAMPLES;
use super::builder::prefetch;

/// Resources without an owner team per service × rule × account × Region: their explicit counts
/// and example ids. Their distinct ids are those of the groups without a team, counted in
/// `AssessmentBuilder::finish_with`.
#[derive(Default)]
pub(super) struct UnownedTally {
    pub(super) resources: u64,
    pub(super) examples: Examples,
}

/// The smallest example texts (`id`, or `id (type)`) of a tally, at most [`UNOWNED_SAMPLES`],
/// sorted and distinct, one after the other in one allocation: comparing a row's id with them
/// takes one fetch from memory, where a string each took one per example.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub(super) struct Examples {
    text: String,
    /// Where each example ends in `text`.
    ends: [usize; UNOWNED_SAMPLES],
    len: usize,
}

impl Examples {
    /// Example `i` (from 0, in order).
    fn get(&self, i: usize) -> &str {
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1],
        };
        &self.text[start..self.ends[i]]
    }

    /// The examples in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len).map(|i| self.get(i))
    }

    /// The examples as strings, in order.
    pub(super) fn into_vec(self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }

    /// Keeps the example of resource `id` of type `ty` if it is among the smallest: the kept
    /// examples never depend on the order rows come in.
    pub(super) fn offer(&mut self, id: &str, ty: &str) {
        if id.is_empty() {
            return;
        }
        if self.len >= UNOWNED_SAMPLES && id >= self.get(self.len - 1) {
            return;
        }
        // Most rows repeat an example already kept: found without writing it out.
        let kept: [&str; UNOWNED_SAMPLES] =
            std::array::from_fn(|i| if i < self.len { self.get(i) } else { "" });
        match kept[..self.len].binary_search_by(|e| cmp_example(e, id, ty)) {
            // Past the last of a full set (its id sorts before the last, its text after): not
            // kept.
            Err(at) if at < UNOWNED_SAMPLES => self.insert(at, &example_text(id, ty)),
            _ => {}
        }
    }

    /// Inserts `example` as number `at`, dropping the last one past [`UNOWNED_SAMPLES`].
    fn insert(&mut self, at: usize, example: &str) {
        let start = match at {
            0 => 0,
            _ => self.ends[at - 1],
        };
        self.text.insert_str(start, example);
        let len = (self.len + 1).min(UNOWNED_SAMPLES);
        for j in (at + 1..len).rev() {
            self.ends[j] = self.ends[j - 1] + example.len();
        }
        self.ends[at] = start + example.len();
        self.len = len;
        self.text.truncate(self.ends[len - 1]);
    }

    /// Adds `other`'s examples: the smallest of both, distinct.
    pub(super) fn merge(&mut self, other: Examples) {
        if other.len == 0 {
            return;
        }
        if self.len == 0 {
            *self = other;
            return;
        }
        let mut all: Vec<&str> = self.iter().chain(other.iter()).collect();
        all.sort_unstable();
        all.dedup();
        all.truncate(UNOWNED_SAMPLES);
        let mut merged = Examples::default();
        for (i, e) in all.iter().enumerate() {
            merged.text.push_str(e);
            merged.ends[i] = merged.text.len();
        }
        merged.len = all.len();
        *self = merged;
    }

    /// Fetches the examples' text into the cache.
    fn prefetch(&self) {
        let bytes = self.text.as_bytes();
        // One fetch per 64-byte line the examples span.
        for line in bytes.chunks(64) {
            prefetch(&line[0]);
        }
    }
}

/// How a resource without an owner team is shown: its id, and its type when known.
pub(super) fn example_text(id: &str, ty: &str) -> String {
    if ty.is_empty() {
        id.to_owned()
    } else {
        format!("{id} ({ty})")
    }
}

/// Orders `example` against `example_text(id, ty)`, without writing that out.
pub(super) fn cmp_example(example: &str, id: &str, ty: &str) -> Ordering {
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

/// A row without an owner team, waiting to be counted in the tally at `position`.
#[derive(Default)]
struct UnownedRow {
    position: usize,
    count: Option<u64>,
    id: String,
    ty: String,
}

/// Rows without an owner team waiting two rows to be counted (see the module's overview).
#[derive(Default)]
pub(super) struct UnownedQueue {
    waiting: VecDeque<UnownedRow>,
    /// Rows counted, kept for their strings' memory.
    spare: Vec<UnownedRow>,
}

/// Rows a row waits behind before it is counted.
const WAIT: usize = 2;

impl UnownedQueue {
    /// Queues a row for the tally at `position` (explicit resource count `count`, resource
    /// `id` of type `ty`), counting the row that has waited long enough.
    pub(super) fn push(
        &mut self,
        tallies: &mut [UnownedTally],
        position: usize,
        count: Option<u64>,
        id: &str,
        ty: &str,
    ) {
        if self.waiting.len() >= WAIT
            && let Some(row) = self.waiting.pop_front()
        {
            count_unowned(tallies, &row);
            self.spare.push(row);
        }
        // The next row to be counted: its tally was fetched when it came in.
        if let Some(next) = self.waiting.front()
            && let Some(t) = tallies.get(next.position)
        {
            t.examples.prefetch();
        }
        if let Some(t) = tallies.get(position) {
            prefetch(t);
            prefetch(&t.examples.len);
        }
        let mut row = self.spare.pop().unwrap_or_default();
        row.position = position;
        row.count = count;
        row.id.clear();
        row.id.push_str(id);
        row.ty.clear();
        row.ty.push_str(ty);
        self.waiting.push_back(row);
    }

    /// Counts every waiting row.
    pub(super) fn settle(&mut self, tallies: &mut [UnownedTally]) {
        while let Some(row) = self.waiting.pop_front() {
            count_unowned(tallies, &row);
            self.spare.push(row);
        }
    }
}

/// Counts a row in its tally: an explicit count adds up (distinct ids are the groups'), and the
/// id is offered as an example.
fn count_unowned(tallies: &mut [UnownedTally], row: &UnownedRow) {
    if let Some(u) = tallies.get_mut(row.position) {
        if let Some(n) = row.count {
            u.resources = u.resources.saturating_add(n);
        }
        u.examples.offer(&row.id, &row.ty);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// What the examples must be: the smallest distinct texts of the non-blank ids offered.
    fn smallest(offers: &[(String, String)]) -> Vec<String> {
        let mut all: Vec<String> = offers
            .iter()
            .filter(|(id, _)| !id.is_empty())
            .map(|(id, ty)| example_text(id, ty))
            .collect();
        all.sort();
        all.dedup();
        all.truncate(UNOWNED_SAMPLES);
        all
    }

    fn offers() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec(("(|i-|i-1|a|b \\(|é)[0-9]{0,2}", "(|t|vol)"), 0..40)
    }

    proptest! {
        /// Offered one by one, split between two sets merged, or queued and counted later, the
        /// examples are the smallest distinct texts, whatever the order of the rows.
        #[test]
        fn examples_are_the_smallest_distinct_texts(
            offers in offers(),
            cut in 0usize..40,
        ) {
            let expected = smallest(&offers);
            let mut one = Examples::default();
            for (id, ty) in &offers {
                one.offer(id, ty);
            }
            prop_assert_eq!(one.clone().into_vec(), expected.clone());
            let cut = cut.min(offers.len());
            let (mut a, mut b) = (Examples::default(), Examples::default());
            for (id, ty) in &offers[..cut] {
                a.offer(id, ty);
            }
            for (id, ty) in &offers[cut..] {
                b.offer(id, ty);
            }
            a.merge(b);
            prop_assert_eq!(a, one.clone());
            let mut tallies: Vec<UnownedTally> =
                (0..3).map(|_| UnownedTally::default()).collect();
            let mut queue = UnownedQueue::default();
            for (i, (id, ty)) in offers.iter().enumerate() {
                queue.push(&mut tallies, i % 3, Some(i as u64), id, ty);
            }
            queue.settle(&mut tallies);
            for (position, tally) in tallies.iter().enumerate() {
                let mine: Vec<(usize, (String, String))> = offers
                    .iter()
                    .cloned()
                    .enumerate()
                    .filter(|(i, _)| i % 3 == position)
                    .collect();
                let offered: Vec<(String, String)> = mine.iter().map(|(_, o)| o.clone()).collect();
                prop_assert_eq!(tally.examples.clone().into_vec(), smallest(&offered));
                prop_assert_eq!(tally.resources, mine.iter().map(|(i, _)| *i as u64).sum::<u64>());
            }
        }
    }
}
