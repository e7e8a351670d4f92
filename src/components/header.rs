//! The top bar: shop name, search, language, privacy and the cart count.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::use_app;
use crate::state::{Action, View};
use tastebud_browser::i18n::{t, Key};

/// The header.
#[function_component(Header)]
pub fn header() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let input = use_node_ref();
    let current = match &app.state.view {
        View::Search(q) => q.clone(),
        _ => String::new(),
    };
    let on_search = {
        let input = input.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(el) = input.cast::<HtmlInputElement>() {
                let q = el.value();
                if !q.trim().is_empty() {
                    let _ = gloo::utils::window()
                        .location()
                        .set_hash(&View::Search(q.trim().to_owned()).to_hash());
                }
            }
        })
    };
    let on_lang = {
        let dispatch = app.state.dispatcher();
        Callback::from(move |_| dispatch.dispatch(Action::SetLang(lang.other())))
    };
    let on_privacy = {
        let dispatch = app.state.dispatcher();
        Callback::from(move |_| dispatch.dispatch(Action::Privacy(true)))
    };
    let shop = app.engine.catalog.shop.get(lang.code()).to_owned();
    html! {
        <header class="top">
            <a class="brand" href={View::Home.to_hash()} aria-label={t(lang, Key::Home)}>
                <span class="logo" aria-hidden="true">{ "◆" }</span>{ shop }
            </a>
            <form class="search" role="search" onsubmit={on_search}>
                <label for="search-input" class="sr-only">{ t(lang, Key::SearchLabel) }</label>
                <input id="search-input" ref={input} type="search" data-testid="search"
                       placeholder={t(lang, Key::SearchPlaceholder)} value={current}
                       autocomplete="off" enterkeyhint="search" />
                <button type="submit">{ t(lang, Key::SearchButton) }</button>
            </form>
            <div class="top-actions">
                <button type="button" data-testid="lang-toggle" onclick={on_lang}
                        aria-label={t(lang, Key::SwitchLanguage)} lang={lang.other().code()}>
                    { t(lang, Key::LanguageName) }
                </button>
                <button type="button" data-testid="privacy-open" onclick={on_privacy}>
                    { t(lang, Key::Privacy) }
                </button>
                <span class="cart-count" data-testid="cart-count" aria-live="polite">
                    { format!("{} ({})", t(lang, Key::Cart), app.flags.in_cart.len()) }
                </span>
            </div>
        </header>
    }
}
