//! The `.tbm` model file against hostile and damaged input: every failure is a specific
//! `FormatError`, never a panic. Files that `to_bytes` would never write are assembled by hand
//! from the specification (`docs/model-format.md`), with a correct CRC where the test needs the
//! reader to get past it.

use half::f16;
use ndarray::{array, Array2};
use tastebud_core::{
    Confidence, Error, FoldInParams, FormatError, ItemTable, Model, Neighbours, Precision,
    Provenance, RegularizationScaling, Transitions, FORMAT_VERSION, MAGIC,
};

// ---------------------------------------------------------------------------------------------
// A writer that follows the specification, independent of the library's.

/// The parts of a `.tbm` file, each already encoded; [`File::bytes`] lays them out.
#[derive(Clone)]
struct File {
    version: u32,
    header: String,
    ids: Vec<u8>,
    /// int8 only.
    scales: Vec<u8>,
    factors: Vec<u8>,
    gram: Vec<u8>,
    popularity: Vec<u8>,
    /// Version 4 with an item-item model only.
    neighbour_index: Vec<u8>,
    neighbour_weights: Vec<u8>,
    /// Version 6 only.
    transition_index: Vec<u8>,
    transition_weights: Vec<u8>,
}

fn pad8(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}

impl File {
    /// Magic, version, header length, header, then the sections (ids, scales, factors, Y^T Y,
    /// popularity) with zero padding to a multiple of 8 after the header, the ids, the factors and
    /// the popularity counts, then the CRC-32 of everything before it. The same for versions 1
    /// and 2: only the sections' encodings differ.
    fn bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(self.version.to_le_bytes());
        out.extend((self.header.len() as u32).to_le_bytes());
        out.extend(self.header.as_bytes());
        pad8(&mut out);
        out.extend(&self.ids);
        pad8(&mut out);
        out.extend(&self.scales);
        out.extend(&self.factors);
        pad8(&mut out);
        out.extend(&self.gram);
        out.extend(&self.popularity);
        pad8(&mut out);
        out.extend(&self.neighbour_index);
        pad8(&mut out);
        out.extend(&self.neighbour_weights);
        pad8(&mut out);
        out.extend(&self.transition_index);
        pad8(&mut out);
        out.extend(&self.transition_weights);
        pad8(&mut out);
        let crc = crc32fast::hash(&out);
        out.extend(crc.to_le_bytes());
        out
    }
}

/// The header exactly as the specification writes it (compact JSON, fields in this order);
/// `popularity_bytes` only from version 2 on.
fn header_of(
    version: u32,
    (items, factors): (u64, u64),
    precision: &str,
    (ids_bytes, popularity_bytes): (u64, u64),
    source: &str,
) -> String {
    let popularity = if version == 1 {
        String::new()
    } else {
        format!(r#""popularity_bytes":{popularity_bytes},"#)
    };
    format!(
        r#"{{"items":{items},"factors":{factors},"precision":"{precision}","regularization":0.05,"alpha":10.0,"confidence":"alpha-times","regularization_scaling":"constant","ids_bytes":{ids_bytes},{popularity}"provenance":{{"source":"{source}"}}}}"#
    )
}

/// A version 2 header of the test model's settings; `popularity_bytes` is that of
/// [`POPULARITY`].
fn header(items: u64, factors: u64, precision: &str, ids_bytes: u64) -> String {
    header_of(
        2,
        (items, factors),
        precision,
        (ids_bytes, POPULARITY_BYTES),
        "test",
    )
}

/// A version 1 header of the test model's settings.
fn header_v1(items: u64, factors: u64, precision: &str, ids_bytes: u64) -> String {
    header_of(1, (items, factors), precision, (ids_bytes, 0), "test")
}

/// Unsigned LEB128: 7 bits at a time, least significant first, the high bit on all but the last.
fn varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let group = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(group);
            return;
        }
        out.push(group | 0x80);
    }
}

/// Each id's length (a `u16` in version 1, a varint from version 2 on), then its bytes.
fn encode_ids(version: u32, ids: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for id in ids {
        if version == 1 {
            out.extend((id.len() as u16).to_le_bytes());
        } else {
            varint(&mut out, id.len() as u64);
        }
        out.extend(*id);
    }
    out
}

/// A `u32` per count in version 1, a varint from version 2 on.
fn encode_popularity(version: u32, counts: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    for &count in counts {
        if version == 1 {
            out.extend(count.to_le_bytes());
        } else {
            varint(&mut out, count as u64);
        }
    }
    out
}

fn f32s(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The smallest f16 at least `target`, by search over every non-negative finite f16 (whose bit
/// patterns are ordered as their values).
fn f16_at_least(target: f32) -> f16 {
    let (mut lo, mut hi) = (0u16, 0x7bff);
    assert!(
        f16::from_bits(hi).to_f32() >= target,
        "{target} is beyond f16"
    );
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if f16::from_bits(mid).to_f32() < target {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    f16::from_bits(lo)
}

/// `Y^T Y` of row-major `n x k` values, row-major, in f64.
fn gram(values: &[f32], k: usize) -> Vec<u8> {
    let mut g = vec![0f64; k * k];
    for y in values.chunks_exact(k) {
        for r in 0..k {
            for c in 0..k {
                g[r * k + c] += y[r] as f64 * y[c] as f64;
            }
        }
    }
    g.iter().flat_map(|v| v.to_le_bytes()).collect()
}

const IDS: [&str; 3] = ["a", "bb", "ccc"];
const K: usize = 2;
const FACTORS: [f32; 6] = [0.5, -1.25, 0.0, 0.75, -0.3, 0.1];
/// 300 takes two bytes as a varint.
const POPULARITY: [u32; 3] = [7, 0, 300];
const POPULARITY_BYTES: u64 = 4;

fn fold_in() -> FoldInParams {
    FoldInParams {
        regularization: 0.05,
        alpha: 10.0,
        confidence: Confidence::AlphaTimes,
        regularization_scaling: RegularizationScaling::Constant,
    }
}

fn provenance() -> Provenance {
    Provenance {
        source: "test".into(),
        ..Provenance::default()
    }
}

/// The library's model of the three test items.
fn model(precision: Precision) -> Model {
    Model::new(
        IDS.iter().map(|s| s.to_string()).collect(),
        Array2::from_shape_vec((3, K), FACTORS.to_vec()).unwrap(),
        fold_in(),
        POPULARITY.to_vec(),
        precision,
        provenance(),
    )
    .unwrap()
}

/// The test model with provenance `source`.
fn with_source(source: String) -> Result<Model, Error> {
    Model::new(
        IDS.iter().map(|s| s.to_string()).collect(),
        Array2::from_shape_vec((3, K), FACTORS.to_vec()).unwrap(),
        fold_in(),
        POPULARITY.to_vec(),
        Precision::F32,
        Provenance {
            source,
            ..Provenance::default()
        },
    )
}

/// A model's contents, for [`spec`].
struct Spec<'a> {
    ids: &'a [&'a str],
    factors: &'a [f32],
    k: usize,
    popularity: &'a [u32],
    source: &'a str,
}

/// The file of a model, written from the specification of `version`.
fn spec(version: u32, precision: Precision, m: &Spec) -> File {
    let ids: Vec<&[u8]> = m.ids.iter().map(|s| s.as_bytes()).collect();
    let ids = encode_ids(version, &ids);
    let popularity = encode_popularity(version, m.popularity);
    let (scales, factors, values) = match precision {
        Precision::F32 => (Vec::new(), f32s(m.factors), m.factors.to_vec()),
        Precision::F16 => {
            let bits: Vec<f16> = m.factors.iter().map(|&v| f16::from_f32(v)).collect();
            let raw = bits
                .iter()
                .flat_map(|b| b.to_bits().to_le_bytes())
                .collect();
            (Vec::new(), raw, bits.iter().map(|b| b.to_f32()).collect())
        }
        Precision::Int8 => {
            let mut scales = Vec::new();
            let mut q = Vec::new();
            let mut values = Vec::new();
            for row in m.factors.chunks_exact(m.k) {
                let target = row.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
                // Version 1: that f32; version 2: the smallest f16 at least that.
                let scale = if version == 1 {
                    scales.extend(target.to_le_bytes());
                    target
                } else {
                    let scale = f16_at_least(target);
                    scales.extend(scale.to_bits().to_le_bytes());
                    scale.to_f32()
                };
                for &v in row {
                    let level = if scale > 0.0 {
                        (v / scale).round().clamp(-127.0, 127.0) as i8
                    } else {
                        0
                    };
                    q.push(level as u8);
                    values.push(level as f32 * scale);
                }
            }
            (scales, q, values)
        }
    };
    File {
        version,
        header: header_of(
            version,
            (m.ids.len() as u64, m.k as u64),
            precision.name(),
            (ids.len() as u64, popularity.len() as u64),
            m.source,
        ),
        ids,
        scales,
        factors,
        gram: gram(&values, m.k),
        popularity,
        neighbour_index: Vec::new(),
        neighbour_weights: Vec::new(),
        transition_index: Vec::new(),
        transition_weights: Vec::new(),
    }
}

const TEST_MODEL: Spec = Spec {
    ids: &IDS,
    factors: &FACTORS,
    k: K,
    popularity: &POPULARITY,
    source: "test",
};

/// The test model written from the specification (version 2).
fn spec_file(precision: Precision) -> File {
    spec(2, precision, &TEST_MODEL)
}

/// The test model written from the specification of version 1.
fn spec_file_v1(precision: Precision) -> File {
    spec(1, precision, &TEST_MODEL)
}

const PRECISIONS: [Precision; 3] = [Precision::F32, Precision::F16, Precision::Int8];

fn format_error(bytes: &[u8]) -> FormatError {
    match Model::from_bytes(bytes) {
        Ok(_) => panic!("{} bytes were accepted", bytes.len()),
        Err(e) => e,
    }
}

/// Replaces the last four bytes with the CRC-32 of the rest, as a writer would.
fn fix_crc(bytes: &mut [u8]) {
    let body = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
}

fn header_len(bytes: &[u8]) -> usize {
    u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize
}

/// The version a writer picks: 6 with a transition model, 4 with an item-item model, 3 for a
/// model that uses another version 3 field, 2 otherwise.
fn written_version(model: &Model) -> u32 {
    if model.transitions().is_some() {
        return 6;
    }
    if model.neighbours().is_some() {
        return 4;
    }
    let frequency = matches!(
        model.fold_in_params().regularization_scaling,
        RegularizationScaling::Frequency { .. }
    );
    if frequency || model.calibration().is_some() {
        3
    } else {
        2
    }
}

fn version_of(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes[8..12].try_into().unwrap())
}

/// A model read from an older version writes the current one, which reads back as the same
/// model (factors aside for int8, which version 2 stores with f16 scales) and writes itself.
fn check_rewrite(model: &Model) {
    let bytes = model.to_bytes();
    assert_eq!(version_of(&bytes), written_version(model));
    let again = Model::from_bytes(&bytes).expect("a written model reads back");
    assert_eq!(again.to_bytes(), bytes);
    assert_eq!(again.item_ids(), model.item_ids());
    assert_eq!(again.popularity(), model.popularity());
    assert_eq!(again.fold_in_params(), model.fold_in_params());
    assert_eq!(again.provenance(), model.provenance());
    assert_eq!(again.precision(), model.precision());
    if model.precision() != Precision::Int8 {
        assert_eq!(again.item_factors(), model.item_factors());
        assert_eq!(again.gram(), model.gram());
    }
}

// ---------------------------------------------------------------------------------------------
// The format itself.

#[test]
fn the_specification_writes_what_to_bytes_writes() {
    for precision in PRECISIONS {
        let file = spec_file(precision);
        assert_eq!(model(precision).to_bytes(), file.bytes(), "{precision:?}");
        let back = Model::from_bytes(&file.bytes()).unwrap();
        assert_eq!(back.to_bytes(), file.bytes());
        assert_eq!(back.item_ids(), IDS);
        assert_eq!(back.popularity(), POPULARITY);
    }
}

/// Ids of 128 bytes and more take two- and three-byte varint lengths, and counts up to five.
#[test]
fn long_ids_and_large_counts_take_longer_varints() {
    let ids: Vec<String> = [1, 127, 128, 16383, 16384, 65535]
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            let mut id = format!("{i}");
            id.extend(std::iter::repeat_n('x', len - id.len()));
            id
        })
        .collect();
    let popularity = [0, 127, 128, 16384, 1 << 28, u32::MAX];
    let factors: Vec<f32> = (0..12).map(|i| (i as f32 * 0.7).sin() * 3.0).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let spec_model = Spec {
        ids: &id_refs,
        factors: &factors,
        k: 2,
        popularity: &popularity,
        source: "test",
    };
    for precision in PRECISIONS {
        let m = Model::new(
            ids.clone(),
            Array2::from_shape_vec((6, 2), factors.clone()).unwrap(),
            fold_in(),
            popularity.to_vec(),
            precision,
            provenance(),
        )
        .unwrap();
        let file = spec(2, precision, &spec_model);
        // 1 + 1 + 2 + 2 + 3 + 3 length bytes; 1 + 1 + 2 + 3 + 5 + 5 count bytes.
        assert_eq!(
            file.ids.len(),
            12 + ids.iter().map(String::len).sum::<usize>()
        );
        assert_eq!(file.popularity.len(), 17);
        assert_eq!(m.to_bytes(), file.bytes(), "{precision:?}");
        let back = Model::from_bytes(&file.bytes()).unwrap();
        assert_eq!(back.item_ids(), &ids[..]);
        assert_eq!(back.popularity(), popularity);
        // Version 1 files of the same model read as the same model too.
        let v1 = Model::from_bytes(&spec(1, precision, &spec_model).bytes()).unwrap();
        assert_eq!(v1.item_ids(), &ids[..]);
        assert_eq!(v1.popularity(), popularity);
        check_rewrite(&v1);
    }
}

/// Published version 1 files still load, and score as their version 2 counterparts: exactly at
/// f32 and f16, within the quantization steps at int8 (version 1 keeps its own f32 scales).
#[test]
fn version_1_files_load_and_score_as_version_2_files() {
    let history = [(0, 1.0), (2, 3.0)];
    for precision in PRECISIONS {
        let v1 = Model::from_bytes(&spec_file_v1(precision).bytes()).unwrap();
        let v2 = Model::from_bytes(&spec_file(precision).bytes()).unwrap();
        assert_eq!(v1.item_ids(), v2.item_ids());
        assert_eq!(v1.popularity(), v2.popularity());
        assert_eq!(v1.fold_in_params(), v2.fold_in_params());
        assert_eq!(v1.provenance(), v2.provenance());
        assert_eq!(v1.precision(), precision);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let user = [0.7f32, -1.3];
        v1.score_into(&user, &mut a);
        v2.score_into(&user, &mut b);
        if precision == Precision::Int8 {
            // Each factor is within half a step of the original in both: version 1's step is
            // max / 127, version 2's at most 2^-10 more.
            for ((y1, y2), y) in v1
                .item_factors()
                .rows()
                .into_iter()
                .zip(v2.item_factors().rows())
                .zip(FACTORS.chunks_exact(K))
            {
                let step = y.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
                for j in 0..K {
                    assert!((y1[j] - y[j]).abs() <= step * 0.5001, "{y1} vs {y:?}");
                    assert!(
                        (y2[j] - y[j]).abs() <= step * 0.5 * (1.0 + 1e-3),
                        "{y2} vs {y:?}"
                    );
                }
            }
            for (sa, sb) in a.iter().zip(&b) {
                assert!((sa - sb).abs() <= 0.02, "{a:?} vs {b:?}");
            }
            let (xa, xb) = (v1.fold_in(&history).unwrap(), v2.fold_in(&history).unwrap());
            for (p, q) in xa.iter().zip(&xb) {
                assert!((p - q).abs() <= 0.02 * p.abs().max(1.0), "{xa:?} vs {xb:?}");
            }
        } else {
            assert_eq!(v1.item_factors(), v2.item_factors());
            assert_eq!(v1.gram(), v2.gram());
            assert_eq!(a, b);
            assert_eq!(v1.fold_in(&history).unwrap(), v2.fold_in(&history).unwrap());
            // Written again, a version 1 file becomes exactly the version 2 file.
            assert_eq!(v1.to_bytes(), spec_file(precision).bytes());
        }
        check_rewrite(&v1);
    }
}

/// The worked example of `docs/model-format.md`, byte for byte.
#[test]
fn worked_example() {
    let model = Model::new(
        vec!["tea".into(), "mug".into()],
        array![[0.5f32, -1.0], [0.25, 1.0]],
        fold_in(),
        vec![3, 1],
        Precision::F32,
        Provenance {
            source: "example".into(),
            ..Provenance::default()
        },
    )
    .unwrap();
    let bytes = model.to_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let expected = concat!(
        "8954424d0d0a1a0a", // magic
        "02000000",         // version 2
        "d0000000",         // header length 208
        "7b226974656d73223a322c22666163746f7273223a322c22707265636973696f6e223a22663332222c",
        "22726567756c6172697a6174696f6e223a302e30352c22616c706861223a31302e302c22636f6e66",
        "6964656e6365223a22616c7068612d74696d6573222c22726567756c6172697a6174696f6e5f7363",
        "616c696e67223a22636f6e7374616e74222c226964735f6279746573223a382c22706f70756c6172",
        "6974795f6279746573223a322c2270726f76656e616e6365223a7b22736f75726365223a22657861",
        "6d706c65227d7d",
        "03746561036d7567", // ids at 224: "tea", "mug" (already aligned)
        "0000003f000080bf0000803e0000803f", // factors at 232: 0.5 -1 0.25 1
        "000000000000d43f000000000000d0bf", // Y^T Y at 248: 0.3125 -0.25
        "000000000000d0bf0000000000000040", //               -0.25  2
        "0301",             // popularity at 280: 3 1
        "000000000000",     // padding to 288
        "8d185b12",         // CRC-32 at 288
    );
    assert_eq!(hex, expected);
    // The specification's writer agrees.
    let file = spec(
        2,
        Precision::F32,
        &Spec {
            ids: &["tea", "mug"],
            factors: &[0.5, -1.0, 0.25, 1.0],
            k: 2,
            popularity: &[3, 1],
            source: "example",
        },
    );
    assert_eq!(file.bytes(), bytes);
}

/// The worked example as version 1 wrote it (the specification's "Version 1" section): it still
/// loads, and writes back as the version 2 example.
#[test]
fn worked_example_version_1() {
    let hex = concat!(
        "8954424d0d0a1a0a", // magic
        "01000000",         // version 1
        "bc000000",         // header length 188
        "7b226974656d73223a322c22666163746f7273223a322c22707265636973696f6e223a22663332222c",
        "22726567756c6172697a6174696f6e223a302e30352c22616c706861223a31302e302c22636f6e66",
        "6964656e6365223a22616c7068612d74696d6573222c22726567756c6172697a6174696f6e5f7363",
        "616c696e67223a22636f6e7374616e74222c226964735f6279746573223a31302c2270726f76656e",
        "616e6365223a7b22736f75726365223a226578616d706c65227d7d",
        "00000000",                         // padding to 208
        "030074656103006d7567",             // ids at 208: "tea", "mug"
        "000000000000",                     // padding to 224
        "0000003f000080bf0000803e0000803f", // factors at 224: 0.5 -1 0.25 1
        "000000000000d43f000000000000d0bf", // Y^T Y at 240: 0.3125 -0.25
        "000000000000d0bf0000000000000040", //               -0.25  2
        "0300000001000000",                 // popularity at 272: 3 1
        "e0c7b97a",                         // CRC-32 at 280
    );
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let spec_model = Spec {
        ids: &["tea", "mug"],
        factors: &[0.5, -1.0, 0.25, 1.0],
        k: 2,
        popularity: &[3, 1],
        source: "example",
    };
    assert_eq!(spec(1, Precision::F32, &spec_model).bytes(), bytes);
    let model = Model::from_bytes(&bytes).unwrap();
    assert_eq!(model.item_ids(), ["tea", "mug"]);
    assert_eq!(model.popularity(), [3, 1]);
    assert_eq!(model.gram(), [0.3125, -0.25, -0.25, 2.0]);
    assert_eq!(
        model.to_bytes(),
        spec(2, Precision::F32, &spec_model).bytes()
    );
}

// ---------------------------------------------------------------------------------------------
// Damaged files.

/// The test model's files: what `to_bytes` writes (version 2), and the version 1 files.
fn every_file() -> Vec<(String, Vec<u8>)> {
    PRECISIONS
        .into_iter()
        .flat_map(|p| {
            [
                (format!("{p:?} v2"), model(p).to_bytes()),
                (format!("{p:?} v1"), spec_file_v1(p).bytes()),
                (format!("{p:?} v4"), with_neighbours(model(p)).to_bytes()),
            ]
        })
        .collect()
}

#[test]
fn every_truncation_is_an_error() {
    for (name, bytes) in every_file() {
        let header_end = 16 + header_len(&bytes);
        for len in 0..bytes.len() {
            let e = format_error(&bytes[..len]);
            match len {
                0..20 => assert_eq!(e, FormatError::TooShort(len), "{name}"),
                // The header alone runs past the end: cut short, measured against the header.
                _ if len < header_end + 4 => assert_eq!(
                    e,
                    FormatError::Size {
                        expected: header_end as u64 + 4,
                        actual: len as u64
                    },
                    "{name}"
                ),
                _ => assert_eq!(
                    e,
                    FormatError::Size {
                        expected: bytes.len() as u64,
                        actual: len as u64
                    },
                    "{name}"
                ),
            }
        }
        // Anything after the checksum is as wrong as anything missing.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            format_error(&longer),
            FormatError::Size { expected, actual } if expected + 1 == actual
        ));
    }
}

#[test]
fn every_corrupted_byte_is_an_error() {
    for (name, bytes) in every_file() {
        let header_end = 16 + header_len(&bytes);
        for at in 0..bytes.len() {
            // Of these masks only 0x01 turns one read version into another (2 into 3 and back),
            // and a version 3 header must use a version 3 field.
            for mask in [0x01u8, 0x10, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[at] ^= mask;
                let e = format_error(&bad);
                let ok = match at {
                    0..8 => e == FormatError::BadMagic,
                    8..12 => matches!(
                        e,
                        FormatError::UnsupportedVersion { .. } | FormatError::Header(_)
                    ),
                    12..16 => matches!(e, FormatError::Header(_) | FormatError::Size { .. }),
                    _ if at < header_end => matches!(
                        e,
                        FormatError::Header(_) | FormatError::Size { .. } | FormatError::Checksum
                    ),
                    _ => e == FormatError::Checksum,
                };
                assert!(ok, "{name}, byte {at} ^ {mask:#x}: {e:?}");
            }
        }
    }
}

/// Damage a writer's checksum vouches for (a bug, not a bad download): never a panic; either a
/// specific error or a valid model that writes back exactly these bytes (a version 1 file: a
/// version 2 file that reads back as the same model).
#[test]
fn corruption_behind_a_valid_checksum_is_caught_or_harmless() {
    for (name, bytes) in every_file() {
        let header_end = 16 + header_len(&bytes);
        for at in header_end..bytes.len() - 4 {
            for mask in [0x01u8, 0x40, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[at] ^= mask;
                fix_crc(&mut bad);
                match Model::from_bytes(&bad) {
                    Ok(m) if version_of(&bad) >= 2 => {
                        assert_eq!(m.to_bytes(), bad, "{name}, byte {at}")
                    }
                    Ok(m) => check_rewrite(&m),
                    Err(FormatError::Section(_)) => {}
                    Err(e) => panic!("{name}, byte {at} ^ {mask:#x}: {e:?}"),
                }
            }
        }
    }
}

#[test]
fn padding_must_be_zero() {
    for precision in PRECISIONS {
        for file in [spec_file(precision), spec_file_v1(precision)] {
            let good = file.bytes();
            let header_end = 16 + file.header.len();
            let ids_start = header_end.next_multiple_of(8);
            let ids_end = ids_start + file.ids.len();
            let factors_end = ids_end.next_multiple_of(8) + file.scales.len() + file.factors.len();
            let gram_start = factors_end.next_multiple_of(8);
            let popularity_end = gram_start + file.gram.len() + file.popularity.len();
            let checksum = popularity_end.next_multiple_of(8);
            assert_eq!(checksum + 4, good.len());
            let gaps = [
                header_end..ids_start,
                ids_end..ids_end.next_multiple_of(8),
                factors_end..gram_start,
                popularity_end..checksum,
            ];
            let mut checked = 0;
            for at in gaps.into_iter().flatten() {
                let mut bad = good.clone();
                bad[at] = 1;
                fix_crc(&mut bad);
                let e = format_error(&bad);
                assert!(
                    matches!(&e, FormatError::Section(m) if m.starts_with("padding at bytes")),
                    "{precision:?} v{}, byte {at}: {e}",
                    file.version
                );
                checked += 1;
            }
            assert!(checked > 0, "{precision:?} has no padding to check");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile headers (correct CRC, so only the header checks stand in the way).

fn with_header(header: String) -> Vec<u8> {
    File {
        header,
        ..spec_file(Precision::F32)
    }
    .bytes()
}

fn with_header_v1(header: String) -> Vec<u8> {
    File {
        header,
        ..spec_file_v1(Precision::F32)
    }
    .bytes()
}

fn header_error(bytes: &[u8]) -> String {
    match format_error(bytes) {
        FormatError::Header(m) => m,
        e => panic!("expected a header error, got {e:?}"),
    }
}

#[test]
fn huge_or_zero_sizes_in_the_header_are_refused() {
    let sizes = |ids: u64, popularity: u64| header_of(2, (3, 2), "f32", (ids, popularity), "test");
    let cases = [
        (
            header(1 << 40, 2, "f32", 9),
            "items is 1099511627776, expected 1 to 2147483648",
        ),
        (
            header(0, 2, "f32", 9),
            "items is 0, expected 1 to 2147483648",
        ),
        (
            header(3, 1025, "f32", 9),
            "factors is 1025, expected 1 to 1024",
        ),
        (header(3, 0, "f32", 9), "factors is 0, expected 1 to 1024"),
        (
            header(3, u64::MAX, "f32", 9),
            "factors is 18446744073709551615, expected 1 to 1024",
        ),
        (
            header(3, 2, "f32", u64::MAX),
            "ids_bytes 18446744073709551615 cannot hold 3 ids",
        ),
        // Each id takes at least a 1-byte length and 1 byte, at most 3 and 65535.
        (header(3, 2, "f32", 5), "ids_bytes 5 cannot hold 3 ids"),
        (
            header(3, 2, "f32", 3 * 65538 + 1),
            "ids_bytes 196615 cannot hold 3 ids",
        ),
        // Each count takes 1 to 5 bytes.
        (sizes(9, 2), "popularity_bytes 2 cannot hold 3 counts"),
        (sizes(9, 16), "popularity_bytes 16 cannot hold 3 counts"),
        (
            sizes(9, u64::MAX),
            "popularity_bytes 18446744073709551615 cannot hold 3 counts",
        ),
    ];
    for (h, message) in cases {
        assert_eq!(header_error(&with_header(h)), message);
    }
    // Version 1: 2-byte lengths.
    for (ids_bytes, message) in [
        (8, "ids_bytes 8 cannot hold 3 ids"),
        (3 * 65537 + 1, "ids_bytes 196612 cannot hold 3 ids"),
    ] {
        let h = header_v1(3, 2, "f32", ids_bytes);
        assert_eq!(header_error(&with_header_v1(h)), message);
    }
    // The largest sizes the header allows are checked against the file's length before anything
    // is allocated.
    let largest = [
        with_header(header_of(
            2,
            (1 << 31, 1024),
            "int8",
            (65538 << 31, 5 << 31),
            "test",
        )),
        with_header_v1(header_v1(1 << 31, 1024, "int8", 65537 << 31)),
    ];
    for bytes in largest {
        assert!(matches!(
            format_error(&bytes),
            FormatError::Size { expected, actual }
                if actual == bytes.len() as u64 && expected > 1 << 43
        ));
    }
}

#[test]
fn header_length_beyond_the_file_or_the_limit_is_refused() {
    let mut bytes = model(Precision::F32).to_bytes();
    bytes[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        header_error(&bytes),
        "its length 4294967295 exceeds the 65536-byte limit"
    );
    // Within the limit but past the end of the file: cut short.
    bytes[12..16].copy_from_slice(&1000u32.to_le_bytes());
    assert_eq!(
        format_error(&bytes),
        FormatError::Size {
            expected: 1020,
            actual: bytes.len() as u64
        }
    );

    // A 70 KB header is over the 64 KiB limit even though the file holds it.
    let long = header(3, 2, "f32", 9).replace("\"test\"", &format!("\"{}\"", "x".repeat(70_000)));
    assert!(header_error(&with_header(long)).contains("65536-byte limit"));
}

#[test]
fn malformed_header_values_are_refused() {
    let h = header(3, 2, "f32", 9);
    let cases = [
        (
            h.replace(":0.05", ":-1.0"),
            "regularization must be finite and > 0, got -1",
        ),
        (
            h.replace(":0.05", ":0.0"),
            "regularization must be finite and > 0, got 0",
        ),
        (
            h.replace(":0.05", ":1e39"),
            "regularization must be finite and > 0, got inf",
        ),
        (
            h.replace(":10.0", ":-3.0"),
            "alpha must be finite and > 0, got -3",
        ),
        (h.replace("\"f32\"", "\"f64\""), "unknown variant `f64`"),
        (h.replace("alpha-times", "times"), "unknown variant `times`"),
        (
            h.replace("\"items\":3", "\"items\":-3"),
            "invalid value: integer `-3`",
        ),
        (
            h.replace("\"items\":3", "\"items\":3.5"),
            "invalid type: floating point `3.5`",
        ),
        (
            h.replace("\"popularity_bytes\":4", "\"popularity_bytes\":-4"),
            "invalid value: integer `-4`",
        ),
        (h.replace("\"alpha\":10.0,", ""), "missing field `alpha`"),
        (
            h.replace("\"items\":3,", "\"items\":3,\"items\":3,"),
            "duplicate field `items`",
        ),
        (h[..h.len() - 1].to_string(), "EOF while parsing an object"),
        ("[]".to_string(), "invalid length 0, expected struct Header"),
        (String::new(), "EOF while parsing a value"),
    ];
    for (header, message) in cases {
        let e = header_error(&with_header(header.clone()));
        assert!(e.contains(message), "{header}: {e}");
    }
}

/// One encoding per model: anything but the exact bytes the specification writes is refused,
/// so a loaded model always writes back the file it came from.
#[test]
fn non_canonical_headers_are_refused() {
    let h = header(3, 2, "f32", 9);
    let variants = [
        // Version 3's two frequency fields sit after the scaling, null here.
        r#"[3,2,"f32",0.05,10.0,"alpha-times","constant",null,null,9,4,{"source":"test"}]"#
            .to_string(),
        h.replace(',', ", "),
        format!("{h} "),
        format!("\n{h}"),
        h.replace(":10.0", ":10"),
        h.replace(":10.0", ":1e1"),
        h.replace(":0.05", ":0.050"),
        h.replace(":0.05", ":0.0500000007"), // the same f32
        h.replace("\"items\":3,\"factors\":2", "\"factors\":2,\"items\":3"),
        h.replace(
            "\"ids_bytes\":9,\"popularity_bytes\":4",
            "\"popularity_bytes\":4,\"ids_bytes\":9",
        ),
        h.replace(
            "\"popularity_bytes\":4,\"provenance\":{\"source\":\"test\"}",
            "\"provenance\":{\"source\":\"test\"},\"popularity_bytes\":4",
        ),
        h.replace("\"popularity_bytes\":4", "\"popularity_bytes\":04"),
        h.replace(
            "{\"source\":\"test\"}",
            "{\"source\":\"test\",\"seed\":null}",
        ),
        h.replace("{\"source\":\"test\"}", "{\"source\":\"t\\u0065st\"}"),
        h.replace("}}", "},\"comment\":\"hi\"}"),
        h.replace(",\"provenance\":{\"source\":\"test\"}", ""),
    ];
    for variant in variants {
        let e = header_error(&with_header(variant.clone()));
        assert!(
            e.contains("not in the canonical form") || e.contains("invalid number"),
            "{variant}: {e}"
        );
    }
    // The canonical headers themselves are fine.
    assert!(Model::from_bytes(&with_header(h)).is_ok());
    assert!(Model::from_bytes(&with_header_v1(header_v1(3, 2, "f32", 12))).is_ok());
}

/// `popularity_bytes` is a version 2 field: a version 1 header must not have it, a version 2
/// header must.
#[test]
fn popularity_bytes_belongs_to_version_2_headers_only() {
    let v1_with_it = File {
        version: 1,
        ..spec_file_v1(Precision::F32)
    };
    let v1_with_it = File {
        header: header_of(1, (3, 2), "f32", (12, 0), "test").replace(
            "\"ids_bytes\":12,",
            "\"ids_bytes\":12,\"popularity_bytes\":12,",
        ),
        ..v1_with_it
    };
    assert_eq!(
        header_error(&v1_with_it.bytes()),
        "popularity_bytes is not a field of a version 1 header"
    );
    let v2_without_it = File {
        header: header_v1(3, 2, "f32", 9),
        ..spec_file(Precision::F32)
    };
    assert_eq!(
        header_error(&v2_without_it.bytes()),
        "missing field `popularity_bytes`"
    );
    // The version changed, the header not (the sections would not fit either).
    for (bytes, version) in [
        (model(Precision::F32).to_bytes(), 1u32),
        (spec_file_v1(Precision::F32).bytes(), 2),
    ] {
        let mut bad = bytes;
        bad[8..12].copy_from_slice(&version.to_le_bytes());
        fix_crc(&mut bad);
        let e = header_error(&bad);
        assert!(e.contains("popularity_bytes"), "{e}");
    }
}

#[test]
fn a_future_version_says_what_to_do() {
    assert_eq!(FORMAT_VERSION, 6);
    for version in [0, 7, u32::MAX] {
        let bytes = File {
            version,
            ..spec_file(Precision::F32)
        }
        .bytes();
        let e = format_error(&bytes);
        assert_eq!(e, FormatError::UnsupportedVersion { found: version });
        let message = e.to_string();
        assert!(
            message.contains(&format!("format version {version}")),
            "{message}"
        );
        assert!(
            message.contains(&format!("reads versions 1 to {FORMAT_VERSION}")),
            "{message}"
        );
        assert!(message.contains("`tastebud train`"), "{message}");
    }
}

#[test]
fn other_files_are_not_models() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";
    let text = b"item,factor_0,factor_1\nmug,0.1,0.2\n";
    let mut flipped = model(Precision::F32).to_bytes();
    flipped[1] = b't';
    for bytes in [&png[..], &text[..], &flipped[..]] {
        let e = format_error(bytes);
        assert_eq!(e, FormatError::BadMagic);
        assert!(e.to_string().contains("`tastebud train`"));
    }
    assert_eq!(format_error(&MAGIC), FormatError::TooShort(8));
    assert_eq!(format_error(b""), FormatError::TooShort(0));
    // Through the crate's error type too.
    let e: Error = format_error(b"").into();
    assert!(matches!(e, Error::Format(FormatError::TooShort(0))));
}

// ---------------------------------------------------------------------------------------------
// Bad sections (correct CRC).

fn section_error(file: &File) -> String {
    match format_error(&file.bytes()) {
        FormatError::Section(m) => m,
        e => panic!("expected a section error, got {e:?}"),
    }
}

/// The test file with this ids section, encoded raw.
fn with_raw_ids(version: u32, raw: Vec<u8>) -> File {
    let base = if version == 1 {
        spec_file_v1(Precision::F32)
    } else {
        spec_file(Precision::F32)
    };
    File {
        header: header_of(
            version,
            (3, 2),
            "f32",
            (raw.len() as u64, base.popularity.len() as u64),
            "test",
        ),
        ids: raw,
        ..base
    }
}

fn with_ids(version: u32, ids: &[&[u8]]) -> File {
    with_raw_ids(version, encode_ids(version, ids))
}

#[test]
fn bad_item_ids_are_refused() {
    for version in [1, 2] {
        let cases: [(&[&[u8]], &str); 4] = [
            (&[b"a", b"\xc3\x28", b"c"], "item id 1 is not UTF-8"),
            (&[b"a", b"bb", b"\xff\xfe\xfd"], "item id 2 is not UTF-8"),
            (
                &[b"mug", b"tea", b"mug"],
                "item ids: item id \"mug\" appears twice",
            ),
            (&[b"a", b"", b"cccc"], "item ids: item 1 has an empty id"),
        ];
        for (ids, message) in cases {
            assert_eq!(
                section_error(&with_ids(version, ids)),
                message,
                "v{version}"
            );
        }
    }

    // Lengths that disagree with the section.
    let mut file = spec_file(Precision::F32);
    file.ids[0] = 100; // the first id claims 100 bytes
    assert_eq!(section_error(&file), "item id 0 runs past its section");
    let mut raw = encode_ids(2, &[b"a", b"bb", b"ccc"]);
    raw.push(0);
    assert_eq!(
        section_error(&with_raw_ids(2, raw)),
        "item id section has 1 bytes left over"
    );
    let mut raw = encode_ids(2, &[b"a", b"bb"]);
    raw.extend([2, b'x']); // the last id claims 2 bytes and has 1
    assert_eq!(
        section_error(&with_raw_ids(2, raw)),
        "item id 2 runs past its section"
    );
    let mut raw = encode_ids(2, &[b"a", b"bbbb"]);
    raw.push(0x81); // half a length
    assert_eq!(
        section_error(&with_raw_ids(2, raw)),
        "item ids end before id 2"
    );

    // Varint lengths must be minimal and at most 65535.
    for over_long in [&[0x81u8, 0x00][..], &[0x83, 0x80, 0x00], &[0x80, 0x00]] {
        let mut raw = encode_ids(2, &[b"a", b"bb"]);
        raw.extend(over_long);
        raw.extend(b"ccc");
        assert_eq!(
            section_error(&with_raw_ids(2, raw)),
            "item id 2's length is not a minimal LEB128 varint",
            "{over_long:x?}"
        );
    }
    let mut raw = encode_ids(2, &[b"a", b"bb"]);
    raw.extend([0x80, 0x80, 0x04]); // 65536
    raw.extend(vec![b'c'; 65536]);
    assert_eq!(
        section_error(&with_raw_ids(2, raw)),
        "item id 2's length 65536 exceeds 65535"
    );
    let mut raw = encode_ids(2, &[b"a"]);
    raw.extend([0xff, 0xff, 0xff, 0xff, 0x0f]); // u32::MAX
    raw.extend(b"bbbbbbb");
    assert_eq!(
        section_error(&with_raw_ids(2, raw)),
        "item id 1's length 4294967295 exceeds 65535"
    );
    // The longest id, 65535 bytes, has a 3-byte length.
    let long = vec![b'c'; 65535];
    let file = with_ids(2, &[b"a", b"bb", &long]);
    assert_eq!(&file.ids[5..8], [0xff, 0xff, 0x03]);
    assert_eq!(
        Model::from_bytes(&file.bytes()).unwrap().item_ids()[2].len(),
        65535
    );

    // Version 1: 2-byte lengths.
    let mut file = spec_file_v1(Precision::F32);
    file.ids[0] = 200; // the first id claims 200 bytes
    assert_eq!(section_error(&file), "item id 0 runs past its section");
    let mut raw = encode_ids(1, &[b"a", b"bb", b"ccc"]);
    raw.push(0);
    assert_eq!(
        section_error(&with_raw_ids(1, raw)),
        "item id section has 1 bytes left over"
    );
    let mut raw = encode_ids(1, &[b"a", b"bb"]);
    raw.extend([2, 0, b'x']); // the last id claims 2 bytes and has 1
    assert_eq!(
        section_error(&with_raw_ids(1, raw)),
        "item id 2 runs past its section"
    );
    let mut raw = encode_ids(1, &[b"a", b"bbb"]);
    raw.push(1); // half a length
    assert_eq!(
        section_error(&with_raw_ids(1, raw)),
        "item ids end before id 2"
    );
}

/// The test file with this popularity section, encoded raw, and `popularity_bytes` as given.
fn with_popularity(raw: Vec<u8>, popularity_bytes: u64) -> File {
    File {
        header: header_of(2, (3, 2), "f32", (9, popularity_bytes), "test"),
        popularity: raw,
        ..spec_file(Precision::F32)
    }
}

#[test]
fn bad_popularity_counts_are_refused() {
    let good = encode_popularity(2, &POPULARITY);
    assert_eq!(good, [7, 0, 0xac, 0x02]);
    // The header's byte count must match what the counts use.
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(
        section_error(&with_popularity(longer, 5)),
        "popularity section has 1 bytes left over"
    );
    assert_eq!(
        section_error(&with_popularity(good[..3].to_vec(), 3)),
        "popularity counts end before count 2"
    );
    // Minimal varints of at most u32::MAX.
    for (raw, message) in [
        (
            vec![7, 0x80, 0x00, 0xac, 0x02],
            "popularity count 1 is not a minimal LEB128 varint",
        ),
        (
            vec![0x87, 0x00, 0, 0xac, 0x02],
            "popularity count 0 is not a minimal LEB128 varint",
        ),
        (
            vec![7, 0, 0xff, 0xff, 0xff, 0xff, 0x8f, 0x00],
            "popularity count 2 is not a minimal LEB128 varint",
        ),
        (
            vec![7, 0, 0x80, 0x80, 0x80, 0x80, 0x10],
            "popularity count 2 exceeds 4294967295",
        ),
    ] {
        let len = raw.len() as u64;
        assert_eq!(section_error(&with_popularity(raw, len)), message);
    }
    // The largest count is fine.
    let raw = vec![7, 0, 0xff, 0xff, 0xff, 0xff, 0x0f];
    let m = Model::from_bytes(&with_popularity(raw, 7).bytes()).unwrap();
    assert_eq!(m.popularity(), [7, 0, u32::MAX]);
}

#[test]
fn non_finite_factors_are_refused() {
    let message = "factors include a non-finite value";
    for file in [spec_file(Precision::F32), spec_file_v1(Precision::F32)] {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut values = FACTORS;
            values[3] = bad;
            let file = File {
                factors: f32s(&values),
                ..file.clone()
            };
            assert_eq!(section_error(&file), message);
        }
    }
    for file in [spec_file(Precision::F16), spec_file_v1(Precision::F16)] {
        for bits in [0x7e00u16, 0x7c00, 0xfc00, 0x7c01] {
            let mut file = file.clone();
            file.factors[4..6].copy_from_slice(&bits.to_le_bytes());
            assert_eq!(section_error(&file), message, "{bits:#x}");
        }
    }
    // Version 1: a finite f32 scale times 127 that overflows f32. (Version 2's largest scale,
    // 65504, times 128 is finite.)
    let mut file = spec_file_v1(Precision::Int8);
    file.scales[..4].copy_from_slice(&f32::MAX.to_le_bytes());
    file.factors[0] = 127;
    assert_eq!(section_error(&file), message);
    let mut file = spec_file(Precision::Int8);
    file.scales[..2].copy_from_slice(&0x7bffu16.to_le_bytes());
    file.factors[0] = 0x80;
    let m = Model::from_bytes(&file.bytes()).unwrap();
    assert_eq!(m.item_factors()[[0, 0]], -128.0 * 65504.0);
    assert_eq!(m.to_bytes(), file.bytes());
}

#[test]
fn bad_int8_scales_are_refused() {
    for (bits, shown) in [
        (0x8000u16, "-0"),
        (0xbc00, "-1"),
        (0x8001, "-0.000000059604645"),
        (0x7c00, "inf"),
        (0xfc00, "-inf"),
        (0x7e00, "NaN"),
        (0x7c01, "NaN"),
        (0xffff, "NaN"),
    ] {
        let mut file = spec_file(Precision::Int8);
        file.scales[2..4].copy_from_slice(&bits.to_le_bytes());
        assert_eq!(
            section_error(&file),
            format!(
                "int8 scale of item 1 is the f16 {bits:#06x} ({shown}); scales must be finite \
                 and >= 0, with the sign bit clear"
            )
        );
    }
    // Zero is a valid scale (an all-zero item), and so is every level, -128 included.
    let mut file = spec_file(Precision::Int8);
    file.scales[2..4].copy_from_slice(&0u16.to_le_bytes());
    file.factors[0] = 0x80;
    let m = Model::from_bytes(&file.bytes()).unwrap();
    assert_eq!(m.item_factors().row(1).to_vec(), vec![0.0, 0.0]);
    assert_eq!(m.to_bytes(), file.bytes());
    // So is the largest finite f16, and the smallest subnormal.
    for bits in [0x7bffu16, 0x0001] {
        let mut file = spec_file(Precision::Int8);
        file.scales[4..6].copy_from_slice(&bits.to_le_bytes());
        let m = Model::from_bytes(&file.bytes()).unwrap();
        assert_eq!(m.to_bytes(), file.bytes());
    }
}

#[test]
fn bad_int8_scales_are_refused_in_version_1() {
    for (scale, shown) in [
        (-1.0f32, "-1"),
        (f32::NAN, "NaN"),
        (f32::INFINITY, "inf"),
        (
            -f32::MIN_POSITIVE,
            "-0.000000000000000000000000000000000000011754944",
        ),
    ] {
        let mut file = spec_file_v1(Precision::Int8);
        file.scales[4..8].copy_from_slice(&scale.to_le_bytes());
        assert_eq!(
            section_error(&file),
            format!("int8 scales include {shown}; scales must be finite and >= 0")
        );
    }
    // Zero is a valid scale (an all-zero item), and so is every level, -128 included; -0 too
    // (version 1 read it), which version 2 writes as +0.
    for zero in [0f32, -0.0] {
        let mut file = spec_file_v1(Precision::Int8);
        file.scales[4..8].copy_from_slice(&zero.to_le_bytes());
        file.factors[0] = 0x80;
        let m = Model::from_bytes(&file.bytes()).unwrap();
        assert_eq!(m.item_factors().row(1).to_vec(), vec![0.0, 0.0]);
        check_rewrite(&m);
        let again = Model::from_bytes(&m.to_bytes()).unwrap();
        assert!(again.item_factors().row(1).iter().all(|v| v.to_bits() == 0));
    }
    // Factors too large for version 2's f16 scales cannot be written as version 2, so they are
    // refused when read.
    let mut file = spec_file_v1(Precision::Int8);
    file.scales[4..8].copy_from_slice(&1e6f32.to_le_bytes());
    assert_eq!(
        section_error(&file),
        "int8 item 1 has factors too large for the f16 scales of format version 2; rebuild the \
         model with `--precision f32`"
    );
    // Unless the item is all zeros.
    let mut file = spec_file_v1(Precision::Int8);
    file.scales[4..8].copy_from_slice(&1e6f32.to_le_bytes());
    file.factors[2..4].copy_from_slice(&[0, 0]);
    check_rewrite(&Model::from_bytes(&file.bytes()).unwrap());
}

/// int8 stores `round(y / s)` with the smallest f16 scale `s` at least `max |y| / 127`: the
/// error is at most half a step of that scale, `s / 2` (plus f32 rounding of the division), the
/// levels stay within -127..=127, and the scale is the one the specification chooses.
#[test]
fn int8_error_is_at_most_half_a_step_of_the_f16_scale() {
    let (n, k) = (64, 8);
    // Magnitudes from 2^-44 to 2^19: subnormal, normal and large f16 scales.
    let factors = Array2::from_shape_fn((n, k), |(i, j)| {
        let magnitude = 2f32.powi(i as i32 - 44);
        ((i * k + j) as f32 * 0.37).sin() * magnitude
    });
    let m = Model::new(
        (0..n).map(|i| format!("{i}")).collect(),
        factors.clone(),
        fold_in(),
        vec![1; n],
        Precision::Int8,
        provenance(),
    )
    .unwrap();
    let bytes = m.to_bytes();
    let back = Model::from_bytes(&bytes).unwrap();
    assert_eq!(back.item_factors(), m.item_factors());
    // The scales follow the (aligned) ids.
    let ids_bytes: usize = (0..n).map(|i| 1 + format!("{i}").len()).sum();
    let scales_at = (16 + header_len(&bytes)).next_multiple_of(8) + ids_bytes.next_multiple_of(8);
    let levels_at = scales_at + 2 * n;
    for (i, (row, stored)) in factors
        .rows()
        .into_iter()
        .zip(back.item_factors().rows())
        .enumerate()
    {
        let bits = u16::from_le_bytes([bytes[scales_at + 2 * i], bytes[scales_at + 2 * i + 1]]);
        let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert_eq!(f16_at_least(max / 127.0).to_bits(), bits, "item {i}");
        let scale = f16::from_bits(bits).to_f32();
        for (j, (y, q)) in row.iter().zip(stored).enumerate() {
            let level = bytes[levels_at + i * k + j] as i8;
            assert!((-127..=127).contains(&level));
            assert_eq!(*q, level as f32 * scale);
            assert!(
                (y - q).abs() <= scale * (0.5 + 1e-5),
                "item {i}: {y} stored as {q} (scale {scale})"
            );
        }
    }
}

#[test]
fn int8_factors_beyond_f16_scales_cannot_be_built() {
    let build = |v: f32| {
        Model::new(
            vec!["x".into()],
            array![[v, 1.0]],
            fold_in(),
            vec![0],
            Precision::Int8,
            provenance(),
        )
    };
    let e = build(1e7).unwrap_err();
    assert!(
        matches!(&e, Error::Mismatch(m) if m.contains("too large for int8") && m.contains("--precision f32")),
        "{e}"
    );
    // The largest: max / 127 = 65504 exactly.
    let m = build(65504.0 * 127.0).unwrap();
    assert_eq!(m.item_factors()[[0, 0]], 65504.0 * 127.0);
    assert_eq!(
        Model::from_bytes(&m.to_bytes()).unwrap().item_factors(),
        m.item_factors()
    );
}

#[test]
fn bad_gram_matrices_are_refused() {
    let message = "Y^T Y has a non-finite or negative diagonal entry";
    for (at, value) in [(0, f64::NAN), (1, f64::INFINITY), (3, -1e-9)] {
        let mut file = spec_file(Precision::F32);
        file.gram[at * 8..at * 8 + 8].copy_from_slice(&value.to_le_bytes());
        assert_eq!(section_error(&file), message, "entry {at}");
    }
}

// ---------------------------------------------------------------------------------------------
// Writers cannot make what readers refuse.

/// Regression: `to_bytes` used to write a header of any size, and a model with a very long
/// provenance gave a file that `from_bytes` refuses (headers are capped at 64 KiB).
#[test]
fn a_header_too_long_to_read_cannot_be_built() {
    let build = with_source;
    let e = build("x".repeat(70_000)).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::InvalidParameter {
                name: "provenance",
                ..
            }
        ),
        "{e}"
    );
    // Up to the limit, what is written is read back.
    let long = build("\u{1}".repeat(10_000)).unwrap();
    assert_eq!(
        Model::from_bytes(&long.to_bytes()).unwrap().provenance(),
        long.provenance()
    );
}

/// A version 1 header could hold a provenance of up to 65,536 bytes less the other fields, but
/// version 2 adds `popularity_bytes`: a provenance over `Model::new`'s limit is refused on
/// reading, so that every model read can be written again.
#[test]
fn a_version_1_provenance_too_long_to_write_again_is_refused() {
    let source = |n: usize| {
        let mut file = spec_file_v1(Precision::F32);
        file.header = file.header.replace(
            r#""source":"test""#,
            &format!(r#""source":"{}""#, "x".repeat(n)),
        );
        file
    };
    // `{"source":"..."}` is 13 bytes around the string.
    let fits = source(64_512 - 13);
    let model = Model::from_bytes(&fits.bytes()).unwrap();
    assert_eq!(
        Model::from_bytes(&model.to_bytes()).unwrap().provenance(),
        model.provenance()
    );
    let over = source(64_512 - 12);
    assert!(over.header.len() <= 65_536);
    match format_error(&over.bytes()) {
        FormatError::Header(m) => assert!(m.contains("64513 bytes of JSON"), "{m}"),
        e => panic!("{e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds for the fuzzer.

/// Writes small valid models, version 2 (`seed-v2-*`), into the fuzz corpus:
/// `cargo test -p tastebud-core --test model_file -- --ignored`. The `seed-*` files without `v2`
/// are version 1 files an earlier build wrote, kept to seed the version 1 reader.
#[test]
#[ignore = "writes the fuzz seed corpus"]
fn write_fuzz_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/model_loader");
    std::fs::create_dir_all(&dir).unwrap();
    for precision in PRECISIONS {
        let name = format!("seed-v2-3x2-{}.tbm", precision.name());
        std::fs::write(dir.join(name), model(precision).to_bytes()).unwrap();
    }
    // One item, one factor, and a larger model with every convention.
    let one = Model::new(
        vec!["x".into()],
        array![[1.0f32]],
        fold_in(),
        vec![1],
        Precision::F32,
        Provenance::default(),
    )
    .unwrap();
    std::fs::write(dir.join("seed-v2-1x1-f32.tbm"), one.to_bytes()).unwrap();
    let factors = Array2::from_shape_fn((6, 4), |(i, j)| ((i * 4 + j) as f32 * 0.37).sin());
    for (precision, confidence, scaling) in [
        (
            Precision::F16,
            Confidence::OnePlus,
            RegularizationScaling::ByCount,
        ),
        (
            Precision::Int8,
            Confidence::AlphaTimes,
            RegularizationScaling::ByCount,
        ),
    ] {
        // One id long enough for a 2-byte length, and counts of 1 to 5 bytes.
        let mut ids: Vec<String> = (0..6).map(|i| format!("item-{i}")).collect();
        ids[5] = "long-".repeat(30);
        let m = Model::new(
            ids,
            factors.clone(),
            FoldInParams {
                regularization: 0.1,
                alpha: 4.0,
                confidence,
                regularization_scaling: scaling,
            },
            vec![5, 400, 70_000, 1 << 22, u32::MAX, 0],
            precision,
            Provenance {
                source: "tastebud als".into(),
                iterations: Some(15),
                cg_steps: Some(3),
                seed: Some(42),
                users: Some(10),
                interactions: Some(15),
            },
        )
        .unwrap();
        let name = format!("seed-v2-6x4-{}.tbm", precision.name());
        std::fs::write(dir.join(name), m.to_bytes()).unwrap();
    }
}

/// The header is canonical byte for byte, so the spelling of its numbers is part of the format
/// (docs/model-format.md, "Canonical header"). A serde_json upgrade that changes it would make
/// existing files unreadable: this test catches that before a release does.
#[test]
fn canonical_number_spelling_is_pinned() {
    let cases = [
        (1e-7f32, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (1e-6, "0.000001"),
        (1.5e-5, "0.000015"),
        (0.0001, "0.0001"),
        (0.05, "0.05"),
        (0.1, "0.1"),
        (1.0, "1.0"),
        (10.0, "10.0"),
        (40.0, "40.0"),
        (123456790.0, "123456790.0"),
        (1.5e12, "1500000000000.0"),
        (1e13, "1e+13"),
        (2.5e20, "2.5e+20"),
    ];
    for (value, spelled) in cases {
        let m = Model::new(
            vec!["x".into()],
            array![[1.0f32]],
            FoldInParams {
                regularization: value,
                alpha: value,
                ..fold_in()
            },
            vec![0],
            Precision::F32,
            Provenance::default(),
        )
        .unwrap();
        let bytes = m.to_bytes();
        let header = std::str::from_utf8(&bytes[16..16 + header_len(&bytes)]).unwrap();
        let expected = format!(r#""regularization":{spelled},"alpha":{spelled},"#);
        assert!(header.contains(&expected), "{value:e}: {header}");
        assert!(Model::from_bytes(&bytes).is_ok());
    }
}

/// A calibration table as `tune` writes it.
fn calibration() -> tastebud_core::Calibration {
    tastebud_core::Calibration {
        strengths: vec![0.0, 0.5, 1.0, 2.0],
        ndcg_ratio: vec![1.0, 0.97, 0.93, 0.7],
        tail_share: vec![0.01, 0.05, 0.12, 0.3],
        category_coverage: vec![0.2, 0.3, 0.45, 0.6],
    }
}

fn frequency_model(precision: Precision) -> Model {
    let mut fold = fold_in();
    fold.confidence = Confidence::OnePlus;
    fold.regularization_scaling = RegularizationScaling::Frequency {
        exponent: 0.5,
        unobserved_weight: 0.1,
    };
    Model::new(
        IDS.iter().map(|s| s.to_string()).collect(),
        Array2::from_shape_vec((3, K), FACTORS.to_vec()).unwrap(),
        fold,
        POPULARITY.to_vec(),
        precision,
        provenance(),
    )
    .unwrap()
}

#[test]
fn version_3_fields_round_trip_and_only_they_make_a_version_3_file() {
    for precision in PRECISIONS {
        // Neither field: version 2, byte for byte as before.
        assert_eq!(version_of(&model(precision).to_bytes()), 2);

        let plain = frequency_model(precision);
        let mut calibrated = model(precision);
        calibrated.set_calibration(Some(calibration())).unwrap();
        let mut both = frequency_model(precision);
        both.set_calibration(Some(calibration())).unwrap();
        for m in [&plain, &calibrated, &both] {
            let bytes = m.to_bytes();
            assert_eq!(version_of(&bytes), 3);
            let again = Model::from_bytes(&bytes).unwrap();
            assert_eq!(again.to_bytes(), bytes);
            assert_eq!(again.fold_in_params(), m.fold_in_params());
            assert_eq!(again.calibration(), m.calibration());
            let history = [(0, 1.0), (2, 2.0)];
            assert_eq!(
                again.fold_in(&history).unwrap(),
                m.fold_in(&history).unwrap()
            );
        }
        // Dropping the calibration of a version-2-able model writes version 2 again.
        calibrated.set_calibration(None).unwrap();
        assert_eq!(calibrated.to_bytes(), model(precision).to_bytes());
    }
}

#[test]
fn version_3_fields_are_refused_in_older_versions_and_needed_in_version_3() {
    let mut both = frequency_model(Precision::F32);
    both.set_calibration(Some(calibration())).unwrap();
    // (A version 1 header is refused earlier, for its `popularity_bytes`.)
    let mut bad = both.to_bytes();
    bad[8..12].copy_from_slice(&2u32.to_le_bytes());
    fix_crc(&mut bad);
    let e = header_error(&bad);
    assert!(e.contains("version 3 fields"), "{e}");
    let mut bad = model(Precision::F32).to_bytes();
    bad[8..12].copy_from_slice(&3u32.to_le_bytes());
    fix_crc(&mut bad);
    let e = header_error(&bad);
    assert!(e.contains("must use a version 3 field"), "{e}");
}

#[test]
fn malformed_calibrations_are_refused() {
    let mut m = model(Precision::F32);
    type Damage = Box<dyn Fn(&mut tastebud_core::Calibration)>;
    let cases: Vec<(Damage, &str)> = vec![
        (
            Box::new(|c| c.tail_share.pop().map(|_| ()).unwrap()),
            "tail_share must be one value per strength",
        ),
        (Box::new(|c| c.strengths[0] = 0.25), "must be starting at 0"),
        (
            Box::new(|c| c.strengths[2] = 0.5),
            "ascending and at most 2",
        ),
        (
            Box::new(|c| c.strengths[3] = 3.0),
            "ascending and at most 2",
        ),
        (
            Box::new(|c| c.ndcg_ratio[1] = f32::NAN),
            "ndcg_ratio must be values between 0 and 10",
        ),
        (
            Box::new(|c| {
                c.strengths = vec![0.0];
                c.ndcg_ratio = vec![1.0];
                c.tail_share = vec![0.0];
                c.category_coverage = vec![0.0];
            }),
            "2 to 16 of them",
        ),
        (
            Box::new(|c| {
                let n = 16;
                c.strengths = (0..n).map(|i| i as f32 * 0.123_456_7).collect();
                c.ndcg_ratio = vec![0.123_456_79; n];
                c.tail_share = vec![0.123_456_79; n];
                c.category_coverage = vec![0.123_456_79; n];
            }),
            "at most 600 bytes as JSON",
        ),
    ];
    for (damage, message) in cases {
        let mut c = calibration();
        damage(&mut c);
        let e = m.set_calibration(Some(c.clone())).unwrap_err().to_string();
        assert!(e.contains(message), "{e} (wanted {message})");
    }
    // The reader refuses a bad table too: the second strength, 0.5, made 2.5 (the same length,
    // so only the table is wrong).
    let mut good = model(Precision::F32);
    good.set_calibration(Some(calibration())).unwrap();
    let mut bytes = good.to_bytes();
    let header = 16..16 + header_len(&bytes);
    let text = String::from_utf8(bytes[header.clone()].to_vec()).unwrap();
    let bad = text.replace("0.01,0.2,0.5,0.97", "0.01,0.2,2.5,0.97");
    assert_ne!(bad, text);
    bytes[header].copy_from_slice(bad.as_bytes());
    fix_crc(&mut bytes);
    let e = header_error(&bytes);
    assert!(e.contains("ascending and at most 2"), "{e}");
    assert!(m.calibration().is_none());
}

#[test]
fn calibrated_presets_follow_the_table() {
    let mut m = model(Precision::F32);
    let fixed = |n: &str| tastebud_core::RerankParams::preset(n).unwrap();
    // Without a table: the fixed presets.
    assert_eq!(m.preset("discovery"), Some(fixed("discovery")));
    m.set_calibration(Some(calibration())).unwrap();
    // balanced keeps 0.96x: t = 0.5 (0.97); discovery keeps 0.92x: t = 1 (0.93).
    assert_eq!(m.preset("balanced"), Some(fixed("discovery").scaled(0.5)));
    assert_eq!(m.preset("discovery"), Some(fixed("discovery").scaled(1.0)));
    assert_eq!(m.preset("accurate"), Some(fixed("accurate")));
    assert_eq!(m.preset("nonsense"), None);
    // A shop where every step costs too much: both presets fall back to plain ranking.
    let mut harsh = calibration();
    harsh.ndcg_ratio = vec![1.0, 0.8, 0.6, 0.4];
    m.set_calibration(Some(harsh)).unwrap();
    assert!(m.preset("discovery").unwrap().is_plain());
}

#[test]
fn frequency_fields_come_together_and_only_with_frequency_scaling() {
    let bytes = frequency_model(Precision::F32).to_bytes();
    let header = 16..16 + header_len(&bytes);
    let text = String::from_utf8(bytes[header.clone()].to_vec()).unwrap();
    assert!(
        text.contains(
            "\"regularization_scaling\":\"frequency\",\"regularization_exponent\":0.5,\"unobserved_weight\":0.1,"
        ),
        "{text}"
    );
    // Same-length edits: a frequency model without its exponent's value is not the spelling
    // any writer uses, and constant scaling with frequency's numbers is refused.
    for (from, to, message) in [
        (
            "\"frequency\"",
            "\"by-count\" ",
            "belong to frequency scaling only",
        ),
        (
            "\"regularization_exponent\":0.5",
            "\"regularization_exponent\":2.5",
            "between 0 and 2",
        ),
        (
            "\"unobserved_weight\":0.1",
            "\"unobserved_weight\":0.0",
            "finite and > 0",
        ),
    ] {
        let mut bad = bytes.clone();
        let edited = text.replace(from, to);
        assert_eq!(edited.len(), text.len(), "{to}");
        bad[header.clone()].copy_from_slice(edited.as_bytes());
        fix_crc(&mut bad);
        let e = header_error(&bad);
        assert!(e.contains(message), "{to}: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Version 4: the item-item model.

/// The test model's item-item rows: item 0 pushes item 2 up, item 2 pushes 0 down and 1 up.
fn neighbour_rows() -> Vec<Vec<(u32, f32)>> {
    vec![vec![(2, 0.5)], vec![], vec![(1, 1.0), (0, -0.25)]]
}

fn with_neighbours(mut m: Model) -> Model {
    let nb = Neighbours::from_rows(neighbour_rows(), 0.75, 100.0).unwrap();
    m.set_neighbours(Some(nb)).unwrap();
    m
}

/// The specification's version 4 file of the test model with [`neighbour_rows`].
fn spec_file_v4() -> File {
    let v2 = spec_file(Precision::F32);
    // Per item a count, per entry the gap to the previous entry's item plus one.
    let index = vec![1, 2, 0, 2, 0, 0];
    let weights = [0.5f32, -0.25, 1.0]
        .iter()
        .flat_map(|&w| f16::from_f32(w).to_bits().to_le_bytes())
        .collect();
    let header = v2.header.strip_suffix('}').unwrap().to_owned()
        + r#","neighbours":3,"neighbour_index_bytes":6,"neighbour_weight":0.75,"neighbour_regularization":100.0}"#;
    File {
        version: 4,
        header,
        neighbour_index: index,
        neighbour_weights: weights,
        ..v2
    }
}

#[test]
fn version_4_is_written_as_the_specification_says() {
    let m = with_neighbours(model(Precision::F32));
    let bytes = m.to_bytes();
    assert_eq!(bytes, spec_file_v4().bytes());
    assert_eq!(version_of(&bytes), 4);
    let again = Model::from_bytes(&bytes).unwrap();
    assert_eq!(again.neighbours(), m.neighbours());
    check_rewrite(&again);
    // Without it the model is version 2 again.
    let mut dropped = again.clone();
    dropped.set_neighbours(None).unwrap();
    assert_eq!(dropped.to_bytes(), model(Precision::F32).to_bytes());
}

/// The test model's transition rows: after item 1 comes item 0, after item 2 items 0 and 1.
fn transition_rows() -> Vec<Vec<(u32, f32)>> {
    vec![vec![], vec![(0, 1.0)], vec![(0, 0.5), (1, 0.25)]]
}

fn with_transitions(mut m: Model) -> Model {
    let table = ItemTable::from_rows(transition_rows()).unwrap();
    m.set_transitions(Some(Transitions::new(table, 2.0, 0.5, 3).unwrap()))
        .unwrap();
    m
}

/// The specification's version 6 file: version 4's with [`transition_rows`] after the
/// item-item model.
fn spec_file_v6() -> File {
    let v4 = spec_file_v4();
    let index = vec![0, 1, 0, 2, 0, 0];
    let weights = [1.0f32, 0.5, 0.25]
        .iter()
        .flat_map(|&w| f16::from_f32(w).to_bits().to_le_bytes())
        .collect();
    let header = v4.header.strip_suffix('}').unwrap().to_owned()
        + r#","transitions":3,"transition_index_bytes":6,"transition_weight":2.0,"transition_decay":0.5,"transition_depth":3}"#;
    File {
        version: 6,
        header,
        transition_index: index,
        transition_weights: weights,
        ..v4
    }
}

#[test]
fn version_6_is_written_as_the_specification_says() {
    let m = with_transitions(with_neighbours(model(Precision::F32)));
    let bytes = m.to_bytes();
    assert_eq!(bytes, spec_file_v6().bytes());
    assert_eq!(version_of(&bytes), 6);
    let again = Model::from_bytes(&bytes).unwrap();
    assert_eq!(again.transitions(), m.transitions());
    assert_eq!(again.neighbours(), m.neighbours());
    check_rewrite(&again);
    // Without transitions the model is version 4 again; without either, version 2.
    let mut dropped = again.clone();
    dropped.set_transitions(None).unwrap();
    assert_eq!(dropped.to_bytes(), spec_file_v4().bytes());
    let only = with_transitions(model(Precision::F32));
    assert_eq!(version_of(&only.to_bytes()), 6);
    let read = Model::from_bytes(&only.to_bytes()).unwrap();
    assert!(read.neighbours().is_none());
    assert_eq!(read.transitions(), only.transitions());
}

#[test]
fn a_version_6_header_must_hold_the_transition_fields_in_range() {
    let good = spec_file_v6();
    assert!(Model::from_bytes(&good.bytes()).is_ok());
    for (from, to) in [
        (r#""transition_decay":0.5"#, r#""transition_decay":1.5"#),
        (r#""transition_depth":3"#, r#""transition_depth":17"#),
        (r#""transition_depth":3"#, r#""transition_depth":0"#),
        (r#""transition_weight":2.0"#, r#""transition_weight":0.0"#),
        (r#","transition_decay":0.5"#, ""),
        (r#""transitions":3"#, r#""transitions":0"#),
    ] {
        let bad = File {
            header: good.header.replace(from, to),
            ..good.clone()
        };
        let e = header_error(&bad.bytes());
        assert!(e.contains("transition"), "{to}: {e}");
    }
    // The fields in an older version, or version 6 without them.
    let old = File {
        version: 4,
        ..good.clone()
    };
    assert!(header_error(&old.bytes()).contains("version 6"));
    let empty = File {
        version: 6,
        ..spec_file_v4()
    };
    assert!(header_error(&empty.bytes()).contains("version 6"));
    // An entry pointing at its own row is refused as the item-item model's are.
    let mut selfish = good.clone();
    selfish.transition_index = vec![0, 1, 1, 2, 0, 0];
    let e = format_error(&selfish.bytes()).to_string();
    assert!(e.contains("transition model"), "{e}");
}

/// The latest items add `weight * decay^(k-1) * T_hj`, and each one's term joins its share of the
/// explanation, so the shares still sum to the score.
#[test]
fn the_transition_model_scores_the_latest_items_and_explains_them() {
    let plain = model(Precision::F32);
    let next = with_transitions(plain.clone());
    let history = [(1u32, 1.0f32), (2, 1.0)];
    let system = next.user_system(&history).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    plain.score_system_into(&system, &mut a);
    next.score_system_into(&system, &mut b);
    // A system that knows no latest items scores as the factors alone.
    assert_eq!(a, b);
    // Latest 2, then 1: item 0 gets 2 * (0.5 + 0.5 * 1.0), item 1 gets 2 * 0.25.
    let system = system.with_recent(vec![1, 2]);
    next.score_system_into(&system, &mut b);
    assert!((b[0] - (a[0] + 2.0)).abs() < 1e-5, "{b:?} {a:?}");
    assert!((b[1] - (a[1] + 0.5)).abs() < 1e-5);
    assert_eq!(b[2], a[2]);
    let why = next.explain_with(&system, 0).unwrap();
    assert!((why.score - b[0]).abs() < 1e-5);
    let sum: f32 = why.contributions.iter().map(|c| c.1).sum();
    assert!((sum - why.score).abs() < 1e-5);
}

/// The ranking adds `weight * B_hj` over the history to the factor score, and the explanation
/// puts each history item's term on that item: the shares still sum to the score.
#[test]
fn the_item_item_model_scores_and_explains_with_the_factors() {
    let plain = model(Precision::F32);
    let blended = with_neighbours(plain.clone());
    let history = [(0u32, 1.0f32)];
    let system = blended.user_system(&history).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    plain.score_system_into(&system, &mut a);
    blended.score_system_into(&system, &mut b);
    assert_eq!(b[0], a[0]);
    assert_eq!(b[1], a[1]);
    assert!((b[2] - (a[2] + 0.75 * 0.5)).abs() < 1e-6);
    let top = blended
        .recommend_for(&history, 2, Default::default())
        .unwrap();
    assert_eq!(top.iter().map(|s| s.score).collect::<Vec<_>>(), {
        let mut want = vec![b[1], b[2]];
        want.sort_by(|x, y| y.total_cmp(x));
        want
    });
    let why = blended.explain_with(&system, 2).unwrap();
    assert!((why.score - b[2]).abs() < 1e-5);
    let sum: f32 = why.contributions.iter().map(|c| c.1).sum();
    assert!((sum - why.score).abs() < 1e-5);
    // A second history item adds its own row.
    let system = blended.user_system(&[(0, 1.0), (2, 1.0)]).unwrap();
    blended.score_system_into(&system, &mut b);
    plain.score_system_into(&system, &mut a);
    assert!((b[1] - (a[1] + 0.75 * 1.0)).abs() < 1e-6);
    let why = blended.explain_with(&system, 1).unwrap();
    let from_2 = why.contributions.iter().find(|c| c.0 == 2).unwrap().1;
    let plain_2 = plain
        .explain_with(&system, 1)
        .unwrap()
        .contributions
        .iter()
        .find(|c| c.0 == 2)
        .unwrap()
        .1;
    assert!((from_2 - (plain_2 + 0.75)).abs() < 1e-6);
}

#[test]
fn an_item_item_model_must_fit_the_catalog() {
    let mut m = model(Precision::F32);
    let four = Neighbours::from_rows(vec![vec![(1, 1.0)], vec![], vec![], vec![]], 1.0, 1.0);
    assert!(matches!(
        m.set_neighbours(Some(four.unwrap())),
        Err(Error::Mismatch(_))
    ));
    // A provenance near the header's limit leaves no room for the item-item fields: refused
    // here, rather than written into a header the reader would refuse.
    let mut big = with_source("x".repeat(64_480)).unwrap();
    big.set_calibration(Some(calibration())).unwrap();
    let nb = Neighbours::from_rows(neighbour_rows(), 1.0, 1.0).unwrap();
    assert!(matches!(
        big.set_neighbours(Some(nb)),
        Err(Error::InvalidParameter {
            name: "provenance",
            ..
        })
    ));
    assert!(Model::from_bytes(&big.to_bytes()).is_ok());
    let empty = Neighbours::from_rows(vec![vec![], vec![], vec![]], 1.0, 1.0).unwrap();
    assert!(matches!(
        m.set_neighbours(Some(empty)),
        Err(Error::EmptyData(_))
    ));
}

#[test]
fn damaged_item_item_models_are_refused() {
    let good = spec_file_v4();
    assert!(Model::from_bytes(&good.bytes()).is_ok());
    let section = |index: Vec<u8>, weights: Vec<u8>| {
        let file = File {
            header: good
                .header
                .replace(
                    r#""neighbour_index_bytes":6"#,
                    &format!(r#""neighbour_index_bytes":{}"#, index.len()),
                )
                .replace(
                    r#""neighbours":3"#,
                    &format!(r#""neighbours":{}"#, weights.len() / 2),
                ),
            neighbour_index: index,
            neighbour_weights: weights,
            ..good.clone()
        };
        format_error(&file.bytes())
    };
    let w3 = good.neighbour_weights.clone();
    let cases: Vec<(Vec<u8>, Vec<u8>, &str)> = vec![
        // Item 0 points at itself.
        (vec![1, 0, 0, 2, 0, 0], w3.clone(), "out of range or itself"),
        // Item 2's second entry runs past the catalog.
        (vec![1, 2, 0, 2, 0, 2], w3.clone(), "out of range"),
        // Counts that add up to more entries than the header says.
        (vec![2, 1, 0, 0, 2, 0], w3.clone(), "more than its entries"),
        // Fewer entries, with bytes to spare.
        (
            vec![1, 2, 0, 1, 0, 0],
            w3.clone(),
            "other entries in other bytes",
        ),
        // A non-minimal varint.
        (vec![1, 0x82, 0, 0, 0, 0], w3.clone(), "cut, not minimal"),
        // A NaN weight.
        (
            good.neighbour_index.clone(),
            [0x00, 0x7e, 0, 0, 0, 0x3c].to_vec(),
            "not finite",
        ),
    ];
    for (index, weights, want) in cases {
        let e = section(index.clone(), weights);
        assert!(
            matches!(&e, FormatError::Section(m) if m.contains(want)),
            "{index:?}: {e}"
        );
    }
    // Header fields that do not go together, or are out of range.
    let replace = |from: &str, to: &str| {
        let file = File {
            header: good.header.replace(from, to),
            ..good.clone()
        };
        header_error(&file.bytes())
    };
    for (from, to, want) in [
        (
            r#","neighbour_weight":0.75"#,
            "",
            "are incomplete or out of range",
        ),
        (
            r#""neighbour_weight":0.75"#,
            r#""neighbour_weight":0.0"#,
            "are incomplete or out of range",
        ),
        (
            r#""neighbour_regularization":100.0"#,
            r#""neighbour_regularization":-1.0"#,
            "are incomplete or out of range",
        ),
        (
            r#""neighbours":3"#,
            r#""neighbours":0"#,
            "are incomplete or out of range",
        ),
        (
            r#""neighbours":3"#,
            r#""neighbours":7"#,
            "are incomplete or out of range",
        ),
        (
            r#""neighbour_index_bytes":6"#,
            r#""neighbour_index_bytes":5"#,
            "are incomplete or out of range",
        ),
    ] {
        let e = replace(from, to);
        assert!(e.contains(want), "{to}: {e}");
    }
    // Sizes that would overflow if the item-item fields were checked before `items`.
    for items in ["0", "18446744073709551615"] {
        let file = File {
            header: good
                .header
                .replacen(r#""items":3"#, &format!(r#""items":{items}"#), 1),
            ..good.clone()
        };
        let e = header_error(&file.bytes());
        assert!(e.contains("items is"), "{items}: {e}");
    }
    // Version 4 fields in a version 3 file, and a version 4 file without them.
    let file = File {
        version: 3,
        ..good.clone()
    };
    let e = header_error(&file.bytes());
    assert!(e.contains("belong to version 4"), "{e}");
    let file = File {
        version: 4,
        ..spec_file(Precision::F32)
    };
    let e = header_error(&file.bytes());
    assert!(e.contains("must hold them"), "{e}");
}

/// Version 5: a file without `Y^T Y` (a published shard). It is smaller by the matrix, reads
/// back with `Y^T Y` computed from its factors, writes back the same bytes, and its flag belongs
/// to version 5 alone.
#[test]
fn a_file_without_the_gram_matrix_is_version_5_and_round_trips() {
    for precision in [Precision::F32, Precision::F16, Precision::Int8] {
        let whole = model(precision);
        let mut part = whole.clone();
        part.set_gram_elsewhere(true);
        let bytes = part.to_bytes();
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 5);
        // Smaller by the matrix, less the header's new field (and its padding).
        assert!(
            bytes.len() + K * K * 8 <= whole.to_bytes().len() + 32,
            "{precision:?}: {} vs {}",
            bytes.len(),
            whole.to_bytes().len()
        );
        let read = Model::from_bytes(&bytes).unwrap();
        assert!(read.gram_elsewhere());
        for (a, b) in read.gram().iter().zip(whole.gram()) {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                "{precision:?}: {a} vs {b}"
            );
        }
        assert_eq!(read.to_bytes(), bytes);
        // The same model with the matrix is still the older version.
        let mut back = read;
        back.set_gram_elsewhere(false);
        assert!(u32::from_le_bytes(back.to_bytes()[8..12].try_into().unwrap()) < 5);
    }
    // The flag in a version 4 file, a version 5 file without it, and a false flag.
    let good = spec_file(Precision::F32);
    let field = |value: &str| {
        let open = &good.header[..good.header.len() - 1];
        format!(r#"{open},"gram_elsewhere":{value}}}"#)
    };
    let flagged = field("true");
    let e = header_error(&with_header(flagged.clone()));
    assert!(e.contains("gram_elsewhere belongs to version 5"), "{e}");
    let e = header_error(
        &File {
            version: 5,
            ..good.clone()
        }
        .bytes(),
    );
    assert!(e.contains("must hold it"), "{e}");
    let e = header_error(
        &File {
            version: 5,
            header: field("false"),
            ..good.clone()
        }
        .bytes(),
    );
    assert!(e.contains("must hold it"), "{e}");
}
