//! `tastebud recommend`: fold in a visitor's items and print what to show them.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::{json, Value};
use tastebud_core::{Filter, Model};

use crate::commands::{item_indices, load_model};
use crate::output;

/// Recommend items for a visitor who liked the given items.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
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
    let model = load_model(&args.model)?;
    let history: Vec<(u32, f32)> = item_indices(&model, &args.model, &args.items)?
        .into_iter()
        .map(|i| (i, 1.0))
        .collect();
    let top = model
        .recommend_for(&history, args.n, Filter::new())
        .context("cannot fold in these items")?;
    // One solve serves every explanation.
    let system = args
        .explain
        .then(|| model.user_system(&history))
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

fn id(model: &Model, item: u32) -> &str {
    &model.item_ids()[item as usize]
}
