//! Helpers shared by the integration tests: a seeded generator, synthetic data sets, and the slow,
//! obviously-correct dense reference every fast solver is checked against.
#![allow(dead_code)] // each test file uses a different subset

use ndarray::{Array2, ArrayView2};
use tastebud_core::{
    Confidence, CsrMatrix, FoldInParams, Model, Precision, Provenance, RegularizationScaling,
};

/// A tiny seeded generator (SplitMix64), independent of the library's own.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `[-1, 1)`.
    pub fn signed(&mut self) -> f32 {
        (self.unit() * 2.0 - 1.0) as f32
    }
}

/// `users x items` preferences in `clusters` groups: users of group `g` like items of group `g`
/// with probability `p_in` and any other item with probability `p_out`; `r` is 1, 2 or 3.
pub fn clustered(
    users: usize,
    items: usize,
    clusters: usize,
    p_in: f64,
    p_out: f64,
    seed: u64,
) -> CsrMatrix {
    let mut rng = Rng::new(seed);
    let mut cells = Vec::new();
    for u in 0..users {
        for i in 0..items {
            let p = if u % clusters == i % clusters {
                p_in
            } else {
                p_out
            };
            if rng.unit() < p {
                cells.push((u as u32, i as u32, 1.0 + rng.below(3) as f32));
            }
        }
    }
    CsrMatrix::from_triplets(users, items, &cells)
}

/// Frequency scaling as `tune` uses it (and one with another exponent).
pub const FREQUENCY: RegularizationScaling = RegularizationScaling::Frequency {
    exponent: 0.5,
    unobserved_weight: 0.1,
};

/// Every combination of confidence convention and regularization scaling.
pub fn conventions() -> [(Confidence, RegularizationScaling); 6] {
    [
        (Confidence::AlphaTimes, RegularizationScaling::Constant),
        (Confidence::OnePlus, RegularizationScaling::Constant),
        (Confidence::AlphaTimes, RegularizationScaling::ByCount),
        (Confidence::OnePlus, RegularizationScaling::ByCount),
        (Confidence::OnePlus, FREQUENCY),
        (
            Confidence::AlphaTimes,
            RegularizationScaling::Frequency {
                exponent: 1.0,
                unobserved_weight: 0.3,
            },
        ),
    ]
}

/// Random `n x k` factors in `[-scale, scale)`.
pub fn random_factors(n: usize, k: usize, scale: f32, seed: u64) -> Array2<f32> {
    let mut rng = Rng::new(seed);
    Array2::from_shape_fn((n, k), |_| rng.signed() * scale)
}

/// An f32 model over the given factors with ids `item-0`, `item-1`, ...
pub fn model_of(factors: Array2<f32>, fold_in: FoldInParams, precision: Precision) -> Model {
    let n = factors.nrows();
    let ids = (0..n).map(|i| format!("item-{i}")).collect();
    let popularity = (0..n as u32).map(|i| (i * 7919) % 101).collect();
    Model::new(
        ids,
        factors,
        fold_in,
        popularity,
        precision,
        Provenance::default(),
    )
    .expect("a valid model")
}

/// The dense normal equations of one row, built over *every* column of the other side in f64:
/// `A = sum_i c_i y_i y_i^T + lambda I` and `b = sum_i c_i p_i y_i`, where an observed column has
/// `p_i = 1` and `c_i` from the convention, and an unobserved one `p_i = 0` and `c_i = 1`.
/// `history` is `(column, r)` with distinct columns and `r > 0`.
pub fn dense_system(
    other: ArrayView2<f32>,
    history: &[(u32, f32)],
    params: &FoldInParams,
) -> (Vec<f64>, Vec<f64>) {
    let (n, k) = other.dim();
    let mut c = vec![1.0f64; n];
    let mut p = vec![0.0f64; n];
    for &(i, r) in history {
        let r = r as f64;
        let alpha = params.alpha as f64;
        c[i as usize] = match params.confidence {
            Confidence::AlphaTimes => alpha * r,
            Confidence::OnePlus => 1.0 + alpha * r,
        };
        p[i as usize] = 1.0;
    }
    let lambda = match params.regularization_scaling {
        RegularizationScaling::Constant => params.regularization as f64,
        RegularizationScaling::ByCount => params.regularization as f64 * history.len() as f64,
        // Rendle et al. 2022: lambda * (n + alpha0 * |I|)^nu, |I| the other side's rows.
        RegularizationScaling::Frequency {
            exponent,
            unobserved_weight,
        } => {
            params.regularization as f64
                * (history.len() as f64 + unobserved_weight as f64 * n as f64).powf(exponent as f64)
        }
    };
    let mut a = vec![0.0f64; k * k];
    let mut b = vec![0.0f64; k];
    for i in 0..n {
        let y = other.row(i);
        for r in 0..k {
            for s in 0..k {
                a[r * k + s] += c[i] * y[r] as f64 * y[s] as f64;
            }
            b[r] += c[i] * p[i] * y[r] as f64;
        }
    }
    for d in 0..k {
        a[d * k + d] += lambda;
    }
    (a, b)
}

/// Solves the dense `k x k` system by Gaussian elimination with partial pivoting.
pub fn gauss(mut a: Vec<f64>, mut b: Vec<f64>) -> Vec<f64> {
    let k = b.len();
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&x, &y| a[x * k + col].abs().total_cmp(&a[y * k + col].abs()))
            .unwrap();
        assert!(a[pivot * k + col] != 0.0, "singular reference system");
        for j in 0..k {
            a.swap(col * k + j, pivot * k + j);
        }
        b.swap(col, pivot);
        for row in col + 1..k {
            let f = a[row * k + col] / a[col * k + col];
            for j in col..k {
                a[row * k + j] -= f * a[col * k + j];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0f64; k];
    for row in (0..k).rev() {
        let s: f64 = (row + 1..k).map(|j| a[row * k + j] * x[j]).sum();
        x[row] = (b[row] - s) / a[row * k + row];
    }
    x
}

/// The reference solution of a row's normal equations.
pub fn reference_solve(
    other: ArrayView2<f32>,
    history: &[(u32, f32)],
    params: &FoldInParams,
) -> Vec<f64> {
    let (a, b) = dense_system(other, history, params);
    gauss(a, b)
}

/// `|x - reference| / |reference|` (Euclidean norms).
pub fn relative_error(x: &[f32], reference: &[f64]) -> f64 {
    assert_eq!(x.len(), reference.len());
    let diff: f64 = x
        .iter()
        .zip(reference)
        .map(|(a, b)| (*a as f64 - b).powi(2))
        .sum();
    let norm: f64 = reference.iter().map(|b| b * b).sum();
    (diff / norm).sqrt()
}

/// `|A x - b| / |b|` for a dense system.
pub fn relative_residual(a: &[f64], b: &[f64], x: &[f32]) -> f64 {
    let k = b.len();
    let mut diff = 0.0;
    for r in 0..k {
        let ax: f64 = (0..k).map(|s| a[r * k + s] * x[s] as f64).sum();
        diff += (ax - b[r]).powi(2);
    }
    let norm: f64 = b.iter().map(|v| v * v).sum();
    (diff / norm).sqrt()
}
