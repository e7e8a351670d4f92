//! Browser tier: the engine's scoring in wasm with simd128 (explicit `core::arch::wasm32`
//! kernels in crates/core/src/linalg.rs) against the portable 16-lane order, bit for bit, and
//! against an f64 reference within 1e-5 relative. Native tests cannot run simd128 code.
#![cfg(target_arch = "wasm32")]

use ndarray::Array2;
use tastebud_core::{AlsParams, Filter, Model, Precision, Provenance};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The portable `dot` as specified: 16 lane accumulators, a pairwise fixed-order lane sum, then
/// the scalar tail.
fn portable_dot(a: &[f32], b: &[f32]) -> f32 {
    let full = a.len() - a.len() % 16;
    let mut acc = [0f32; 16];
    for (x, y) in a[..full].chunks_exact(16).zip(b[..full].chunks_exact(16)) {
        for l in 0..16 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0f32;
    for (x, y) in a[full..].iter().zip(&b[full..]) {
        tail += x * y;
    }
    let mut width = 8;
    while width > 0 {
        for l in 0..width {
            acc[l] += acc[l + width];
        }
        width /= 2;
    }
    acc[0] + tail
}

fn model(items: usize, k: usize, precision: Precision) -> Model {
    let mut state = 0x2545_f491_4f6c_dd1du64 ^ (items * k) as u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let factors = Array2::from_shape_fn((items, k), |_| next());
    let fold_in = AlsParams::new().factors(k).check().unwrap().fold_in();
    Model::new(
        (0..items).map(|i| format!("i{i}")).collect(),
        factors,
        fold_in,
        vec![1; items],
        precision,
        Provenance::default(),
    )
    .unwrap()
}

#[wasm_bindgen_test]
fn simd_scores_match_the_portable_order_bit_for_bit_and_f64_closely() {
    for k in [5, 16, 64, 70] {
        for precision in [Precision::F32, Precision::F16, Precision::Int8] {
            let model = model(500, k, precision);
            let user = model.fold_in(&[(3, 1.0), (40, 2.0), (77, 1.0)]).unwrap();
            let mut scores = Vec::new();
            model.score_into(&user, &mut scores);
            let factors = model.item_factors();
            for (i, row) in factors.rows().into_iter().enumerate() {
                let row = row.as_slice().unwrap();
                // int8 scores from its levels, not from this copy: checked bit for bit below.
                if precision != Precision::Int8 {
                    let expected = portable_dot(row, &user);
                    assert_eq!(
                        scores[i].to_bits(),
                        expected.to_bits(),
                        "k {k} {precision:?} item {i}"
                    );
                }
                let exact: f64 = row
                    .iter()
                    .zip(&user)
                    .map(|(a, b)| *a as f64 * *b as f64)
                    .sum();
                let norm: f64 = row
                    .iter()
                    .zip(&user)
                    .map(|(a, b)| (*a as f64 * *b as f64).abs())
                    .sum();
                assert!(
                    (scores[i] as f64 - exact).abs() <= 1e-5 * norm.max(1e-6),
                    "k {k} item {i}"
                );
            }
        }
    }
}

#[wasm_bindgen_test]
fn simd_top_k_matches_a_full_sort() {
    let model = model(2000, 64, Precision::Int8);
    let user = model.fold_in(&[(1, 1.0), (900, 1.0)]).unwrap();
    let top = model.recommend(&user, 10, &Filter::new());
    let mut all: Vec<(u32, f32)> = model
        .item_factors()
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, row)| (i as u32, portable_dot(row.as_slice().unwrap(), &user)))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let expected: Vec<u32> = all[..10].iter().map(|s| s.0).collect();
    assert_eq!(top.iter().map(|s| s.item).collect::<Vec<_>>(), expected);
}

#[wasm_bindgen_test]
fn simd_int8_scores_are_scale_times_the_portable_level_dot_bit_for_bit() {
    // Integer factors with 127 in every row: the scale is exactly 1 and the levels are the
    // factors, so the expected score is known without the model's internals.
    for k in [5, 16, 64, 70] {
        let mut state = 12345u64 + k as u64;
        let factors = Array2::from_shape_fn((300, k), |(i, j)| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if j == i % k {
                if i % 2 == 0 {
                    127.0
                } else {
                    -127.0
                }
            } else {
                ((state >> 33) % 255) as f32 - 127.0
            }
        });
        let fold_in = AlsParams::new().factors(k).check().unwrap().fold_in();
        let model = Model::new(
            (0..300).map(|i| format!("i{i}")).collect(),
            factors.clone(),
            fold_in,
            vec![1; 300],
            Precision::Int8,
            Provenance::default(),
        )
        .unwrap();
        assert_eq!(model.item_factors(), factors.view());
        let user: Vec<f32> = (0..k).map(|j| (j as f32 * 0.37).sin()).collect();
        let mut scores = Vec::new();
        model.score_into(&user, &mut scores);
        for (i, row) in factors.rows().into_iter().enumerate() {
            let expected = portable_dot(row.as_slice().unwrap(), &user);
            assert_eq!(scores[i].to_bits(), expected.to_bits(), "k {k} item {i}");
        }
    }
}
