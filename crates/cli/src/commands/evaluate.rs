//! `tastebud evaluate`: ranking metrics for a model against a test log, or for a model trained on
//! a holdout split of one log, next to a most-popular baseline; optionally re-ranked by a
//! discovery preset, with category metrics and an HTML report of the accuracy / long-tail
//! trade-off.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use clap::builder::PossibleValuesParser;
use clap::{ArgGroup, Args};
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde_json::{json, Value};
use tastebud_core::{
    evaluate, holdout_split, long_tail, rerank, top_scores, user_split, CsrMatrix, Dataset,
    EvalOptions, FileRef, Filter, ItemCategories, ItemSet, Loader, Metrics, Model, Precision,
    Privacy, RerankContext, RerankParams, PRESETS, TABLE_ENTRIES,
};

use crate::categories::{self, CategoryFile};
use crate::commands::publish::PrivacyArg;
use crate::commands::train::{fit_with_progress, provenance, AlsArgs};
use crate::commands::tune::{self as tuning, SearchArgs};
use crate::commands::{load_model, published_reader, read_manifest, write_atomically};
use crate::input::{self, Format};
use crate::output::{self, metrics_json};
use crate::report::{self, Exposure, Report, Sweep};

/// Re-ranking strengths the report sweeps each preset through (`RerankParams::scaled`).
const STRENGTHS: [f32; 8] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0];

/// Measure ranking quality (precision, recall, nDCG, MAP, coverage, tail share, novelty, and with
/// --categories intra-list diversity and category coverage).
///
/// With --model, --train and --test: the model's recommendations for each test user, folded in
/// from their training rows. With --interactions: a seeded holdout split of one log, an ALS model
/// trained on it (with the training flags) and a most-popular baseline, side by side, plus the
/// --rerank preset when it is not `accurate`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["model", "published", "interactions"])))]
pub struct EvaluateArgs {
    /// A model to evaluate (needs --train and --test).
    #[arg(long, value_name = "FILE", requires_all = ["train", "test"])]
    model: Option<PathBuf>,
    /// A publication to evaluate (`tastebud publish`; needs --train and --test): each test user
    /// reads it as a visitor would under --privacy, next to a reader of every shard.
    #[arg(long, value_name = "MANIFEST", requires_all = ["train", "test"])]
    published: Option<PathBuf>,
    /// With --published: which files each test user may read (docs/privacy.md).
    #[arg(long, value_enum, default_value_t = PrivacyArg::History, requires = "published")]
    privacy: PrivacyArg,
    /// What each test user is folded in from.
    #[arg(long, value_name = "FILE")]
    train: Option<PathBuf>,
    /// What each test user's recommendations are scored against.
    #[arg(long, value_name = "FILE")]
    test: Option<PathBuf>,
    /// A log to split, train on and evaluate.
    #[arg(long, value_name = "FILE")]
    interactions: Option<PathBuf>,
    /// With --interactions: how the log is split. `holdout` holds out a random share of each
    /// user's items; `leave-last-out` holds out each user's last item (the protocol of S3-Rec,
    /// for next-item accuracy) and measures the model with and without its transition model,
    /// whose weight is chosen on the second-to-last items.
    #[arg(long, value_enum, default_value_t = Protocol::Holdout, requires = "interactions")]
    protocol: Protocol,
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
    /// Re-ranking preset for the ALS lists: accurate is plain ALS; balanced and discovery trade
    /// some accuracy for the long tail and, with --categories, category diversity.
    #[arg(long, value_name = "PRESET", default_value = "accurate",
          value_parser = PossibleValuesParser::new(PRESETS))]
    rerank: String,
    /// Item categories: `item<TAB>category` lines, or Amazon's item2names_reconstructed.json
    /// (recognized by its content). Items the file does not mention have no category.
    #[arg(long, value_name = "FILE")]
    categories: Option<PathBuf>,
    /// With an item2names file: the list index used as the category [default: 3, the
    /// sub-category; where it is missing, the nearest broader level down to 2].
    #[arg(long, value_name = "N", requires = "categories")]
    category_level: Option<usize>,
    /// With --interactions: write a self-contained HTML report of accuracy against tail share
    /// for every preset as its strength varies, item popularity against exposure, and every
    /// metric.
    #[arg(long, value_name = "FILE.html", conflicts_with = "model")]
    report: Option<PathBuf>,
    #[command(flatten)]
    als: AlsArgs,
    /// With --interactions: first tune the hyperparameters as `tastebud tune` does, on a
    /// validation split carved from the training part alone, and calibrate the presets there;
    /// then train the best setting on the whole training part. The test part is never seen by
    /// the search, so the figures are honest. The training flags other than --iterations,
    /// --seed, --threads and --precision are ignored.
    #[arg(long, requires = "interactions")]
    tune: bool,
    #[command(flatten)]
    search: SearchArgs,
    /// Print JSON instead of a table: with --interactions, one object per row ("most_popular",
    /// "als", and the --rerank preset's name unless it is accurate).
    #[arg(long)]
    json: bool,
}

/// How `evaluate --interactions` splits the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// A random share of each user's items.
    Holdout,
    /// Each user's last item.
    LeaveLastOut,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    if args.k == 0 {
        bail!("k must be at least 1, got 0");
    }
    if args.protocol == Protocol::LeaveLastOut {
        let log = args
            .interactions
            .as_deref()
            .expect("clap requires --interactions");
        for (flag, given) in [
            ("--tune", args.tune),
            (
                "--strong-generalization",
                args.strong_generalization.is_some(),
            ),
            ("--report", args.report.is_some()),
            ("--categories", args.categories.is_some()),
            ("--rerank", args.rerank != "accurate"),
        ] {
            if given {
                bail!("{flag} goes with --protocol holdout, not leave-last-out");
            }
        }
        args.als.check()?;
        return crate::commands::leave_last_out::run(
            &args.als,
            args.format,
            log,
            args.k,
            args.min_interactions,
            args.json,
        );
    }
    match (
        &args.model,
        &args.published,
        &args.train,
        &args.test,
        &args.interactions,
    ) {
        (Some(model), None, Some(train), Some(test), None) => {
            against_model(&args, model, train, test)
        }
        (None, Some(manifest), Some(train), Some(test), None) => {
            against_published(&args, manifest, train, test)
        }
        (None, None, None, None, Some(log)) => holdout(&args, log),
        (None, None, _, _, Some(_)) => {
            bail!("--train and --test go with --model or --published, not --interactions")
        }
        _ => unreachable!("clap enforces one mode"),
    }
}

/// Each test user's list from what they read of a publication under `--privacy`, next to the
/// lists from every shard (the catalog's whole factor model): what sharding costs in accuracy,
/// and what a visitor downloads.
fn against_published(
    args: &EvaluateArgs,
    manifest_path: &Path,
    train: &Path,
    test: &Path,
) -> Result<()> {
    if args.rerank != "accurate" {
        bail!("--published evaluates plain ranking; leave out --rerank");
    }
    let manifest = read_manifest(manifest_path)?;
    // Every file once, checked; the test users then read from memory.
    let mut check = published_reader(manifest_path);
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    let index = manifest
        .index(&mut check)
        .map_err(|e| anyhow!("{}: {e}", manifest_path.display()))?;
    for f in manifest
        .files()
        .chain(index.shards.iter().flat_map(|s| [&s.ranking, &s.columns]))
        .chain(&index.buckets)
    {
        let bytes = check(f).map_err(|e| anyhow!("{}: {e}", manifest_path.display()))?;
        files.insert(f.file.clone(), bytes);
    }
    let from_memory = |f: &FileRef| -> tastebud_core::Result<Vec<u8>> {
        files
            .get(&f.file)
            .cloned()
            .ok_or_else(|| tastebud_core::Error::Published(format!("{} is missing", f.file)))
    };
    // The whole catalog: every shard as the strict set.
    let mut every = manifest.clone();
    every.strict = (0..manifest.shards).collect();
    let mut read = from_memory;
    let everything = Loader::new(&every, &mut read)
        .load(Privacy::Strict, &[])
        .map_err(|e| anyhow!("{}: {e}", manifest_path.display()))?;
    let whole = &everything.model;
    // Each item's shard.
    let shard_of: Vec<u32> = everything.places.iter().map(|&(s, _)| s).collect();

    let reading = args.als.reading(args.format)?;
    let train = input::read_dataset(train, &reading)?;
    let test = input::read_dataset(test, &reading)?;
    let mut users = HashMap::new();
    let (history, skipped_train) = model_cells(whole, &train, &mut users);
    let (test_cells, skipped_test) = model_cells(whole, &test, &mut users);
    let history = CsrMatrix::from_triplets(users.len(), whole.n_items(), &history);
    let test = CsrMatrix::from_triplets(users.len(), whole.n_items(), &test_cells);
    let opts = EvalOptions {
        k: args.k,
        popularity: whole.popularity(),
        users: whole.provenance().users.unwrap_or(history.n_rows()),
        categories: None,
    };
    let plain = model_preset(whole, "accurate")?;
    let bar = output::bar(test.n_rows() as u64, "users", args.json);
    let all = ranked_lists(
        whole,
        &history,
        &test,
        std::slice::from_ref(&plain),
        None,
        args.k,
        &bar,
    )?;
    let all = score(&all[0], &history, &test, &opts);
    if all.users == 0 {
        bail!("no test interaction is with an item of the publication, so there is nothing to evaluate; check that the logs and the publication use the same item ids");
    }

    // Each test user reads what their own history allows: the shards the loader plans (with the
    // directory buckets it reads to plan them), scored from the whole model restricted to them,
    // which is what a model of those shards alone scores (the same factors, the catalog's
    // Y^T Y).
    let privacy = args.privacy.mode();
    let evaluated: Vec<usize> = (0..test.n_rows())
        .filter(|&u| !test.row(u).0.is_empty())
        .collect();
    bar.reset();
    bar.set_length(evaluated.len() as u64);
    let per_user: Vec<(Vec<u32>, usize, u64)> = evaluated
        .par_iter()
        .map(|&u| -> Result<(Vec<u32>, usize, u64)> {
            let ids: Vec<String> = history
                .row(u)
                .0
                .iter()
                .map(|&i| whole.item_ids()[i as usize].clone())
                .collect();
            let mut read = from_memory;
            let mut loader = Loader::new(&manifest, &mut read);
            let shards = loader
                .shards_for(privacy, &ids)
                .map_err(|e| anyhow!("{}: {e}", manifest_path.display()))?;
            let mut read_shard = vec![false; manifest.shards as usize];
            for &s in &shards {
                read_shard[s as usize] = true;
            }
            // The head, the fold-in model, the tables and buckets read so far, then the shards'
            // files and the tables that list them.
            let mut tables: Vec<&FileRef> = shards
                .iter()
                .map(|&s| &manifest.shard_tables[s as usize / TABLE_ENTRIES])
                .filter(|t| !loader.requests.contains(&t.file))
                .collect();
            tables.sort_unstable_by(|a, b| a.file.cmp(&b.file));
            tables.dedup();
            let bytes = loader
                .requests
                .iter()
                .map(|f| files[f].len() as u64)
                .sum::<u64>()
                + tables.iter().map(|t| t.bytes).sum::<u64>()
                + shards
                    .iter()
                    .map(|&s| {
                        let shard = &index.shards[s as usize];
                        shard.ranking.bytes + shard.columns.bytes
                    })
                    .sum::<u64>();
            let loaded = |i: u32| read_shard[shard_of[i as usize] as usize];
            let pairs: Vec<(u32, f32)> = history
                .row_pairs(u)
                .into_iter()
                .filter(|&(i, _)| loaded(i))
                .collect();
            let seen: ItemSet = pairs.iter().map(|&(i, _)| i).collect();
            let top = if pairs.is_empty() {
                let filter = Filter::new().only((0..whole.n_items() as u32).filter(|&i| loaded(i)));
                whole.most_popular(args.k, &filter)
            } else {
                let system = whole
                    .user_system(&pairs)
                    .with_context(|| format!("cannot fold in test user {u}"))?;
                let mut scores = Vec::new();
                whole.score_system_into(&system, &mut scores);
                top_scores(&scores, args.k, |i| loaded(i) && !seen.contains(i))
            };
            bar.inc(1);
            Ok((top.iter().map(|s| s.item).collect(), shards.len(), bytes))
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let mut lists = vec![Vec::new(); test.n_rows()];
    let mut shards = Vec::with_capacity(evaluated.len());
    let mut bytes = Vec::with_capacity(evaluated.len());
    for (&u, (list, s, b)) in evaluated.iter().zip(per_user) {
        lists[u] = list;
        shards.push(s);
        bytes.push(b);
    }
    let read = score(&lists, &history, &test, &opts);
    shards.sort_unstable();
    bytes.sort_unstable();
    let (median_shards, median_bytes) = (shards[shards.len() / 2], bytes[bytes.len() / 2]);
    let every_byte: u64 = index
        .shards
        .iter()
        .map(|s| s.ranking.bytes + s.columns.bytes)
        .sum::<u64>()
        + manifest.head.bytes
        + manifest.fold.bytes
        + manifest.shard_tables.iter().map(|t| t.bytes).sum::<u64>();
    let mode = match args.privacy {
        PrivacyArg::Strict => "strict",
        PrivacyArg::History => "history",
    };

    if args.json {
        let mut fields = serde_json::Map::new();
        fields.insert("all_shards".into(), Value::Object(metrics_json(&all)));
        fields.insert(mode.into(), Value::Object(metrics_json(&read)));
        fields.insert(
            "ndcg_ratio".into(),
            (read.ndcg / all.ndcg.max(1e-12)).into(),
        );
        fields.insert("shards".into(), manifest.shards.into());
        fields.insert("median_shards_read".into(), median_shards.into());
        fields.insert("median_bytes_read".into(), median_bytes.into());
        fields.insert("all_bytes".into(), every_byte.into());
        fields.insert("skipped_train".into(), skipped_train.into());
        fields.insert("skipped_test".into(), skipped_test.into());
        return Ok(output::emit_json(&Value::Object(fields))?);
    }
    let mut text = format!(
        "evaluated {} users at k = {} on {} ({} shards)\n",
        read.users,
        read.k,
        manifest_path.display(),
        manifest.shards
    );
    let row = format!("{mode} mode");
    text.push_str(&table(&[("all shards", &all), (row.as_str(), &read)]));
    writeln!(
        text,
        "{mode} mode keeps {:.3}x of the nDCG@{} of all shards; a visitor reads {median_shards} shards and {:.0} KB (medians), all shards with the head are {:.0} KB",
        read.ndcg / all.ndcg.max(1e-12),
        read.k,
        median_bytes as f64 / 1024.0,
        every_byte as f64 / 1024.0
    )?;
    Ok(output::emit(&text)?)
}

fn against_model(args: &EvaluateArgs, model_path: &Path, train: &Path, test: &Path) -> Result<()> {
    let model = load_model(model_path)?;
    let reading = args.als.reading(args.format)?;
    let train = input::read_dataset(train, &reading)?;
    let test = input::read_dataset(test, &reading)?;

    let mut users = HashMap::new();
    let (history, skipped_train) = model_cells(&model, &train, &mut users);
    let (test_cells, skipped_test) = model_cells(&model, &test, &mut users);
    let history = CsrMatrix::from_triplets(users.len(), model.n_items(), &history);
    let test = CsrMatrix::from_triplets(users.len(), model.n_items(), &test_cells);
    let categories = load_categories(args, model.item_ids())?;
    let opts = EvalOptions {
        k: args.k,
        popularity: model.popularity(),
        // Novelty needs the training users behind the popularity counts; models that do not
        // record them (imports) fall back to the users evaluated here.
        users: model.provenance().users.unwrap_or(history.n_rows()),
        categories: categories.as_ref().map(|c| &c.items),
    };
    let params = model_preset(&model, &args.rerank)?;
    let bar = output::bar(test.n_rows() as u64, "users", args.json);
    let lists = ranked_lists(
        &model,
        &history,
        &test,
        std::slice::from_ref(&params),
        categories.as_ref().map(|c| &c.items),
        args.k,
        &bar,
    )?;
    bar.finish_and_clear();
    let metrics = score(&lists[0], &history, &test, &opts);
    if metrics.users == 0 {
        bail!("no test interaction is with an item of the model, so there is nothing to evaluate; check that the logs and the model use the same item ids");
    }

    if args.json {
        let mut fields = metrics_json(&metrics);
        fields.insert("skipped_train".into(), skipped_train.into());
        fields.insert("skipped_test".into(), skipped_test.into());
        fields.insert("rerank".into(), args.rerank.clone().into());
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
    let name = row_name("model", &args.rerank);
    text.push_str(&table(&[(name.as_str(), &metrics)]));
    if let Some(c) = &categories {
        writeln!(text, "categories: {}", c.summary())?;
    }
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
    args.als.check()?;
    let reading = args.als.reading(args.format)?;
    let data = input::read_dataset(log, &reading)?;
    let params = args.als.params_for(&data.matrix)?;
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

    let categories = load_categories(args, &data.items)?;
    let cats = categories.as_ref().map(|c| &c.items);
    // With --tune: the search sees the training part only.
    let searched = if args.tune {
        Some(tuning::search(
            &split.train,
            &data.items,
            &args.search,
            &args.als.neighbours,
            tuning::Fits {
                iterations: params.iterations,
                seed,
                threads: params.threads,
            },
            cats,
            args.json,
        )?)
    } else {
        None
    };
    let params = match &searched {
        Some(s) => s.tuned.best().setting.params(
            split.train.n_cols(),
            params.iterations,
            seed,
            params.threads,
        )?,
        None => params,
    };
    let fitted = fit_with_progress(&split.train, &params, args.json)?;
    let mut model = Model::new(
        data.items,
        fitted.factors.items,
        params.fold_in(),
        split.train.column_counts(),
        Precision::from(args.als.run.precision),
        provenance(&params, &split.train),
    )
    .context("cannot build the model")?;
    match &searched {
        Some(s) => {
            model.set_calibration(Some(s.calibration.clone()))?;
            tuning::add_neighbours(&mut model, &split.train, s, args.json)?;
        }
        None => {
            args.als
                .add_neighbours(&mut model, &split.train, &fitted.factors.users, args.json)?;
        }
    }
    let opts = EvalOptions {
        k: args.k,
        popularity: model.popularity(),
        users: split.train.n_rows(),
        categories: cats,
    };

    // One fold-in and one scoring per user serve every setting: the report's whole sweep, or
    // plain ALS and the chosen preset.
    let settings = settings(&model, &args.rerank, args.report.is_some())?;
    let strengths: Vec<RerankParams> = settings.iter().map(|s| s.params.clone()).collect();
    let started = Instant::now();
    let bar = output::bar(split.test.n_rows() as u64, "users", args.json);
    let lists = ranked_lists(
        &model,
        &split.history,
        &split.test,
        &strengths,
        cats,
        args.k,
        &bar,
    )?;
    bar.finish_and_clear();
    let spinner = output::spinner("scoring", args.json);
    let metrics: Vec<Metrics> = lists
        .iter()
        .map(|l| score(l, &split.history, &split.test, &opts))
        .collect();
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
    let eval_seconds = started.elapsed().as_secs_f64();
    let find = |preset: &str| {
        settings
            .iter()
            .position(|s| s.preset == preset && s.t == 1.0)
            .expect("every listed preset is evaluated at t = 1")
    };
    let als = &metrics[find("accurate")];
    let chosen = (args.rerank != "accurate").then(|| &metrics[find(&args.rerank)]);

    if let Some(path) = &args.report {
        let facts = vec![
            (
                "data".to_owned(),
                format!(
                    "{} ({}): {} users, {} items, {} interactions",
                    log.display(),
                    format_name(args.format),
                    data.users.len(),
                    model.n_items(),
                    data.matrix.nnz()
                ),
            ),
            (
                "split".to_owned(),
                format!(
                    "{protocol}; {} users evaluated on {} held-out interactions, trained on {}",
                    als.users,
                    split.test.nnz(),
                    split.train.nnz()
                ),
            ),
            (
                "model".to_owned(),
                format!(
                    "ALS: {} factors, {} iterations, alpha {}, regularization {}, {} CG steps, \
                     confidence {}, seed {}; fit in {:.1} s",
                    params.factors,
                    params.iterations,
                    params.alpha,
                    params.regularization,
                    params.cg_steps,
                    params.confidence.name(),
                    params.seed,
                    fitted.seconds
                ),
            ),
            (
                "categories".to_owned(),
                match &categories {
                    Some(c) => c.summary(),
                    None => "none: the category metrics are not measured, and the presets \
                             re-rank by popularity alone"
                        .to_owned(),
                },
            ),
            (
                "evaluation".to_owned(),
                format!(
                    "top {}; {} re-ranking settings from one fold-in and one scoring per user, \
                     in {eval_seconds:.1} s",
                    args.k,
                    settings.len()
                ),
            ),
        ];
        let page = build_report(&model, facts, &settings, &metrics, &lists, &popular);
        write_atomically(path, report::render(&page).as_bytes())?;
    }

    if args.json {
        let mut als_fields = metrics_json(als);
        als_fields.insert("fit_seconds".into(), json!(fitted.seconds));
        let mut out = serde_json::Map::new();
        out.insert("als".into(), Value::Object(als_fields));
        out.insert("most_popular".into(), Value::Object(metrics_json(&popular)));
        if let Some(m) = chosen {
            out.insert(args.rerank.clone(), Value::Object(metrics_json(m)));
        }
        if let Some(s) = &searched {
            out.insert("tune".into(), tune_json(s, &model, split.train.n_cols()));
        }
        return Ok(output::emit_json(&Value::Object(out))?);
    }
    let mut text = format!("{protocol}; {} users evaluated\n", als.users);
    let reranked = row_name("als", &args.rerank);
    let mut rows = vec![("most popular", &popular), ("als", als)];
    if let Some(m) = chosen {
        rows.push((reranked.as_str(), m));
    }
    text.push_str(&table(&rows));
    writeln!(
        text,
        "als: {} factors, {} iterations, alpha {}, regularization {}; fit in {:.2} s",
        params.factors, params.iterations, params.alpha, params.regularization, fitted.seconds
    )?;
    if let Some(s) = &searched {
        let best = s.tuned.best();
        writeln!(
            text,
            "tuned on a validation split of the training part: {} settings in {:.1} s; best (validation nDCG@10 {:.4}): {}",
            s.tuned.trials.len(),
            s.seconds,
            best.ndcg,
            tuning::describe(&best.setting, split.train.n_cols())
        )?;
        if chosen.is_some() {
            for line in tuning::calibration_lines(&s.calibration) {
                writeln!(text, "  {line}")?;
            }
        }
    }
    if let Some(c) = &categories {
        writeln!(text, "categories: {}", c.summary())?;
    } else if chosen.is_some() {
        writeln!(
            text,
            "without --categories, {} re-ranks by popularity alone (no diversity or exploration)",
            args.rerank
        )?;
    }
    if let Some(path) = &args.report {
        writeln!(
            text,
            "report: {} ({} settings evaluated in {eval_seconds:.1} s)",
            path.display(),
            settings.len()
        )?;
    }
    Ok(output::emit(&text)?)
}

/// The strengths of a preset clap has already checked the name of.
fn preset(name: &str) -> Result<RerankParams> {
    RerankParams::preset(name)
        .ok_or_else(|| anyhow!("unknown preset {name:?}; presets: {}", PRESETS.join(", ")))
}

/// What `--tune` found, for the JSON output.
fn tune_json(s: &tuning::Searched, model: &Model, items: usize) -> Value {
    let best = s.tuned.best();
    json!({
        "settings": s.tuned.trials.len(),
        "tune_seconds": s.seconds,
        "factors": best.setting.factors,
        "regularization": best.setting.regularization(items),
        "rho": best.setting.rho,
        "unobserved_weight": best.setting.unobserved_weight,
        "exponent": best.setting.exponent,
        "validation_ndcg": best.ndcg,
        "neighbours": tuning::neighbours_json(s, model),
        "calibration": s.calibration,
        "balanced_strength": s.calibration.strength_keeping(tastebud_core::BALANCED_KEEPS),
        "discovery_strength": s.calibration.strength_keeping(tastebud_core::DISCOVERY_KEEPS),
    })
}

/// A preset as `model` means it: from its discovery calibration when it has one.
fn model_preset(model: &Model, name: &str) -> Result<RerankParams> {
    model
        .preset(name)
        .ok_or_else(|| anyhow!("unknown preset {name:?}; presets: {}", PRESETS.join(", ")))
}

/// One re-ranking setting evaluated: a preset at strength `t` (`accurate` is plain ALS).
struct Setting {
    preset: &'static str,
    t: f32,
    params: RerankParams,
}

/// Plain ALS and the chosen preset; with `sweep`, every preset at every strength of
/// [`STRENGTHS`] instead (strength 0 of each preset is plain ALS, evaluated once).
fn settings(model: &Model, chosen: &str, sweep: bool) -> Result<Vec<Setting>> {
    let mut out = vec![Setting {
        preset: "accurate",
        t: 1.0,
        params: preset("accurate")?,
    }];
    for name in PRESETS.into_iter().filter(|&p| p != "accurate") {
        let params = model_preset(model, name)?;
        if sweep {
            for t in STRENGTHS.into_iter().filter(|&t| t > 0.0) {
                out.push(Setting {
                    preset: name,
                    t,
                    params: params.scaled(t),
                });
            }
        } else if name == chosen {
            out.push(Setting {
                preset: name,
                t: 1.0,
                params,
            });
        }
    }
    Ok(out)
}

/// `--categories` as read, and mapped onto the model's items.
struct LoadedCategories {
    path: PathBuf,
    kind: String,
    items: ItemCategories,
    /// Items of the model with a category.
    categorized: usize,
}

impl LoadedCategories {
    /// What was read and how much of the model it covers.
    fn summary(&self) -> String {
        let used: ItemSet = self.items.of_item.iter().flatten().copied().collect();
        let n = (0..self.items.names.len() as u32)
            .filter(|&c| used.contains(c))
            .count();
        format!(
            "{} ({}): {} of {} items in {n} categories",
            self.path.display(),
            self.kind,
            self.categorized,
            self.items.of_item.len()
        )
    }
}

fn load_categories(args: &EvaluateArgs, item_ids: &[String]) -> Result<Option<LoadedCategories>> {
    let Some(path) = &args.categories else {
        return Ok(None);
    };
    let file: CategoryFile = categories::read(path, args.category_level)?;
    let items = file.for_items(item_ids);
    let categorized = items.of_item.iter().flatten().count();
    if categorized == 0 {
        bail!(
            "no item of the model is in {}; check that it uses the same item ids as the log",
            path.display()
        );
    }
    Ok(Some(LoadedCategories {
        path: path.clone(),
        kind: file.kind,
        items,
        categorized,
    }))
}

/// Top-`k` lists under every setting, `[setting][user row]` (empty for users without a test
/// row). Each user is folded in and scored once, whatever the number of settings: that is most
/// of the work, re-ranking the scores is cheap.
fn ranked_lists(
    model: &Model,
    history: &CsrMatrix,
    test: &CsrMatrix,
    settings: &[RerankParams],
    categories: Option<&ItemCategories>,
    k: usize,
    bar: &ProgressBar,
) -> Result<Vec<Vec<Vec<u32>>>> {
    let none = ItemCategories::default();
    let categories = categories.unwrap_or(&none);
    let users: Vec<usize> = (0..test.n_rows())
        .filter(|&u| !test.row(u).0.is_empty())
        .collect();
    bar.set_length(users.len() as u64);
    let per_user: Vec<Vec<Vec<u32>>> = users
        .par_iter()
        .map_init(Vec::new, |scores, &u| {
            let seen_pairs = history.row_pairs(u);
            let system = model
                .user_system(&seen_pairs)
                .with_context(|| format!("cannot fold in test user {u}"))?;
            model.score_system_into(&system, scores);
            let seen: ItemSet = seen_pairs.iter().map(|&(i, _)| i).collect();
            let ctx = RerankContext {
                categories,
                popularity: model.popularity(),
                history: &seen_pairs,
                explorable: None,
            };
            let lists = settings
                .iter()
                .map(|params| ranked(scores, &seen, k, params, &ctx))
                .collect();
            bar.inc(1);
            Ok(lists)
        })
        .collect::<Result<_>>()?;
    let mut out = vec![vec![Vec::new(); test.n_rows()]; settings.len()];
    for (&u, lists) in users.iter().zip(per_user) {
        for (by_setting, list) in out.iter_mut().zip(lists) {
            by_setting[u] = list;
        }
    }
    Ok(out)
}

/// The top `k` unseen items under `params`.
fn ranked(
    scores: &[f32],
    seen: &ItemSet,
    k: usize,
    params: &RerankParams,
    ctx: &RerankContext,
) -> Vec<u32> {
    let top = if params.is_plain() {
        // What `rerank` returns for plain settings (the first k of its top candidates, in the
        // same total order), without ranking 1000 candidates first.
        top_scores(scores, k, |i| !seen.contains(i))
    } else {
        rerank(scores, |i| !seen.contains(i), k, params, ctx)
    };
    top.into_iter().map(|s| s.item).collect()
}

/// The core's metrics for precomputed lists.
fn score(lists: &[Vec<u32>], history: &CsrMatrix, test: &CsrMatrix, opts: &EvalOptions) -> Metrics {
    evaluate(|u, _, _| lists[u].clone(), history, test, opts)
}

/// `als` or `als + discovery`.
fn row_name(base: &str, preset: &str) -> String {
    if preset == "accurate" {
        base.to_owned()
    } else {
        format!("{base} + {preset}")
    }
}

fn format_name(format: Format) -> String {
    clap::ValueEnum::to_possible_value(&format)
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

/// The report's content: the sweep, exposure of plain ALS and discovery, the table and the
/// target check.
fn build_report(
    model: &Model,
    mut facts: Vec<(String, String)>,
    settings: &[Setting],
    metrics: &[Metrics],
    lists: &[Vec<Vec<u32>>],
    popular: &Metrics,
) -> Report {
    let at = |preset: &str, t: f32| {
        settings
            .iter()
            .position(|s| s.preset == preset && s.t == t)
            .expect("the report evaluates the whole sweep")
    };
    let accurate = at("accurate", 1.0);
    let als = metrics[accurate].clone();
    let sweeps: Vec<Sweep> = PRESETS
        .into_iter()
        .filter(|&p| p != "accurate")
        .map(|p| Sweep {
            preset: p.to_owned(),
            points: STRENGTHS
                .into_iter()
                .map(|t| {
                    let i = if t == 0.0 { accurate } else { at(p, t) };
                    (t, metrics[i].clone())
                })
                .collect(),
        })
        .collect();
    let mut rows = vec![("most popular".to_owned(), popular.clone())];
    rows.extend(PRESETS.into_iter().map(|p| {
        let i = if p == "accurate" {
            accurate
        } else {
            at(p, 1.0)
        };
        (p.to_owned(), metrics[i].clone())
    }));

    let exposure = |name: &str, i: usize| {
        let mut counts = vec![0u32; model.n_items()];
        for item in lists[i].iter().flatten() {
            counts[*item as usize] += 1;
        }
        Exposure {
            name: name.to_owned(),
            counts,
            tail_share: metrics[i].tail_share,
        }
    };
    let discovery = at("discovery", 1.0);

    let popularity = model.popularity().to_vec();
    let tail = long_tail(&popularity, 0.8);
    let head: Vec<u32> = (0..popularity.len() as u32)
        .filter(|&i| !tail.contains(i))
        .collect();
    let head_threshold = head
        .iter()
        .map(|&i| popularity[i as usize])
        .min()
        .unwrap_or(0);
    let tail_definition = format!(
        "items outside the most popular ones that together account for 80% of training \
         interactions. Here the {} most popular of {} items (training popularity {} users or more) \
         are the head, the other {} the tail; items tied at the boundary are split by index.",
        head.len(),
        popularity.len(),
        head_threshold,
        popularity.len() - head.len()
    );

    let d = &metrics[discovery];
    let k = als.k;
    let mut target = Vec::new();
    let verdict = |ok: bool| if ok { "met" } else { "not met" };
    target.push(if als.tail_share == 0.0 {
        format!(
            "Tail share: discovery {:.4}, plain ALS {:.4}. Plain ALS recommends no tail item at \
             all, so \"at least 3x\" holds trivially for any tail share above 0: {}.",
            d.tail_share,
            als.tail_share,
            verdict(d.tail_share > 0.0)
        )
    } else {
        format!(
            "Tail share: discovery {:.4}, plain ALS {:.4}, {:.2}x (target at least 3x): {}.",
            d.tail_share,
            als.tail_share,
            d.tail_share / als.tail_share,
            verdict(d.tail_share >= 3.0 * als.tail_share)
        )
    });
    target.push(format!(
        "nDCG@{k}: discovery {:.4}, plain ALS {:.4}, {:.3}x (target at least 0.9x): {}.",
        d.ndcg,
        als.ndcg,
        if als.ndcg > 0.0 {
            d.ndcg / als.ndcg
        } else {
            f64::NAN
        },
        verdict(d.ndcg >= 0.9 * als.ndcg)
    ));
    match (d.category_coverage, als.category_coverage) {
        (Some(dc), Some(ac)) => target.push(format!(
            "Category coverage: discovery {dc:.3}, plain ALS {ac:.3} (target higher): {}.",
            verdict(dc > ac)
        )),
        _ => target.push("Category coverage: not measured without --categories.".to_owned()),
    }
    facts.push((
        "presets".to_owned(),
        PRESETS
            .into_iter()
            .map(|p| {
                let r = RerankParams::preset(p).expect("a listed preset");
                format!(
                    "{p}: popularity {}, diversity {}, calibration {}, exploration slots {}",
                    r.popularity, r.diversity, r.calibration, r.exploration
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    ));

    Report {
        title: "Tastebud: discovery re-ranking on held-out data".to_owned(),
        facts,
        tail_definition,
        command: report::command_line(),
        rows,
        popular: popular.clone(),
        als: als.clone(),
        sweeps,
        popularity,
        head_threshold,
        exposure: vec![
            exposure("plain ALS", accurate),
            exposure("discovery", discovery),
        ],
        target,
    }
}

/// An aligned table, one row per model; with categories, two more columns.
fn table(rows: &[(&str, &Metrics)]) -> String {
    let k = rows.first().map_or(0, |(_, m)| m.k);
    let with_categories = rows.iter().any(|(_, m)| m.category_coverage.is_some());
    let mut headers = vec![
        format!("P@{k}"),
        format!("R@{k}"),
        format!("nDCG@{k}"),
        format!("MAP@{k}"),
        "coverage".to_owned(),
        "tail share".to_owned(),
        "novelty".to_owned(),
    ];
    if with_categories {
        headers.push("ILD".to_owned());
        headers.push("cat. cov.".to_owned());
    }
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
        for v in crate::output::ranking_columns(m) {
            write!(text, "  {v:>10.4}").expect("writing to a String");
        }
        write!(text, "  {:>10.3}", m.novelty).expect("writing to a String");
        if with_categories {
            for v in [m.intra_list_diversity, m.category_coverage] {
                match v {
                    Some(v) => write!(text, "  {v:>10.4}"),
                    None => write!(text, "  {:>10}", "-"),
                }
                .expect("writing to a String");
            }
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lists_are_what_rerank_returns() {
        // Ties, a NaN and seen items: the shortcut must keep rerank's order exactly.
        let scores: Vec<f32> = (0..2500u32)
            .map(|i| match i % 7 {
                0 => 0.5,
                3 => f32::NAN,
                _ => ((i * 37) % 101) as f32 / 100.0,
            })
            .collect();
        let seen: ItemSet = (0..2500).filter(|i| i % 11 == 0).collect();
        let cats = ItemCategories::default();
        let ctx = RerankContext {
            categories: &cats,
            popularity: &[],
            history: &[],
            explorable: None,
        };
        let plain = RerankParams::default();
        for k in [1, 10, 999, 1500] {
            let want: Vec<u32> = rerank(&scores, |i| !seen.contains(i), k, &plain, &ctx)
                .into_iter()
                .map(|s| s.item)
                .collect();
            assert_eq!(ranked(&scores, &seen, k, &plain, &ctx), want, "k = {k}");
        }
    }

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
        assert!(!t.contains("ILD"), "{t}");

        // With categories: two more columns, a dash where a row has none.
        let with = Metrics {
            intra_list_diversity: Some(0.75),
            category_coverage: Some(0.5),
            ..m.clone()
        };
        let t = table(&[("most popular", &m), ("als + discovery", &with)]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].ends_with("ILD   cat. cov."), "{t}");
        assert!(lines[1].ends_with("  -           -"), "{t}");
        assert!(lines[2].ends_with("0.7500      0.5000"), "{t}");
        assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{t}");
    }
}
