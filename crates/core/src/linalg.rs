//! Small dense kernels shared by training, fold-in and scoring.
//!
//! Reductions use a fixed number of independent lanes, so the compiler vectorizes them (SSE,
//! AVX2 or wasm simd128, whichever the function is compiled for) and the result does not depend
//! on how the work is split between threads.

/// Number of independent accumulators in [`dot`]: two AVX registers, four SSE/simd128 ones.
const LANES: usize = 16;

/// `a . b`.
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return simd128::dot(a, b);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    dot_portable(a, b)
}

/// [`dot`] in plain Rust, which the compiler vectorizes as it can.
#[inline(always)]
#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128"),
    allow(dead_code)
)]
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes(a, b, |x| x)
}

/// The portable lane loop behind [`dot`] and [`dot_i8`]: `LANES` independent accumulators, a
/// scalar tail, then a pairwise fixed-order sum, with `widen` turning `a`'s elements into f32.
#[inline(always)]
#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128"),
    allow(dead_code)
)]
fn dot_lanes<T: Copy>(a: &[T], b: &[f32], widen: impl Fn(T) -> f32) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..LANES {
            acc[l] += widen(x[l]) * y[l];
        }
    }
    let mut tail = 0f32;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += widen(*x) * y;
    }
    // Pairwise, fixed-order sum of the lanes.
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            acc[l] += acc[l + width];
        }
        width /= 2;
    }
    acc[0] + tail
}

/// `q . b` for int8 levels `q` (a row of an int8 model before its scale), in [`dot`]'s lane order.
#[inline(always)]
pub(crate) fn dot_i8(q: &[i8], b: &[f32]) -> f32 {
    debug_assert_eq!(q.len(), b.len());
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return simd128::dot_i8(q, b);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    dot_i8_portable(q, b)
}

/// [`dot_i8`] in plain Rust.
#[inline(always)]
#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128"),
    allow(dead_code)
)]
fn dot_i8_portable(q: &[i8], b: &[f32]) -> f32 {
    dot_lanes(q, b, |x| x as f32)
}

/// [`dot`] with explicit wasm SIMD: four `f32x4` accumulators are the portable version's 16
/// lanes, added in the same order, so the browser scores bit for bit as native code does (and
/// as `tests/scoring_simd.rs` checks in Chromium) without depending on the auto-vectorizer.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::{
        f32x4_add, f32x4_convert_i32x4, f32x4_extract_lane, f32x4_mul, f32x4_splat,
        i16x8_extend_high_i8x16, i16x8_extend_low_i8x16, i32x4_extend_high_i16x8,
        i32x4_extend_low_i16x8, v128, v128_load,
    };

    use super::LANES;

    #[inline(always)]
    pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let full = n - n % LANES;
        let mut acc = [f32x4_splat(0.0); 4];
        let mut i = 0;
        while i < full {
            for (j, lane) in acc.iter_mut().enumerate() {
                // SAFETY: i + 4 * j + 4 <= full <= n, within both slices; v128_load reads
                // unaligned memory.
                let (x, y) = unsafe {
                    (
                        v128_load(a.as_ptr().add(i + 4 * j).cast()),
                        v128_load(b.as_ptr().add(i + 4 * j).cast()),
                    )
                };
                *lane = f32x4_add(*lane, f32x4_mul(x, y));
            }
            i += LANES;
        }
        let mut tail = 0f32;
        for (x, y) in a[full..n].iter().zip(&b[full..n]) {
            tail += x * y;
        }
        reduce(acc) + tail
    }

    /// [`super::dot_i8`]: 16 levels a load, widened i8 -> i16 -> i32 -> f32 into the same four
    /// accumulators, so it matches the portable version bit for bit too.
    #[inline(always)]
    pub(super) fn dot_i8(q: &[i8], b: &[f32]) -> f32 {
        let n = q.len().min(b.len());
        let full = n - n % LANES;
        let mut acc = [f32x4_splat(0.0); 4];
        let mut i = 0;
        while i < full {
            // SAFETY: i + 16 <= full <= n, within `q`; v128_load reads unaligned memory.
            let levels = unsafe { v128_load(q.as_ptr().add(i).cast()) };
            let (low, high) = (
                i16x8_extend_low_i8x16(levels),
                i16x8_extend_high_i8x16(levels),
            );
            let x = [
                i32x4_extend_low_i16x8(low),
                i32x4_extend_high_i16x8(low),
                i32x4_extend_low_i16x8(high),
                i32x4_extend_high_i16x8(high),
            ];
            for (j, lane) in acc.iter_mut().enumerate() {
                // SAFETY: i + 4 * j + 4 <= full <= n, within `b`.
                let y = unsafe { v128_load(b.as_ptr().add(i + 4 * j).cast()) };
                *lane = f32x4_add(*lane, f32x4_mul(f32x4_convert_i32x4(x[j]), y));
            }
            i += LANES;
        }
        let mut tail = 0f32;
        for (x, y) in q[full..n].iter().zip(&b[full..n]) {
            tail += *x as f32 * y;
        }
        reduce(acc) + tail
    }

    /// The portable pairwise order: lanes l += l + 8, then l += l + 4, then within a vector.
    #[inline(always)]
    fn reduce(acc: [v128; 4]) -> f32 {
        let h = f32x4_add(f32x4_add(acc[0], acc[2]), f32x4_add(acc[1], acc[3]));
        let lo = f32x4_extract_lane::<0>(h) + f32x4_extract_lane::<2>(h);
        let hi = f32x4_extract_lane::<1>(h) + f32x4_extract_lane::<3>(h);
        lo + hi
    }
}

/// `y += a * x`.
#[inline(always)]
pub(crate) fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// The vector kernels of the training hot loop, so it can be compiled once per instruction set.
pub(crate) trait Kernels {
    /// `a . b`.
    fn dot(a: &[f32], b: &[f32]) -> f32;
    /// `y += a * x`.
    fn axpy(a: f32, x: &[f32], y: &mut [f32]);
    /// `out = m v` for a row-major `k x k` matrix.
    #[inline(always)]
    fn matvec(m: &[f32], v: &[f32], out: &mut [f32]) {
        let k = v.len();
        for (j, o) in out.iter_mut().enumerate() {
            *o = Self::dot(&m[j * k..(j + 1) * k], v);
        }
    }
}

/// Plain Rust the compiler vectorizes for the target (SSE2, or simd128 in the browser).
pub(crate) struct Portable;

impl Kernels for Portable {
    #[inline(always)]
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        dot(a, b)
    }
    #[inline(always)]
    fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
        axpy(a, x, y)
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{Avx2, Avx512};

/// Explicit AVX2+FMA and AVX-512 kernels. Callers must have checked the CPU features and call
/// these only from functions compiled with them enabled.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::Kernels;

    /// AVX2 with fused multiply-add: 8 lanes.
    pub(crate) struct Avx2;
    /// AVX-512F: 16 lanes.
    pub(crate) struct Avx512;

    impl Kernels for Avx2 {
        #[inline(always)]
        fn dot(a: &[f32], b: &[f32]) -> f32 {
            let n = a.len().min(b.len());
            let (pa, pb) = (a.as_ptr(), b.as_ptr());
            let mut i = 0;
            // SAFETY: every load reads 8 floats at i < n - 7 of both slices; the caller
            // guarantees AVX2 and FMA.
            unsafe {
                let mut acc0 = _mm256_setzero_ps();
                let mut acc1 = _mm256_setzero_ps();
                while i + 16 <= n {
                    acc0 = _mm256_fmadd_ps(
                        _mm256_loadu_ps(pa.add(i)),
                        _mm256_loadu_ps(pb.add(i)),
                        acc0,
                    );
                    acc1 = _mm256_fmadd_ps(
                        _mm256_loadu_ps(pa.add(i + 8)),
                        _mm256_loadu_ps(pb.add(i + 8)),
                        acc1,
                    );
                    i += 16;
                }
                if i + 8 <= n {
                    acc0 = _mm256_fmadd_ps(
                        _mm256_loadu_ps(pa.add(i)),
                        _mm256_loadu_ps(pb.add(i)),
                        acc0,
                    );
                    i += 8;
                }
                let acc = _mm256_add_ps(acc0, acc1);
                let half = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
                let quad = _mm_add_ps(half, _mm_movehl_ps(half, half));
                let one = _mm_add_ss(quad, _mm_shuffle_ps(quad, quad, 1));
                let mut s = _mm_cvtss_f32(one);
                while i < n {
                    s += a[i] * b[i];
                    i += 1;
                }
                s
            }
        }

        #[inline(always)]
        fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
            let n = x.len().min(y.len());
            let (px, py) = (x.as_ptr(), y.as_mut_ptr());
            let mut i = 0;
            // SAFETY: as in `dot`.
            unsafe {
                let va = _mm256_set1_ps(a);
                while i + 8 <= n {
                    let v =
                        _mm256_fmadd_ps(va, _mm256_loadu_ps(px.add(i)), _mm256_loadu_ps(py.add(i)));
                    _mm256_storeu_ps(py.add(i), v);
                    i += 8;
                }
            }
            while i < n {
                y[i] += a * x[i];
                i += 1;
            }
        }
    }

    impl Kernels for Avx512 {
        #[inline(always)]
        fn dot(a: &[f32], b: &[f32]) -> f32 {
            let n = a.len().min(b.len());
            let (pa, pb) = (a.as_ptr(), b.as_ptr());
            let mut i = 0;
            // SAFETY: every load reads 16 floats at i < n - 15 of both slices; the caller
            // guarantees AVX-512F.
            unsafe {
                let mut acc0 = _mm512_setzero_ps();
                let mut acc1 = _mm512_setzero_ps();
                while i + 32 <= n {
                    acc0 = _mm512_fmadd_ps(
                        _mm512_loadu_ps(pa.add(i)),
                        _mm512_loadu_ps(pb.add(i)),
                        acc0,
                    );
                    acc1 = _mm512_fmadd_ps(
                        _mm512_loadu_ps(pa.add(i + 16)),
                        _mm512_loadu_ps(pb.add(i + 16)),
                        acc1,
                    );
                    i += 32;
                }
                if i + 16 <= n {
                    acc0 = _mm512_fmadd_ps(
                        _mm512_loadu_ps(pa.add(i)),
                        _mm512_loadu_ps(pb.add(i)),
                        acc0,
                    );
                    i += 16;
                }
                let mut s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
                while i < n {
                    s += a[i] * b[i];
                    i += 1;
                }
                s
            }
        }

        #[inline(always)]
        fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
            let n = x.len().min(y.len());
            let (px, py) = (x.as_ptr(), y.as_mut_ptr());
            let mut i = 0;
            // SAFETY: as in `dot`.
            unsafe {
                let va = _mm512_set1_ps(a);
                while i + 16 <= n {
                    let v =
                        _mm512_fmadd_ps(va, _mm512_loadu_ps(px.add(i)), _mm512_loadu_ps(py.add(i)));
                    _mm512_storeu_ps(py.add(i), v);
                    i += 16;
                }
            }
            while i < n {
                y[i] += a * x[i];
                i += 1;
            }
        }
    }
}

/// Solves `a x = b` in place for a symmetric positive-definite row-major `k x k` matrix whose
/// lower triangle is filled in. On success `b` holds `x` and the lower triangle of `a` holds the
/// Cholesky factor `L` (so [`cholesky_solve_factored`] can reuse it). Returns `false` if `a` is
/// not positive definite.
pub(crate) fn cholesky_solve(a: &mut [f64], b: &mut [f64], k: usize) -> bool {
    if !cholesky_factor(a, k) {
        return false;
    }
    cholesky_solve_factored(a, b, k);
    true
}

/// In-place Cholesky factorization `a = L L^T` of the lower triangle.
pub(crate) fn cholesky_factor(a: &mut [f64], k: usize) -> bool {
    for j in 0..k {
        let mut d = a[j * k + j];
        for p in 0..j {
            d -= a[j * k + p] * a[j * k + p];
        }
        if !(d > 0.0 && d.is_finite()) {
            return false;
        }
        let d = d.sqrt();
        a[j * k + j] = d;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= a[i * k + p] * a[j * k + p];
            }
            a[i * k + j] = s / d;
        }
    }
    true
}

/// Solves `L L^T x = b` in place given the factor from [`cholesky_factor`].
pub(crate) fn cholesky_solve_factored(l: &[f64], b: &mut [f64], k: usize) {
    for i in 0..k {
        let mut s = b[i];
        for p in 0..i {
            s -= l[i * k + p] * b[p];
        }
        b[i] = s / l[i * k + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for p in i + 1..k {
            s -= l[p * k + i] * b[p];
        }
        b[i] = s / l[i * k + i];
    }
}

/// Adds `w * y y^T` to the lower triangle of the row-major `k x k` matrix `a`.
#[inline(always)]
pub(crate) fn add_outer_lower(a: &mut [f64], y: &[f32], w: f64) {
    let k = y.len();
    for r in 0..k {
        let wr = w * y[r] as f64;
        let row = &mut a[r * k..r * k + r + 1];
        for (c, v) in row.iter_mut().enumerate() {
            *v += wr * y[c] as f64;
        }
    }
}

/// The Gram matrix `Y^T Y` of a row-major `n x k` matrix, accumulated in f64 in fixed-size
/// blocks so memory stays small for big catalogs and the result does not depend on threads.
pub(crate) fn gram_f64(y: &[f32], k: usize) -> Vec<f64> {
    let mut g = vec![0f64; k * k];
    if k == 0 {
        return g;
    }
    for row in y.chunks_exact(k) {
        add_outer_lower(&mut g, row, 1.0);
    }
    mirror_lower(&mut g, k);
    g
}

/// Copies the lower triangle into the upper one.
pub(crate) fn mirror_lower(a: &mut [f64], k: usize) {
    for r in 0..k {
        for c in r + 1..k {
            a[r * k + c] = a[c * k + r];
        }
    }
}

/// A small deterministic PRNG (SplitMix64): identical streams on every platform, so a seed
/// means the same model natively and in the browser.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Approximately standard normal: the sum of 12 uniforms less 6 (Irwin-Hall), which has mean
    /// 0 and variance 1 and, being plain arithmetic, the same value on every platform.
    pub(crate) fn next_normal(&mut self) -> f64 {
        (0..12).map(|_| self.next_f64()).sum::<f64>() - 6.0
    }

    /// Uniform in `0..n` (n > 0), without modulo bias worth caring about for n < 2^32.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_naive_for_every_length() {
        let mut rng = SplitMix64::new(1);
        for n in 0..70 {
            let a: Vec<f32> = (0..n).map(|_| rng.next_f64() as f32 - 0.5).collect();
            let b: Vec<f32> = (0..n).map(|_| rng.next_f64() as f32 - 0.5).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            assert!((dot(&a, &b) as f64 - naive).abs() < 1e-5, "n = {n}");
        }
    }

    #[test]
    fn dot_i8_is_dot_over_the_levels_as_f32_bit_for_bit() {
        let mut rng = SplitMix64::new(2);
        for n in 0..70 {
            let q: Vec<i8> = (0..n)
                .map(|_| (rng.below(255) as i32 - 127) as i8)
                .collect();
            let b: Vec<f32> = (0..n).map(|_| rng.next_f64() as f32 - 0.5).collect();
            let wide: Vec<f32> = q.iter().map(|&v| v as f32).collect();
            assert_eq!(
                dot_i8(&q, &b).to_bits(),
                dot(&wide, &b).to_bits(),
                "n = {n}"
            );
        }
    }

    #[test]
    fn cholesky_solves_a_spd_system() {
        // A = M M^T + I is SPD.
        let k = 5;
        let mut rng = SplitMix64::new(7);
        let m: Vec<f64> = (0..k * k).map(|_| rng.next_f64() - 0.5).collect();
        let mut a = vec![0f64; k * k];
        for i in 0..k {
            for j in 0..k {
                a[i * k + j] = (0..k).map(|p| m[i * k + p] * m[j * k + p]).sum::<f64>()
                    + if i == j { 1.0 } else { 0.0 };
            }
        }
        let x: Vec<f64> = (0..k).map(|i| i as f64 - 2.0).collect();
        let mut b: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| a[i * k + j] * x[j]).sum())
            .collect();
        let mut f = a.clone();
        assert!(cholesky_solve(&mut f, &mut b, k));
        for i in 0..k {
            assert!((b[i] - x[i]).abs() < 1e-12);
        }
        let mut not_spd = vec![1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky_solve(&mut not_spd, &mut [1.0, 1.0], 2));
    }

    #[test]
    fn prng_below_stays_in_range() {
        let mut rng = SplitMix64::new(3);
        assert!((0..1000).all(|_| rng.below(7) < 7));
    }
}
