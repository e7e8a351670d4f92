//! The storefront's lists, natively: for you, interests, search, the shop's lists, and bad input.

mod common;

use tastebud_core::EventKind;
use tastebud_web::engine::{Engine, StoredEvent};

fn engine() -> Engine {
    let (catalog, model) = common::files();
    Engine::load(&catalog, &model).unwrap()
}

fn like(id: &str) -> StoredEvent {
    StoredEvent::new(id, EventKind::Like, None, 1_700_000_000.0)
}

fn category(e: &Engine, i: usize) -> &str {
    &e.catalog.items[i].category
}

#[test]
fn liking_three_items_of_a_niche_shows_that_niche_with_reasons() {
    let e = engine();
    let log: Vec<_> = (0..3).map(|n| like(&common::item_id(1, n))).collect();
    let recs = e.for_you(&log, &[], 6);
    assert_eq!(recs.len(), 6);
    let in_niche = recs
        .iter()
        .filter(|r| category(&e, r.item) == "ul-camp")
        .count();
    assert!(in_niche >= 5, "{recs:?}");
    let liked: Vec<usize> = (0..3)
        .map(|n| e.index_of(&common::item_id(1, n)).unwrap())
        .collect();
    assert!(recs[0].because.iter().all(|b| liked.contains(b)) && !recs[0].because.is_empty());
    assert!(
        recs.iter().all(|r| !liked.contains(&r.item)),
        "liked items are not recommended again"
    );
    let interests = e.interests(&log, &[], 3);
    assert_eq!(interests[0].category, "ul-camp");
    assert!(interests[0].because.iter().all(|b| liked.contains(b)));
    assert!(
        interests.iter().all(|i| i.category != "basics"),
        "only niches are suggested"
    );
}

#[test]
fn a_dismissed_item_disappears_everywhere() {
    let e = engine();
    let mut log: Vec<_> = (0..3).map(|n| like(&common::item_id(1, n))).collect();
    let top = e.for_you(&log, &[], 1)[0].item;
    let top_id = e.catalog.items[top].id.clone();
    log.push(StoredEvent::new(
        &top_id,
        EventKind::Dismiss,
        None,
        1_700_000_100.0,
    ));
    assert!(e.for_you(&log, &[], 30).iter().all(|r| r.item != top));
    assert!(e
        .interests(&log, &[], 5)
        .iter()
        .all(|i| !i.items.contains(&top)));
    let hidden = e.dismissed(&log);
    assert_eq!(hidden, vec![top]);
    assert!(!e.items_in("ul-camp", &hidden).contains(&top));
    assert!(!e.similar(&common::item_id(1, 0), &log, 30).contains(&top));
}

#[test]
fn onboarding_interests_seed_recommendations_and_explain_them() {
    let e = engine();
    let recs = e.for_you(&[], &["xc-ski".to_string()], 5);
    assert!(!recs.is_empty());
    assert!(
        recs.iter().all(|r| category(&e, r.item) == "xc-ski"),
        "{recs:?}"
    );
    assert!(recs
        .iter()
        .all(|r| r.because.is_empty() && r.because_interests == ["xc-ski"]));
    assert!(
        e.for_you(&[], &[], 5).is_empty(),
        "no history, no interests: nothing to say yet"
    );
}

#[test]
fn search_matches_english_chinese_and_tags() {
    let e = engine();
    let en = e.search("ultralight ITEM 3", 10);
    assert_eq!(e.catalog.items[en[0]].id, common::item_id(1, 3));
    let zh = e.search("越野滑雪", 50);
    assert_eq!(zh.len(), common::PER_CATEGORY);
    assert!(e.search("   ", 10).is_empty());
    assert!(e.search("no-such-thing", 10).is_empty());
}

#[test]
fn shop_lists_come_from_the_aggregates() {
    let e = engine();
    // Thirty ratings averaging 4.7 beat a single 5-star rating once both are pulled toward the
    // shop's mean (4.04) with the weight of 5 ratings.
    let top = e.top_rated(2, &[]);
    assert_eq!(e.catalog.items[top[0]].id, common::item_id(1, 2));
    assert_eq!(e.trending_searches(5)[0], ("pour over".to_string(), 12));
    let picks = e.creator_picks(&[]);
    assert_eq!(picks[0].0, "Mia");
    assert_eq!(picks[0].1.len(), 2);
}

#[test]
fn bad_catalogs_and_mismatched_models_are_clear_errors() {
    let (catalog, model) = common::files();
    let e = Engine::load("{\"version\": 1", &model).err().unwrap();
    assert!(
        e.starts_with("the catalog is not valid catalog JSON"),
        "{e}"
    );
    let mut c = common::catalog();
    c.items[0].url = Some("javascript:alert(document.cookie)".into());
    let e = Engine::load(&serde_json::to_string(&c).unwrap(), &model)
        .err()
        .unwrap();
    assert!(e.contains("is not relative or http(s)"), "{e}");
    let mut c = common::catalog();
    c.items.remove(0);
    let e = Engine::load(&serde_json::to_string(&c).unwrap(), &model)
        .err()
        .unwrap();
    assert!(e.contains("do not match"), "{e}");
    let e = Engine::load(&catalog, &model[..100]).err().unwrap();
    assert!(e.contains("truncated or corrupt"), "{e}");
}
