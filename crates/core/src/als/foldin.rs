use ndarray::ArrayView2;

use super::params::FoldInParams;
use super::solve::{normal_equations, Row};
use crate::error::{Error, Result};
use crate::linalg::{add_outer_lower, cholesky_factor, cholesky_solve_factored, dot};

/// Item factors a user system reads: an `n x k` matrix such as an `ArrayView2<f32>`, or a
/// [`Model`](crate::Model), which keeps int8 factors quantized and widens only the rows asked
/// for. Fold-in and explanations read the rows of the visitor's items, never the whole matrix.
pub trait ItemRows {
    /// `(items, factors)`.
    fn dim(&self) -> (usize, usize);
    /// Writes item `item`'s `k` factors, as f32, into `out`.
    fn row_into(&self, item: usize, out: &mut [f32]);
}

impl ItemRows for ArrayView2<'_, f32> {
    fn dim(&self) -> (usize, usize) {
        ArrayView2::dim(self)
    }

    fn row_into(&self, item: usize, out: &mut [f32]) {
        for (o, v) in out.iter_mut().zip(self.row(item)) {
            *o = *v;
        }
    }
}

impl<T: ItemRows + ?Sized> ItemRows for &T {
    fn dim(&self) -> (usize, usize) {
        (**self).dim()
    }

    fn row_into(&self, item: usize, out: &mut [f32]) {
        (**self).row_into(item, out)
    }
}

/// Contributions to one score: `(history item, contribution)` pairs, then one per seed.
pub type Contributions = (Vec<(u32, f32)>, Vec<f32>);

/// A visitor's normal equations, solved exactly: the folded-in user vector and, through the same
/// factorization, the explanation of any item's score.
///
/// With `W = (G + sum_j (c_j - 1) y_j y_j^T + lambda I)^-1`, the user vector is
/// `x = W sum_j c_j y_j`, so an item's score splits into one term per history item:
/// `y_i . x = sum_j c_j (y_i^T W y_j)` (Hu, Koren and Volinsky 2008, section 5).
#[derive(Debug, Clone)]
pub struct UserSystem {
    k: usize,
    /// `(item, c)` for each history item, merged and in ascending item order.
    history: Vec<(u32, f32)>,
    /// `(vector, c)` for each seed: a virtual history item that is not in the catalog (a
    /// category centroid for a visitor who picked interests).
    seeds: Vec<(Vec<f32>, f32)>,
    /// Lower-triangular Cholesky factor of the system matrix.
    factor: Vec<f64>,
    x: Vec<f32>,
    /// The visitor's latest items, oldest first, for a transition model (see
    /// [`with_recent`](Self::with_recent)).
    recent: Vec<u32>,
}

impl UserSystem {
    /// Builds and solves the system for `history` (`(item index, r)`; repeats are summed,
    /// `r <= 0` and non-finite `r` are ignored as "no preference").
    ///
    /// `items` are the item factors and `gram` their `Y^T Y` (row-major, f64).
    pub fn solve(
        items: impl ItemRows,
        gram: &[f64],
        params: &FoldInParams,
        history: &[(u32, f32)],
    ) -> Result<UserSystem> {
        Self::solve_with_seeds(items, gram, params, history, &[])
    }

    /// [`solve`](Self::solve) with seed vectors: `(vector, r)` pairs that enter the normal
    /// equations exactly like history items whose factors are `vector` (cold start from picked
    /// interests). Seeds of the wrong length or with `r <= 0` are ignored.
    pub fn solve_with_seeds(
        items: impl ItemRows,
        gram: &[f64],
        params: &FoldInParams,
        history: &[(u32, f32)],
        seeds: &[(Vec<f32>, f32)],
    ) -> Result<UserSystem> {
        let (n, k) = items.dim();
        if gram.len() != k * k {
            return Err(Error::Mismatch(format!(
                "Y^T Y has {} entries, expected {k} x {k}",
                gram.len()
            )));
        }
        let mut merged: Vec<(u32, f32)> = Vec::with_capacity(history.len());
        for &(i, r) in history {
            if i as usize >= n {
                return Err(Error::UnknownItem(format!(
                    "index {i} (the model has {n} items)"
                )));
            }
            if r.is_finite() && r > 0.0 {
                merged.push((i, r));
            }
        }
        // By item, a repeated item's weights in history order, so they add up as training adds
        // them: the pairs' one sort, over (item, position), positions exact in f32 below 2^24.
        let mut order: Vec<(u32, f32)> = merged
            .iter()
            .enumerate()
            .map(|(p, &(i, _))| (i, p as f32))
            .collect();
        crate::rank::sort_pairs(&mut order, |a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut merged: Vec<(u32, f32)> = order
            .iter()
            .map(|&(i, p)| (i, merged[p as usize].1))
            .collect();
        merged.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                kept.1 += later.1;
                true
            } else {
                false
            }
        });
        let (cols, conf): (Vec<u32>, Vec<f32>) = merged
            .iter()
            .map(|&(i, r)| (i, params.confidence.apply(params.alpha, r)))
            .unzip();
        // The history items' rows, gathered: the normal equations read nothing else.
        let mut rows = vec![0f32; cols.len() * k];
        for (&i, out) in cols.iter().zip(rows.chunks_exact_mut(k)) {
            items.row_into(i as usize, out);
        }
        let local: Vec<u32> = (0..cols.len() as u32).collect();
        let row = Row {
            other: &rows,
            cols: &local,
            conf: &conf,
            // With no history the solution is 0 whatever lambda is; keep the system positive
            // definite even when scaling by count would make lambda 0.
            lambda: if cols.is_empty() {
                params.regularization
            } else {
                params.row_regularization(cols.len(), n)
            },
        };
        let seeds: Vec<(Vec<f32>, f32)> = seeds
            .iter()
            .filter(|(v, r)| {
                v.len() == k && r.is_finite() && *r > 0.0 && v.iter().all(|x| x.is_finite())
            })
            .map(|(v, r)| (v.clone(), params.confidence.apply(params.alpha, *r)))
            .collect();
        let row = Row {
            lambda: if cols.is_empty() && seeds.is_empty() {
                row.lambda
            } else {
                params.row_regularization(cols.len() + seeds.len(), n)
            },
            ..row
        };
        let mut a = vec![0f64; k * k];
        let mut b = vec![0f64; k];
        normal_equations(gram, &row, k, &mut a, &mut b);
        for (v, c) in &seeds {
            add_outer_lower(&mut a, v, *c as f64 - 1.0);
            for (bj, vj) in b.iter_mut().zip(v) {
                *bj += *c as f64 * *vj as f64;
            }
        }
        if !cholesky_factor(&mut a, k) {
            return Err(Error::NotPositiveDefinite);
        }
        cholesky_solve_factored(&a, &mut b, k);
        Ok(UserSystem {
            k,
            history: cols.into_iter().zip(conf).collect(),
            seeds,
            factor: a,
            x: b.iter().map(|&v| v as f32).collect(),
            recent: Vec::new(),
        })
    }

    /// The folded-in user vector.
    pub fn vector(&self) -> &[f32] {
        &self.x
    }

    /// The history items the system was solved for (those with `r > 0`), ascending.
    pub fn items(&self) -> impl Iterator<Item = u32> + '_ {
        self.history.iter().map(|&(i, _)| i)
    }

    /// The same system, knowing the visitor's latest items (item indices, oldest first), which a
    /// model's transition model reads. A system knows none until told.
    pub fn with_recent(mut self, recent: Vec<u32>) -> Self {
        self.recent = recent;
        self
    }

    /// The visitor's latest items, oldest first.
    pub fn recent(&self) -> &[u32] {
        &self.recent
    }

    /// Consumes the system, keeping only the user vector.
    pub fn into_vector(self) -> Vec<f32> {
        self.x
    }

    /// Each history item's contribution to `item`'s score, as `(history item, contribution)` in
    /// ascending item order. The contributions sum to the score `y_item . x` (up to rounding).
    pub fn contributions(&self, items: impl ItemRows, item: u32) -> Result<Vec<(u32, f32)>> {
        let (n, k) = items.dim();
        if item as usize >= n {
            return Err(Error::UnknownItem(format!(
                "index {item} (the model has {n} items)"
            )));
        }
        let mut y = vec![0f32; k];
        items.row_into(item as usize, &mut y);
        Ok(self.contributions_to(items, &y)?.0)
    }

    /// The contributions to the score `y . x` of an item given by its factors `y` (which need
    /// not be in the model): `(history contributions as in `contributions`, one per seed)`.
    /// Together they sum to the score.
    pub fn contributions_to(&self, items: impl ItemRows, y: &[f32]) -> Result<Contributions> {
        let k = self.k;
        if items.dim().1 != k || y.len() != k {
            return Err(Error::Mismatch(format!(
                "a {}-factor vector cannot be explained by a {k}-factor system",
                y.len()
            )));
        }
        // z = W y, then contribution_j = c_j (z . y_j).
        let mut z: Vec<f64> = y.iter().map(|&v| v as f64).collect();
        cholesky_solve_factored(&self.factor, &mut z, k);
        let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
        let mut yj = vec![0f32; k];
        let history = self
            .history
            .iter()
            .map(|&(j, c)| {
                items.row_into(j as usize, &mut yj);
                (j, c * dot(&z32, &yj))
            })
            .collect();
        let seeds = self.seeds.iter().map(|(v, c)| c * dot(&z32, v)).collect();
        Ok((history, seeds))
    }
}

/// Folds a visitor into the model: the user vector that training would have given a user with
/// this history, by an exact solve against the cached `Y^T Y`. Stores nothing.
pub fn fold_in(
    items: impl ItemRows,
    gram: &[f64],
    params: &FoldInParams,
    history: &[(u32, f32)],
) -> Result<Vec<f32>> {
    UserSystem::solve(items, gram, params, history).map(UserSystem::into_vector)
}
