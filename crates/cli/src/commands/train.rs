//! `tastebud train`: interaction log in, model file out.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use tastebud_core::{
    fit, AlsParams, CsrMatrix, Factors, Model, Precision, Provenance, ValidAlsParams,
};

use crate::args::{ConfidenceArg, PrecisionArg, ScalingArg, SolverArg};
use crate::commands::write_atomically;
use crate::input::{self, Format};
use crate::output;

/// Train an ALS model on an interaction log and write it as a .tbm file.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The interaction log.
    #[arg(long, value_name = "FILE")]
    pub interactions: PathBuf,
    /// Layout of the log.
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    pub format: Format,
    #[command(flatten)]
    pub als: AlsArgs,
    /// Where to write the model.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print a JSON summary instead of text (and no progress bar).
    #[arg(long)]
    pub json: bool,
}

/// Training settings shared by `train` and `evaluate`.
#[derive(Debug, Args)]
pub struct AlsArgs {
    /// Number of latent factors.
    #[arg(long, default_value_t = 64)]
    pub factors: usize,
    /// Regularization weight lambda.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub regularization: f32,
    /// Confidence scale alpha.
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    pub alpha: f32,
    /// Alternating sweeps over users and items.
    #[arg(long, default_value_t = 15)]
    pub iterations: usize,
    /// Conjugate-gradient steps per row update (cg solver only).
    #[arg(long, default_value_t = 3)]
    pub cg_steps: usize,
    /// Seed of the initial factors (and of the split, for evaluate).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Training threads; 0 uses every core. Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// How a preference r becomes a confidence c.
    #[arg(long, value_enum, default_value_t = ConfidenceArg::AlphaTimes)]
    pub confidence: ConfidenceArg,
    /// How regularization scales with a row's number of interactions.
    #[arg(long, value_enum, default_value_t = ScalingArg::Constant)]
    pub regularization_scaling: ScalingArg,
    /// The row solver.
    #[arg(long, value_enum, default_value_t = SolverArg::Cg)]
    pub solver: SolverArg,
    /// How item factors are stored in the model.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
    /// Event weights as JSON (see EventWeights; unknown fields are errors).
    #[arg(long, value_name = "FILE.json")]
    pub weights: Option<PathBuf>,
}

impl AlsArgs {
    /// The checked parameters; a bad value gives the core's "factors must be ..." message.
    pub fn params(&self) -> Result<ValidAlsParams> {
        Ok(AlsParams::new()
            .factors(self.factors)
            .regularization(self.regularization)
            .alpha(self.alpha)
            .iterations(self.iterations)
            .cg_steps(self.cg_steps)
            .seed(self.seed)
            .threads(self.threads)
            .confidence(self.confidence.into())
            .regularization_scaling(self.regularization_scaling.into())
            .solver(self.solver.into())
            .check()?)
    }
}

/// A finished fit.
pub struct Fitted {
    pub factors: Factors,
    /// Wall time of `fit` alone.
    pub seconds: f64,
    /// The last iteration's loss.
    pub loss: f64,
}

/// Runs `fit` with a progress bar that shows the loss.
pub fn fit_with_progress(
    prefs: &CsrMatrix,
    params: &ValidAlsParams,
    quiet: bool,
) -> Result<Fitted> {
    let bar = output::bar(params.iterations as u64, "iterations", quiet);
    let mut loss = f64::NAN;
    let start = Instant::now();
    let factors = fit(prefs, params, |report| {
        loss = report.loss;
        bar.set_message(format!("loss {:.6}", report.loss));
        bar.inc(1);
    });
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    Ok(Fitted {
        factors: factors.context("training failed")?,
        seconds,
        loss,
    })
}

/// Provenance of a model trained here.
pub fn provenance(params: &ValidAlsParams, prefs: &CsrMatrix) -> Provenance {
    Provenance {
        source: "tastebud als".into(),
        iterations: Some(params.iterations),
        cg_steps: Some(params.cg_steps),
        seed: Some(params.seed),
        users: Some(prefs.n_rows()),
        interactions: Some(prefs.nnz()),
    }
}

pub fn run(args: TrainArgs) -> Result<()> {
    let params = args.als.params()?;
    let weights = input::load_weights(args.als.weights.as_deref())?;
    let start = Instant::now();
    let dataset = input::read_dataset(&args.interactions, args.format, &weights)?;
    let load_seconds = start.elapsed().as_secs_f64();
    let prefs = &dataset.matrix;

    let fitted = fit_with_progress(prefs, &params, args.json)?;
    let precision = Precision::from(args.als.precision);
    let model = Model::new(
        dataset.items,
        fitted.factors.items,
        params.fold_in(),
        prefs.column_counts(),
        precision,
        provenance(&params, prefs),
    )
    .context("cannot build the model")?;
    let bytes = model.to_bytes();
    write_atomically(&args.out, &bytes)?;

    if args.json {
        return Ok(output::emit_json(&json!({
            "fit_seconds": fitted.seconds,
            "load_seconds": load_seconds,
            "iterations": params.iterations,
            "loss": fitted.loss,
            "users": prefs.n_rows(),
            "items": model.n_items(),
            "interactions": prefs.nnz(),
            "factors": model.n_factors(),
            "precision": precision.name(),
            "out": args.out.display().to_string(),
            "bytes": bytes.len(),
        }))?);
    }
    let mut text = String::new();
    writeln!(
        text,
        "trained on {} users x {} items ({} interactions) in {:.2} s: {} iterations, final loss {:.6}",
        prefs.n_rows(),
        model.n_items(),
        prefs.nnz(),
        fitted.seconds,
        params.iterations,
        fitted.loss
    )?;
    if dataset.dismissed > 0 {
        writeln!(
            text,
            "{} (user, item) pairs ended dismissed and were left out",
            dataset.dismissed
        )?;
    }
    writeln!(
        text,
        "wrote {} ({}, {} factors, {})",
        args.out.display(),
        output::size(bytes.len() as u64),
        model.n_factors(),
        precision.name()
    )?;
    Ok(output::emit(&text)?)
}
