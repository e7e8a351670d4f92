//! "Interests to explore": niche categories ranked for this visitor, with what led there.

use yew::prelude::*;

use super::ItemCard;
use crate::app::use_app;
use crate::state::View;
use tastebud_browser::i18n::{list_sep, t, tf, Key};

const COUNT: usize = 4;

/// The interest strip.
#[function_component(Interests)]
pub fn interests() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let engine = app.engine.clone();
    let niche = app.state.prefs.niche_level();
    let interests = use_memo(
        (
            app.state.log.clone(),
            app.state.prefs.interests.clone(),
            (niche * 4.0).round() as i32,
        ),
        move |(log, picked, _)| engine.interests(log, picked, COUNT, niche),
    );
    html! {
        <section class="panel interests" aria-labelledby="interests-title">
            <h2 id="interests-title">{ t(lang, Key::Interests) }</h2>
            if interests.is_empty() {
                <p class="hint">{ t(lang, Key::InterestsEmpty) }</p>
            }
            <ol class="interest-list" data-testid="interests">
                { for interests.iter().map(|i| {
                    let name = app.engine.category_name(&i.category, lang.code());
                    let mut led: Vec<String> = i.because.iter()
                        .map(|&x| app.engine.catalog.items[x].title.get(lang.code()).to_owned())
                        .collect();
                    led.extend(i.because_interests.iter().map(|c| app.engine.category_name(c, lang.code())));
                    html! {
                        <li class="interest" data-category={i.category.clone()} data-testid="interest">
                            <h3><a href={View::Category(i.category.clone()).to_hash()}>{ name }</a></h3>
                            if !led.is_empty() {
                                <p class="why">{ tf(lang, Key::LedBy, &led.join(list_sep(lang))) }</p>
                            }
                            <div class="mini-grid">
                                { for i.items.iter().take(2).map(|&x| html! { <ItemCard key={x} item={x} /> }) }
                            </div>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
