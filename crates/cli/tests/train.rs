//! `tastebud train` and `tastebud inspect` on a small generated log.

mod common;

use common::{fails, json, ok, s, two_clusters_tsv, write, SMALL};

/// `train --json` on `log` into `model` with the small test settings, then `extra`.
fn train_args<'a>(
    log: &'a std::path::Path,
    model: &'a std::path::Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "train",
        "--interactions",
        s(log),
        "--out",
        s(model),
        "--json",
    ];
    args.extend(SMALL);
    args.extend(extra);
    args
}

#[test]
fn trains_a_model_that_inspect_describes() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", two_clusters_tsv());
    let model = dir.path().join("model.tbm");
    let summary = json(train_args(&log, &model, &[]));

    assert!(model.exists());
    for key in ["fit_seconds", "load_seconds", "loss"] {
        assert!(summary[key].as_f64().unwrap() >= 0.0, "{key}: {summary}");
    }
    assert_eq!(summary["iterations"], 10);
    assert_eq!(summary["users"], 40);
    assert_eq!(summary["items"], 16);
    assert_eq!(summary["interactions"], 240);
    assert_eq!(summary["factors"], 2);
    assert_eq!(summary["precision"], "f32");
    assert_eq!(summary["bytes"], std::fs::metadata(&model).unwrap().len());

    let info = json(["inspect", s(&model), "--json"]);
    assert_eq!(info["items"], 16);
    assert_eq!(info["factors"], 2);
    // The untuned default: frequency-scaled iALS (a version 3 field) with an item-item model (a
    // version 4 field); a tsv log says nothing of the order of events, so no transition model.
    assert_eq!(info["format_version"], 4);
    assert!(info["transitions"].is_null(), "{info}");
    assert!(
        summary["neighbours"]["entries"].as_u64().unwrap() > 0,
        "{summary}"
    );
    assert_eq!(
        info["item_item"]["entries"], summary["neighbours"]["entries"],
        "{info}"
    );
    assert_eq!(info["confidence"], "one-plus");
    assert_eq!(info["alpha"], 10.0);
    assert_eq!(info["regularization_scaling"], "frequency");
    assert_eq!(info["regularization_exponent"], 0.5);
    assert_eq!(info["unobserved_weight"], 0.1);
    assert!(info["discovery_calibration"].is_null());
    assert_eq!(info["provenance"]["source"], "tastebud als");
    assert_eq!(info["provenance"]["seed"], 7);
    assert_eq!(
        info["first_items"],
        serde_json::json!(["a1", "a2", "a3", "a5", "a6"])
    );
    assert_eq!(info["most_popular"].as_array().unwrap().len(), 5);

    let text = ok(["inspect", s(&model)]);
    assert!(text.contains("format version 4"), "{text}");
    assert!(text.contains("item-item       EASE (lambda "), "{text}");
    assert!(text.contains("transitions     none"), "{text}");
    assert!(
        text.contains("frequency: lambda * (n + 0.1 * 16 items)^0.5"),
        "{text}"
    );
    assert!(text.contains("not calibrated"), "{text}");
    assert!(text.contains("tastebud als: 10 iterations"), "{text}");
    let ids = ok(["inspect", s(&model), "--ids"]);
    assert_eq!(ids.lines().count(), 16);
}

#[test]
fn human_summary_and_precision() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", two_clusters_tsv());
    let model = dir.path().join("small.tbm");
    let mut args = vec!["train", "--interactions", s(&log), "--out", s(&model)];
    args.extend(SMALL);
    args.extend([
        "--precision",
        "int8",
        "--solver",
        "cholesky",
        "--confidence",
        "one-plus",
    ]);
    let text = ok(args);
    assert!(
        text.starts_with("trained on 40 users x 16 items (240 interactions)"),
        "{text}"
    );
    assert!(text.contains("2 factors, int8"), "{text}");

    let info = json(["inspect", s(&model), "--json"]);
    assert_eq!(info["precision"], "int8");
    assert_eq!(info["confidence"], "one-plus");
    // The model was written through a temporary file that is gone now.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn bad_parameters_are_reported_before_reading_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.tbm");
    let cases = [
        (["--factors", "0"], "tastebud: factors must be"),
        (
            ["--regularization", "-1"],
            "tastebud: regularization must be finite and > 0, got -1",
        ),
        (["--iterations", "0"], "tastebud: iterations must be"),
    ];
    for (flags, message) in cases {
        let mut args = vec![
            "train",
            "--interactions",
            "never-read.tsv",
            "--out",
            s(&out),
        ];
        args.extend(flags);
        let stderr = fails(args);
        assert!(stderr.starts_with(message), "{stderr}");
    }
    assert!(!out.exists());
}

/// The item-item model's flags: off with `--neighbour-items 0` or implicit's formulation, fixed
/// lambda and weight as given, and bad values refused before any data is read.
#[test]
fn item_item_flags() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", two_clusters_tsv());
    let model = dir.path().join("model.tbm");
    let train = |extra: &[&str]| json(train_args(&log, &model, extra));
    let off = train(&["--neighbour-items", "0", "--transition-entries", "0"]);
    assert!(off["neighbours"].is_null(), "{off}");
    assert_eq!(json(["inspect", s(&model), "--json"])["format_version"], 3);
    let asked = train(&["--neighbour-items", "0", "--transition-entries", "8"]);
    assert!(asked["neighbours"].is_null(), "{asked}");
    assert_eq!(asked["transitions"]["depth"], 3);
    assert_eq!(json(["inspect", s(&model), "--json"])["format_version"], 6);
    let implicit = train(&["--regularization-scaling", "constant"]);
    assert!(implicit["neighbours"].is_null(), "{implicit}");
    let fixed = train(&[
        "--neighbour-regularization",
        "20",
        "--neighbour-weight",
        "0.5",
        "--neighbour-entries",
        "2",
    ]);
    assert_eq!(fixed["neighbours"]["regularization"], 20.0, "{fixed}");
    assert_eq!(fixed["neighbours"]["weight"], 0.5, "{fixed}");
    // Two per solved item on average, so at most 2 x 16.
    assert!(
        fixed["neighbours"]["entries"].as_u64().unwrap() <= 32,
        "{fixed}"
    );
    let text = ok(["inspect", s(&model)]);
    assert!(text.contains("EASE (lambda 20)"), "{text}");
    assert!(text.contains("blend weight 0.5"), "{text}");
    for (flag, value, want) in [
        (
            "--neighbour-weight",
            "0",
            "neighbour-weight must be finite and > 0",
        ),
        (
            "--neighbour-regularization",
            "-1",
            "neighbour-regularization must be finite and > 0",
        ),
        (
            "--neighbour-items",
            "20000",
            "neighbour-items must be at most 16384",
        ),
        (
            "--neighbour-entries",
            "0",
            "neighbour-entries must be between 1 and 1024",
        ),
    ] {
        let e = fails([
            "train",
            "--interactions",
            s(&log),
            "--out",
            s(&model),
            flag,
            value,
        ]);
        assert!(e.contains(want), "{flag} {value}: {e}");
    }
}
