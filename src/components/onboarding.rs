//! First visit: pick a few interests to seed recommendations.

use yew::prelude::*;

use crate::app::use_app;
use crate::state::Action;
use tastebud_browser::i18n::{t, Key};

/// The interest picker.
#[function_component(Onboarding)]
pub fn onboarding() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let picked = use_state(Vec::<String>::new);
    let niches = app.engine.niche_categories();
    let toggle = |id: String| {
        let picked = picked.clone();
        Callback::from(move |_| {
            let mut next = (*picked).clone();
            match next.iter().position(|p| *p == id) {
                Some(at) => {
                    next.remove(at);
                }
                None => next.push(id.clone()),
            }
            picked.set(next);
        })
    };
    let start = {
        let dispatch = app.state.dispatcher();
        let picked = picked.clone();
        Callback::from(move |_| dispatch.dispatch(Action::Onboard((*picked).clone())))
    };
    let skip = {
        let dispatch = app.state.dispatcher();
        Callback::from(move |_| dispatch.dispatch(Action::Onboard(Vec::new())))
    };
    html! {
        <section class="panel onboarding" data-testid="onboarding" aria-labelledby="onboarding-title">
            <h2 id="onboarding-title">{ t(lang, Key::OnboardingTitle) }</h2>
            <p class="hint">{ t(lang, Key::OnboardingHint) }</p>
            <div class="chips" role="group" aria-labelledby="onboarding-title">
                { for niches.iter().map(|c| {
                    let on = picked.contains(&c.id);
                    html! {
                        <button type="button" class={classes!("chip", on.then_some("on"))}
                                data-testid="interest-option" data-category={c.id.clone()}
                                aria-pressed={on.to_string()} onclick={toggle(c.id.clone())}>
                            { c.name.get(lang.code()).to_owned() }
                        </button>
                    }
                }) }
            </div>
            <div class="row">
                <button type="button" class="primary" data-testid="onboarding-start"
                        disabled={picked.is_empty()} onclick={start}>{ t(lang, Key::OnboardingStart) }</button>
                <button type="button" class="link" data-testid="onboarding-skip" onclick={skip}>
                    { t(lang, Key::OnboardingSkip) }
                </button>
            </div>
        </section>
    }
}
