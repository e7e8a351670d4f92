//! `Model::from_bytes` on arbitrary bytes: it must return an error or a model, never panic or
//! allocate more than the input justifies; a model it returns must work (fold-in, ranking,
//! explanations) and write back exactly the bytes it was read from. A model read from an older
//! version writes the current one instead, which must read back as the same model and write
//! back exactly itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud_core::{Filter, Model, Precision, FORMAT_VERSION};

fuzz_target!(|data: &[u8]| {
    // As given: mostly exercises the checks up to the checksum.
    if let Ok(model) = Model::from_bytes(data) {
        exercise(&model, data);
    }
    // With the checksum made right, so mutations reach the section checks behind it. A valid
    // file always ends with the CRC-32 of everything before it.
    if data.len() >= 20 {
        let mut fixed = data.to_vec();
        let body = fixed.len() - 4;
        let crc = crc32fast::hash(&fixed[..body]);
        fixed[body..].copy_from_slice(&crc.to_le_bytes());
        if let Ok(model) = Model::from_bytes(&fixed) {
            exercise(&model, &fixed);
        }
    }
});

fn exercise(model: &Model, bytes: &[u8]) {
    let written = model.to_bytes();
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    // Versions 2 and 3 are both written (3 only for models using its fields): a file of either
    // writes back as itself.
    if (2..=FORMAT_VERSION).contains(&version) {
        assert_eq!(written, bytes, "a loaded model must write back its file");
    } else {
        check_upgrade(model, &written);
    }
    let n = model.n_items() as u32;
    let history = [(0, 1.0), (n - 1, 2.0), (n / 2, 0.5)];
    if let Ok(x) = model.fold_in(&history) {
        assert_eq!(x.len(), model.n_factors());
        let top = model.recommend(&x, 5, &Filter::new().exclude([0]));
        assert!(top.len() <= 5 && top.iter().all(|s| s.item != 0 && s.item < n));
    }
    let _ = model.recommend_for(&history, 3, Filter::new());
    let _ = model.explain(&history, n - 1);
    let _ = model.similar_items(n / 2, 3, &Filter::new());
    let _ = model.most_popular(3, &Filter::new());
    let _ = model.fold_in(&[]);
    let _ = model.fold_in(&[(n, 1.0)]).unwrap_err();
}

/// A model read from an older version, written as the current one: the file reads back as the
/// same model and writes back exactly itself. int8 factors may move by half a step of version 2's
/// f16 scale (the smallest f16 at least `max |y| / 127`), when a version 1 item's f32 scale is not
/// an f16 value.
fn check_upgrade(model: &Model, written: &[u8]) {
    let again = Model::from_bytes(written).expect("a written model must read back");
    assert_eq!(
        again.to_bytes(),
        written,
        "a written model must write back its file"
    );
    assert_eq!(again.item_ids(), model.item_ids());
    assert_eq!(again.popularity(), model.popularity());
    assert_eq!(again.fold_in_params(), model.fold_in_params());
    assert_eq!(again.provenance(), model.provenance());
    assert_eq!(again.precision(), model.precision());
    if model.precision() != Precision::Int8 {
        assert_eq!(again.item_factors(), model.item_factors());
        assert_eq!(again.gram(), model.gram());
        return;
    }
    for (row, new) in model
        .item_factors()
        .rows()
        .into_iter()
        .zip(again.item_factors().rows())
    {
        let target = row.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
        // The f16 scale is within 2^-10 of the target in f16's normal range, less than 2^-24
        // above it below; half of that, with room for f32 rounding.
        let step = (target * (1.0 + 1.0 / 1024.0)).max(target + 2f32.powi(-24));
        for (a, b) in row.iter().zip(new) {
            assert!(
                (a - b).abs() <= step * 0.5001,
                "{a} written as {b} (max / 127 = {target})"
            );
        }
    }
}
