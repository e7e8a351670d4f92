//! Simulated shoppers: who likes what, and the interaction log and shop aggregates that follow.
//!
//! Each shopper has latent interests: usually one mainstream category and one to three niches,
//! the first drawn from the categories' long-tail popularity and later ones often from niches
//! related to those already held (so "interests to explore" has neighbours to find). Within a
//! category, items are picked Zipf-like by popularity, with some uniform browsing so that
//! nearly every item is seen. A visit arrives as a view, a click or a search hit and may go on to
//! a like, a cart, a purchase and a rating; now and then a shopper strays outside their interests
//! and often dismisses what they find there.

use std::collections::BTreeMap;

use tastebud_core::EventKind;

use super::catalog::Composed;
use super::catalog_data::{CATEGORIES, RELATED};
use super::rng::{draw_cumulative, zipf_cumulative, Rng};

/// Shopper `n`'s events come from stream `SHOPPER_STREAM + n`, so the first shoppers are the
/// same whatever `--shoppers` is.
const SHOPPER_STREAM: u64 = 1 << 32;
/// The log starts on 2025-06-01 00:00 UTC and spans 180 days.
pub const LOG_START: i64 = 1_748_736_000;
const DAY: f64 = 86_400.0;
const LOG_DAYS: f64 = 180.0;

/// One logged event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogEvent {
    /// Shopper number, from 0.
    pub shopper: u32,
    /// Index into the catalog's items.
    pub item: u32,
    pub kind: EventKind,
    /// The stars of a rating.
    pub value: Option<f32>,
    /// Unix seconds.
    pub ts: i64,
}

/// The simulated log and what the shop aggregates from it.
pub struct Simulation {
    /// Every shopper's events, shopper by shopper, each shopper's oldest first.
    pub events: Vec<LogEvent>,
    /// Per item index: (ratings, sum of stars).
    pub ratings: BTreeMap<usize, (u32, f64)>,
    /// Per query: how often it was searched.
    pub searches: BTreeMap<String, u32>,
}

/// How a shopper behaves in a category they care about.
struct Funnel {
    like: f64,
    cart: f64,
    purchase: f64,
    rate: f64,
    /// Probabilities of 1 to 5 stars.
    stars: [f64; 5],
}

const NICHE: Funnel = Funnel {
    like: 0.25,
    cart: 0.14,
    purchase: 0.6,
    rate: 0.6,
    stars: [0.01, 0.03, 0.08, 0.33, 0.55],
};

const MAINSTREAM: Funnel = Funnel {
    like: 0.08,
    cart: 0.12,
    purchase: 0.6,
    rate: 0.45,
    stars: [0.04, 0.08, 0.18, 0.35, 0.35],
};

/// Runs `shoppers` shoppers over the catalog.
pub fn simulate(seed: u64, shoppers: usize, composed: &Composed) -> Simulation {
    let world = World::new(composed);
    let mut sim = Simulation {
        events: Vec::new(),
        ratings: BTreeMap::new(),
        searches: BTreeMap::new(),
    };
    for n in 0..shoppers {
        let mut rng = Rng::fork(seed, SHOPPER_STREAM + n as u64);
        Shopper::new(&world, &mut rng, n as u32).run(&world, &mut rng, &mut sim);
    }
    sim
}

/// What every shopper draws from.
struct World<'a> {
    composed: &'a Composed,
    niches: Vec<usize>,
    mainstream: Vec<usize>,
    /// Per category: (related category, strength).
    related: Vec<Vec<(usize, f64)>>,
    /// Per category: cumulative Zipf weights over its items by popularity.
    zipf: Vec<Vec<f64>>,
}

impl<'a> World<'a> {
    fn new(composed: &'a Composed) -> Self {
        let index = |id: &str| {
            CATEGORIES
                .iter()
                .position(|c| c.id == id)
                .expect("unreachable: related ids are checked by the vocabulary's unit test")
        };
        let mut related = vec![Vec::new(); CATEGORIES.len()];
        for &(a, b, w) in RELATED {
            let (a, b) = (index(a), index(b));
            related[a].push((b, w));
            related[b].push((a, w));
        }
        World {
            composed,
            niches: (0..CATEGORIES.len())
                .filter(|&c| CATEGORIES[c].niche)
                .collect(),
            mainstream: (0..CATEGORIES.len())
                .filter(|&c| !CATEGORIES[c].niche)
                .collect(),
            related,
            zipf: composed
                .by_popularity
                .iter()
                .map(|items| zipf_cumulative(items.len(), 0.9))
                .collect(),
        }
    }

    fn by_popularity(&self, rng: &mut Rng, among: &[usize]) -> usize {
        let weights: Vec<f64> = among.iter().map(|&c| CATEGORIES[c].popularity).collect();
        among[rng.weighted(&weights)]
    }

    /// An item of category `c`: mostly by popularity, sometimes any.
    fn item_in(&self, rng: &mut Rng, c: usize) -> usize {
        let items = &self.composed.by_popularity[c];
        if rng.chance(0.8) {
            items[draw_cumulative(rng, &self.zipf[c])]
        } else {
            *rng.pick(items)
        }
    }
}

struct Interest {
    category: usize,
    strength: f64,
    niche: bool,
}

struct Shopper {
    id: u32,
    interests: Vec<Interest>,
    budget: usize,
    /// Seconds since the log's start.
    clock: f64,
    rated: Vec<usize>,
}

impl Shopper {
    fn new(world: &World, rng: &mut Rng, id: u32) -> Self {
        let mut interests = Vec::new();
        if rng.chance(0.8) {
            interests.push(Interest {
                category: world.by_popularity(rng, &world.mainstream),
                strength: 0.5 * rng.range(0.7, 1.3),
                niche: false,
            });
        }
        let n_niches = match rng.unit() {
            u if u < 0.45 => 1,
            u if u < 0.8 => 2,
            _ => 3,
        };
        let mut chosen: Vec<usize> = Vec::new();
        for k in 0..n_niches {
            let neighbours: Vec<(usize, f64)> = chosen
                .iter()
                .flat_map(|&c| world.related[c].iter().copied())
                .filter(|(c, _)| !chosen.contains(c))
                .collect();
            let category = if !neighbours.is_empty() && rng.chance(0.85) {
                let weights: Vec<f64> = neighbours.iter().map(|&(_, w)| w).collect();
                neighbours[rng.weighted(&weights)].0
            } else {
                let rest: Vec<usize> = world
                    .niches
                    .iter()
                    .copied()
                    .filter(|c| !chosen.contains(c))
                    .collect();
                world.by_popularity(rng, &rest)
            };
            chosen.push(category);
            interests.push(Interest {
                category,
                strength: [1.0, 0.7, 0.5][k] * rng.range(0.8, 1.2),
                niche: true,
            });
        }
        Shopper {
            id,
            interests,
            // 5 to 60 events, most shoppers near the low end.
            budget: 5 + (55.0 * rng.unit().powf(2.5)) as usize,
            clock: rng.range(0.0, (LOG_DAYS - 5.0) * DAY),
            rated: Vec::new(),
        }
    }

    fn run(mut self, world: &World, rng: &mut Rng, sim: &mut Simulation) {
        let start = sim.events.len();
        let mut first = true;
        while sim.events.len() - start < self.budget {
            if !first {
                // Most visits follow the last within minutes (a session); some come days later.
                self.clock += if rng.chance(0.75) {
                    10.0 + rng.exponential(90.0)
                } else {
                    rng.exponential(4.0 * DAY)
                };
            }
            first = false;
            if self.clock >= LOG_DAYS * DAY {
                break;
            }
            if rng.chance(0.05) {
                self.stray(world, rng, sim, start);
            } else {
                self.visit(world, rng, sim, start);
            }
        }
    }

    /// A look outside the shopper's interests, often dismissed.
    fn stray(&mut self, world: &World, rng: &mut Rng, sim: &mut Simulation, start: usize) {
        let outside: Vec<usize> = (0..CATEGORIES.len())
            .filter(|c| self.interests.iter().all(|i| i.category != *c))
            .collect();
        let category = *rng.pick(&outside);
        let item = *rng.pick(&world.composed.by_popularity[category]);
        self.push(sim, start, item, EventKind::View, None);
        if rng.chance(0.4) {
            self.clock += rng.range(3.0, 30.0);
            self.push(sim, start, item, EventKind::Dismiss, None);
        }
    }

    /// A visit to an item in one of the shopper's interests.
    fn visit(&mut self, world: &World, rng: &mut Rng, sim: &mut Simulation, start: usize) {
        let weights: Vec<f64> = self.interests.iter().map(|i| i.strength).collect();
        let interest = &self.interests[rng.weighted(&weights)];
        let (category, funnel) = (
            interest.category,
            if interest.niche { &NICHE } else { &MAINSTREAM },
        );
        let item = world.item_in(rng, category);
        let (arrival, query) = match rng.unit() {
            u if u < 0.15 => (
                EventKind::SearchHit,
                Some(*rng.pick(CATEGORIES[category].searches)),
            ),
            u if u < 0.4 => (EventKind::Click, None),
            _ => (EventKind::View, None),
        };
        if !self.push(sim, start, item, arrival, None) {
            return;
        }
        if let Some(query) = query {
            *sim.searches.entry(query.to_owned()).or_default() += 1;
        }
        if rng.chance(funnel.like) {
            self.clock += rng.range(5.0, 60.0);
            self.push(sim, start, item, EventKind::Like, None);
        }
        if !rng.chance(funnel.cart) {
            return;
        }
        self.clock += rng.range(10.0, 120.0);
        if !self.push(sim, start, item, EventKind::AddToCart, None) || !rng.chance(funnel.purchase)
        {
            return;
        }
        self.clock += rng.range(60.0, 900.0);
        if !self.push(sim, start, item, EventKind::Purchase, None)
            || self.rated.contains(&item)
            || !rng.chance(funnel.rate)
        {
            return;
        }
        // Ratings come after delivery.
        self.clock += rng.range(2.0, 10.0) * DAY;
        let stars = (rng.weighted(&funnel.stars) + 1) as f32;
        if self.push(sim, start, item, EventKind::Rate, Some(stars)) {
            self.rated.push(item);
            let r = sim.ratings.entry(item).or_default();
            r.0 += 1;
            r.1 += f64::from(stars);
        }
    }

    /// Logs an event unless the shopper's budget or the log's window is used up.
    fn push(
        &self,
        sim: &mut Simulation,
        start: usize,
        item: usize,
        kind: EventKind,
        value: Option<f32>,
    ) -> bool {
        if sim.events.len() - start >= self.budget || self.clock >= LOG_DAYS * DAY {
            return false;
        }
        sim.events.push(LogEvent {
            shopper: self.id,
            item: item as u32,
            kind,
            value,
            ts: LOG_START + self.clock as i64,
        });
        true
    }
}
