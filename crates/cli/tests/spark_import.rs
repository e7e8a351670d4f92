//! `tastebud import --spark-model` / `--spark-factors` on small Spark-shaped directories written
//! here with the parquet crate: `metadata/part-*` JSON beside `itemFactors/` snappy part files
//! (`id: int32`, `features: array<float>`), rows shuffled across parts as Spark's hash
//! partitioning leaves them. The real-Spark round trip is `scripts/test-spark.sh`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{fails, json, ok, s, write};
use parquet::basic::Compression;
use parquet::data_type::{FloatType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use serde_json::Value;
use tempfile::TempDir;

/// The schema Spark writes for `userFactors` / `itemFactors`.
const SPARK_SCHEMA: &str = "message spark_schema {
  required int32 id;
  optional group features (LIST) {
    repeated group list {
      required float element;
    }
  }
}";

/// Writes one snappy Parquet part file of `(id, features)` rows.
fn write_parquet(path: &Path, rows: &[(i32, Vec<f32>)]) {
    let schema = Arc::new(parse_message_type(SPARK_SCHEMA).unwrap());
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut writer = SerializedFileWriter::new(fs::File::create(path).unwrap(), schema, props)
        .expect("parquet writer");
    let mut group = writer.next_row_group().unwrap();
    let ids: Vec<i32> = rows.iter().map(|r| r.0).collect();
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<Int32Type>()
        .write_batch(&ids, None, None)
        .unwrap();
    column.close().unwrap();
    // Definition level 2 is a present element; repetition level 0 starts a row's list.
    let (mut values, mut def, mut rep) = (Vec::new(), Vec::new(), Vec::new());
    for (_, features) in rows {
        for (j, &v) in features.iter().enumerate() {
            values.push(v);
            def.push(2);
            rep.push(i16::from(j > 0));
        }
    }
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<FloatType>()
        .write_batch(&values, Some(&def), Some(&rep))
        .unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();
}

/// Item `id`'s made-up factors: distinct per item, so a row paired with the wrong id shows.
fn features(id: i32, k: usize) -> Vec<f32> {
    (0..k)
        .map(|j| ((id as f32 + 1.0) * 0.37 + j as f32 * 0.61).sin())
        .collect()
}

const K: usize = 3;
/// Spark ids as hash partitioning leaves them: unsorted, across two part files.
const PART_0: [i32; 4] = [40, 3, 17, 8];
const PART_1: [i32; 3] = [25, 1, 12];

fn metadata_json(rank: usize, class: &str) -> String {
    format!(
        r#"{{"class":"{class}","timestamp":1764000000000,"sparkVersion":"4.3.0","uid":"als_0123","paramMap":{{}},"defaultParamMap":{{"blockSize":4096}},"rank":{rank}}}"#
    )
}

/// A saved-model directory with the given metadata rank and `k` features per item.
fn spark_model(root: &Path, rank: usize, k: usize) -> PathBuf {
    let dir = root.join("als-model");
    for sub in ["metadata", "itemFactors", "userFactors"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
    write(
        &dir.join("metadata"),
        "part-00000-3a1f-c000.txt",
        metadata_json(rank, "org.apache.spark.ml.recommendation.ALSModel") + "\n",
    );
    // Spark's checksums and success markers sit beside the part files.
    write(
        &dir.join("metadata"),
        ".part-00000-3a1f-c000.txt.crc",
        "crc",
    );
    write(&dir.join("metadata"), "_SUCCESS", "");
    write(&dir.join("itemFactors"), "_SUCCESS", "");
    let rows = |ids: &[i32]| -> Vec<(i32, Vec<f32>)> {
        ids.iter().map(|&i| (i, features(i, k))).collect()
    };
    write_parquet(
        &dir.join("itemFactors/part-00000-9c2e-c000.snappy.parquet"),
        &rows(&PART_0),
    );
    write_parquet(
        &dir.join("itemFactors/part-00001-9c2e-c000.snappy.parquet"),
        &rows(&PART_1),
    );
    dir
}

fn all_ids() -> Vec<i32> {
    let mut ids: Vec<i32> = PART_0.iter().chain(&PART_1).copied().collect();
    ids.sort();
    ids
}

/// `spark_id<TAB>sku-<id>` for every item.
fn id_map(root: &Path) -> PathBuf {
    let mut text = String::from("# spark_id\tcatalog_id\n");
    for i in all_ids() {
        text.push_str(&format!("{i}\tsku-{i}\n"));
    }
    write(root, "id-map.tsv", text)
}

fn import(model_dir: &Path, extra: &[&str], out: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "import",
        "--spark-model",
        s(model_dir),
        "--alpha",
        "10",
        "--regularization",
        "0.05",
        "--out",
        s(out),
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

fn fold_in(model: &Path, items: &str) -> Value {
    json([
        "fold-in",
        "--model",
        s(model),
        "--items",
        items,
        "--n",
        "7",
        "--json",
    ])
}

/// The reference: the same rows sorted by id, imported from CSV with Spark's fold-in settings
/// spelled out.
fn csv_reference(root: &Path, precision: &str) -> PathBuf {
    let ids = all_ids();
    let csv: String = ids
        .iter()
        .map(|&i| {
            let row: Vec<String> = features(i, K).iter().map(|v| format!("{v:?}")).collect();
            row.join(",") + "\n"
        })
        .collect();
    let names: String = ids.iter().map(|i| format!("sku-{i}\n")).collect();
    let factors = write(root, "reference.csv", csv);
    let names = write(root, "reference-ids.txt", names);
    let out = root.join(format!("reference-{precision}.tbm"));
    ok([
        "import",
        "--factors",
        s(&factors),
        "--item-ids",
        s(&names),
        "--alpha",
        "10",
        "--regularization",
        "0.05",
        "--confidence",
        "one-plus",
        "--regularization-scaling",
        "by-count",
        "--precision",
        precision,
        "--out",
        s(&out),
    ]);
    out
}

const HISTORY: &str = "sku-3:4,sku-40:1,sku-12:2.5";

#[test]
fn a_saved_model_imports_sorted_by_id_with_spark_fold_in() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    let map = id_map(dir.path());
    let out = dir.path().join("spark.tbm");
    let summary = ok(import(&model_dir, &["--id-map", s(&map)], &out));
    assert!(
        summary.contains("imported 7 items x 3 factors from spark 4.3.0"),
        "{summary}"
    );

    let info = json(["inspect", s(&out), "--json"]);
    assert_eq!(info["confidence"], "one-plus", "{info}");
    assert_eq!(info["regularization_scaling"], "by-count", "{info}");
    assert_eq!(info["provenance"]["source"], "spark 4.3.0", "{info}");
    let listed = ok(["inspect", s(&out), "--ids"]);
    let expected: Vec<String> = all_ids().iter().map(|i| format!("sku-{i}")).collect();
    assert_eq!(listed.lines().collect::<Vec<_>>(), expected);

    // Every row went with its own id: fold-in and ranking equal the sorted CSV import's.
    let reference = csv_reference(dir.path(), "f32");
    assert_eq!(fold_in(&out, HISTORY), fold_in(&reference, HISTORY));
}

#[test]
fn without_an_id_map_the_spark_id_is_the_item_id() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    let out = dir.path().join("spark.tbm");
    ok(import(&model_dir, &[], &out));
    let listed = ok(["inspect", s(&out), "--ids"]);
    let expected: Vec<String> = all_ids().iter().map(i32::to_string).collect();
    assert_eq!(listed.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn f16_precision_matches_an_f16_import_of_the_same_rows() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    let map = id_map(dir.path());
    let (f32_out, f16_out) = (dir.path().join("f32.tbm"), dir.path().join("f16.tbm"));
    ok(import(&model_dir, &["--id-map", s(&map)], &f32_out));
    ok(import(
        &model_dir,
        &["--id-map", s(&map), "--precision", "f16"],
        &f16_out,
    ));
    let info = json(["inspect", s(&f16_out), "--json"]);
    assert_eq!(info["precision"], "f16", "{info}");
    assert_eq!(
        fold_in(&f16_out, HISTORY),
        fold_in(&csv_reference(dir.path(), "f16"), HISTORY)
    );
    // Half the bytes for the factors (7 x 3 x 2 fewer, up to padding to 8 bytes).
    let f32_info = json(["inspect", s(&f32_out), "--json"]);
    let saved = f32_info["bytes"].as_u64().unwrap() - info["bytes"].as_u64().unwrap();
    assert!((42 - 8..=42 + 8).contains(&saved), "{f32_info} {info}");
}

#[test]
fn factors_written_on_their_own_as_parquet_or_json_lines() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    let map = id_map(dir.path());
    let from_model = dir.path().join("model.tbm");
    ok(import(&model_dir, &["--id-map", s(&map)], &from_model));

    // `df.write.json` writes JSON lines in part files; floats as Spark prints them.
    let json_dir = dir.path().join("factors-json");
    fs::create_dir(&json_dir).unwrap();
    for (name, ids) in [
        ("part-00000-ab.json", &PART_1[..]),
        ("part-00001-ab.json", &PART_0[..]),
    ] {
        let lines: String = ids
            .iter()
            .map(|&i| format!("{{\"id\":{i},\"features\":{:?}}}\n", features(i, K)))
            .collect();
        write(&json_dir, name, lines);
    }
    write(&json_dir, "_SUCCESS", "");
    let parquet_dir = model_dir.join("itemFactors");
    for source in [json_dir, parquet_dir] {
        let out = dir.path().join("factors.tbm");
        ok([
            "import",
            "--spark-factors",
            s(&source),
            "--id-map",
            s(&map),
            "--alpha",
            "10",
            "--regularization",
            "0.05",
            "--out",
            s(&out),
        ]);
        let info = json(["inspect", s(&out), "--json"]);
        assert_eq!(info["provenance"]["source"], "spark", "{info}");
        assert_eq!(info["confidence"], "one-plus", "{info}");
        assert_eq!(fold_in(&out, HISTORY), fold_in(&from_model, HISTORY));
    }
}

#[test]
fn a_rank_that_disagrees_with_the_features_is_an_error() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), 4, K);
    let err = fails(import(&model_dir, &[], &dir.path().join("m.tbm")));
    assert!(
        err.contains("has 3 features but the metadata says rank 4"),
        "{err}"
    );
    assert!(!dir.path().join("m.tbm").exists());
}

#[test]
fn missing_metadata_is_an_error() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    fs::remove_dir_all(model_dir.join("metadata")).unwrap();
    let err = fails(import(&model_dir, &[], &dir.path().join("m.tbm")));
    assert!(err.contains("has no metadata/part-* file"), "{err}");
}

#[test]
fn a_model_of_another_class_is_an_error() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    write(
        &model_dir.join("metadata"),
        "part-00000-3a1f-c000.txt",
        metadata_json(K, "org.apache.spark.ml.clustering.KMeansModel"),
    );
    let err = fails(import(&model_dir, &[], &dir.path().join("m.tbm")));
    assert!(err.contains("KMeansModel"), "{err}");
    assert!(err.contains("import ALS models only"), "{err}");
}

#[test]
fn items_missing_from_the_id_map_are_listed() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    let map = write(dir.path(), "partial.tsv", "1\tsku-1\n3\tsku-3\n");
    let err = fails(import(
        &model_dir,
        &["--id-map", s(&map)],
        &dir.path().join("m.tbm"),
    ));
    assert!(
        err.contains("5 Spark item ids are not in") && err.contains("8, 12, 17, 25, 40"),
        "{err}"
    );
    let bad = write(dir.path(), "bad.tsv", "1 sku-1\n");
    let err = fails(import(
        &model_dir,
        &["--id-map", s(&bad)],
        &dir.path().join("m.tbm"),
    ));
    assert!(
        err.contains("bad.tsv:1: expected spark_id<TAB>catalog_id"),
        "{err}"
    );
}

#[test]
fn imported_items_must_be_in_the_catalog_ids() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    let map = id_map(dir.path());
    let known = write(
        dir.path(),
        "known.txt",
        "sku-1\nsku-3\nsku-8\nsku-12\nsku-17\n",
    );
    let err = fails(import(
        &model_dir,
        &["--id-map", s(&map), "--item-ids", s(&known)],
        &dir.path().join("m.tbm"),
    ));
    assert!(
        err.contains("2 imported items are not in") && err.contains("sku-25, sku-40"),
        "{err}"
    );
}

#[test]
fn duplicate_ids_across_parts_are_an_error() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    write_parquet(
        &model_dir.join("itemFactors/part-00002-9c2e-c000.snappy.parquet"),
        &[(17, features(99, K))],
    );
    let err = fails(import(&model_dir, &[], &dir.path().join("m.tbm")));
    assert!(err.contains("item id 17 appears twice"), "{err}");
}

#[test]
fn non_finite_features_are_an_error() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    write_parquet(
        &model_dir.join("itemFactors/part-00001-9c2e-c000.snappy.parquet"),
        &[(25, vec![0.1, f32::NAN, 0.3])],
    );
    let err = fails(import(&model_dir, &[], &dir.path().join("m.tbm")));
    assert!(err.contains("item 25 has a non-finite feature"), "{err}");
}

#[test]
fn empty_item_factors_are_an_error() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    for part in ["part-00000", "part-00001"] {
        write_parquet(
            &model_dir.join(format!("itemFactors/{part}-9c2e-c000.snappy.parquet")),
            &[],
        );
    }
    let err = fails(import(&model_dir, &[], &dir.path().join("m.tbm")));
    assert!(err.contains("no item factors (zero rows)"), "{err}");
}

#[test]
fn unreadable_parquet_is_an_error() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    write(
        &model_dir.join("itemFactors"),
        "part-00001-9c2e-c000.snappy.parquet",
        b"PAR1 cut short by a failed copy",
    );
    let err = fails(import(&model_dir, &[], &dir.path().join("m.tbm")));
    assert!(err.contains("not a readable Parquet file"), "{err}");
}

#[test]
fn a_parquet_file_of_another_schema_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("wrong.parquet");
    let schema = Arc::new(
        parse_message_type("message m { required int64 id; required float weight; }").unwrap(),
    );
    let mut writer =
        SerializedFileWriter::new(fs::File::create(&path).unwrap(), schema, Default::default())
            .unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<Int64Type>()
        .write_batch(&[1], None, None)
        .unwrap();
    column.close().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<FloatType>()
        .write_batch(&[0.5], None, None)
        .unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();
    let err = fails([
        "import",
        "--spark-factors",
        s(&path),
        "--alpha",
        "1",
        "--regularization",
        "0.1",
        "--out",
        s(&dir.path().join("m.tbm")),
    ]);
    assert!(
        err.contains("the columns are id: INT64, weight: FLOAT")
            && err.contains("expected Spark's factor schema"),
        "{err}"
    );
}

#[test]
fn spark_imports_take_no_confidence_flag() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    let mut args = import(&model_dir, &[], &dir.path().join("m.tbm"));
    args.extend(["--confidence".into(), "alpha-times".into()]);
    let out = common::tastebud(args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn with_a_catalog_every_imported_item_must_be_a_catalog_item() {
    let dir = TempDir::new().unwrap();
    let model_dir = spark_model(dir.path(), K, K);
    let catalog = dir.path().join("catalog.json");
    ok([
        "catalog",
        "--from",
        "merchant-feed",
        s(&common::fixture("merchant/feed.xml")),
        "--out",
        s(&catalog),
    ]);
    let text = fs::read_to_string(&catalog).unwrap();
    let items: Value = serde_json::from_str(&text).unwrap();
    let skus: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let mut map: String = all_ids()
        .iter()
        .zip(&skus)
        .map(|(i, sku)| format!("{i}\t{sku}\n"))
        .collect();
    let good = write(dir.path(), "good.tsv", &map);
    let out = dir.path().join("m.tbm");
    ok(import(
        &model_dir,
        &["--id-map", s(&good), "--catalog", s(&catalog)],
        &out,
    ));
    assert_eq!(ok(["inspect", s(&out), "--ids"]).lines().count(), 7);

    map = map.replace(skus[0], "NOT-IN-THE-FEED");
    let bad = write(dir.path(), "bad.tsv", &map);
    let err = fails(import(
        &model_dir,
        &["--id-map", s(&bad), "--catalog", s(&catalog)],
        &out,
    ));
    assert!(
        err.contains("1 imported item is not in") && err.contains("NOT-IN-THE-FEED"),
        "{err}"
    );
}
