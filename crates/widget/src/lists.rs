//! What a widget shows, as plain data: the visitor's recommendations or interests to explore,
//! explained in the widget's language. Pure Rust over the storefront's [`Engine`], so a page with
//! the widget and the storefront rank one visitor log the same way; tested natively.

use serde::Serialize;
use tastebud_browser::engine::{Engine, StoredEvent};
use tastebud_browser::i18n::{because, list_sep, t, tf, Key, Lang};
use tastebud_browser::storage::Prefs;
use tastebud_core::is_safe_url;
use tastebud_core::{EventKind, Rules};

/// What a `<tastebud-recs>` element lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Items for this visitor ("For you").
    Items,
    /// Niche categories to explore, each with a few items.
    Interests,
    /// Items like the page's item (`item="ID"`), for an item page.
    Similar,
    /// The items the visitor opened lately, most recent first.
    RecentlyViewed,
    /// The shop's recently popular items (the catalog's `trending` placement).
    Trending,
    /// What the shop's most active buyers buy (the catalog's `members` placement).
    Members,
    /// Items bought with the page's item, or with the cart's without one.
    BoughtTogether,
    /// Items bought with the cart's items.
    Cart,
    /// The brands searches led to, each by its most popular item.
    Brands,
}

impl Mode {
    /// Parses the `mode` attribute; `None` for a mode the widget does not know.
    pub fn from_name(name: &str) -> Option<Mode> {
        match name.trim() {
            "items" => Some(Mode::Items),
            "interests" => Some(Mode::Interests),
            "similar" => Some(Mode::Similar),
            "recently-viewed" => Some(Mode::RecentlyViewed),
            "trending" => Some(Mode::Trending),
            "members" => Some(Mode::Members),
            "bought-together" => Some(Mode::BoughtTogether),
            "cart" => Some(Mode::Cart),
            "brands" => Some(Mode::Brands),
            _ => None,
        }
    }
}

/// A list of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum List {
    /// [`items`].
    Items(Vec<Card>),
    /// [`interests`].
    Interests(Vec<Interest>),
}

impl List {
    /// The list as `Tastebud.recommend` returns it: a JSON array of cards or of interests.
    pub fn to_json(&self) -> serde_json::Result<String> {
        match self {
            List::Items(cards) => serde_json::to_string(cards),
            List::Interests(found) => serde_json::to_string(found),
        }
    }
}

/// A widget's list: `chain[0]`'s, each later mode filling what the ones before left empty (its
/// cards saying why they are there), under the placement's merchandising `rules` (every mode
/// but `interests`), with up to `limit` entries. `item` is the page's item: `similar` and
/// `bought-together` follow it, every other list leaves it out.
///
/// Returns the list and every catalog item the rules weighed, whose records a publication must
/// have before the rules can judge them.
///
/// # Errors
/// `similar` first without the page's item.
#[allow(clippy::too_many_arguments)]
pub fn list(
    engine: &Engine,
    log: &[StoredEvent],
    prefs: &Prefs,
    chain: &[Mode],
    item: Option<&str>,
    lang: Lang,
    limit: usize,
    rules: Rules,
) -> Result<(List, Vec<usize>), &'static str> {
    let first = chain.first().copied().unwrap_or(Mode::Items);
    if first == Mode::Interests {
        return Ok((
            List::Interests(interests(engine, log, prefs, lang, limit)),
            Vec::new(),
        ));
    }
    if first == Mode::Similar && item.is_none() {
        return Err("mode \"similar\" needs the page's item: item=\"ID\"");
    }
    if rules == Rules::default() {
        return Ok((
            List::Items(candidates(
                engine,
                log,
                prefs,
                prefs.niche_level(),
                chain,
                item,
                lang,
                limit,
            )),
            Vec::new(),
        ));
    }
    // Past the list's own length the ranking is plain: the discovery re-ranking's cost grows
    // with the square of its length. Every card seen is kept, explanation and all.
    let mut cards: Vec<Card> = Vec::new();
    let (placed, weighed) = engine.ruled(rules, log, item, limit, &mut |n| {
        let niche = if n > limit { 0.0 } else { prefs.niche_level() };
        let found = candidates(engine, log, prefs, niche, chain, item, lang, n);
        let mut ranked = Vec::new();
        for c in found {
            if let Some(i) = engine.index_of(&c.id) {
                ranked.push((i, c.score));
            }
            if !cards.iter().any(|d| d.id == c.id) {
                cards.push(c);
            }
        }
        ranked
    });
    let mut out = Vec::new();
    for p in placed {
        // A candidate keeps its card and its explanation; a pin from outside them says the shop
        // put it there.
        let id = &engine.catalog.items[p.item].id;
        out.push(match cards.iter().find(|c| c.id == *id) {
            Some(c) => c.clone(),
            None => card(engine, lang, p.item, 0.0, t(lang, Key::Featured).to_owned()),
        });
    }
    Ok((List::Items(out), weighed))
}

/// Up to `n` cards from the modes of `chain` in turn, each id once; `items` at the discovery
/// strength `niche`.
#[allow(clippy::too_many_arguments)]
fn candidates(
    engine: &Engine,
    log: &[StoredEvent],
    prefs: &Prefs,
    niche: f32,
    chain: &[Mode],
    item: Option<&str>,
    lang: Lang,
    n: usize,
) -> Vec<Card> {
    let mut cards: Vec<Card> = Vec::new();
    for &m in chain {
        if cards.len() >= n {
            break;
        }
        let more = match (m, item) {
            (Mode::Items, _) => ranked_items(engine, log, &prefs.interests, niche, lang, n),
            (Mode::Similar, Some(item)) => similar(engine, log, item, lang, n),
            (Mode::RecentlyViewed, _) => recently_viewed(engine, log, item, lang, n),
            (Mode::Trending, _) => placement(engine, log, "trending", item, lang, n),
            (Mode::Members, _) => placement(engine, log, "members", item, lang, n),
            (Mode::BoughtTogether, _) => bought_together(engine, log, item, item, lang, n),
            (Mode::Cart, _) => bought_together(engine, log, None, item, lang, n),
            (Mode::Brands, _) => brands(engine, log, item, lang, n),
            // A fallback to `similar` on a page without an item.
            _ => Vec::new(),
        };
        for c in more {
            if cards.len() < n && !cards.iter().any(|d| d.id == c.id) {
                cards.push(c);
            }
        }
    }
    cards
}

/// Every item id a list shows or names: its cards and what led to them.
pub fn shown_ids(list: &List) -> Vec<String> {
    let cards: Vec<&Card> = match list {
        List::Items(cards) => cards.iter().collect(),
        List::Interests(found) => found.iter().flat_map(|i| &i.items).collect(),
    };
    let mut ids: Vec<String> = cards
        .iter()
        .flat_map(|c| std::iter::once(&c.id).chain(&c.because))
        .cloned()
        .collect();
    if let List::Interests(found) = list {
        ids.extend(found.iter().flat_map(|i| i.because.iter().cloned()));
    }
    ids
}

/// One item as the widget renders it and `Tastebud.recommend` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    /// Catalog id.
    pub id: String,
    /// Title in the widget's language.
    pub title: String,
    /// The item's page as the catalog spells it, only when it passes `is_safe_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Category id.
    pub category: String,
    /// Price in `currency`.
    pub price: f64,
    /// The catalog's currency code.
    pub currency: String,
    /// Picture hue, 0-359.
    pub hue: u16,
    /// The ranking score (the engine's for personal picks; the popularity share for `popular`).
    pub score: f32,
    /// Why it is here, one sentence in the widget's language.
    pub why: String,
    /// Ids of the visitor's items that led here, largest contribution first.
    pub because: Vec<String>,
    /// Picked interests (category ids) that led here.
    #[serde(rename = "becauseInterests")]
    pub because_interests: Vec<String>,
    /// True when the visitor has no history yet and this is a popular item instead.
    pub popular: bool,
}

/// A category suggested for exploration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interest {
    /// Category id.
    pub category: String,
    /// Its name in the widget's language.
    pub name: String,
    /// What led here, in the widget's language (empty for popular categories).
    pub why: String,
    /// Ids of the visitor's items that led here.
    pub because: Vec<String>,
    /// Its best items for this visitor.
    pub items: Vec<Card>,
    /// True when the visitor has no history yet and these are the shop's niches in order.
    pub popular: bool,
}

fn card(engine: &Engine, lang: Lang, item: usize, score: f32, why: String) -> Card {
    let it = &engine.catalog.items[item];
    Card {
        id: it.id.clone(),
        title: it.title.get(lang.code()).to_owned(),
        url: it.url.clone().filter(|u| is_safe_url(u)),
        category: it.category.clone(),
        price: it.price,
        currency: engine.catalog.currency.clone(),
        hue: it.picture.hue % 360,
        score,
        why,
        because: Vec::new(),
        because_interests: Vec::new(),
        popular: false,
    }
}

fn titles(engine: &Engine, lang: Lang, items: &[usize]) -> Vec<String> {
    items
        .iter()
        .map(|&i| engine.catalog.items[i].title.get(lang.code()).to_owned())
        .collect()
}

/// Up to `n` items for this visitor: the storefront's "For you" ranking (its discovery strength
/// and picked interests come from the shared settings), or the shop's most popular items the
/// visitor has not seen when there is nothing to go on yet.
pub fn items(
    engine: &Engine,
    log: &[StoredEvent],
    prefs: &Prefs,
    lang: Lang,
    n: usize,
) -> Vec<Card> {
    ranked_items(engine, log, &prefs.interests, prefs.niche_level(), lang, n)
}

/// [`items`] for picked `interests` at the discovery strength `niche`.
fn ranked_items(
    engine: &Engine,
    log: &[StoredEvent],
    interests: &[String],
    niche: f32,
    lang: Lang,
    n: usize,
) -> Vec<Card> {
    let recs = engine.for_you(log, interests, n, niche);
    if recs.is_empty() {
        return engine
            .popular_picks(log, None, n)
            .into_iter()
            .map(|(i, share)| Card {
                popular: true,
                ..card(
                    engine,
                    lang,
                    i,
                    share,
                    t(lang, Key::PopularInShop).to_owned(),
                )
            })
            .collect();
    }
    recs.into_iter()
        .map(|r| {
            let liked = titles(engine, lang, &r.because);
            let picked: Vec<String> = r
                .because_interests
                .iter()
                .map(|c| engine.category_name(c, lang.code()))
                .collect();
            let why = because(lang, r.because_kind, &liked, &picked)
                .unwrap_or_else(|| t(lang, Key::PopularPick).to_owned());
            Card {
                because: r
                    .because
                    .iter()
                    .map(|&i| engine.catalog.items[i].id.clone())
                    .collect(),
                because_interests: r.because_interests.clone(),
                ..card(engine, lang, r.item, r.score, why)
            }
        })
        .collect()
}

/// Up to `n` items like `item` (never `item` itself, nor what is in the cart or bought), each
/// "Similar to ...": what the model recommends to someone who liked `item` alone (its factors,
/// and its item-item weights when the model has them), without what this visitor dismissed;
/// empty for an item the catalog does not have.
pub fn similar(
    engine: &Engine,
    log: &[StoredEvent],
    item: &str,
    lang: Lang,
    n: usize,
) -> Vec<Card> {
    let Some(of) = engine.item(item) else {
        return Vec::new();
    };
    let why = tf(lang, Key::SimilarTo, of.title.get(lang.code()));
    // Written as plain loops: iterator adapters here cost the widget's size budget a kilobyte.
    let mut alone: Vec<StoredEvent> = Vec::new();
    let mut now = 0.0;
    for e in log {
        if e.event.kind == EventKind::Dismiss {
            alone.push(e.clone());
            now = e.event.timestamp.unwrap_or(now);
        }
    }
    alone.push(StoredEvent::new(item, EventKind::Like, None, now));
    // Items in the cart or bought are left out, as shops expect.
    let owned = |id: &str| {
        log.iter().any(|e| {
            e.item == id && matches!(e.event.kind, EventKind::AddToCart | EventKind::Purchase)
        })
    };
    // Plain ranking: what is most like the item, not the discovery re-ranking.
    let mut out = Vec::new();
    for mut c in ranked_items(engine, &alone, &[], 0.0, lang, n + log.len()) {
        if out.len() == n {
            break;
        }
        if !c.popular && !owned(&c.id) {
            c.why = why.clone();
            out.push(c);
        }
    }
    out
}

/// Up to `n` items the visitor opened lately, most recent first, without `except` (the page's
/// own item).
pub fn recently_viewed(
    engine: &Engine,
    log: &[StoredEvent],
    except: Option<&str>,
    lang: Lang,
    n: usize,
) -> Vec<Card> {
    engine
        .recently_viewed(log, except, n)
        .into_iter()
        .map(|i| card(engine, lang, i, 0.0, t(lang, Key::YouViewed).to_owned()))
        .collect()
}

/// Up to `n` items of the catalog's `trending` or `members` placement (`placement`) the visitor
/// has not bought, carted or dismissed, without `except` (the page's item), each saying why.
pub fn placement(
    engine: &Engine,
    log: &[StoredEvent],
    placement: &str,
    except: Option<&str>,
    lang: Lang,
    n: usize,
) -> Vec<Card> {
    let why = t(
        lang,
        if placement == "members" {
            Key::MembersFavourite
        } else {
            Key::TrendingNow
        },
    );
    let mut out = Vec::new();
    for i in engine.placement(placement, log, except, n) {
        out.push(card(engine, lang, i, 0.0, why.to_owned()));
    }
    out
}

/// Up to `n` items bought or carted with `item` (with the cart's items without one), never
/// `except` (the page's item), each "Often bought with ..." naming what it goes with.
pub fn bought_together(
    engine: &Engine,
    log: &[StoredEvent],
    item: Option<&str>,
    except: Option<&str>,
    lang: Lang,
    n: usize,
) -> Vec<Card> {
    let mut out = Vec::new();
    for (i, with) in engine.bought_together(log, item, except, n) {
        let of = &engine.catalog.items[with];
        let mut c = card(
            engine,
            lang,
            i,
            0.0,
            tf(lang, Key::BoughtWith, of.title.get(lang.code())),
        );
        c.because.push(of.id.clone());
        out.push(c);
    }
    out
}

/// Up to `n` of the brands searches led to, each by its most popular item the visitor has not
/// touched or dismissed (nor `except`, the page's item), saying which brand.
pub fn brands(
    engine: &Engine,
    log: &[StoredEvent],
    except: Option<&str>,
    lang: Lang,
    n: usize,
) -> Vec<Card> {
    let mut out = Vec::new();
    for (i, brand) in engine.search_brands(log, except, n) {
        out.push(card(
            engine,
            lang,
            i,
            0.0,
            tf(lang, Key::SearchedBrand, brand),
        ));
    }
    out
}

/// Up to `n` niche categories to explore with three items each: the storefront's "Interests to
/// explore", or the shop's niches in catalog order with their most popular items when the
/// visitor has no history yet.
pub fn interests(
    engine: &Engine,
    log: &[StoredEvent],
    prefs: &Prefs,
    lang: Lang,
    n: usize,
) -> Vec<Interest> {
    let found = engine.interests(log, &prefs.interests, n, prefs.niche_level());
    if found.is_empty() {
        return engine
            .niche_categories()
            .into_iter()
            .take(n)
            .map(|c| Interest {
                category: c.id.clone(),
                name: c.name.get(lang.code()).to_owned(),
                why: String::new(),
                because: Vec::new(),
                items: engine
                    .popular_picks(log, Some(&c.id), 3)
                    .into_iter()
                    .map(|(i, _)| card(engine, lang, i, 0.0, String::new()))
                    .collect(),
                popular: true,
            })
            .collect();
    }
    found
        .into_iter()
        .map(|i| {
            let mut led = titles(engine, lang, &i.because);
            led.extend(
                i.because_interests
                    .iter()
                    .map(|c| engine.category_name(c, lang.code())),
            );
            let why = if led.is_empty() {
                String::new()
            } else {
                tf(lang, Key::LedBy, &led.join(list_sep(lang)))
            };
            Interest {
                name: engine.category_name(&i.category, lang.code()),
                category: i.category,
                why,
                because: i
                    .because
                    .iter()
                    .map(|&x| engine.catalog.items[x].id.clone())
                    .collect(),
                items: i
                    .items
                    .iter()
                    .map(|&x| card(engine, lang, x, 0.0, String::new()))
                    .collect(),
                popular: false,
            }
        })
        .collect()
}
