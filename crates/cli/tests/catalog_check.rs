//! From a shop's own exports to the two files it uploads: `train --format ga4` and `catalog
//! --from` on the fixtures, then `catalog --check` on the pair, and the recommendations they give.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, fixture, json, ok, s, tastebud};
use serde_json::json;

/// Trains on the small GA4 fixture, with `--feed` or without.
fn model(dir: &Path, with_feed: bool) -> PathBuf {
    let out = dir.join(if with_feed { "feed.tbm" } else { "raw.tbm" });
    let feed = fixture("merchant/feed.xml");
    let log = fixture("ga4/events.jsonl");
    let mut args = vec![
        "train",
        "--format",
        "ga4",
        "--interactions",
        s(&log),
        "--out",
        s(&out),
        "--factors",
        "2",
        "--iterations",
        "2",
    ];
    if with_feed {
        args.extend(["--feed", "merchant-feed", s(&feed)]);
    }
    ok(args);
    out
}

fn catalog(dir: &Path) -> PathBuf {
    let out = dir.join("catalog.json");
    ok([
        "catalog",
        "--from",
        "merchant-feed",
        s(&fixture("merchant/feed.xml")),
        "--out",
        s(&out),
    ]);
    out
}

#[test]
fn variant_ids_without_the_feed_are_factors_without_items() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path());
    let model = model(dir.path(), false);
    let out = tastebud(["catalog", "--check", s(&catalog), "--model", s(&model)]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("{}: 21 items; {}: 8 items", s(&catalog), s(&model))
    );
    assert_eq!(
        lines[1],
        "items without factors (served through the cold-start path): 15 (e.g. TENT-2P, TENT-3P, TENT-BIVY, TENT-TARP, MUG-TRAIL, ...)"
    );
    assert_eq!(
        lines[2],
        "factors without items: 2 (e.g. TENT-2P-GRN, MUG-BLU)"
    );
    assert_eq!(
        stderr,
        "tastebud: the catalog and the model do not match: 2 of the model's 8 items are not in the catalog (e.g. TENT-2P-GRN, MUG-BLU); publish the catalog and model from the same training run; if those ids are variants, train with --feed so they count for their product\n"
    );
}

#[test]
fn with_the_feed_every_model_item_is_in_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path());
    let model = model(dir.path(), true);
    let text = ok(["catalog", "--check", s(&catalog), "--model", s(&model)]);
    assert!(text.contains("served through the cold-start path): 13 (e.g. TENT-3P, TENT-BIVY, TENT-TARP, MUG-ENAMEL, MUG-FOLD, ...)\nfactors without items: 0\n"), "{text}");
    let report = json([
        "catalog",
        "--check",
        s(&catalog),
        "--model",
        s(&model),
        "--json",
    ]);
    assert_eq!(report["ok"], true);
    assert_eq!(report["catalog_items"], 21);
    assert_eq!(report["model_items"], 8);
    assert_eq!(report["items_without_factors"], 13);
    assert_eq!(report["factors_without_items"], 0);
    assert_eq!(report["factors_without_items_first"], json!([]));
}

#[test]
fn check_needs_a_valid_catalog_and_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = model(dir.path(), true);
    let bad = common::write(
        dir.path(),
        "bad.json",
        r#"{"version": 9, "shop": {"en": "x"}, "currency": "EUR", "areas": [], "categories": [], "items": []}"#,
    );
    let e = fails(["catalog", "--check", s(&bad), "--model", s(&model)]);
    assert!(
        e.contains("bad.json: the catalog is version 9, this build reads version 1;"),
        "{e}"
    );
    let catalog = catalog(dir.path());
    let e = fails(["catalog", "--check", s(&catalog), "--model", s(&catalog)]);
    assert!(e.contains("catalog.json: "), "{e}");
    let out = tastebud(["catalog", "--check", s(&catalog)]);
    assert_eq!(out.status.code(), Some(2), "clap: --check requires --model");
    let out = tastebud([
        "catalog",
        "--check",
        s(&catalog),
        "--model",
        s(&model),
        "--from",
        "merchant-feed",
        "x",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap: --check conflicts with --from"
    );
}

#[test]
fn a_shops_ga4_export_and_merchant_feed_give_matching_files_with_sensible_recommendations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let feed = fixture("merchant/feed.xml");
    let log = fixture("ga4/shop.jsonl");
    let model = d.join("model.tbm");
    let summary = json([
        "train",
        "--format",
        "ga4",
        "--interactions",
        s(&log),
        "--feed",
        "merchant-feed",
        s(&feed),
        "--out",
        s(&model),
        "--factors",
        "4",
        "--regularization",
        "0.5",
        // The fixture's shoppers end each visit with a random glance at another group, which a
        // transition model would faithfully follow; this test is about the factors.
        "--transition-entries",
        "0",
        "--json",
    ]);
    assert_eq!(
        summary["ga4"]["unknown"],
        json!({"page_view": 64, "session_start": 64})
    );
    assert_eq!(summary["users"], 64);
    let catalog = d.join("catalog.json");
    ok([
        "catalog",
        "--from",
        "merchant-feed",
        s(&feed),
        "--searches",
        s(&log),
        "--out",
        s(&catalog),
    ]);
    let report = json([
        "catalog",
        "--check",
        s(&catalog),
        "--model",
        s(&model),
        "--json",
    ]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["factors_without_items"], 0);
    assert_eq!(
        report["items_without_factors"], 0,
        "every product was seen: {report}"
    );

    // A visitor who likes two tents is shown the other tents first; one who likes a tea, teas.
    for (liked, prefix) in [
        ("TENT-1P,TENT-3P", "TENT-"),
        ("TEA-SENCHA", "TEA-"),
        ("MUG-TRAIL", "MUG-"),
    ] {
        let recs = json([
            "recommend",
            "--model",
            s(&model),
            "--items",
            liked,
            "--n",
            "3",
            "--json",
        ]);
        let ids: Vec<&str> = recs
            .as_array()
            .unwrap_or_else(|| panic!("{recs}"))
            .iter()
            .map(|r| r["item"].as_str().unwrap())
            .collect();
        assert!(
            ids.iter().all(|id| id.starts_with(prefix)),
            "{liked}: {ids:?}"
        );
    }
}

#[test]
fn check_reads_the_shops_merchandising_rules() {
    let dir = tempfile::tempdir().unwrap();
    let model = model(dir.path(), true);
    let plain = catalog(dir.path());
    let mut with_rules: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plain).unwrap()).unwrap();
    with_rules["rules"] =
        json!({ "items": "price-max=100\npin=MUG-ENAMEL@1", "similar": "exclude-tags=clearance" });
    let good = common::write(dir.path(), "good.json", with_rules.to_string());
    let text = ok(["catalog", "--check", s(&good), "--model", s(&model)]);
    assert!(
        text.contains("merchandising rules for: items, similar\n"),
        "{text}"
    );
    let report = json([
        "catalog",
        "--check",
        s(&good),
        "--model",
        s(&model),
        "--json",
    ]);
    assert_eq!(report["placements_with_rules"], json!(["items", "similar"]));
    assert_eq!(report["ok"], true);
    // A rule that cannot be read, and a placement the storefront does not have, fail the check.
    with_rules["rules"] = json!({ "items": "price-max=cheap", "for-you": "exclude=MUG-FOLD" });
    let bad = common::write(dir.path(), "bad-rules.json", with_rules.to_string());
    let out = tastebud(["catalog", "--check", s(&bad), "--model", s(&model)]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(
        e.contains("the rules for items: price-max \"cheap\" is not a number"),
        "{e}"
    );
    assert!(
        e.contains(
            "rules for \"for-you\", which is not a storefront placement (one of items, similar,"
        ),
        "{e}"
    );
    let out = tastebud([
        "catalog",
        "--check",
        s(&bad),
        "--model",
        s(&model),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["rule_problems"].as_array().unwrap().len(), 2);
}
