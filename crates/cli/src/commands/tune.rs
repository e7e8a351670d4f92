//! `tastebud tune`: search frequency-scaled iALS's hyperparameters on a validation split carved
//! from the log, calibrate the discovery presets on the same split, retrain the best setting on
//! the whole log and write the model.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use tastebud_core::{
    calibrate, fit, neighbours_for, tune, Calibration, CsrMatrix, ItemCategories, Model,
    NeighbourTrial, Precision, Setting, Trial, TuneObserver, TuneOptions, Tuned, BALANCED_KEEPS,
    DEFAULT_NEIGHBOUR_ENTRIES, DEFAULT_NEIGHBOUR_ITEMS, DEFAULT_TRANSITION_DECAY,
    DEFAULT_TRANSITION_DEPTH, DEFAULT_TRANSITION_WINDOW, DISCOVERY_KEEPS, MAX_NEIGHBOUR_ITEMS,
};

use crate::categories;
use crate::commands::train::{provenance, RunArgs, TransitionArgs};
use crate::commands::write_atomically;
use crate::input::{self, Format};
use crate::output;
use crate::report;

/// Search the model's hyperparameters on a validation split of the log, then train the best
/// setting on the whole log and write the model.
///
/// The search is Rendle et al.'s protocol for iALS (RecSys 2022): the regularization and the
/// unobserved weight jointly on a log grid, then the dimension doubled while it helps. With
/// --categories the discovery presets are calibrated on the same split and the table is stored
/// in the model.
#[derive(Debug, Args)]
pub struct TuneArgs {
    /// The interaction log.
    #[arg(long, value_name = "FILE")]
    pub interactions: PathBuf,
    /// Layout of the log.
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    pub format: Format,
    /// Where to write the model.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    pub neighbours: NeighbourArgs,
    #[command(flatten)]
    pub transitions: TransitionArgs,
    /// Alternating sweeps per fit.
    #[arg(long, default_value_t = 15, value_name = "N")]
    pub iterations: usize,
    /// Item categories (`item<TAB>category` lines or Amazon's item2names JSON): the discovery
    /// calibration then measures category coverage, and the presets spread across categories.
    #[arg(long, value_name = "FILE")]
    pub categories: Option<PathBuf>,
    /// With an item2names file: the list index used as the category.
    #[arg(long, value_name = "N", requires = "categories")]
    pub category_level: Option<usize>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Write a self-contained HTML report: validation nDCG against each parameter, the loss per
    /// iteration and the discovery calibration.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Also write the validation split the search scored on, as `validation-train.tsv` and
    /// `validation-test.tsv` (`user<TAB>item<TAB>weight`) in this folder, so another library can
    /// be tuned on exactly the same split.
    #[arg(long, value_name = "DIR")]
    pub save_split: Option<PathBuf>,
    /// Print a JSON summary instead of text (and no progress bar).
    #[arg(long)]
    pub json: bool,
}

/// Writes `m`'s cells as `user<TAB>item<TAB>weight` lines with the log's own ids.
fn write_cells(
    path: &std::path::Path,
    m: &CsrMatrix,
    users: &[String],
    items: &[String],
) -> Result<()> {
    let mut text = String::with_capacity(m.nnz() * 16);
    for (u, user) in users.iter().enumerate().take(m.n_rows()) {
        let (cols, values) = m.row(u);
        for (&i, &v) in cols.iter().zip(values) {
            let _ = writeln!(text, "{user}\t{}\t{v}", items[i as usize]);
        }
    }
    write_atomically(path, text.as_bytes())
}

/// The item-item model's size: shared by `train`, `tune` and `evaluate`.
#[derive(Debug, Clone, Args)]
pub struct NeighbourArgs {
    /// Items the item-item model (EASE, pruned to its largest weights) is solved over: the most
    /// frequent ones, at most 16384; 0 leaves it out [default: 8192; 0 for `train` with
    /// --regularization-scaling constant or by-count, implicit's and Spark's formulations].
    /// `tune` keeps it only when it beats the factors alone on the validation split.
    #[arg(long, value_name = "N")]
    pub neighbour_items: Option<usize>,
    /// Entries the pruned item-item model keeps, on average per solved item.
    #[arg(long = "neighbour-entries", default_value_t = DEFAULT_NEIGHBOUR_ENTRIES, value_name = "N")]
    pub entries: usize,
}

impl NeighbourArgs {
    /// Checks the flags before any data is read.
    pub fn check(&self) -> Result<()> {
        if let Some(items) = self.neighbour_items {
            if items > MAX_NEIGHBOUR_ITEMS {
                bail!(
                    "neighbour-items must be at most {MAX_NEIGHBOUR_ITEMS} (a dense items x items solve), got {items}"
                );
            }
        }
        if !(1..=1024).contains(&self.entries) {
            bail!(
                "neighbour-entries must be between 1 and 1024, got {}",
                self.entries
            );
        }
        Ok(())
    }
}

/// How long the search runs: shared by `tune` and `evaluate --tune`.
#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Most settings trained during the search.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub budget: usize,
    /// Stop the search after this long (`90s`, `5m`, `1h`; a bare number is seconds), keeping
    /// the best so far.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub time: Option<Duration>,
    /// The largest number of factors the search tries.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_factors: usize,
    /// Share of each validation user's items held out for validation.
    #[arg(long, default_value_t = 0.2, value_name = "FRACTION")]
    pub validation_fraction: f64,
}

/// `90s`, `5m`, `1h`, `1.5m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((at, _)) => t.split_at(at),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}; use s, m or h, e.g. 90s or 5m"
            ))
        }
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * scale <= 7.0 * 86_400.0 => {
            Ok(Duration::from_secs_f64(v * scale))
        }
        _ => Err(format!(
            "{text:?} is not a duration between 1 second and 7 days, e.g. 90s, 5m or 1h"
        )),
    }
}

/// How each fit of the search runs.
pub struct Fits {
    pub iterations: usize,
    pub seed: u64,
    pub threads: usize,
}

/// A finished search and its calibration.
pub struct Searched {
    pub tuned: Tuned,
    pub options: TuneOptions,
    pub calibration: Calibration,
    pub seconds: f64,
}

/// Searches on a validation split of `matrix` with a progress bar (unless `quiet`), then
/// calibrates discovery on that split.
pub fn search(
    matrix: &CsrMatrix,
    item_ids: &[String],
    args: &SearchArgs,
    neighbours: &NeighbourArgs,
    fits: Fits,
    categories: Option<&ItemCategories>,
    quiet: bool,
) -> Result<Searched> {
    if !(1..=10_000).contains(&args.budget) {
        bail!(
            "budget must be between 1 and 10000 trials, got {}",
            args.budget
        );
    }
    if !(1..=1024).contains(&args.max_factors) {
        bail!(
            "max-factors must be between 1 and 1024, got {}",
            args.max_factors
        );
    }
    neighbours.check()?;
    let options = TuneOptions {
        budget: args.budget,
        validation_fraction: args.validation_fraction,
        seed: fits.seed,
        iterations: fits.iterations,
        threads: fits.threads,
        max_factors: args.max_factors,
        neighbour_items: neighbours
            .neighbour_items
            .unwrap_or(DEFAULT_NEIGHBOUR_ITEMS),
        neighbour_entries: neighbours.entries,
        ..TuneOptions::default()
    };
    let start = Instant::now();
    let bar = output::bar(args.budget as u64, "settings", quiet);
    struct Progress<'a> {
        bar: &'a indicatif::ProgressBar,
        start: Instant,
        deadline: Option<Duration>,
    }
    impl TuneObserver for Progress<'_> {
        fn trial(&mut self, _trial: &Trial, best: &Trial, _budget: usize) -> bool {
            self.bar.set_message(format!(
                "best nDCG@10 {:.4} ({} factors, trial {})",
                best.ndcg, best.setting.factors, best.number
            ));
            self.bar.inc(1);
            self.deadline.is_none_or(|d| self.start.elapsed() < d)
        }
        fn now(&self) -> Option<f64> {
            Some(self.start.elapsed().as_secs_f64())
        }
        fn neighbour_trial(&mut self, _trial: &NeighbourTrial, best: &NeighbourTrial) -> bool {
            self.bar.set_message(format!(
                "item-item stage: best blend nDCG@10 {:.4} (lambda {}, weight {:.3})",
                best.ndcg, best.regularization, best.weight
            ));
            self.deadline.is_none_or(|d| self.start.elapsed() < d)
        }
    }
    let mut progress = Progress {
        bar: &bar,
        start,
        deadline: args.time,
    };
    let tuned = tune(matrix, item_ids, &options, &mut progress).context("tuning failed")?;
    bar.finish_and_clear();
    let spinner = output::spinner("calibrating discovery", quiet);
    let calibration = calibrate(&tuned.validation_model, &tuned.split, categories, options.k)
        .context("calibrating discovery failed")?;
    spinner.finish_and_clear();
    Ok(Searched {
        tuned,
        options,
        calibration,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Solves the item-item setting the search chose (if any) on `matrix` and adds it to `model`;
/// returns the seconds it took.
pub fn add_neighbours(
    model: &mut Model,
    matrix: &CsrMatrix,
    searched: &Searched,
    quiet: bool,
) -> Result<f64> {
    let Some(trial) = searched.tuned.neighbours() else {
        return Ok(0.0);
    };
    let spinner = output::spinner("solving the item-item model on the whole log", quiet);
    let started = Instant::now();
    let neighbours =
        neighbours_for(matrix, trial, &searched.options).context("the item-item model failed")?;
    model.set_neighbours(Some(neighbours))?;
    spinner.finish_and_clear();
    Ok(started.elapsed().as_secs_f64())
}

/// The `tastebud train` flags that give `model`'s transition part again (or leave it out).
fn transition_flags(model: &Model, args: &TransitionArgs) -> String {
    let Some(t) = model.transitions() else {
        return " --transition-entries 0".into();
    };
    let mut flags = format!(" --transition-weight {}", t.weight());
    if let Some(n) = args.transition_entries {
        flags += &format!(" --transition-entries {n}");
    }
    if args.transition_window != DEFAULT_TRANSITION_WINDOW {
        flags += &format!(" --transition-window {}", args.transition_window);
    }
    if t.depth() != DEFAULT_TRANSITION_DEPTH {
        flags += &format!(" --transition-depth {}", t.depth());
    }
    if t.decay() != DEFAULT_TRANSITION_DECAY {
        flags += &format!(" --transition-decay {}", t.decay());
    }
    flags
}

/// The `tastebud train` flags that give `model`'s item-item part again (or leave it out).
fn neighbour_flags(model: &Model, options: &TuneOptions) -> String {
    let Some(nb) = model.neighbours() else {
        return " --neighbour-items 0".into();
    };
    let mut flags = format!(
        " --neighbour-regularization {} --neighbour-weight {}",
        nb.regularization(),
        nb.weight()
    );
    if options.neighbour_items != DEFAULT_NEIGHBOUR_ITEMS {
        flags += &format!(" --neighbour-items {}", options.neighbour_items);
    }
    if options.neighbour_entries != DEFAULT_NEIGHBOUR_ENTRIES {
        flags += &format!(" --neighbour-entries {}", options.neighbour_entries);
    }
    flags
}

/// The chosen item-item setting for the JSON output (`null` without one).
pub fn neighbours_json(searched: &Searched, model: &Model) -> Value {
    match (searched.tuned.neighbours(), model.neighbours()) {
        (Some(t), Some(nb)) => json!({
            "regularization": t.regularization,
            "weight": nb.weight(),
            "items": searched.options.neighbour_items,
            "entries": nb.n_entries(),
            "validation_ndcg": t.ndcg,
            "validation_recall": t.recall,
        }),
        _ => Value::Null,
    }
}

/// `rho 52.1, lambda 0.3162, alpha0 0.1, nu 0.5, 128 factors`.
pub fn describe(s: &Setting, items: usize) -> String {
    format!(
        "{} factors, regularization {:.4} (rho {:.3}), unobserved weight {} (alpha {:.4}, one-plus), exponent {}",
        s.factors,
        s.regularization(items),
        s.rho,
        round4(s.unobserved_weight),
        1.0 / s.unobserved_weight,
        s.exponent
    )
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// The calibration's presets in one line each.
pub fn calibration_lines(c: &Calibration) -> Vec<String> {
    let at = |t: f32| c.strengths.iter().position(|&s| s == t).unwrap_or(0);
    let mut lines = Vec::new();
    for (name, keeps) in [("balanced", BALANCED_KEEPS), ("discovery", DISCOVERY_KEEPS)] {
        let t = c.strength_keeping(keeps);
        let i = at(t);
        lines.push(format!(
            "{name}: strength {t} keeps {:.2}x of plain nDCG@10 (needs {keeps}x); tail share {:.3} (plain {:.3}), category coverage {:.3} (plain {:.3})",
            c.ndcg_ratio[i], c.tail_share[i], c.tail_share[0], c.category_coverage[i], c.category_coverage[0]
        ));
    }
    lines
}

/// Trials as JSON objects.
pub fn trials_json(trials: &[Trial], items: usize) -> Value {
    Value::Array(
        trials
            .iter()
            .map(|t| {
                json!({
                    "trial": t.number,
                    "stage": t.stage,
                    "factors": t.setting.factors,
                    "regularization": t.setting.regularization(items),
                    "rho": t.setting.rho,
                    "unobserved_weight": t.setting.unobserved_weight,
                    "exponent": t.setting.exponent,
                    "ndcg": t.ndcg,
                    "recall": t.recall,
                    "fit_seconds": t.fit_seconds,
                    "losses": t.losses,
                })
            })
            .collect(),
    )
}

pub fn run(args: TuneArgs) -> Result<()> {
    args.transitions.check()?;
    let reading = args.run.reading(args.format)?;
    let loaded = input::read_log(&args.interactions, &reading)?;
    let dataset = loaded.dataset;
    let matrix = &dataset.matrix;
    let items = matrix.n_cols();
    let categories = match &args.categories {
        Some(path) => {
            let file = categories::read(path, args.category_level)?;
            let cats = file.for_items(&dataset.items);
            if cats.of_item.iter().flatten().next().is_none() {
                bail!(
                    "no item of the log is in {}; check that it uses the same item ids as the log",
                    path.display()
                );
            }
            Some(cats)
        }
        None => None,
    };
    let searched = search(
        matrix,
        &dataset.items,
        &args.search,
        &args.neighbours,
        Fits {
            iterations: args.iterations,
            seed: args.run.seed,
            threads: args.run.threads,
        },
        categories.as_ref(),
        args.json,
    )?;
    let tuned = &searched.tuned;
    let best = tuned.best();

    // The best setting, retrained on every interaction.
    let params = best
        .setting
        .params(items, args.iterations, args.run.seed, args.run.threads)?;
    let spinner = output::spinner("training the best setting on the whole log", args.json);
    let started = Instant::now();
    let mut losses = Vec::new();
    let factors = fit(matrix, &params, |r| losses.push(r.loss)).context("training failed")?;
    let fit_seconds = started.elapsed().as_secs_f64();
    spinner.finish_and_clear();
    let precision = Precision::from(args.run.precision);
    let mut model = Model::new(
        dataset.items.clone(),
        factors.items,
        params.fold_in(),
        matrix.column_counts(),
        precision,
        provenance(&params, matrix),
    )
    .context("cannot build the model")?;
    model.set_calibration(Some(searched.calibration.clone()))?;
    let neighbours_seconds = add_neighbours(&mut model, matrix, &searched, args.json)?;
    args.transitions.add(
        args.transitions.entries(args.format),
        &mut model,
        matrix,
        &dataset.sequences,
    )?;
    let bytes = model.to_bytes();
    write_atomically(&args.out, &bytes)?;

    if let Some(dir) = &args.save_split {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        write_cells(
            &dir.join("validation-train.tsv"),
            &tuned.split.train,
            &dataset.users,
            &dataset.items,
        )?;
        write_cells(
            &dir.join("validation-test.tsv"),
            &tuned.split.test,
            &dataset.users,
            &dataset.items,
        )?;
    }
    let validation_users = (0..tuned.split.test.n_rows())
        .filter(|&u| !tuned.split.test.row(u).0.is_empty())
        .count();
    if let Some(path) = &args.report {
        let page = report::TunePage {
            title: format!("Tuning on {}", args.interactions.display()),
            facts: vec![
                (
                    "data".into(),
                    format!(
                        "{}: {} users, {items} items, {} interactions",
                        args.interactions.display(),
                        matrix.n_rows(),
                        matrix.nnz()
                    ),
                ),
                (
                    "validation".into(),
                    format!(
                        "{:.0}% of the items of each user with >= 5 items held out (seed {}); {validation_users} users",
                        args.search.validation_fraction * 100.0,
                        args.run.seed
                    ),
                ),
                (
                    "search".into(),
                    format!(
                        "{} settings in {:.1} s; best: {}",
                        tuned.trials.len(),
                        searched.seconds,
                        describe(&best.setting, items)
                    ),
                ),
            ],
            command: report::command_line(),
            items,
            trials: tuned.trials.clone(),
            best: tuned.best,
            calibration: searched.calibration.clone(),
            has_categories: categories.is_some(),
            neighbour_trials: tuned.neighbour_trials.clone(),
            neighbour_best: tuned.neighbour_best,
        };
        write_atomically(path, report::render_tune(&page).as_bytes())?;
    }

    if args.json {
        return Ok(output::emit_json(&json!({
            "best": {
                "factors": best.setting.factors,
                "regularization": output::short(params.regularization),
                "alpha": output::short(params.alpha),
                "confidence": "one-plus",
                "regularization_scaling": "frequency",
                "unobserved_weight": best.setting.unobserved_weight,
                "exponent": best.setting.exponent,
                "rho": best.setting.rho,
                "validation_ndcg": best.ndcg,
                "validation_recall": best.recall,
                "trial": best.number,
            },
            "trials": trials_json(&tuned.trials, items),
            "neighbours": neighbours_json(&searched, &model),
            "neighbour_trials": tuned.neighbour_trials,
            "neighbours_seconds": neighbours_seconds,
            "calibration": searched.calibration,
            "validation_users": validation_users,
            "tune_seconds": searched.seconds,
            "fit_seconds": fit_seconds,
            "loss": losses.last(),
            "out": args.out.display().to_string(),
            "bytes": bytes.len(),
        }))?);
    }
    let mut text = String::new();
    writeln!(
        text,
        "searched {} settings in {:.1} s on a validation split ({validation_users} users)",
        tuned.trials.len(),
        searched.seconds
    )?;
    writeln!(
        text,
        "best validation nDCG@10 {:.4} (recall@10 {:.4}), trial {}: {}",
        best.ndcg,
        best.recall,
        best.number,
        describe(&best.setting, items)
    )?;
    match (tuned.neighbours(), model.neighbours()) {
        (Some(t), Some(nb)) => writeln!(
            text,
            "with the item-item model (EASE lambda {}, weight {}, {} entries over {} items): validation nDCG@10 {:.4} (recall@10 {:.4})",
            nb.regularization(),
            nb.weight(),
            nb.n_entries(),
            nb.items_with_entries(),
            t.ndcg,
            t.recall
        )?,
        _ if !tuned.neighbour_trials.is_empty() => writeln!(
            text,
            "the item-item model did not beat the factors alone on validation ({} settings tried); the model has factors only",
            tuned.neighbour_trials.len()
        )?,
        _ => {}
    }
    writeln!(
        text,
        "train it again with: tastebud train --factors {} --regularization {} --alpha {} --confidence one-plus --regularization-scaling frequency --unobserved-weight {} --regularization-exponent {} --init-std 0.1{}",
        best.setting.factors,
        output::short(params.regularization),
        output::short(params.alpha),
        best.setting.unobserved_weight as f32,
        best.setting.exponent as f32,
        neighbour_flags(&model, &searched.options) + &transition_flags(&model, &args.transitions)
    )?;
    writeln!(text, "discovery calibration (validation):")?;
    for line in calibration_lines(&searched.calibration) {
        writeln!(text, "  {line}")?;
    }
    if categories.is_none() {
        writeln!(
            text,
            "  (without --categories the presets re-rank by popularity alone and category coverage is not measured)"
        )?;
    }
    writeln!(
        text,
        "trained on all {} interactions in {fit_seconds:.2} s; wrote {} ({}, {} factors, {})",
        matrix.nnz(),
        args.out.display(),
        output::size(bytes.len() as u64),
        model.n_factors(),
        precision.name()
    )?;
    if let Some(path) = &args.report {
        writeln!(text, "report: {}", path.display())?;
    }
    Ok(output::emit(&text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-3m").is_err());
        assert!(parse_duration("5 parsecs")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_duration("1e99h").is_err());
    }
}
