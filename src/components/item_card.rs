//! An item card: picture, title, price, why it is recommended, and the visitor's actions.

use tastebud_core::EventKind;
use yew::prelude::*;

use crate::app::{use_app, Track};
use crate::components::picture::Picture;
use crate::state::View;
use tastebud_browser::i18n::{price, stock, t, tf, Key};

/// Props of [`ItemCard`].
#[derive(Properties, PartialEq)]
pub struct ItemCardProps {
    /// Catalog index.
    pub item: usize,
    /// A "why" line to show under the title.
    #[prop_or_default]
    pub why: Option<AttrValue>,
    /// The event kind recorded when the card is opened (a search hit from search results).
    #[prop_or(EventKind::Click)]
    pub open_kind: EventKind,
}

/// One item, with like, not-interested and add-to-cart.
#[function_component(ItemCard)]
pub fn item_card(props: &ItemCardProps) -> Html {
    let app = use_app();
    let lang = app.state.lang;
    let item = &app.engine.catalog.items[props.item];
    let title = item.title.get(lang.code()).to_owned();
    let liked = app.flags.liked.contains(&item.id);
    let in_cart = app.flags.in_cart.contains(&item.id);
    let track = |kind: EventKind| -> Callback<MouseEvent> {
        let track: Track = app.track.clone();
        let id = item.id.clone();
        Callback::from(move |_| track.emit((id.clone(), kind, None)))
    };
    let href = View::Item(item.id.clone()).to_hash();
    html! {
        <article class="card" data-testid="item-card" data-item-id={item.id.clone()}
                 data-category={item.category.clone()} aria-label={title.clone()}>
            <a class="card-open" href={href} onclick={track(props.open_kind)}
               aria-label={tf(lang, Key::Open, &title)}>
                <Picture glyph={item.picture.glyph.clone()} hue={item.picture.hue} />
                <h3 class="card-title">{ title.clone() }</h3>
            </a>
            <p class="card-meta">
                <span class="item-brand">{ item.brand.clone() }</span>
                <span class="price">{ price(item.price, &app.engine.catalog.currency) }</span>
                if let Some(label) = stock(lang, item.availability) {
                    <span class="stock" data-testid="stock">{ label }</span>
                }
            </p>
            if let Some(why) = &props.why {
                <p class="why" data-testid="why">{ why.clone() }</p>
            }
            <div class="card-actions">
                <button type="button" class={classes!("act", "like", liked.then_some("on"))}
                        data-testid="like" aria-pressed={liked.to_string()}
                        aria-label={format!("{}: {title}", t(lang, if liked { Key::Liked } else { Key::Like }))}
                        onclick={track(EventKind::Like)}>
                    <span aria-hidden="true">{ if liked { "♥ " } else { "♡ " } }</span>
                    { t(lang, if liked { Key::Liked } else { Key::Like }) }
                </button>
                <button type="button" class="act dismiss" data-testid="dismiss"
                        aria-label={format!("{}: {title}", t(lang, Key::NotInterested))}
                        title={t(lang, Key::NotInterested)}
                        onclick={track(EventKind::Dismiss)}>
                    <span aria-hidden="true">{ "✕" }</span>
                </button>
                <button type="button" class={classes!("act", "cart", in_cart.then_some("on"))}
                        data-testid="add-to-cart" aria-pressed={in_cart.to_string()}
                        aria-label={format!("{}: {title}", t(lang, if in_cart { Key::InCart } else { Key::AddToCart }))}
                        onclick={track(EventKind::AddToCart)}>
                    { t(lang, if in_cart { Key::InCart } else { Key::AddToCart }) }
                </button>
            </div>
        </article>
    }
}
