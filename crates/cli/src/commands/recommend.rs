//! `tastebud recommend`: fold in a visitor's items and print what to show them.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use tastebud_core::{FileRef, Filter, Loader, Model};

use crate::commands::publish::PrivacyArg;
use crate::commands::{item_indices, load_model, published_reader, read_manifest};
use crate::output;

/// Recommend items for a visitor who liked the given items.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["model", "published"]))]
pub struct RecommendArgs {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// A published catalog's manifest.json (`tastebud publish`), read as a browser reads it:
    /// only the files the --privacy mode allows.
    #[arg(long, value_name = "MANIFEST")]
    published: Option<PathBuf>,
    /// With --published: which files a visitor may read (docs/privacy.md).
    #[arg(long, value_enum, default_value_t = PrivacyArg::History, requires = "published")]
    privacy: PrivacyArg,
    /// With --published: print each file read, in the order read, to stderr.
    #[arg(long, requires = "published")]
    reads: bool,
    /// Item ids the visitor liked, separated by commas (each counts as r = 1).
    #[arg(long, value_name = "ID,ID,...", value_delimiter = ',', required = true)]
    items: Vec<String>,
    /// How many items to recommend.
    #[arg(long, default_value_t = 10)]
    n: usize,
    /// Show the three history items that contribute most to each score.
    #[arg(long)]
    explain: bool,
    /// Print JSON instead of a list.
    #[arg(long)]
    json: bool,
}

/// How many contributions `--explain` shows.
const BECAUSE: usize = 3;

pub fn run(args: RecommendArgs) -> Result<()> {
    let (model, path, items) = match (&args.model, &args.published) {
        (Some(path), _) => (load_model(path)?, path.clone(), args.items.clone()),
        (None, Some(manifest)) => {
            let (model, items) = load_published(manifest, &args)?;
            (model, manifest.clone(), items)
        }
        (None, None) => unreachable!("clap requires one"),
    };
    let history: Vec<(u32, f32)> = item_indices(&model, &path, &items)?
        .into_iter()
        .map(|i| (i, 1.0))
        .collect();
    let top = model
        .recommend_for(&history, args.n, Filter::new())
        .context("cannot fold in these items")?;
    // One solve serves every explanation.
    let system = args
        .explain
        .then(|| model.user_system_in_order(&history))
        .transpose()?;
    let because = |item: u32| -> Result<Vec<(&str, f32)>> {
        let Some(system) = &system else {
            return Ok(Vec::new());
        };
        let why = model.explain_with(system, item)?;
        Ok(why
            .contributions
            .iter()
            .take(BECAUSE)
            .map(|&(j, c)| (id(&model, j), c))
            .collect())
    };

    if args.json {
        let mut list = Vec::with_capacity(top.len());
        for s in &top {
            let mut entry = json!({"item": id(&model, s.item), "score": output::short(s.score)});
            if args.explain {
                let why: Vec<Value> = because(s.item)?
                    .into_iter()
                    .map(|(item, c)| json!({"item": item, "contribution": output::short(c)}))
                    .collect();
                entry["because"] = why.into();
            }
            list.push(entry);
        }
        return Ok(output::emit_json(&Value::Array(list))?);
    }
    let width = top
        .iter()
        .map(|s| id(&model, s.item).len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (rank, s) in top.iter().enumerate() {
        write!(
            text,
            "{:>3}  {:width$}  {:>8.4}",
            rank + 1,
            id(&model, s.item),
            s.score
        )?;
        let why = because(s.item)?;
        if !why.is_empty() {
            let parts: Vec<String> = why.iter().map(|(j, c)| format!("{j} ({c:.3})")).collect();
            write!(text, "  because {}", parts.join(", "))?;
        }
        text.push('\n');
    }
    Ok(output::emit(&text)?)
}

/// The items a visitor with `--items` loads from a publication under `--privacy`, every file
/// checked against the manifest's size and SHA-256, and the items among `--items` it holds.
/// What was read goes to stderr.
fn load_published(
    manifest_path: &std::path::Path,
    args: &RecommendArgs,
) -> Result<(Model, Vec<String>)> {
    let manifest = read_manifest(manifest_path)?;
    let mut total = 0u64;
    let mut check = published_reader(manifest_path);
    let mut read = |f: &FileRef| -> tastebud_core::Result<Vec<u8>> {
        let bytes = check(f)?;
        total += bytes.len() as u64;
        Ok(bytes)
    };
    let privacy = args.privacy.mode();
    let history: Vec<String> = args.items.iter().map(|s| s.trim().to_owned()).collect();
    let mut loader = Loader::new(&manifest, &mut read);
    let loaded = loader
        .load(privacy, &history)
        .map_err(|e| anyhow!("{}: {e}", manifest_path.display()))?;
    let files = loader.requests.len();
    if args.reads {
        for file in &loader.requests {
            eprintln!("read {file}");
        }
    }
    drop(loader);
    // Strict mode folds in the items it has; the others are named below.
    let (found, missing): (Vec<String>, Vec<String>) = history
        .into_iter()
        .partition(|id| loaded.model.item_index(id).is_some());
    if found.is_empty() {
        bail!(
            "none of these items is in the shards read ({} of {}){}",
            loaded.shards.len(),
            manifest.shards,
            if matches!(args.privacy, PrivacyArg::Strict) {
                "; strict mode reads only the strict set, so items outside it cannot be folded in"
            } else {
                "; check the ids against the catalog"
            }
        );
    }
    eprintln!(
        "read {files} files ({:.0} KB): {} of {} shards, {} of {} items",
        total as f64 / 1024.0,
        loaded.shards.len(),
        manifest.shards,
        loaded.model.n_items(),
        manifest.items
    );
    if !missing.is_empty() {
        eprintln!(
            "not in the shards read, left out of the fold-in: {}",
            missing.join(", ")
        );
    }
    Ok((loaded.model, found))
}

fn id(model: &Model, item: u32) -> &str {
    &model.item_ids()[item as usize]
}
