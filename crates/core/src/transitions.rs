//! A next-item model beside the factors: how often, in the training log's sequences, one item
//! came shortly after another.
//!
//! A visitor's last few items say more about what they want next than their whole history
//! (on Amazon Sports & Outdoors, the item a shopper reviews next is most often one bought with
//! the last). The model counts, over every training sequence, each pair `(a, b)` where `b` came
//! `d <= window` steps after `a`, with weight `1 / d`. It keeps each item's largest counts,
//! scaled so that the largest is 1, as an [`ItemTable`].
//!
//! A visitor whose latest items are `h_1` (the latest), `h_2`, ... gets the transition score
//! `t_j = sum_{k <= depth} decay^(k-1) T_{h_k, j}`, and the model ranks by
//! `factor score + item-item score + weight * t_j`. Each term belongs to one history item, so
//! explanations stay exact.

use std::collections::HashMap;

use crate::error::{invalid, Error, Result};
use crate::model::Model;
use crate::neighbours::ItemTable;
use crate::sparse::CsrMatrix;

/// Most latest items a transition model reads.
pub const MAX_TRANSITION_DEPTH: u32 = 16;

/// Entries kept per item when `train` is not told otherwise.
pub const DEFAULT_TRANSITION_ENTRIES: usize = 32;

/// Steps after an item that count as "next" when `train` is not told otherwise.
pub const DEFAULT_TRANSITION_WINDOW: usize = 1;

/// Sequences (users) a pair of items needs when `train` is not told otherwise.
pub const DEFAULT_TRANSITION_MIN_USERS: usize = 2;

/// Latest items read when `train` is not told otherwise.
pub const DEFAULT_TRANSITION_DEPTH: u32 = 3;

/// How much less each older item counts when `train` is not told otherwise.
pub const DEFAULT_TRANSITION_DECAY: f32 = 0.5;

/// The untuned blend weight `train` uses, as a multiple of [`transition_scale`]'s unit.
pub const DEFAULT_TRANSITION_SHARE: f32 = 1.0;

/// Blend weights `evaluate --protocol leave-last-out` tries on its validation split, as
/// multiples of [`transition_scale`]'s unit (0: the model without its transitions).
pub const TRANSITION_SHARES: [f32; 9] = [0.0, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// The transition model for `model` (trained on `m`, whose users' item sequences are
/// `sequences`) without a validation split: [`Transitions::count`] with `window`, `entries` and
/// `min_users`,
/// read `depth` items deep with `decay`, blended at `weight` (default
/// [`DEFAULT_TRANSITION_SHARE`] times [`transition_scale`]).
///
/// # Errors
/// As [`Transitions::count`] and [`Transitions::new`].
#[allow(clippy::too_many_arguments)]
pub fn fit_transitions(
    model: &Model,
    m: &CsrMatrix,
    sequences: &[Vec<u32>],
    window: usize,
    entries: usize,
    min_users: usize,
    depth: u32,
    decay: f32,
    weight: Option<f32>,
) -> Result<Transitions> {
    let table = Transitions::count(sequences, model.n_items(), window, entries, min_users)?;
    let unit = Transitions::new(table, 1.0, decay, depth)?;
    let weight = match weight {
        Some(w) => w,
        None => DEFAULT_TRANSITION_SHARE * transition_scale(model, m, sequences, &unit),
    };
    unit.with_weight(weight)
}

/// The ratio of the spread of `model`'s scores (factors and item-item model, root mean square
/// over every item) to the spread of `transitions`' scores at its own weight, over up to 256
/// users of `m` spread through the log whose sequences have two items or more: the unit of
/// [`DEFAULT_TRANSITION_SHARE`] and [`TRANSITION_SHARES`]. 1 when either spread is 0.
pub fn transition_scale(
    model: &Model,
    m: &CsrMatrix,
    sequences: &[Vec<u32>],
    transitions: &Transitions,
) -> f32 {
    let users: Vec<usize> = (0..m.n_rows().min(sequences.len()))
        .filter(|&u| sequences[u].len() > 1)
        .collect();
    let every = users.len().div_ceil(256).max(1);
    let (mut f2, mut t2) = (0f64, 0f64);
    let (mut base, mut next) = (Vec::new(), vec![0f32; model.n_items()]);
    for u in users.into_iter().step_by(every) {
        let (items, values) = m.row(u);
        let history: Vec<(u32, f32)> = items.iter().copied().zip(values.iter().copied()).collect();
        let Ok(system) = model.user_system(&history) else {
            continue;
        };
        model.score_system_into(&system, &mut base);
        f2 += base.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>();
        next.fill(0.0);
        transitions.add_scores(&sequences[u], &mut next);
        t2 += next.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>();
    }
    if f2 > 0.0 && t2 > 0.0 {
        (f2 / t2).sqrt() as f32
    } else {
        1.0
    }
}

/// A transition model: the table of next-item counts and how a visitor's latest items read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transitions {
    table: ItemTable,
    /// How much of the transition score joins the rest of the score.
    weight: f32,
    /// How much the `k`-th latest item counts relative to the `(k-1)`-th, in `(0, 1]`.
    decay: f32,
    /// How many latest items are read, `1..=MAX_TRANSITION_DEPTH`.
    depth: u32,
}

impl Transitions {
    /// Counts the transitions of `sequences` (item indices below `n_items`, oldest first) within
    /// `window` steps, keeps the pairs that `min_users` sequences or more have (what one
    /// shopper did alone is neither a pattern nor anyone else's business), then each item's
    /// `entries` largest counts (ties to the lower item), scaled so the largest is 1.
    ///
    /// # Errors
    /// If an item is out of range, `window` or `entries` is 0, or no sequence has two
    /// different items within the window.
    pub fn count(
        sequences: &[Vec<u32>],
        n_items: usize,
        window: usize,
        entries: usize,
        min_users: usize,
    ) -> Result<ItemTable> {
        if window == 0 {
            return Err(invalid("transition window", "at least 1", window));
        }
        if entries == 0 {
            return Err(invalid("transition entries", "at least 1", entries));
        }
        // Per pair: its count, the sequences it came in, and the last of them.
        let mut rows: Vec<HashMap<u32, (f32, usize, usize)>> = vec![HashMap::new(); n_items];
        for (s, sequence) in sequences.iter().enumerate() {
            if let Some(&bad) = sequence.iter().find(|&&i| i as usize >= n_items) {
                return Err(Error::UnknownItem(format!(
                    "index {bad} (the log has {n_items} items)"
                )));
            }
            for (a, &from) in sequence.iter().enumerate() {
                for (d, &to) in sequence[a + 1..].iter().take(window).enumerate() {
                    if to != from {
                        let at = rows[from as usize]
                            .entry(to)
                            .or_insert((0.0, 0, usize::MAX));
                        at.0 += 1.0 / (d + 1) as f32;
                        if at.2 != s {
                            at.1 += 1;
                            at.2 = s;
                        }
                    }
                }
            }
        }
        let rows: Vec<Vec<(u32, f32)>> = rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .filter(|(_, (_, users, _))| *users >= min_users)
                    .map(|(j, (c, _, _))| (j, c))
                    .collect()
            })
            .collect();
        let largest = rows
            .iter()
            .flat_map(|r| r.iter().map(|e| e.1))
            .fold(0f32, f32::max);
        if largest == 0.0 {
            return Err(Error::EmptyData(format!(
                "no two different items follow each other in {min_users} or more sequences, so \
                 there are no transitions"
            )));
        }
        let rows = rows
            .into_iter()
            .map(|mut row| {
                row.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                row.truncate(entries);
                row.into_iter().map(|(j, c)| (j, c / largest)).collect()
            })
            .collect();
        ItemTable::from_rows(rows)
    }

    /// The model from a table and how visitors read it.
    ///
    /// # Errors
    /// If `weight` is not finite and positive, `decay` not in `(0, 1]`, or `depth` not in
    /// `1..=MAX_TRANSITION_DEPTH`.
    pub fn new(table: ItemTable, weight: f32, decay: f32, depth: u32) -> Result<Self> {
        if !(weight.is_finite() && weight > 0.0) {
            return Err(invalid("transition weight", "finite and > 0", weight));
        }
        if !(decay > 0.0 && decay <= 1.0) {
            return Err(invalid("transition decay", "in (0, 1]", decay));
        }
        if !(1..=MAX_TRANSITION_DEPTH).contains(&depth) {
            return Err(invalid("transition depth", "1 to 16", depth));
        }
        Ok(Transitions {
            table,
            weight,
            decay,
            depth,
        })
    }

    /// The model from settings the caller has checked (the model file reader).
    pub(crate) fn from_checked(table: ItemTable, weight: f32, decay: f32, depth: u32) -> Self {
        Transitions {
            table,
            weight,
            decay,
            depth,
        }
    }

    /// The next-item counts.
    pub fn table(&self) -> &ItemTable {
        &self.table
    }

    /// The blend weight.
    pub fn weight(&self) -> f32 {
        self.weight
    }

    /// How much each older item counts relative to the next newer one.
    pub fn decay(&self) -> f32 {
        self.decay
    }

    /// How many latest items are read.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The same model with another blend weight.
    ///
    /// # Errors
    /// If `weight` is not finite and positive.
    pub fn with_weight(self, weight: f32) -> Result<Self> {
        Self::new(self.table, weight, self.decay, self.depth)
    }

    /// Adds the transition score of a visitor whose latest items are `recent` (oldest first) to
    /// `scores`: `weight * decay^(k-1)` times the `k`-th latest item's row, up to `depth` items.
    pub fn add_scores(&self, recent: &[u32], scores: &mut [f32]) {
        let mut w = self.weight;
        for &h in recent.iter().rev().take(self.depth as usize) {
            self.table.add_row(h, w, scores);
            w *= self.decay;
        }
    }

    /// History item `h`'s share of `item`'s transition score for a visitor whose latest items
    /// are `recent` (0 unless `h` is among the ones read).
    pub fn contribution(&self, recent: &[u32], h: u32, item: u32) -> f32 {
        let (mut w, mut share) = (self.weight, 0.0);
        for &r in recent.iter().rev().take(self.depth as usize) {
            if r == h {
                share += w * self.table.get(h, item);
            }
            w *= self.decay;
        }
        share
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_window_and_keep_the_largest() {
        // 0 -> 1 twice, 0 -> 2 once at distance 1; 0 -> 2 at distance 2 once (1/2).
        let seqs = vec![vec![0, 1, 2], vec![0, 1], vec![0, 2], vec![3]];
        let t = Transitions::count(&seqs, 4, 2, 8, 1).unwrap();
        assert_eq!(t.row(0), (&[1, 2][..], &[1.0, 0.75][..]));
        assert_eq!(t.row(1), (&[2][..], &[0.5][..]));
        assert_eq!(t.row(3).0.len(), 0);
        let one = Transitions::count(&seqs, 4, 1, 1, 1).unwrap();
        assert_eq!(one.row(0), (&[1][..], &[1.0][..]));
        // Only 0 -> 1 comes in two sequences (a pair repeated in one counts once).
        let two =
            Transitions::count(&[vec![0, 1, 0, 1], vec![0, 1], vec![2, 3]], 4, 1, 8, 2).unwrap();
        assert_eq!(two.row(0), (&[1][..], &[1.0][..]));
        assert_eq!(two.n_entries(), 1);
        assert!(Transitions::count(&seqs, 4, 1, 8, 5).is_err());
        assert!(Transitions::count(&[vec![1, 1], vec![0]], 2, 1, 4, 1).is_err());
        assert!(Transitions::count(&[vec![0, 5]], 2, 1, 4, 1).is_err());
        assert!(Transitions::count(&seqs, 4, 0, 4, 1).is_err());
    }

    #[test]
    fn the_latest_items_count_with_decay_and_explain_exactly() {
        let table = ItemTable::from_rows(vec![
            vec![(3, 1.0)],
            vec![(3, 0.5), (2, 1.0)],
            vec![(3, 0.25)],
            vec![],
        ])
        .unwrap();
        let t = Transitions::new(table, 2.0, 0.5, 2).unwrap();
        // Latest is 2, then 1; item 0 is beyond the depth.
        let recent = [0, 1, 2];
        let mut scores = vec![0.0; 4];
        t.add_scores(&recent, &mut scores);
        assert_eq!(scores, vec![0.0, 0.0, 1.0, 2.0 * 0.25 + 1.0 * 0.5]);
        let shares: f32 = (0..4).map(|h| t.contribution(&recent, h, 3)).sum();
        assert_eq!(shares, scores[3]);
        assert_eq!(t.contribution(&recent, 0, 3), 0.0);
        assert!(Transitions::new(t.table().clone(), 1.0, 0.0, 2).is_err());
        assert!(Transitions::new(t.table().clone(), 1.0, 0.5, 17).is_err());
        assert!(Transitions::new(t.table().clone(), f32::NAN, 0.5, 1).is_err());
    }
}
