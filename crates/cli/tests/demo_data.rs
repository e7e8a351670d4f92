//! `tastebud demo-data`: the generated shop meets the storefront's contract, is deterministic,
//! and its model recommends sensibly.

mod common;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use common::{fails, json, ok};
use tastebud_core::{Catalog, EventKind, EventWeights, Filter, Interaction, Model};

/// Niches the demo must have (by category id).
const REQUIRED_NICHES: [&str; 6] = [
    "mountain-camping",
    "ultralight-camping",
    "vr",
    "xc-skiing",
    "pour-over",
    "advent-calendars",
];

fn load(dir: &Path) -> (Catalog, Model) {
    let catalog = Catalog::from_json(&fs::read_to_string(dir.join("catalog.json")).unwrap())
        .expect("the catalog validates");
    let model =
        Model::from_bytes(&fs::read(dir.join("model.tbm")).unwrap()).expect("the model loads");
    (catalog, model)
}

fn generate(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["demo-data", "--json", "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    json(args)
}

#[test]
fn the_default_demo_meets_the_storefront_contract() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(dir.path(), &[]);
    let (catalog, model) = load(dir.path());
    catalog.check_model(&model).unwrap();
    assert_eq!(summary["items"], catalog.items.len());

    // Counts.
    assert!(catalog.items.len() >= 1500, "{}", catalog.items.len());
    assert!(catalog.areas.len() >= 6);
    let niches: HashSet<&str> = catalog
        .categories
        .iter()
        .filter(|c| c.niche)
        .map(|c| c.id.as_str())
        .collect();
    assert!(niches.len() >= 30, "{} niches", niches.len());
    assert!(catalog.categories.iter().any(|c| !c.niche));
    for id in REQUIRED_NICHES {
        assert!(niches.contains(id), "missing niche {id}");
    }
    for c in &catalog.categories {
        assert!(!c.name.zh.is_empty(), "{}", c.id);
        assert!(
            catalog.items.iter().any(|i| i.category == c.id),
            "{} is empty",
            c.id
        );
    }

    // Items: bilingual, drawable, priced, linked, and barely a repeated title.
    let mut titles: HashMap<(&str, &str), usize> = HashMap::new();
    for item in &catalog.items {
        for text in [
            &item.title.en,
            &item.title.zh,
            &item.description.en,
            &item.description.zh,
        ] {
            assert!(!text.trim().is_empty(), "{}: empty text", item.id);
        }
        assert!(!item.title.zh.is_ascii(), "{}", item.id);
        assert!(
            !item.brand.is_empty() && item.brand.is_ascii(),
            "{}",
            item.id
        );
        assert!(
            tastebud_core::GLYPHS.contains(&item.picture.glyph.as_str()),
            "{}",
            item.picture.glyph
        );
        assert!(item.picture.hue < 360);
        let cents = item.price * 100.0;
        assert!(
            item.price > 0.0 && (cents - cents.round()).abs() < 1e-6,
            "{}",
            item.price
        );
        assert!(item.tags.iter().any(|t| t.is_ascii()) && item.tags.iter().any(|t| !t.is_ascii()));
        assert_eq!(
            item.url.as_deref(),
            Some(format!("#/item/{}", item.id).as_str())
        );
        *titles.entry((&item.title.en, &item.title.zh)).or_default() += 1;
    }
    let repeats: usize = titles.values().map(|n| n - 1).sum();
    assert!(repeats <= 5, "{repeats} repeated titles");

    // Nearly every item was interacted with, so nearly every item is in the model.
    assert!(
        model.n_items() * 100 >= catalog.items.len() * 98,
        "{} in the model",
        model.n_items()
    );
    assert_eq!(model.n_factors(), 32);
    assert_eq!(model.precision().name(), "int8");
    assert_eq!(model.provenance().source, "tastebud demo-data");

    // Shop data.
    let shop = &catalog.shop_data;
    let ids: HashSet<&str> = catalog.items.iter().map(|i| i.id.as_str()).collect();
    assert!(shop.ratings.len() > 300);
    for (id, &(count, stars)) in &shop.ratings {
        assert!(ids.contains(id.as_str()), "{id}");
        assert!(count > 0 && stars >= f64::from(count) && stars <= 5.0 * f64::from(count));
    }
    for query in ["pour over", "手冲咖啡", "ultralight tent"] {
        assert!(shop.searches.get(query).is_some_and(|&n| n > 0), "{query}");
    }
    let mut picks: HashMap<&str, usize> = HashMap::new();
    for (creator, item) in &shop.creator_picks {
        assert!(ids.contains(item.as_str()), "{item}");
        *picks.entry(creator).or_default() += 1;
    }
    assert!((6..=10).contains(&picks.len()), "{picks:?}");
    assert!(picks.values().all(|n| (5..=8).contains(n)), "{picks:?}");

    // A visitor who liked three pour-over items is shown coffee and tea.
    let area_of: HashMap<&str, &str> = catalog
        .categories
        .iter()
        .map(|c| (c.id.as_str(), c.area.as_str()))
        .collect();
    let category_of: HashMap<&str, &str> = catalog
        .items
        .iter()
        .map(|i| (i.id.as_str(), i.category.as_str()))
        .collect();
    let liked: Vec<&str> = catalog
        .items
        .iter()
        .filter(|i| i.category == "pour-over" && model.item_index(&i.id).is_some())
        .step_by(5)
        .take(3)
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(liked.len(), 3);
    let prefs = EventWeights::default().aggregate(
        liked.iter().map(|id| {
            (
                model.item_index(id).unwrap(),
                Interaction::new(EventKind::Like),
            )
        }),
        None,
    );
    let top = model
        .recommend_for(&prefs.items, 10, Filter::new())
        .unwrap();
    let shown: Vec<&str> = top
        .iter()
        .map(|s| category_of[model.item_ids()[s.item as usize].as_str()])
        .collect();
    let coffee = shown.iter().filter(|c| area_of[*c] == "coffee-tea").count();
    assert!(coffee >= 7, "{shown:?}");
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let small = ["--items", "400", "--shoppers", "600"];
    let logs: Vec<_> = dirs.iter().map(|d| d.path().join("log.jsonl")).collect();
    for (n, (dir, log)) in dirs.iter().zip(&logs).enumerate() {
        let seed = if n < 2 { "7" } else { "8" };
        let mut args = small.to_vec();
        args.extend(["--seed", seed, "--log", log.to_str().unwrap()]);
        generate(dir.path(), &args);
    }
    let read = |n: usize, name: &str| fs::read(dirs[n].path().join(name)).unwrap();
    for name in ["catalog.json", "model.tbm"] {
        assert!(
            read(0, name) == read(1, name),
            "{name} differs between runs"
        );
        assert!(read(0, name) != read(2, name), "{name} ignores the seed");
    }
    assert!(fs::read(&logs[0]).unwrap() == fs::read(&logs[1]).unwrap());
    let (catalog, _) = load(dirs[0].path());
    assert_eq!(catalog.items.len(), 400);
}

#[test]
fn the_exported_log_retrains_with_tastebud_train() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl");
    let summary = generate(
        dir.path(),
        &[
            "--items",
            "300",
            "--shoppers",
            "400",
            "--log",
            log.to_str().unwrap(),
        ],
    );
    let text = fs::read_to_string(&log).unwrap();
    assert_eq!(
        text.lines().count(),
        summary["events"].as_u64().unwrap() as usize
    );
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["user"], "shopper-0001");
    assert!(first["ts"].is_i64());

    let retrained = dir.path().join("retrained.tbm");
    ok([
        "train",
        "--interactions",
        log.to_str().unwrap(),
        "--format",
        "jsonl",
        "--factors",
        "8",
        "--out",
        retrained.to_str().unwrap(),
    ]);
    let (catalog, model) = load(dir.path());
    let again = Model::from_bytes(&fs::read(&retrained).unwrap()).unwrap();
    catalog.check_model(&again).unwrap();
    // `train` also keeps items that were only ever dismissed; everything the demo model has is
    // there.
    let retrained_ids: HashSet<&String> = again.item_ids().iter().collect();
    assert!(model.item_ids().iter().all(|id| retrained_ids.contains(id)));
}

#[test]
fn impossible_sizes_are_refused_with_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let e = fails(["demo-data", "--out", out, "--items", "5"]);
    assert!(e.contains("--items must be between"), "{e}");
    let e = fails(["demo-data", "--out", out, "--shoppers", "0"]);
    assert!(e.contains("--shoppers must be at least 1"), "{e}");
    assert!(!dir.path().join("catalog.json").exists());
}
