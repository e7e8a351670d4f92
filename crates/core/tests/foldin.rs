//! Fold-in: a visitor's vector is the exact solution of the normal equations a training user with
//! the same history would have, it stores nothing, and its explanations add up.

mod common;

use common::{
    clustered, conventions, dense_system, gauss, model_of, random_factors, relative_error,
    relative_residual,
};
use tastebud_core::{
    fit, AlsParams, Confidence, Error, FoldInParams, Precision, RegularizationScaling, Solver,
};

fn params(confidence: Confidence, scaling: RegularizationScaling, iterations: usize) -> AlsParams {
    AlsParams::new()
        .factors(8)
        .regularization(0.1)
        .alpha(4.0)
        .iterations(iterations)
        .seed(99)
        .solver(Solver::Cholesky)
        .confidence(confidence)
        .regularization_scaling(scaling)
}

/// After `fit` with the Cholesky solver, folding in a training user's row against the final item
/// factors solves that user's normal equations (relative residual below 1e-6) and matches the
/// dense reference solve (relative error below 1e-5).
#[test]
fn fold_in_of_a_training_row_solves_its_normal_equations() {
    let data = clustered(80, 50, 4, 0.3, 0.04, 17);
    for (confidence, scaling) in conventions() {
        let p = params(confidence, scaling, 6).check().unwrap();
        let items = fit(&data, &p, |_| {}).unwrap().items;
        let model = model_of(items.clone(), p.fold_in(), Precision::F32);
        for u in 0..data.n_rows() {
            let row = data.row_pairs(u);
            let x = model.fold_in(&row).unwrap();
            let (a, b) = dense_system(items.view(), &row, &p.fold_in());
            let residual = relative_residual(&a, &b, &x);
            let error = relative_error(&x, &gauss(a, b));
            assert!(
                residual < 1e-6 && error < 1e-5,
                "{confidence:?}/{scaling:?}, user {u}: residual {residual:e}, error {error:e}"
            );
        }
    }
}

/// Fold-in is training's own user update: given the item factors of a run of `n` iterations, it
/// returns bit for bit the user factors that iteration `n + 1` computes.
#[test]
fn fold_in_is_exactly_the_next_user_update() {
    let data = clustered(40, 30, 3, 0.35, 0.05, 2);
    for (confidence, scaling) in conventions() {
        let p = |n| params(confidence, scaling, n).threads(1).check().unwrap();
        let before = fit(&data, &p(3), |_| {}).unwrap();
        let after = fit(&data, &p(4), |_| {}).unwrap();
        let model = model_of(before.items, p(3).fold_in(), Precision::F32);
        for u in 0..data.n_rows() {
            let x = model.fold_in(&data.row_pairs(u)).unwrap();
            assert_eq!(
                x,
                after.users.row(u).to_vec(),
                "{confidence:?}/{scaling:?}, user {u}"
            );
        }
    }
}

#[test]
fn fold_in_stores_nothing() {
    let fold = FoldInParams {
        regularization: 0.05,
        alpha: 10.0,
        confidence: Confidence::AlphaTimes,
        regularization_scaling: RegularizationScaling::Constant,
    };
    let model = model_of(random_factors(40, 6, 0.4, 1), fold, Precision::F16);
    let bytes = model.to_bytes();
    let gram = model.gram().to_vec();
    let factors = model.item_factors().to_owned();
    let a = [(1, 1.0), (5, 4.0), (9, 8.0)];
    let b = [(2, 20.0), (3, 1.0)];
    let first = model.fold_in(&a).unwrap();
    let other = model.fold_in(&b).unwrap();
    let system = model.user_system(&a).unwrap();
    let _ = model.explain(&b, 7).unwrap();
    let _ = model.recommend_for(&b, 5, Default::default()).unwrap();
    assert_eq!(model.fold_in(&a).unwrap(), first);
    assert_eq!(model.fold_in(&b).unwrap(), other);
    assert_eq!(system.vector(), &first[..]);
    assert_eq!(model.to_bytes(), bytes);
    assert_eq!(model.gram(), &gram[..]);
    assert_eq!(model.item_factors(), factors);
}

/// Each history item's contribution to a score (Hu, Koren and Volinsky 2008, section 5): they
/// sum to the score within 1e-4 of the scale of the terms (`max(|score|, sum |contribution|)`),
/// for every item of the catalog and many histories.
#[test]
fn explanations_sum_to_the_score() {
    let data = clustered(30, 60, 3, 0.3, 0.05, 8);
    for (confidence, scaling) in conventions() {
        let p = params(confidence, scaling, 8).check().unwrap();
        let items = fit(&data, &p, |_| {}).unwrap().items;
        let model = model_of(items, p.fold_in(), Precision::F32);
        for u in 0..data.n_rows() {
            let history = data.row_pairs(u);
            let x = model.fold_in(&history).unwrap();
            let system = model.user_system(&history).unwrap();
            let mut scores = Vec::new();
            model.score_into(&x, &mut scores);
            for item in 0..model.n_items() as u32 {
                let why = model.explain_with(&system, item).unwrap();
                assert_eq!(why.item, item);
                assert_eq!(why.score, scores[item as usize]);
                let sum: f32 = why.contributions.iter().map(|c| c.1).sum();
                let scale = why
                    .contributions
                    .iter()
                    .map(|c| c.1.abs())
                    .sum::<f32>()
                    .max(why.score.abs());
                assert!(
                    (sum - why.score).abs() <= 1e-4 * scale,
                    "{confidence:?}/{scaling:?}, user {u}, item {item}: {sum} vs {}",
                    why.score
                );
                // One contribution per history item, largest first.
                let mut explained: Vec<u32> = why.contributions.iter().map(|c| c.0).collect();
                explained.sort_unstable();
                let mut expected: Vec<u32> = history.iter().map(|h| h.0).collect();
                expected.sort_unstable();
                assert_eq!(explained, expected);
                assert!(why.contributions.windows(2).all(|w| w[0].1 >= w[1].1));
            }
            assert_eq!(
                model.explain(&history, 0).unwrap(),
                model.explain_with(&system, 0).unwrap()
            );
        }
    }
}

/// A visitor with no usable history gets the zero vector (and so no personal ranking), whatever
/// the conventions. Regression: under `ByCount` the regularization of an empty history is zero,
/// and on a catalog with fewer items than factors (`Y^T Y` alone singular) fold-in used to fail
/// with `NotPositiveDefinite`.
#[test]
fn empty_history_gives_the_zero_vector() {
    for (confidence, scaling) in conventions() {
        let fold = FoldInParams {
            regularization: 0.1,
            alpha: 2.0,
            confidence,
            regularization_scaling: scaling,
        };
        for (n, k) in [(30, 5), (3, 8)] {
            let model = model_of(random_factors(n, k, 0.5, 4), fold, Precision::F32);
            for history in [&[][..], &[(1, 0.0), (2, -1.0), (0, f32::NAN)][..]] {
                let x = model.fold_in(history).unwrap_or_else(|e| {
                    panic!("{confidence:?}/{scaling:?}, {n} x {k}, {history:?}: {e}")
                });
                assert_eq!(x, vec![0.0; k]);
                let why = model.explain(history, 1).unwrap();
                assert_eq!(why.score, 0.0);
                assert!(why.contributions.is_empty());
            }
        }
    }
}

#[test]
fn unknown_items_are_an_error() {
    let fold = FoldInParams {
        regularization: 0.1,
        alpha: 2.0,
        confidence: Confidence::OnePlus,
        regularization_scaling: RegularizationScaling::Constant,
    };
    let model = model_of(random_factors(10, 3, 0.5, 4), fold, Precision::F32);
    assert!(matches!(
        model.fold_in(&[(3, 1.0), (10, 1.0)]),
        Err(Error::UnknownItem(_))
    ));
    assert!(matches!(
        model.explain(&[(3, 1.0)], 10),
        Err(Error::UnknownItem(_))
    ));
}
