use ndarray::ArrayView2;

use super::params::FoldInParams;
use super::solve::{normal_equations, Row};
use crate::error::{Error, Result};
use crate::linalg::{add_outer_lower, cholesky_factor, cholesky_solve_factored, dot};

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
}

impl UserSystem {
    /// Builds and solves the system for `history` (`(item index, r)`; repeats are summed,
    /// `r <= 0` and non-finite `r` are ignored as "no preference").
    ///
    /// `items` are the item factors and `gram` their `Y^T Y` (row-major, f64).
    pub fn solve(
        items: ArrayView2<f32>,
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
        items: ArrayView2<f32>,
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
        merged.sort_by_key(|&(i, _)| i);
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
        let owned;
        let rows = match items.as_slice() {
            Some(s) => s,
            None => {
                owned = items.iter().copied().collect::<Vec<f32>>();
                &owned
            }
        };
        let row = Row {
            other: rows,
            cols: &cols,
            conf: &conf,
            // With no history the solution is 0 whatever lambda is; keep the system positive
            // definite even when scaling by count would make lambda 0.
            lambda: if cols.is_empty() {
                params.regularization
            } else {
                params.row_regularization(cols.len())
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
                params.row_regularization(cols.len() + seeds.len())
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
        })
    }

    /// The folded-in user vector.
    pub fn vector(&self) -> &[f32] {
        &self.x
    }

    /// Consumes the system, keeping only the user vector.
    pub fn into_vector(self) -> Vec<f32> {
        self.x
    }

    /// Each history item's contribution to `item`'s score, as `(history item, contribution)` in
    /// ascending item order. The contributions sum to the score `y_item . x` (up to rounding).
    pub fn contributions(&self, items: ArrayView2<f32>, item: u32) -> Result<Vec<(u32, f32)>> {
        let (n, _) = items.dim();
        if item as usize >= n {
            return Err(Error::UnknownItem(format!(
                "index {item} (the model has {n} items)"
            )));
        }
        let y: Vec<f32> = items.row(item as usize).iter().copied().collect();
        Ok(self.contributions_to(items, &y)?.0)
    }

    /// The contributions to the score `y . x` of an item given by its factors `y` (which need
    /// not be in the model): `(history contributions as in `contributions`, one per seed)`.
    /// Together they sum to the score.
    pub fn contributions_to(&self, items: ArrayView2<f32>, y: &[f32]) -> Result<Contributions> {
        let k = self.k;
        if items.ncols() != k || y.len() != k {
            return Err(Error::Mismatch(format!(
                "a {}-factor vector cannot be explained by a {k}-factor system",
                y.len()
            )));
        }
        // z = W y, then contribution_j = c_j (z . y_j).
        let mut z: Vec<f64> = y.iter().map(|&v| v as f64).collect();
        cholesky_solve_factored(&self.factor, &mut z, k);
        let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
        let history = self
            .history
            .iter()
            .map(|&(j, c)| {
                let yj = items.row(j as usize);
                let s = match yj.as_slice() {
                    Some(yj) => dot(&z32, yj),
                    None => yj.iter().zip(&z32).map(|(a, b)| a * b).sum(),
                };
                (j, c * s)
            })
            .collect();
        let seeds = self.seeds.iter().map(|(v, c)| c * dot(&z32, v)).collect();
        Ok((history, seeds))
    }
}

/// Folds a visitor into the model: the user vector that training would have given a user with
/// this history, by an exact solve against the cached `Y^T Y`. Stores nothing.
pub fn fold_in(
    items: ArrayView2<f32>,
    gram: &[f64],
    params: &FoldInParams,
    history: &[(u32, f32)],
) -> Result<Vec<f32>> {
    UserSystem::solve(items, gram, params, history).map(UserSystem::into_vector)
}
