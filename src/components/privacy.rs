//! The privacy panel: what is stored, export it, erase it.

use std::collections::BTreeMap;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::app::use_app;
use crate::state::Action;
use tastebud_browser::i18n::{kind_name, list_sep, t, tf, Key};
use tastebud_browser::storage::{self, ALL_KEYS};

/// A dialog listing everything stored about the visitor.
#[function_component(PrivacyPanel)]
pub fn privacy_panel() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let state = &app.state;
    let close = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| dispatch.dispatch(Action::Privacy(false)))
    };
    let dialog = use_node_ref();
    let on_key = {
        let dispatch = state.dispatcher();
        let dialog = dialog.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Escape" => dispatch.dispatch(Action::Privacy(false)),
            // A modal keeps focus inside: Tab past the last button comes back to the first.
            "Tab" => {
                let Some(el) = dialog.cast::<web_sys::Element>() else {
                    return;
                };
                let Ok(buttons) = el.query_selector_all("button") else {
                    return;
                };
                let (Some(first), Some(last)) = (
                    buttons.get(0),
                    buttons.get(buttons.length().saturating_sub(1)),
                ) else {
                    return;
                };
                let active = gloo::utils::document().active_element();
                let at = |node: &web_sys::Node| {
                    active.as_ref().is_some_and(|a| a.is_same_node(Some(node)))
                };
                let target = if e.shift_key() && (at(&first) || at(&el)) {
                    Some(last)
                } else if !e.shift_key() && at(&last) {
                    Some(first)
                } else {
                    None
                };
                if let Some(target) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    e.prevent_default();
                    let _ = target.focus();
                }
            }
            _ => {}
        })
    };
    let export = {
        let state = state.clone();
        Callback::from(move |_| {
            let json = storage::export_json(&state.log, &state.prefs, &state.set_aside);
            download("tastebud-data.json", &json);
        })
    };
    let grant = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| crate::components::answer_consent(&dispatch, true))
    };
    let withdraw = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| crate::components::answer_consent(&dispatch, false))
    };
    let erase = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| {
            let health = storage::erase_all();
            dispatch.dispatch(Action::EraseAll);
            // Under `required` or `auto`, erasing also takes back the consent.
            dispatch.dispatch(Action::Consent(
                storage::consent(),
                Vec::new(),
                storage::Prefs::default(),
            ));
            dispatch.dispatch(Action::Health(health));
            dispatch.dispatch(Action::Privacy(false));
        })
    };
    {
        let dialog = dialog.clone();
        use_effect_with((), move |_| {
            if let Some(el) = dialog.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
            // On close, focus returns to the button that opened the dialog.
            || {
                if let Ok(Some(opener)) =
                    gloo::utils::document().query_selector("[data-testid=privacy-open]")
                {
                    if let Ok(opener) = opener.dyn_into::<web_sys::HtmlElement>() {
                        let _ = opener.focus();
                    }
                }
            }
        });
    }
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    // Counted under the visitor's words for each kind, in their language.
    for e in state.log.iter() {
        *by_kind.entry(kind_name(lang, e.event.kind)).or_default() += 1;
    }
    let nothing =
        state.log.is_empty() && state.prefs.interests.is_empty() && state.set_aside.is_empty();
    html! {
        <div class="backdrop" onclick={close.clone()}>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="privacy-title"
                 data-testid="privacy-panel" tabindex="-1" ref={dialog} onkeydown={on_key}
                 onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2 id="privacy-title">{ t(lang, Key::PrivacyTitle) }</h2>
                <p>{ t(lang, Key::PrivacyExplain) }</p>
                if nothing {
                    <p data-testid="stored-nothing">{ t(lang, Key::StoredNothing) }</p>
                } else {
                    <ul data-testid="stored-summary">
                        <li>{ tf(lang, Key::StoredInteractions, &state.log.len().to_string()) }
                            { for by_kind.iter().map(|(k, n)| html! { <span class="tag">{ format!("{k}: {n}") }</span> }) }
                        </li>
                        if !state.prefs.interests.is_empty() {
                            <li>{ tf(lang, Key::StoredInterests, &state.prefs.interests.iter()
                                .map(|c| app.engine.category_name(c, lang.code()))
                                .collect::<Vec<_>>().join(list_sep(lang))) }</li>
                        }
                        if !state.set_aside.is_empty() {
                            <li>{ tf(lang, Key::StoredSetAside, &state.set_aside.len().to_string()) }</li>
                        }
                    </ul>
                }
                <p class="hint"><code>{ ALL_KEYS.join(" · ") }</code></p>
                if state.consent.0 != storage::ConsentMode::None {
                    <p data-testid="consent-state">{ t(lang, if state.consent.1 { Key::ConsentStored } else { Key::ConsentMemory }) }</p>
                    <div class="row">
                        if state.consent.1 {
                            <button type="button" class="danger" data-testid="consent-withdraw" onclick={withdraw}>{ t(lang, Key::ConsentWithdraw) }</button>
                        } else {
                            <button type="button" data-testid="consent-grant" onclick={grant}>{ t(lang, Key::ConsentYes) }</button>
                        }
                    </div>
                }
                <div class="row">
                    <button type="button" data-testid="export-data" onclick={export}>{ t(lang, Key::Export) }</button>
                    <button type="button" class="danger" data-testid="erase-data" onclick={erase}>{ t(lang, Key::Erase) }</button>
                    <button type="button" class="link" data-testid="privacy-close" onclick={close}>{ t(lang, Key::Close) }</button>
                </div>
            </div>
        </div>
    }
}

/// Offers `text` as a file download, without any network request.
fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let document = gloo::utils::document();
    if let Some(a) = document
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
