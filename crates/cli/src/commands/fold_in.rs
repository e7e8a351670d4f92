//! `tastebud fold-in`: the user vector a visitor's history folds into, for checking a model
//! against the trainer that made it (Spark's `userFactors`, implicit's `user_factors`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::json;
use tastebud_core::Filter;

use crate::commands::load_model;
use crate::output;

/// Fold in a history and print the user vector, and with --n the top items, seen ones included.
#[derive(Debug, Args)]
pub struct FoldInArgs {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The history as `ID:r` pairs separated by commas; a bare `ID` counts as r = 1. The text
    /// after the last ':' is r, so an id that contains ':' needs an explicit `:r`. Repeats add up.
    #[arg(long, value_name = "ID:R,...", value_delimiter = ',', required = true)]
    items: Vec<String>,
    /// Also rank every item for the vector and print the top N, history items included (as
    /// Spark's `recommendForUserSubset` does). This ranks by the factors alone; `tastebud
    /// recommend` adds the model's item-item part, as the browser does.
    #[arg(long, default_value_t = 0)]
    n: usize,
    /// Print JSON: `{"vector": [...], "top": [{"item", "score"}, ...]}`.
    #[arg(long)]
    json: bool,
}

pub fn run(args: FoldInArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    let index: HashMap<&str, u32> = model
        .item_ids()
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as u32))
        .collect();
    let mut history = Vec::with_capacity(args.items.len());
    let mut unknown = Vec::new();
    for entry in args
        .items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let (id, r) = match entry.rsplit_once(':') {
            Some((id, r)) => {
                let r: f32 = r
                    .trim()
                    .parse()
                    .ok()
                    .filter(|r: &f32| r.is_finite())
                    .ok_or_else(|| {
                        anyhow!("--items: {entry:?} has r = {r:?}, not a finite number; write ID:r")
                    })?;
                (id.trim(), r)
            }
            None => (entry, 1.0),
        };
        match index.get(id) {
            Some(&i) => history.push((i, r)),
            None => unknown.push(id),
        }
    }
    if !unknown.is_empty() {
        bail!(
            "not in the model: {}; list the model's item ids with `tastebud inspect {} --ids`",
            unknown.join(", "),
            args.model.display()
        );
    }
    if history.is_empty() {
        bail!("--items is empty; give ID:r pairs separated by commas");
    }
    let vector = model
        .fold_in(&history)
        .context("cannot fold in these items")?;
    let top = if args.n > 0 {
        model.recommend(&vector, args.n, &Filter::new())
    } else {
        Vec::new()
    };
    let id = |i: u32| model.item_ids()[i as usize].as_str();
    if args.json {
        let top: Vec<_> = top
            .iter()
            .map(|s| json!({"item": id(s.item), "score": s.score}))
            .collect();
        return Ok(output::emit_json(&json!({"vector": vector, "top": top}))?);
    }
    let mut text = String::new();
    let parts: Vec<String> = vector.iter().map(|v| format!("{v:e}")).collect();
    writeln!(text, "{}", parts.join(" "))?;
    for (rank, s) in top.iter().enumerate() {
        writeln!(text, "{:>3}  {}  {:>10.6}", rank + 1, id(s.item), s.score)?;
    }
    Ok(output::emit(&text)?)
}
