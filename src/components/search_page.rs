//! Search results. Opening a result records a search hit.

use tastebud_core::EventKind;
use yew::prelude::*;

use super::ItemCard;
use crate::app::use_app;
use crate::state::View;
use tastebud_browser::i18n::{t, tf, Key};

/// Props of [`SearchPage`].
#[derive(Properties, PartialEq)]
pub struct SearchPageProps {
    /// The query.
    pub query: AttrValue,
}

/// Items matching the query, in English or Chinese.
#[function_component(SearchPage)]
pub fn search_page(props: &SearchPageProps) -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let engine = app.engine.clone();
    let results = use_memo(props.query.clone(), move |q| engine.search(q, 60));
    html! {
        <section class="panel" aria-labelledby="search-title">
            <p><a href={View::Home.to_hash()}>{ format!("← {}", t(lang, Key::Home)) }</a></p>
            <h2 id="search-title">{ tf(lang, Key::ResultsFor, &props.query) }</h2>
            if results.is_empty() {
                <p class="hint">{ t(lang, Key::NoResults) }</p>
            }
            <div class="grid" data-testid="search-results">
                { for results.iter().map(|&i| html! {
                    <ItemCard key={i} item={i} open_kind={EventKind::SearchHit} />
                }) }
            </div>
        </section>
    }
}
