//! Spark MLlib ALS output: a saved `ALSModel` directory, or an `itemFactors` DataFrame on its own.
//!
//! `ALSModel.save(dir)` writes `metadata/part-*` (one JSON line with the class, `sparkVersion`
//! and `rank`) beside `itemFactors/` and `userFactors/`, each a directory of snappy Parquet part
//! files with the schema `id: int32, features: array<float>`. The rows are hash-partitioned, not
//! sorted by id. Spark does not save `alpha`, `regParam` or `implicitPrefs`.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use ndarray::Array2;
use parquet::basic::Type as Physical;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::schema::types::SchemaDescriptor;
use serde::Deserialize;
use serde_json::Value;

use crate::input::{io_reason, lines, read_file};

/// The class `ALSModel.save` records in its metadata.
pub const ALS_MODEL_CLASS: &str = "org.apache.spark.ml.recommendation.ALSModel";

/// What a saved model's metadata says.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// The number of factors.
    pub rank: usize,
    /// The Spark version that saved the model.
    pub spark_version: String,
}

/// Item factors read from Spark, sorted by Spark id.
#[derive(Debug, Clone)]
pub struct Factors {
    /// Spark's integer item ids, ascending.
    pub ids: Vec<i64>,
    /// One row per id.
    pub factors: Array2<f32>,
}

/// Reads a directory written by `ALSModel.save`: its metadata and its item factors.
pub fn read_model(dir: &Path) -> Result<(Metadata, Factors)> {
    if !dir.is_dir() {
        bail!(
            "{} is not a directory; give the directory ALSModel.save wrote",
            dir.display()
        );
    }
    let metadata = read_metadata(dir)?;
    let item_dir = dir.join("itemFactors");
    if !item_dir.is_dir() {
        bail!(
            "{} has no itemFactors/ directory; is it a saved ALSModel?",
            dir.display()
        );
    }
    let factors = read_factors(&item_dir, Some(metadata.rank))?;
    Ok((metadata, factors))
}

/// Reads `dir/metadata/part-*`.
pub fn read_metadata(dir: &Path) -> Result<Metadata> {
    let meta_dir = dir.join("metadata");
    let parts = if meta_dir.is_dir() {
        part_files(&meta_dir)?
    } else {
        Vec::new()
    };
    let Some(path) = parts.first() else {
        bail!(
            "{} has no metadata/part-* file; give the directory ALSModel.save wrote",
            dir.display()
        );
    };
    let bytes = read_file(path)?;
    let text = lines(path, &bytes)
        .filter_map(|l| l.ok())
        .map(|(_, l)| l.trim())
        .find(|l| !l.is_empty())
        .ok_or_else(|| anyhow!("{}: empty metadata file", path.display()))?;
    let json: Value = serde_json::from_str(text)
        .map_err(|e| anyhow!("{}: not Spark's JSON metadata ({e})", path.display()))?;
    let class = json.get("class").and_then(Value::as_str).unwrap_or("");
    if class != ALS_MODEL_CLASS {
        bail!(
            "{}: the saved class is {class:?}, not {ALS_MODEL_CLASS}; import ALS models only",
            path.display()
        );
    }
    let rank = json
        .get("rank")
        .and_then(Value::as_u64)
        .filter(|&r| r > 0)
        .ok_or_else(|| anyhow!("{}: no positive \"rank\" in the metadata", path.display()))?;
    let spark_version = json
        .get("sparkVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{}: no \"sparkVersion\" in the metadata", path.display()))?
        .to_owned();
    Ok(Metadata {
        rank: rank as usize,
        spark_version,
    })
}

/// Reads item factors: a Parquet or JSON-lines file, or a directory of part files as Spark's
/// `df.write.parquet` / `df.write.json` write them. Parquet is told from JSON by its magic bytes.
/// With `rank`, every row must have that many features; without, every row as many as the first.
pub fn read_factors(path: &Path, rank: Option<usize>) -> Result<Factors> {
    let files = if path.is_dir() {
        let files = part_files(path)?;
        if files.is_empty() {
            bail!(
                "{} holds no part files; give the directory Spark wrote the factors to",
                path.display()
            );
        }
        files
    } else {
        vec![path.to_owned()]
    };
    let mut rows = Vec::new();
    for file in &files {
        if is_parquet(file)? {
            read_parquet(file, &mut rows)?;
        } else {
            read_json_lines(file, &mut rows)?;
        }
    }
    collect(path, rows, rank)
}

/// One factor row and the file it came from.
struct RawRow {
    id: i64,
    features: Vec<f32>,
    file: PathBuf,
}

/// Checks widths, values and ids, and sorts by id.
fn collect(path: &Path, mut rows: Vec<RawRow>, rank: Option<usize>) -> Result<Factors> {
    let Some(first) = rows.first() else {
        bail!("{}: no item factors (zero rows)", path.display());
    };
    let k = rank.unwrap_or(first.features.len());
    let what = if rank.is_some() {
        "the metadata says rank"
    } else {
        "the first row has"
    };
    for row in &rows {
        if row.features.len() != k {
            bail!(
                "{}: item {} has {} features but {what} {k}; give the factors of the model the metadata describes",
                row.file.display(),
                row.id,
                row.features.len()
            );
        }
        if row.features.iter().any(|v| !v.is_finite()) {
            bail!(
                "{}: item {} has a non-finite feature; the Spark model diverged, retrain it",
                row.file.display(),
                row.id
            );
        }
    }
    rows.sort_by_key(|r| r.id);
    if let Some(pair) = rows.windows(2).find(|w| w[0].id == w[1].id) {
        bail!(
            "{}: item id {} appears twice; give one row per item",
            path.display(),
            pair[0].id
        );
    }
    let ids = rows.iter().map(|r| r.id).collect();
    let values = rows
        .into_iter()
        .flat_map(|r| r.features)
        .collect::<Vec<_>>();
    let n = values.len() / k.max(1);
    let factors = Array2::from_shape_vec((n, k), values).expect("n x k values");
    Ok(Factors { ids, factors })
}

/// Spark's part files in `dir`, by name: hidden files (`.part-*.crc`) and markers (`_SUCCESS`)
/// are skipped.
fn part_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dir)
        .map_err(|e| anyhow!("cannot list {}: {}", dir.display(), io_reason(&e)))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| anyhow!("cannot list {}: {}", dir.display(), io_reason(&e)))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') || !entry.path().is_file() {
            continue;
        }
        files.push(entry.path());
    }
    files.sort();
    Ok(files)
}

fn is_parquet(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut file = File::open(path)
        .map_err(|e| anyhow!("cannot read {}: {}", path.display(), io_reason(&e)))?;
    let n = file
        .read(&mut magic)
        .map_err(|e| anyhow!("cannot read {}: {}", path.display(), io_reason(&e)))?;
    Ok(n == 4 && &magic == b"PAR1")
}

/// The file's column layout, for error messages: `id: INT32, features.list.element: FLOAT`.
fn describe(schema: &SchemaDescriptor) -> String {
    schema
        .columns()
        .iter()
        .map(|c| format!("{}: {}", c.path().string(), c.physical_type()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_schema(path: &Path, schema: &SchemaDescriptor) -> Result<()> {
    let columns = schema.columns();
    let id = columns
        .iter()
        .any(|c| c.path().parts() == ["id"] && c.physical_type() == Physical::INT32);
    let features = columns.iter().any(|c| {
        c.path().parts().first().map(String::as_str) == Some("features")
            && c.physical_type() == Physical::FLOAT
            && c.max_rep_level() == 1
    });
    if !(id && features) {
        bail!(
            "{}: the columns are {}; expected Spark's factor schema, id: int32 and features: array<float>",
            path.display(),
            describe(schema)
        );
    }
    Ok(())
}

fn read_parquet(path: &Path, rows: &mut Vec<RawRow>) -> Result<()> {
    let unreadable = |e: parquet::errors::ParquetError| {
        anyhow!(
            "{}: not a readable Parquet file ({e}); give Spark's itemFactors part files",
            path.display()
        )
    };
    let file = File::open(path)
        .map_err(|e| anyhow!("cannot read {}: {}", path.display(), io_reason(&e)))?;
    let reader = SerializedFileReader::new(file).map_err(unreadable)?;
    check_schema(path, reader.metadata().file_metadata().schema_descr())?;
    for row in reader.get_row_iter(None).map_err(unreadable)? {
        let row = row.map_err(unreadable)?;
        let (mut id, mut features) = (None, None);
        for (name, field) in row.get_column_iter() {
            match (name.as_str(), field) {
                ("id", Field::Int(v)) => id = Some(i64::from(*v)),
                ("features", Field::ListInternal(list)) => {
                    let values = list
                        .elements()
                        .iter()
                        .map(|f| match f {
                            Field::Float(v) => Some(*v),
                            _ => None,
                        })
                        .collect::<Option<Vec<f32>>>();
                    features = Some(values.ok_or_else(|| {
                        anyhow!("{}: a features list holds a null", path.display())
                    })?);
                }
                _ => {}
            }
        }
        let id = id.ok_or_else(|| anyhow!("{}: a row has a null id", path.display()))?;
        let features =
            features.ok_or_else(|| anyhow!("{}: item {id} has null features", path.display()))?;
        rows.push(RawRow {
            id,
            features,
            file: path.to_owned(),
        });
    }
    Ok(())
}

/// One row of `df.write.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    id: i32,
    features: Vec<f32>,
}

fn read_json_lines(path: &Path, rows: &mut Vec<RawRow>) -> Result<()> {
    let bytes = read_file(path)?;
    for line in lines(path, &bytes) {
        let (number, text) = line?;
        if text.trim().is_empty() {
            continue;
        }
        let row: JsonRow = serde_json::from_str(text).map_err(|e| {
            anyhow!(
                "{}:{number}: not a factor row ({e}); expected Parquet or JSON lines like {{\"id\": 1, \"features\": [0.1, ...]}}",
                path.display()
            )
        })?;
        rows.push(RawRow {
            id: i64::from(row.id),
            features: row.features,
            file: path.to_owned(),
        });
    }
    Ok(())
}

/// Reads an id map: `spark_id<TAB>catalog_id` per line, `#` comments and blank lines allowed.
pub fn read_id_map(path: &Path) -> Result<HashMap<i64, String>> {
    let bytes = read_file(path)?;
    let mut map = HashMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in lines(path, &bytes) {
        let (number, text) = line?;
        if text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        let at = || format!("{}:{number}", path.display());
        let (spark, catalog) = text
            .split_once('\t')
            .ok_or_else(|| anyhow!("{}: expected spark_id<TAB>catalog_id, got {text:?}", at()))?;
        let spark: i64 = spark
            .trim()
            .parse()
            .map_err(|_| anyhow!("{}: {spark:?} is not an integer Spark id", at()))?;
        let catalog = catalog.trim();
        if catalog.is_empty() {
            bail!("{}: empty catalog id", at());
        }
        if let Some(earlier) = seen.insert(catalog.to_owned(), number) {
            bail!(
                "{}: catalog id {catalog:?} is already mapped on line {earlier}; map each catalog id once",
                at()
            );
        }
        if map.insert(spark, catalog.to_owned()).is_some() {
            bail!("{}: Spark id {spark} is mapped twice", at());
        }
    }
    Ok(map)
}

/// Catalog ids for Spark ids: through the map, or each id's decimal string without one. Every
/// Spark id must be mapped; the error lists a few that are not.
pub fn catalog_ids(
    ids: &[i64],
    map: Option<&HashMap<i64, String>>,
    map_path: Option<&Path>,
) -> Result<Vec<String>> {
    let Some(map) = map else {
        return Ok(ids.iter().map(i64::to_string).collect());
    };
    let missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !map.contains_key(id))
        .collect();
    if !missing.is_empty() {
        let few: Vec<String> = missing.iter().take(5).map(i64::to_string).collect();
        bail!(
            "{} not in {}: {}{}; add a spark_id<TAB>catalog_id line for each",
            crate::output::plural(missing.len(), "Spark item id is", "Spark item ids are"),
            map_path.map_or_else(|| "the id map".into(), |p| p.display().to_string()),
            few.join(", "),
            if missing.len() > few.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    Ok(ids.iter().map(|id| map[id].clone()).collect())
}
