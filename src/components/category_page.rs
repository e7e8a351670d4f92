//! A category's items.

use yew::prelude::*;

use super::ItemCard;
use crate::app::use_app;
use crate::state::View;
use tastebud_browser::i18n::{t, tf, Key};

/// Props of [`CategoryPage`].
#[derive(Properties, PartialEq)]
pub struct CategoryPageProps {
    /// Category id.
    pub category: AttrValue,
}

/// The items of one category, without the ones the visitor dismissed.
#[function_component(CategoryPage)]
pub fn category_page(props: &CategoryPageProps) -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let engine = app.engine.clone();
    let hidden = use_memo(app.state.log.clone(), move |log| engine.dismissed(log));
    let items = app.engine.items_in(&props.category, &hidden);
    html! {
        <section class="panel" aria-labelledby="category-title">
            <p><a href={View::Home.to_hash()}>{ format!("← {}", t(lang, Key::Home)) }</a></p>
            <h2 id="category-title">{ app.engine.category_name(&props.category, lang.code()) }</h2>
            <p class="hint">{ tf(lang, Key::Items, &items.len().to_string()) }</p>
            <div class="grid" data-testid="category-items">
                { for items.iter().map(|&i| html! { <ItemCard key={i} item={i} /> }) }
            </div>
        </section>
    }
}
