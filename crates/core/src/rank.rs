//! Top-k selection and the filters every ranking call shares.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

/// An item index with its score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Item index in the model.
    pub item: u32,
    /// Its score (higher is better).
    pub score: f32,
}

impl Scored {
    /// Whether `self` ranks before `other`: higher score first, then lower index, so ties break
    /// the same way on every run and platform.
    #[inline]
    fn ranks_before(&self, other: &Scored) -> bool {
        self.score > other.score || (self.score == other.score && self.item < other.item)
    }
}

/// Heap entry ordered so that the *worst* kept candidate is the heap's maximum.
struct Worst(Scored);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.0.ranks_before(&other.0) {
            Ordering::Less
        } else if other.0.ranks_before(&self.0) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }
}

/// The most room selecting the top `n` reserves up front.
const RESERVE_AT_MOST: usize = 1 << 16;

/// The best `n` of `candidates`, best first, by partial selection (a bounded heap, no full sort).
/// NaN scores are never selected.
pub fn top_k(candidates: impl IntoIterator<Item = Scored>, n: usize) -> Vec<Scored> {
    let mut out = Vec::with_capacity(n.min(RESERVE_AT_MOST));
    TopK::new().select_into(candidates, n, &mut out);
    out
}

/// The best `n` items of a score vector (item `i` scores `scores[i]`) among those `allowed`
/// accepts, best first, as [`top_k`] selects them.
pub fn top_scores(scores: &[f32], n: usize, allowed: impl Fn(u32) -> bool) -> Vec<Scored> {
    top_k(
        scores
            .iter()
            .enumerate()
            .filter(|&(i, _)| allowed(i as u32))
            .map(|(i, &score)| Scored {
                item: i as u32,
                score,
            }),
        n,
    )
}

/// [`top_k`] for a hot loop: keeps its heap between calls, so selecting into a reused output
/// vector allocates nothing once both have grown to `n`.
///
/// ```
/// use tastebud_core::{Scored, TopK};
/// let scores = [0.5f32, 2.0, 1.0];
/// let mut select = TopK::new();
/// let mut best = Vec::new();
/// for _ in 0..3 {
///     let candidates = scores.iter().enumerate().map(|(i, &score)| Scored { item: i as u32, score });
///     select.select_into(candidates, 2, &mut best);
/// }
/// assert_eq!(best.iter().map(|s| s.item).collect::<Vec<_>>(), [1, 2]);
/// ```
#[derive(Default)]
pub struct TopK {
    heap: BinaryHeap<Worst>,
}

impl TopK {
    /// A selector with no capacity yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces `out` with the best `n` of `candidates`, best first, exactly as [`top_k`] would
    /// return them.
    pub fn select_into(
        &mut self,
        candidates: impl IntoIterator<Item = Scored>,
        n: usize,
        out: &mut Vec<Scored>,
    ) {
        out.clear();
        self.heap.clear();
        if n == 0 {
            return;
        }
        // `n` may be far beyond the candidates (`--n 18446744073709551615`): the heap grows with
        // what it keeps, never with what was asked for.
        self.heap.reserve(n.min(RESERVE_AT_MOST));
        // The loop is all that is generic: each candidate goes to one function, so the browser
        // builds carry one copy of the heap's code however many iterators rank.
        for c in candidates {
            self.offer(c, n);
        }
        self.finish(out);
    }

    /// Keeps `c` if it ranks among the best `n` so far.
    fn offer(&mut self, c: Scored, n: usize) {
        if c.score.is_nan() {
            return;
        }
        if self.heap.len() < n {
            self.heap.push(Worst(c));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if c.ranks_before(&worst.0) {
                *worst = Worst(c);
            }
        }
    }

    /// Moves what was kept into `out`, best first.
    fn finish(&mut self, out: &mut Vec<Scored>) {
        // Popping yields the worst kept first, so fill from the back: best first, in place.
        out.resize(
            self.heap.len(),
            Scored {
                item: 0,
                score: 0.0,
            },
        );
        for slot in out.iter_mut().rev() {
            if let Some(Worst(kept)) = self.heap.pop() {
                *slot = kept;
            }
        }
    }
}

/// `(item, share)` pairs, largest share first, then by item: the order explanations list their
/// reasons in.
pub fn sort_by_share(pairs: &mut [(u32, f32)]) {
    sort_pairs(pairs, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
}

/// Sorts `(item, value)` pairs by `by`, which must be a total order (equal pairs are
/// interchangeable): a function pointer and an unstable sort, so the browser builds carry one
/// sort for every list of pairs, whatever the order, and no stable sort.
pub(crate) fn sort_pairs(
    pairs: &mut [(u32, f32)],
    by: fn(&(u32, f32), &(u32, f32)) -> std::cmp::Ordering,
) {
    pairs.sort_unstable_by(by);
}

/// A set of item indices, as a bitset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemSet {
    bits: Vec<u64>,
}

impl ItemSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an item.
    pub fn insert(&mut self, item: u32) {
        let (w, b) = (item as usize / 64, item % 64);
        if w >= self.bits.len() {
            self.bits.resize(w + 1, 0);
        }
        self.bits[w] |= 1 << b;
    }

    /// Whether the item is in the set.
    #[inline]
    pub fn contains(&self, item: u32) -> bool {
        self.bits
            .get(item as usize / 64)
            .is_some_and(|w| w & (1 << (item % 64)) != 0)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&w| w == 0)
    }
}

impl FromIterator<u32> for ItemSet {
    fn from_iter<T: IntoIterator<Item = u32>>(iter: T) -> Self {
        let mut s = ItemSet::new();
        for i in iter {
            s.insert(i);
        }
        s
    }
}

/// Which items a ranking call may return.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    excluded: ItemSet,
    allowed: Option<ItemSet>,
}

impl Filter {
    /// Allows every item.
    pub fn new() -> Self {
        Self::default()
    }

    /// Never returns these items (seen, dismissed).
    pub fn exclude(mut self, items: impl IntoIterator<Item = u32>) -> Self {
        for i in items {
            self.excluded.insert(i);
        }
        self
    }

    /// Returns only items from this candidate subset (repeated calls narrow it further).
    pub fn only(mut self, items: impl IntoIterator<Item = u32>) -> Self {
        let set: ItemSet = items.into_iter().collect();
        self.allowed = Some(match self.allowed.take() {
            None => set,
            Some(prev) => ItemSet {
                bits: prev
                    .bits
                    .iter()
                    .zip(&set.bits)
                    .map(|(a, b)| a & b)
                    .collect(),
            },
        });
        self
    }

    /// Returns only items in one of these categories.
    pub fn only_categories(self, categories: &ItemCategories, wanted: &[u32]) -> Self {
        self.only(categories.items_in(wanted))
    }

    /// Whether `item` may be returned.
    #[inline]
    pub fn allows(&self, item: u32) -> bool {
        !self.excluded.contains(item) && self.allowed.as_ref().is_none_or(|a| a.contains(item))
    }
}

/// One category per item (its most specific one), for category filters and diversity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemCategories {
    /// Category names; an item's category is an index into this list.
    pub names: Vec<String>,
    /// Each item's category, or `None`.
    pub of_item: Vec<Option<u32>>,
}

impl ItemCategories {
    /// Builds the mapping from one optional category name per item.
    pub fn from_names<S: AsRef<str>>(per_item: impl IntoIterator<Item = Option<S>>) -> Self {
        let mut names: Vec<String> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let of_item = per_item
            .into_iter()
            .map(|name| {
                name.map(|n| {
                    let n = n.as_ref();
                    *index.entry(n.to_owned()).or_insert_with(|| {
                        names.push(n.to_owned());
                        names.len() as u32 - 1
                    })
                })
            })
            .collect();
        ItemCategories { names, of_item }
    }

    /// The category of `item`, if it has one.
    pub fn of(&self, item: u32) -> Option<u32> {
        self.of_item.get(item as usize).copied().flatten()
    }

    /// The index of a category name.
    pub fn find(&self, name: &str) -> Option<u32> {
        self.names.iter().position(|n| n == name).map(|i| i as u32)
    }

    /// Every item in one of `wanted`.
    pub fn items_in(&self, wanted: &[u32]) -> Vec<u32> {
        (0..self.of_item.len() as u32)
            .filter(|&i| self.of(i).is_some_and(|c| wanted.contains(&c)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(item: u32, score: f32) -> Scored {
        Scored { item, score }
    }

    #[test]
    fn top_k_is_sorted_and_breaks_ties_by_index() {
        let got = top_k(
            vec![s(3, 1.0), s(1, 2.0), s(2, 1.0), s(0, f32::NAN), s(4, 1.0)],
            3,
        );
        assert_eq!(got, vec![s(1, 2.0), s(2, 1.0), s(3, 1.0)]);
        assert_eq!(top_k(vec![s(0, 1.0)], 5), vec![s(0, 1.0)]);
        assert!(top_k(vec![s(0, 1.0)], 0).is_empty());
    }

    #[test]
    fn reused_selector_matches_top_k_without_growing() {
        let mut select = TopK::new();
        let mut out = Vec::new();
        let lists = [
            vec![s(3, 1.0), s(1, 2.0), s(2, 1.0), s(0, f32::NAN), s(4, 1.0)],
            vec![s(0, -1.0), s(7, 9.0)],
            (0..100).map(|i| s(i, (i % 7) as f32)).collect(),
        ];
        for list in &lists {
            select.select_into(list.iter().copied(), 3, &mut out);
            assert_eq!(out, top_k(list.iter().copied(), 3));
        }
        let (heap, kept) = (select.heap.capacity(), out.capacity());
        select.select_into(lists[2].iter().copied(), 3, &mut out);
        assert_eq!((select.heap.capacity(), out.capacity()), (heap, kept));
        select.select_into(lists[2].iter().copied(), 0, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn filter_excludes_and_restricts() {
        let f = Filter::new().exclude([2]).only([1, 2, 3]).only([2, 3, 4]);
        let allowed: Vec<u32> = (0..6).filter(|&i| f.allows(i)).collect();
        assert_eq!(allowed, vec![3]);
        let cats = ItemCategories::from_names([Some("tea"), None, Some("ski"), Some("tea")]);
        let f = Filter::new().only_categories(&cats, &[cats.find("tea").unwrap()]);
        assert_eq!(
            (0..4).filter(|&i| f.allows(i)).collect::<Vec<_>>(),
            vec![0, 3]
        );
    }

    #[test]
    fn item_set_grows() {
        let set: ItemSet = [0, 64, 1000].into_iter().collect();
        assert!(set.contains(1000) && set.contains(64) && !set.contains(63));
        assert!(!set.contains(100_000));
    }
}
