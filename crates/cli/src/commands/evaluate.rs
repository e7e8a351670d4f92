//! `tastebud evaluate`: ranking metrics for a model against a test log, or for a model trained on
//! a holdout split of one log, next to a most-popular baseline.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args};
use serde_json::{json, Value};
use tastebud_core::{
    evaluate, holdout_split, user_split, CsrMatrix, Dataset, EvalOptions, Filter, Metrics, Model,
    Precision,
};

use crate::commands::load_model;
use crate::commands::train::{fit_with_progress, provenance, AlsArgs};
use crate::input::{self, Format};
use crate::output::{self, metrics_json};

/// Measure ranking quality (precision, recall, nDCG, MAP, coverage, tail share, novelty).
///
/// With --model, --train and --test: the model's recommendations for each test user, folded in
/// from their training rows. With --interactions: a seeded holdout split of one log, an ALS model
/// trained on it (with the training flags) and a most-popular baseline, side by side.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["model", "interactions"])))]
pub struct EvaluateArgs {
    /// A model to evaluate (needs --train and --test).
    #[arg(long, value_name = "FILE", requires_all = ["train", "test"])]
    model: Option<PathBuf>,
    /// What each test user is folded in from.
    #[arg(long, value_name = "FILE", requires = "model")]
    train: Option<PathBuf>,
    /// What each test user's recommendations are scored against.
    #[arg(long, value_name = "FILE", requires = "model")]
    test: Option<PathBuf>,
    /// A log to split, train on and evaluate.
    #[arg(long, value_name = "FILE")]
    interactions: Option<PathBuf>,
    /// Layout of the logs.
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    format: Format,
    /// Length of the scored lists.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Share of each evaluated user's items held out for testing.
    #[arg(long, default_value_t = 0.2)]
    test_fraction: f64,
    /// Only users with at least this many items are evaluated.
    #[arg(long, default_value_t = 5)]
    min_interactions: usize,
    /// Hold out this share of users entirely and fold them in as new visitors.
    #[arg(long, value_name = "USER_FRACTION", requires = "interactions")]
    strong_generalization: Option<f64>,
    #[command(flatten)]
    als: AlsArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    if args.k == 0 {
        bail!("k must be at least 1, got 0");
    }
    match (&args.model, &args.train, &args.test, &args.interactions) {
        (Some(model), Some(train), Some(test), None) => against_model(&args, model, train, test),
        (None, _, _, Some(log)) => holdout(&args, log),
        _ => unreachable!("clap enforces one mode"),
    }
}

fn against_model(args: &EvaluateArgs, model_path: &Path, train: &Path, test: &Path) -> Result<()> {
    let model = load_model(model_path)?;
    let weights = input::load_weights(args.als.weights.as_deref())?;
    let train = input::read_dataset(train, args.format, &weights)?;
    let test = input::read_dataset(test, args.format, &weights)?;

    let mut users = HashMap::new();
    let (history, skipped_train) = model_cells(&model, &train, &mut users);
    let (test_cells, skipped_test) = model_cells(&model, &test, &mut users);
    let history = CsrMatrix::from_triplets(users.len(), model.n_items(), &history);
    let test = CsrMatrix::from_triplets(users.len(), model.n_items(), &test_cells);
    let opts = EvalOptions {
        k: args.k,
        popularity: model.popularity(),
        // Novelty needs the training users behind the popularity counts; models that do not
        // record them (imports) fall back to the users evaluated here.
        users: model.provenance().users.unwrap_or(history.n_rows()),
        categories: None,
    };
    let spinner = output::spinner("evaluating", args.json);
    let metrics = evaluate(als_lists(&model), &history, &test, &opts);
    spinner.finish_and_clear();
    if metrics.users == 0 {
        bail!("no test interaction is with an item of the model, so there is nothing to evaluate; check that the logs and the model use the same item ids");
    }

    if args.json {
        let mut fields = metrics_json(&metrics);
        fields.insert("skipped_train".into(), skipped_train.into());
        fields.insert("skipped_test".into(), skipped_test.into());
        return Ok(output::emit_json(&Value::Object(fields))?);
    }
    let cold = (0..test.n_rows())
        .filter(|&u| !test.row(u).0.is_empty() && history.row(u).0.is_empty())
        .count();
    let mut text = format!("evaluated {} users at k = {}\n", metrics.users, metrics.k);
    if skipped_train + skipped_test > 0 {
        writeln!(
            text,
            "skipped {skipped_train} training and {skipped_test} test interactions with items the model does not have"
        )?;
    }
    if cold > 0 {
        writeln!(
            text,
            "{cold} test users have no training interactions, so their lists are not personalized"
        )?;
    }
    text.push_str(&table(&[("model", &metrics)]));
    Ok(output::emit(&text)?)
}

/// `(user row, model item, r)` for every cell of `data` whose item the model knows, with user
/// rows shared across logs through `users`; also the number of cells left out.
fn model_cells<'a>(
    model: &Model,
    data: &'a Dataset,
    users: &mut HashMap<&'a str, u32>,
) -> (Vec<(u32, u32, f32)>, usize) {
    let items: Vec<Option<u32>> = data.items.iter().map(|id| model.item_index(id)).collect();
    let mut cells = Vec::with_capacity(data.matrix.nnz());
    let mut skipped = 0;
    for (u, user) in data.users.iter().enumerate() {
        let next = users.len() as u32;
        let row = *users.entry(user.as_str()).or_insert(next);
        for (i, r) in data.matrix.row_pairs(u) {
            match items[i as usize] {
                Some(item) => cells.push((row, item, r)),
                None => skipped += 1,
            }
        }
    }
    (cells, skipped)
}

fn holdout(args: &EvaluateArgs, log: &Path) -> Result<()> {
    let params = args.als.params()?;
    let weights = input::load_weights(args.als.weights.as_deref())?;
    let data = input::read_dataset(log, args.format, &weights)?;
    let (seed, fraction, min) = (params.seed, args.test_fraction, args.min_interactions);
    let (split, protocol) = match args.strong_generalization {
        Some(users) => (
            user_split(&data.matrix, users, fraction, min, seed)?,
            format!(
                "held-out users: {:.0}% of the users with >= {min} items, each folded in from {:.0}% of their items (seed {seed})",
                users * 100.0,
                (1.0 - fraction) * 100.0
            ),
        ),
        None => (
            holdout_split(&data.matrix, fraction, min, seed)?,
            format!(
                "holdout: {:.0}% of the items of each user with >= {min} items (seed {seed})",
                fraction * 100.0
            ),
        ),
    };

    if split.test.nnz() == 0 {
        bail!("no user has {min} or more interactions, so nobody was held out; lower --min-interactions");
    }

    let fitted = fit_with_progress(&split.train, &params, args.json)?;
    let model = Model::new(
        data.items,
        fitted.factors.items,
        params.fold_in(),
        split.train.column_counts(),
        Precision::from(args.als.precision),
        provenance(&params, &split.train),
    )
    .context("cannot build the model")?;
    let opts = EvalOptions {
        k: args.k,
        popularity: model.popularity(),
        users: split.train.n_rows(),
        categories: None,
    };
    let spinner = output::spinner("evaluating", args.json);
    let als = evaluate(als_lists(&model), &split.history, &split.test, &opts);
    let popular = evaluate(
        |_, history, k| {
            let seen = Filter::new().exclude(history.iter().map(|&(i, _)| i));
            model
                .most_popular(k, &seen)
                .into_iter()
                .map(|s| s.item)
                .collect()
        },
        &split.history,
        &split.test,
        &opts,
    );
    spinner.finish_and_clear();

    if args.json {
        let mut als_fields = metrics_json(&als);
        als_fields.insert("fit_seconds".into(), json!(fitted.seconds));
        return Ok(output::emit_json(&json!({
            "als": als_fields,
            "most_popular": metrics_json(&popular),
        }))?);
    }
    let mut text = format!("{protocol}; {} users evaluated\n", als.users);
    text.push_str(&table(&[("most popular", &popular), ("als", &als)]));
    writeln!(
        text,
        "als: {} factors, {} iterations, alpha {}, regularization {}; fit in {:.2} s",
        params.factors, params.iterations, params.alpha, params.regularization, fitted.seconds
    )?;
    Ok(output::emit(&text)?)
}

/// The ALS recommender as `evaluate` calls it: fold in the history, rank, skip seen items.
fn als_lists(model: &Model) -> impl Fn(usize, &[(u32, f32)], usize) -> Vec<u32> + Sync + '_ {
    move |_, history, k| {
        model
            .recommend_for(history, k, Filter::new())
            .map(|top| top.into_iter().map(|s| s.item).collect())
            .unwrap_or_default()
    }
}

/// An aligned table, one row per model.
fn table(rows: &[(&str, &Metrics)]) -> String {
    let k = rows.first().map_or(0, |(_, m)| m.k);
    let headers = [
        format!("P@{k}"),
        format!("R@{k}"),
        format!("nDCG@{k}"),
        format!("MAP@{k}"),
        "coverage".to_owned(),
        "tail share".to_owned(),
        "novelty".to_owned(),
    ];
    let width = rows
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0)
        .max(5);
    let mut text = format!("{:width$}", "model");
    for h in &headers {
        write!(text, "  {h:>10}").expect("writing to a String");
    }
    text.push('\n');
    for (name, m) in rows {
        write!(text, "{name:width$}").expect("writing to a String");
        for v in [
            m.precision,
            m.recall,
            m.ndcg,
            m.map,
            m.coverage,
            m.tail_share,
        ] {
            write!(text, "  {v:>10.4}").expect("writing to a String");
        }
        writeln!(text, "  {:>10.3}", m.novelty).expect("writing to a String");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let m = Metrics {
            users: 3,
            k: 10,
            precision: 0.25,
            recall: 0.5,
            ndcg: 0.3,
            map: 0.2,
            coverage: 0.1,
            tail_share: 0.0,
            novelty: 2.5,
            intra_list_diversity: None,
            category_coverage: None,
        };
        let t = table(&[("most popular", &m), ("als", &m)]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("model               P@10"), "{t}");
        assert!(lines[2].starts_with("als               0.2500"), "{t}");
        assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{t}");
    }
}
