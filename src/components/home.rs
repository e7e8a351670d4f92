//! The shop's front page.

use yew::prelude::*;

use super::browse::Browse;
use super::for_you::ForYou;
use super::interests::Interests;
use super::onboarding::Onboarding;
use super::shop_lists::ShopLists;
use crate::app::use_app;
use tastebud_browser::i18n::{t, Key};

/// Onboarding on a first visit, then "For you", "Interests to explore", the shop's lists and
/// browsing.
#[function_component(HomePage)]
pub fn home_page() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    html! {
        <>
            <p class="tagline">{ t(lang, Key::Tagline) }</p>
            if app.state.needs_onboarding() { <Onboarding /> }
            <div class="home">
                <ForYou />
                <Interests />
            </div>
            <ShopLists />
            <Browse />
        </>
    }
}
