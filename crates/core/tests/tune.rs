//! The hyperparameter search and the discovery calibration.

mod common;

use common::clustered;
use tastebud_core::{
    calibrate, default_setting, fit, tune, validation_metrics, CsrMatrix, Model, Precision,
    Provenance, Setting, Trial, TuneOptions, CALIBRATION_STRENGTHS, NEIGHBOUR_WEIGHTS,
};

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("item-{i}")).collect()
}

fn data() -> CsrMatrix {
    clustered(240, 120, 6, 0.25, 0.02, 7)
}

fn options(budget: usize, threads: usize) -> TuneOptions {
    TuneOptions {
        budget,
        threads,
        iterations: 6,
        max_factors: 32,
        start: Some(Setting {
            factors: 8,
            ..default_setting(240, 120, data().nnz())
        }),
        ..TuneOptions::default()
    }
}

fn run(budget: usize, threads: usize) -> Vec<Trial> {
    let m = data();
    let mut seen = 0;
    let tuned = tune(
        &m,
        &ids(m.n_cols()),
        &options(budget, threads),
        &mut |_: &Trial, best: &Trial, b: usize| {
            seen += 1;
            assert_eq!(b, budget);
            assert!(best.ndcg >= 0.0);
            true
        },
    )
    .unwrap();
    assert_eq!(seen, tuned.trials.len());
    assert!(tuned.trials.len() <= budget);
    let best = tuned.best();
    assert!(tuned.trials.iter().all(|t| t.ndcg <= best.ndcg));
    tuned.trials
}

#[test]
fn the_search_is_deterministic_whatever_the_threads() {
    let one = run(12, 1);
    let two = run(12, 2);
    assert_eq!(one, two);
}

#[test]
fn the_search_improves_on_where_it_starts_and_stays_in_budget() {
    let trials = run(20, 0);
    let best = trials.iter().map(|t| t.ndcg).fold(0.0, f64::max);
    assert!(
        best > trials[0].ndcg,
        "{best} vs the start {}",
        trials[0].ndcg
    );
    // Every trial reports its loss per iteration, and no setting is trained twice.
    assert!(trials.iter().all(|t| t.losses.len() == 6));
    for (i, a) in trials.iter().enumerate() {
        for b in &trials[i + 1..] {
            assert_ne!(a.setting, b.setting);
        }
    }
}

#[test]
fn an_observer_can_stop_the_search() {
    let m = data();
    let mut calls = 0;
    let tuned = tune(
        &m,
        &ids(m.n_cols()),
        &options(30, 0),
        &mut |_: &Trial, _: &Trial, _| {
            calls += 1;
            calls < 3
        },
    )
    .unwrap();
    assert_eq!(tuned.trials.len(), 3);
}

#[test]
fn a_log_too_small_to_validate_says_so() {
    let m = CsrMatrix::from_triplets(3, 4, &[(0, 0, 1.0), (1, 1, 1.0), (2, 3, 1.0)]);
    let e = tune(
        &m,
        &ids(4),
        &options(5, 0),
        &mut |_: &Trial, _: &Trial, _| true,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("held out for validation"), "{e}");
}

/// A held-out visitor folded in scores like the trained user: fold-in solves the normal
/// equations the last user update solved, with frequency scaling as with the others.
#[test]
fn a_folded_in_visitor_scores_like_the_trained_user() {
    let m = data();
    let setting = Setting {
        factors: 8,
        ..default_setting(240, 120, data().nnz())
    };
    let params = setting.params(m.n_cols(), 10, 42, 0).unwrap();
    let params = tastebud_core::AlsParams {
        solver: tastebud_core::Solver::Cholesky,
        ..(*params).clone()
    }
    .check()
    .unwrap();
    let factors = fit(&m, &params, |_| {}).unwrap();
    let model = Model::new(
        ids(m.n_cols()),
        factors.items.clone(),
        params.fold_in(),
        m.column_counts(),
        Precision::F32,
        Provenance::default(),
    )
    .unwrap();
    // The trained users were solved against the items of the second-to-last sweep, so they
    // agree closely rather than exactly once training has converged.
    let mut scores = Vec::new();
    for u in [0, 17, 101, 239] {
        let folded = model.fold_in(&m.row_pairs(u)).unwrap();
        let trained: Vec<f32> = factors.users.row(u).to_vec();
        model.score_into(&trained, &mut scores);
        let by_trained = scores.clone();
        model.score_into(&folded, &mut scores);
        let top = by_trained.iter().fold(0f32, |a, &b| a.max(b.abs()));
        for (a, b) in scores.iter().zip(&by_trained) {
            assert!((a - b).abs() <= 0.05 * top, "user {u}: {a} vs {b}");
        }
        let top10 = |s: &[f32]| {
            let mut order: Vec<usize> = (0..s.len()).collect();
            order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
            order.truncate(10);
            order
        };
        let (a, b) = (top10(&scores), top10(&by_trained));
        assert!(
            a.iter().filter(|i| b.contains(i)).count() >= 8,
            "user {u}: {a:?} vs {b:?}"
        );
    }
}

#[test]
fn calibration_measures_every_strength_from_plain_ranking() {
    let m = data();
    let tuned = tune(
        &m,
        &ids(m.n_cols()),
        &options(4, 0),
        &mut |_: &Trial, _: &Trial, _| true,
    )
    .unwrap();
    let plain = validation_metrics(&tuned.validation_model, &tuned.split, 10).unwrap();
    assert!(plain.ndcg > 0.0);
    let c = calibrate(&tuned.validation_model, &tuned.split, None, 10).unwrap();
    assert_eq!(c.strengths, CALIBRATION_STRENGTHS.to_vec());
    assert_eq!(c.ndcg_ratio[0], 1.0);
    // Debiasing reaches further into the tail as it strengthens.
    assert!(c.tail_share.last() >= c.tail_share.first(), "{c:?}");
    assert!(c.category_coverage.iter().all(|&v| v == 0.0));
    c.validate().unwrap();
}

/// The item-item stage: every lambda it tries is tried with every blend weight, the choice beats
/// the factors alone and every other blend on validation, the validation model carries it, and
/// it does not depend on the thread count.
#[test]
fn the_item_item_stage_keeps_a_blend_only_when_it_beats_the_factors() {
    let m = data();
    let tune_with = |threads: usize, neighbour_items: usize| {
        let options = TuneOptions {
            neighbour_items,
            neighbour_entries: 16,
            ..options(8, threads)
        };
        tune(
            &m,
            &ids(m.n_cols()),
            &options,
            &mut |_: &Trial, _: &Trial, _| true,
        )
        .unwrap()
    };
    let tuned = tune_with(1, 64);
    let lambdas: Vec<f64> = tuned
        .neighbour_trials
        .iter()
        .map(|t| t.regularization)
        .collect();
    assert!(lambdas.len() >= 2 * NEIGHBOUR_WEIGHTS.len(), "{lambdas:?}");
    for group in lambdas.chunks(NEIGHBOUR_WEIGHTS.len()) {
        assert!(group.iter().all(|&l| l == group[0]), "{lambdas:?}");
    }
    // On this clustered log the blend helps.
    let chosen = tuned.neighbours().expect("a blend chosen");
    assert!(chosen.ndcg > tuned.best().ndcg);
    assert!(tuned.neighbour_trials.iter().all(|t| t.ndcg <= chosen.ndcg));
    let nb = tuned.validation_model.neighbours().expect("carried");
    assert_eq!(nb.weight(), chosen.weight as f32);
    assert_eq!(nb.regularization(), chosen.regularization as f32);
    assert_eq!(tuned.best_ndcg(), chosen.ndcg);
    // Scored as the browser scores (fold-in, not the trained users), it agrees.
    let folded = validation_metrics(&tuned.validation_model, &tuned.split, 10).unwrap();
    assert!(
        (folded.ndcg - chosen.ndcg).abs() < 0.02,
        "{folded:?} vs {chosen:?}"
    );
    assert_eq!(tune_with(2, 64).neighbour_trials, tuned.neighbour_trials);
    let without = tune_with(1, 0);
    assert!(without.neighbour_trials.is_empty() && without.neighbours().is_none());
}
