//! "For you": the visitor's recommendations, each with why.

use yew::prelude::*;

use super::ItemCard;
use crate::app::use_app;
use crate::state::Action;
use tastebud_browser::engine::Recommendation;
use tastebud_browser::i18n::{because, niche_value, t, Key};

/// How many recommendations to show.
const COUNT: usize = 8;

/// The recommendations, recomputed in the same render as the interaction that changed them.
#[function_component(ForYou)]
pub fn for_you() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let engine = app.engine.clone();
    let niche = app.state.prefs.niche_level();
    let recs = use_memo(
        (
            app.state.log.clone(),
            app.state.prefs.interests.clone(),
            (niche * 4.0).round() as i32,
        ),
        move |(log, interests, _)| {
            // Under the shop's rules for this placement (catalog.json's `rules`), past the
            // list's own length plainly ranked (the discovery re-ranking's cost grows with the
            // square of its length): a pin from outside the ranking comes without an
            // explanation, and says the shop put it there.
            let mut ranked: Vec<Recommendation> = Vec::new();
            let placed = engine.ruled_list("items", log, None, COUNT, &mut |n| {
                let found = engine.for_you(log, interests, n, if n > COUNT { 0.0 } else { niche });
                let items = found.iter().map(|r| r.item).collect();
                ranked.extend(found);
                items
            });
            // Nothing to go on yet (the ranking is empty, whatever the rules pin): no list here;
            // the popular one below takes the rules instead.
            if ranked.is_empty() {
                return Vec::new();
            }
            placed
                .into_iter()
                .map(|(i, featured)| {
                    let r = ranked.iter().find(|r| r.item == i).cloned();
                    let r = r.unwrap_or(Recommendation {
                        item: i,
                        score: 0.0,
                        because: Vec::new(),
                        because_kind: None,
                        because_interests: Vec::new(),
                    });
                    (r, featured)
                })
                .collect::<Vec<_>>()
        },
    );
    // Nothing to go on yet (onboarding skipped, nothing liked): the shop's popular items,
    // labelled as such, so the section is never empty.
    let popular = {
        let engine = app.engine.clone();
        let empty = recs.is_empty();
        use_memo((app.state.log.clone(), empty), move |(log, empty)| {
            if *empty {
                engine.ruled_list("items", log, None, COUNT, &mut |n| {
                    engine
                        .popular_picks(log, None, n)
                        .into_iter()
                        .map(|(i, _)| i)
                        .collect()
                })
            } else {
                Vec::new()
            }
        })
    };
    let on_niche = {
        let dispatch = app.state.dispatcher();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if let Ok(v) = input.value().parse::<f32>() {
                    dispatch.dispatch(Action::SetNiche(v));
                }
            }
        })
    };
    let why =
        |(r, featured): &(tastebud_browser::engine::Recommendation, bool)| -> Option<AttrValue> {
            if *featured {
                return Some(t(lang, Key::Featured).into());
            }
            let items: Vec<String> = r
                .because
                .iter()
                .map(|&i| {
                    app.engine.catalog.items[i]
                        .title
                        .get(lang.code())
                        .to_owned()
                })
                .collect();
            let picked: Vec<String> = r
                .because_interests
                .iter()
                .map(|c| app.engine.category_name(c, lang.code()))
                .collect();
            Some(
                because(lang, r.because_kind, &items, &picked)
                    .unwrap_or_else(|| t(lang, Key::PopularPick).to_owned())
                    .into(),
            )
        };
    html! {
        <section class="panel for-you" aria-labelledby="for-you-title">
            <div class="section-head">
                <h2 id="for-you-title">{ t(lang, Key::ForYou) }</h2>
                <div class="niche-control">
                    <label for="niche-slider" class="sr-only">{ t(lang, Key::NicheControl) }</label>
                    <span aria-hidden="true">{ t(lang, Key::MoreFamiliar) }</span>
                    <input id="niche-slider" type="range" min="0" max="2" step="0.25"
                           data-testid="niche-slider" value={niche.to_string()} oninput={on_niche}
                           aria-valuetext={niche_value(lang, niche)} />
                    <span aria-hidden="true">{ t(lang, Key::MoreNiche) }</span>
                </div>
            </div>
            if recs.is_empty() {
                <p class="hint">{ t(lang, Key::ForYouEmpty) }</p>
            }
            <div class="grid" data-testid="recommendations" aria-live="polite">
                { for recs.iter().map(|r| html! {
                    <ItemCard key={r.0.item} item={r.0.item} why={why(r)} />
                }) }
                { for popular.iter().map(|&(item, featured)| html! {
                    <ItemCard key={item} item={item}
                              why={Some(AttrValue::from(t(lang, if featured { Key::Featured } else { Key::PopularInShop })))} />
                }) }
            </div>
        </section>
    }
}
