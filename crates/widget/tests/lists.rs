//! The widget's lists on the storefront's small test shop: the same ranking as the storefront,
//! explained in both languages, with popular fallbacks for a visitor with no history.

#[path = "../../browser/tests/common/mod.rs"]
mod common;

use tastebud_browser::engine::{Engine, StoredEvent};
use tastebud_browser::i18n::Lang;
use tastebud_browser::storage::Prefs;
use tastebud_core::{EventKind, Rules};
use tastebud_widget::lists::{
    bought_together, brands, interests, items, list, placement, recently_viewed, similar, Card,
    List, Mode,
};

fn engine() -> Engine {
    let (catalog, model) = common::files();
    Engine::load(&catalog, &model).expect("the test shop loads")
}

fn likes(ids: &[String]) -> Vec<StoredEvent> {
    ids.iter()
        .map(|id| StoredEvent::new(id, EventKind::Like, None, 1.0))
        .collect()
}

#[test]
fn items_follow_the_storefront_ranking_and_explain_it() {
    let engine = engine();
    let log = likes(&(0..3).map(|n| common::item_id(0, n)).collect::<Vec<_>>());
    let cards = items(&engine, &log, &Prefs::default(), Lang::En, 4);
    let expected: Vec<String> = engine
        .for_you(&log, &[], 4, 1.0)
        .iter()
        .map(|r| engine.catalog.items[r.item].id.clone())
        .collect();
    assert_eq!(
        cards.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(cards
        .iter()
        .all(|c| !c.popular && !log.iter().any(|e| e.item == c.id)));
    let first = &cards[0];
    assert!(first.why.starts_with("Because you liked"), "{}", first.why);
    assert!(first.because.iter().all(|id| id.starts_with("pour-over-")));
    let zh = items(&engine, &log, &Prefs::default(), Lang::Zh, 4);
    assert!(zh[0].why.starts_with("因为你喜欢"), "{}", zh[0].why);
    assert!(zh[0].title.contains("商品"), "{}", zh[0].title);
}

#[test]
fn a_visitor_with_no_history_gets_popular_items_and_the_shops_niches() {
    let engine = engine();
    let cards = items(&engine, &[], &Prefs::default(), Lang::En, 5);
    assert_eq!(cards.len(), 5);
    assert!(cards
        .iter()
        .all(|c| c.popular && c.why == "Popular in this shop"));
    assert!(cards.windows(2).all(|w| w[0].score >= w[1].score));
    let found = interests(&engine, &[], &Prefs::default(), Lang::En, 2);
    let niches: Vec<&str> = engine
        .niche_categories()
        .iter()
        .take(2)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        found
            .iter()
            .map(|i| i.category.as_str())
            .collect::<Vec<_>>(),
        niches
    );
    assert!(found.iter().all(|i| i.popular && i.items.len() == 3));
}

#[test]
fn interests_say_what_led_there_and_skip_what_was_seen() {
    let engine = engine();
    let log = likes(&(0..3).map(|n| common::item_id(1, n)).collect::<Vec<_>>());
    let found = interests(&engine, &log, &Prefs::default(), Lang::En, 2);
    assert!(!found.is_empty());
    assert!(!found[0].popular);
    assert!(found[0].why.starts_with("Led here by"), "{}", found[0].why);
    for i in &found {
        assert!(i.items.iter().all(|c| !log.iter().any(|e| e.item == c.id)));
    }
}

#[test]
fn picked_interests_from_the_storefront_seed_the_widget() {
    let engine = engine();
    let prefs = Prefs {
        interests: vec!["xc-ski".into()],
        ..Prefs::default()
    };
    let cards = items(&engine, &[], &prefs, Lang::En, 3);
    assert!(cards.iter().all(|c| !c.popular));
    assert!(
        cards[0].why.starts_with("Because you picked"),
        "{}",
        cards[0].why
    );
}

#[test]
fn links_are_safe_and_modes_parse() {
    let (catalog, model) = common::files();
    let engine = Engine::load(&catalog, &model).expect("loads");
    let all = items(&engine, &[], &Prefs::default(), Lang::En, 50);
    assert!(all
        .iter()
        .all(|c| c.url.as_deref().is_none_or(tastebud_core::is_safe_url)));
    assert!(all.iter().filter(|c| c.url.is_some()).count() > 30);
    // An item with a script link never reaches the widget: it is left out, with a warning.
    let bad = catalog.replacen("#/item/pour-over-5", "javascript:alert(1)", 1);
    let engine = Engine::load(&bad, &model).expect("loads without the bad item");
    assert_eq!(engine.warnings().len(), 1);
    assert!(engine.index_of("pour-over-5").is_none());
    assert!(Engine::load(&catalog, &model)
        .unwrap()
        .index_of("pour-over-5")
        .is_some());
    let all = items(&engine, &[], &Prefs::default(), Lang::En, 1000);
    assert!(all
        .iter()
        .all(|c| c.url.as_deref() != Some("javascript:alert(1)")));
    assert_eq!(Mode::from_name("items"), Some(Mode::Items));
    assert_eq!(Mode::from_name(" interests "), Some(Mode::Interests));
    assert_eq!(Mode::from_name("carousel"), None);
}

#[test]
fn similar_leaves_out_the_item_and_the_cart_and_says_what_it_is_like() {
    let engine = engine();
    let item = common::item_id(1, 0);
    let carted = StoredEvent::new(&common::item_id(1, 1), EventKind::AddToCart, None, 2.0);
    let cards = similar(&engine, &[carted], &item, Lang::En, 5);
    assert_eq!(cards.len(), 5);
    assert!(cards
        .iter()
        .all(|c| c.id != item && c.id != common::item_id(1, 1)));
    assert!(cards.iter().all(|c| c.because == [item.clone()]));
    let title = engine.item(&item).unwrap().title.en.clone();
    assert!(cards[0].why.starts_with("Similar to") && cards[0].why.contains(&title));
    // Most of them from the item's own niche.
    let same = cards
        .iter()
        .filter(|c| c.category == engine.item(&item).unwrap().category)
        .count();
    assert!(same >= 3, "{cards:?}");
    assert!(similar(&engine, &[], "no-such-item", Lang::En, 5).is_empty());
}

#[test]
fn recently_viewed_is_newest_first_once_each_without_the_page_item() {
    let engine = engine();
    let view =
        |n: usize, t: f64| StoredEvent::new(&common::item_id(2, n), EventKind::View, None, t);
    let log = vec![view(0, 1.0), view(1, 2.0), view(0, 3.0), view(2, 4.0)];
    let ids: Vec<String> =
        recently_viewed(&engine, &log, Some(&common::item_id(2, 2)), Lang::Zh, 5)
            .into_iter()
            .map(|c| c.id)
            .collect();
    assert_eq!(ids, [common::item_id(2, 0), common::item_id(2, 1)]);
}

/// The test shop with placements, as `tastebud catalog --log` writes them.
fn engine_with_placements() -> Engine {
    let mut catalog = common::catalog();
    let id = common::item_id;
    catalog.trending = vec![id(3, 0), "gone".into(), id(0, 1), id(2, 2), id(1, 1)];
    catalog.members = vec![id(2, 3), id(0, 2)];
    catalog.bought_with = vec![
        vec![],
        vec![id(1, 0), id(1, 1), id(3, 2), id(0, 0)],
        vec![id(2, 0), id(2, 1), id(1, 1)],
    ];
    catalog.search_brands = vec!["Brand3".into(), "NoSuchBrand".into(), "Brand0".into()];
    let model = common::model().to_bytes();
    Engine::load(&serde_json::to_string(&catalog).unwrap(), &model).unwrap()
}

#[test]
fn trending_and_members_follow_the_catalog_without_what_is_owned() {
    let plain = engine();
    let engine = engine_with_placements();
    let id = common::item_id;
    let cart = StoredEvent::new(&id(0, 1), EventKind::AddToCart, None, 1.0);
    let cards = placement(&engine, &[cart], "trending", Some(&id(2, 2)), Lang::En, 5);
    // An id the catalog lacks, the cart's item and the page's item are left out.
    let ids: Vec<&str> = cards.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [id(3, 0), id(1, 1)]);
    assert!(cards.iter().all(|c| c.why == "Popular this week"));
    let members = placement(&engine, &[], "members", None, Lang::Zh, 1);
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].id, id(2, 3));
    assert_eq!(members[0].why, "忠实会员的最爱");
    assert!(placement(&engine, &[], "bestsellers", None, Lang::En, 5).is_empty());
    // A catalog without placements has none.
    assert!(placement(&plain, &[], "trending", None, Lang::En, 5).is_empty());
}

#[test]
fn bought_together_follows_the_item_or_the_cart() {
    let engine = engine_with_placements();
    let id = common::item_id;
    // On an item page: what goes with the item, not the item or what is bought.
    let bought = StoredEvent::new(&id(3, 2), EventKind::Purchase, None, 1.0);
    let cards = bought_together(&engine, &[bought], Some(&id(1, 0)), None, Lang::En, 5);
    let ids: Vec<&str> = cards.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [id(1, 1), id(0, 0)]);
    let title = &engine.item(&id(1, 0)).unwrap().title.en;
    assert_eq!(cards[0].why, format!("Often bought with {title}"));
    assert_eq!(cards[0].because, [id(1, 0)]);
    // Without an item: the cart's items, latest first, each once.
    let cart = |n: usize, t: f64| StoredEvent::new(&id(n, 0), EventKind::AddToCart, None, t);
    let log = vec![cart(1, 1.0), cart(2, 2.0)];
    let ids: Vec<String> = bought_together(&engine, &log, None, None, Lang::En, 5)
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, [id(2, 1), id(1, 1), id(3, 2), id(0, 0)]);
    assert!(bought_together(&engine, &[], None, None, Lang::En, 5).is_empty());
    // The cart on an item page leaves the page's item out.
    let on_page = bought_together(&engine, &log, None, Some(&id(2, 1)), Lang::En, 5);
    assert!(on_page.iter().all(|c| c.id != id(2, 1)), "{on_page:?}");
    assert_eq!(
        Mode::from_name("bought-together"),
        Some(Mode::BoughtTogether)
    );
    assert_eq!(Mode::from_name("cart"), Some(Mode::Cart));
}

#[test]
fn brands_show_each_searched_brands_most_popular_item_the_visitor_may_see() {
    let engine = engine_with_placements();
    let cards = brands(&engine, &[], None, Lang::En, 5);
    // A brand without items is left out; each card is one of its brand's items.
    assert_eq!(cards.len(), 2, "{cards:?}");
    assert_eq!(engine.item(&cards[0].id).unwrap().brand, "Brand3");
    assert_eq!(engine.item(&cards[1].id).unwrap().brand, "Brand0");
    assert_eq!(cards[0].why, "A much-searched brand: Brand3");
    // Bought, it gives way to the brand's next most popular item.
    let bought = StoredEvent::new(&cards[0].id, EventKind::Purchase, None, 1.0);
    let again = brands(&engine, &[bought], None, Lang::Zh, 5);
    // The page's own item is never its brand's card.
    let on_page = brands(&engine, &[], Some(&cards[0].id), Lang::En, 5);
    assert_ne!(on_page[0].id, cards[0].id);
    assert_ne!(again[0].id, cards[0].id);
    assert_eq!(engine.item(&again[0].id).unwrap().brand, "Brand3");
    assert_eq!(again[0].why, "热搜品牌：Brand3");
    assert_eq!(Mode::from_name("brands"), Some(Mode::Brands));
}

/// `lists::list` for a visitor who liked pour-over items 0 to 2, under `rules` (as a page writes
/// them), the ids shown.
fn ruled(
    engine: &Engine,
    chain: &[Mode],
    log: &[StoredEvent],
    rules: &str,
    limit: usize,
) -> Vec<Card> {
    let rules = Rules::parse(rules).expect("the rules read");
    match list(
        engine,
        log,
        &Prefs::default(),
        chain,
        None,
        Lang::En,
        limit,
        rules,
    ) {
        Ok((List::Items(cards), _)) => cards,
        other => panic!("not an item list: {other:?}"),
    }
}

fn id_list(cards: &[Card]) -> Vec<&str> {
    cards.iter().map(|c| c.id.as_str()).collect()
}

#[test]
fn rules_filter_the_whole_ranking_and_keep_the_list_full() {
    let engine = engine();
    let log = likes(&(0..3).map(|n| common::item_id(0, n)).collect::<Vec<_>>());
    let everything = ruled(&engine, &[Mode::Items], &log, "", 100);
    // The visitor's own pour-over items rank first; asked for skiing only, the list reaches past
    // them, as far down the ranking as it takes, and is full.
    let skiing = ruled(
        &engine,
        &[Mode::Items],
        &log,
        "include-categories=xc-ski",
        6,
    );
    assert_eq!(skiing.len(), 6, "{:?}", id_list(&skiing));
    assert!(skiing.iter().all(|c| c.category == "xc-ski"));
    // In the order of the plain ranking, each card as it was there, explanation and all.
    let plain: Vec<&Card> = everything
        .iter()
        .filter(|c| c.category == "xc-ski")
        .take(6)
        .collect();
    assert_eq!(skiing.iter().collect::<Vec<_>>(), plain);
    // Prices, brands and tags; the list is as long as what passes allows.
    let cheap = ruled(
        &engine,
        &[Mode::Items],
        &log,
        "price-min=11\nprice-max=12.5\nexclude-brands=Brand3\nexclude-tags=ul-camp",
        50,
    );
    let allowed: Vec<&str> = everything
        .iter()
        .filter(|c| {
            (11.0..=12.5).contains(&c.price) && !matches!(c.category.as_str(), "basics" | "ul-camp")
        })
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(id_list(&cheap), allowed);
    // Skiing items 1 and 2: the pour-over ones are the visitor's, the rest too dear or left out.
    assert_eq!(id_list(&cheap), ["xc-ski-1", "xc-ski-2"]);
    // Excluded ids never show, and what stays keeps the order the list has without rules (a
    // re-ranked list's order depends on its length, so the rules do not lengthen it).
    let five = ruled(&engine, &[Mode::Items], &log, "", 5);
    let without = ruled(
        &engine,
        &[Mode::Items],
        &log,
        &format!("exclude={}", five[0].id),
        5,
    );
    assert_eq!(id_list(&without)[..4], id_list(&five)[1..]);
    assert!(!id_list(&without).contains(&five[0].id.as_str()));
    assert_eq!(without.len(), 5);
    // A rule that excludes nothing changes nothing.
    let same = ruled(&engine, &[Mode::Items], &log, "exclude=no-such-item", 5);
    assert_eq!(same, five);
    // A rule no item passes empties the list; it is not an error.
    assert!(ruled(&engine, &[Mode::Items], &log, "include-brands=Nobody", 5).is_empty());
}

#[test]
fn boosts_reorder_and_pins_sit_where_asked_without_breaking_explanations() {
    let engine = engine();
    let log = likes(&(0..3).map(|n| common::item_id(0, n)).collect::<Vec<_>>());
    let everything = ruled(&engine, &[Mode::Items], &log, "", 100);
    // Everyday basics rank last for a coffee lover; a large boost brings them first, in their
    // own order, each with the explanation it had.
    let boosted = ruled(
        &engine,
        &[Mode::Items],
        &log,
        "boost=category:basics=1000",
        3,
    );
    let basics: Vec<&Card> = everything
        .iter()
        .filter(|c| c.category == "basics")
        .take(3)
        .collect();
    assert_eq!(boosted.iter().collect::<Vec<_>>(), basics);
    // A bury below 1 pushes the visitor's favourite niche down.
    let buried = ruled(&engine, &[Mode::Items], &log, "boost=tag:pour-over=0.01", 5);
    assert!(
        buried.iter().all(|c| c.category != "pour-over"),
        "{:?}",
        id_list(&buried)
    );
    // Pins: at their positions (counted from 1), the others in ranked order around them.
    let pinned = ruled(
        &engine,
        &[Mode::Items],
        &log,
        "pin=basics-4@1, xc-ski-2@3",
        5,
    );
    assert_eq!(pinned[0].id, "basics-4");
    assert_eq!(pinned[2].id, "xc-ski-2");
    let rest: Vec<&str> = everything
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !["basics-4", "xc-ski-2"].contains(id))
        .take(3)
        .collect();
    assert_eq!(
        vec![
            pinned[1].id.as_str(),
            pinned[3].id.as_str(),
            pinned[4].id.as_str()
        ],
        rest
    );
    // A pin the ranking had keeps its explanation; one from outside the list says the shop put
    // it there.
    let viewed = vec![StoredEvent::new(
        &common::item_id(2, 5),
        EventKind::View,
        None,
        1.0,
    )];
    let recent = ruled(
        &engine,
        &[Mode::RecentlyViewed],
        &viewed,
        "pin=basics-1@1",
        5,
    );
    assert_eq!(id_list(&recent), ["basics-1", "xc-ski-5"]);
    assert_eq!(recent[0].why, "Featured by the shop");
    assert_eq!(recent[1].why, "You looked at this");
    // Pins obey the filters, and never bring back what the visitor dismissed or bought.
    let mut owned = log.clone();
    owned.push(StoredEvent::new("basics-2", EventKind::Purchase, None, 2.0));
    owned.push(StoredEvent::new("basics-3", EventKind::Dismiss, None, 3.0));
    let kept_out = ruled(
        &engine,
        &[Mode::Items],
        &owned,
        "pin=basics-2@1, basics-3@2, basics-4@3\nprice-max=13",
        5,
    );
    assert!(!id_list(&kept_out).contains(&"basics-2") && !id_list(&kept_out).contains(&"basics-3"));
    assert!(
        !id_list(&kept_out).contains(&"basics-4"),
        "basics-4 costs 14"
    );
    assert!(kept_out.iter().all(|c| c.price <= 13.0));
}
