//! Row updates: each user's (or item's) factors given the other side's.
//!
//! For a row with observed columns `i` and confidences `c_i`, the normal equations are
//! `(G + sum_i (c_i - 1) y_i y_i^T + lambda I) x = sum_i c_i y_i`, where `G = Y^T Y` covers the
//! unobserved cells at confidence 1 (Hu, Koren and Volinsky 2008, section 4).

use crate::linalg::{add_outer_lower, cholesky_solve, dot, Kernels, Portable};

/// One row's inputs.
pub(crate) struct Row<'a> {
    /// The other side's factors, row-major `n x k`.
    pub other: &'a [f32],
    /// Observed columns.
    pub cols: &'a [u32],
    /// Their confidences `c`.
    pub conf: &'a [f32],
    /// The row's regularization (already scaled).
    pub lambda: f32,
}

impl Row<'_> {
    #[inline(always)]
    fn factor(&self, i: u32, k: usize) -> &[f32] {
        let at = i as usize * k;
        &self.other[at..at + k]
    }
}

/// Scratch vectors reused across rows by one worker.
pub(crate) struct Scratch {
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
    a: Vec<f64>,
    b: Vec<f64>,
}

impl Scratch {
    pub(crate) fn new(k: usize) -> Self {
        Scratch {
            r: vec![0.0; k],
            p: vec![0.0; k],
            ap: vec![0.0; k],
            a: vec![0.0; k * k],
            b: vec![0.0; k],
        }
    }
}

/// `steps` conjugate-gradient steps on the row's normal equations, warm-started from `x`.
/// `gram` is `G` in f32 without regularization.
///
/// Returns the row's loss (see [`row_loss`]) *before* the update: the initial residual needs
/// `G x` and every `y . x`, which is all the loss needs, so training gets it for free.
pub(crate) fn cg(gram: &[f32], row: &Row, x: &mut [f32], steps: usize, s: &mut Scratch) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::is_x86_feature_detected as has;
        if has!("avx512f") && has!("fma") {
            // SAFETY: the CPU has these features, checked just above.
            return unsafe { cg_avx512(gram, row, x, steps, s) };
        }
        if has!("avx2") && has!("fma") {
            // SAFETY: as above.
            return unsafe { cg_avx2(gram, row, x, steps, s) };
        }
    }
    cg_impl::<Portable>(gram, row, x, steps, s)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn cg_avx512(gram: &[f32], row: &Row, x: &mut [f32], steps: usize, s: &mut Scratch) -> f64 {
    cg_impl::<crate::linalg::Avx512>(gram, row, x, steps, s)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn cg_avx2(gram: &[f32], row: &Row, x: &mut [f32], steps: usize, s: &mut Scratch) -> f64 {
    cg_impl::<crate::linalg::Avx2>(gram, row, x, steps, s)
}

#[inline(always)]
fn cg_impl<K: Kernels>(
    gram: &[f32],
    row: &Row,
    x: &mut [f32],
    steps: usize,
    s: &mut Scratch,
) -> f64 {
    let (dot, axpy, matvec) = (K::dot, K::axpy, K::matvec);
    let k = x.len();
    let Scratch { r, p, ap, .. } = s;
    // r = b - A x, and the loss of the current x on the way.
    matvec(gram, x, r);
    let mut loss = dot(r, x) as f64 + row.lambda as f64 * dot(x, x) as f64;
    for (ri, xi) in r.iter_mut().zip(x.iter()) {
        *ri = -*ri - row.lambda * xi;
    }
    for (&i, &c) in row.cols.iter().zip(row.conf) {
        let y = row.factor(i, k);
        let score = dot(y, x);
        loss += c as f64 * (1.0 - score as f64).powi(2) - (score as f64).powi(2);
        axpy(c - (c - 1.0) * score, y, r);
    }
    p.copy_from_slice(r);
    let mut rs_old = dot(r, r);
    if rs_old < 1e-20 {
        return loss;
    }
    for _ in 0..steps {
        // ap = A p
        matvec(gram, p, ap);
        axpy(row.lambda, p, ap);
        for (&i, &c) in row.cols.iter().zip(row.conf) {
            let y = row.factor(i, k);
            axpy((c - 1.0) * dot(y, p), y, ap);
        }
        let step = rs_old / dot(p, ap);
        if !step.is_finite() {
            return loss;
        }
        axpy(step, p, x);
        axpy(-step, ap, r);
        let rs_new = dot(r, r);
        if rs_new < 1e-20 {
            return loss;
        }
        let beta = rs_new / rs_old;
        for (pi, ri) in p.iter_mut().zip(r.iter()) {
            *pi = ri + beta * *pi;
        }
        rs_old = rs_new;
    }
    loss
}

/// The exact solution of the row's normal equations, in f64. `gram` is `G` in f64.
/// Returns `false` if the system is not positive definite.
pub(crate) fn cholesky(gram: &[f64], row: &Row, x: &mut [f32], s: &mut Scratch) -> bool {
    if row.cols.is_empty() {
        // The right-hand side is zero, so x = 0; with `ByCount` scaling the matrix is `G` alone,
        // which is singular when the other side has fewer rows than factors.
        x.fill(0.0);
        return true;
    }
    let k = x.len();
    normal_equations(gram, row, k, &mut s.a, &mut s.b);
    if !cholesky_solve(&mut s.a, &mut s.b, k) {
        return false;
    }
    for (xi, bi) in x.iter_mut().zip(&s.b) {
        *xi = *bi as f32;
    }
    true
}

/// Fills the lower triangle of `a` and `b` with the row's normal equations.
pub(crate) fn normal_equations(gram: &[f64], row: &Row, k: usize, a: &mut [f64], b: &mut [f64]) {
    a.copy_from_slice(gram);
    for d in 0..k {
        a[d * k + d] += row.lambda as f64;
    }
    b.iter_mut().for_each(|v| *v = 0.0);
    for (&i, &c) in row.cols.iter().zip(row.conf) {
        let y = row.factor(i, k);
        add_outer_lower(a, y, c as f64 - 1.0);
        for (bj, yj) in b.iter_mut().zip(y) {
            *bj += c as f64 * *yj as f64;
        }
    }
}

/// This row's share of the training loss: `sum_i c_ui (p_ui - x.y_i)^2` over every column (the
/// unobserved ones through `x^T G x`) plus `lambda |x|^2`.
pub(crate) fn row_loss(gram: &[f32], row: &Row, x: &[f32], s: &mut Scratch) -> f64 {
    let k = x.len();
    Portable::matvec(gram, x, &mut s.r);
    let mut loss = dot(&s.r, x) as f64;
    for (&i, &c) in row.cols.iter().zip(row.conf) {
        let score = dot(row.factor(i, k), x) as f64;
        loss += c as f64 * (1.0 - score) * (1.0 - score) - score * score;
    }
    loss + row.lambda as f64 * dot(x, x) as f64
}
