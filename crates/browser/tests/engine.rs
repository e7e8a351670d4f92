//! The browser engine's lists, natively: for you, interests, search, the shop's lists, and bad input.

mod common;

use tastebud_browser::engine::{Engine, StoredEvent};
use tastebud_core::EventKind;

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
    let recs = e.for_you(&log, &[], 6, 1.0);
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
    let interests = e.interests(&log, &[], 3, 1.0);
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
    let top = e.for_you(&log, &[], 1, 1.0)[0].item;
    let top_id = e.catalog.items[top].id.clone();
    log.push(StoredEvent::new(
        &top_id,
        EventKind::Dismiss,
        None,
        1_700_000_100.0,
    ));
    assert!(e.for_you(&log, &[], 30, 1.0).iter().all(|r| r.item != top));
    assert!(e
        .interests(&log, &[], 5, 1.0)
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
    // Plain ranking: the picked category's centroid ranks its own items first.
    let recs = e.for_you(&[], &["xc-ski".to_string()], 5, 0.0);
    assert_eq!(recs.len(), 5);
    assert!(
        recs.iter().all(|r| category(&e, r.item) == "xc-ski"),
        "{recs:?}"
    );
    assert!(recs
        .iter()
        .all(|r| r.because.is_empty() && r.because_interests == ["xc-ski"]));
    // Discovery keeps the interest on top and explains every pick by it.
    let recs = e.for_you(&[], &["xc-ski".to_string()], 5, 1.0);
    assert_eq!(category(&e, recs[0].item), "xc-ski");
    assert!(
        recs.iter().all(|r| r.because_interests == ["xc-ski"]),
        "{recs:?}"
    );
    assert!(
        e.for_you(&[], &[], 5, 1.0).is_empty(),
        "no history, no interests: nothing to say yet"
    );
}

#[test]
fn an_item_new_since_training_is_recommended_from_its_category_and_brand() {
    let e = engine();
    assert_eq!(e.cold_items(), 1);
    let log: Vec<_> = (0..3).map(|n| like(&common::item_id(1, n))).collect();
    let new = e.index_of("ul-camp-new").unwrap();
    let recs = e.for_you(&log, &[], 10, 0.0);
    let at = recs.iter().position(|r| r.item == new);
    assert!(at.is_some(), "{recs:?}");
    assert!(
        !recs[at.unwrap()].because.is_empty(),
        "it is explained like any other item"
    );
    // Liking it moves the visitor like any other like would, and it is not recommended again.
    let mut log2 = log.clone();
    log2.push(like("ul-camp-new"));
    assert!(e.for_you(&log2, &[], 10, 0.0).iter().all(|r| r.item != new));
    assert!(!e.similar("ul-camp-new", &[], 5).is_empty());
}

#[test]
fn the_niche_setting_moves_recommendations_toward_the_tail() {
    let e = engine();
    let log: Vec<_> = (0..3).map(|n| like(&common::item_id(1, n))).collect();
    let pop = |recs: &[tastebud_browser::engine::Recommendation]| -> f64 {
        recs.iter()
            .map(|r| {
                let id = &e.catalog.items[r.item].id;
                e.model
                    .item_index(id)
                    .map_or(0, |i| e.model.popularity()[i as usize]) as f64
            })
            .sum::<f64>()
            / recs.len() as f64
    };
    let familiar = e.for_you(&log, &[], 8, 0.0);
    let niche = e.for_you(&log, &[], 8, 2.0);
    assert!(
        pop(&niche) < pop(&familiar),
        "{} vs {}",
        pop(&niche),
        pop(&familiar)
    );
}

#[test]
fn search_matches_english_chinese_and_tags() {
    let e = engine();
    let en = e.search("ultralight ITEM 3", 10);
    assert_eq!(e.catalog.items[en[0]].id, common::item_id(1, 3));
    let zh = e.search("越野滑雪", 50);
    assert_eq!(zh.len(), common::PER_CATEGORY);
    assert_eq!(
        e.search("items", 100).len(),
        e.search("item", 100).len(),
        "plurals find singulars"
    );
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
    c.items.remove(0);
    let e = Engine::load(&serde_json::to_string(&c).unwrap(), &model)
        .err()
        .unwrap();
    assert!(e.contains("do not match"), "{e}");
    let e = Engine::load(&catalog, &model[..100]).err().unwrap();
    assert!(e.contains("truncated or corrupt"), "{e}");
}

#[test]
fn a_bad_catalog_item_is_left_out_with_a_warning_and_never_shown() {
    let (_, model) = common::files();
    let mut c = common::catalog();
    let evil = c.items[0].id.clone();
    let long = c.items[1].id.clone();
    c.items[0].url = Some("javascript:alert(document.cookie)".into());
    c.items[1].title.en = "\u{202e}".repeat(3000);
    let e = Engine::load(&serde_json::to_string(&c).unwrap(), &model).unwrap();
    assert_eq!(e.warnings().len(), 2, "{:?}", e.warnings());
    assert!(e.warnings()[0].contains("is not relative or http(s)"));
    assert!(e.warnings()[1].contains("longer than 4096 bytes"));
    assert!(e.index_of(&evil).is_none() && e.index_of(&long).is_none());
    let shown_ids = |items: Vec<usize>| -> Vec<String> {
        items
            .into_iter()
            .map(|i| e.catalog.items[i].id.clone())
            .collect()
    };
    // Items of the same category as the left-out ones: the model ranks those high.
    let log: Vec<StoredEvent> = (2..6).map(|j| like(&e.catalog.items[j].id)).collect();
    let mut shown = shown_ids(
        e.for_you(&log, &[], 50, 0.0)
            .iter()
            .map(|r| r.item)
            .collect(),
    );
    shown.extend(shown_ids(e.similar(&e.catalog.items[2].id, &[], 50)));
    shown.extend(shown_ids(
        e.popular_picks(&[], None, 1000)
            .iter()
            .map(|p| p.0)
            .collect(),
    ));
    for i in e.interests(&log, &[], 10, 0.0) {
        shown.extend(shown_ids(i.items));
    }
    assert!(shown.len() > 50);
    assert!(!shown.contains(&evil) && !shown.contains(&long));
    // A model that has items the catalog neither lists nor left out still does not match.
    let mut c = common::catalog();
    c.items[0].url = Some("javascript:x".into());
    c.items.remove(1);
    let err = Engine::load(&serde_json::to_string(&c).unwrap(), &model)
        .err()
        .unwrap();
    assert!(err.contains("do not match"), "{err}");
}

#[test]
fn an_out_of_stock_item_is_never_recommended_but_can_be_browsed() {
    let (_, model) = common::files();
    let mut c = common::catalog();
    // The most popular item, and another of the niche the visitor likes.
    let gone = vec![c.items[0].id.clone(), c.items[5].id.clone()];
    for item in c.items.iter_mut().filter(|i| gone.contains(&i.id)) {
        item.availability = tastebud_core::Availability::OutOfStock;
    }
    c.items[6].availability = tastebud_core::Availability::Backorder;
    let e = Engine::load(&serde_json::to_string(&c).unwrap(), &model).unwrap();
    let ids = |items: Vec<usize>| -> Vec<String> {
        items
            .into_iter()
            .map(|i| e.catalog.items[i].id.clone())
            .collect()
    };
    let log: Vec<StoredEvent> = (1..4).map(|j| like(&e.catalog.items[j].id)).collect();
    let mut shown = ids(e
        .for_you(&log, &[], 50, 0.0)
        .iter()
        .map(|r| r.item)
        .collect());
    shown.extend(ids(e.similar(&e.catalog.items[1].id, &[], 50)));
    shown.extend(ids(e
        .popular_picks(&[], None, 1000)
        .iter()
        .map(|p| p.0)
        .collect()));
    shown.extend(ids(e.top_rated(1000, &[])));
    for (_, picks) in e.creator_picks(&[]) {
        shown.extend(ids(picks));
    }
    for i in e.interests(&log, &[], 10, 0.0) {
        shown.extend(ids(i.items));
    }
    assert!(shown.len() > 50);
    assert!(gone.iter().all(|g| !shown.contains(g)), "{gone:?} shown");
    // A backorder can be bought, so it shows; browsing and search still list everything.
    assert!(shown.contains(&c.items[6].id));
    let category = c.items[5].category.clone();
    assert!(ids(e.items_in(&category, &[])).contains(&gone[1]));
}

#[test]
fn trending_searches_leave_out_long_and_control_character_terms() {
    let (_, model) = common::files();
    let mut c = common::catalog();
    let searches = &mut c.shop_data.searches;
    searches.insert("x".repeat(65), 1000);
    searches.insert("bell\u{7}".into(), 999);
    searches.insert("é".repeat(64), 998);
    let e = Engine::load(&serde_json::to_string(&c).unwrap(), &model).unwrap();
    let top = e.trending_searches(3);
    assert_eq!(top[0], ("é".repeat(64), 998));
    assert!(top
        .iter()
        .all(|(q, _)| q.chars().count() <= 64 && !q.contains('\u{7}')));
}

#[test]
fn explanations_name_what_the_visitor_did_with_the_item() {
    let e = engine();
    let event =
        |n: usize, kind| StoredEvent::new(&common::item_id(1, n), kind, None, 1_700_000_000.0);
    let viewed: Vec<_> = (0..3).map(|n| event(n, EventKind::View)).collect();
    let recs = e.for_you(&viewed, &[], 3, 0.0);
    assert!(
        recs.iter().all(|r| r.because_kind == Some(EventKind::View)),
        "{recs:?}"
    );
    // A purchase outranks the view of the same item.
    let mut bought = viewed.clone();
    bought.extend((0..3).map(|n| event(n, EventKind::Purchase)));
    let recs = e.for_you(&bought, &[], 3, 0.0);
    assert!(
        recs.iter()
            .all(|r| r.because_kind == Some(EventKind::Purchase)),
        "{recs:?}"
    );
}

#[test]
fn a_picked_interest_is_not_its_own_reason() {
    let e = engine();
    let picked = ["xc-ski".to_string(), "ul-camp".to_string()];
    for i in e.interests(&[], &picked, 4, 1.0) {
        assert!(!i.because_interests.contains(&i.category), "{i:?}");
    }
}

#[test]
fn a_visitor_with_nothing_to_go_on_gets_the_popular_items_they_have_not_seen() {
    let e = engine();
    assert!(e.for_you(&[], &[], 6, 1.0).is_empty());
    let picks = e.popular_picks(&[], None, 6);
    assert_eq!(picks.len(), 6);
    let pop = |i: usize| {
        let id = &e.catalog.items[i].id;
        e.model
            .item_index(id)
            .map_or(0, |m| e.model.popularity()[m as usize])
    };
    assert!(
        picks.windows(2).all(|w| pop(w[0].0) >= pop(w[1].0)),
        "{picks:?}"
    );
    assert_eq!(picks[0].1, 1.0);
    // Touched and dismissed items are never offered; a category narrows the list.
    let top = e.catalog.items[picks[0].0].id.clone();
    let second = e.catalog.items[picks[1].0].id.clone();
    let log = vec![
        StoredEvent::new(&top, EventKind::View, None, 1_700_000_000.0),
        StoredEvent::new(&second, EventKind::Dismiss, None, 1_700_000_001.0),
    ];
    let after: Vec<usize> = e.popular_picks(&log, None, 6).iter().map(|p| p.0).collect();
    assert!(!after.contains(&picks[0].0) && !after.contains(&picks[1].0));
    assert_eq!(
        after[..4],
        picks[2..].iter().map(|p| p.0).collect::<Vec<_>>()[..]
    );
    let coffee = e.popular_picks(&[], Some("pour-over"), 20);
    assert_eq!(coffee.len(), common::PER_CATEGORY);
    assert!(coffee.iter().all(|&(i, _)| category(&e, i) == "pour-over"));
}

#[test]
fn the_niche_control_spans_a_calibrated_models_measured_range() {
    let (catalog, model) = common::files();
    let direction = tastebud_core::RerankParams::preset("discovery").unwrap();
    // Not calibrated: the control scales the fixed preset, 1 is the preset.
    let e = Engine::load(&catalog, &model).unwrap();
    assert_eq!(e.niche_params(1.0), direction);
    assert_eq!(e.niche_params(2.0), direction.scaled(2.0));
    // Calibrated: 1 is the strongest strength keeping 0.92x, 2 the strongest measured.
    let mut m = tastebud_core::Model::from_bytes(&model).unwrap();
    m.set_calibration(Some(tastebud_core::Calibration {
        strengths: vec![0.0, 0.25, 0.5, 1.5],
        ndcg_ratio: vec![1.0, 0.98, 0.93, 0.6],
        tail_share: vec![0.0, 0.1, 0.2, 0.5],
        category_coverage: vec![0.5, 0.6, 0.7, 0.9],
    }))
    .unwrap();
    let e = Engine::load(&catalog, &m.to_bytes()).unwrap();
    assert!(e.niche_params(0.0).is_plain());
    assert_eq!(e.niche_params(0.5), direction.scaled(0.25));
    assert_eq!(e.niche_params(1.0), direction.scaled(0.5));
    assert_eq!(e.niche_params(2.0), direction.scaled(1.5));
    assert_eq!(e.niche_params(f32::NAN), direction.scaled(0.5));
}

/// A model's item-item part joins the storefront's ranking and its explanations: a history item
/// whose item-item weight pushes an item from another category brings that item to the top,
/// because of that history item.
#[test]
fn the_item_item_model_ranks_and_explains_in_the_storefront() {
    let (catalog, model) = common::files();
    let (_, blended, liked, pushed) = common::files_with_item_item();
    let log = [like(&liked)];
    let plain = Engine::load(&catalog, &model).unwrap();
    let before = plain.for_you(&log, &[], 3, 0.0);
    assert!(before
        .iter()
        .all(|r| r.item != plain.index_of(&pushed).unwrap()));
    let e = Engine::load(&catalog, &blended).unwrap();
    let recs = e.for_you(&log, &[], 3, 0.0);
    assert_eq!(recs[0].item, e.index_of(&pushed).unwrap(), "{recs:?}");
    assert_eq!(recs[0].because, vec![e.index_of(&liked).unwrap()]);
    // Another visitor is untouched.
    let other = [like(&common::item_id(2, 0))];
    assert_eq!(
        e.for_you(&other, &[], 3, 0.0)
            .iter()
            .map(|r| r.item)
            .collect::<Vec<_>>(),
        plain
            .for_you(&other, &[], 3, 0.0)
            .iter()
            .map(|r| r.item)
            .collect::<Vec<_>>()
    );
}

/// A model's transition model reads the visitor's latest item: what came after it in training
/// leads "For you", because of it, and what came after an older item does not.
#[test]
fn the_latest_item_leads_for_you_through_the_transition_model() {
    let (catalog, blended, [(first, after_first), (second, after_second)]) =
        common::files_with_transitions();
    let e = Engine::load(&catalog, &blended).unwrap();
    let at = |id: &str| e.index_of(id).unwrap();
    let log = [like(&first), like(&second)];
    let recs = e.for_you(&log, &[], 3, 0.0);
    assert_eq!(recs[0].item, at(&after_second), "{recs:?}");
    assert_eq!(recs[0].because[0], at(&second), "{recs:?}");
    assert!(recs.iter().all(|r| r.item != at(&after_first)), "{recs:?}");
    // The other order puts the other next item first.
    let log = [like(&second), like(&first)];
    let recs = e.for_you(&log, &[], 3, 0.0);
    assert_eq!(recs[0].item, at(&after_first), "{recs:?}");
    assert_eq!(recs[0].because[0], at(&first), "{recs:?}");
    // A dismissed latest item is not read.
    let mut log = vec![like(&second), like(&first)];
    log.push(StoredEvent::new(
        &first,
        EventKind::Dismiss,
        None,
        1_700_000_000.0,
    ));
    let recs = e.for_you(&log, &[], 3, 0.0);
    assert_ne!(recs[0].item, at(&after_first), "{recs:?}");
}

/// A publication read in full (`tastebud_core::Reading`), as the widget reads one. Publishing is
/// native only.
#[cfg(not(target_arch = "wasm32"))]
fn published(strict_items: usize) -> (tastebud_core::Loaded, Vec<(String, Vec<u8>)>) {
    use tastebud_core::{publish, Privacy, PublishOptions, Reading};
    let p = publish(
        &common::catalog(),
        &common::model(),
        &PublishOptions {
            shards: Some(4),
            strict_items,
            ..PublishOptions::default()
        },
    )
    .unwrap();
    let files: std::collections::HashMap<_, _> = p.files.iter().cloned().collect();
    let mut reading = Reading::new(p.manifest.clone(), Privacy::Strict, &[]).unwrap();
    loop {
        let wants = reading.wants();
        if wants.is_empty() {
            break;
        }
        for f in wants {
            reading.give(&f.file, files[&f.file].clone()).unwrap();
        }
    }
    (reading.finish().unwrap(), p.files)
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_publication_read_in_full_ranks_and_explains_as_the_whole_files_do() {
    let (loaded, files) = published(usize::MAX);
    let whole = engine();
    let mut e = Engine::from_published(loaded.clone());
    let log: Vec<_> = (0..3).map(|n| like(&common::item_id(1, n))).collect();
    let ids = |e: &Engine,
               recs: &[tastebud_browser::engine::Recommendation]|
     -> Vec<(String, Vec<String>)> {
        recs.iter()
            .map(|r| {
                let because = r
                    .because
                    .iter()
                    .map(|&b| e.catalog.items[b].id.clone())
                    .collect();
                (e.catalog.items[r.item].id.clone(), because)
            })
            .collect()
    };
    let recs = e.for_you(&log, &[], 6, 1.0);
    assert_eq!(
        ids(&e, &recs),
        ids(&whole, &whole.for_you(&log, &[], 6, 1.0))
    );
    // Categories come from the column files, so interests match before any record arrives.
    let cats = |e: &Engine| -> Vec<String> {
        e.interests(&log, &[], 3, 1.0)
            .into_iter()
            .map(|i| i.category)
            .collect()
    };
    assert_eq!(cats(&e), cats(&whole));
    // The shown items and their reasons need records; the pages hold them.
    let shown: Vec<usize> = recs
        .iter()
        .flat_map(|r| std::iter::once(r.item).chain(r.because.iter().copied()))
        .collect();
    let missing = e.unfilled(shown.iter().copied());
    assert!(!missing.is_empty());
    assert!(shown
        .iter()
        .any(|&c| e.catalog.items[c].title.en.is_empty()));
    let files: std::collections::HashMap<_, _> = files.into_iter().collect();
    for page in loaded.pages_for(&missing) {
        for (i, record) in loaded.page_records(page, &files[&page.file]).unwrap() {
            e.fill(i, record).unwrap();
        }
    }
    assert!(e.unfilled(shown.iter().copied()).is_empty());
    let top = &e.catalog.items[recs[0].item];
    assert_eq!(Some(top), whole.item(&top.id));
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_published_record_that_does_not_fit_is_refused_or_left_out() {
    let (loaded, _) = published(usize::MAX);
    let mut e = Engine::from_published(loaded);
    let catalog = common::catalog();
    let id = common::item_id(1, 0);
    let item = e.model.item_index(&id).unwrap();
    let mut record = catalog.items.iter().find(|i| i.id == id).unwrap().clone();
    // Another item's record in its place: another publication's page.
    let mut other = record.clone();
    other.id = common::item_id(1, 1);
    assert!(e
        .fill(item, other)
        .unwrap_err()
        .contains("different publications"));
    // A hostile link: the item is never shown, with a warning.
    record.url = Some("javascript:alert(1)".into());
    e.fill(item, record).unwrap();
    assert!(
        e.warnings().iter().any(|w| w.contains(&id)),
        "{:?}",
        e.warnings()
    );
    let log = vec![like(&common::item_id(1, 1))];
    let recs = e.for_you(&log, &[], 20, 0.0);
    assert!(recs.iter().all(|r| e.catalog.items[r.item].id != id));
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_publications_new_items_are_checked_like_a_catalogs() {
    let (mut loaded, _) = published(usize::MAX);
    let template = common::catalog().items[0].clone();
    let mut hostile = template.clone();
    hostile.id = "new-hostile".into();
    hostile.url = Some("javascript:alert(1)".into());
    let mut twin = template.clone();
    twin.id = common::item_id(1, 0);
    let mut fine = template;
    fine.id = "new-fine".into();
    loaded.head.catalog.items = vec![hostile, twin, fine];
    let e = Engine::from_published(loaded);
    let warnings = e.warnings().join("\n");
    assert!(warnings.contains("new-hostile"), "{warnings}");
    assert!(warnings.contains("also a ranked item"), "{warnings}");
    assert!(e.item("new-hostile").is_none());
    assert!(e.item("new-fine").is_some());
    assert_eq!(e.cold_items(), 1);
}

#[test]
fn the_shops_rules_come_from_the_catalog_and_shape_each_placement() {
    let (catalog, model) = common::files();
    let mut e = Engine::load(&catalog, &model).unwrap();
    // The catalog's `rules` object: one placement's rules, and one placement's that cannot be read.
    let mut json: serde_json::Value = serde_json::from_str(&catalog).unwrap();
    json["rules"] = serde_json::json!({
        "items": "exclude-categories=xc-ski\npin=basics-3@1",
        "similar": "boost=brand:Acme=zero",
    });
    let warnings = e.set_placement_rules(&json.to_string());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("placement similar"), "{warnings:?}");
    assert!(e.rules_for("similar").is_none() && e.rules_for("items").is_some());
    let log: Vec<_> = (0..3).map(|n| like(&common::item_id(2, n))).collect();
    let rank = |n: usize| -> Vec<usize> {
        e.for_you(&log, &[], n, 0.0)
            .iter()
            .map(|r| r.item)
            .collect()
    };
    let plain = rank(40);
    // A skiing fan's list, without skiing: the pin first, then the rest in ranked order.
    let ruled = e.ruled_list("items", &log, None, 6, &mut |n| rank(n));
    let basics3 = e.index_of("basics-3").unwrap();
    assert_eq!(ruled[0], (basics3, !plain[..].contains(&basics3)));
    let rest: Vec<usize> = plain
        .iter()
        .copied()
        .filter(|&i| category(&e, i) != "xc-ski" && i != basics3)
        .take(5)
        .collect();
    assert_eq!(ruled[1..].iter().map(|&(i, _)| i).collect::<Vec<_>>(), rest);
    assert!(ruled[1..].iter().all(|&(_, featured)| !featured));
    // A placement without rules is its ranking as it is; so is every placement of a catalog
    // without them.
    assert_eq!(
        e.ruled_list("trending", &log, None, 6, &mut |n| rank(n)),
        rank(6).into_iter().map(|i| (i, false)).collect::<Vec<_>>()
    );
    assert!(e.set_placement_rules(&catalog).is_empty());
    assert!(e.rules_for("items").is_none());
    // A catalog that is not JSON says so, and leaves no rules.
    assert_eq!(e.set_placement_rules("{").len(), 1);
}
