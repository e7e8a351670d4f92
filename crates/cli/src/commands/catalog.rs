//! `tastebud catalog`: the storefront's catalog.json from a shop's product feed, and a check of a
//! catalog against a model.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, ValueEnum};
use serde_json::json;
use tastebud_core::Catalog;

use crate::commands::{load_model, write_atomically};
use crate::feeds::{self, FeedFormat};
use crate::ga4;
use crate::input::read_file;
use crate::output::{self, plural};
use crate::placements;

/// Build the storefront's catalog.json from a product feed, or check a catalog against a model.
///
/// Feeds: `merchant-feed FILE` is Google Merchant Center product data (the RSS 2.0/XML feed with
/// the g: namespace, or the tab-separated file); `shopify-csv FILE` is Shopify's product export.
/// Variants fold into one item (Merchant: by item_group_id; Shopify: by Handle). No image link is
/// kept: the storefront draws each picture locally. Rows that cannot be used are skipped and
/// listed with their line (or XML item).
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// The feed: `merchant-feed FILE` or `shopify-csv FILE`.
    #[arg(
        long,
        num_args = 2,
        value_names = ["FORMAT", "FILE"],
        required_unless_present = "check",
        conflicts_with = "check",
        requires = "out"
    )]
    from: Vec<OsString>,
    /// Where to write the catalog.
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    out: Option<PathBuf>,
    /// The shop's name [default: the feed's own title, else "Shop"].
    #[arg(long, value_name = "NAME", conflicts_with = "check")]
    shop_name: Option<String>,
    /// ISO 4217 code of the prices [default: the one Merchant Center prices name, else USD].
    #[arg(long, value_name = "CODE", conflicts_with = "check")]
    currency: Option<String>,
    /// A GA4 export (as for `train --format ga4`) whose search terms fill the storefront's
    /// trending searches.
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    searches: Option<PathBuf>,
    /// Keep only search terms searched by at least this many distinct visitors (and of at most
    /// 64 characters), so no single visitor's query is shown to everyone.
    #[arg(long, value_name = "N", default_value_t = 5, requires = "searches")]
    min_searchers: usize,
    /// A GA4 export (as for `train --format ga4`) to compute the widget's placements from:
    /// trending items (views, carts and purchases, halving in weight every 7 days before the
    /// log's latest event), the members' list (what the top tenth of buyers by orders buys
    /// most), per item what is bought or carted in the same order or session, and the brands
    /// that searches lead to (an item of the brand seen, carted or bought in a session with a
    /// search).
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    log: Option<PathBuf>,
    /// Keep only items (and pairs of items bought together) that at least this many distinct
    /// visitors are behind, so no single visitor's activity is shown to everyone.
    #[arg(long, value_name = "N", default_value_t = placements::MIN_VISITORS, requires = "log")]
    min_visitors: usize,
    /// Check this catalog against --model instead: items without factors (served through the
    /// cold-start path) are fine, factors without items are an error.
    #[arg(long, value_name = "CATALOG", requires = "model")]
    check: Option<PathBuf>,
    /// The model to check the catalog against.
    #[arg(long, value_name = "FILE", requires = "check")]
    model: Option<PathBuf>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

/// How many problems and ids a text summary lists.
const LISTED: usize = 20;
const EXAMPLES: usize = 5;

/// Without `--currency` or a currency in the prices.
const DEFAULT_CURRENCY: &str = "USD";

pub fn run(args: CatalogArgs) -> Result<()> {
    match (&args.check, &args.model) {
        (Some(catalog), Some(model)) => check(catalog, model, args.json),
        _ => build(&args),
    }
}

/// The placements of a GA4 export over the catalog's items: events on a variant count for its
/// product, and events on items the catalog does not have are left out.
fn add_placements(
    log: &Path,
    feed: &feeds::Feed,
    catalog: &mut Catalog,
    min_visitors: usize,
) -> Result<()> {
    if min_visitors == 0 {
        bail!("min-visitors must be at least 1");
    }
    let read = ga4::read(log, &ga4::Mapping::default())?;
    let (mut events, searched) = (read.events, read.searched);
    if events.is_empty() {
        bail!(
            "{}: no GA4 e-commerce event with a user and an item; expected {}",
            log.display(),
            ga4::DESCRIPTION
        );
    }
    let products = feeds::variant_map(feed);
    let known: HashSet<&str> = catalog.items.iter().map(|i| i.id.as_str()).collect();
    for e in &mut events {
        if let Some(p) = products.get(&e.item) {
            e.item = p.clone();
        }
    }
    events.retain(|e| known.contains(e.item.as_str()));
    drop(known);
    placements::fill(catalog, &events, min_visitors);
    placements::fill_brands(catalog, &events, &searched, min_visitors);
    Ok(())
}

fn build(args: &CatalogArgs) -> Result<()> {
    let (format, path) = FeedFormat::with_path("--from", &args.from)?;
    let out = args
        .out
        .as_deref()
        .expect("clap requires --out with --from");
    let fixed = args.currency.as_deref().map(currency_code).transpose()?;
    let feed = feeds::read(format, &path, fixed.as_deref())?;
    let (searches, rare_searches) = match &args.searches {
        Some(log) => ga4::search_terms(log, args.min_searchers)?,
        None => (BTreeMap::new(), 0),
    };
    let (currency, currency_source) = match (&fixed, &feed.currency) {
        (Some(c), _) => (c.clone(), "--currency"),
        (None, Some(c)) => (c.clone(), "from the prices"),
        (None, None) => (DEFAULT_CURRENCY.to_owned(), "default; pass --currency"),
    };
    let shop = args
        .shop_name
        .clone()
        .or_else(|| feed.title.clone())
        .unwrap_or_else(|| "Shop".to_owned());
    let n_searches = searches.len();
    let catalog = feeds::build(
        &feed.products,
        feeds::Options {
            shop,
            currency: currency.clone(),
            searches,
        },
    );
    let mut catalog = catalog;
    if let Some(log) = &args.log {
        add_placements(log, &feed, &mut catalog, args.min_visitors)?;
    }
    let text = catalog_json(&catalog)?;
    // What the storefront does with the file, so a builder bug never ships.
    Catalog::from_json(&text)
        .context("the built catalog does not validate (a bug in `tastebud catalog`)")?;
    write_atomically(out, text.as_bytes())?;

    let variants: usize = feed.products.iter().map(|p| p.variants.len()).sum();
    let folded = feed
        .products
        .iter()
        .filter(|p| !p.variants.is_empty())
        .count();
    if args.json {
        return Ok(output::emit_json(&json!({
            "from": format.to_possible_value().map(|v| v.get_name().to_owned()),
            "layout": feed.layout,
            "rows": feed.rows,
            "items": catalog.items.len(),
            "items_with_variants": folded,
            "variants": variants,
            "left_out": feed.left_out,
            "areas": catalog.areas.len(),
            "categories": catalog.categories.len(),
            "niches": catalog.categories.iter().filter(|c| c.niche).count(),
            "currency": currency,
            "currency_source": currency_source,
            "searches": n_searches,
            "searches_left_out": rare_searches,
            "placements": {
                "trending": catalog.trending.len(),
                "members": catalog.members.len(),
                "bought_with": catalog.bought_with.len(),
                "search_brands": catalog.search_brands.len(),
            },
            "problems": feed.problems,
            "out": out.display().to_string(),
            "bytes": text.len(),
        }))?);
    }
    let mut s = String::new();
    write!(
        s,
        "read {} of {} ({}): {}",
        plural(feed.rows, "row", "rows"),
        path.display(),
        feed.layout,
        plural(catalog.items.len(), "item", "items")
    )?;
    if folded > 0 {
        write!(
            s,
            " ({} folded into {folded} of them)",
            plural(variants, "variant", "variants")
        )?;
    }
    writeln!(
        s,
        ", {} in {}, prices in {currency} ({currency_source})",
        plural(catalog.categories.len(), "category", "categories"),
        plural(catalog.areas.len(), "area", "areas")
    )?;
    if feed.left_out > 0 {
        writeln!(s, "{} draft or archived products left out", feed.left_out)?;
    }
    if n_searches > 0 || rare_searches > 0 {
        writeln!(
            s,
            "{n_searches} search terms for the trending searches ({rare_searches} searched by fewer than {} visitors or longer than {} characters left out)",
            args.min_searchers,
            tastebud_core::MAX_SEARCH_CHARS
        )?;
    }
    if args.log.is_some() {
        writeln!(
            s,
            "placements: {} trending, {} in the members' list, {} with items bought together, {} searches led to (each behind at least {} visitors)",
            plural(catalog.trending.len(), "item", "items"),
            plural(catalog.members.len(), "item", "items"),
            plural(catalog.bought_with.len(), "item", "items"),
            plural(catalog.search_brands.len(), "brand", "brands"),
            args.min_visitors
        )?;
    }
    if !feed.problems.is_empty() {
        writeln!(s, "{}:", plural(feed.problems.len(), "problem", "problems"))?;
        for p in feed.problems.iter().take(LISTED) {
            writeln!(s, "  {p}")?;
        }
        if feed.problems.len() > LISTED {
            writeln!(
                s,
                "  and {} more (see --json)",
                feed.problems.len() - LISTED
            )?;
        }
    }
    writeln!(
        s,
        "wrote {} ({})",
        out.display(),
        output::size(text.len() as u64)
    )?;
    Ok(output::emit(&s)?)
}

/// A catalog as compact JSON with sorted keys, so the same feed always gives the same bytes.
fn catalog_json(catalog: &Catalog) -> Result<String> {
    let mut value = serde_json::to_value(catalog)?;
    value.sort_all_objects();
    Ok(serde_json::to_string(&value)?)
}

fn currency_code(code: &str) -> Result<String> {
    let code = code.trim();
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
        bail!("--currency must be a three-letter ISO 4217 code such as EUR, got {code:?}");
    }
    Ok(code.to_ascii_uppercase())
}

fn check(catalog_path: &Path, model_path: &Path, json: bool) -> Result<()> {
    let bytes = read_file(catalog_path)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow!("{}: not UTF-8 text", catalog_path.display()))?;
    let catalog =
        Catalog::from_json(text).map_err(|e| anyhow!("{}: {e}", catalog_path.display()))?;
    let model = load_model(model_path)?;
    let in_model: HashSet<&str> = model.item_ids().iter().map(String::as_str).collect();
    let in_catalog: HashSet<&str> = catalog.items.iter().map(|i| i.id.as_str()).collect();
    let cold: Vec<&str> = catalog
        .items
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| !in_model.contains(id))
        .collect();
    let orphans: Vec<&str> = model
        .item_ids()
        .iter()
        .map(String::as_str)
        .filter(|id| !in_catalog.contains(id))
        .collect();
    let verdict = catalog.check_model(&model);
    // The shop's merchandising rules per placement: each must read, and name a placement the
    // storefront has.
    let mut rule_problems = Vec::new();
    let mut ruled = Vec::new();
    for (placement, rules) in tastebud_core::placement_rules(text)
        .map_err(|e| anyhow!("{}: {e}", catalog_path.display()))?
    {
        if !tastebud_core::PLACEMENTS.contains(&placement.as_str()) {
            rule_problems.push(format!(
                "rules for \"{placement}\", which is not a storefront placement (one of {})",
                tastebud_core::PLACEMENTS.join(", ")
            ));
        }
        match rules {
            Ok(_) => ruled.push(placement),
            Err(e) => rule_problems.push(format!("the rules for {placement}: {e}")),
        }
    }

    if json {
        output::emit_json(&json!({
            "catalog": catalog_path.display().to_string(),
            "model": model_path.display().to_string(),
            "catalog_items": catalog.items.len(),
            "model_items": model.n_items(),
            "items_without_factors": cold.len(),
            "items_without_factors_first": &cold[..cold.len().min(EXAMPLES)],
            "factors_without_items": orphans.len(),
            "factors_without_items_first": &orphans[..orphans.len().min(EXAMPLES)],
            "placements_with_rules": &ruled,
            "rule_problems": &rule_problems,
            "ok": verdict.is_ok() && rule_problems.is_empty(),
        }))?;
    } else {
        let mut s = format!(
            "{}: {} items; {}: {} items\n",
            catalog_path.display(),
            catalog.items.len(),
            model_path.display(),
            model.n_items()
        );
        writeln!(
            s,
            "items without factors (served through the cold-start path): {}",
            counted(&cold)
        )?;
        writeln!(s, "factors without items: {}", counted(&orphans))?;
        if !ruled.is_empty() {
            writeln!(s, "merchandising rules for: {}", ruled.join(", "))?;
        }
        output::emit(&s)?;
    }
    verdict.map_err(|e| {
        anyhow!("{e}; if those ids are variants, train with --feed so they count for their product")
    })?;
    if !rule_problems.is_empty() {
        bail!(
            "{}: {} (README, \"Merchandising rules\")",
            catalog_path.display(),
            rule_problems.join("; ")
        );
    }
    Ok(())
}

/// `3 (e.g. a, b, c)` or `0`.
fn counted(ids: &[&str]) -> String {
    if ids.is_empty() {
        return "0".to_owned();
    }
    let shown: Vec<&str> = ids.iter().take(EXAMPLES).copied().collect();
    let more = if ids.len() > EXAMPLES { ", ..." } else { "" };
    format!("{} (e.g. {}{more})", ids.len(), shown.join(", "))
}
