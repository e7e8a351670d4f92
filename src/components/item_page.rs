//! One item: its picture, description, rating, actions and similar items.

use tastebud_core::EventKind;
use yew::prelude::*;

use super::picture::Picture;
use super::ItemCard;
use crate::app::use_app;
use crate::state::View;
use tastebud_browser::i18n::{price, stock, t, tf, Key};

/// Props of [`ItemPage`].
#[derive(Properties, PartialEq)]
pub struct ItemPageProps {
    /// Item id.
    pub id: AttrValue,
}

/// The item page. Opening it records a view.
#[function_component(ItemPage)]
pub fn item_page(props: &ItemPageProps) -> Html {
    let app = use_app();
    let lang = app.state.lang;
    {
        let track = app.track.clone();
        let known = app.engine.item(&props.id).is_some();
        use_effect_with(props.id.clone(), move |id| {
            if known {
                track.emit((id.to_string(), EventKind::View, None));
            }
        });
    }
    // Each list under the shop's rules for its placement (catalog.json's `rules`), never the
    // page's item.
    let engine = app.engine.clone();
    let id = props.id.to_string();
    let similar = use_memo((id.clone(), app.state.log.clone()), move |(id, log)| {
        engine.ruled_list("similar", log, Some(id), 6, &mut |n| {
            engine.similar(id, log, n)
        })
    });
    let engine = app.engine.clone();
    let recent = use_memo((id.clone(), app.state.log.clone()), move |(id, log)| {
        engine.ruled_list("recently-viewed", log, Some(id), 6, &mut |n| {
            engine.recently_viewed(log, Some(id), n)
        })
    });
    let engine = app.engine.clone();
    let together = use_memo((id.clone(), app.state.log.clone()), move |(id, log)| {
        engine.ruled_list("bought-together", log, Some(id), 6, &mut |n| {
            engine
                .bought_together(log, Some(id), Some(id), n)
                .into_iter()
                .map(|(i, _)| i)
                .collect()
        })
    });
    let Some(item) = app.engine.item(&props.id) else {
        return html! {
            <section class="panel"><p>{ t(lang, Key::NoResults) }</p>
            <p><a href={View::Home.to_hash()}>{ t(lang, Key::Home) }</a></p></section>
        };
    };
    let title = item.title.get(lang.code()).to_owned();
    let dismissed = app
        .engine
        .index_of(&item.id)
        .is_some_and(|i| app.engine.dismissed(&app.state.log).contains(&i));
    let rating = app.flags.ratings.get(&item.id).copied();
    let liked = app.flags.liked.contains(&item.id);
    let in_cart = app.flags.in_cart.contains(&item.id);
    let act = |kind: EventKind, value: Option<f32>| {
        let track = app.track.clone();
        let id = item.id.clone();
        Callback::from(move |_| track.emit((id.clone(), kind, value)))
    };
    html! {
        <article class="panel item-page" data-testid="item-page" data-item-id={item.id.clone()}
                 data-category={item.category.clone()} aria-labelledby="item-title">
            <p><a href={View::Category(item.category.clone()).to_hash()}>
                { format!("← {}", app.engine.category_name(&item.category, lang.code())) }
            </a></p>
            <div class="item-layout">
                <Picture glyph={item.picture.glyph.clone()} hue={item.picture.hue} />
                <div>
                    <h2 id="item-title">{ title.clone() }</h2>
                    <p class="card-meta">
                        <span class="item-brand">{ item.brand.clone() }</span>
                        <span class="price">{ price(item.price, &app.engine.catalog.currency) }</span>
                if let Some(label) = stock(lang, item.availability) {
                    <span class="stock" data-testid="stock">{ label }</span>
                }
                    </p>
                    <p>{ item.description.get(lang.code()).to_owned() }</p>
                    if dismissed {
                        <p class="notice" role="status" data-testid="dismissed-note">{ t(lang, Key::Dismissed) }</p>
                    }
                    <p class="tags">{ for item.tags.iter().map(|tag| html! { <span class="tag">{ tag.clone() }</span> }) }</p>
                    <div class="stars" role="group" aria-label={t(lang, Key::YourRating)}>
                        { for (1..=5).map(|n| {
                            let on = rating.is_some_and(|r| r >= n as f32);
                            html! {
                                <button type="button" class={classes!("star", on.then_some("on"))}
                                        data-testid="rate" data-stars={n.to_string()}
                                        aria-pressed={(rating == Some(n as f32)).to_string()}
                                        aria-label={tf(lang, Key::Rate, &n.to_string())}
                                        onclick={act(EventKind::Rate, Some(n as f32))}>
                                    { if on { "★" } else { "☆" } }
                                </button>
                            }
                        }) }
                        if let Some(r) = rating {
                            <span class="sr-only">{ tf(lang, Key::Stars, &r.to_string()) }</span>
                        }
                    </div>
                    <div class="card-actions">
                        <button type="button" class={classes!("act", "like", liked.then_some("on"))}
                                data-testid="like" aria-pressed={liked.to_string()}
                                onclick={act(EventKind::Like, None)}>
                            { t(lang, if liked { Key::Liked } else { Key::Like }) }
                        </button>
                        <button type="button" class="act dismiss" data-testid="dismiss"
                                onclick={act(EventKind::Dismiss, None)}>{ t(lang, Key::NotInterested) }</button>
                        <button type="button" class={classes!("act", "cart", in_cart.then_some("on"))}
                                data-testid="add-to-cart" aria-pressed={in_cart.to_string()}
                                onclick={act(EventKind::AddToCart, None)}>
                            { t(lang, if in_cart { Key::InCart } else { Key::AddToCart }) }
                        </button>
                    </div>
                </div>
            </div>
            if !together.is_empty() {
                <h3>{ t(lang, Key::BoughtTogether) }</h3>
                <div class="grid" data-testid="bought-together">
                    { for together.iter().map(|&(i, _)| html! { <ItemCard key={i} item={i} /> }) }
                </div>
            }
            if !similar.is_empty() {
                <h3>{ t(lang, Key::Similar) }</h3>
                <div class="grid" data-testid="similar">
                    { for similar.iter().map(|&(i, _)| html! { <ItemCard key={i} item={i} /> }) }
                </div>
            }
            if !recent.is_empty() {
                <h3>{ t(lang, Key::RecentlyViewed) }</h3>
                <div class="grid" data-testid="recently-viewed">
                    { for recent.iter().map(|&(i, _)| html! { <ItemCard key={i} item={i} /> }) }
                </div>
            }
        </article>
    }
}
