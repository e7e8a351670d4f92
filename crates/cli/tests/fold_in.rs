//! `tastebud fold-in`: the user vector of a history of `ID:r` pairs, and the top items with seen
//! ones included.

mod common;

use common::{fails, json, s, two_cluster_model};
use tempfile::TempDir;

#[test]
fn prints_the_vector_and_ranks_history_items_too() {
    let dir = TempDir::new().unwrap();
    let model = two_cluster_model(dir.path());
    let run = |items: &str| {
        json([
            "fold-in",
            "--model",
            s(&model),
            "--items",
            items,
            "--n",
            "16",
            "--json",
        ])
    };
    let plain = run("a0,a1");
    assert_eq!(plain["vector"].as_array().unwrap().len(), 2, "{plain}");
    // A bare id is r = 1, and repeats add up.
    assert_eq!(plain, run("a0:1,a1:1"));
    assert_eq!(run("a0:2,a1:1"), run("a0,a0,a1"));
    assert_ne!(plain["vector"], run("a0:5,a1:1")["vector"]);
    // Every item is ranked, the history included, best first.
    let top = plain["top"].as_array().unwrap();
    assert_eq!(top.len(), 16);
    assert!(top.iter().any(|t| t["item"] == "a0"), "{plain}");
    let scores: Vec<f64> = top.iter().map(|t| t["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(
        top[..8]
            .iter()
            .all(|t| t["item"].as_str().unwrap().starts_with('a')),
        "{plain}"
    );
}

#[test]
fn unknown_items_and_bad_ratings_are_errors() {
    let dir = TempDir::new().unwrap();
    let model = two_cluster_model(dir.path());
    let e = fails(["fold-in", "--model", s(&model), "--items", "a0,zz:2"]);
    assert!(e.contains("not in the model: zz"), "{e}");
    let e = fails(["fold-in", "--model", s(&model), "--items", "a0:lots"]);
    assert!(
        e.contains("\"a0:lots\" has r = \"lots\", not a finite number"),
        "{e}"
    );
}
