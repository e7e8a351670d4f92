//! Hyperparameter search for frequency-scaled iALS on a validation split, then for the item-item
//! model blended with the best factors (EASE's `lambda` and the blend weight, see
//! [`crate::Neighbours`]), and the discovery calibration measured on the same split.
//!
//! The protocol follows Rendle, Krichene, Zhang and Koren, "Revisiting the Performance of iALS
//! on Item Recommendation Benchmarks" (RecSys 2022): tune the regularization and the unobserved
//! weight jointly at a small dimension, then double the dimension while validation nDCG improves.
//! The search is a deterministic pattern search in log space, from the data-driven defaults of
//! [`default_params`] out, with steps that halve when no neighbour improves.
//!
//! The regularization is searched through `rho`, the regularization a user with no positive
//! item would get: `rho = lambda * (unobserved_weight * items)^exponent`. Holding `rho` while the
//! unobserved weight or the exponent moves keeps a typical user's regularization about where it
//! was, so the coordinates barely interact and the search needs few trials.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView1};

use crate::als::{fit, AlsParams, Confidence, RegularizationScaling, Solver, ValidAlsParams};
use crate::error::{Error, Result};
use crate::eval::{evaluate, holdout_split, EvalOptions, Metrics, Split};
use crate::model::{Model, Precision, Provenance};
use crate::neighbours::{Ease, Neighbours};
use crate::rank::{top_scores, ItemCategories, ItemSet};
use crate::rerank::{rerank, Calibration, RerankContext, RerankParams};
use crate::sparse::CsrMatrix;

/// One point of the search space: frequency-scaled iALS with `c = 1 + alpha * r` and
/// `alpha = 1 / unobserved_weight`, which is Rendle et al.'s iALS.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Setting {
    /// Latent factors.
    pub factors: usize,
    /// `rho`, the regularization of a user with no positive item (see the module docs).
    pub rho: f64,
    /// `alpha0`, the unobserved cells' weight.
    pub unobserved_weight: f64,
    /// `nu`, the exponent of the frequency scaling.
    pub exponent: f64,
}

impl Setting {
    /// `lambda` for a catalog of `items` items.
    pub fn regularization(&self, items: usize) -> f64 {
        self.rho / (self.unobserved_weight * items as f64).powf(self.exponent)
    }

    /// The training parameters this setting means for `items` items.
    pub fn params(
        &self,
        items: usize,
        iterations: usize,
        seed: u64,
        threads: usize,
    ) -> Result<ValidAlsParams> {
        AlsParams::new()
            .factors(self.factors)
            .regularization(self.regularization(items) as f32)
            .alpha((1.0 / self.unobserved_weight) as f32)
            .confidence(Confidence::OnePlus)
            .regularization_scaling(RegularizationScaling::Frequency {
                exponent: self.exponent as f32,
                unobserved_weight: self.unobserved_weight as f32,
            })
            .init_std(Some(INIT_STD))
            .iterations(iterations)
            .cg_steps(3)
            .solver(Solver::ConjugateGradient)
            .seed(seed)
            .threads(threads)
            .check()
    }

    /// A hashable key, rounded so that a point reached along two paths is trained once.
    fn key(&self) -> (usize, i64, i64, i64) {
        let q = |v: f64| (v * 1000.0).round() as i64;
        (
            self.factors,
            q(self.rho.ln()),
            q(self.unobserved_weight.ln()),
            q(self.exponent),
        )
    }
}

/// `sigma` of the initial factors, drawn from `N(0, sigma^2 / factors)` (Rendle et al. use 0.1).
pub const INIT_STD: f32 = 0.1;

/// Untuned settings chosen from the log's shape: what `tastebud train` uses when no
/// hyperparameter is given, and where `tune` starts.
///
/// - `unobserved_weight` 0.1 (so `alpha` 10) and `exponent` 0.5: the values `tune` picked, or
///   was next to, on the public logs tried (MovieLens 100K and 1M, Amazon Sports & Outdoors).
/// - `rho` 0.6 times the mean number of items per user (clamped to 1..200): a user with no
///   history is held at 0 about as firmly as a typical user's items pull them away. The best
///   `rho` on those logs was 0.4 to 0.8 times the mean: about 60 on MovieLens (about 100 items
///   per user), about 5 on Amazon Sports (about 8).
/// - factors: 64 below 2,000 items or 50,000 interactions, 128 otherwise; more factors only pay
///   with more data per item.
pub fn default_setting(users: usize, items: usize, interactions: usize) -> Setting {
    let factors = if items < 2_000 || interactions < 50_000 {
        64
    } else {
        128
    };
    let per_user = interactions as f64 / users.max(1) as f64;
    Setting {
        factors,
        rho: (0.6 * per_user).clamp(1.0, 200.0),
        unobserved_weight: 0.1,
        exponent: 0.5,
    }
}

/// [`default_setting`] for a user x item matrix, as training parameters.
pub fn default_params(
    m: &CsrMatrix,
    iterations: usize,
    seed: u64,
    threads: usize,
) -> Result<ValidAlsParams> {
    default_setting(m.n_rows(), m.n_cols(), m.nnz()).params(m.n_cols(), iterations, seed, threads)
}

/// How the search runs.
#[derive(Debug, Clone)]
pub struct TuneOptions {
    /// Most trials (fits) in all, the dimension stage included.
    pub budget: usize,
    /// Share of each validation user's items held out.
    pub validation_fraction: f64,
    /// Users with fewer items are never held out.
    pub min_interactions: usize,
    /// Seed of the validation split and of every fit.
    pub seed: u64,
    /// Length of the scored lists.
    pub k: usize,
    /// Sweeps per fit.
    pub iterations: usize,
    /// Training threads (0 = every core).
    pub threads: usize,
    /// The largest dimension the doubling stage tries.
    pub max_factors: usize,
    /// Where the search starts (default: [`default_setting`] for the data).
    pub start: Option<Setting>,
    /// Items the item-item model is solved over (the most frequent ones); 0 leaves the
    /// item-item stage out.
    pub neighbour_items: usize,
    /// Entries the pruned item-item model keeps, on average per solved item.
    pub neighbour_entries: usize,
}

impl Default for TuneOptions {
    fn default() -> Self {
        TuneOptions {
            budget: 40,
            validation_fraction: 0.2,
            min_interactions: 5,
            seed: 42,
            k: 10,
            iterations: 15,
            threads: 0,
            max_factors: 256,
            start: None,
            neighbour_items: DEFAULT_NEIGHBOUR_ITEMS,
            neighbour_entries: DEFAULT_NEIGHBOUR_ENTRIES,
        }
    }
}

/// Items the item-item model is solved over by default. The dense inverse grows with the cube:
/// 8192 items take about 9 s and 0.8 GB on 2 cores, 16384 about a minute and 3.2 GB. On Amazon
/// Sports (18,357 items) 8192 kept most of what all items give.
pub const DEFAULT_NEIGHBOUR_ITEMS: usize = 8192;

/// Entries the pruned item-item model keeps per solved item by default (on average), about 3.5
/// bytes each in the file: more entries score a little better (on MovieLens 100K's test split,
/// 32, 128 and 512 per item gave nDCG@10 0.448, 0.451 and 0.452 at their best weights), at
/// proportionally more bytes for the browser to download.
pub const DEFAULT_NEIGHBOUR_ENTRIES: usize = 64;

/// Blend weights the item-item stage tries, as multiples of the ratio of the factor scores'
/// spread to the neighbour scores' spread.
pub const NEIGHBOUR_WEIGHTS: [f32; 7] = [0.03125, 0.0625, 0.125, 0.25, 0.5, 1.0, 2.0];

/// The untuned blend weight `train` uses, as a multiple of the same unit as
/// [`NEIGHBOUR_WEIGHTS`]: the weight `tune` chose on the public logs tried was 0.125 to 0.5 times
/// it.
pub const DEFAULT_NEIGHBOUR_SHARE: f32 = 0.25;

/// EASE's untuned `lambda` for `m`: 8 times the mean users per item (`tune`'s choice on the
/// public logs tried was 6 to 16 times), and where `tune`'s item-item stage starts.
pub fn default_neighbour_regularization(m: &CsrMatrix) -> f64 {
    let used = m.column_counts().iter().filter(|&&c| c > 0).count().max(1);
    (8.0 * m.nnz() as f64 / used as f64).max(1.0)
}

/// The item-item model for a factor model (`model`, trained on `m` with user factors
/// `trained_users`) without a validation split: EASE with `regularization` (default
/// [`default_neighbour_regularization`]) over the `items` most frequent items, pruned to
/// `entries` per item, blended at `weight` (default [`DEFAULT_NEIGHBOUR_SHARE`] times the
/// ratio of the factor scores' spread to the item-item scores', measured on users of `m`).
///
/// # Errors
/// As [`Ease::solve`], or if pruning leaves no entry.
#[allow(clippy::too_many_arguments)]
pub fn fit_neighbours(
    model: &Model,
    m: &CsrMatrix,
    trained_users: &Array2<f32>,
    items: usize,
    entries: usize,
    regularization: Option<f64>,
    weight: Option<f64>,
    threads: usize,
) -> Result<Neighbours> {
    let lambda = regularization.unwrap_or_else(|| default_neighbour_regularization(m));
    let nb = Ease::solve(m, lambda as f32, items, threads)?.prune(entries, 1.0)?;
    if nb.n_entries() == 0 {
        return Err(Error::EmptyData(
            "no item pair is ever seen together, so there is no item-item model".into(),
        ));
    }
    let weight = match weight {
        Some(w) => w as f32,
        None => {
            // A spread of users through the log, not its first rows.
            let users: Vec<usize> = (0..m.n_rows()).filter(|&u| m.row(u).0.len() > 1).collect();
            let every = users.len().div_ceil(256).max(1);
            let sample: Vec<usize> = users.into_iter().step_by(every).collect();
            DEFAULT_NEIGHBOUR_SHARE * neighbour_scale(model, m, &sample, trained_users, &nb)
        }
    };
    nb.with_weight(weight)
}

/// One evaluated item-item setting: EASE's `lambda` and the blend weight, on top of the best
/// factor setting.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NeighbourTrial {
    /// EASE's `lambda`.
    pub regularization: f64,
    /// The blend weight (score = factor score + weight * neighbour score).
    pub weight: f64,
    /// Validation nDCG@k of the blend.
    pub ndcg: f64,
    /// Validation recall@k of the blend.
    pub recall: f64,
}

/// One evaluated setting.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trial {
    /// 1-based, in the order trained.
    pub number: usize,
    /// `"search"` (at the starting dimension) or `"dimension"` (doubling).
    pub stage: &'static str,
    /// What was trained.
    pub setting: Setting,
    /// `lambda` as trained.
    pub regularization: f64,
    /// Validation nDCG@k.
    pub ndcg: f64,
    /// Validation recall@k.
    pub recall: f64,
    /// Training loss after each iteration.
    pub losses: Vec<f64>,
    /// Seconds to fit, when the caller measures time (0 otherwise).
    pub fit_seconds: f64,
}

/// What the search found.
#[derive(Debug, Clone)]
pub struct Tuned {
    /// Every trial, in order.
    pub trials: Vec<Trial>,
    /// Index of the best trial in `trials`.
    pub best: usize,
    /// The validation split the trials were scored on.
    pub split: Split,
    /// The best setting's model trained on the validation split's training part (with the
    /// chosen item-item model), for the discovery calibration.
    pub validation_model: Model,
    /// The item-item stage's settings, in order (empty when it was left out or stopped).
    pub neighbour_trials: Vec<NeighbourTrial>,
    /// Index in `neighbour_trials` of the chosen item-item setting, when one beat the factors
    /// alone on validation.
    pub neighbour_best: Option<usize>,
}

impl Tuned {
    /// The best trial.
    pub fn best(&self) -> &Trial {
        &self.trials[self.best]
    }

    /// The chosen item-item setting, if any.
    pub fn neighbours(&self) -> Option<&NeighbourTrial> {
        self.neighbour_best.map(|b| &self.neighbour_trials[b])
    }

    /// Validation nDCG@k of the chosen model: the blend when an item-item setting was chosen.
    pub fn best_ndcg(&self) -> f64 {
        self.neighbours().map_or(self.best().ndcg, |n| n.ndcg)
    }
}

/// The item-item model `trial` describes, solved on `m` (for the final model on the whole log).
///
/// # Errors
/// As [`Ease::solve`], or if pruning leaves no entry.
pub fn neighbours_for(
    m: &CsrMatrix,
    trial: &NeighbourTrial,
    options: &TuneOptions,
) -> Result<Neighbours> {
    Ease::solve(
        m,
        trial.regularization as f32,
        options.neighbour_items,
        options.threads,
    )?
    .prune(options.neighbour_entries, trial.weight as f32)
}

/// What the caller learns after each trial, and how it stops the search early.
pub trait TuneObserver {
    /// Called after each trial with the best trial so far; return `false` to stop (the search
    /// then ends with the best so far).
    fn trial(&mut self, trial: &Trial, best: &Trial, budget: usize) -> bool;
    /// Seconds since some fixed moment, for the trials' fit times (wasm has no clock in the
    /// core); `None` leaves them at 0.
    fn now(&self) -> Option<f64> {
        None
    }
    /// Called after each item-item setting with the best so far; return `false` to stop.
    fn neighbour_trial(&mut self, _trial: &NeighbourTrial, _best: &NeighbourTrial) -> bool {
        true
    }
}

impl<F: FnMut(&Trial, &Trial, usize) -> bool> TuneObserver for F {
    fn trial(&mut self, trial: &Trial, best: &Trial, budget: usize) -> bool {
        self(trial, best, budget)
    }
}

/// Validation nDCG@k and recall@k of `model` on `split`: each validation user folded in from
/// their training items, exactly as a visitor is, then ranked over every unseen item.
pub fn validation_metrics(model: &Model, split: &Split, k: usize) -> Result<Metrics> {
    validation_metrics_with(model, split, k, None)
}

/// [`validation_metrics`], with the users' trained factors in place of their fold-in when given
/// (`split.train`'s rows, which the validation users' histories are): the fold-in of a trained
/// user solves the same normal equations that training did, so the figures agree to a few
/// parts in a thousand and the search scores a setting without a Cholesky solve per user.
fn validation_metrics_with(
    model: &Model,
    split: &Split,
    k: usize,
    trained_users: Option<&Array2<f32>>,
) -> Result<Metrics> {
    let opts = EvalOptions {
        k,
        popularity: model.popularity(),
        users: split.train.n_rows(),
        categories: None,
    };
    let users = validation_users(split);
    let lists = batch_top_k(model, &split.history, &users, k, trained_users, None)?;
    let lists = lists.into_iter().next().expect("one blend");
    Ok(metrics_of(lists, &users, split, &opts))
}

/// The users of `split` with held-out items.
fn validation_users(split: &Split) -> Vec<usize> {
    (0..split.test.n_rows())
        .filter(|&u| !split.test.row(u).0.is_empty())
        .collect()
}

/// The metrics of `lists`, one per user of `users`.
fn metrics_of(lists: Vec<Vec<u32>>, users: &[usize], split: &Split, opts: &EvalOptions) -> Metrics {
    let mut by_user = vec![Vec::new(); split.test.n_rows()];
    for (&u, list) in users.iter().zip(lists) {
        by_user[u] = list;
    }
    evaluate(
        |u, _, _| by_user[u].clone(),
        &split.history,
        &split.test,
        opts,
    )
}

/// Each of `users`' top `k` items outside their `history` row: fold-in one user at a time, then
/// one matrix product per batch of users, which scores several times faster than a dot product
/// per item (the products sum in another order, so a near tie may rank differently than in
/// [`Model::score_into`]).
///
/// The scores are [`Model::score_system_into`]'s: with `blend`, the factor scores plus each of
/// its weights times its item-item scores, one list set per weight; without, the model's own
/// item-item model if it has one. The result is indexed `[blend weight][user]`.
fn batch_top_k(
    model: &Model,
    history: &CsrMatrix,
    users: &[usize],
    k: usize,
    trained_users: Option<&Array2<f32>>,
    blend: Option<(&Neighbours, &[f32])>,
) -> Result<Vec<Vec<Vec<u32>>>> {
    const BATCH: usize = 256;
    let y = model.item_factors();
    let yt = y.t();
    let factors = model.n_factors();
    let own = model.neighbours().map(|nb| [nb.weight()]);
    let (neighbours, weights): (Option<&Neighbours>, &[f32]) = match (blend, &own) {
        (Some((nb, weights)), _) => (Some(nb), weights),
        (None, Some(w)) => (model.neighbours(), w),
        (None, None) => (None, &[0.0]),
    };
    let run = |chunk: &[usize]| -> Result<Vec<Vec<Vec<u32>>>> {
        let mut batch = Array2::<f32>::zeros((chunk.len(), factors));
        let mut seen = Vec::with_capacity(chunk.len());
        for (row, &u) in chunk.iter().enumerate() {
            let pairs = history.row_pairs(u);
            match trained_users {
                Some(t) => batch.row_mut(row).assign(&t.row(u)),
                None => {
                    let x = model.fold_in(&pairs)?;
                    batch.row_mut(row).assign(&ArrayView1::from(&x[..]));
                }
            }
            seen.push(pairs.iter().map(|&(i, _)| i).collect::<ItemSet>());
        }
        let scores = batch.dot(&yt);
        let mut extra = vec![0f32; scores.ncols()];
        let mut blended = vec![0f32; scores.ncols()];
        let mut out = vec![Vec::with_capacity(chunk.len()); weights.len()];
        for ((row, seen), &u) in scores.rows().into_iter().zip(&seen).zip(chunk) {
            if let Some(nb) = neighbours {
                neighbour_scores(nb, history, u, &mut extra);
            }
            for (&w, lists) in weights.iter().zip(&mut out) {
                for ((b, &f), &e) in blended.iter_mut().zip(row).zip(&extra) {
                    *b = f + w * e;
                }
                lists.push(
                    top_scores(&blended, k, |i| !seen.contains(i))
                        .into_iter()
                        .map(|s| s.item)
                        .collect(),
                );
            }
        }
        Ok(out)
    };
    #[cfg(feature = "parallel")]
    let batches: Vec<Vec<Vec<Vec<u32>>>> = {
        use rayon::prelude::*;
        users.par_chunks(BATCH).map(run).collect::<Result<_>>()?
    };
    #[cfg(not(feature = "parallel"))]
    let batches: Vec<Vec<Vec<Vec<u32>>>> = users.chunks(BATCH).map(run).collect::<Result<_>>()?;
    let mut out = vec![Vec::with_capacity(users.len()); weights.len()];
    for batch in batches {
        for (lists, part) in out.iter_mut().zip(batch) {
            lists.extend(part);
        }
    }
    Ok(out)
}

/// User `u`'s item-item scores at weight 1 into `out`, from the positive items of their
/// `history` row (the items fold-in keeps).
fn neighbour_scores(nb: &Neighbours, history: &CsrMatrix, u: usize, out: &mut [f32]) {
    out.fill(0.0);
    let (items, values) = history.row(u);
    let positive = items.iter().zip(values).filter(|&(_, &v)| v > 0.0);
    nb.add_scores_weighted(positive.map(|(&i, _)| i), 1.0, out);
}

/// The ratio of the factor scores' spread to the item-item scores' spread (root mean squares
/// over every item, for the first validation users): the unit of [`NEIGHBOUR_WEIGHTS`].
fn neighbour_scale(
    model: &Model,
    history: &CsrMatrix,
    users: &[usize],
    trained_users: &Array2<f32>,
    neighbours: &Neighbours,
) -> f32 {
    let y = model.item_factors();
    let (mut f2, mut e2) = (0f64, 0f64);
    let mut extra = vec![0f32; model.n_items()];
    for &u in users.iter().take(256) {
        let scores = y.dot(&trained_users.row(u));
        f2 += scores.iter().map(|&v| (v as f64).powi(2)).sum::<f64>();
        neighbour_scores(neighbours, history, u, &mut extra);
        e2 += extra.iter().map(|&v| (v as f64).powi(2)).sum::<f64>();
    }
    if e2 > 0.0 && f2 > 0.0 {
        (f2 / e2).sqrt() as f32
    } else {
        1.0
    }
}

/// What the item-item stage tried, and the chosen blend (its trial's index and the model).
type NeighbourSearch = (Vec<NeighbourTrial>, Option<(usize, Neighbours)>);

/// The item-item stage: EASE's `lambda` from 8 times the mean users per item and twice that,
/// then up to two more doublings or halvings while validation nDCG improves, each with every
/// blend weight of [`NEIGHBOUR_WEIGHTS`] over the best factor model (`model`, trained on
/// `split.train` with user factors `trained_users`). A blend is chosen only when it beats
/// `factors_ndcg`, the factors alone.
fn search_neighbours(
    model: &Model,
    split: &Split,
    trained_users: &Array2<f32>,
    options: &TuneOptions,
    factors_ndcg: f64,
    observer: &mut dyn TuneObserver,
) -> Result<NeighbourSearch> {
    let train = &split.train;
    let users = validation_users(split);
    let opts = EvalOptions {
        k: options.k,
        popularity: model.popularity(),
        users: train.n_rows(),
        categories: None,
    };
    let start = default_neighbour_regularization(train);
    let mut trials: Vec<NeighbourTrial> = Vec::new();
    let mut best: Option<(usize, Neighbours)> = None;
    let mut scale = None;
    let mut stopped = false;
    // Each lambda's best nDCG, for the walk.
    let mut evaluate_lambda = |lambda: f64, trials: &mut Vec<NeighbourTrial>| -> Result<f64> {
        if stopped {
            return Ok(0.0);
        }
        // A lambda whose f32 solve breaks down, or whose weights overflow f16, gives nothing:
        // the walk moves on, as the factor search does with a setting that diverges.
        let solved = Ease::solve(
            train,
            lambda as f32,
            options.neighbour_items,
            options.threads,
        )
        .and_then(|ease| ease.prune(options.neighbour_entries, 1.0));
        let nb = match solved {
            Ok(nb) => nb,
            Err(Error::NotPositiveDefinite | Error::InvalidParameter { .. }) => return Ok(0.0),
            Err(e) => return Err(e),
        };
        if nb.n_entries() == 0 {
            return Ok(0.0);
        }
        let unit = *scale.get_or_insert_with(|| {
            neighbour_scale(model, &split.history, &users, trained_users, &nb)
        });
        let weights: Vec<f32> = NEIGHBOUR_WEIGHTS.iter().map(|w| w * unit).collect();
        let lists = batch_top_k(
            model,
            &split.history,
            &users,
            options.k,
            Some(trained_users),
            Some((&nb, &weights)),
        )?;
        let mut lambda_best = 0f64;
        for (&w, lists) in weights.iter().zip(lists) {
            let metrics = metrics_of(lists, &users, split, &opts);
            trials.push(NeighbourTrial {
                regularization: lambda,
                weight: w as f64,
                ndcg: metrics.ndcg,
                recall: metrics.recall,
            });
            let t = trials.len() - 1;
            lambda_best = lambda_best.max(metrics.ndcg);
            let so_far = best.as_ref().map_or(factors_ndcg, |(b, _)| trials[*b].ndcg);
            if metrics.ndcg > so_far {
                best = Some((t, nb.clone().with_weight(w)?));
            }
            let shown = best.as_ref().map_or(t, |(b, _)| *b);
            if !observer.neighbour_trial(&trials[t], &trials[shown]) {
                stopped = true;
            }
        }
        Ok(lambda_best)
    };
    let at_start = evaluate_lambda(start, &mut trials)?;
    let up = evaluate_lambda(start * 2.0, &mut trials)?;
    let (mut lambda, mut ndcg, step) = if up > at_start {
        (start * 2.0, up, 2.0)
    } else {
        (start, at_start, 0.5)
    };
    // Two more steps at most in the direction that helps (the first step down included).
    for _ in 0..2 {
        let next = evaluate_lambda(lambda * step, &mut trials)?;
        if next <= ndcg {
            break;
        }
        lambda *= step;
        ndcg = next;
    }
    Ok((trials, best))
}

/// Searches the hyperparameters of frequency-scaled iALS on a validation split of `m`.
///
/// Deterministic for a seed: the same data and options give the same trials in the same order,
/// whatever the thread count.
///
/// # Errors
/// If the split leaves no validation user, or options are out of range.
pub fn tune(
    m: &CsrMatrix,
    item_ids: &[String],
    options: &TuneOptions,
    observer: &mut dyn TuneObserver,
) -> Result<Tuned> {
    if options.budget == 0 {
        return Err(crate::error::invalid("budget", "at least 1 trial", 0));
    }
    let split = holdout_split(
        m,
        options.validation_fraction,
        options.min_interactions,
        options.seed,
    )?;
    if split.test.nnz() == 0 {
        return Err(Error::EmptyData(format!(
            "no user has {} or more interactions, so none can be held out for validation",
            options.min_interactions
        )));
    }
    let items = m.n_cols();
    let mut search = Search {
        m: &split,
        item_ids,
        options,
        observer,
        trials: Vec::new(),
        seen: HashMap::new(),
        best: None,
        stopped: false,
    };
    // Rendle et al.'s protocol: search at a small dimension, then double it.
    let start = options.start.unwrap_or_else(|| Setting {
        factors: 64.min(options.max_factors),
        ..default_setting(m.n_rows(), items, m.nnz())
    });
    let mut best = search.run(start, "search")?;

    // Pattern search at the starting dimension: each coordinate in turn, both directions, with
    // steps that shrink when nothing improves.
    let levels: [(f64, f64, f64); 4] = [
        (4.0, 3.0, 0.5),
        (2.0, 1.7, 0.25),
        (1.4, 1.3, 0.125),
        (1.18, 1.15, 0.0625),
    ];
    // The dimension stage's share of the budget: three settings per doubling, at most a third.
    let mut doublings = 0;
    while start.factors << (doublings + 1) <= options.max_factors {
        doublings += 1;
    }
    let search_budget = options.budget - (3 * doublings).min(options.budget / 3);
    'levels: for &(rho_step, weight_step, exponent_step) in &levels {
        loop {
            let mut moved = false;
            for coordinate in 0..3 {
                for direction in [1.0, -1.0] {
                    if search.out_of_budget() || search.trials.len() >= search_budget {
                        break 'levels;
                    }
                    let mut s = search.trials[best].setting;
                    match coordinate {
                        0 => s.rho *= rho_step.powf(direction),
                        1 => s.unobserved_weight *= weight_step.powf(direction),
                        _ => s.exponent += exponent_step * direction,
                    }
                    if !(0.0..=1.5).contains(&s.exponent) || s.unobserved_weight > 10.0 {
                        continue;
                    }
                    let t = search.run(s, "search")?;
                    if search.trials[t].ndcg > search.trials[best].ndcg {
                        best = t;
                        moved = true;
                        break;
                    }
                }
            }
            if !moved {
                break;
            }
        }
    }

    // Double the dimension while it helps, nudging rho at each dimension.
    let mut factors = search.trials[best].setting.factors;
    while factors * 2 <= options.max_factors && !search.out_of_budget() {
        factors *= 2;
        let base = Setting {
            factors,
            ..search.trials[best].setting
        };
        let before = search.trials[best].ndcg;
        let mut improved = false;
        for rho_factor in [1.0, 1.4, 1.0 / 1.4] {
            if search.out_of_budget() {
                break;
            }
            let t = search.run(
                Setting {
                    rho: base.rho * rho_factor,
                    ..base
                },
                "dimension",
            )?;
            if search.trials[t].ndcg > search.trials[best].ndcg {
                best = t;
                improved = true;
            }
        }
        // A doubling that buys less than 0.5% is not worth twice the model.
        if !improved || search.trials[best].ndcg < before * 1.005 {
            break;
        }
    }

    let setting = search.trials[best].setting;
    let params = setting.params(items, options.iterations, options.seed, options.threads)?;
    let (mut validation_model, trained_users, _) = train(&split.train, item_ids, &params)?;
    let (neighbour_trials, neighbour_best) = if options.neighbour_items > 0 && !search.stopped {
        let factors_ndcg = search.trials[best].ndcg;
        let observer = &mut *search.observer;
        let (trials, chosen) = search_neighbours(
            &validation_model,
            &split,
            &trained_users,
            options,
            factors_ndcg,
            observer,
        )?;
        let index = chosen.as_ref().map(|(t, _)| *t);
        validation_model.set_neighbours(chosen.map(|(_, nb)| nb))?;
        (trials, index)
    } else {
        (Vec::new(), None)
    };
    let trials = search.trials;
    Ok(Tuned {
        best,
        trials,
        split,
        validation_model,
        neighbour_trials,
        neighbour_best,
    })
}

struct Search<'a> {
    m: &'a Split,
    item_ids: &'a [String],
    options: &'a TuneOptions,
    observer: &'a mut dyn TuneObserver,
    trials: Vec<Trial>,
    seen: HashMap<(usize, i64, i64, i64), usize>,
    best: Option<usize>,
    stopped: bool,
}

impl Search<'_> {
    fn out_of_budget(&self) -> bool {
        self.stopped || self.trials.len() >= self.options.budget
    }

    /// Trains and scores `setting` (once: a repeat returns the earlier trial).
    fn run(&mut self, setting: Setting, stage: &'static str) -> Result<usize> {
        if let Some(&t) = self.seen.get(&setting.key()) {
            return Ok(t);
        }
        let items = self.m.train.n_cols();
        let params = setting.params(
            items,
            self.options.iterations,
            self.options.seed,
            self.options.threads,
        )?;
        let started = self.observer.now();
        let (model, users, losses) = match train(&self.m.train, self.item_ids, &params) {
            Ok(trained) => trained,
            // A setting that diverges or breaks a solve scores 0: the search moves on.
            Err(Error::Diverged { .. } | Error::NotPositiveDefinite) => {
                return Ok(self.record(setting, stage, &params, None, Vec::new(), started));
            }
            Err(e) => return Err(e),
        };
        let metrics = match validation_metrics_with(&model, self.m, self.options.k, Some(&users)) {
            Ok(m) => Some(m),
            Err(Error::NotPositiveDefinite) => None,
            Err(e) => return Err(e),
        };
        Ok(self.record(setting, stage, &params, metrics, losses, started))
    }

    fn record(
        &mut self,
        setting: Setting,
        stage: &'static str,
        params: &ValidAlsParams,
        metrics: Option<Metrics>,
        losses: Vec<f64>,
        started: Option<f64>,
    ) -> usize {
        let fit_seconds = match (started, self.observer.now()) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        };
        let trial = Trial {
            number: self.trials.len() + 1,
            stage,
            setting,
            regularization: params.regularization as f64,
            ndcg: metrics.as_ref().map_or(0.0, |m| m.ndcg),
            recall: metrics.as_ref().map_or(0.0, |m| m.recall),
            losses,
            fit_seconds,
        };
        let t = self.trials.len();
        self.seen.insert(setting.key(), t);
        self.trials.push(trial);
        let best = match self.best {
            Some(b) if self.trials[b].ndcg >= self.trials[t].ndcg => b,
            _ => t,
        };
        self.best = Some(best);
        if !self
            .observer
            .trial(&self.trials[t], &self.trials[best], self.options.budget)
        {
            self.stopped = true;
        }
        t
    }
}

/// The provenance of a model this library trained with `params` on `m`.
pub fn trained_provenance(params: &ValidAlsParams, m: &CsrMatrix) -> Provenance {
    Provenance {
        source: "tastebud als".into(),
        iterations: Some(params.iterations),
        cg_steps: Some(params.cg_steps),
        seed: Some(params.seed),
        users: Some(m.n_rows()),
        interactions: Some(m.nnz()),
    }
}

/// Fits `params` on `m` and wraps the item factors as an f32 model, with the loss after each
/// iteration.
pub fn train_model(
    m: &CsrMatrix,
    item_ids: &[String],
    params: &ValidAlsParams,
) -> Result<(Model, Vec<f64>)> {
    train(m, item_ids, params).map(|(model, _, losses)| (model, losses))
}

/// [`train_model`], keeping the user factors.
fn train(
    m: &CsrMatrix,
    item_ids: &[String],
    params: &ValidAlsParams,
) -> Result<(Model, Array2<f32>, Vec<f64>)> {
    let mut losses = Vec::with_capacity(params.iterations);
    let factors = fit(m, params, |r| losses.push(r.loss))?;
    let model = Model::new(
        item_ids.to_vec(),
        factors.items,
        params.fold_in(),
        m.column_counts(),
        Precision::F32,
        trained_provenance(params, m),
    )?;
    Ok((model, factors.users, losses))
}

/// The most validation users the discovery calibration ranks.
pub const CALIBRATION_USERS: usize = 5_000;

/// Strengths the discovery calibration measures: 12 points from plain ranking to twice the
/// `discovery` preset.
pub const CALIBRATION_STRENGTHS: [f32; 12] =
    [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0];

/// Measures how the `discovery` direction trades validation nDCG for the long tail and
/// category coverage on `model` (trained on `split.train`), at each of
/// [`CALIBRATION_STRENGTHS`]. Figures are rounded to 4 decimals, as stored.
pub fn calibrate(
    model: &Model,
    split: &Split,
    categories: Option<&ItemCategories>,
    k: usize,
) -> Result<Calibration> {
    let none = ItemCategories::default();
    let cats = categories.unwrap_or(&none);
    let direction = RerankParams::preset("discovery").expect("a preset");
    let settings: Vec<RerankParams> = CALIBRATION_STRENGTHS
        .iter()
        .map(|&t| direction.scaled(t))
        .collect();
    // Every n-th validation user, at most CALIBRATION_USERS of them: the ratios compare lists
    // of the same users, so a sample measures them well.
    let all: Vec<usize> = (0..split.test.n_rows())
        .filter(|&u| !split.test.row(u).0.is_empty())
        .collect();
    let every = all.len().div_ceil(CALIBRATION_USERS).max(1);
    let users: Vec<usize> = all.into_iter().step_by(every).collect();
    let per_user = |u: usize| -> Result<Vec<Vec<u32>>> {
        let history = split.history.row_pairs(u);
        let system = model.user_system(&history)?;
        let mut scores = Vec::new();
        model.score_system_into(&system, &mut scores);
        let seen: ItemSet = history.iter().map(|&(i, _)| i).collect();
        let ctx = RerankContext {
            categories: cats,
            popularity: model.popularity(),
            history: &history,
            explorable: None,
        };
        Ok(settings
            .iter()
            .map(|p| {
                rerank(&scores, |i| !seen.contains(i), k, p, &ctx)
                    .into_iter()
                    .map(|s| s.item)
                    .collect()
            })
            .collect())
    };
    #[cfg(feature = "parallel")]
    let lists: Vec<Vec<Vec<u32>>> = {
        use rayon::prelude::*;
        users
            .par_iter()
            .map(|&u| per_user(u))
            .collect::<Result<_>>()?
    };
    #[cfg(not(feature = "parallel"))]
    let lists: Vec<Vec<Vec<u32>>> = users.iter().map(|&u| per_user(u)).collect::<Result<_>>()?;
    let opts = EvalOptions {
        k,
        popularity: model.popularity(),
        users: split.train.n_rows(),
        categories,
    };
    let mut by_user = vec![Vec::new(); split.test.n_rows()];
    // The test rows of the sampled users alone, so the metrics average over them.
    let mut rows = vec![Vec::new(); split.test.n_rows()];
    for &u in &users {
        rows[u] = split.test.row_pairs(u);
    }
    let test = CsrMatrix::from_sorted_rows(split.test.n_cols(), rows);
    let round = |v: f64| ((v * 10_000.0).round() / 10_000.0) as f32;
    let mut out = Calibration {
        strengths: CALIBRATION_STRENGTHS.to_vec(),
        ndcg_ratio: Vec::new(),
        tail_share: Vec::new(),
        category_coverage: Vec::new(),
    };
    let mut plain = 0.0;
    for s in 0..settings.len() {
        for (&u, l) in users.iter().zip(&lists) {
            by_user[u] = l[s].clone();
        }
        let metrics = evaluate(|u, _, _| by_user[u].clone(), &split.history, &test, &opts);
        if s == 0 {
            plain = metrics.ndcg;
        }
        out.ndcg_ratio.push(if plain > 0.0 {
            round((metrics.ndcg / plain).min(10.0))
        } else {
            1.0
        });
        out.tail_share.push(round(metrics.tail_share));
        out.category_coverage
            .push(round(metrics.category_coverage.unwrap_or(0.0)));
    }
    out.validate()?;
    Ok(out)
}
