//! Every interaction log format: a tiny hand-written sample parses, bad lines are reported with
//! the file and line.

mod common;

use std::path::Path;

use common::{fails, json, s, write};

/// Trains on `contents` read as `format` and returns the `--json` summary.
fn train(dir: &Path, format: &str, contents: &str) -> serde_json::Value {
    let log = write(dir, "log", contents);
    let out = dir.join("m.tbm");
    json([
        "train",
        "--interactions",
        s(&log),
        "--format",
        format,
        "--out",
        s(&out),
        "--json",
        "--factors",
        "2",
        "--iterations",
        "2",
    ])
}

/// Trains on `contents` read as `format`, expecting an error, and returns stderr.
fn reject(dir: &Path, format: &str, contents: &str) -> String {
    let log = write(dir, "bad", contents);
    let out = dir.join("m.tbm");
    fails([
        "train",
        "--interactions",
        s(&log),
        "--format",
        format,
        "--out",
        s(&out),
    ])
}

fn counts(summary: &serde_json::Value) -> (u64, u64, u64) {
    let n = |k: &str| summary[k].as_u64().unwrap();
    (n("users"), n("items"), n("interactions"))
}

#[test]
fn tsv_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(
        counts(&train(d, "tsv", "u1\ti1\t2.5\nu1\ti2\n\nu2\ti1\t1\n")),
        (2, 2, 3)
    );
    assert_eq!(
        counts(&train(d, "csv", "u1,i1\r\nu2,i2,3\r\nu2,i3,0.5\r\n")),
        (2, 3, 3)
    );

    let e = reject(d, "tsv", "u1\ti1\nu1\ti2\tlots\n");
    assert!(
        e.starts_with(&format!(
            "tastebud: {}:2: weight \"lots\" is not a number; expected tsv:",
            s(&d.join("bad"))
        )),
        "{e}"
    );
    let e = reject(d, "csv", "u1,i1,1\nu1\n");
    assert!(
        e.contains("bad:2: found 1 fields; expected csv: `user,item[,weight]`"),
        "{e}"
    );
    // A MovieLens file read as tsv has four fields.
    let e = reject(d, "tsv", "196\t242\t3\t881250949\n");
    assert!(e.contains("bad:1: found 4 fields"), "{e}");
}

#[test]
fn movielens_both_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ml1m = "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n";
    assert_eq!(counts(&train(d, "movielens", ml1m)), (2, 2, 3));
    let ml100k = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t1\t881250950\n";
    assert_eq!(counts(&train(d, "movielens", ml100k)), (2, 2, 3));

    let e = reject(
        d,
        "movielens",
        "1::1193::5::978300760\n1::661::five::978302109\n",
    );
    assert!(
        e.contains("bad:2: rating \"five\" is not a number; expected movielens:"),
        "{e}"
    );
    let e = reject(d, "movielens", "1::1193::5\n");
    assert!(e.contains("bad:1: found 3 fields"), "{e}");
}

#[test]
fn sequences() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Repeats within a user count once.
    assert_eq!(
        counts(&train(d, "sequences", "u1 a b c a\nu2 b d\n")),
        (2, 4, 5)
    );
    let e = reject(d, "sequences", "u1 a b\nu2\n");
    assert!(
        e.contains("bad:2: user \"u2\" has no items; expected sequences:"),
        "{e}"
    );
}

#[test]
fn jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = r#"{"user": "u1", "item": "i9", "kind": "like", "value": 5, "ts": 1700000000}
{"user": "u1", "item": "i8", "kind": "rate", "value": 4}
{"user": "u2", "item": "i9", "kind": "purchase"}
{"user": "u2", "item": "i7", "kind": "dismiss"}
"#;
    // The dismissed item is known but has no interaction.
    assert_eq!(counts(&train(d, "jsonl", log)), (2, 3, 3));

    let e = reject(d, "jsonl", "{\"user\": \"u1\", \"item\": \"i9\", \"kind\": \"like\"}\n{\"user\": \"u1\", \"item\": \"i9\", \"kind\": \"poke\"}\n");
    assert!(
        e.contains("bad:2: unknown kind \"poke\" (kinds: view, click, like,"),
        "{e}"
    );
    let e = reject(d, "jsonl", "{\"user\": \"u1\", \"item\": \"i9\"\n");
    assert!(e.contains("bad:1: not a valid JSON event"), "{e}");
}

#[test]
fn event_weights_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = write(
        d,
        "log.jsonl",
        "{\"user\": \"u1\", \"item\": \"i1\", \"kind\": \"view\"}\n",
    );
    let out = d.join("m.tbm");
    let weights = write(d, "w.json", r#"{"view": 0}"#);
    // With views worth nothing the log has no preference left.
    let e = fails([
        "train",
        "--interactions",
        s(&log),
        "--format",
        "jsonl",
        "--out",
        s(&out),
        "--weights",
        s(&weights),
    ]);
    assert!(e.contains("no interactions found (read as jsonl:"), "{e}");
    let weights = write(d, "w.json", r#"{"views": 1}"#);
    let e = fails([
        "train",
        "--interactions",
        s(&log),
        "--format",
        "jsonl",
        "--out",
        s(&out),
        "--weights",
        s(&weights),
    ]);
    assert!(
        e.contains("w.json: invalid event weights: unknown field `views`"),
        "{e}"
    );
}

#[test]
fn empty_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = reject(d, "csv", "\n\n");
    assert!(
        e.contains("bad: no interactions found (read as csv:"),
        "{e}"
    );
    let out = d.join("m.tbm");
    let missing = d.join("nope.tsv");
    let e = fails(["train", "--interactions", s(&missing), "--out", s(&out)]);
    assert_eq!(
        e,
        format!(
            "tastebud: cannot read {}: No such file or directory; check the path\n",
            s(&missing)
        )
    );
}
