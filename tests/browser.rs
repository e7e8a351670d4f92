//! Browser tier, in headless Chromium (wasm-bindgen-test): the storage recovery paths against the
//! real localStorage, and the real app mounted on a small shop.
#![cfg(target_arch = "wasm32")]

#[path = "../crates/browser/tests/common/mod.rs"]
mod common;

use std::rc::Rc;
use std::time::Duration;

use tastebud_browser::engine::{Engine, StoredEvent};
use tastebud_browser::storage::{self, Health, Prefs, LOG_KEY, PREFS_KEY, SET_ASIDE_KEY};
use tastebud_core::EventKind;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn local() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn clear() {
    local().clear().unwrap();
}

/// Now, in Unix seconds: stored events older than the retention (13 months) are dropped on load.
fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}

#[wasm_bindgen_test]
fn damaged_log_lines_are_set_aside_and_the_rest_kept() {
    clear();
    let good = storage::serialize_log(&[
        StoredEvent::new("a", EventKind::Like, None, now().floor()),
        StoredEvent::new("b", EventKind::View, None, now().floor()),
    ]);
    let damaged = format!("{good}{{\"item\":\"c\",\"ki\n<img src=x onerror=alert(1)>\n");
    local().set_item(LOG_KEY, &damaged).unwrap();
    local().set_item(PREFS_KEY, "{\"lang\":").unwrap();

    let (loaded, health) = storage::load();
    assert_eq!(health, Health::Ok);
    assert_eq!(loaded.log.len(), 2);
    assert_eq!(loaded.newly_set_aside, 3);
    // The damaged entries moved aside verbatim; the log key now holds only what was readable.
    let aside = local().get_item(SET_ASIDE_KEY).unwrap().unwrap();
    assert!(
        aside.contains("onerror") && aside.contains("{\\\"lang\\\":"),
        "{aside}"
    );
    assert_eq!(local().get_item(LOG_KEY).unwrap().unwrap(), good);
    assert_eq!(local().get_item(PREFS_KEY).unwrap(), None);
    // A second load finds nothing new to set aside and keeps what was set aside before.
    let (again, _) = storage::load();
    assert_eq!(again.newly_set_aside, 0);
    assert_eq!(again.set_aside.len(), 3);
    clear();
}

/// Two tabs share localStorage: each event is recorded against the log as stored now, so one
/// tab's events survive the other's, and an erase elsewhere stays erased.
#[wasm_bindgen_test]
fn recording_merges_with_other_tabs_and_never_undoes_an_erase() {
    clear();
    let t0 = now().floor();
    let like = |item: &str, at: f64| StoredEvent::new(item, EventKind::Like, None, t0 + at);
    let (log, health) = storage::record(like("a1", 1.0));
    assert_eq!((log.len(), health), (1, Some(Health::Ok)));
    // Another tab records b1 in between (it writes the log as it stored it).
    let other = storage::serialize_log(&[like("a1", 1.0), like("b1", 2.0)]);
    local().set_item(LOG_KEY, &other).unwrap();
    let (log, _) = storage::record(like("a2", 3.0));
    let items: Vec<&str> = log.iter().map(|e| e.item.as_str()).collect();
    assert_eq!(items, ["a1", "b1", "a2"]);
    let stored = storage::parse_log(&local().get_item(LOG_KEY).unwrap().unwrap()).0;
    assert_eq!(stored, log);
    // The other tab erases everything; this tab's next event does not bring the rest back.
    local().clear().unwrap();
    let (log, _) = storage::record(like("a3", 4.0));
    assert_eq!(log.len(), 1);
    assert_eq!(storage::current().0, log);
    // Settings are written on their own and leave the log alone.
    let prefs = Prefs {
        onboarded: true,
        ..Prefs::default()
    };
    assert_eq!(storage::save_prefs(&prefs), Some(Health::Ok));
    assert_eq!(storage::current(), (log, prefs));
    clear();
}

/// Under `required`, nothing is read or written before consent; consent stores the visit so far,
/// withdrawal erases everything; and events past the retention are dropped on load.
#[wasm_bindgen_test]
fn consent_gates_storage_and_retention_drops_old_events() {
    use storage::ConsentMode;
    clear();
    let day = 86_400.0;
    let like = |item: &str, age_days: f64| {
        StoredEvent::new(item, EventKind::Like, None, now() - age_days * day)
    };
    storage::configure(ConsentMode::Required, 0.0);
    assert_eq!(storage::consent(), (ConsentMode::Required, false));
    let (log, health) = storage::record(like("a", 0.0));
    assert_eq!((log.len(), health), (1, None));
    assert_eq!(
        local().length().unwrap(),
        0,
        "nothing stored before consent"
    );
    assert_eq!(storage::grant(), Health::Ok);
    let stored = storage::parse_log(&local().get_item(LOG_KEY).unwrap().unwrap()).0;
    assert_eq!(stored, log, "the visit so far is stored with consent");
    assert!(local().get_item(storage::CONSENT_KEY).unwrap().is_some());
    storage::record(like("b", 0.0));
    assert_eq!(storage::current().0.len(), 2);
    // A later page load with the same setting finds the consent and stores at once.
    storage::configure(ConsentMode::Required, 0.0);
    assert_eq!(storage::consent(), (ConsentMode::Required, true));
    assert_eq!(storage::withdraw(), Health::Ok);
    assert_eq!(local().length().unwrap(), 0, "withdrawal erases everything");
    assert_eq!(
        storage::current().0.len(),
        0,
        "the visit goes on in memory, from empty"
    );
    storage::record(like("c", 0.0));
    assert_eq!(local().length().unwrap(), 0);
    // Agreeing again stores only what came after the withdrawal.
    assert_eq!(storage::grant(), Health::Ok);
    let items =
        |log: Vec<StoredEvent>| -> Vec<String> { log.into_iter().map(|e| e.item).collect() };
    assert_eq!(items(storage::current().0), ["c"]);
    // Another tab withdraws (every key removed): this tab stops storing at once.
    local().clear().unwrap();
    storage::record(like("d", 0.0));
    assert_eq!(
        local().length().unwrap(),
        0,
        "no write after another tab's withdrawal"
    );
    assert_eq!(storage::consent(), (ConsentMode::Required, false));
    // Retention: 400 days old is past the default 13 months; with 7 days, 20 days old is too.
    storage::configure(ConsentMode::None, 0.0);
    let old = storage::serialize_log(&[like("old", 400.0), like("month", 20.0), like("new", 0.0)]);
    local().set_item(LOG_KEY, &old).unwrap();
    assert_eq!(items(storage::load().0.log), ["month", "new"]);
    assert_eq!(
        items(storage::parse_log(&local().get_item(LOG_KEY).unwrap().unwrap()).0),
        ["month", "new"],
        "dropped from storage too"
    );
    storage::configure(ConsentMode::None, 7.0);
    assert_eq!(items(storage::load().0.log), ["new"]);
    storage::configure(ConsentMode::None, 0.0);
    clear();
}

#[wasm_bindgen_test]
fn erase_removes_every_key_and_empty_state_writes_nothing() {
    clear();
    let log = vec![StoredEvent::new("a", EventKind::Like, None, now())];
    let prefs = Prefs {
        lang: Some("zh-CN".into()),
        ..Prefs::default()
    };
    assert_eq!(storage::save(&log, &prefs), Health::Ok);
    local().set_item(SET_ASIDE_KEY, "[]").unwrap();
    assert_eq!(storage::erase_all(), Health::Ok);
    assert_eq!(local().length().unwrap(), 0);
    assert_eq!(storage::save(&[], &Prefs::default()), Health::Ok);
    assert_eq!(local().length().unwrap(), 0);
}

#[wasm_bindgen_test]
fn a_full_storage_is_reported_not_thrown() {
    clear();
    // Fill localStorage (about 5 MB in Chromium) with one key grown until a write fails.
    let chunk = "x".repeat(512 * 1024);
    let mut filler = String::new();
    loop {
        filler.push_str(&chunk);
        if local().set_item("filler", &filler).is_err() {
            break;
        }
    }
    let big_log: Vec<StoredEvent> = (0..400)
        .map(|n| {
            StoredEvent::new(
                &format!("item-{n}-{}", "y".repeat(2000)),
                EventKind::View,
                None,
                1.0,
            )
        })
        .collect();
    assert_eq!(storage::save(&big_log, &Prefs::default()), Health::Full);
    clear();
}

async fn settle() {
    gloo::timers::future::sleep(Duration::from_millis(50)).await;
}

fn query_all(root: &web_sys::Element, selector: &str) -> Vec<web_sys::HtmlElement> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| {
            list.item(i)
                .unwrap()
                .dyn_into::<web_sys::HtmlElement>()
                .unwrap()
        })
        .collect()
}

#[wasm_bindgen_test]
async fn the_app_recommends_the_niche_a_visitor_likes_and_forgets_on_erase() {
    clear();
    let (catalog, model) = common::files();
    let engine = Rc::new(Engine::load(&catalog, &model).unwrap());
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let _app = tastebud_web::mount_with(root.clone(), engine);
    settle().await;

    // A first visit shows onboarding, and For you shows the shop's popular items, labelled.
    assert_eq!(query_all(&root, "[data-testid=onboarding]").len(), 1);
    let whys = query_all(&root, "[data-testid=recommendations] [data-testid=why]");
    assert!(!whys.is_empty());
    assert!(whys
        .iter()
        .all(|w| w.text_content().as_deref() == Some("Popular in this shop")));

    // Like three ultralight-camping items from the browse page of that category.
    web_sys::window()
        .unwrap()
        .location()
        .set_hash("#/category/ul-camp")
        .unwrap();
    settle().await;
    for n in 0..3 {
        let selector = format!(
            "[data-item-id=\"{}\"] [data-testid=like]",
            common::item_id(1, n)
        );
        query_all(&root, &selector)[0].click();
        settle().await;
    }
    web_sys::window()
        .unwrap()
        .location()
        .set_hash("#/")
        .unwrap();
    settle().await;
    let recs = query_all(
        &root,
        "[data-testid=recommendations] [data-testid=item-card]",
    );
    assert!(!recs.is_empty());
    let niche = recs
        .iter()
        .filter(|c| c.get_attribute("data-category").as_deref() == Some("ul-camp"))
        .count();
    assert!(
        niche * 2 > recs.len(),
        "{niche} of {} in the niche",
        recs.len()
    );
    let first_interest = &query_all(&root, "[data-testid=interests] [data-category]")[0];
    assert_eq!(
        first_interest.get_attribute("data-category").as_deref(),
        Some("ul-camp")
    );
    assert!(local().get_item(LOG_KEY).unwrap().unwrap().lines().count() >= 3);

    // The language toggle translates the interface and sets <html lang>.
    query_all(&root, "[data-testid=lang-toggle]")[0].click();
    settle().await;
    assert!(root.text_content().unwrap().contains("为你推荐"));
    assert_eq!(
        document
            .document_element()
            .unwrap()
            .get_attribute("lang")
            .as_deref(),
        Some("zh-CN")
    );

    // Erase clears storage and the page.
    query_all(&root, "[data-testid=privacy-open]")[0].click();
    settle().await;
    query_all(&root, "[data-testid=erase-data]")[0].click();
    settle().await;
    assert_eq!(local().length().unwrap(), 0);
    // (Still in Chinese: the page keeps its language until reloaded.)
    let whys = query_all(&root, "[data-testid=recommendations] [data-testid=why]");
    assert!(!whys.is_empty());
    assert!(whys
        .iter()
        .all(|w| w.text_content().as_deref() == Some("本店热门")));
    assert_eq!(query_all(&root, "[data-testid=onboarding]").len(), 1);
    web_sys::window().unwrap().location().set_hash("").unwrap();
    clear();
}

/// The storefront's lists follow the shop's merchandising rules from catalog.json: a pin at
/// the top of For you, an excluded category nowhere in it, a filtered top-rated list.
#[wasm_bindgen_test]
async fn the_storefront_follows_the_shops_rules_from_the_catalog() {
    clear();
    let log: String = (0..3)
        .map(|n| {
            let e = StoredEvent::new(&common::item_id(1, n), EventKind::Like, None, now());
            format!("{}\n", serde_json::to_string(&e).unwrap())
        })
        .collect();
    local().set_item(LOG_KEY, &log).unwrap();
    let (catalog, model) = common::files();
    let mut json: serde_json::Value = serde_json::from_str(&catalog).unwrap();
    json["rules"] = serde_json::json!({
        "items": "pin=basics-3@1\nexclude-categories=ul-camp",
        "top-rated": "exclude-categories=basics",
    });
    let mut engine = Engine::load(&catalog, &model).unwrap();
    assert!(engine.set_placement_rules(&json.to_string()).is_empty());
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let _app = tastebud_web::mount_with(root.clone(), Rc::new(engine));
    settle().await;
    let recs = query_all(
        &root,
        "[data-testid=recommendations] [data-testid=item-card]",
    );
    assert_eq!(recs.len(), 8);
    assert_eq!(
        recs[0].get_attribute("data-item-id").as_deref(),
        Some("basics-3")
    );
    // The visitor likes ultralight camping, which the shop's rule keeps out of this list.
    assert!(recs
        .iter()
        .all(|c| c.get_attribute("data-category").as_deref() != Some("ul-camp")));
    let top = query_all(&root, "[data-testid=top-rated] [data-testid=item-card]");
    assert!(!top.is_empty());
    assert!(top
        .iter()
        .all(|c| c.get_attribute("data-category").as_deref() != Some("basics")));
    web_sys::window().unwrap().location().set_hash("").unwrap();
    clear();
}

/// A version 4 model (with an item-item part) loads in the browser build, whose checksum, f16 and
/// varint readers are its own, and its item-item weights rank and explain there as natively.
#[wasm_bindgen_test]
fn a_model_with_an_item_item_part_loads_and_ranks_in_the_browser() {
    let (catalog, bytes, liked, pushed) = common::files_with_item_item();
    assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 4);
    let e = Engine::load(&catalog, &bytes).unwrap();
    let log = [StoredEvent::new(
        &liked,
        EventKind::Like,
        None,
        now().floor(),
    )];
    let recs = e.for_you(&log, &[], 3, 0.0);
    assert_eq!(recs[0].item, e.index_of(&pushed).unwrap());
    assert_eq!(recs[0].because, vec![e.index_of(&liked).unwrap()]);
}
