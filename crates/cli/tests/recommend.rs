//! `tastebud recommend` on the two-cluster model.

mod common;

use common::{cluster, fails, json, ok, s, two_cluster_model};

#[test]
fn recommends_the_rest_of_the_visitors_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let model = two_cluster_model(dir.path());
    let top = json([
        "recommend",
        "--model",
        s(&model),
        "--items",
        "a0,a4",
        "--n",
        "6",
        "--json",
    ]);
    let top = top.as_array().unwrap();
    let items: Vec<&str> = top.iter().map(|r| r["item"].as_str().unwrap()).collect();
    let mut expected: Vec<String> = cluster('a');
    expected.retain(|i| i != "a0" && i != "a4");
    let mut sorted = items.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "{top:?}");
    let scores: Vec<f64> = top.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(top.iter().all(|r| r.get("because").is_none()));

    let text = ok([
        "recommend",
        "--model",
        s(&model),
        "--items",
        "b1",
        "--n",
        "3",
    ]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].trim_start().starts_with("1  b"), "{text}");
}

#[test]
fn explanations_name_history_items() {
    let dir = tempfile::tempdir().unwrap();
    let model = two_cluster_model(dir.path());
    let history = ["a0", "a1", "a2", "a3"];
    let top = json([
        "recommend",
        "--model",
        s(&model),
        "--items",
        &history.join(","),
        "--n",
        "2",
        "--explain",
        "--json",
    ]);
    for rec in top.as_array().unwrap() {
        let because = rec["because"].as_array().unwrap();
        assert_eq!(because.len(), 3, "{rec}");
        let contributions: Vec<f64> = because
            .iter()
            .map(|b| b["contribution"].as_f64().unwrap())
            .collect();
        assert!(contributions.windows(2).all(|w| w[0] >= w[1]), "{rec}");
        assert!(
            because
                .iter()
                .all(|b| history.contains(&b["item"].as_str().unwrap())),
            "{rec}"
        );
    }
    let text = ok([
        "recommend",
        "--model",
        s(&model),
        "--items",
        "a0,a1",
        "--n",
        "1",
        "--explain",
    ]);
    assert!(text.contains("because a"), "{text}");
}

#[test]
fn unknown_items_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let model = two_cluster_model(dir.path());
    let e = fails(["recommend", "--model", s(&model), "--items", "a0,zebra,yak"]);
    assert!(e.starts_with("tastebud: items are not in the model: zebra, yak; list the model's item ids with `tastebud inspect"), "{e}");
    let e = fails(["recommend", "--model", s(&model), "--items", ","]);
    assert!(e.starts_with("tastebud: --items is empty"), "{e}");
}

/// A list longer than the catalog asks for the whole catalog, not for memory it cannot have.
#[test]
fn a_huge_n_lists_every_other_item() {
    let dir = tempfile::tempdir().unwrap();
    let model = two_cluster_model(dir.path());
    for n in ["18446744073709551615", "100000000000"] {
        let got = json([
            "recommend",
            "--model",
            s(&model),
            "--items",
            "a1",
            "--n",
            n,
            "--json",
        ]);
        assert_eq!(got.as_array().unwrap().len(), 15, "{got}");
    }
}
