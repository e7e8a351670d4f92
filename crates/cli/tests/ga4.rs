//! `tastebud train --format ga4` on GA4 BigQuery exports (tests/fixtures/ga4/): the default
//! event mapping, a mapping file, unknown and skipped rows, variant ids, and files that are not
//! GA4 at all.

mod common;

use std::path::Path;

use common::{fails, fixture, json, ok, s, write};
use serde_json::{json, Value};

/// Trains on a GA4 file with `extra` flags and returns the `--json` summary.
fn train(dir: &Path, log: &Path, extra: &[&str]) -> Value {
    let out = dir.join("m.tbm");
    let mut args = vec![
        "train",
        "--format",
        "ga4",
        "--interactions",
        s(log),
        "--out",
        s(&out),
        "--json",
        "--factors",
        "2",
        "--iterations",
        "2",
    ];
    args.extend(extra);
    json(args)
}

/// Trains expecting an error, and returns stderr.
fn reject(dir: &Path, log: &Path, extra: &[&str]) -> String {
    let out = dir.join("m.tbm");
    let mut args = vec![
        "train",
        "--format",
        "ga4",
        "--interactions",
        s(log),
        "--out",
        s(&out),
    ];
    args.extend(extra);
    fails(args)
}

#[test]
fn the_default_mapping_counts_every_ecommerce_event_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let summary = train(dir.path(), &fixture("ga4/events.jsonl"), &[]);
    let ga4 = &summary["ga4"];
    assert_eq!(ga4["rows"], 21);
    assert_eq!(ga4["used"], 11);
    // begin_checkout's two items count as add-to-carts; search results as search hits.
    assert_eq!(
        ga4["events"],
        json!({"view": 3, "click": 1, "like": 2, "add_to_cart": 3, "purchase": 4, "search_hit": 2})
    );
    assert_eq!(
        ga4["unknown"],
        json!({"page_view": 2, "session_start": 1, "scroll": 1, "remove_from_cart": 1,
               "not_interested": 1, "user_engagement": 1})
    );
    assert_eq!(ga4["ignored"], json!({}));
    // A row with neither user_pseudo_id nor user_id; a search with no items and an item_id of
    // "(not set)". The user_id-only rows count.
    assert_eq!(ga4["skipped_no_user"], 1);
    assert_eq!(ga4["skipped_no_item"], 2);
    assert_eq!(ga4["searches"], 2);
    assert_eq!(summary["users"], 3);
    assert_eq!(summary["items"], 8);
    assert_eq!(summary["interactions"], 8);
    assert_eq!(summary["dismissed"], 0);

    let out = dir.path().join("m.tbm");
    let text = ok([
        "train",
        "--format",
        "ga4",
        "--interactions",
        s(&fixture("ga4/events.jsonl")),
        "--out",
        s(&out),
        "--factors",
        "2",
    ]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "GA4: 21 rows, 11 used, giving 15 item events (add_to_cart 3, click 1, like 2, purchase 4, search_hit 2, view 3)",
            "  7 rows of unknown events not counted: page_view 2, not_interested 1, remove_from_cart 1, scroll 1, session_start 1, user_engagement 1",
            "  3 rows skipped: 1 with no user, 2 with no item",
            "  2 searches (1 distinct term; `tastebud catalog --searches` lists them in the shop)",
        ],
        "{text}"
    );
    assert!(
        lines[4].starts_with("trained on 3 users x 8 items"),
        "{text}"
    );
}

#[test]
fn a_mapping_file_ignores_maps_and_weighs_events() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture("ga4/events.jsonl");
    let map = fixture("ga4/map.json");
    let summary = train(dir.path(), &log, &["--ga4-map", s(&map)]);
    let ga4 = &summary["ga4"];
    assert_eq!(ga4["ignored"], json!({"begin_checkout": 1}));
    assert_eq!(ga4["unknown"].get("not_interested"), None);
    assert_eq!(ga4["events"]["dismiss"], 1);
    assert_eq!(ga4["events"]["add_to_cart"], 1);
    // The custom dismissal is later than the wishlist event listed after it: applied in time
    // order it wins (in file order the like would take it back).
    assert_eq!(summary["dismissed"], 1);
    assert_eq!(summary["interactions"], 7);

    // The file's weights replace the defaults: with nothing worth anything, nothing is left.
    let zero = write(
        dir.path(),
        "zero.json",
        r#"{"weights": {"view": 0, "click": 0, "like": 0, "search_hit": 0, "add_to_cart": 0, "purchase": 0}}"#,
    );
    let e = reject(dir.path(), &log, &["--ga4-map", s(&zero)]);
    assert!(
        e.contains("events.jsonl: no interactions found in 21 GA4 rows: 7 rows of unknown events (page_view 2, not_interested 1,"),
        "{e}"
    );
    assert!(
        e.ends_with(
            "1 with no user, 2 with no item; check the file, or map its events with --ga4-map\n"
        ),
        "{e}"
    );
}

#[test]
fn bad_mapping_files_say_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = fixture("ga4/events.jsonl");
    let cases = [
        (r#"{"events": {"rate_product": "rate"}}"#, "event \"rate_product\" maps to \"rate\", which needs a value GA4 rows do not carry; use one of view, click, like, search_hit, add_to_cart, purchase, dismiss (or null to ignore the event)"),
        (r#"{"events": {"view_item": "glance"}}"#, "event \"view_item\" maps to unknown kind \"glance\""),
        (r#"{"event": {}}"#, "invalid GA4 mapping: unknown field `event`, expected `events` or `weights`"),
        (r#"{"weights": {"cap": 0}}"#, "invalid GA4 mapping weights: cap must be finite and > 0"),
    ];
    for (contents, message) in cases {
        let map = write(d, "map.json", contents);
        let e = reject(d, &log, &["--ga4-map", s(&map)]);
        assert!(e.contains(message), "{contents}: {e}");
    }
    let map = fixture("ga4/map.json");
    let e = reject(d, &log, &["--ga4-map", s(&map), "--weights", s(&map)]);
    assert_eq!(
        e,
        "tastebud: event weights are given both in --weights and in the --ga4-map file; keep one\n"
    );
    let out = d.join("m.tbm");
    let e = fails([
        "train",
        "--interactions",
        s(&log),
        "--ga4-map",
        s(&map),
        "--out",
        s(&out),
    ]);
    assert_eq!(
        e,
        "tastebud: --ga4-map applies to --format ga4 only; drop it or pass --format ga4\n"
    );
}

#[test]
fn variant_ids_count_for_their_product_with_the_feed() {
    let dir = tempfile::tempdir().unwrap();
    let feed = fixture("merchant/feed.xml");
    let summary = train(
        dir.path(),
        &fixture("ga4/events.jsonl"),
        &["--feed", "merchant-feed", s(&feed)],
    );
    // TENT-2P-GRN (4 events) and MUG-BLU (3) are variants of TENT-2P and MUG-TRAIL.
    assert_eq!(summary["variant_events"], 7);
    let ids = ok(["inspect", s(&dir.path().join("m.tbm")), "--ids"]);
    let mut ids: Vec<&str> = ids.lines().collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "COF-ETH",
            "COF-V60",
            "MUG-TI",
            "MUG-TRAIL",
            "TEA-LONGJING",
            "TEA-SENCHA",
            "TENT-1P",
            "TENT-2P"
        ]
    );
    let e = reject(
        dir.path(),
        &fixture("ga4/events.jsonl"),
        &["--feed", "google", s(&feed)],
    );
    assert!(
        e.contains("--feed: unknown feed format \"google\"; use merchant-feed or shopify-csv"),
        "{e}"
    );
}

#[test]
fn files_that_are_not_ga4_quote_the_first_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let expected =
        "expected ga4: one BigQuery export row per line such as {\"event_name\": \"view_item\"";

    let e = reject(d, &fixture("ga4/bad-line.jsonl"), &[]);
    assert!(
        e.contains("bad-line.jsonl:4: not a JSON object (EOF while parsing"),
        "{e}"
    );
    assert!(e.contains(expected), "{e}");
    // Tastebud's own JSON Lines log.
    let e = reject(d, &fixture("ga4/not-ga4.jsonl"), &[]);
    assert!(
        e.contains(
            "not-ga4.jsonl:1: no \"event_name\"; this is not a GA4 export row; expected ga4:"
        ),
        "{e}"
    );
    // A product feed.
    let e = reject(d, &fixture("merchant/feed.tsv"), &[]);
    assert!(
        e.contains("feed.tsv:1: not a JSON object (expected value); expected ga4:"),
        "{e}"
    );
    let e = reject(d, &fixture("merchant/feed.xml"), &[]);
    assert!(e.contains("feed.xml:1: not a JSON object"), "{e}");
    let odd = write(d, "odd.jsonl", "{\"event_name\": \"view_item\", \"user_pseudo_id\": \"u\", \"event_timestamp\": \"yesterday\"}\n");
    let e = reject(d, &odd, &[]);
    assert!(
        e.contains(
            "odd.jsonl:1: \"event_timestamp\" \"yesterday\" is not a number of microseconds"
        ),
        "{e}"
    );

    let e = reject(d, &fixture("ga4/empty.jsonl"), &[]);
    assert!(
        e.contains("empty.jsonl: the file has no rows; expected ga4:"),
        "{e}"
    );
}

#[test]
fn jsonl_logs_accept_ga4_event_names_and_spot_ga4_exports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = write(
        d,
        "log.jsonl",
        "{\"user\": \"u1\", \"item\": \"a\", \"kind\": \"view_item\"}\n\
         {\"user\": \"u1\", \"item\": \"b\", \"kind\": \"add_to_wishlist\"}\n\
         {\"user\": \"u2\", \"item\": \"a\", \"kind\": \"purchase\"}\n\
         {\"user\": \"u2\", \"item\": \"c\", \"kind\": \"view_search_results\"}\n",
    );
    let out = d.join("m.tbm");
    let summary = json([
        "train",
        "--format",
        "jsonl",
        "--interactions",
        s(&log),
        "--out",
        s(&out),
        "--json",
        "--factors",
        "2",
        "--iterations",
        "2",
    ]);
    assert_eq!(
        (summary["users"].as_u64(), summary["items"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(summary["interactions"], 4);
    let e = fails([
        "train",
        "--format",
        "jsonl",
        "--interactions",
        s(&fixture("ga4/events.jsonl")),
        "--out",
        s(&out),
    ]);
    assert!(e.contains("events.jsonl:1: not a valid JSON event (missing field `user`; this looks like a GA4 export row: use --format ga4)"), "{e}");
}

#[test]
fn a_shops_export_trains_a_model_that_beats_popularity() {
    let summary = json([
        "evaluate",
        "--interactions",
        s(&fixture("ga4/shop.jsonl")),
        "--format",
        "ga4",
        "--factors",
        "4",
        "--regularization",
        "0.5",
        "--min-interactions",
        "3",
        "--json",
    ]);
    let ndcg = |model: &str| summary[model]["ndcg"].as_f64().unwrap();
    assert!(ndcg("als") > ndcg("most_popular") + 0.1, "{summary}");
}

/// A UTF-8 byte order mark at the start of an export is not part of its first line.
#[test]
fn a_byte_order_mark_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixture("ga4/events.jsonl")).unwrap();
    let mut marked = b"\xef\xbb\xbf".to_vec();
    marked.extend_from_slice(&plain);
    let log = write(dir.path(), "bom.jsonl", marked);
    let with_bom = train(dir.path(), &log, &[]);
    let without = train(dir.path(), &fixture("ga4/events.jsonl"), &[]);
    assert_eq!(with_bom["ga4"], without["ga4"]);
}
