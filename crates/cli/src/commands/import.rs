//! `tastebud import`: a model from item factors trained elsewhere (implicit, Spark, ...).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use ndarray::Array2;
use tastebud_core::{FoldInParams, Model, Precision, Provenance};

use crate::args::{ConfidenceArg, PrecisionArg, ScalingArg};
use crate::commands::write_atomically;
use crate::input::{lines, read_file};
use crate::{npy, output};

/// Build a model file from item factors trained elsewhere.
///
/// The fold-in settings must be the ones the factors were trained with: implicit uses
/// --confidence alpha-times and constant regularization; Spark uses one-plus and by-count.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Item factors: a .npy of float32/float64 shaped (items, factors), or a .csv with one row
    /// of comma-separated factors per item.
    #[arg(long, value_name = "FILE")]
    factors: PathBuf,
    /// Item ids, one per line, in the order of the factor rows.
    #[arg(long, value_name = "FILE")]
    item_ids: PathBuf,
    /// The regularization the factors were trained with.
    #[arg(long, allow_negative_numbers = true)]
    regularization: f32,
    /// The alpha the factors were trained with.
    #[arg(long, allow_negative_numbers = true)]
    alpha: f32,
    /// The confidence convention the factors were trained with.
    #[arg(long, value_enum)]
    confidence: ConfidenceArg,
    /// How regularization scaled with a row's number of interactions in training.
    #[arg(long, value_enum, default_value_t = ScalingArg::Constant)]
    regularization_scaling: ScalingArg,
    /// How item factors are stored in the model.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    precision: PrecisionArg,
    /// Training users per item, one count per line (default: all zero).
    #[arg(long, value_name = "FILE")]
    popularity: Option<PathBuf>,
    /// Where to write the model.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

pub fn run(args: ImportArgs) -> Result<()> {
    let factors = read_factors(&args.factors)?;
    let (n, k) = factors.dim();
    let ids = read_ids(&args.item_ids)?;
    if ids.len() != n {
        bail!(
            "{} has {} item ids but {} has {n} factor rows; give one id per row",
            args.item_ids.display(),
            ids.len(),
            args.factors.display()
        );
    }
    let popularity = match &args.popularity {
        Some(path) => read_popularity(path, n)?,
        None => vec![0; n],
    };
    let fold_in = FoldInParams {
        regularization: args.regularization,
        alpha: args.alpha,
        confidence: args.confidence.into(),
        regularization_scaling: args.regularization_scaling.into(),
    };
    let precision = Precision::from(args.precision);
    let provenance = Provenance {
        source: "import".into(),
        ..Provenance::default()
    };
    let model = Model::new(ids, factors, fold_in, popularity, precision, provenance)
        .context("cannot build the model")?;
    let bytes = model.to_bytes();
    write_atomically(&args.out, &bytes)?;
    Ok(output::emit(&format!(
        "imported {n} items x {k} factors from {}; wrote {} ({}, {})\n",
        args.factors.display(),
        args.out.display(),
        output::size(bytes.len() as u64),
        precision.name()
    ))?)
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
