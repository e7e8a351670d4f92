//! The storefront's view of the engine: a loaded catalog and model, and every list the page shows,
//! computed from the visitor's stored log. Pure Rust (no browser APIs), so it is tested natively.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tastebud_core::{
    category_interests, Catalog, CatalogItem, EventKind, EventWeights, Filter, Interaction,
    InterestOptions, ItemCategories, ItemSet, Model,
};

/// One stored interaction: an item id and what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The catalog item id.
    pub item: String,
    /// The event.
    #[serde(flatten)]
    pub event: Interaction,
}

impl StoredEvent {
    /// An event of `kind` on `item` at `now` (Unix seconds).
    pub fn new(item: &str, kind: EventKind, value: Option<f32>, now: f64) -> Self {
        StoredEvent {
            item: item.to_owned(),
            event: Interaction {
                kind,
                value,
                timestamp: Some(now),
            },
        }
    }
}

/// A recommendation with its explanation, in catalog terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Catalog index of the item.
    pub item: usize,
    /// Its score.
    pub score: f32,
    /// Catalog indices of the history items that contributed most, largest first.
    pub because: Vec<usize>,
    /// Onboarding interests (category ids) that contributed, when the history alone does not
    /// explain it.
    pub because_interests: Vec<String>,
}

/// A category suggested for exploration.
#[derive(Debug, Clone, PartialEq)]
pub struct InterestView {
    /// Category id.
    pub category: String,
    /// Catalog indices of its best items for this visitor.
    pub items: Vec<usize>,
    /// Catalog indices of the visitor's items that led here.
    pub because: Vec<usize>,
    /// Onboarding interests that led here.
    pub because_interests: Vec<String>,
}

/// What the visitor's log amounts to, in model indices.
struct Visitor {
    /// `(model item, r)` from real interactions, then onboarding seeds.
    history: Vec<(u32, f32)>,
    /// How many leading entries of `history` are real interactions.
    real: usize,
    /// Model item -> onboarding category it seeds, for explanations.
    seeded_by: HashMap<u32, String>,
    /// Model items the visitor touched (never recommended again).
    seen: Vec<u32>,
    /// Catalog items dismissed.
    dismissed: Vec<usize>,
}

/// A loaded catalog and model.
pub struct Engine {
    /// The catalog.
    pub catalog: Catalog,
    /// The model.
    pub model: Model,
    weights: EventWeights,
    categories: ItemCategories,
    niches: ItemSet,
    by_id: HashMap<String, usize>,
    model_to_catalog: Vec<usize>,
}

/// How many seed items an onboarding interest contributes.
const SEEDS_PER_INTEREST: usize = 3;
/// Seeds weigh like a view: a hint that real interactions soon outweigh.
const SEED_WEIGHT: f32 = 1.0;

impl Engine {
    /// Parses and cross-checks a catalog and a model.
    pub fn load(catalog_json: &str, model_bytes: &[u8]) -> Result<Engine, String> {
        let catalog = Catalog::from_json(catalog_json).map_err(|e| e.to_string())?;
        let model = Model::from_bytes(model_bytes).map_err(|e| e.to_string())?;
        catalog.check_model(&model).map_err(|e| e.to_string())?;
        let by_id: HashMap<String, usize> = catalog
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id.clone(), i))
            .collect();
        let model_to_catalog = model.item_ids().iter().map(|id| by_id[id]).collect();
        let categories = catalog.categories_for(&model);
        let niches = catalog
            .categories
            .iter()
            .filter(|c| c.niche)
            .filter_map(|c| categories.find(&c.id))
            .collect();
        Ok(Engine {
            catalog,
            model,
            weights: EventWeights::default(),
            categories,
            niches,
            by_id,
            model_to_catalog,
        })
    }

    /// The catalog item with this id.
    pub fn item(&self, id: &str) -> Option<&CatalogItem> {
        self.by_id.get(id).map(|&i| &self.catalog.items[i])
    }

    /// The catalog index of an item id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// A category's display name.
    pub fn category_name(&self, id: &str, lang: &str) -> String {
        self.catalog
            .categories
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| id.to_owned(), |c| c.name.get(lang).to_owned())
    }

    fn visitor(&self, log: &[StoredEvent], interests: &[String]) -> Visitor {
        let prefs = self.weights.aggregate(
            log.iter().map(|e| (e.item.as_str(), e.event)),
            log.last().and_then(|e| e.event.timestamp),
        );
        let mut history: Vec<(u32, f32)> = prefs
            .items
            .iter()
            .filter_map(|(id, r)| self.model.item_index(id).map(|i| (i, *r)))
            .collect();
        let real = history.len();
        let mut seen: Vec<u32> = log
            .iter()
            .filter_map(|e| self.model.item_index(&e.item))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        let mut seeded_by = HashMap::new();
        for category in interests {
            let Some(c) = self.categories.find(category) else {
                continue;
            };
            let filter = Filter::new()
                .only_categories(&self.categories, &[c])
                .exclude(seen.iter().copied());
            for s in self.model.most_popular(SEEDS_PER_INTEREST, &filter) {
                if seeded_by.insert(s.item, category.clone()).is_none() {
                    history.push((s.item, SEED_WEIGHT));
                }
            }
        }
        let dismissed = prefs
            .dismissed
            .iter()
            .filter_map(|id| self.index_of(id))
            .collect();
        Visitor {
            history,
            real,
            seeded_by,
            seen,
            dismissed,
        }
    }

    fn dismissed_model_items(&self, visitor: &Visitor) -> Vec<u32> {
        visitor
            .dismissed
            .iter()
            .filter_map(|&c| self.model.item_index(&self.catalog.items[c].id))
            .collect()
    }

    /// Splits explanation terms into the visitor's own items and the onboarding interests.
    fn explain_terms(&self, visitor: &Visitor, terms: &[(u32, f32)]) -> (Vec<usize>, Vec<String>) {
        let mut items = Vec::new();
        let mut interests: Vec<String> = Vec::new();
        for &(h, c) in terms {
            if c <= 0.0 {
                continue;
            }
            match visitor.seeded_by.get(&h) {
                Some(cat) if !interests.contains(cat) => interests.push(cat.clone()),
                Some(_) => {}
                None => items.push(self.model_to_catalog[h as usize]),
            }
        }
        items.truncate(2);
        interests.truncate(2);
        (items, interests)
    }

    /// "For you": the top `n` for this visitor, each with why. Empty with no history and no
    /// interests (the page then shows the shop's lists).
    pub fn for_you(
        &self,
        log: &[StoredEvent],
        interests: &[String],
        n: usize,
    ) -> Vec<Recommendation> {
        let visitor = self.visitor(log, interests);
        if visitor.history.is_empty() {
            return Vec::new();
        }
        let Ok(system) = self.model.user_system(&visitor.history) else {
            return Vec::new();
        };
        // Onboarding seeds stay recommendable: the visitor has not seen them.
        let filter = Filter::new()
            .exclude(visitor.seen.iter().copied())
            .exclude(visitor.history[..visitor.real].iter().map(|h| h.0))
            .exclude(self.dismissed_model_items(&visitor));
        self.model
            .recommend(system.vector(), n, &filter)
            .into_iter()
            .map(|s| {
                let terms = self
                    .model
                    .explain_with(&system, s.item)
                    .map(|e| e.contributions)
                    .unwrap_or_default();
                let (because, because_interests) = self.explain_terms(&visitor, &terms);
                Recommendation {
                    item: self.model_to_catalog[s.item as usize],
                    score: s.score,
                    because,
                    because_interests,
                }
            })
            .collect()
    }

    /// "Interests to explore": niche categories ranked for this visitor, with what led there.
    pub fn interests(
        &self,
        log: &[StoredEvent],
        interests: &[String],
        n: usize,
    ) -> Vec<InterestView> {
        let visitor = self.visitor(log, interests);
        if visitor.real == 0 && visitor.history.is_empty() {
            return Vec::new();
        }
        let Ok(system) = self.model.user_system(&visitor.history) else {
            return Vec::new();
        };
        let filter = Filter::new()
            .exclude(visitor.seen.iter().copied())
            .exclude(self.dismissed_model_items(&visitor));
        let options = InterestOptions {
            n,
            top_items: 3,
            because: 4,
            only: Some(&self.niches),
        };
        category_interests(&self.model, &system, &self.categories, &filter, &options)
            .unwrap_or_default()
            .into_iter()
            .map(|i| {
                let (because, because_interests) = self.explain_terms(&visitor, &i.because);
                InterestView {
                    category: self.categories.names[i.category as usize].clone(),
                    items: i
                        .items
                        .iter()
                        .map(|s| self.model_to_catalog[s.item as usize])
                        .collect(),
                    because,
                    because_interests,
                }
            })
            .collect()
    }

    /// Catalog items dismissed in this log.
    pub fn dismissed(&self, log: &[StoredEvent]) -> Vec<usize> {
        self.visitor(log, &[]).dismissed
    }

    /// Items most similar to `item` (catalog indices), excluding dismissed ones.
    pub fn similar(&self, item: &str, log: &[StoredEvent], n: usize) -> Vec<usize> {
        let Some(i) = self.model.item_index(item) else {
            return Vec::new();
        };
        let visitor = self.visitor(log, &[]);
        let filter = Filter::new().exclude(self.dismissed_model_items(&visitor));
        self.model
            .similar_items(i, n, &filter)
            .unwrap_or_default()
            .into_iter()
            .map(|s| self.model_to_catalog[s.item as usize])
            .collect()
    }

    /// Catalog search over titles (both languages), brands, tags and category names. Title
    /// matches rank first; then catalog order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<usize> {
        let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if terms.is_empty() {
            return Vec::new();
        }
        let category_names: HashMap<&str, String> = self
            .catalog
            .categories
            .iter()
            .map(|c| {
                (
                    c.id.as_str(),
                    format!("{} {}", c.name.en, c.name.zh).to_lowercase(),
                )
            })
            .collect();
        let mut hits: Vec<(u8, usize)> = self
            .catalog
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let title = format!("{} {}", item.title.en, item.title.zh).to_lowercase();
                let rest = format!(
                    "{} {} {} {} {}",
                    item.brand,
                    item.tags.join(" "),
                    category_names.get(item.category.as_str()).map_or("", |s| s),
                    item.description.en,
                    item.description.zh
                )
                .to_lowercase();
                let all = terms.iter().all(|t| title.contains(t) || rest.contains(t));
                let in_title = terms.iter().filter(|t| title.contains(t.as_str())).count();
                all.then_some((u8::MAX - in_title.min(255) as u8, i))
            })
            .collect();
        hits.sort_unstable();
        hits.into_iter().take(limit).map(|(_, i)| i).collect()
    }

    /// Top rated: items by a Bayesian average of their ratings (pulled toward the shop mean with
    /// the weight of 5 ratings, so one 5-star review does not top the list).
    pub fn top_rated(&self, n: usize, hide: &[usize]) -> Vec<usize> {
        let ratings = &self.catalog.shop_data.ratings;
        let (count, sum) = ratings.values().fold((0u64, 0f64), |(c, s), (n, total)| {
            (c + *n as u64, s + total)
        });
        if count == 0 {
            return Vec::new();
        }
        let mean = sum / count as f64;
        let prior = 5.0;
        let mut scored: Vec<(f64, usize)> = ratings
            .iter()
            .filter_map(|(id, (n, total))| {
                let i = self.index_of(id)?;
                (!hide.contains(&i)).then(|| ((prior * mean + total) / (prior + *n as f64), i))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(n).map(|(_, i)| i).collect()
    }

    /// Trending searches: the most searched queries, most first.
    pub fn trending_searches(&self, n: usize) -> Vec<(String, u32)> {
        let mut queries: Vec<(String, u32)> = self
            .catalog
            .shop_data
            .searches
            .iter()
            .map(|(q, c)| (q.clone(), *c))
            .collect();
        queries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        queries.truncate(n);
        queries
    }

    /// Creators' picks: each creator with their picked items (catalog indices), in file order.
    pub fn creator_picks(&self, hide: &[usize]) -> Vec<(String, Vec<usize>)> {
        let mut out: Vec<(String, Vec<usize>)> = Vec::new();
        for (creator, id) in &self.catalog.shop_data.creator_picks {
            let Some(i) = self.index_of(id).filter(|i| !hide.contains(i)) else {
                continue;
            };
            match out.iter_mut().find(|(c, _)| c == creator) {
                Some((_, items)) => items.push(i),
                None => out.push((creator.clone(), vec![i])),
            }
        }
        out
    }

    /// Niche categories, in catalog order, for onboarding.
    pub fn niche_categories(&self) -> Vec<&tastebud_core::Category> {
        self.catalog.categories.iter().filter(|c| c.niche).collect()
    }

    /// Catalog indices of a category's items, excluding `hide`.
    pub fn items_in(&self, category: &str, hide: &[usize]) -> Vec<usize> {
        (0..self.catalog.items.len())
            .filter(|&i| self.catalog.items[i].category == category && !hide.contains(&i))
            .collect()
    }
}
