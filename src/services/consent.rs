//! The storefront's consent setting (`<meta name="tastebud-consent" content="none | required |
//! auto">`, `<meta name="tastebud-retention-days" content="396">`) and, under `auto`, the page's
//! consent signals, read by the widget's own `tastebud-consent.js` (Google Consent Mode, IAB
//! TCF, Shopify's Customer Privacy API, Global Privacy Control).

use wasm_bindgen::prelude::*;

use tastebud_browser::storage::ConsentMode;

#[wasm_bindgen(module = "/crates/widget/js/tastebud-consent.js")]
extern "C" {
    #[wasm_bindgen(js_name = watchConsent)]
    fn watch_consent(decide: &Closure<dyn FnMut(bool, String)>) -> JsValue;
}

/// Calls `decide(granted)` for each decision the page's consent signals make, for the page's
/// life.
pub fn watch(mut decide: impl FnMut(bool) + 'static) {
    let closure =
        Closure::<dyn FnMut(bool, String)>::new(move |granted, _source: String| decide(granted));
    watch_consent(&closure);
    closure.forget();
}

/// The page's consent setting and retention in days (0: the default), from its meta tags. An
/// unknown setting is reported in the console and read as `required`, the safe side.
pub fn page_setting() -> (ConsentMode, f64) {
    let meta = |name: &str| {
        gloo::utils::document()
            .query_selector(&format!("meta[name=\"{name}\"]"))
            .ok()
            .flatten()
            .and_then(|m| m.get_attribute("content"))
    };
    let mode = match meta("tastebud-consent") {
        None => ConsentMode::None,
        Some(text) => ConsentMode::from_name(&text).unwrap_or_else(|| {
            gloo::console::warn!(format!(
                "tastebud: <meta name=\"tastebud-consent\"> is \"{text}\", not none, required or auto; treated as required"
            ));
            ConsentMode::Required
        }),
    };
    let days = meta("tastebud-retention-days")
        .and_then(|d| d.trim().parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
        .unwrap_or(0.0);
    (mode, days)
}
