//! `Model::from_bytes` on arbitrary bytes: it must return an error or a model, never panic or
//! allocate more than the input justifies; a model it returns must work (fold-in, ranking,
//! explanations) and write back exactly the bytes it was read from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud_core::{Filter, Model};

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
    assert_eq!(
        model.to_bytes(),
        bytes,
        "a loaded model must write back its file"
    );
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
