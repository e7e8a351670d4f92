//! `tastebud train`: interaction log in, model file out.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;
use tastebud_core::{
    default_setting, fit, fit_neighbours, fit_transitions, AlsParams, CsrMatrix, Factors, Model,
    Precision, Provenance, RegularizationScaling, ValidAlsParams, DEFAULT_NEIGHBOUR_ITEMS,
    DEFAULT_TRANSITION_DECAY, DEFAULT_TRANSITION_DEPTH, DEFAULT_TRANSITION_ENTRIES,
    DEFAULT_TRANSITION_MIN_USERS, DEFAULT_TRANSITION_WINDOW, INIT_STD, MAX_TRANSITION_DEPTH,
};

use crate::args::{ConfidenceArg, PrecisionArg, ScalingArg, SolverArg};
use crate::commands::tune::NeighbourArgs;
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
///
/// Every hyperparameter left out takes its value from the untuned default for the log
/// (frequency-scaled iALS, see `tastebud_core::default_setting`): 64 or 128 factors by the log's
/// size, unobserved weight 0.1 (alpha 10, one-plus confidence), exponent 0.5 and the
/// regularization of a user with no history at 0.6 times the mean items per user. With `--regularization-scaling constant` or
/// `by-count`, the ones left out are implicit's defaults instead (regularization 0.05, alpha 10,
/// `alpha-times` confidence, implicit's initialization).
#[derive(Debug, Args)]
pub struct AlsArgs {
    /// Number of latent factors [default: 64, or 128 from 2,000 items and 50,000 interactions].
    #[arg(long)]
    pub factors: Option<usize>,
    /// Regularization weight lambda [default: frequency scaling: rho / (0.1 * items)^0.5 with
    /// rho 0.6 times the mean items per user; otherwise 0.05].
    #[arg(long, allow_negative_numbers = true)]
    pub regularization: Option<f32>,
    /// Confidence scale alpha [default: 10].
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: Option<f32>,
    /// Alternating sweeps over users and items.
    #[arg(long, default_value_t = 15)]
    pub iterations: usize,
    /// Conjugate-gradient steps per row update (cg solver only).
    #[arg(long, default_value_t = 3)]
    pub cg_steps: usize,
    /// How a preference r becomes a confidence c [default: one-plus with frequency scaling,
    /// alpha-times (as implicit) otherwise].
    #[arg(long, value_enum)]
    pub confidence: Option<ConfidenceArg>,
    /// How regularization scales with a row's number of interactions.
    #[arg(long, value_enum, default_value_t = ScalingArg::Frequency)]
    pub regularization_scaling: ScalingArg,
    /// With frequency scaling: the exponent nu of (n + unobserved_weight * m) [default: 0.5].
    #[arg(long, value_name = "NU")]
    pub regularization_exponent: Option<f32>,
    /// With frequency scaling: alpha0, the unobserved cells' weight in the regularization
    /// [default: 1 / alpha, which with one-plus confidence is Rendle et al.'s iALS].
    #[arg(long, value_name = "ALPHA0")]
    pub unobserved_weight: Option<f32>,
    /// Initial factors from N(0, sigma^2 / factors) [default: 0.1 with frequency scaling;
    /// otherwise uniform in [0, 0.01), as implicit draws them].
    #[arg(long, value_name = "SIGMA")]
    pub init_std: Option<f32>,
    /// The row solver.
    #[arg(long, value_enum, default_value_t = SolverArg::Cg)]
    pub solver: SolverArg,
    #[command(flatten)]
    pub neighbours: NeighbourArgs,
    /// EASE's lambda for the item-item model [default: 8 times the mean users per item].
    #[arg(long, value_name = "LAMBDA", allow_negative_numbers = true)]
    pub neighbour_regularization: Option<f32>,
    /// The item-item model's blend weight (score = factor score + weight * item-item score)
    /// [default: 0.25 times the ratio of the factor scores' spread to the item-item scores'].
    #[arg(long, value_name = "W", allow_negative_numbers = true)]
    pub neighbour_weight: Option<f32>,
    #[command(flatten)]
    pub transitions: TransitionArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The next-item model (`tastebud_core::Transitions`): which items came shortly after which in
/// the log's sequences, read from a visitor's latest items.
#[derive(Debug, Clone, Args)]
pub struct TransitionArgs {
    /// Next items the transition model keeps per item; 0 leaves it out [default: 32 for logs
    /// that say in what order events came (sequences, movielens, jsonl, ga4); 0 for tsv and csv
    /// and with --regularization-scaling constant or by-count]. A jsonl log without "ts" must
    /// list each user's events oldest first.
    #[arg(long, value_name = "N")]
    pub transition_entries: Option<usize>,
    /// Shoppers (sequences) a pair of items needs to count as a transition: what one shopper
    /// did alone is neither a pattern nor for every visitor to download.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TRANSITION_MIN_USERS)]
    pub transition_min_users: usize,
    /// Steps after an item that count as its next items (each `1 / steps`).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TRANSITION_WINDOW)]
    pub transition_window: usize,
    /// A visitor's latest items the model reads, 1 to 16.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TRANSITION_DEPTH)]
    pub transition_depth: u32,
    /// How much each older latest item counts next to the newer one, in (0, 1].
    #[arg(long, value_name = "D", default_value_t = DEFAULT_TRANSITION_DECAY)]
    pub transition_decay: f32,
    /// The transition model's blend weight [default: 1 times the ratio of the other scores'
    /// spread to the transition scores'].
    #[arg(long, value_name = "W", allow_negative_numbers = true)]
    pub transition_weight: Option<f32>,
}

impl TransitionArgs {
    /// Next items per item for a log in `format`: as given, else
    /// [`DEFAULT_TRANSITION_ENTRIES`] for a format that says in what order events came and 0
    /// for `tsv` and `csv`, whose line order may mean nothing.
    pub fn entries(&self, format: Format) -> usize {
        let default = if format.is_ordered() {
            DEFAULT_TRANSITION_ENTRIES
        } else {
            0
        };
        self.transition_entries.unwrap_or(default)
    }

    /// Adds the transition model these flags describe, with `entries` per item, to `model`
    /// (trained on `m`, whose users' sequences are `sequences`), unless `entries` is 0 or no two
    /// different items follow each other for `--transition-min-users` shoppers; returns whether
    /// it added one.
    pub fn add(
        &self,
        entries: usize,
        model: &mut Model,
        m: &CsrMatrix,
        sequences: &[Vec<u32>],
    ) -> Result<bool> {
        if entries == 0 || !sequences.iter().any(|s| s.windows(2).any(|w| w[0] != w[1])) {
            return Ok(false);
        }
        let next = match fit_transitions(
            model,
            m,
            sequences,
            self.transition_window,
            entries,
            self.transition_min_users,
            self.transition_depth,
            self.transition_decay,
            self.transition_weight,
        ) {
            Ok(next) => next,
            // No pair of items follows each other for enough shoppers: no transition model.
            Err(tastebud_core::Error::EmptyData(_)) => return Ok(false),
            Err(e) => return Err(e).context("the transition model failed"),
        };
        model.set_transitions(Some(next))?;
        Ok(true)
    }

    /// Checks the flags before any data is read.
    pub fn check(&self) -> Result<()> {
        if self.transition_entries.is_some_and(|n| n > 1024) {
            bail!("transition-entries must be at most 1024");
        }
        if self.transition_min_users == 0 {
            bail!("transition-min-users must be at least 1");
        }
        if !(1..=64).contains(&self.transition_window) {
            bail!(
                "transition-window must be between 1 and 64, got {}",
                self.transition_window
            );
        }
        if !(1..=MAX_TRANSITION_DEPTH).contains(&self.transition_depth) {
            bail!(
                "transition-depth must be between 1 and {MAX_TRANSITION_DEPTH}, got {}",
                self.transition_depth
            );
        }
        let decay = self.transition_decay;
        if !(decay > 0.0 && decay <= 1.0) {
            bail!("transition-decay must be in (0, 1], got {decay}");
        }
        if let Some(w) = self.transition_weight {
            if !(w.is_finite() && w > 0.0) {
                bail!("transition-weight must be finite and > 0, got {w}");
            }
        }
        Ok(())
    }
}

/// What every training command shares besides the hyperparameters: `train`, `evaluate` and
/// `tune`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Seed of the initial factors (and of the split, for evaluate and tune).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Training threads; 0 uses every core. Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
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

impl RunArgs {
    /// How logs in `format` become preferences, from --weights and --ga4-map.
    pub fn reading(&self, format: Format) -> Result<Reading> {
        Reading::load(format, self.weights.as_deref(), self.ga4_map.as_deref())
    }
}

impl AlsArgs {
    /// How logs in `format` become preferences, from --weights and --ga4-map.
    pub fn reading(&self, format: Format) -> Result<Reading> {
        self.run.reading(format)
    }

    /// Checks the flags given before any data is read (the defaults derived from the data are
    /// always valid).
    pub fn check(&self) -> Result<()> {
        self.neighbours.check()?;
        self.transitions.check()?;
        for (name, value) in [
            ("neighbour-regularization", self.neighbour_regularization),
            ("neighbour-weight", self.neighbour_weight),
        ] {
            if let Some(v) = value {
                if !(v.is_finite() && v > 0.0) {
                    bail!("{name} must be finite and > 0, got {v}");
                }
            }
        }
        self.params_for(&CsrMatrix::from_triplets(1, 1, &[(0, 0, 1.0)]))
            .map(|_| ())
    }

    /// Items the item-item model is solved over: 0 (none) by default for implicit's and Spark's
    /// formulations, whose models stay as those libraries define them.
    pub fn neighbour_items(&self) -> usize {
        let default = if self.regularization_scaling == ScalingArg::Frequency {
            DEFAULT_NEIGHBOUR_ITEMS
        } else {
            0
        };
        self.neighbours.neighbour_items.unwrap_or(default)
    }

    /// Next items the transition model keeps per item: by default 0 (none) for implicit's and
    /// Spark's formulations, like [`neighbour_items`](Self::neighbour_items).
    pub fn transition_entries(&self, format: Format) -> usize {
        if self.regularization_scaling == ScalingArg::Frequency {
            self.transitions.entries(format)
        } else {
            self.transitions.transition_entries.unwrap_or(0)
        }
    }

    /// Adds the transition model these flags describe to `model` (see
    /// [`TransitionArgs::add`]) for a log in `format`.
    pub fn add_transitions(
        &self,
        format: Format,
        model: &mut Model,
        m: &CsrMatrix,
        sequences: &[Vec<u32>],
    ) -> Result<bool> {
        self.transitions
            .add(self.transition_entries(format), model, m, sequences)
    }

    /// Adds the item-item model these flags describe to `model` (trained on `m` with user
    /// factors `users`), unless it is turned off; returns the seconds it took.
    pub fn add_neighbours(
        &self,
        model: &mut Model,
        m: &CsrMatrix,
        users: &ndarray::Array2<f32>,
        quiet: bool,
    ) -> Result<f64> {
        let items = self.neighbour_items();
        if items == 0 {
            return Ok(0.0);
        }
        let spinner = output::spinner("solving the item-item model", quiet);
        let started = Instant::now();
        let nb = fit_neighbours(
            model,
            m,
            users,
            items,
            self.neighbours.entries,
            self.neighbour_regularization.map(f64::from),
            self.neighbour_weight.map(f64::from),
            self.run.threads,
        )
        .context("the item-item model failed")?;
        model.set_neighbours(Some(nb))?;
        spinner.finish_and_clear();
        Ok(started.elapsed().as_secs_f64())
    }

    /// The checked parameters for the user x item matrix `m` (whose shape sets the untuned
    /// defaults); a bad value gives the core's "factors must be ..." message.
    pub fn params_for(&self, m: &CsrMatrix) -> Result<ValidAlsParams> {
        let base = default_setting(m.n_rows(), m.n_cols(), m.nnz());
        let frequency = self.regularization_scaling == ScalingArg::Frequency;
        let alpha = self.alpha.unwrap_or(10.0);
        let exponent = self.regularization_exponent.unwrap_or(base.exponent as f32);
        let unobserved_weight = self.unobserved_weight.unwrap_or(1.0 / alpha);
        let scaling = match self.regularization_scaling {
            ScalingArg::Constant => RegularizationScaling::Constant,
            ScalingArg::ByCount => RegularizationScaling::ByCount,
            ScalingArg::Frequency => RegularizationScaling::Frequency {
                exponent,
                unobserved_weight,
            },
        };
        let regularization = self.regularization.unwrap_or(if frequency {
            (base.rho / (unobserved_weight as f64 * m.n_cols() as f64).powf(exponent as f64)) as f32
        } else {
            0.05
        });
        let confidence = self.confidence.unwrap_or(if frequency {
            ConfidenceArg::OnePlus
        } else {
            ConfidenceArg::AlphaTimes
        });
        let init_std = self.init_std.or(frequency.then_some(INIT_STD));
        Ok(AlsParams::new()
            .factors(self.factors.unwrap_or(base.factors))
            .regularization(regularization)
            .alpha(alpha)
            .iterations(self.iterations)
            .cg_steps(self.cg_steps)
            .seed(self.run.seed)
            .threads(self.run.threads)
            .confidence(confidence.into())
            .regularization_scaling(scaling)
            .solver(self.solver.into())
            .init_std(init_std)
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
    tastebud_core::trained_provenance(params, prefs)
}

pub fn run(args: TrainArgs) -> Result<()> {
    args.als.check()?;
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
    let params = args.als.params_for(prefs)?;

    let fitted = fit_with_progress(prefs, &params, args.json)?;
    let precision = Precision::from(args.als.run.precision);
    let mut model = Model::new(
        dataset.items,
        fitted.factors.items,
        params.fold_in(),
        prefs.column_counts(),
        precision,
        provenance(&params, prefs),
    )
    .context("cannot build the model")?;
    let neighbours_seconds =
        args.als
            .add_neighbours(&mut model, prefs, &fitted.factors.users, args.json)?;
    args.als
        .add_transitions(args.format, &mut model, prefs, &dataset.sequences)?;
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
            "neighbours": model.neighbours().map(|nb| json!({
                "regularization": nb.regularization(),
                "weight": nb.weight(),
                "entries": nb.n_entries(),
                "seconds": neighbours_seconds,
            })),
            "transitions": model.transitions().map(|t| json!({
                "entries": t.table().n_entries(),
                "weight": t.weight(),
                "depth": t.depth(),
                "decay": t.decay(),
            })),
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
    if let Some(nb) = model.neighbours() {
        writeln!(
            text,
            "item-item model: EASE lambda {}, weight {:.4}, {} entries, in {neighbours_seconds:.2} s",
            nb.regularization(),
            nb.weight(),
            nb.n_entries()
        )?;
    }
    if let Some(t) = model.transitions() {
        writeln!(
            text,
            "transition model: {} entries, weight {:.4}, the latest {} items with decay {}",
            t.table().n_entries(),
            t.weight(),
            t.depth(),
            t.decay()
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
