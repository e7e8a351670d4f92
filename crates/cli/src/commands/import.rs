//! `tastebud import`: a model from item factors trained elsewhere (implicit, Spark MLlib, ...).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use ndarray::Array2;
use tastebud_core::{
    Catalog, Confidence, FoldInParams, Model, Precision, Provenance, RegularizationScaling,
};

use crate::args::{ConfidenceArg, PrecisionArg, ScalingArg};
use crate::commands::write_atomically;
use crate::input::{lines, read_file};
use crate::{npy, output, spark};

/// Build a model file from item factors trained elsewhere.
///
/// The fold-in settings must be the ones the factors were trained with: implicit uses
/// --confidence alpha-times and constant regularization; Spark uses one-plus and by-count, which
/// --spark-model and --spark-factors set for you.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Item factors: a .npy of float32/float64 shaped (items, factors), or a .csv with one row
    /// of comma-separated factors per item.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["spark_model", "spark_factors"], conflicts_with_all = ["spark_model", "spark_factors"])]
    factors: Option<PathBuf>,
    /// A directory written by Spark MLlib's `ALSModel.save` (trained with implicitPrefs=True):
    /// its metadata/ and itemFactors/ are read.
    #[arg(long, value_name = "DIR", conflicts_with = "spark_factors")]
    spark_model: Option<PathBuf>,
    /// A Spark `itemFactors` DataFrame written on its own: a Parquet or JSON-lines file, or the
    /// directory of part files `df.write.parquet` / `df.write.json` wrote.
    #[arg(long, value_name = "PATH")]
    spark_factors: Option<PathBuf>,
    /// With --factors: item ids, one per line, in the order of the factor rows. With a Spark
    /// model: the catalog's item ids, one per line in any order; every imported item must be one.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["spark_model", "spark_factors"])]
    item_ids: Option<PathBuf>,
    /// With a Spark model: the catalog JSON; every imported item must be in it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["factors", "item_ids"])]
    catalog: Option<PathBuf>,
    /// With a Spark model: `spark_id<TAB>catalog_id` lines mapping Spark's integer item ids to
    /// catalog ids (default: the Spark id's decimal string is the item id).
    #[arg(long, value_name = "FILE", conflicts_with = "factors")]
    id_map: Option<PathBuf>,
    /// The regularization the factors were trained with (Spark's regParam).
    #[arg(long, allow_negative_numbers = true)]
    regularization: f32,
    /// The alpha the factors were trained with.
    #[arg(long, allow_negative_numbers = true)]
    alpha: f32,
    /// The confidence convention the factors were trained with (Spark: one-plus, implied).
    #[arg(long, value_enum, required_unless_present_any = ["spark_model", "spark_factors"], conflicts_with_all = ["spark_model", "spark_factors"])]
    confidence: Option<ConfidenceArg>,
    /// How regularization scaled with a row's number of interactions in training (Spark:
    /// by-count, implied).
    #[arg(long, value_enum, default_value_t = ScalingArg::Constant, conflicts_with_all = ["spark_model", "spark_factors"])]
    regularization_scaling: ScalingArg,
    /// How item factors are stored in the model.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    precision: PrecisionArg,
    /// With --factors: training users per item, one count per line (default: all zero).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["spark_model", "spark_factors"])]
    popularity: Option<PathBuf>,
    /// Where to write the model.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Item factors and ids ready for the model, with what the summary line says about them.
struct Imported {
    ids: Vec<String>,
    factors: Array2<f32>,
    fold_in: FoldInParams,
    popularity: Vec<u32>,
    source: String,
    from: String,
}

pub fn run(args: ImportArgs) -> Result<()> {
    let imported = if let Some(dir) = &args.spark_model {
        let (metadata, factors) = spark::read_model(dir)?;
        from_spark(
            &args,
            factors,
            format!("spark {}", metadata.spark_version),
            dir,
        )?
    } else if let Some(path) = &args.spark_factors {
        let factors = spark::read_factors(path, None)?;
        from_spark(&args, factors, "spark".into(), path)?
    } else {
        from_arrays(&args)?
    };
    let (n, k) = imported.factors.dim();
    let precision = Precision::from(args.precision);
    let provenance = Provenance {
        source: imported.source,
        ..Provenance::default()
    };
    let model = Model::new(
        imported.ids,
        imported.factors,
        imported.fold_in,
        imported.popularity,
        precision,
        provenance,
    )
    .context("cannot build the model")?;
    let bytes = model.to_bytes();
    write_atomically(&args.out, &bytes)?;
    Ok(output::emit(&format!(
        "imported {n} items x {k} factors from {}; wrote {} ({}, {})\n",
        imported.from,
        args.out.display(),
        output::size(bytes.len() as u64),
        precision.name()
    ))?)
}

fn from_arrays(args: &ImportArgs) -> Result<Imported> {
    let (Some(factors_path), Some(ids_path), Some(confidence)) =
        (&args.factors, &args.item_ids, args.confidence)
    else {
        bail!("--factors needs --item-ids and --confidence");
    };
    let factors = read_factors(factors_path)?;
    let n = factors.nrows();
    let ids = read_ids(ids_path)?;
    if ids.len() != n {
        bail!(
            "{} has {} item ids but {} has {n} factor rows; give one id per row",
            ids_path.display(),
            ids.len(),
            factors_path.display()
        );
    }
    let popularity = match &args.popularity {
        Some(path) => read_popularity(path, n)?,
        None => vec![0; n],
    };
    Ok(Imported {
        ids,
        factors,
        fold_in: FoldInParams {
            regularization: args.regularization,
            alpha: args.alpha,
            confidence: confidence.into(),
            regularization_scaling: match args.regularization_scaling {
                ScalingArg::Constant => RegularizationScaling::Constant,
                ScalingArg::ByCount => RegularizationScaling::ByCount,
                ScalingArg::Frequency => bail!(
                    "--regularization-scaling frequency is for models `tastebud train` and \
                     `tastebud tune` write; an import is constant (implicit) or by-count (Spark)"
                ),
            },
        },
        popularity,
        source: "import".into(),
        from: factors_path.display().to_string(),
    })
}

/// Spark's implicit ALS solves `(YᵀY + Σ α|r| y yᵀ + regParam · n₊ · I) x = Σ (1 + α r) y` over
/// a user's positive ratings (`ALS.computeFactors`): the core's normal equations with
/// `c = 1 + α r` (one-plus) and `λ · n₊` (by-count).
fn from_spark(
    args: &ImportArgs,
    factors: spark::Factors,
    source: String,
    path: &Path,
) -> Result<Imported> {
    let map = args.id_map.as_deref().map(spark::read_id_map).transpose()?;
    let ids = spark::catalog_ids(&factors.ids, map.as_ref(), args.id_map.as_deref())?;
    if let Some((known, known_path)) = known_ids(args)? {
        let missing: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|id| !known.contains(*id))
            .collect();
        if !missing.is_empty() {
            bail!(
                "{} not in {}: {}{}; map Spark ids to catalog ids with --id-map",
                output::plural(missing.len(), "imported item is", "imported items are"),
                known_path.display(),
                missing
                    .iter()
                    .take(5)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                if missing.len() > 5 { ", ..." } else { "" }
            );
        }
    }
    let n = ids.len();
    Ok(Imported {
        ids,
        factors: factors.factors,
        fold_in: FoldInParams {
            regularization: args.regularization,
            alpha: args.alpha,
            confidence: Confidence::OnePlus,
            regularization_scaling: RegularizationScaling::ByCount,
        },
        popularity: vec![0; n],
        from: format!("{source} ({})", path.display()),
        source,
    })
}

/// The catalog's item ids, from --catalog or --item-ids, if either was given.
fn known_ids(args: &ImportArgs) -> Result<Option<(HashSet<String>, &Path)>> {
    if let Some(path) = &args.catalog {
        let text = String::from_utf8(read_file(path)?)
            .map_err(|_| anyhow!("{}: not UTF-8 text", path.display()))?;
        let catalog = Catalog::from_json(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        return Ok(Some((
            catalog.items.into_iter().map(|i| i.id).collect(),
            path.as_path(),
        )));
    }
    if let Some(path) = &args.item_ids {
        return Ok(Some((
            read_ids(path)?.into_iter().collect(),
            path.as_path(),
        )));
    }
    Ok(None)
}

fn read_factors(path: &Path) -> Result<Array2<f32>> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("npy") => {
            let bytes = read_file(path)?;
            npy::parse(&bytes).map_err(|e| anyhow!("{}: {e}", path.display()))
        }
        Some("csv") => read_csv_factors(path),
        _ => bail!(
            "{}: cannot tell the factor file's type; name it .npy (numpy.save) or .csv",
            path.display()
        ),
    }
}

/// The numbered lines of a file where line N describes item N: blank lines may only trail.
fn rows<'a>(path: &Path, bytes: &'a [u8]) -> Result<Vec<(usize, &'a str)>> {
    let mut rows = Vec::new();
    let mut blank = None;
    for line in lines(path, bytes) {
        let (number, text) = line?;
        if text.trim().is_empty() {
            blank.get_or_insert(number);
            continue;
        }
        if let Some(b) = blank {
            bail!(
                "{}:{b}: blank line; give one line per item, with no gaps",
                path.display()
            );
        }
        rows.push((number, text));
    }
    Ok(rows)
}

/// One row of `k` comma-separated finite floats per item, no header.
fn read_csv_factors(path: &Path) -> Result<Array2<f32>> {
    let bytes = read_file(path)?;
    let mut values = Vec::new();
    let (mut n_rows, mut width) = (0, None);
    for (number, line) in rows(path, &bytes)? {
        let at = || format!("{}:{number}", path.display());
        let mut count = 0;
        for field in line.split(',').map(str::trim) {
            let v: f32 = field
                .parse()
                .ok()
                .filter(|v: &f32| v.is_finite())
                .ok_or_else(|| anyhow!("{}: {field:?} is not a finite number; expected one row of comma-separated factors per item, no header", at()))?;
            values.push(v);
            count += 1;
        }
        match width {
            None => width = Some(count),
            Some(w) if w != count => {
                bail!("{}: {count} factors, but earlier rows have {w}", at())
            }
            Some(_) => {}
        }
        n_rows += 1;
    }
    let Some(k) = width else {
        bail!("{}: no factor rows", path.display());
    };
    Ok(Array2::from_shape_vec((n_rows, k), values).expect("rows x k values"))
}

/// One id per line; repeats are errors.
fn read_ids(path: &Path) -> Result<Vec<String>> {
    let bytes = read_file(path)?;
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    let mut ids = Vec::new();
    for (number, id) in rows(path, &bytes)? {
        let id = id.trim();
        if let Some(earlier) = first_line.insert(id, number) {
            bail!(
                "{}:{number}: item id {id:?} already appears on line {earlier}; ids must be unique",
                path.display()
            );
        }
        ids.push(id.to_owned());
    }
    Ok(ids)
}

/// One non-negative integer per line, `n` lines.
fn read_popularity(path: &Path, n: usize) -> Result<Vec<u32>> {
    let bytes = read_file(path)?;
    let mut counts = Vec::with_capacity(n);
    for (number, text) in rows(path, &bytes)? {
        let count = text.trim().parse().map_err(|_| {
            anyhow!(
                "{}:{number}: {text:?} is not a count; expected one non-negative integer per line",
                path.display()
            )
        })?;
        counts.push(count);
    }
    if counts.len() != n {
        bail!(
            "{} has {} counts for {n} items; give one per item, in the order of the ids",
            path.display(),
            counts.len()
        );
    }
    Ok(counts)
}
