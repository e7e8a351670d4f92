//! The `.tbm` model file against hostile and damaged input: every failure is a specific
//! `FormatError`, never a panic. Files that `to_bytes` would never write are assembled by hand
//! from the specification (`docs/model-format.md`), with a correct CRC where the test needs the
//! reader to get past it.

use half::f16;
use ndarray::{array, Array2};
use tastebud_core::{
    Confidence, Error, FoldInParams, FormatError, Model, Precision, Provenance,
    RegularizationScaling, FORMAT_VERSION, MAGIC,
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
}

fn pad8(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}

impl File {
    /// Magic, version, header length, header, then the sections (ids, scales, factors, Y^T Y,
    /// popularity) with zero padding to a multiple of 8 after the header, the ids, the factors and
    /// the popularity counts, then the CRC-32 of everything before it.
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
        let crc = crc32fast::hash(&out);
        out.extend(crc.to_le_bytes());
        out
    }
}

/// The header exactly as the specification writes it (compact JSON, fields in this order).
fn header(items: u64, factors: u64, precision: &str, ids_bytes: u64) -> String {
    format!(
        r#"{{"items":{items},"factors":{factors},"precision":"{precision}","regularization":0.05,"alpha":10.0,"confidence":"alpha-times","regularization_scaling":"constant","ids_bytes":{ids_bytes},"provenance":{{"source":"test"}}}}"#
    )
}

fn encode_ids(ids: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for id in ids {
        out.extend((id.len() as u16).to_le_bytes());
        out.extend(*id);
    }
    out
}

fn f32s(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
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
const POPULARITY: [u32; 3] = [7, 0, 3];

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

/// The same model written from the specification.
fn spec_file(precision: Precision) -> File {
    let ids = encode_ids(&IDS.map(str::as_bytes));
    let name = precision.name();
    let (scales, factors, values) = match precision {
        Precision::F32 => (Vec::new(), f32s(&FACTORS), FACTORS.to_vec()),
        Precision::F16 => {
            let bits: Vec<f16> = FACTORS.iter().map(|&v| f16::from_f32(v)).collect();
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
            for row in FACTORS.chunks_exact(K) {
                let scale = row.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
                scales.push(scale);
                for &v in row {
                    let level = (v / scale).round().clamp(-127.0, 127.0) as i8;
                    q.push(level as u8);
                    values.push(level as f32 * scale);
                }
            }
            (f32s(&scales), q, values)
        }
    };
    File {
        version: 1,
        header: header(3, K as u64, name, ids.len() as u64),
        ids,
        scales,
        factors,
        gram: gram(&values, K),
        popularity: POPULARITY.iter().flat_map(|p| p.to_le_bytes()).collect(),
    }
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
    let hex: String = model
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let expected = concat!(
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
    assert_eq!(hex, expected);
}

// ---------------------------------------------------------------------------------------------
// Damaged files.

#[test]
fn every_truncation_is_an_error() {
    for precision in PRECISIONS {
        let bytes = model(precision).to_bytes();
        let header_end = 16 + header_len(&bytes);
        for len in 0..bytes.len() {
            let e = format_error(&bytes[..len]);
            match len {
                0..20 => assert_eq!(e, FormatError::TooShort(len)),
                // The header alone runs past the end: cut short, measured against the header.
                _ if len < header_end + 4 => assert_eq!(
                    e,
                    FormatError::Size {
                        expected: header_end as u64 + 4,
                        actual: len as u64
                    }
                ),
                _ => assert_eq!(
                    e,
                    FormatError::Size {
                        expected: bytes.len() as u64,
                        actual: len as u64
                    }
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
    for precision in PRECISIONS {
        let bytes = model(precision).to_bytes();
        let header_end = 16 + header_len(&bytes);
        for at in 0..bytes.len() {
            for mask in [0x01u8, 0x10, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[at] ^= mask;
                let e = format_error(&bad);
                let ok = match at {
                    0..8 => e == FormatError::BadMagic,
                    8..12 => matches!(e, FormatError::UnsupportedVersion { .. }),
                    12..16 => matches!(e, FormatError::Header(_) | FormatError::Size { .. }),
                    _ if at < header_end => matches!(
                        e,
                        FormatError::Header(_) | FormatError::Size { .. } | FormatError::Checksum
                    ),
                    _ => e == FormatError::Checksum,
                };
                assert!(ok, "{precision:?}, byte {at} ^ {mask:#x}: {e:?}");
            }
        }
    }
}

/// Damage a writer's checksum vouches for (a bug, not a bad download): never a panic; either a
/// specific error or a valid model that writes back exactly these bytes.
#[test]
fn corruption_behind_a_valid_checksum_is_caught_or_harmless() {
    for precision in PRECISIONS {
        let bytes = model(precision).to_bytes();
        let header_end = 16 + header_len(&bytes);
        for at in header_end..bytes.len() - 4 {
            for mask in [0x01u8, 0x40, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[at] ^= mask;
                fix_crc(&mut bad);
                match Model::from_bytes(&bad) {
                    Ok(m) => assert_eq!(m.to_bytes(), bad, "{precision:?}, byte {at}"),
                    Err(FormatError::Section(_)) => {}
                    Err(e) => panic!("{precision:?}, byte {at} ^ {mask:#x}: {e:?}"),
                }
            }
        }
    }
}

#[test]
fn padding_must_be_zero() {
    for precision in PRECISIONS {
        let file = spec_file(precision);
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
                "{precision:?}, byte {at}: {e}"
            );
            checked += 1;
        }
        assert!(checked > 0, "{precision:?} has no padding to check");
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

fn header_error(bytes: &[u8]) -> String {
    match format_error(bytes) {
        FormatError::Header(m) => m,
        e => panic!("expected a header error, got {e:?}"),
    }
}

#[test]
fn huge_or_zero_sizes_in_the_header_are_refused() {
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
        (header(3, 2, "f32", 8), "ids_bytes 8 cannot hold 3 ids"),
        (
            header(3, 2, "f32", 3 * 65537 + 1),
            "ids_bytes 196612 cannot hold 3 ids",
        ),
    ];
    for (h, message) in cases {
        assert_eq!(header_error(&with_header(h)), message);
    }
    // The largest sizes the header allows are checked against the file's length before anything
    // is allocated.
    let h = header(1 << 31, 1024, "f32", 3 << 31);
    let bytes = with_header(h);
    assert!(matches!(
        format_error(&bytes),
        FormatError::Size { expected, actual }
            if actual == bytes.len() as u64 && expected > 1 << 43
    ));
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
    let long = header(3, 2, "f32", 12).replace("\"test\"", &format!("\"{}\"", "x".repeat(70_000)));
    assert!(header_error(&with_header(long)).contains("65536-byte limit"));
}

#[test]
fn malformed_header_values_are_refused() {
    let h = header(3, 2, "f32", 12);
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
    let h = header(3, 2, "f32", 12);
    let variants = [
        r#"[3,2,"f32",0.05,10.0,"alpha-times","constant",12,{"source":"test"}]"#.to_string(),
        h.replace(',', ", "),
        format!("{h} "),
        format!("\n{h}"),
        h.replace(":10.0", ":10"),
        h.replace(":10.0", ":1e1"),
        h.replace(":0.05", ":0.050"),
        h.replace(":0.05", ":0.0500000007"), // the same f32
        h.replace("\"items\":3,\"factors\":2", "\"factors\":2,\"items\":3"),
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
        assert!(e.contains("not in the canonical form"), "{variant}: {e}");
    }
    // The canonical header itself is fine.
    assert!(Model::from_bytes(&with_header(h)).is_ok());
}

#[test]
fn a_future_version_says_what_to_do() {
    for version in [0, 2, u32::MAX] {
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
            message.contains(&format!("reads version {FORMAT_VERSION}")),
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

fn with_ids(ids: &[&[u8]]) -> File {
    let raw = encode_ids(ids);
    File {
        header: header(3, 2, "f32", raw.len() as u64),
        ids: raw,
        ..spec_file(Precision::F32)
    }
}

#[test]
fn bad_item_ids_are_refused() {
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
        assert_eq!(section_error(&with_ids(ids)), message);
    }

    // Lengths that disagree with the section.
    let mut file = spec_file(Precision::F32);
    file.ids[0] = 200; // the first id claims 200 bytes
    assert_eq!(section_error(&file), "item id 0 runs past its section");
    let mut file = spec_file(Precision::F32);
    file.ids.push(0);
    file.header = header(3, 2, "f32", file.ids.len() as u64);
    assert_eq!(
        section_error(&file),
        "item id section has 1 bytes left over"
    );
    let mut file = spec_file(Precision::F32);
    file.ids = encode_ids(&[b"a", b"bb"]);
    file.ids.extend([2, 0, b'x']); // the last id claims 2 bytes and has 1
    file.header = header(3, 2, "f32", file.ids.len() as u64);
    assert_eq!(section_error(&file), "item id 2 runs past its section");
    let mut file = spec_file(Precision::F32);
    file.ids = encode_ids(&[b"a", b"bbb"]);
    file.ids.push(1); // half a length
    file.header = header(3, 2, "f32", file.ids.len() as u64);
    assert_eq!(section_error(&file), "item ids end before id 2");
}

#[test]
fn non_finite_factors_are_refused() {
    let message = "factors include a non-finite value";
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut values = FACTORS;
        values[3] = bad;
        let file = File {
            factors: f32s(&values),
            ..spec_file(Precision::F32)
        };
        assert_eq!(section_error(&file), message);
    }
    for bits in [0x7e00u16, 0x7c00, 0xfc00, 0x7c01] {
        let mut file = spec_file(Precision::F16);
        file.factors[4..6].copy_from_slice(&bits.to_le_bytes());
        assert_eq!(section_error(&file), message, "{bits:#x}");
    }
    // A finite scale times 127 that overflows f32.
    let mut file = spec_file(Precision::Int8);
    file.scales[..4].copy_from_slice(&f32::MAX.to_le_bytes());
    file.factors[0] = 127;
    assert_eq!(section_error(&file), message);
}

#[test]
fn bad_int8_scales_are_refused() {
    for (scale, shown) in [
        (-1.0f32, "-1"),
        (f32::NAN, "NaN"),
        (f32::INFINITY, "inf"),
        (
            -f32::MIN_POSITIVE,
            "-0.000000000000000000000000000000000000011754944",
        ),
    ] {
        let mut file = spec_file(Precision::Int8);
        file.scales[4..8].copy_from_slice(&scale.to_le_bytes());
        assert_eq!(
            section_error(&file),
            format!("int8 scales include {shown}; scales must be finite and >= 0")
        );
    }
    // Zero is a valid scale (an all-zero item), and so is every level, -128 included.
    let mut file = spec_file(Precision::Int8);
    file.scales[4..8].copy_from_slice(&0f32.to_le_bytes());
    file.factors[0] = 0x80;
    let m = Model::from_bytes(&file.bytes()).unwrap();
    assert_eq!(m.item_factors().row(1).to_vec(), vec![0.0, 0.0]);
    assert_eq!(m.to_bytes(), file.bytes());
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
    let build = |source: String| {
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
    };
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

// ---------------------------------------------------------------------------------------------
// Seeds for the fuzzer.

/// Writes small valid models into the fuzz corpus:
/// `cargo test -p tastebud-core --test model_file -- --ignored`.
#[test]
#[ignore = "writes the fuzz seed corpus"]
fn write_fuzz_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/model_loader");
    std::fs::create_dir_all(&dir).unwrap();
    for precision in PRECISIONS {
        let name = format!("seed-3x2-{}.tbm", precision.name());
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
    std::fs::write(dir.join("seed-1x1-f32.tbm"), one.to_bytes()).unwrap();
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
        let m = Model::new(
            (0..6).map(|i| format!("item-{i}")).collect(),
            factors.clone(),
            FoldInParams {
                regularization: 0.1,
                alpha: 4.0,
                confidence,
                regularization_scaling: scaling,
            },
            vec![5, 4, 3, 2, 1, 0],
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
        let name = format!("seed-6x4-{}.tbm", precision.name());
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
