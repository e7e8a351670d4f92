//! `tastebud latency`, the benchmark helper.

mod common;

use common::{fails, json, ok, s, two_cluster_model};

#[test]
fn reports_median_and_p95() {
    let dir = tempfile::tempdir().unwrap();
    let model = two_cluster_model(dir.path());
    let r = json([
        "latency",
        "--model",
        s(&model),
        "--random-visitor",
        "3",
        "--runs",
        "25",
        "--json",
    ]);
    assert_eq!(r["runs"], 25);
    assert_eq!(r["history"], 3);
    let (median, p95) = (
        r["median_ms"].as_f64().unwrap(),
        r["p95_ms"].as_f64().unwrap(),
    );
    assert!(median > 0.0 && p95 >= median, "{r}");

    let text = ok([
        "latency",
        "--model",
        s(&model),
        "--items",
        "a1,b2",
        "--runs",
        "5",
    ]);
    assert!(
        text.starts_with("fold-in + top-10 for a 2-item visitor (16 items x 2 factors): median"),
        "{text}"
    );
}

#[test]
fn impossible_visitors_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let model = two_cluster_model(dir.path());
    let e = fails(["latency", "--model", s(&model), "--random-visitor", "17"]);
    assert!(
        e.contains("between 1 and the model's 16 items, got 17"),
        "{e}"
    );
    let e = fails([
        "latency",
        "--model",
        s(&model),
        "--items",
        "a1",
        "--runs",
        "0",
    ]);
    assert!(e.contains("runs must be at least 1"), "{e}");
}
