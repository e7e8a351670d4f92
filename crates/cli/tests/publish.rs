//! `tastebud publish` and `tastebud recommend --published`: the files on disk, what a visitor
//! reads, republishing, and bad input.

mod common;

use std::fs;
use std::path::Path;

use common::{fails, json, ok, s, write};

/// A demo shop (small) and its publication in `shards` shards.
fn shop(dir: &Path, shards: &str, strict_items: &str) -> serde_json::Value {
    let demo = dir.join("demo");
    ok([
        "demo-data",
        "--out",
        s(&demo),
        "--items",
        "240",
        "--shoppers",
        "600",
    ]);
    publish_json(dir, &["--shards", shards, "--strict-items", strict_items])
}

/// `publish --json` of the demo shop in `dir` to `dir/site`, with `extra` arguments.
fn publish_json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut extra = extra.to_vec();
    extra.push("--json");
    json(publish_args(dir, &dir.join("site"), &extra))
}

/// `publish` of the demo shop in `dir` to `out`, with `extra` arguments.
fn publish_args(dir: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let demo = dir.join("demo");
    let mut args = vec![
        "publish".to_owned(),
        "--catalog".to_owned(),
        s(&demo.join("catalog.json")).to_owned(),
        "--model".to_owned(),
        s(&demo.join("model.tbm")).to_owned(),
        "--out".to_owned(),
        s(out).to_owned(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

/// Shard `s`'s entry in its table, in the publication at `site`.
fn shard_entry(site: &Path, s: usize) -> serde_json::Value {
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(site.join("manifest.json")).unwrap()).unwrap();
    let table = m["shard_tables"][s / 64]["file"].as_str().unwrap();
    let table: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(site.join(table)).unwrap()).unwrap();
    table[s % 64].clone()
}

fn first_ids(dir: &Path, n: usize) -> String {
    let catalog: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("demo/catalog.json")).unwrap()).unwrap();
    catalog["items"].as_array().unwrap()[..n]
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn a_visitor_reading_every_shard_gets_what_the_whole_model_gives() {
    let dir = tempfile::tempdir().unwrap();
    let summary = shop(dir.path(), "6", "100000");
    assert_eq!(summary["shards"], 6);
    assert_eq!(summary["strict_shards"], 6);
    let manifest = dir.path().join("site/manifest.json");
    let ids = first_ids(dir.path(), 3);
    let whole = json([
        "recommend",
        "--model",
        s(&dir.path().join("demo/model.tbm")),
        "--items",
        &ids,
        "--json",
    ]);
    let published = json([
        "recommend",
        "--published",
        s(&manifest),
        "--items",
        &ids,
        "--json",
    ]);
    // The demo model ranks by its factors alone, as version 1 publications do: the same list
    // with the same scores.
    assert_eq!(whole.as_array().unwrap().len(), 10);
    assert_eq!(published, whole);
}

#[test]
fn history_mode_reads_fewer_files_than_there_are_and_strict_mode_reads_the_same_for_all() {
    let dir = tempfile::tempdir().unwrap();
    shop(dir.path(), "8", "0");
    let manifest = dir.path().join("site/manifest.json");
    let run = |ids: &str, privacy: &str| -> String {
        let out = common::tastebud([
            "recommend",
            "--published",
            s(&manifest),
            "--items",
            ids,
            "--privacy",
            privacy,
            "--reads",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    };
    // The files read, in order (`--reads` prints one `read FILE` line each).
    let reads = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.strip_prefix("read "))
            .filter(|f| !f.contains(' '))
            .map(String::from)
            .collect()
    };
    let ids = first_ids(dir.path(), 2);
    let history = run(&ids, "history");
    assert!(history.starts_with("read "), "{history}");
    assert!(!history.contains("8 of 8 shards"), "{history}");
    // Strict mode: the strict set only (one shard here), the same reads for two visitors with
    // different items of it.
    let site = dir.path().join("site");
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&manifest).unwrap()).unwrap();
    let strict = m["strict"][0].as_u64().unwrap() as usize;
    let columns: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(
            site.join(
                shard_entry(&site, strict)["columns"]["file"]
                    .as_str()
                    .unwrap(),
            ),
        )
        .unwrap(),
    )
    .unwrap();
    let page = columns["pages"][0]["file"].as_str().unwrap();
    let records: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(site.join(page)).unwrap()).unwrap();
    let id = |n: usize| records[n]["id"].as_str().unwrap().to_owned();
    let strict_a = run(&format!("{},{}", id(0), id(1)), "strict");
    let strict_b = run(&format!("{},{}", id(5), ids), "strict");
    // The head, the fold-in model, the shard table, and the shard's ranking and column files.
    assert_eq!(reads(&strict_a).len(), 5, "{strict_a}");
    assert_eq!(reads(&strict_a), reads(&strict_b));
    // History mode reads more for a visitor whose items lie outside the strict set.
    assert!(
        reads(&history).iter().any(|f| f.starts_with("dir-")),
        "{history}"
    );
}

#[test]
fn republishing_removes_stale_files_and_a_corrupt_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    shop(dir.path(), "4", "0");
    let site = dir.path().join("site");
    let file_of_first = shard_entry(&site, 0)["ranking"]["file"]
        .as_str()
        .unwrap()
        .to_owned();
    let unrelated = write(&site, "index.html", "<p>mine</p>");
    // The publication replaced keeps its files, for visitors who still hold its manifest.
    let second = publish_json(dir.path(), &["--shards", "3"]);
    assert_eq!(second["removed"], 0, "{second}");
    assert!(site.join(&file_of_first).exists());
    // One more, and the first one's files go (those the second shares stay).
    let third = publish_json(dir.path(), &["--shards", "2"]);
    assert!(third["removed"].as_u64().unwrap() > 0, "{third}");
    assert!(!site.join(&file_of_first).exists());
    assert!(unrelated.exists(), "other files are left alone");

    // Flip a byte of a ranking shard: the reader names the file.
    let entry = shard_entry(&site, 0);
    let rank = entry["ranking"]["file"].as_str().unwrap();
    let mut bytes = fs::read(site.join(rank)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    fs::write(site.join(rank), bytes).unwrap();
    let ids = first_ids(dir.path(), 1);
    let e = fails([
        "recommend",
        "--published",
        s(&site.join("manifest.json")),
        "--items",
        &ids,
        "--privacy",
        "strict",
    ]);
    assert!(e.contains(rank) && e.contains("SHA-256"), "{e}");
}

#[test]
fn bad_shard_counts_and_assignments_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    shop(dir.path(), "2", "0");
    let model = dir.path().join("demo/model.tbm");
    let out = dir.path().join("out");
    let args = |extra: &[&str]| publish_args(dir.path(), &out, extra);
    let base = |extra: &[&str]| fails(args(extra));
    assert!(base(&["--shards", "0"]).contains("--shards must be between 1"));
    let bad = write(dir.path(), "a.tsv", "nope\t1\n");
    let e = base(&["--assignment", s(&bad)]);
    assert!(
        e.contains("a.tsv:1") && e.contains("not in the model"),
        "{e}"
    );
    let ids = first_ids(dir.path(), 1);
    let partial = write(dir.path(), "b.tsv", format!("{ids}\t0\n"));
    let e = base(&["--assignment", s(&partial)]);
    assert!(e.contains("have no shard"), "{e}");
    let bad_number = write(dir.path(), "c.tsv", format!("{ids}\tx\n"));
    let e = base(&["--assignment", s(&bad_number)]);
    assert!(e.contains("c.tsv:1") && e.contains("whole number"), "{e}");
    let twice = write(dir.path(), "e.tsv", format!("{ids}\t0\n{ids}\t1\n"));
    let e = base(&["--assignment", s(&twice)]);
    assert!(e.contains("e.tsv:2") && e.contains("assigned twice"), "{e}");
    let huge = write(dir.path(), "f.tsv", format!("{ids}\t4294967295\n"));
    let e = base(&["--assignment", s(&huge)]);
    assert!(e.contains("f.tsv:1") && e.contains("past the model"), "{e}");

    // An assignment that covers every item works, with the shards it names.
    let inspect = ok(["inspect", s(&model), "--ids"]);
    let lines: String = inspect
        .lines()
        .enumerate()
        .map(|(n, id)| format!("{id}\t{}\n", n % 3))
        .collect();
    let full = write(dir.path(), "d.tsv", lines);
    let v = json(args(&["--assignment", s(&full), "--json"]));
    assert_eq!(v["shards"], 3);
}

#[test]
fn evaluate_measures_what_a_mode_costs_against_every_shard() {
    let dir = tempfile::tempdir().unwrap();
    shop(dir.path(), "6", "0");
    let manifest = dir.path().join("site/manifest.json");
    // Shoppers who each keep to a stretch of the catalog (the demo lists items niche by niche):
    // four items to fold in, two held out.
    let ids = first_ids(dir.path(), 240);
    let ids: Vec<&str> = ids.split(',').collect();
    let (mut train, mut test) = (String::new(), String::new());
    for user in 0..30 {
        let at = (user * 7) % (ids.len() - 6);
        for (n, id) in ids[at..at + 6].iter().enumerate() {
            let line = format!("u{user}\t{id}\n");
            if n < 4 {
                train.push_str(&line);
            } else {
                test.push_str(&line);
            }
        }
    }
    let train = write(dir.path(), "train.tsv", train);
    let test = write(dir.path(), "test.tsv", test);
    let run = |privacy: &str| {
        json([
            "evaluate",
            "--published",
            s(&manifest),
            "--train",
            s(&train),
            "--test",
            s(&test),
            "--privacy",
            privacy,
            "--json",
        ])
    };
    let history = run("history");
    assert_eq!(history["shards"], 6);
    assert_eq!(history["all_shards"]["users"], 30);
    assert_eq!(history["history"]["users"], 30);
    let read = history["median_shards_read"].as_u64().unwrap();
    assert!((1..6).contains(&read), "{history}");
    assert!(
        history["median_bytes_read"].as_u64().unwrap() < history["all_bytes"].as_u64().unwrap()
    );
    let strict = run("strict");
    assert_eq!(strict["median_shards_read"], 1);
    assert_eq!(strict["all_shards"], history["all_shards"]);
    // A strict set of every shard reads all, and so loses nothing.
    shop(dir.path(), "6", "100000");
    let all = run("strict");
    assert_eq!(all["median_shards_read"], 6);
    assert_eq!(all["ndcg_ratio"], 1.0);
    assert_eq!(all["strict"], all["all_shards"]);
}

#[test]
fn inspect_summarizes_a_publication_and_lists_its_ids() {
    let dir = tempfile::tempdir().unwrap();
    let summary = shop(dir.path(), "5", "0");
    let manifest = dir.path().join("site/manifest.json");
    let text = ok(["inspect", s(&manifest)]);
    assert!(text.contains("Tastebud publication, version 4"), "{text}");
    assert!(text.contains("shards          5"), "{text}");
    let v = json(["inspect", s(&manifest), "--json"]);
    assert_eq!(v["shards"], 5);
    assert_eq!(v["items"], summary["items"]);
    assert_eq!(v["strict_shards"], summary["strict_shards"]);
    let ids = ok(["inspect", s(&manifest), "--ids"]);
    let mut published: Vec<&str> = ids.lines().collect();
    let whole = ok(["inspect", s(&dir.path().join("demo/model.tbm")), "--ids"]);
    let mut all: Vec<&str> = whole.lines().collect();
    published.sort_unstable();
    all.sort_unstable();
    assert_eq!(published, all);
    // Any other JSON is named for what it is not.
    let other = write(dir.path(), "other.json", "{\"x\": 1}");
    assert!(fails(["inspect", s(&other)]).contains("not a Tastebud manifest"));
}
