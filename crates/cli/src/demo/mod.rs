//! The seeded demo data behind `tastebud demo-data`: a bilingual lifestyle catalog, a simulated
//! shop's interaction log, the shop's aggregates, and a model trained on that log.
//!
//! Everything is drawn from one seed through a small PRNG of our own, and written with sorted
//! keys, so the same seed gives byte-identical files on every run and platform.

mod catalog;
mod catalog_data;
mod rng;
mod shop;
mod simulate;
mod train;

use anyhow::Result;
use serde::Serialize;
use tastebud_core::Catalog;

pub use simulate::LogEvent;
pub use train::{shopper_id, Trained};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub seed: u64,
    pub items: usize,
    pub shoppers: usize,
}

/// The generated shop.
pub struct Demo {
    /// The catalog, with its shop data filled in.
    pub catalog: Catalog,
    /// The simulated log, shopper by shopper, each shopper's oldest event first.
    pub events: Vec<LogEvent>,
    pub trained: Trained,
}

/// Builds the catalog, simulates the shoppers, aggregates the shop data and trains the model.
pub fn generate(options: Options) -> Result<Demo> {
    let mut composed = catalog::compose(options.seed, options.items)?;
    let sim = simulate::simulate(options.seed, options.shoppers, &composed);
    composed.catalog.shop_data = shop::shop_data(options.seed, &composed, &sim);
    placements(&mut composed.catalog, &sim.events);
    let trained = train::train(&composed.catalog, &sim.events, options.seed)?;
    Ok(Demo {
        catalog: composed.catalog,
        events: sim.events,
        trained,
    })
}

/// The demo's placements, as `tastebud catalog --log` computes them from a shop's GA4 export:
/// each shopper's events of one day make one session, and their purchases and carts one basket.
fn placements(catalog: &mut Catalog, events: &[LogEvent]) {
    let events: Vec<crate::ga4::Event> = events
        .iter()
        .map(|e| {
            let mut interaction = tastebud_core::Interaction::new(e.kind);
            interaction.value = e.value;
            interaction.timestamp = Some(e.ts as f64);
            crate::ga4::Event {
                user: format!("shopper {}", e.shopper),
                item: catalog.items[e.item as usize].id.clone(),
                interaction,
                basket: Some(format!("{} {}", e.shopper, e.ts.div_euclid(86_400))),
                session: Some(format!("{} {}", e.shopper, e.ts.div_euclid(86_400))),
            }
        })
        .collect();
    crate::placements::fill(catalog, &events, crate::placements::MIN_VISITORS);
    // A day with a search hit is a day with a search.
    let searched = events
        .iter()
        .filter(|e| e.interaction.kind == tastebud_core::EventKind::SearchHit)
        .filter_map(|e| e.session.clone())
        .collect();
    crate::placements::fill_brands(catalog, &events, &searched, crate::placements::MIN_VISITORS);
}

/// The catalog as compact JSON with every object's keys sorted: the shop data's maps are
/// `HashMap`s, whose order would otherwise change from run to run.
pub fn catalog_json(catalog: &Catalog) -> Result<String> {
    let mut value = serde_json::to_value(catalog)?;
    value.sort_all_objects();
    Ok(serde_json::to_string(&value)?)
}

/// The log in the CLI's JSON Lines format, ready for `tastebud train --format jsonl`.
pub fn log_jsonl(catalog: &Catalog, events: &[LogEvent]) -> Result<String> {
    #[derive(Serialize)]
    struct Line<'a> {
        user: &'a str,
        item: &'a str,
        kind: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<f32>,
        ts: i64,
    }
    let mut out = String::with_capacity(events.len() * 80);
    let mut user = String::new();
    let mut current = None;
    for e in events {
        if current != Some(e.shopper) {
            current = Some(e.shopper);
            user = shopper_id(e.shopper);
        }
        out.push_str(&serde_json::to_string(&Line {
            user: &user,
            item: &catalog.items[e.item as usize].id,
            kind: e.kind.name(),
            value: e.value,
            ts: e.ts,
        })?);
        out.push('\n');
    }
    Ok(out)
}
