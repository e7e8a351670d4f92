//! Factor storage at reduced precision.

use half::f16;
use serde::{Deserialize, Serialize};

/// How item factors are stored in a model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 4 bytes per factor, exact.
    F32,
    /// IEEE half precision, 2 bytes per factor: relative error at most 2^-11 in f16's normal
    /// range (`|v| >= 2^-14`), absolute error at most 2^-25 below it (f16 subnormals).
    F16,
    /// Symmetric int8 with one f32 scale per item (`max |y| / 127`), 1 byte per factor plus 4
    /// per item: absolute error at most half the item's scale.
    Int8,
}

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
                let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
                let scale = max / 127.0;
                scales.push(scale);
                for &v in row {
                    let q = if scale > 0.0 {
                        (v / scale).round().clamp(-127.0, 127.0) as i8
                    } else {
                        0
                    };
                    values.push(q);
                    deq.push(q as f32 * scale);
                }
            }
            Ok((Stored::Int8 { scales, values }, deq))
        }
    }
}

/// The f32 factors of a stored f16 matrix.
pub(crate) fn from_f16(bits: &[u16]) -> Vec<f32> {
    bits.iter().map(|&b| f16::from_bits(b).to_f32()).collect()
}

/// The f32 factors of a stored int8 matrix.
pub(crate) fn from_int8(scales: &[f32], values: &[i8], k: usize) -> Vec<f32> {
    values
        .chunks_exact(k)
        .zip(scales)
        .flat_map(|(row, &s)| row.iter().map(move |&q| q as f32 * s))
        .collect()
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

    #[test]
    fn f16_rejects_overflow() {
        assert!(quantize(&[1e6], 1, Precision::F16).is_err());
        let (_, deq) = quantize(&[0.1], 1, Precision::F16).unwrap();
        assert!((deq[0] - 0.1).abs() < 0.1 / 2048.0);
    }
}
