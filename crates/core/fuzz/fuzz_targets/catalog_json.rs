//! The catalog loaders on arbitrary text: `Catalog::from_json` (strict, as `tastebud catalog
//! --check` reads) and `Catalog::from_json_skipping` (as the storefront and the widget read)
//! return a catalog or an error, never panic. They agree: what skipping keeps passes the strict
//! checks, a strictly valid catalog skips nothing, and a kept catalog survives a JSON round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud_core::Catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let strict = Catalog::from_json(text);
    match Catalog::from_json_skipping(text) {
        Ok((catalog, skipped)) => {
            catalog
                .validate()
                .expect("what skipping keeps passes the strict checks");
            if strict.is_ok() {
                assert!(skipped.is_empty(), "a valid catalog skips nothing");
            }
            let json = serde_json::to_string(&catalog).expect("a catalog serializes");
            let again = Catalog::from_json(&json).expect("a kept catalog reads back");
            assert_eq!(again, catalog);
        }
        Err(_) => assert!(strict.is_err(), "skipping refuses only what strict refuses"),
    }
});
