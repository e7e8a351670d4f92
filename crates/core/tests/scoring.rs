//! Scoring every item (`Model::score_into`, which `recommend` ranks from) against a naive f64
//! reference over the factors the model holds. An int8 model scores from its int8 levels, so its
//! scores may differ from the dequantized f32 path by a few f32 roundings: the tolerance is
//! 1e-5 of the sum of the absolute terms. The wasm simd128 kernels are checked bit for bit in
//! Chromium by tests/scoring_simd.rs at the workspace root.

mod common;

use common::{model_of, random_factors};
use tastebud_core::{AlsParams, Filter, Model, Precision};

fn check(model: &Model, user: &[f32]) {
    let mut scores = vec![7.0; 3];
    model.score_into(user, &mut scores);
    assert_eq!(scores.len(), model.n_items());
    for (i, row) in model.item_factors().rows().into_iter().enumerate() {
        let exact: f64 = row
            .iter()
            .zip(user)
            .map(|(a, b)| *a as f64 * *b as f64)
            .sum();
        let size: f64 = row
            .iter()
            .zip(user)
            .map(|(a, b)| (*a as f64 * *b as f64).abs())
            .sum();
        let err = (scores[i] as f64 - exact).abs();
        assert!(
            err <= 1e-5 * size.max(1e-6),
            "item {i}: {} vs {exact}",
            scores[i]
        );
    }
}

#[test]
fn every_precision_scores_within_tolerance_of_f64_for_any_factor_count() {
    for k in [1, 5, 16, 33, 64, 70] {
        let fold_in = AlsParams::new().factors(k).check().unwrap().fold_in();
        for precision in [Precision::F32, Precision::F16, Precision::Int8] {
            let model = model_of(random_factors(300, k, 1.5, k as u64), fold_in, precision);
            let user = model.fold_in(&[(2, 1.0), (50, 3.0), (299, 1.0)]).unwrap();
            check(&model, &user);
            // The file round-trip scores identically.
            let again = Model::from_bytes(&model.to_bytes()).unwrap();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            model.score_into(&user, &mut a);
            again.score_into(&user, &mut b);
            assert_eq!(a, b, "k {k} {precision:?}");
        }
    }
}

#[test]
fn int8_top_10_matches_the_f32_copy_on_a_large_catalog() {
    let fold_in = AlsParams::new().factors(64).check().unwrap().fold_in();
    let model = model_of(
        random_factors(20_000, 64, 1.0, 11),
        fold_in,
        Precision::Int8,
    );
    let user = model
        .fold_in(&[(1, 1.0), (9000, 1.0), (15000, 2.0)])
        .unwrap();
    let top = model.recommend(&user, 10, &Filter::new());
    let mut exact: Vec<(u32, f64)> = model
        .item_factors()
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            (
                i as u32,
                row.iter()
                    .zip(&user)
                    .map(|(a, b)| *a as f64 * *b as f64)
                    .sum(),
            )
        })
        .collect();
    exact.sort_by(|a, b| b.1.total_cmp(&a.1));
    let expected: Vec<u32> = exact[..10].iter().map(|s| s.0).collect();
    assert_eq!(top.iter().map(|s| s.item).collect::<Vec<_>>(), expected);
}

#[test]
fn a_vector_of_the_wrong_length_scores_nan() {
    let fold_in = AlsParams::new().factors(8).check().unwrap().fold_in();
    let model = model_of(random_factors(10, 8, 1.0, 3), fold_in, Precision::Int8);
    let mut scores = Vec::new();
    model.score_into(&[1.0; 7], &mut scores);
    assert_eq!(scores.len(), 10);
    assert!(scores.iter().all(|s| s.is_nan()));
}

/// An int8 model keeps no f32 matrix; fold-in and explanations widen the rows they read, and
/// must give exactly what the dequantized matrix gives.
#[test]
fn int8_row_reads_match_the_dequantized_matrix() {
    use tastebud_core::{fold_in, ItemRows, UserSystem};
    let fold = AlsParams::new().factors(16).check().unwrap().fold_in();
    let model = model_of(random_factors(500, 16, 1.2, 5), fold, Precision::Int8);
    let dense = model.item_factors().into_owned();
    let history = [(3, 1.0), (40, 2.0), (499, 1.0), (40, 1.0)];
    let from_model = model.fold_in(&history).unwrap();
    let from_dense = fold_in(dense.view(), model.gram(), &fold, &history).unwrap();
    assert_eq!(from_model, from_dense);
    let system = UserSystem::solve(dense.view(), model.gram(), &fold, &history).unwrap();
    let explained = model.explain(&history, 7).unwrap();
    let mut expected = system.contributions(dense.view(), 7).unwrap();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(explained.contributions, expected);
    let mut row = vec![0.0; 16];
    for i in [0, 250, 499] {
        model.row_into(i, &mut row);
        assert_eq!(row, dense.row(i).to_vec());
        assert_eq!(model.item_row(i), row);
    }
    // Similar items by cosine: the same order as from the dense rows, up to f32 rounding.
    let similar = model.similar_items(10, 5, &Filter::new()).unwrap();
    let y = dense.row(10);
    let norm = |v: ndarray::ArrayView1<f32>| v.dot(&v).sqrt();
    for s in &similar {
        let yj = dense.row(s.item as usize);
        let cosine = y.dot(&yj) / (norm(y) * norm(yj));
        assert!((s.score - cosine).abs() < 1e-5, "{} vs {cosine}", s.score);
    }
}
