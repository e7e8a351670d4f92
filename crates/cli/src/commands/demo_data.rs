//! `tastebud demo-data`: the storefront's seeded demo shop (catalog, shop data and model).

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;
use tastebud_core::{Catalog, EventKind};

use crate::commands::write_atomically;
use crate::demo::{self, Options};
use crate::input::io_reason;
use crate::output;

/// Generate the demo shop: a bilingual lifestyle catalog with its shop data, and a model trained
/// on a simulated interaction log. The same seed always gives the same files.
#[derive(Debug, Args)]
pub struct DemoDataArgs {
    /// Directory to write catalog.json and model.tbm into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of everything generated.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of catalog items.
    #[arg(long, default_value_t = 1600)]
    pub items: usize,
    /// Number of simulated shoppers.
    #[arg(long, default_value_t = 3000)]
    pub shoppers: usize,
    /// Also write the simulated log as JSON Lines, for `tastebud train --format jsonl`.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: DemoDataArgs) -> Result<()> {
    if args.shoppers == 0 {
        bail!("--shoppers must be at least 1, got 0");
    }
    let start = Instant::now();
    let spinner = output::spinner("generating the demo shop", args.json);
    let demo = demo::generate(Options {
        seed: args.seed,
        items: args.items,
        shoppers: args.shoppers,
    })?;
    let catalog_text = demo::catalog_json(&demo.catalog)?;
    let model_bytes = demo.trained.model.to_bytes();
    // What the storefront will do with these files, so a generator bug never ships.
    Catalog::from_json(&catalog_text)
        .and_then(|c| c.check_model(&demo.trained.model))
        .context("the generated demo shop fails the storefront's checks; this is a bug in `tastebud demo-data`, please report it")?;

    fs::create_dir_all(&args.out).map_err(|e| {
        anyhow::anyhow!(
            "cannot create {}: {}; check the path and its permissions",
            args.out.display(),
            io_reason(&e)
        )
    })?;
    let catalog_path = args.out.join("catalog.json");
    let model_path = args.out.join("model.tbm");
    write_atomically(&catalog_path, catalog_text.as_bytes())?;
    write_atomically(&model_path, &model_bytes)?;
    if let Some(log) = &args.log {
        write_atomically(
            log,
            demo::log_jsonl(&demo.catalog, &demo.events)?.as_bytes(),
        )?;
    }
    spinner.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();

    let catalog = &demo.catalog;
    let trained = &demo.trained;
    let niches = catalog.categories.iter().filter(|c| c.niche).count();
    let count = |kind: EventKind| demo.events.iter().filter(|e| e.kind == kind).count();
    let kinds = [
        (EventKind::View, "views"),
        (EventKind::Click, "clicks"),
        (EventKind::SearchHit, "search hits"),
        (EventKind::Like, "likes"),
        (EventKind::AddToCart, "add-to-carts"),
        (EventKind::Purchase, "purchases"),
        (EventKind::Rate, "ratings"),
        (EventKind::Dismiss, "dismissals"),
    ];
    let shop = &catalog.shop_data;
    let searches: u32 = shop.searches.values().sum();
    let creators = {
        let mut names: Vec<&str> = shop.creator_picks.iter().map(|p| p.0.as_str()).collect();
        names.dedup();
        names.len()
    };
    let model = &trained.model;

    if args.json {
        let events: serde_json::Map<String, serde_json::Value> = kinds
            .iter()
            .map(|&(k, _)| (k.name().to_owned(), json!(count(k))))
            .collect();
        return Ok(output::emit_json(&json!({
            "seed": args.seed,
            "items": catalog.items.len(),
            "categories": catalog.categories.len(),
            "niches": niches,
            "areas": catalog.areas.len(),
            "shoppers": args.shoppers,
            "events": demo.events.len(),
            "events_by_kind": events,
            "rated_items": shop.ratings.len(),
            "searches": searches,
            "distinct_searches": shop.searches.len(),
            "creators": creators,
            "creator_picks": shop.creator_picks.len(),
            "model_users": trained.users,
            "model_items": model.n_items(),
            "interactions": trained.interactions,
            "factors": model.n_factors(),
            "precision": model.precision().name(),
            "loss": trained.loss,
            "fit_seconds": trained.seconds,
            "seconds": seconds,
            "catalog": catalog_path.display().to_string(),
            "catalog_bytes": catalog_text.len(),
            "model": model_path.display().to_string(),
            "model_bytes": model_bytes.len(),
            "log": args.log.as_ref().map(|p| p.display().to_string()),
        }))?);
    }
    let mut text = String::new();
    writeln!(
        text,
        "catalog: {} items in {} categories ({niches} niches) across {} areas",
        catalog.items.len(),
        catalog.categories.len(),
        catalog.areas.len()
    )?;
    let by_kind: Vec<String> = kinds
        .iter()
        .map(|&(k, name)| format!("{} {name}", count(k)))
        .collect();
    writeln!(
        text,
        "log: {} shoppers, {} events ({})",
        args.shoppers,
        demo.events.len(),
        by_kind.join(", ")
    )?;
    writeln!(
        text,
        "shop data: {} rated items, {searches} searches for {} queries, {} picks by {creators} creators",
        shop.ratings.len(),
        shop.searches.len(),
        shop.creator_picks.len()
    )?;
    writeln!(
        text,
        "model: {} shoppers x {} items ({} interactions, {} dismissed), {} factors {}, trained in {:.2} s, final loss {:.6}",
        trained.users,
        model.n_items(),
        trained.interactions,
        trained.dismissed,
        model.n_factors(),
        model.precision().name(),
        trained.seconds,
        trained.loss
    )?;
    let mut wrote = format!(
        "wrote {} ({}) and {} ({})",
        catalog_path.display(),
        output::size(catalog_text.len() as u64),
        model_path.display(),
        output::size(model_bytes.len() as u64)
    );
    if let Some(log) = &args.log {
        write!(wrote, " and the log to {}", log.display())?;
    }
    writeln!(text, "{wrote}")?;
    writeln!(text, "done in {seconds:.2} s (seed {})", args.seed)?;
    Ok(output::emit(&text)?)
}
