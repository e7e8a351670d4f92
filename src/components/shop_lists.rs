//! The shop's ranked lists, from its published aggregate data.

use yew::prelude::*;

use super::ItemCard;
use crate::app::use_app;
use crate::state::View;
use tastebud_browser::i18n::{t, Key};

/// Top rated, trending items, the members' list, trending searches, hot-search brands and
/// creators' picks.
#[function_component(ShopLists)]
pub fn shop_lists() -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let engine = app.engine.clone();
    let hidden = use_memo(app.state.log.clone(), move |log| engine.dismissed(log));
    // Each list under the shop's rules for its placement (catalog.json's `rules`).
    let engine = app.engine.clone();
    let top = use_memo(
        (app.state.log.clone(), hidden.clone()),
        move |(log, hidden)| {
            engine.ruled_list("top-rated", log, None, 6, &mut |n| {
                engine.top_rated(n, hidden)
            })
        },
    );
    let trending = app.engine.trending_searches(10);
    let creators = app.engine.creator_picks(&hidden);
    // The placements `tastebud catalog --log` computed, without what this visitor bought,
    // carted or dismissed.
    let engine = app.engine.clone();
    let placed = use_memo(app.state.log.clone(), move |log| {
        let ruled = |placement: &str| {
            engine.ruled_list(placement, log, None, 6, &mut |n| {
                engine.placement(placement, log, None, n)
            })
        };
        (ruled("trending"), ruled("members"))
    });
    let (hot, members) = (&placed.0, &placed.1);
    // Brands with an item this visitor may still be shown.
    let engine = app.engine.clone();
    let brands = use_memo(app.state.log.clone(), move |log| {
        engine
            .search_brands(log, None, 10)
            .into_iter()
            .map(|(_, b)| b.to_owned())
            .collect::<Vec<String>>()
    });
    html! {
        <section class="panel shop-lists" aria-label={t(lang, Key::TopRated)}>
            <h2>{ t(lang, Key::TopRated) }</h2>
            <div class="grid" data-testid="top-rated">
                { for top.iter().map(|&(i, _)| html! { <ItemCard key={i} item={i} /> }) }
            </div>
            if !hot.is_empty() {
                <h2>{ t(lang, Key::TrendingItems) }</h2>
                <div class="grid" data-testid="trending-items">
                    { for hot.iter().map(|&(i, _)| html! { <ItemCard key={i} item={i} /> }) }
                </div>
            }
            if !members.is_empty() {
                <h2>{ t(lang, Key::MembersList) }</h2>
                <div class="grid" data-testid="members-list">
                    { for members.iter().map(|&(i, _)| html! { <ItemCard key={i} item={i} /> }) }
                </div>
            }
            <h2>{ t(lang, Key::Trending) }</h2>
            <ul class="chips" data-testid="trending">
                { for trending.iter().map(|(q, _)| html! {
                    <li><a class="chip" href={View::Search(q.clone()).to_hash()}>{ q.clone() }</a></li>
                }) }
            </ul>
            if !brands.is_empty() {
                <h2>{ t(lang, Key::SearchBrands) }</h2>
                <ul class="chips" data-testid="search-brands">
                    { for brands.iter().map(|b| html! {
                        <li><a class="chip" href={View::Search(b.clone()).to_hash()}>{ b.clone() }</a></li>
                    }) }
                </ul>
            }
            <h2>{ t(lang, Key::Creators) }</h2>
            <div class="creators" data-testid="creators">
                { for creators.iter().take(3).map(|(creator, items)| html! {
                    <div class="creator">
                        <h3>{ creator.clone() }</h3>
                        <div class="grid">
                            { for items.iter().take(4).map(|&i| html! { <ItemCard key={i} item={i} /> }) }
                        </div>
                    </div>
                }) }
            </div>
        </section>
    }
}
