//! Messages about storage and recovery, and the question of consent.

use yew::prelude::*;

use crate::app::use_app;
use crate::state::{Action, Notice, State};
use tastebud_browser::i18n::{t, tf, Key};
use tastebud_browser::storage;

/// Applies the visitor's answer about storage (`true`: store this visit and what follows;
/// `false`: erase what is stored and keep the visit in memory) and shows what is kept now.
pub fn answer(dispatch: &UseReducerDispatcher<State>, granted: bool) {
    let health = if granted {
        storage::grant()
    } else {
        storage::withdraw()
    };
    let (log, prefs) = storage::current();
    dispatch.dispatch(Action::Consent(storage::consent(), log, prefs));
    dispatch.dispatch(Action::Health(health));
}

/// Under `<meta name="tastebud-consent" content="required">`, asks once per visit whether to
/// keep the visitor's activity in this browser; until they agree it lives in memory only.
#[function_component(ConsentPrompt)]
pub fn consent_prompt() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    if !app.state.consent_prompt {
        return html! {};
    }
    let dispatch = app.state.dispatcher();
    let yes = {
        let dispatch = dispatch.clone();
        Callback::from(move |_| answer(&dispatch, true))
    };
    let no = Callback::from(move |_| answer(&dispatch, false));
    html! {
        <section class="notices consent" aria-label={t(lang, Key::PrivacyTitle)} data-testid="consent-prompt">
            <p class="notice">
                <span>{ t(lang, Key::ConsentAsk) }</span>
                <button type="button" data-testid="consent-yes" onclick={yes}>{ t(lang, Key::ConsentYes) }</button>
                <button type="button" class="link" data-testid="consent-no" onclick={no}>{ t(lang, Key::ConsentNo) }</button>
            </p>
        </section>
    }
}

/// The notices, each dismissible.
#[function_component(Notices)]
pub fn notices() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    if app.state.notices.is_empty() {
        return html! {};
    }
    html! {
        <div class="notices" role="status" data-testid="notices">
            { for app.state.notices.iter().map(|&n| {
                let text = match n {
                    Notice::StorageUnavailable => t(lang, Key::StorageUnavailable).to_owned(),
                    Notice::StorageFull => t(lang, Key::StorageFull).to_owned(),
                    Notice::Recovered(count) => tf(lang, Key::Recovered, &count.to_string()),
                    Notice::DamagedKept(count) => tf(lang, Key::DamagedKept, &count.to_string()),
                    Notice::Erased => t(lang, Key::Erased).to_owned(),
                };
                let dispatch = app.state.dispatcher();
                let close = Callback::from(move |_| dispatch.dispatch(Action::DismissNotice(n)));
                html! {
                    <p class="notice" data-testid="notice">
                        <span>{ text }</span>
                        <button type="button" class="link" onclick={close} aria-label={t(lang, Key::Close)}>{ "✕" }</button>
                    </p>
                }
            }) }
        </div>
    }
}
