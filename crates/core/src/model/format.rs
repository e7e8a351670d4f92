//! The `.tbm` model file: reading and writing. `docs/model-format.md` is the specification.
//!
//! Reading validates every byte it uses and never trusts a length it has not checked against the
//! file's size, so hostile input gives a [`FormatError`], never a panic or an allocation bigger
//! than the file justifies.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::quantize::{
    from_f16, from_f16_scales, from_int8, int8_fits_f16_scales, int8_for_file, widen_int8,
    Precision, Stored,
};
use super::{index_ids, Model, Provenance};
use crate::als::{Confidence, FoldInParams, RegularizationScaling};
use crate::linalg::gram_f64;
use crate::neighbours::{ItemTable, Neighbours};
use crate::rerank::Calibration;
use crate::transitions::{Transitions, MAX_TRANSITION_DEPTH};

/// The first eight bytes of every model file (PNG-style: catches text-mode and 7-bit transfers).
pub const MAGIC: [u8; 8] = *b"\x89TBM\r\n\x1a\n";
/// The newest format version this build writes and reads. It reads every earlier one too, back
/// to version 1 (`docs/model-format.md`, "Version 1"), and writes the oldest version that can
/// hold a model: version 3 only for a model that uses its fields (frequency-scaled
/// regularization, a discovery calibration), version 2 otherwise, so that engines built before
/// version 3 keep reading models that do not need it. Version 4 adds the item-item model,
/// version 5 files without `Y^T Y` (the shards of a publication), version 6 the transition
/// model.
pub const FORMAT_VERSION: u32 = 6;

/// The largest model file Tastebud reads, 1 GiB (for example 4 million items at 64 `f32`
/// factors, or 16 million at `int8`): the CLI stops reading there, and the storefront and the
/// widget stop a download that grows past it, whatever its `Content-Length` says.
pub const MAX_MODEL_BYTES: u64 = 1 << 30;
/// The version of models that use no version 3 field.
const BASE_VERSION: u32 = 2;
/// The oldest format version this build reads.
const OLDEST_VERSION: u32 = 1;

const PREAMBLE: usize = 16;
const MAX_HEADER: usize = 64 * 1024;
/// The most provenance JSON a model may carry: the rest of the header takes under 300 bytes, so
/// any model [`Model::new`] accepts writes a header [`Model::from_bytes`] reads.
const MAX_PROVENANCE: usize = MAX_HEADER - 1024;
// `Model::new`'s error message spells the limit out.
const _: () = assert!(MAX_PROVENANCE == 64_512);

/// Header room the item-item fields take (about 140 bytes at most), on top of the 1024 bytes
/// [`MAX_PROVENANCE`] leaves for the rest of the header (under 1000 with a calibration).
const NEIGHBOUR_ROOM: usize = 256;

/// Header room the transition fields take (about 160 bytes at most), on top of
/// [`NEIGHBOUR_ROOM`].
const TRANSITION_ROOM: usize = 256;

/// The provenance's length as header JSON, when too long to add an item-item model and still
/// write a header [`Model::from_bytes`] reads.
pub(super) fn provenance_too_long_for_neighbours(provenance: &Provenance) -> Option<usize> {
    let len = serde_json::to_vec(provenance).map_or(usize::MAX, |j| j.len());
    (len > MAX_PROVENANCE - NEIGHBOUR_ROOM).then_some(len)
}

/// The provenance's length as header JSON, when too long to add a transition model beside an
/// item-item model and still write a header [`Model::from_bytes`] reads.
pub(super) fn provenance_too_long_for_transitions(provenance: &Provenance) -> Option<usize> {
    let len = serde_json::to_vec(provenance).map_or(usize::MAX, |j| j.len());
    (len > MAX_PROVENANCE - NEIGHBOUR_ROOM - TRANSITION_ROOM).then_some(len)
}

/// The provenance's length as header JSON, when over [`MAX_PROVENANCE`]: the one limit that both
/// `Model::new` and the reader apply, so every model read can be written.
pub(super) fn provenance_too_long(provenance: &Provenance) -> Option<usize> {
    let len = serde_json::to_vec(provenance).map_or(usize::MAX, |j| j.len());
    (len > MAX_PROVENANCE).then_some(len)
}
const MAX_FACTORS: u64 = 1024;
const MAX_ITEMS: u64 = 1 << 31;
/// The most bytes a minimal LEB128 varint of an id length (at most 65535) takes.
const MAX_ID_LENGTH_BYTES: u64 = 3;
/// The most bytes a minimal LEB128 varint of a popularity count (a `u32`) takes.
const MAX_COUNT_BYTES: u64 = 5;

/// Why a model file could not be read.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum FormatError {
    /// Shorter than the fixed preamble and checksum.
    #[error(
        "the model file is {0} bytes, too short to be a Tastebud model; check its path or URL"
    )]
    TooShort(usize),
    /// Does not start with [`MAGIC`].
    #[error("this is not a Tastebud model file (no model signature at the start); build one with `tastebud train` or `tastebud import`")]
    BadMagic,
    /// A version this build does not read.
    #[error("the model file is format version {found}, this build reads versions {OLDEST_VERSION} to {FORMAT_VERSION}; update Tastebud or rebuild the model with `tastebud train`")]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
    },
    /// The JSON header is missing, malformed or out of range.
    #[error("the model header is invalid: {0}")]
    Header(String),
    /// The file's length is not what its header describes (for a file cut short inside its
    /// header, `expected` is the least length that could hold it).
    #[error("the model file is {actual} bytes but its header describes {expected}; it is truncated or corrupt, so download or build it again")]
    Size {
        /// Bytes the header implies.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// The CRC-32 does not match the contents.
    #[error("the model file is corrupt (checksum mismatch); download or build it again")]
    Checksum,
    /// A section's contents are invalid.
    #[error("the model file's {0}")]
    Section(String),
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    items: u64,
    factors: u64,
    precision: Precision,
    regularization: f32,
    alpha: f32,
    confidence: Confidence,
    regularization_scaling: ScalingName,
    /// Version 3 on, with frequency scaling only: `nu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    regularization_exponent: Option<f32>,
    /// Version 3 on, with frequency scaling only: `alpha0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unobserved_weight: Option<f32>,
    ids_bytes: u64,
    /// Version 2 on; absent from version 1 headers, whose popularity counts are `4 * items`
    /// bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    popularity_bytes: Option<u64>,
    #[serde(default)]
    provenance: Provenance,
    /// Version 3 on, and optional there: [`Calibration::to_flat`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discovery: Option<Vec<f32>>,
    /// Version 4 on, with an item-item model only: its entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    neighbours: Option<u64>,
    /// Version 4 on, with an item-item model only: the bytes of its index (varints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    neighbour_index_bytes: Option<u64>,
    /// Version 4 on, with an item-item model only: its blend weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    neighbour_weight: Option<f32>,
    /// Version 4 on, with an item-item model only: EASE's `lambda`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    neighbour_regularization: Option<f32>,
    /// Version 5 only, and always `true` there: the file holds no `Y^T Y` (a published shard,
    /// folded in against its publication's centroid file); a reader computes it from the
    /// factors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gram_elsewhere: Option<bool>,
    /// Version 6 only, and required there: the transition model's entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transitions: Option<u64>,
    /// Version 6 only: the bytes of the transition model's index (varints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transition_index_bytes: Option<u64>,
    /// Version 6 only: the transition model's blend weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transition_weight: Option<f32>,
    /// Version 6 only: how much each older latest item counts, in `(0, 1]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transition_decay: Option<f32>,
    /// Version 6 only: how many latest items are read, 1 to 16.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transition_depth: Option<u64>,
}

/// `regularization_scaling` as the header spells it; frequency scaling's numbers are fields of
/// their own (flat fields keep the browser's header reader small).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum ScalingName {
    Constant,
    ByCount,
    Frequency,
}

deserialize_by_name!(
    ScalingName,
    |name| match name {
        "constant" => Some(ScalingName::Constant),
        "by-count" => Some(ScalingName::ByCount),
        "frequency" => Some(ScalingName::Frequency),
        _ => None,
    },
    &["constant", "by-count", "frequency"]
);

/// The header's spelling of a scaling: its name, `nu` and `alpha0`.
fn scaling_fields(s: RegularizationScaling) -> (ScalingName, Option<f32>, Option<f32>) {
    match s {
        RegularizationScaling::Constant => (ScalingName::Constant, None, None),
        RegularizationScaling::ByCount => (ScalingName::ByCount, None, None),
        RegularizationScaling::Frequency {
            exponent,
            unobserved_weight,
        } => (
            ScalingName::Frequency,
            Some(exponent),
            Some(unobserved_weight),
        ),
    }
}

impl Header {
    /// Whether the header uses a field that version 3 introduced.
    fn needs_version_3(&self) -> bool {
        self.discovery.is_some()
            || self.regularization_scaling == ScalingName::Frequency
            || self.regularization_exponent.is_some()
            || self.unobserved_weight.is_some()
    }

    /// Whether the header uses a field that version 4 introduced.
    fn needs_version_4(&self) -> bool {
        self.neighbours.is_some()
            || self.neighbour_index_bytes.is_some()
            || self.neighbour_weight.is_some()
            || self.neighbour_regularization.is_some()
    }

    /// Whether the header uses a field that version 6 introduced.
    fn needs_version_6(&self) -> bool {
        self.transitions.is_some()
            || self.transition_index_bytes.is_some()
            || self.transition_weight.is_some()
            || self.transition_decay.is_some()
            || self.transition_depth.is_some()
    }

    /// The oldest version that holds every field the header uses: what a writer writes.
    fn version(&self) -> u32 {
        if self.needs_version_6() {
            6
        } else if self.gram_elsewhere.is_some() {
            5
        } else if self.needs_version_4() {
            4
        } else if self.needs_version_3() {
            3
        } else {
            BASE_VERSION
        }
    }

    /// The scaling the fields describe: frequency scaling has both numbers, the others neither.
    fn scaling(&self) -> Result<RegularizationScaling, FormatError> {
        match (
            self.regularization_scaling,
            self.regularization_exponent,
            self.unobserved_weight,
        ) {
            (ScalingName::Constant, None, None) => Ok(RegularizationScaling::Constant),
            (ScalingName::ByCount, None, None) => Ok(RegularizationScaling::ByCount),
            (ScalingName::Frequency, Some(exponent), Some(unobserved_weight)) => {
                Ok(RegularizationScaling::Frequency {
                    exponent,
                    unobserved_weight,
                })
            }
            (ScalingName::Frequency, _, _) => Err(FormatError::Header(
                "frequency scaling needs regularization_exponent and unobserved_weight".into(),
            )),
            _ => Err(FormatError::Header(
                "regularization_exponent and unobserved_weight belong to frequency scaling only"
                    .into(),
            )),
        }
    }
}

fn pad8(x: u64) -> u64 {
    (x + 7) & !7
}

/// Byte ranges of the sections, derived from the header alone.
struct Layout {
    ids: (u64, u64),
    scales: (u64, u64),
    factors: (u64, u64),
    gram: (u64, u64),
    popularity: (u64, u64),
    neighbour_index: (u64, u64),
    neighbour_weights: (u64, u64),
    transition_index: (u64, u64),
    transition_weights: (u64, u64),
    checksum: u64,
}

impl Layout {
    /// The layout of a file of `version` (1 or 2) whose header passed [`check_header`].
    fn of(h: &Header, header_len: u64, version: u32) -> Layout {
        // Every product is bounded by MAX_ITEMS * MAX_FACTORS * 8 < 2^45, and `ids_bytes` by
        // MAX_ITEMS * 65538 < 2^48: no overflow in u64.
        let (n, k) = (h.items, h.factors);
        // Version 1 stores f32 scales and u32 counts; version 2 f16 scales and varint counts.
        let scale_bytes = if version == 1 { 4 } else { 2 };
        let popularity_bytes = h.popularity_bytes.unwrap_or(n * 4);
        let mut at = pad8(PREAMBLE as u64 + header_len);
        let mut take = |len: u64, align: bool| {
            let range = (at, at + len);
            at += len;
            if align {
                at = pad8(at);
            }
            range
        };
        let ids = take(h.ids_bytes, true);
        let (scales, factors) = match h.precision {
            Precision::F32 => ((0, 0), take(n * k * 4, true)),
            Precision::F16 => ((0, 0), take(n * k * 2, true)),
            Precision::Int8 => (take(n * scale_bytes, false), take(n * k, true)),
        };
        let gram = take(
            if h.gram_elsewhere.is_some() {
                0
            } else {
                k * k * 8
            },
            false,
        );
        let popularity = take(popularity_bytes, true);
        // Bounded by `check_header`: entries below 2^32, index bytes below 5 * (2^31 + 2^32).
        let neighbour_index = take(h.neighbour_index_bytes.unwrap_or(0), true);
        let neighbour_weights = take(h.neighbours.unwrap_or(0) * 2, true);
        let transition_index = take(h.transition_index_bytes.unwrap_or(0), true);
        let transition_weights = take(h.transitions.unwrap_or(0) * 2, true);
        Layout {
            ids,
            scales,
            factors,
            gram,
            popularity,
            neighbour_index,
            neighbour_weights,
            transition_index,
            transition_weights,
            checksum: at,
        }
    }

    fn total(&self) -> u64 {
        self.checksum + 4
    }
}

fn slice(bytes: &[u8], (a, b): (u64, u64)) -> &[u8] {
    // Ranges come from a layout whose total was checked against `bytes.len()`.
    &bytes[a as usize..b as usize]
}

impl Model {
    /// Reads a model file of any version from 1 to [`FORMAT_VERSION`], validating everything.
    ///
    /// An int8 model read from a version 1 file keeps that file's f32 scales, so it scores exactly
    /// as the file says. [`to_bytes`](Self::to_bytes) writes it as the current version, whose
    /// scales are f16: items whose scale is not an f16 value are quantized again from their
    /// factors, within half a step.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, FormatError> {
        if bytes.len() < PREAMBLE + 4 {
            return Err(FormatError::TooShort(bytes.len()));
        }
        if bytes[..8] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if !(OLDEST_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(FormatError::UnsupportedVersion { found: version });
        }
        let header_len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
        if header_len > MAX_HEADER {
            return Err(FormatError::Header(format!(
                "its length {header_len} exceeds the {MAX_HEADER}-byte limit"
            )));
        }
        if PREAMBLE + header_len + 4 > bytes.len() {
            // The header alone runs past the end: the file was cut short.
            return Err(FormatError::Size {
                expected: (PREAMBLE + header_len + 4) as u64,
                actual: bytes.len() as u64,
            });
        }
        let header: Header = serde_json::from_slice(&bytes[PREAMBLE..PREAMBLE + header_len])
            .map_err(|e| FormatError::Header(e.to_string()))?;
        check_header(&header, version)?;
        // One encoding per model: what this build would write, byte for byte, so that reading and
        // writing a file gives it back unchanged (and unknown fields are not silently dropped).
        #[cfg(feature = "canonical-header")]
        let canonical =
            serde_json::to_vec(&header).map_err(|e| FormatError::Header(e.to_string()))?;
        #[cfg(feature = "canonical-header")]
        if canonical != bytes[PREAMBLE..PREAMBLE + header_len] {
            return Err(FormatError::Header(
                "it is not in the canonical form (compact JSON, the specified fields in order, \
                 shortest numbers); rebuild the model with `tastebud train` or `tastebud import`"
                    .into(),
            ));
        }
        let layout = Layout::of(&header, header_len as u64, version);
        if layout.total() != bytes.len() as u64 {
            return Err(FormatError::Size {
                expected: layout.total(),
                actual: bytes.len() as u64,
            });
        }
        let body = &bytes[..layout.checksum as usize];
        let stored_crc = u32::from_le_bytes(
            bytes[layout.checksum as usize..]
                .try_into()
                .expect("4 bytes"),
        );
        if crc32(body) != stored_crc {
            return Err(FormatError::Checksum);
        }
        check_padding(bytes, (PREAMBLE + header_len) as u64, &layout)?;

        let (n, k) = (header.items as usize, header.factors as usize);
        let item_ids = read_ids(slice(bytes, layout.ids), n, version)?;
        let index =
            index_ids(&item_ids).map_err(|e| FormatError::Section(format!("item ids: {e}")))?;
        let raw = slice(bytes, layout.factors);
        let (stored, values) = match header.precision {
            Precision::F32 => (Stored::F32, le_f32s(raw)),
            Precision::F16 => {
                let bits: Vec<u16> = raw
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let values = from_f16(&bits);
                (Stored::F16(bits), values)
            }
            Precision::Int8 => {
                let raw_scales = slice(bytes, layout.scales);
                let scales = if version == 1 {
                    let scales = le_f32s(raw_scales);
                    if let Some(s) = scales.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
                        return Err(FormatError::Section(format!(
                            "int8 scales include {s}; scales must be finite and >= 0"
                        )));
                    }
                    scales
                } else {
                    let bits: Vec<u16> = raw_scales
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect();
                    from_f16_scales(&bits).map_err(|(i, b)| {
                        FormatError::Section(format!(
                            "int8 scale of item {i} is the f16 {b:#06x} ({}); scales must be \
                             finite and >= 0, with the sign bit clear",
                            half::f16::from_bits(b)
                        ))
                    })?
                };
                let q: Vec<i8> = raw.iter().map(|&b| b as i8).collect();
                // No f32 copy: the model scores from the levels (see `Model::assemble`).
                (Stored::Int8 { scales, values: q }, Vec::new())
            }
        };
        let non_finite = match &stored {
            // A version 1 scale near f32's limit could overflow once multiplied by a level.
            Stored::Int8 { scales, values: q } => {
                let mut row = vec![0f32; k];
                scales.iter().zip(q.chunks_exact(k)).any(|(&s, q)| {
                    widen_int8(q, s, &mut row);
                    row.iter().any(|v| !v.is_finite())
                })
            }
            _ => values.iter().any(|v| !v.is_finite()),
        };
        if non_finite {
            return Err(FormatError::Section(
                "factors include a non-finite value".into(),
            ));
        }
        // Every model read can be written: a version 1 int8 item is written with an f16 scale.
        if let Stored::Int8 { scales, values: q } = &stored {
            if version == 1 {
                int8_fits_f16_scales(scales, q, k).map_err(|i| {
                    FormatError::Section(format!(
                        "int8 item {i} has factors too large for the f16 scales of format \
                         version {BASE_VERSION}; rebuild the model with `--precision f32`"
                    ))
                })?;
            }
        }
        let gram: Vec<f64> = if header.gram_elsewhere.is_some() {
            match &stored {
                Stored::Int8 { scales, values: q } => gram_f64(&from_int8(scales, q, k), k),
                _ => gram_f64(&values, k),
            }
        } else {
            slice(bytes, layout.gram)
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect()
        };
        if gram.iter().any(|v| !v.is_finite()) || (0..k).any(|d| gram[d * k + d] < 0.0) {
            return Err(FormatError::Section(
                "Y^T Y has a non-finite or negative diagonal entry".into(),
            ));
        }
        let raw = slice(bytes, layout.popularity);
        let popularity: Vec<u32> = if version == 1 {
            raw.chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect()
        } else {
            read_popularity(raw, n)?
        };
        let fold_in = FoldInParams {
            regularization: header.regularization,
            alpha: header.alpha,
            confidence: header.confidence,
            regularization_scaling: header.scaling()?,
        };
        let mut model = Model::assemble(
            fold_in,
            header.precision,
            header.provenance,
            item_ids,
            index,
            stored,
            values,
            k,
            Some(gram),
            popularity,
        );
        model.gram_elsewhere = header.gram_elsewhere.is_some();
        model.calibration = match &header.discovery {
            Some(flat) => {
                Some(Calibration::from_flat(flat).map_err(|e| FormatError::Header(e.to_string()))?)
            }
            None => None,
        };
        if let (Some(entries), Some(weight), Some(regularization)) = (
            header.neighbours,
            header.neighbour_weight,
            header.neighbour_regularization,
        ) {
            let table = read_table(
                slice(bytes, layout.neighbour_index),
                slice(bytes, layout.neighbour_weights),
                n,
                entries as usize,
                "item-item model",
            )?;
            // The header's weight and regularization passed `check_header`.
            model.neighbours = Some(Neighbours::from_checked(table, weight, regularization));
        }
        if let (Some(entries), Some(weight), Some(decay), Some(depth)) = (
            header.transitions,
            header.transition_weight,
            header.transition_decay,
            header.transition_depth,
        ) {
            let table = read_table(
                slice(bytes, layout.transition_index),
                slice(bytes, layout.transition_weights),
                n,
                entries as usize,
                "transition model",
            )?;
            model.transitions = Some(Transitions::from_checked(
                table,
                weight,
                decay,
                depth as u32,
            ));
        }
        Ok(model)
    }

    /// Writes the model in the `.tbm` format, in the oldest version that holds it: 4 with an
    /// item-item model, 3 with another version 3 field, 2 otherwise.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (n, k) = (self.n_items(), self.n_factors());
        let mut ids = Vec::with_capacity(self.item_ids.iter().map(|s| s.len() + 1).sum());
        for id in &self.item_ids {
            // Ids are at most 65535 bytes (`index_ids`).
            put_varint(&mut ids, id.len() as u32);
            ids.extend_from_slice(id.as_bytes());
        }
        let mut pop = Vec::with_capacity(n);
        for &count in &self.popularity {
            put_varint(&mut pop, count);
        }
        let scaling = scaling_fields(self.fold_in.regularization_scaling);
        let (neighbour_index, neighbour_weights) = self
            .neighbours
            .as_ref()
            .map(|nb| table_bytes(nb.table()))
            .unwrap_or_default();
        let (transition_index, transition_weights) = self
            .transitions
            .as_ref()
            .map(|t| table_bytes(t.table()))
            .unwrap_or_default();
        let header = Header {
            items: n as u64,
            factors: k as u64,
            precision: self.precision,
            regularization: self.fold_in.regularization,
            alpha: self.fold_in.alpha,
            confidence: self.fold_in.confidence,
            regularization_scaling: scaling.0,
            regularization_exponent: scaling.1,
            unobserved_weight: scaling.2,
            ids_bytes: ids.len() as u64,
            popularity_bytes: Some(pop.len() as u64),
            provenance: self.provenance.clone(),
            discovery: self.calibration.as_ref().map(Calibration::to_flat),
            neighbours: self.neighbours.as_ref().map(|nb| nb.n_entries() as u64),
            neighbour_index_bytes: self
                .neighbours
                .as_ref()
                .map(|_| neighbour_index.len() as u64),
            neighbour_weight: self.neighbours.as_ref().map(|nb| nb.weight()),
            neighbour_regularization: self.neighbours.as_ref().map(|nb| nb.regularization()),
            gram_elsewhere: self.gram_elsewhere.then_some(true),
            transitions: self
                .transitions
                .as_ref()
                .map(|t| t.table().n_entries() as u64),
            transition_index_bytes: self
                .transitions
                .as_ref()
                .map(|_| transition_index.len() as u64),
            transition_weight: self.transitions.as_ref().map(Transitions::weight),
            transition_decay: self.transitions.as_ref().map(Transitions::decay),
            transition_depth: self.transitions.as_ref().map(|t| u64::from(t.depth())),
        };
        let version = header.version();
        let header_json = serde_json::to_vec(&header).expect("header serializes");
        let layout = Layout::of(&header, header_json.len() as u64, version);
        let mut out = Vec::with_capacity(layout.total() as usize);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(header_json.len() as u32).to_le_bytes());
        out.extend_from_slice(&header_json);
        let put = |out: &mut Vec<u8>, (start, _): (u64, u64), data: &[u8]| {
            out.resize(start as usize, 0);
            out.extend_from_slice(data);
        };
        put(&mut out, layout.ids, &ids);
        // `Y^T Y` of the factors as written: the model's own, unless a version 1 int8 model's
        // items were quantized again for f16 scales.
        let mut requantized_gram = None;
        match &self.stored {
            Stored::F32 => put(&mut out, layout.factors, &f32s_le(self.f32_rows())),
            Stored::F16(bits) => {
                let raw: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
                put(&mut out, layout.factors, &raw);
            }
            Stored::Int8 {
                scales,
                values: levels,
            } => {
                let file = int8_for_file(scales, levels, k);
                let raw: Vec<u8> = file.scales.iter().flat_map(|b| b.to_le_bytes()).collect();
                put(&mut out, layout.scales, &raw);
                let raw: Vec<u8> = file.levels.iter().map(|&q| q as u8).collect();
                put(&mut out, layout.factors, &raw);
                requantized_gram = file.requantized.map(|v| gram_f64(&v, k));
            }
        }
        let gram: Vec<u8> = if self.gram_elsewhere {
            Vec::new()
        } else {
            requantized_gram
                .as_deref()
                .unwrap_or(&self.gram)
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect()
        };
        put(&mut out, layout.gram, &gram);
        put(&mut out, layout.popularity, &pop);
        put(&mut out, layout.neighbour_index, &neighbour_index);
        put(&mut out, layout.neighbour_weights, &neighbour_weights);
        put(&mut out, layout.transition_index, &transition_index);
        put(&mut out, layout.transition_weights, &transition_weights);
        out.resize(layout.checksum as usize, 0);
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// Every byte between the header and the checksum that no section covers must be zero.
fn check_padding(bytes: &[u8], header_end: u64, layout: &Layout) -> Result<(), FormatError> {
    let sections = [
        layout.ids,
        layout.scales,
        layout.factors,
        layout.gram,
        layout.popularity,
        layout.neighbour_index,
        layout.neighbour_weights,
        layout.transition_index,
        layout.transition_weights,
    ];
    let mut at = header_end;
    // Only int8 has scales; the other precisions leave that range empty.
    let gaps = sections
        .into_iter()
        .filter(|&(start, end)| end > start)
        .chain([(layout.checksum, layout.checksum)])
        .map(|(start, end)| (std::mem::replace(&mut at, end), start));
    for (from, to) in gaps {
        if slice(bytes, (from, to)).iter().any(|&b| b != 0) {
            return Err(FormatError::Section(format!(
                "padding at bytes {from}..{to} is not zero; rebuild the model with `tastebud \
                 train` or `tastebud import`"
            )));
        }
    }
    Ok(())
}

/// Whether a sparse part of `entries` entries (1 to `items * (items - 1)`, below 2^32) fits an
/// index of `index_bytes`: each item's count and each entry's gap take 1 to 5 bytes.
fn table_fits(items: u64, entries: Option<u64>, index_bytes: Option<u64>) -> bool {
    let (entries, index_bytes) = (entries.unwrap_or(0), index_bytes.unwrap_or(0));
    (1..=items.saturating_mul(items - 1).min(u32::MAX as u64)).contains(&entries)
        && index_bytes >= items.saturating_add(entries)
        && index_bytes <= items.saturating_add(entries).saturating_mul(5)
}

fn check_header(h: &Header, version: u32) -> Result<(), FormatError> {
    let bad = |m: String| Err(FormatError::Header(m));
    // Present exactly from version 2 on; the canonical check cannot tell, since it re-serializes
    // whichever the header has.
    match (version, h.popularity_bytes) {
        (1, Some(_)) => {
            return bad("popularity_bytes is not a field of a version 1 header".into());
        }
        (2.., None) => return bad("missing field `popularity_bytes`".into()),
        _ => {}
    }
    match (version, h.gram_elsewhere) {
        (5, Some(true)) | (..=4 | 6, None) => {}
        _ => {
            return bad(
                "gram_elsewhere belongs to version 5, and a version 5 header must hold it, true"
                    .into(),
            )
        }
    }
    if (version == 6) != h.needs_version_6() {
        return bad(
            "the transition model's fields belong to version 6, and a version 6 header must \
             hold them"
                .into(),
        );
    }
    // Versions 5 and 6 may hold the item-item fields or not; version 4 must.
    if (version == 4 && !h.needs_version_4()) || (version < 4 && h.needs_version_4()) {
        return bad(
            "the item-item model's fields belong to version 4, and a version 4 header \
             must hold them"
                .into(),
        );
    }
    if version == 3 && !h.needs_version_3() {
        // Writers write such a model as version 2, so reading it back gives other bytes.
        return bad(format!(
            "a version {version} header must use a version 3 field (frequency regularization \
             scaling or the discovery calibration); without one the model is written as version 2"
        ));
    }
    if version < 3 && h.needs_version_3() {
        return bad(format!(
            "frequency regularization scaling and the discovery calibration are version 3 \
             fields, not fields of a version {version} header"
        ));
    }
    if let Some(flat) = &h.discovery {
        Calibration::from_flat(flat).map_err(|e| FormatError::Header(e.to_string()))?;
    }
    // What `Model::new` accepts, so that every model read can be written again (a version 1
    // header near the size limit would not fit once `popularity_bytes` is added).
    if let Some(provenance_len) = provenance_too_long(&h.provenance) {
        return bad(format!(
            "its provenance is {provenance_len} bytes of JSON, over the {MAX_PROVENANCE}-byte limit"
        ));
    }
    if !(1..=MAX_ITEMS).contains(&h.items) {
        return bad(format!("items is {}, expected 1 to {MAX_ITEMS}", h.items));
    }
    if !(1..=MAX_FACTORS).contains(&h.factors) {
        return bad(format!(
            "factors is {}, expected 1 to {MAX_FACTORS}",
            h.factors
        ));
    }
    // Each sparse part's fields: all or none, each in range (a static message: the browser
    // build carries every formatted one). After the `items` check, so `items - 1` and the sums
    // in `table_fits` cannot overflow. The index's exact contents are checked as it is read.
    let neighbours = [
        h.neighbours.is_some(),
        h.neighbour_index_bytes.is_some(),
        h.neighbour_weight.is_some(),
        h.neighbour_regularization.is_some(),
    ];
    if neighbours.contains(&true) {
        let (w, l) = (
            h.neighbour_weight.unwrap_or(0.0),
            h.neighbour_regularization.unwrap_or(0.0),
        );
        if neighbours.contains(&false)
            || !table_fits(h.items, h.neighbours, h.neighbour_index_bytes)
            || !(w > 0.0 && l > 0.0 && (w + l).is_finite())
        {
            return bad(
                "the item-item fields are incomplete or out of range (docs/model-format.md, \
                 version 4)"
                    .into(),
            );
        }
    }
    let transitions = [
        h.transitions.is_some(),
        h.transition_index_bytes.is_some(),
        h.transition_weight.is_some(),
        h.transition_decay.is_some(),
        h.transition_depth.is_some(),
    ];
    if transitions.contains(&true) {
        let (w, decay) = (
            h.transition_weight.unwrap_or(0.0),
            h.transition_decay.unwrap_or(0.0),
        );
        let depths = 1..=u64::from(MAX_TRANSITION_DEPTH);
        let fits = table_fits(h.items, h.transitions, h.transition_index_bytes);
        let settings = w > 0.0 && w.is_finite() && decay > 0.0 && decay <= 1.0;
        if transitions.contains(&false)
            || !fits
            || !settings
            || !depths.contains(&h.transition_depth.unwrap_or(0))
        {
            return bad(
                "the transition fields are incomplete or out of range (docs/model-format.md, \
                 version 6)"
                    .into(),
            );
        }
    }
    // Each id takes its length (2 bytes in version 1, a 1- to 3-byte varint from version 2 on)
    // and 1 to 65535 bytes.
    let (least, most) = if version == 1 {
        (3, 2 + u16::MAX as u64)
    } else {
        (2, MAX_ID_LENGTH_BYTES + u16::MAX as u64)
    };
    if h.ids_bytes < least * h.items || h.ids_bytes > most * h.items {
        return bad(format!(
            "ids_bytes {} cannot hold {} ids",
            h.ids_bytes, h.items
        ));
    }
    // Each count is a 1- to 5-byte varint.
    if let Some(p) = h.popularity_bytes {
        if p < h.items || p > MAX_COUNT_BYTES * h.items {
            return bad(format!(
                "popularity_bytes {p} cannot hold {} counts",
                h.items
            ));
        }
    }
    let fold_in = FoldInParams {
        regularization: h.regularization,
        alpha: h.alpha,
        confidence: h.confidence,
        regularization_scaling: h.scaling()?,
    };
    fold_in
        .validate()
        .map_err(|e| FormatError::Header(e.to_string()))
}

fn read_ids(raw: &[u8], n: usize, version: u32) -> Result<Vec<String>, FormatError> {
    let mut ids = Vec::with_capacity(n);
    let mut at = 0;
    let end = |i| FormatError::Section(format!("item ids end before id {i}"));
    for i in 0..n {
        let len = if version == 1 {
            let len = raw.get(at..at + 2).ok_or_else(|| end(i))?;
            at += 2;
            u16::from_le_bytes([len[0], len[1]]) as usize
        } else {
            read_varint(raw, &mut at, u16::MAX as u32).map_err(|e| match e {
                Varint::End => end(i),
                Varint::NotMinimal => FormatError::Section(format!(
                    "item id {i}'s length is not a minimal LEB128 varint"
                )),
                Varint::TooLarge(len) => {
                    FormatError::Section(format!("item id {i}'s length {len} exceeds 65535"))
                }
            })? as usize
        };
        let Some(text) = raw.get(at..at + len) else {
            return Err(FormatError::Section(format!(
                "item id {i} runs past its section"
            )));
        };
        let id = std::str::from_utf8(text)
            .map_err(|_| FormatError::Section(format!("item id {i} is not UTF-8")))?;
        ids.push(id.to_owned());
        at += len;
    }
    if at != raw.len() {
        return Err(FormatError::Section(format!(
            "item id section has {} bytes left over",
            raw.len() - at
        )));
    }
    Ok(ids)
}

/// Version 2's popularity section: `n` varint counts that use all of `raw`.
/// An item table's index (per item a varint count, then per entry a varint gap) and its
/// weights as f16, as [`read_table`] reads them.
fn table_bytes(table: &ItemTable) -> (Vec<u8>, Vec<u8>) {
    let (offsets, columns, weights) = table.parts();
    let mut index = Vec::new();
    for row in offsets.windows(2) {
        let row = &columns[row[0] as usize..row[1] as usize];
        put_varint(&mut index, row.len() as u32);
        let mut next = 0;
        for &j in row {
            put_varint(&mut index, j - next);
            next = j + 1;
        }
    }
    let weights = weights
        .iter()
        .flat_map(|&w| half::f16::from_f32(w).to_bits().to_le_bytes())
        .collect();
    (index, weights)
}

/// An item table (the item-item or the transition model): per item a varint count, then per
/// entry a varint gap (the entry's item minus the previous entry's item minus 1, or the item
/// itself for a row's first entry); then each entry's weight as f16.
fn read_table(
    index: &[u8],
    raw_weights: &[u8],
    n: usize,
    entries: usize,
    what: &str,
) -> Result<ItemTable, FormatError> {
    // (Static messages: the browser build carries every formatted one.)
    let bad = |m: &str| FormatError::Section(format!("{what} {m}"));
    let max = (n - 1) as u32;
    let mut offsets = Vec::with_capacity(n + 1);
    let mut columns = Vec::with_capacity(entries);
    let mut at = 0;
    offsets.push(0u32);
    let varint = "index: a count or gap is cut, not minimal or too large";
    for h in 0..n {
        let count = read_varint(index, &mut at, max).map_err(|_| bad(varint))?;
        if columns.len() + count as usize > entries {
            return Err(bad("index holds more than its entries"));
        }
        let mut next = 0u64;
        for _ in 0..count {
            let gap = read_varint(index, &mut at, max).map_err(|_| bad(varint))?;
            let j = next + u64::from(gap);
            if j > u64::from(max) || j == h as u64 {
                return Err(bad("index: an item's neighbour is out of range or itself"));
            }
            columns.push(j as u32);
            next = j + 1;
        }
        offsets.push(columns.len() as u32);
    }
    if columns.len() != entries || at != index.len() {
        return Err(bad(
            "index holds other entries in other bytes than the header says",
        ));
    }
    let mut weights = Vec::with_capacity(entries);
    for c in raw_weights.chunks_exact(2) {
        let w = half::f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32();
        if !w.is_finite() {
            return Err(bad("weight is not finite"));
        }
        weights.push(w);
    }
    Ok(ItemTable::from_checked(offsets, columns, weights))
}

fn read_popularity(raw: &[u8], n: usize) -> Result<Vec<u32>, FormatError> {
    let mut counts = Vec::with_capacity(n);
    let mut at = 0;
    for i in 0..n {
        let count = read_varint(raw, &mut at, u32::MAX).map_err(|e| {
            FormatError::Section(match e {
                Varint::End => format!("popularity counts end before count {i}"),
                Varint::NotMinimal => {
                    format!("popularity count {i} is not a minimal LEB128 varint")
                }
                Varint::TooLarge(_) => format!("popularity count {i} exceeds 4294967295"),
            })
        })?;
        counts.push(count);
    }
    if at != raw.len() {
        return Err(FormatError::Section(format!(
            "popularity section has {} bytes left over",
            raw.len() - at
        )));
    }
    Ok(counts)
}

/// Why [`read_varint`] refused a varint.
enum Varint {
    /// The input ends inside it (or before it).
    End,
    /// It has a redundant zero group: its last byte is `0x00` and not its only byte.
    NotMinimal,
    /// Its value is above the limit (saturated at `u64::MAX`).
    TooLarge(u64),
}

/// Reads an unsigned LEB128 varint at `*at` (7 bits per byte, least significant group first, the
/// high bit set on every byte but the last), in its minimal encoding and at most `max`, and moves
/// `*at` past it.
fn read_varint(raw: &[u8], at: &mut usize, max: u32) -> Result<u32, Varint> {
    let start = *at;
    let mut value = 0u64;
    let mut shift = 0u32;
    loop {
        let &byte = raw.get(*at).ok_or(Varint::End)?;
        *at += 1;
        let group = u64::from(byte & 0x7f);
        if shift < 35 {
            value |= group << shift;
        } else if group != 0 {
            // At bit 35 or above: too large for a u32 whatever follows.
            value = u64::MAX;
        }
        if byte & 0x80 == 0 {
            if byte == 0 && *at - start > 1 {
                return Err(Varint::NotMinimal);
            }
            return u32::try_from(value)
                .ok()
                .filter(|&v| v <= max)
                .ok_or(Varint::TooLarge(value));
        }
        shift = shift.saturating_add(7);
    }
}

/// Appends `value` as a minimal unsigned LEB128 varint.
fn put_varint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn le_f32s(raw: &[u8]) -> Vec<f32> {
    raw.chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
}

fn f32s_le(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The model file's CRC-32 (IEEE). Native builds use crc32fast (SIMD); wasm32 uses
/// [`crc32_small`], because crc32fast's 16 KB slice-by-16 table alone is about a tenth of the
/// embeddable widget's 150 KB gzip budget.
#[cfg(not(target_arch = "wasm32"))]
fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

#[cfg(target_arch = "wasm32")]
fn crc32(bytes: &[u8]) -> u32 {
    crc32_small(bytes)
}

/// CRC-32 (IEEE, reflected 0xEDB88320) with one 1 KB table built at compile time.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn crc32_small(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    !bytes.iter().fold(!0u32, |c, &b| {
        TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8)
    })
}

#[cfg(test)]
mod varint_tests {
    use super::{put_varint, read_varint, Varint};

    fn read(raw: &[u8], max: u32) -> Result<(u32, usize), Varint> {
        let mut at = 0;
        read_varint(raw, &mut at, max).map(|v| (v, at))
    }

    #[test]
    fn varints_round_trip_in_their_minimal_encoding() {
        let cases: [(u32, &[u8]); 9] = [
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (16383, &[0xff, 0x7f]),
            (16384, &[0x80, 0x80, 0x01]),
            (65535, &[0xff, 0xff, 0x03]),
            (u32::MAX, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(out, bytes, "{value}");
            assert!(matches!(read(bytes, u32::MAX), Ok((v, n)) if v == value && n == bytes.len()));
        }
    }

    #[test]
    fn over_long_large_or_cut_varints_are_refused() {
        for bytes in [
            &[0x80, 0x00][..],
            &[0x81, 0x00],
            &[0xff, 0xff, 0x83, 0x00],
            &[
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
            ],
        ] {
            assert!(
                matches!(read(bytes, u32::MAX), Err(Varint::NotMinimal)),
                "{bytes:x?}"
            );
        }
        assert!(matches!(
            read(&[0x80, 0x80, 0x04], 65535),
            Err(Varint::TooLarge(65536))
        ));
        assert!(matches!(
            read(&[0x80, 0x80, 0x80, 0x80, 0x10], u32::MAX),
            Err(Varint::TooLarge(0x1_0000_0000))
        ));
        assert!(matches!(
            read(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], u32::MAX),
            Err(Varint::TooLarge(u64::MAX))
        ));
        for bytes in [&[][..], &[0x80], &[0xff, 0xff]] {
            assert!(
                matches!(read(bytes, u32::MAX), Err(Varint::End)),
                "{bytes:x?}"
            );
        }
    }
}

#[cfg(test)]
mod crc_tests {
    use super::crc32_small;

    #[test]
    fn the_small_crc32_used_on_wasm32_matches_crc32fast() {
        let bytes: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in [0, 1, 7, 64, 1000, 5000] {
            assert_eq!(
                crc32_small(&bytes[..len]),
                crc32fast::hash(&bytes[..len]),
                "length {len}"
            );
        }
        assert_eq!(crc32_small(b"123456789"), 0xCBF4_3926);
    }
}
