use ndarray::Array2;

use super::params::{Solver, ValidAlsParams};
use super::solve::{cg, cholesky, row_loss, Row, Scratch};
use crate::error::{Error, Result};
use crate::linalg::{gram_f64, SplitMix64};
use crate::sparse::CsrMatrix;

/// What [`fit`] reports after each iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IterationReport {
    /// 1-based iteration number.
    pub iteration: usize,
    /// Iterations in all.
    pub iterations: usize,
    /// The weighted squared error plus regularization, divided by the total confidence
    /// (observed cells at their confidence, unobserved ones at 1), as implicit reports it.
    pub loss: f64,
}

/// Trained factors: one row per user and one per item.
#[derive(Debug, Clone, PartialEq)]
pub struct Factors {
    /// `users x factors`.
    pub users: Array2<f32>,
    /// `items x factors`.
    pub items: Array2<f32>,
}

/// Trains implicit-feedback ALS on a user x item matrix of preferences `r > 0`.
///
/// Each iteration solves every user's factors given the items', then every item's given the
/// users', and reports the loss through `on_iteration`. The result depends only on the data and
/// the parameters, never on the number of threads.
///
/// # Errors
/// [`Error::EmptyData`] for an empty matrix or a non-finite or non-positive preference;
/// [`Error::Diverged`] if the loss becomes non-finite or grows tenfold past the first
/// iteration's; [`Error::NotPositiveDefinite`] if an exact solve fails.
pub fn fit(
    preferences: &CsrMatrix,
    params: &ValidAlsParams,
    mut on_iteration: impl FnMut(&IterationReport),
) -> Result<Factors> {
    check_data(preferences)?;
    let workers = Workers::new(params.threads)?;
    fit_inner(preferences, params, &workers, &mut on_iteration)
}

/// The thread pool row updates run on (none without the `parallel` feature).
pub(crate) struct Workers {
    #[cfg(feature = "parallel")]
    pool: rayon::ThreadPool,
}

impl Workers {
    #[cfg_attr(not(feature = "parallel"), allow(unused_variables))]
    pub(crate) fn new(threads: usize) -> Result<Workers> {
        #[cfg(feature = "parallel")]
        {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Error::Mismatch(format!("cannot start {threads} threads: {e}")))?;
            Ok(Workers { pool })
        }
        #[cfg(not(feature = "parallel"))]
        Ok(Workers {})
    }

    pub(crate) fn run<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        #[cfg(feature = "parallel")]
        return self.pool.install(work);
        #[cfg(not(feature = "parallel"))]
        work()
    }
}

fn check_data(m: &CsrMatrix) -> Result<()> {
    if m.nnz() == 0 {
        return Err(Error::EmptyData(
            "the matrix has no positive preferences".into(),
        ));
    }
    for u in 0..m.n_rows() {
        if let Some(v) = m.row(u).1.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(Error::EmptyData(format!(
                "user row {u} has preference {v}; every stored preference must be finite and > 0"
            )));
        }
    }
    Ok(())
}

fn fit_inner(
    preferences: &CsrMatrix,
    params: &ValidAlsParams,
    workers: &Workers,
    on_iteration: &mut dyn FnMut(&IterationReport),
) -> Result<Factors> {
    let k = params.factors;
    let fold = params.fold_in();
    let to_confidence = |m: &CsrMatrix| -> CsrMatrix {
        let mut triplets = Vec::with_capacity(m.nnz());
        for r in 0..m.n_rows() {
            let (cols, vals) = m.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                triplets.push((r as u32, c, fold.confidence.apply(fold.alpha, v)));
            }
        }
        CsrMatrix::from_triplets(m.n_rows(), m.n_cols(), &triplets)
    };
    let cui = to_confidence(preferences);
    let ciu = cui.transpose();

    let mut rng = SplitMix64::new(params.seed);
    let mut init = |n: usize| match params.init_std {
        None => Array2::from_shape_fn((n, k), |_| (rng.next_f64() * 0.01) as f32),
        Some(std) => {
            let scale = std as f64 / (k as f64).sqrt();
            Array2::from_shape_fn((n, k), |_| (rng.next_normal() * scale) as f32)
        }
    };
    let mut users = init(cui.n_rows());
    let mut items = init(cui.n_cols());

    let total_confidence: f64 = (0..cui.n_rows())
        .map(|u| cui.row(u).1.iter().map(|&c| c as f64).sum::<f64>())
        .sum::<f64>()
        + (cui.n_rows() as f64 * cui.n_cols() as f64 - cui.nnz() as f64);

    // With CG, iteration t's loss comes out of iteration t + 1's user update for free (see
    // `solve::cg`); the last iteration's, and every one with Cholesky, takes a pass of its own.
    let mut first_loss = None;
    let mut report = |iteration: usize, total: f64| -> Result<()> {
        let loss = total / total_confidence;
        let first = *first_loss.get_or_insert(loss);
        if !loss.is_finite() || loss > 10.0 * first.max(1e-12) {
            return Err(Error::Diverged { iteration, loss });
        }
        on_iteration(&IterationReport {
            iteration,
            iterations: params.iterations,
            loss,
        });
        Ok(())
    };
    for iteration in 1..=params.iterations {
        let previous = workers.run(|| update(&mut users, &items, &cui, params))?;
        if let (true, Some(user_rows)) = (iteration > 1, previous) {
            report(iteration - 1, user_rows + penalty(&items, &ciu, params))?;
        }
        workers.run(|| update(&mut items, &users, &ciu, params))?;
        if previous.is_none() || iteration == params.iterations {
            report(
                iteration,
                workers.run(|| loss(&users, &items, (&cui, &ciu), params)),
            )?;
        }
    }
    Ok(Factors { users, items })
}

/// Updates every row of `target` given `other`, whose rows the matrix's columns index. With CG,
/// returns the summed row losses (including `target`'s regularization) from before the update.
fn update(
    target: &mut Array2<f32>,
    other: &Array2<f32>,
    confidence: &CsrMatrix,
    params: &ValidAlsParams,
) -> Result<Option<f64>> {
    let k = params.factors;
    let fold = params.fold_in();
    let others = other.nrows();
    let other_rows = other.as_slice().expect("factors are standard layout");
    let rows = target.as_slice_mut().expect("factors are standard layout");
    match params.solver {
        Solver::ConjugateGradient => {
            let gram32 = other.t().dot(other);
            let gram = gram32.as_slice().expect("standard layout");
            for_each_row(rows, k, |u, x, s| {
                let (cols, conf) = confidence.row(u);
                let row = Row {
                    other: other_rows,
                    cols,
                    conf,
                    lambda: fold.row_regularization(cols.len(), others),
                };
                cg(gram, &row, x, params.cg_steps, s)
            })
            .map(Some)
        }
        Solver::Cholesky => {
            let gram = gram_f64(other_rows, k);
            for_each_row(rows, k, |u, x, s| {
                let (cols, conf) = confidence.row(u);
                let row = Row {
                    other: other_rows,
                    cols,
                    conf,
                    lambda: fold.row_regularization(cols.len(), others),
                };
                if cholesky(&gram, &row, x, s) {
                    0.0
                } else {
                    f64::NAN
                }
            })
            .and_then(|losses| {
                if losses.is_nan() {
                    Err(Error::NotPositiveDefinite)
                } else {
                    Ok(None)
                }
            })
        }
    }
}

/// Runs `solve(row index, row, scratch)` on every `k`-wide row, in parallel when built so, and
/// returns the sum of what it returned, added in row order whatever the thread count.
fn for_each_row(
    rows: &mut [f32],
    k: usize,
    solve: impl Fn(usize, &mut [f32], &mut Scratch) -> f64 + Sync + Send,
) -> Result<f64> {
    #[cfg(feature = "parallel")]
    let per_row: Vec<f64> = {
        use rayon::prelude::*;
        rows.par_chunks_mut(k)
            .enumerate()
            .map_init(|| Scratch::new(k), |s, (u, x)| solve(u, x, s))
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let per_row: Vec<f64> = {
        let mut s = Scratch::new(k);
        rows.chunks_mut(k)
            .enumerate()
            .map(|(u, x)| solve(u, x, &mut s))
            .collect()
    };
    Ok(per_row.iter().sum())
}

/// The training loss (unnormalized) of the current factors; `ciu` is `cui` transposed.
fn loss(
    users: &Array2<f32>,
    items: &Array2<f32>,
    (cui, ciu): (&CsrMatrix, &CsrMatrix),
    params: &ValidAlsParams,
) -> f64 {
    let k = params.factors;
    let fold = params.fold_in();
    let gram32 = items.t().dot(items);
    let gram = gram32.as_slice().expect("standard layout");
    let item_rows = items.as_slice().expect("standard layout");
    let user_rows = users.as_slice().expect("standard layout");
    let per_user = |u: usize, s: &mut Scratch| {
        let (cols, conf) = cui.row(u);
        let row = Row {
            other: item_rows,
            cols,
            conf,
            lambda: fold.row_regularization(cols.len(), items.nrows()),
        };
        row_loss(gram, &row, &user_rows[u * k..(u + 1) * k], s)
    };
    #[cfg(feature = "parallel")]
    let per_row: Vec<f64> = {
        use rayon::prelude::*;
        (0..cui.n_rows())
            .into_par_iter()
            .map_init(|| Scratch::new(k), |s, u| per_user(u, s))
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let per_row: Vec<f64> = {
        let mut s = Scratch::new(k);
        (0..cui.n_rows()).map(|u| per_user(u, &mut s)).collect()
    };
    // Summed in row order whatever the thread count, so the loss is reproducible.
    per_row.iter().sum::<f64>() + penalty(items, ciu, params)
}

/// The items' regularization term `sum_i lambda_i |y_i|^2`; `ciu` is the item x user matrix.
fn penalty(items: &Array2<f32>, ciu: &CsrMatrix, params: &ValidAlsParams) -> f64 {
    let fold = params.fold_in();
    items
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, y)| {
            let n = ciu.row(i).0.len();
            fold.row_regularization(n, ciu.n_cols()) as f64
                * y.iter().map(|v| (*v as f64).powi(2)).sum::<f64>()
        })
        .sum()
}
