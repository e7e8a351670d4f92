//! Browser tier: the engine and the app in headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use tastebud_core::{fit, AlsParams, CsrMatrix, Filter, Model, Precision, Provenance};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn engine_check_recommends_the_visitors_cluster_in_wasm() {
    let check = tastebud_web::run_engine_check().expect("engine check runs");
    assert_eq!(check.recommendations.len(), 3);
    let camping = ["trekking-poles", "headlamp"];
    assert!(
        camping.contains(&check.recommendations[0].0.as_str()),
        "{:?}",
        check.recommendations
    );
}

#[wasm_bindgen_test]
fn model_file_round_trips_and_rejects_corruption_in_wasm() {
    let cells: Vec<(u32, u32, f32)> = (0..30u32).map(|u| (u, u % 6, 1.0)).collect();
    let prefs = CsrMatrix::from_triplets(30, 6, &cells);
    let params = AlsParams::new().factors(3).iterations(3).check().unwrap();
    let f = fit(&prefs, &params, |_| {}).unwrap();
    let ids = (0..6).map(|i| format!("i{i}")).collect();
    let model = Model::new(
        ids,
        f.items,
        params.fold_in(),
        prefs.column_counts(),
        Precision::F16,
        Provenance::default(),
    )
    .unwrap();
    let bytes = model.to_bytes();
    let again = Model::from_bytes(&bytes).unwrap();
    assert_eq!(again.to_bytes(), bytes);
    let mut bad = bytes.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x40;
    assert!(Model::from_bytes(&bad).is_err());
    assert!(Model::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let recs = again.recommend_for(&[(0, 1.0)], 3, Filter::new()).unwrap();
    assert!(recs.iter().all(|s| s.item != 0));
}
