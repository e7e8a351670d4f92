//! Factor storage at reduced precision.

use half::f16;
use serde::Serialize;

/// How item factors are stored in a model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 4 bytes per factor, exact.
    F32,
    /// IEEE half precision, 2 bytes per factor: relative error at most 2^-11 in f16's normal
    /// range (`|v| >= 2^-14`), absolute error at most 2^-25 below it (f16 subnormals).
    F16,
    /// Symmetric int8 with one f16 scale per item (the smallest f16 at least `max |y| / 127`),
    /// 1 byte per factor plus 2 per item: absolute error at most half the item's scale.
    Int8,
}

deserialize_by_name!(
    Precision,
    |name| [Precision::F32, Precision::F16, Precision::Int8]
        .into_iter()
        .find(|p| p.name() == name),
    &["f32", "f16", "int8"]
);

impl Precision {
    /// The name used on the command line and in model headers.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
            Precision::Int8 => "int8",
        }
    }
}

/// Factors as stored: what a model file holds, from which the f32 working copy is derived.
///
/// An int8 model's `scales` are f16 values widened to f32, except in a model read from a
/// version 1 file, whose scales are f32 ([`int8_for_file`] converts them when writing).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stored {
    F32,
    F16(Vec<u16>),
    Int8 { scales: Vec<f32>, values: Vec<i8> },
}

/// Largest finite f16.
const F16_MAX: f32 = 65504.0;

/// Quantizes row-major `n x k` factors, returning the stored form and the dequantized factors
/// the model ranks with (so a model in memory scores exactly as it will after a save and load).
pub(crate) fn quantize(
    factors: &[f32],
    k: usize,
    precision: Precision,
) -> Result<(Stored, Vec<f32>), String> {
    match precision {
        Precision::F32 => Ok((Stored::F32, factors.to_vec())),
        Precision::F16 => {
            if let Some(v) = factors.iter().find(|v| v.abs() > F16_MAX) {
                return Err(format!(
                    "factor {v} is too large for f16; use --precision f32"
                ));
            }
            let bits: Vec<u16> = factors
                .iter()
                .map(|&v| f16::from_f32(v).to_bits())
                .collect();
            let values = bits.iter().map(|&b| f16::from_bits(b).to_f32()).collect();
            Ok((Stored::F16(bits), values))
        }
        Precision::Int8 => {
            let mut scales = Vec::with_capacity(factors.len() / k.max(1));
            let mut values = Vec::with_capacity(factors.len());
            let mut deq = Vec::with_capacity(factors.len());
            for row in factors.chunks_exact(k) {
                let max = max_abs(row);
                let Some(scale) = int8_scale(max) else {
                    return Err(format!(
                        "factor {max} is too large for int8 (its scale would exceed f16's \
                         {F16_MAX}); use --precision f32"
                    ));
                };
                let scale = scale.to_f32();
                scales.push(scale);
                for &v in row {
                    let q = level(v, scale);
                    values.push(q);
                    deq.push(q as f32 * scale);
                }
            }
            Ok((Stored::Int8 { scales, values }, deq))
        }
    }
}

/// The largest magnitude in a row of factors.
fn max_abs(row: &[f32]) -> f32 {
    row.iter().fold(0f32, |m, v| m.max(v.abs()))
}

/// The int8 scale of an item whose largest magnitude is `max`: the smallest f16 at least
/// `max / 127` (an f32 division), so that every level `round(y / scale)` lies in `-127..=127`.
/// `None` if that is beyond f16's largest finite value, 65504.
pub(crate) fn int8_scale(max: f32) -> Option<f16> {
    let target = max / 127.0;
    if !(0.0..=F16_MAX).contains(&target) {
        return None;
    }
    let nearest = f16::from_f32(target);
    // Below the target only when rounded down; for a non-negative f16 the next value up is the
    // next bit pattern (and it exists, since the target is at most the largest finite f16).
    Some(if nearest.to_f32() < target {
        f16::from_bits(nearest.to_bits() + 1)
    } else {
        nearest
    })
}

/// The int8 level of `v` at `scale`: `round(v / scale)`, halves away from zero, clamped to
/// `-127..=127`; 0 for a zero scale.
fn level(v: f32, scale: f32) -> i8 {
    if scale > 0.0 {
        (v / scale).round().clamp(-127.0, 127.0) as i8
    } else {
        0
    }
}

/// The f16 a scale is, if it is one a version 2 file can hold as is: a non-negative f16 value
/// (negative zero excluded).
fn exact_f16_scale(scale: f32) -> Option<f16> {
    let h = f16::from_f32(scale);
    (scale.is_sign_positive() && h.to_f32() == scale).then_some(h)
}

/// Checks that an int8 model read from a version 1 file, with f32 `scales` and its `levels`, can
/// be written as version 2: every item whose scale is not an f16 value can be quantized again
/// (see [`int8_for_file`]). On failure, the index of the first item that cannot.
pub(crate) fn int8_fits_f16_scales(scales: &[f32], levels: &[i8], k: usize) -> Result<(), usize> {
    let mut row = vec![0f32; k];
    match scales
        .iter()
        .zip(levels.chunks_exact(k))
        .position(|(&s, q)| {
            widen_int8(q, s, &mut row);
            exact_f16_scale(s).is_none() && int8_scale(max_abs(&row)).is_none()
        }) {
        Some(i) => Err(i),
        None => Ok(()),
    }
}

/// An int8 model as a version 2 file stores it: the f16 bits of the scales and the levels, with
/// the dequantized factors when they differ from the model's.
pub(crate) struct Int8File {
    /// One f16 scale per item, as bits.
    pub scales: Vec<u16>,
    /// `n x k` levels, row-major.
    pub levels: Vec<i8>,
    /// The factors the file holds, if some item was quantized again (its `Y^T Y` changes too).
    pub requantized: Option<Vec<f32>>,
}

/// Converts an int8 model's storage to version 2's f16 scales. A model built by [`quantize`] or
/// read from a version 2 file already has f16 scales and is written unchanged. A model read from
/// a version 1 file has f32 scales: each item whose scale is not an f16 value (or is -0) is
/// quantized again from its dequantized factors (levels times scale), as [`quantize`] would.
///
/// # Panics
/// If such an item's scale does not fit f16, which the reader refuses beforehand
/// ([`int8_fits_f16_scales`]).
pub(crate) fn int8_for_file(scales: &[f32], levels: &[i8], k: usize) -> Int8File {
    let mut file = Int8File {
        scales: Vec::with_capacity(scales.len()),
        levels: levels.to_vec(),
        requantized: None,
    };
    for (i, &s) in scales.iter().enumerate() {
        if let Some(h) = exact_f16_scale(s) {
            file.scales.push(h.to_bits());
            continue;
        }
        // The item's factors are its levels times its scale, exactly.
        let mut row = vec![0f32; k];
        widen_int8(&levels[i * k..(i + 1) * k], s, &mut row);
        let scale = int8_scale(max_abs(&row)).expect("readers refuse scales beyond f16");
        file.scales.push(scale.to_bits());
        let scale = scale.to_f32();
        let values = file
            .requantized
            .get_or_insert_with(|| from_int8(scales, levels, k));
        for (j, &v) in row.iter().enumerate() {
            let q = level(v, scale);
            file.levels[i * k + j] = q;
            values[i * k + j] = q as f32 * scale;
        }
    }
    file
}

/// The f32 factors of a stored f16 matrix.
pub(crate) fn from_f16(bits: &[u16]) -> Vec<f32> {
    bits.iter().map(|&b| f16::from_bits(b).to_f32()).collect()
}

/// The f32 values of stored f16 int8 scales, or the first that is not finite and `>= 0` (sign
/// bit set, infinite or NaN), as its index and bits.
pub(crate) fn from_f16_scales(bits: &[u16]) -> Result<Vec<f32>, (usize, u16)> {
    // The sign bit or an all-ones exponent (infinity, NaN).
    if let Some(i) = bits
        .iter()
        .position(|&b| b & 0x8000 != 0 || b & 0x7c00 == 0x7c00)
    {
        return Err((i, bits[i]));
    }
    Ok(from_f16(bits))
}

/// The f32 factors of a stored int8 matrix.
pub(crate) fn from_int8(scales: &[f32], values: &[i8], k: usize) -> Vec<f32> {
    let mut out = vec![0f32; values.len()];
    for ((row, &s), out) in values
        .chunks_exact(k)
        .zip(scales)
        .zip(out.chunks_exact_mut(k))
    {
        widen_int8(row, s, out);
    }
    out
}

/// One int8 item's f32 factors, `level * scale` each, written into `out`: the one definition
/// of an int8 value that scoring, fold-in, norms and file conversion all share.
#[inline]
pub(crate) fn widen_int8(levels: &[i8], scale: f32, out: &mut [f32]) {
    for (o, &q) in out.iter_mut().zip(levels) {
        *o = q as f32 * scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_error_is_at_most_half_a_step() {
        let f = [0.5f32, -1.27, 0.003, 1.0, 0.0, 0.0, 0.0, 0.0];
        let (stored, deq) = quantize(&f, 4, Precision::Int8).unwrap();
        let Stored::Int8 { scales, values } = stored else {
            unreachable!()
        };
        assert_eq!(scales[1], 0.0);
        assert_eq!(&values[4..], &[0, 0, 0, 0]);
        for (a, b) in f.iter().zip(&deq) {
            assert!((a - b).abs() <= scales[0] / 2.0 + 1e-7);
        }
        assert_eq!(from_int8(&scales, &values, 4), deq);
    }

    /// The scale is the smallest f16 at least `max |y| / 127`, found here by searching every
    /// non-negative finite f16 (their bit patterns are ordered as their values).
    #[test]
    fn int8_scales_are_the_smallest_f16_at_least_max_over_127() {
        let smallest_at_least = |target: f32| {
            let bits: Vec<u16> = (0..0x7c00).collect();
            bits[bits.partition_point(|&b| f16::from_bits(b).to_f32() < target)]
        };
        for max in [
            1.0f32,
            0.5,
            1.27,
            127.0,
            1e-3,
            1e-6,
            1e-30,
            3.0e5,
            8.3e6,
            65504.0 * 127.0,
        ] {
            let scale = int8_scale(max).unwrap();
            assert_eq!(scale.to_bits(), smallest_at_least(max / 127.0), "{max}");
            let (stored, deq) = quantize(&[max, -max / 3.0], 2, Precision::Int8).unwrap();
            let Stored::Int8 { scales, values } = stored else {
                unreachable!()
            };
            assert_eq!(scales, [scale.to_f32()]);
            assert!(values[0] != -128, "{max}: {values:?}");
            if max / 127.0 >= 2f32.powi(-14) {
                // f16's normal range: the scale is within 2^-10 of max / 127.
                assert!(values[0] >= 126, "{max}: {values:?}");
            }
            assert_eq!(deq[0], values[0] as f32 * scales[0]);
        }
        assert_eq!(int8_scale(0.0), Some(f16::ZERO));
        // The smallest f16 subnormal for anything positive but tiny.
        assert_eq!(int8_scale(1e-30).unwrap().to_bits(), 1);
    }

    #[test]
    fn int8_refuses_scales_beyond_f16() {
        let e = quantize(&[0.5, 1e7], 2, Precision::Int8).unwrap_err();
        assert_eq!(
            e,
            "factor 10000000 is too large for int8 (its scale would exceed f16's 65504); use \
             --precision f32"
        );
        assert!(quantize(&[65504.0 * 127.0], 1, Precision::Int8).is_ok());
        assert!(quantize(&[65504.0 * 127.5], 1, Precision::Int8).is_err());
    }

    #[test]
    fn f16_scales_must_be_finite_and_non_negative() {
        assert_eq!(
            from_f16_scales(&[0x0000, 0x2009, 0x7bff, 0x0001]).unwrap(),
            [
                0.0,
                f16::from_bits(0x2009).to_f32(),
                65504.0,
                2f32.powi(-24)
            ]
        );
        for bad in [0x8000u16, 0xbc00, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xffff] {
            assert_eq!(from_f16_scales(&[0x3c00, bad]), Err((1, bad)), "{bad:#x}");
        }
    }

    /// A model read from a version 1 file keeps its f32 scales; writing it quantizes the items
    /// whose scale is not an f16 value again, and leaves the others alone.
    #[test]
    fn version_1_scales_are_converted_when_written() {
        let exact = f16::from_f32(0.5).to_f32();
        let inexact = 1.0f32 / 127.0;
        let scales = [exact, inexact, -0.0, 0.0];
        let levels = [-128i8, 3, 127, -127, 0, 0, 0, 0];
        let factors = from_int8(&scales, &levels, 2);
        let file = int8_for_file(&scales, &levels, 2);
        let s1 = int8_scale(1.0).unwrap();
        assert_eq!(file.scales, [0x3800, s1.to_bits(), 0, 0]);
        assert_eq!(file.levels, [-128, 3, 127, -127, 0, 0, 0, 0]);
        let requantized = file.requantized.unwrap();
        assert_eq!(&requantized[..2], &factors[..2]);
        assert_eq!(requantized[2], 127.0 * s1.to_f32());
        assert_eq!(factors[4].to_bits(), (-0f32).to_bits());
        assert_eq!(requantized[4].to_bits(), 0, "+0, not -0");
        assert_eq!(&requantized[6..], &factors[6..]);
        // Already f16: nothing changes.
        let (stored, _) = quantize(&factors, 2, Precision::Int8).unwrap();
        let Stored::Int8 { scales, values } = stored else {
            unreachable!()
        };
        let file = int8_for_file(&scales, &values, 2);
        assert_eq!(file.levels, values);
        assert!(file.requantized.is_none());
        assert_eq!(int8_fits_f16_scales(&scales, &values, 2), Ok(()));
        // A version 1 scale too large to convert is caught before writing.
        assert_eq!(
            int8_fits_f16_scales(&[1.0, 1e6], &[1, 127, 1, 127], 2),
            Err(1)
        );
    }

    #[test]
    fn f16_rejects_overflow() {
        assert!(quantize(&[1e6], 1, Precision::F16).is_err());
        let (_, deq) = quantize(&[0.1], 1, Precision::F16).unwrap();
        assert!((deq[0] - 0.1).abs() < 0.1 / 2048.0);
    }
}
