//! `tastebud evaluate` in both modes on clustered data.

mod common;

use common::{fails, json, ok, s, two_cluster_model, two_clusters_tsv, write, SMALL};

const METRICS: [&str; 9] = [
    "k",
    "users",
    "precision",
    "recall",
    "ndcg",
    "map",
    "coverage",
    "tail_share",
    "novelty",
];

#[test]
fn holdout_beats_most_popular() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", two_clusters_tsv());
    let mut args = vec![
        "evaluate",
        "--interactions",
        s(&log),
        "--test-fraction",
        "0.2",
        "--json",
    ];
    args.extend(SMALL);
    let report = json(args.clone());
    for key in METRICS {
        assert!(report["als"][key].is_number(), "als {key}: {report}");
        assert!(
            report["most_popular"][key].is_number(),
            "most_popular {key}: {report}"
        );
    }
    assert!(report["als"]["fit_seconds"].is_number());
    assert_eq!(report["als"]["users"], 40);
    let ndcg = |m: &str| report[m]["ndcg"].as_f64().unwrap();
    assert!(ndcg("als") > ndcg("most_popular"), "{report}");

    args.retain(|a| *a != "--json");
    let text = ok(args);
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[0].starts_with("holdout: 20%"), "{text}");
    assert!(
        rows[1].starts_with("model") && rows[1].contains("nDCG@10"),
        "{text}"
    );
    assert!(rows[2].starts_with("most popular"), "{text}");
    assert!(rows[3].starts_with("als"), "{text}");
}

#[test]
fn held_out_users() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", two_clusters_tsv());
    let mut args = vec![
        "evaluate",
        "--interactions",
        s(&log),
        "--strong-generalization",
        "0.25",
        "--json",
    ];
    args.extend(SMALL);
    let report = json(args);
    assert_eq!(report["als"]["users"], 10);
    assert!(
        report["als"]["ndcg"].as_f64().unwrap() > report["most_popular"]["ndcg"].as_f64().unwrap()
    );
}

#[test]
fn a_model_against_train_and_test_logs() {
    let dir = tempfile::tempdir().unwrap();
    let model = two_cluster_model(dir.path());
    // Users listed in another order in each file; one test row has an item the model lacks.
    let train = write(
        dir.path(),
        "train.tsv",
        "u1\ta1\nu1\ta2\nu30\tb0\nu30\tb1\n",
    );
    let test = write(dir.path(), "test.tsv", "u30\tb3\nu1\ta3\nu1\tnew-item\n");
    let report = json([
        "evaluate",
        "--model",
        s(&model),
        "--train",
        s(&train),
        "--test",
        s(&test),
        "--k",
        "6",
        "--json",
    ]);
    for key in METRICS {
        assert!(report[key].is_number(), "{key}: {report}");
    }
    assert_eq!(report["k"], 6);
    assert_eq!(report["users"], 2);
    assert_eq!(report["skipped_train"], 0);
    assert_eq!(report["skipped_test"], 1);
    assert!(report["recall"].as_f64().unwrap() > 0.99, "{report}");

    let text = ok([
        "evaluate",
        "--model",
        s(&model),
        "--train",
        s(&train),
        "--test",
        s(&test),
    ]);
    assert!(
        text.contains("skipped 0 training and 1 test interactions"),
        "{text}"
    );
}

#[test]
fn nothing_to_evaluate_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", "u1\ta\nu1\tb\nu2\ta\n");
    let e = fails(["evaluate", "--interactions", s(&log), "--factors", "2"]);
    assert!(e.contains("lower --min-interactions"), "{e}");
}

/// Users walking around two rings of items, each from their own starting point: which item comes
/// next is all in the order, which the factors cannot see.
fn rings() -> String {
    let mut out = String::new();
    for u in 0..60 {
        let ring = if u % 2 == 0 { 'a' } else { 'b' };
        let start = (u * 7) % 40;
        let walk: Vec<String> = (0..6 + u % 3)
            .map(|step| format!("{ring}{}", (start + step) % 40))
            .collect();
        out.push_str(&format!("u{u} {}\n", walk.join(" ")));
    }
    out
}

#[test]
fn leave_last_out_measures_the_session_signal() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "rings.txt", rings());
    let mut args = vec![
        "evaluate",
        "--protocol",
        "leave-last-out",
        "--interactions",
        s(&log),
        "--format",
        "sequences",
        "--json",
    ];
    args.extend(SMALL);
    let report = json(args.clone());
    assert_eq!(report["protocol"], "leave-last-out");
    assert_eq!(report["users"], 60);
    let row = |name: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {report}"))
            .clone()
    };
    let (als, session) = (row("als"), row("session"));
    // The next item on the ring is always the right one: the transitions find nearly all.
    assert!(session["hr"].as_f64().unwrap() > 0.9, "{report}");
    assert!(
        session["ndcg"].as_f64().unwrap() > als["ndcg"].as_f64().unwrap() + 0.2,
        "{report}"
    );
    assert!(session["share"].as_f64().unwrap() > 0.0, "{report}");
    assert_eq!(report["validation"].as_array().unwrap().len(), 9);

    args.retain(|a| *a != "--json");
    let text = ok(args);
    assert!(text.starts_with("leave-last-out: 60 users"), "{text}");
    assert!(text.contains("als + session"), "{text}");

    let e = fails([
        "evaluate",
        "--protocol",
        "leave-last-out",
        "--interactions",
        s(&log),
        "--format",
        "sequences",
        "--tune",
    ]);
    assert!(e.contains("--tune goes with --protocol holdout"), "{e}");
    let e = fails([
        "evaluate",
        "--protocol",
        "leave-last-out",
        "--interactions",
        s(&log),
        "--format",
        "sequences",
        "--min-interactions",
        "50",
    ]);
    assert!(
        e.contains("no user has a sequence of 50 or more items"),
        "{e}"
    );
}

/// `train` keeps the log's order as a transition model, unless told not to; the model file says so.
#[test]
fn train_writes_the_transition_model() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "rings.txt", rings());
    let out = dir.path().join("m.tbm");
    let mut args = vec![
        "train",
        "--interactions",
        s(&log),
        "--format",
        "sequences",
        "--out",
        s(&out),
        "--json",
    ];
    args.extend(SMALL);
    let report = json(args.clone());
    assert!(
        report["transitions"]["entries"].as_u64().unwrap() >= 20,
        "{report}"
    );
    assert_eq!(report["transitions"]["depth"], 3);
    let inspected = ok(["inspect", s(&out)]);
    assert!(
        inspected.contains("read from the latest 3 with decay 0.5"),
        "{inspected}"
    );
    args.extend(["--transition-entries", "0"]);
    let report = json(args);
    assert!(report["transitions"].is_null(), "{report}");
    let e = fails([
        "train",
        "--interactions",
        s(&log),
        "--format",
        "sequences",
        "--out",
        s(&out),
        "--transition-decay",
        "1.5",
    ]);
    assert!(e.contains("transition-decay must be in (0, 1]"), "{e}");
}
