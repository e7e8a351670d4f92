//! `tastebud evaluate --rerank --categories --report`: discovery presets measured on a small
//! catalog with categories, a popular head and a niche tail.

mod common;

use common::{fails, json, ok, s, tastebud, write};
use serde_json::Value;
use std::path::Path;

/// The niche categories, one item each.
const NICHES: [&str; 12] = [
    "Climbing",
    "Snowshoeing",
    "Archery",
    "Kayaking",
    "Fencing",
    "Curling",
    "Orienteering",
    "Falconry",
    "Caving",
    "Sailing",
    "Bouldering",
    "Biathlon",
];

/// 60 users in two groups. Everyone likes some of the best-sellers `p0`-`p4` (category
/// "Bestsellers"); group A likes items `a0`-`a7` ("Camping & Hiking"), group B `b0`-`b7`
/// ("Skiing"); one user in five also likes a niche item `n0`-`n11`, each in a small category of
/// its own ([`NICHES`]).
fn shop_log() -> String {
    let mut log = String::new();
    for u in 0..60 {
        let group = if u < 30 { 'a' } else { 'b' };
        for i in 0..5 {
            if (u + i) % 3 != 0 {
                log.push_str(&format!("u{u}\tp{i}\n"));
            }
        }
        for i in 0..8 {
            if (u + i) % 4 != 0 {
                log.push_str(&format!("u{u}\t{group}{i}\n"));
            }
        }
        if u % 5 == 0 {
            log.push_str(&format!("u{u}\tn{}\n", u / 5));
        }
    }
    log
}

/// Each item's category: `(item, level-2 department, level-3 category)`.
fn categories() -> Vec<(String, &'static str, &'static str)> {
    let mut out = Vec::new();
    for i in 0..5 {
        out.push((format!("p{i}"), "Outdoor Recreation", "Bestsellers"));
    }
    for i in 0..8 {
        out.push((format!("a{i}"), "Outdoor Recreation", "Camping & Hiking"));
        out.push((format!("b{i}"), "Winter Sports", "Skiing"));
    }
    for (i, c) in NICHES.into_iter().enumerate() {
        let dept = if i % 2 == 0 {
            "Outdoor Recreation"
        } else {
            "Winter Sports"
        };
        out.push((format!("n{i}"), dept, c));
    }
    out
}

fn categories_tsv() -> String {
    categories()
        .into_iter()
        .map(|(item, _, cat)| format!("{item}\t{cat}\n"))
        .collect()
}

/// The same categories as Amazon's `item2names_reconstructed.json`: `[brand, null, department,
/// category, ...]`. The best-sellers have no level 3 and fall back to level 2, written here as
/// "Bestsellers" so that level 3 reads exactly as the TSV.
fn categories_item2names() -> String {
    let entries: Vec<String> = categories()
        .into_iter()
        .map(|(item, dept, cat)| {
            if cat == "Bestsellers" {
                format!(r#""{item}": ["Brand", null, "{cat}", null]"#)
            } else {
                format!(r#""{item}": ["", null, "{dept}", "{cat}", "Sub-sub"]"#)
            }
        })
        .collect();
    format!(
        r#"{{"id2name": {{"1": "Brand"}}, "unmatched_ids": [], "item2names": {{{}}}}}"#,
        entries.join(", ")
    )
}

const FAST: [&str; 8] = [
    "--factors",
    "4",
    "--iterations",
    "10",
    "--seed",
    "7",
    "--k",
    "5",
];

fn evaluate(log: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["evaluate", "--interactions", s(log), "--json"];
    args.extend(FAST);
    args.extend(extra);
    json(args)
}

fn num(v: &Value, row: &str, key: &str) -> f64 {
    v[row][key]
        .as_f64()
        .unwrap_or_else(|| panic!("{row}.{key} is not a number: {v}"))
}

#[test]
fn discovery_reaches_more_categories_and_more_of_the_tail_than_plain_als() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", shop_log());
    let cats = write(dir.path(), "categories.tsv", categories_tsv());
    let report = evaluate(&log, &["--rerank", "discovery", "--categories", s(&cats)]);
    for row in ["most_popular", "als", "discovery"] {
        for key in [
            "precision",
            "recall",
            "ndcg",
            "map",
            "tail_share",
            "novelty",
            "intra_list_diversity",
            "category_coverage",
        ] {
            num(&report, row, key);
        }
    }
    let (als, disc) = (
        |k: &str| num(&report, "als", k),
        |k: &str| num(&report, "discovery", k),
    );
    assert!(
        disc("category_coverage") > als("category_coverage"),
        "{report}"
    );
    assert!(disc("tail_share") > als("tail_share"), "{report}");
    assert!(disc("novelty") > als("novelty"), "{report}");

    // The default is plain ALS: no third row, and without categories their metrics are null.
    let plain = evaluate(&log, &[]);
    assert_eq!(plain.as_object().unwrap().len(), 2, "{plain}");
    assert!(plain["als"]["category_coverage"].is_null(), "{plain}");
    assert!(plain["als"]["intra_list_diversity"].is_null(), "{plain}");
    assert_eq!(plain["als"]["ndcg"], report["als"]["ndcg"]);
}

#[test]
fn item2names_json_is_recognized_and_reads_like_the_tsv() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", shop_log());
    let tsv = write(dir.path(), "categories.tsv", categories_tsv());
    let amazon = write(dir.path(), "item2names.json", categories_item2names());
    let strip = |mut v: Value| {
        v["als"]
            .as_object_mut()
            .unwrap()
            .remove("fit_seconds")
            .expect("fit_seconds");
        v
    };
    let from_tsv = strip(evaluate(
        &log,
        &["--rerank", "balanced", "--categories", s(&tsv)],
    ));
    let from_json = strip(evaluate(
        &log,
        &["--rerank", "balanced", "--categories", s(&amazon)],
    ));
    assert_eq!(from_tsv, from_json);

    // Level 2 is the department (the best-sellers' is "Bestsellers"): fewer, broader
    // categories, so the same plain ALS lists are no more diverse, and reach a larger share of
    // the categories.
    let departments = strip(evaluate(
        &log,
        &[
            "--rerank",
            "balanced",
            "--categories",
            s(&amazon),
            "--category-level",
            "2",
        ],
    ));
    assert_eq!(departments["als"]["ndcg"], from_tsv["als"]["ndcg"]);
    let ild = |v: &Value| num(v, "als", "intra_list_diversity");
    assert!(
        ild(&departments) <= ild(&from_tsv),
        "{departments}\n{from_tsv}"
    );
    let reach = |v: &Value| num(v, "als", "category_coverage");
    assert!(
        reach(&departments) > reach(&from_tsv),
        "{departments}\n{from_tsv}"
    );

    let e = fails([
        "evaluate",
        "--interactions",
        s(&log),
        "--categories",
        s(&tsv),
        "--category-level",
        "2",
    ]);
    assert!(e.contains("drop --category-level"), "{e}");
    let other = write(dir.path(), "other.json", r#"{"items": {"a0": "Tents"}}"#);
    let e = fails([
        "evaluate",
        "--interactions",
        s(&log),
        "--categories",
        s(&other),
    ]);
    assert!(e.contains("is JSON but not Amazon item2names"), "{e}");
    let unrelated = write(dir.path(), "unrelated.tsv", "x1\tTents\n");
    let e = fails([
        "evaluate",
        "--interactions",
        s(&log),
        "--categories",
        s(&unrelated),
    ]);
    assert!(e.contains("no item of the model is in"), "{e}");
}

#[test]
fn a_model_re_ranked_against_train_and_test_logs() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", shop_log());
    let cats = write(dir.path(), "categories.tsv", categories_tsv());
    let model = dir.path().join("model.tbm");
    let mut train = vec!["train", "--interactions", s(&log), "--out", s(&model)];
    train.extend(&FAST[..6]);
    common::ok(train);
    let history = write(
        dir.path(),
        "train.tsv",
        "u1\ta1\nu1\ta2\nu40\tb1\nu40\tb2\n",
    );
    let test = write(dir.path(), "test.tsv", "u1\ta3\nu40\tb3\n");
    let run = |preset: &str| {
        json([
            "evaluate",
            "--model",
            s(&model),
            "--train",
            s(&history),
            "--test",
            s(&test),
            "--categories",
            s(&cats),
            "--rerank",
            preset,
            "--k",
            "5",
            "--json",
        ])
    };
    let (plain, discovery) = (run("accurate"), run("discovery"));
    assert_eq!(plain["rerank"], "accurate");
    assert_eq!(discovery["rerank"], "discovery");
    assert_eq!(plain["users"], 2);
    let cov = |v: &Value| v["category_coverage"].as_f64().unwrap();
    assert!(cov(&discovery) > cov(&plain), "{plain}\n{discovery}");
}

#[test]
fn the_report_is_one_self_contained_page() {
    let dir = tempfile::tempdir().unwrap();
    // Text from the command line reaches the page, so it must be escaped.
    let log = write(dir.path(), "log&<b>.tsv", shop_log());
    let cats = write(dir.path(), "categories.tsv", categories_tsv());
    let page = dir.path().join("report.html");
    let mut args = vec![
        "evaluate",
        "--interactions",
        s(&log),
        "--categories",
        s(&cats),
        "--rerank",
        "discovery",
        "--report",
        s(&page),
    ];
    args.extend(FAST);
    let text = common::ok(args);
    assert!(text.contains("report: "), "{text}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.matches("<svg").count() >= 4,
        "two trade-off plots, two exposure panels"
    );
    for name in [
        "most popular",
        "accurate",
        "balanced",
        "discovery",
        "plain ALS",
    ] {
        assert!(html.contains(name), "{name} is missing");
    }
    assert!(html.contains("account for 80% of training interactions"));
    assert!(html.contains("log&amp;&lt;b&gt;.tsv"));
    assert!(!html.contains("<b>.tsv"));
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"));
    assert!(!lower.contains("@import") && !lower.contains("url("));
    // The only address is the SVG namespace; nothing is fetched.
    let addresses: Vec<&str> = lower
        .match_indices("http")
        .map(|(i, _)| &lower[i..i + 26])
        .collect();
    assert!(
        addresses.iter().all(|a| *a == "http://www.w3.org/2000/svg"),
        "{addresses:?}"
    );
}

#[test]
fn an_unknown_preset_lists_the_presets() {
    let out = tastebud(["evaluate", "--interactions", "log.tsv", "--rerank", "wild"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in ["accurate", "balanced", "discovery"] {
        assert!(stderr.contains(name), "{stderr}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn a_report_needs_the_holdout_mode() {
    let out = tastebud([
        "evaluate", "--model", "m.tbm", "--train", "a", "--test", "b", "--report", "r.html",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("'--model <FILE>' cannot be used with '--report <FILE.html>'"),
        "{e}"
    );
}

/// `tastebud tune`: the search, the calibration stored in the model, the report and the split.
#[test]
fn tune_searches_calibrates_and_writes_a_deterministic_model() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", shop_log());
    let cats = write(dir.path(), "categories.tsv", categories_tsv());
    let (one, two) = (dir.path().join("one.tbm"), dir.path().join("two.tbm"));
    let report = dir.path().join("tune.html");
    let split = dir.path().join("split");
    fn tune_args<'a>(log: &'a Path, out: &'a Path) -> Vec<&'a str> {
        let small = ["--budget", "6", "--max-factors", "16", "--iterations", "5"];
        let mut args = vec!["tune", "--interactions", s(log), "--out", s(out)];
        args.extend(small);
        args
    }
    let tune = |out: &Path, extra: &[&str]| {
        let mut args = tune_args(&log, out);
        args.extend(["--categories", s(&cats), "--json"]);
        args.extend(extra);
        json(args)
    };
    let first = tune(&one, &["--report", s(&report), "--save-split", s(&split)]);
    let second = tune(&two, &["--threads", "1"]);
    // Deterministic for a seed, whatever the thread count.
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    assert_eq!(first["best"], second["best"]);

    let trials = first["trials"].as_array().unwrap();
    assert!(!trials.is_empty() && trials.len() <= 6, "{first}");
    let best = first["best"]["validation_ndcg"].as_f64().unwrap();
    assert!(trials.iter().all(|t| t["ndcg"].as_f64().unwrap() <= best));
    assert_eq!(first["best"]["regularization_scaling"], "frequency");

    // The calibration is in the model, and inspect shows the presets it gives.
    let info = json(["inspect", s(&one), "--json"]);
    // The item-item stage ran; a blend it kept makes the model version 4 (a tsv log says
    // nothing of the order of events, so there is no transition model).
    assert!(!first["neighbour_trials"].as_array().unwrap().is_empty());
    let blended = !first["neighbours"].is_null();
    assert!(info["transitions"].is_null(), "{info}");
    assert_eq!(info["format_version"], if blended { 4 } else { 3 });
    assert_eq!(info["item_item"].is_null(), !blended);
    // The text output's `train` command gives the item-item part again.
    let text = ok(tune_args(&log, &two));
    let again = text
        .lines()
        .find_map(|l| l.strip_prefix("train it again with: tastebud "))
        .expect("a train command");
    let mut retrain: Vec<&str> = again.split(' ').collect();
    retrain.extend([
        "--interactions",
        s(&log),
        "--out",
        s(&two),
        "--iterations",
        "5",
    ]);
    assert_eq!(
        retrain.contains(&"--neighbour-items"),
        !text.contains("with the item-item model"),
        "{text}"
    );
    let retrained = json(retrain.iter().copied().chain(["--json"]));
    let tuned = json(["inspect", s(&one), "--json"]);
    assert_eq!(
        retrained["neighbours"].is_null(),
        tuned["item_item"].is_null()
    );
    let again = json(["inspect", s(&two), "--json"]);
    if blended {
        assert_eq!(again["item_item"], tuned["item_item"], "{text}");
    }
    assert_eq!(again["transitions"], tuned["transitions"], "{text}");
    assert_eq!(info["discovery_calibration"], first["calibration"]);
    let ratio = first["calibration"]["ndcg_ratio"].as_array().unwrap();
    assert_eq!(ratio[0], 1.0);
    assert!(ok(["inspect", s(&one)]).contains("calibrated on a validation split"));

    // The report plots each parameter and the calibration; the split adds up to the log.
    let html = std::fs::read_to_string(&report).unwrap();
    for needle in [
        "nDCG@10 against regularization lambda",
        "nDCG@10 against factors",
        "Training loss of every trial",
        "Discovery calibration",
        "nDCG@10 against the blend weight, for each EASE lambda",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let lines = |name: &str| {
        std::fs::read_to_string(split.join(name))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(
        lines("validation-train.tsv") + lines("validation-test.tsv"),
        shop_log().lines().count()
    );
    assert!(lines("validation-test.tsv") > 0);

    let out = tastebud([
        "tune",
        "--interactions",
        s(&log),
        "--out",
        s(&one),
        "--time",
        "5 parsecs",
    ]);
    assert!(!out.status.success());
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(e.contains("unknown unit \"parsecs\""), "{e}");
    let e = fails([
        "tune",
        "--interactions",
        s(&log),
        "--out",
        s(&one),
        "--budget",
        "0",
    ]);
    assert!(e.contains("budget must be between 1 and 10000"), "{e}");
}

/// `evaluate --tune` tunes on the training part and reports the test figures of the tuned model,
/// with the presets its calibration gives.
#[test]
fn evaluate_tune_reports_the_tuned_model() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", shop_log());
    let cats = write(dir.path(), "categories.tsv", categories_tsv());
    let report = evaluate(
        &log,
        &[
            "--tune",
            "--budget",
            "4",
            "--max-factors",
            "16",
            "--rerank",
            "discovery",
            "--categories",
            s(&cats),
        ],
    );
    let tuned = &report["tune"];
    assert!(tuned["settings"].as_u64().unwrap() <= 4, "{report}");
    assert!(tuned["validation_ndcg"].as_f64().unwrap() > 0.0, "{report}");
    let strength = tuned["discovery_strength"].as_f64().unwrap();
    let calibration = &tuned["calibration"];
    let at = calibration["strengths"]
        .as_array()
        .unwrap()
        .iter()
        .position(|t| t.as_f64().unwrap() == strength)
        .unwrap();
    assert!(
        calibration["ndcg_ratio"][at].as_f64().unwrap() >= 0.9,
        "{report}"
    );
    assert!(report["discovery"]["ndcg"].as_f64().is_some(), "{report}");
}
