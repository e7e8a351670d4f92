//! Browsing by area and category.

use yew::prelude::*;

use crate::app::use_app;
use crate::state::View;
use tastebud_browser::i18n::{t, tf, Key};

/// Every area with its categories.
#[function_component(Browse)]
pub fn browse() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let catalog = &app.engine.catalog;
    html! {
        <nav class="panel browse" aria-labelledby="browse-title" data-testid="browse">
            <h2 id="browse-title">{ t(lang, Key::Browse) }</h2>
            <div class="areas">
                { for catalog.areas.iter().map(|area| html! {
                    <section class="area" data-area={area.id.clone()}>
                        <h3>{ area.name.get(lang.code()).to_owned() }</h3>
                        <ul>
                            { for catalog.categories.iter().filter(|c| c.area == area.id).map(|c| {
                                let count = catalog.items.iter().filter(|i| i.category == c.id).count();
                                html! {
                                    <li>
                                        <a href={View::Category(c.id.clone()).to_hash()} data-category={c.id.clone()}>
                                            { c.name.get(lang.code()).to_owned() }
                                        </a>
                                        <span class="count">{ tf(lang, Key::Items, &count.to_string()) }</span>
                                    </li>
                                }
                            }) }
                        </ul>
                    </section>
                }) }
            </div>
        </nav>
    }
}
