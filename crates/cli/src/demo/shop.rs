//! The shop's aggregate data: ratings and searches from the simulated log, and creators' picks.

use std::collections::BTreeMap;

use tastebud_core::ShopData;

use super::catalog::Composed;
use super::catalog_data::{CATEGORIES, CREATORS};
use super::rng::Rng;
use super::simulate::Simulation;

/// The stream of [`Rng::fork`] the creators pick from.
const STREAM: u64 = 2;

/// Aggregates the simulation into the catalog's shop data.
pub fn shop_data(seed: u64, composed: &Composed, sim: &Simulation) -> ShopData {
    let items = &composed.catalog.items;
    ShopData {
        ratings: sim
            .ratings
            .iter()
            .map(|(&i, &r)| (items[i].id.clone(), r))
            .collect(),
        searches: sim.searches.iter().map(|(q, &n)| (q.clone(), n)).collect(),
        creator_picks: creator_picks(seed, composed, sim),
    }
}

/// Each creator picks 5 to 8 items from their niches, favouring what shoppers engaged with.
fn creator_picks(seed: u64, composed: &Composed, sim: &Simulation) -> Vec<(String, String)> {
    let mut engaged: BTreeMap<usize, f64> = BTreeMap::new();
    for e in &sim.events {
        *engaged.entry(e.item as usize).or_default() += 1.0;
    }
    let mut rng = Rng::fork(seed, STREAM);
    let mut picks = Vec::new();
    for (creator, niches) in CREATORS {
        let mut candidates: Vec<usize> = niches
            .iter()
            .filter_map(|id| CATEGORIES.iter().position(|c| c.id == *id))
            .flat_map(|c| composed.by_popularity[c].iter().copied())
            .collect();
        let n = 5 + rng.below(4);
        for _ in 0..n.min(candidates.len()) {
            // A small floor so a creator can still pick when the log is tiny.
            let weights: Vec<f64> = candidates
                .iter()
                .map(|i| engaged.get(i).copied().unwrap_or(0.0) + 0.01)
                .collect();
            let item = candidates.swap_remove(rng.weighted(&weights));
            picks.push((
                (*creator).to_owned(),
                composed.catalog.items[item].id.clone(),
            ));
        }
    }
    picks
}
