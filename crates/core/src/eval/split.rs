use crate::error::{invalid, Result};
use crate::linalg::SplitMix64;
use crate::sparse::CsrMatrix;

/// A train/test split of a user x item matrix. All three matrices have the same shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// What the model is trained on.
    pub train: CsrMatrix,
    /// What each evaluated user's recommendations are folded in from (and exclude). Equal to
    /// `train` for a per-user holdout; for held-out users, their visible part.
    pub history: CsrMatrix,
    /// What each evaluated user's recommendations are scored against.
    pub test: CsrMatrix,
}

fn check_fraction(name: &'static str, f: f64) -> Result<()> {
    if !(f.is_finite() && f > 0.0 && f < 1.0) {
        return Err(invalid(name, "between 0 and 1 (exclusive)", f));
    }
    Ok(())
}

/// Picks `count` of `row`'s positions uniformly at random (partial Fisher-Yates).
fn choose(rng: &mut SplitMix64, len: usize, count: usize) -> Vec<bool> {
    let mut order: Vec<usize> = (0..len).collect();
    for i in 0..count {
        let j = i + rng.below(len - i);
        order.swap(i, j);
    }
    let mut picked = vec![false; len];
    for &p in &order[..count] {
        picked[p] = true;
    }
    picked
}

/// Number of items to hold out from a row of `n`: `round(fraction * n)`, at least 1.
fn holdout_count(n: usize, fraction: f64) -> usize {
    ((fraction * n as f64).round() as usize).clamp(1, n)
}

/// Rows of `(column, value)` pairs.
type Rows = Vec<Vec<(u32, f32)>>;

fn split_rows(m: &CsrMatrix, pick: impl Fn(usize) -> Option<Vec<bool>>) -> (Rows, Rows) {
    let mut keep = Vec::with_capacity(m.n_rows());
    let mut held = Vec::with_capacity(m.n_rows());
    for u in 0..m.n_rows() {
        let row = m.row_pairs(u);
        match pick(u) {
            None => {
                keep.push(row);
                held.push(Vec::new());
            }
            Some(mask) => {
                let (h, k): (Vec<_>, Vec<_>) =
                    row.into_iter().zip(mask).partition(|(_, held)| *held);
                keep.push(k.into_iter().map(|(c, _)| c).collect());
                held.push(h.into_iter().map(|(c, _)| c).collect());
            }
        }
    }
    (keep, held)
}

/// The seeded random per-user holdout ("weak generalization"): for each user with at least
/// `min_interactions` items, in increasing user order, `round(fraction * n)` (at least 1) of
/// their items are drawn uniformly at random into the test set. Users with fewer items stay
/// whole in training and are not evaluated.
pub fn holdout_split(
    m: &CsrMatrix,
    fraction: f64,
    min_interactions: usize,
    seed: u64,
) -> Result<Split> {
    check_fraction("test fraction", fraction)?;
    let rng = std::cell::RefCell::new(SplitMix64::new(seed));
    let (train, test) = split_rows(m, |u| {
        let n = m.row(u).0.len();
        (n >= min_interactions.max(2))
            .then(|| choose(&mut rng.borrow_mut(), n, holdout_count(n, fraction)))
    });
    let train = CsrMatrix::from_sorted_rows(m.n_cols(), train);
    Ok(Split {
        history: train.clone(),
        train,
        test: CsrMatrix::from_sorted_rows(m.n_cols(), test),
    })
}

/// Held-out users ("strong generalization"): `user_fraction` of the users with at least
/// `min_interactions` items are removed from training entirely. Each is evaluated as a new
/// visitor: folded in from a random `1 - fraction` of their items and tested on the rest.
pub fn user_split(
    m: &CsrMatrix,
    user_fraction: f64,
    fraction: f64,
    min_interactions: usize,
    seed: u64,
) -> Result<Split> {
    check_fraction("held-out user fraction", user_fraction)?;
    check_fraction("test fraction", fraction)?;
    let mut rng = SplitMix64::new(seed);
    let eligible: Vec<usize> = (0..m.n_rows())
        .filter(|&u| m.row(u).0.len() >= min_interactions.max(2))
        .collect();
    let count = ((user_fraction * eligible.len() as f64).round() as usize).min(eligible.len());
    let chosen = choose(&mut rng, eligible.len(), count);
    let mut held_out = vec![false; m.n_rows()];
    for (&u, pick) in eligible.iter().zip(chosen) {
        held_out[u] = pick;
    }
    let rng = std::cell::RefCell::new(rng);
    let (history, test) = split_rows(m, |u| {
        let n = m.row(u).0.len();
        held_out[u].then(|| choose(&mut rng.borrow_mut(), n, holdout_count(n, fraction)))
    });
    let train: Vec<Vec<(u32, f32)>> = (0..m.n_rows())
        .map(|u| {
            if held_out[u] {
                Vec::new()
            } else {
                m.row_pairs(u)
            }
        })
        .collect();
    let history = history
        .into_iter()
        .enumerate()
        .map(|(u, row)| if held_out[u] { row } else { Vec::new() })
        .collect();
    Ok(Split {
        train: CsrMatrix::from_sorted_rows(m.n_cols(), train),
        history: CsrMatrix::from_sorted_rows(m.n_cols(), history),
        test: CsrMatrix::from_sorted_rows(m.n_cols(), test),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix() -> CsrMatrix {
        let mut t = Vec::new();
        for u in 0..50u32 {
            for i in 0..(u % 12) {
                t.push((u, (u * 7 + i * 3) % 40, 1.0));
            }
        }
        CsrMatrix::from_triplets(50, 40, &t)
    }

    #[test]
    fn holdout_partitions_each_row_and_is_seeded() {
        let m = matrix();
        let s = holdout_split(&m, 0.2, 5, 42).unwrap();
        for u in 0..m.n_rows() {
            let n = m.row(u).0.len();
            let (tr, te) = (s.train.row(u).0, s.test.row(u).0);
            assert_eq!(tr.len() + te.len(), n);
            assert!(tr.iter().all(|i| !te.contains(i)));
            let expect = if n >= 5 {
                ((0.2 * n as f64).round() as usize).max(1)
            } else {
                0
            };
            assert_eq!(te.len(), expect, "user {u}");
        }
        assert_eq!(s, holdout_split(&m, 0.2, 5, 42).unwrap());
        assert_ne!(s, holdout_split(&m, 0.2, 5, 43).unwrap());
        assert!(holdout_split(&m, 1.0, 5, 42).is_err());
    }

    #[test]
    fn held_out_users_are_absent_from_training() {
        let m = matrix();
        let s = user_split(&m, 0.3, 0.2, 5, 1).unwrap();
        let mut held = 0;
        for u in 0..m.n_rows() {
            if !s.test.row(u).0.is_empty() {
                held += 1;
                assert!(s.train.row(u).0.is_empty());
                assert_eq!(
                    s.history.row(u).0.len() + s.test.row(u).0.len(),
                    m.row(u).0.len()
                );
            } else {
                assert_eq!(s.train.row(u), m.row(u));
            }
        }
        let eligible = (0..50).filter(|&u| m.row(u).0.len() >= 5).count();
        assert_eq!(held, (0.3 * eligible as f64).round() as usize);
    }
}
