//! `tastebud train`: interaction log in, model file out.

use std::ffi::OsString;
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
use crate::feeds::{self, FeedFormat};
use crate::input::{self, Format, Reading};
use crate::{ga4, output};

/// Train an ALS model on an interaction log and write it as a .tbm file.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The interaction log.
    #[arg(long, value_name = "FILE")]
    pub interactions: PathBuf,
    /// Layout of the log.
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    pub format: Format,
    /// The product feed the catalog is built from (`merchant-feed FILE` or `shopify-csv FILE`):
    /// events on a variant's id (a Merchant id with an item_group_id, a Shopify Variant SKU) count
    /// for its product, as `tastebud catalog` folds them.
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"])]
    pub feed: Vec<OsString>,
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
    /// With --format ga4: which GA4 events count as which kinds, and their weights, as JSON:
    /// {"events": {"begin_checkout": null, "generate_lead": "like"}, "weights": {"purchase": 10}}.
    #[arg(long, value_name = "FILE.json")]
    pub ga4_map: Option<PathBuf>,
}

impl AlsArgs {
    /// How logs in `format` become preferences, from --weights and --ga4-map.
    pub fn reading(&self, format: Format) -> Result<Reading> {
        Reading::load(format, self.weights.as_deref(), self.ga4_map.as_deref())
    }

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
    let mut reading = args.als.reading(args.format)?;
    let start = Instant::now();
    if !args.feed.is_empty() {
        let (format, path) = FeedFormat::with_path("--feed", &args.feed)?;
        reading.items = feeds::variant_map(&feeds::read(format, &path, None)?);
    }
    let loaded = input::read_log(&args.interactions, &reading)?;
    let (dataset, ga4, remapped) = (loaded.dataset, loaded.ga4, loaded.remapped);
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
        let mut summary = json!({
            "fit_seconds": fitted.seconds,
            "load_seconds": load_seconds,
            "iterations": params.iterations,
            "loss": fitted.loss,
            "users": prefs.n_rows(),
            "items": model.n_items(),
            "interactions": prefs.nnz(),
            "dismissed": dataset.dismissed,
            "factors": model.n_factors(),
            "precision": precision.name(),
            "out": args.out.display().to_string(),
            "bytes": bytes.len(),
        });
        if !args.feed.is_empty() {
            summary["variant_events"] = json!(remapped);
        }
        if let Some(r) = &ga4 {
            summary["ga4"] = json!({
                "rows": r.rows,
                "used": r.used,
                "events": r.by_kind,
                "unknown": r.unknown,
                "ignored": r.ignored,
                "skipped_no_user": r.no_user,
                "skipped_no_item": r.no_item,
                "searches": r.searches.values().sum::<u32>(),
            });
        }
        return Ok(output::emit_json(&summary)?);
    }
    let mut text = String::new();
    if let Some(r) = &ga4 {
        ga4_summary(&mut text, r)?;
    }
    if !args.feed.is_empty() {
        writeln!(
            text,
            "{remapped} events on variant ids counted for their product"
        )?;
    }
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

/// What a GA4 export gave, unknown and skipped rows included.
fn ga4_summary(text: &mut String, r: &ga4::Report) -> std::fmt::Result {
    let kinds: Vec<String> = r.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    writeln!(
        text,
        "GA4: {} rows, {} used, giving {} item events ({})",
        r.rows,
        r.used,
        r.events(),
        kinds.join(", ")
    )?;
    if !r.unknown.is_empty() {
        writeln!(
            text,
            "  {} rows of unknown events not counted: {}",
            r.unknown_rows(),
            ga4::most_first(&r.unknown, 8)
        )?;
    }
    if !r.ignored.is_empty() {
        writeln!(
            text,
            "  {} rows of events ignored by the mapping: {}",
            r.ignored_rows(),
            ga4::most_first(&r.ignored, 8)
        )?;
    }
    if r.no_user + r.no_item > 0 {
        writeln!(
            text,
            "  {} rows skipped: {} with no user, {} with no item",
            r.no_user + r.no_item,
            r.no_user,
            r.no_item
        )?;
    }
    let searches: u32 = r.searches.values().sum();
    if searches > 0 {
        writeln!(
            text,
            "  {} ({}; `tastebud catalog --searches` lists them in the shop)",
            output::plural(searches as usize, "search", "searches"),
            output::plural(r.searches.len(), "distinct term", "distinct terms")
        )?;
    }
    Ok(())
}
