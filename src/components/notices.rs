//! Messages about storage and recovery.

use yew::prelude::*;

use crate::app::use_app;
use crate::i18n::{t, tf, Key};
use crate::state::{Action, Notice};

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
