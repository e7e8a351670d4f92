//! The storefront's view of the engine: a loaded catalog and model, and every list the page shows,
//! computed from the visitor's stored log. Pure Rust (no browser APIs), so it is tested natively.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tastebud_core::{
    category_interests, category_seeds, cold_item_factors, rerank, top_k, Catalog, CatalogItem,
    EventKind, EventWeights, Filter, Interaction, InterestOptions, ItemCategories, ItemSet, Loaded,
    Model, Placed, RerankContext, RerankParams, Rules, Scored, UserSystem, DISCOVERY_KEEPS,
};

/// One stored interaction: an item id and what happened. Stored as one flat JSON object,
/// `{"item", "kind", "value"?, "timestamp"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "FlatEvent", into = "FlatEvent")]
pub struct StoredEvent {
    /// The catalog item id.
    pub item: String,
    /// The event.
    pub event: Interaction,
}

/// [`StoredEvent`]'s stored form, spelled out rather than with `#[serde(flatten)]`, whose
/// buffering code is large in the browser builds. Same fields, same order.
#[derive(Serialize, Deserialize)]
struct FlatEvent {
    item: String,
    kind: tastebud_core::EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timestamp: Option<f64>,
}

impl From<FlatEvent> for StoredEvent {
    fn from(f: FlatEvent) -> Self {
        StoredEvent {
            item: f.item,
            event: Interaction {
                kind: f.kind,
                value: f.value,
                timestamp: f.timestamp,
            },
        }
    }
}

impl From<StoredEvent> for FlatEvent {
    fn from(e: StoredEvent) -> Self {
        FlatEvent {
            item: e.item,
            kind: e.event.kind,
            value: e.event.value,
            timestamp: e.event.timestamp,
        }
    }
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
    /// The strongest thing the visitor did with the first of `because` (a purchase outranks a
    /// like, which outranks a view), so the explanation says what really happened.
    pub because_kind: Option<EventKind>,
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
    /// The strongest thing the visitor did with the first of `because`.
    pub because_kind: Option<EventKind>,
    /// Onboarding interests that led here.
    pub because_interests: Vec<String>,
}

/// How strongly an event kind speaks for the visitor's taste, to name the strongest one.
fn strength(kind: EventKind) -> u8 {
    match kind {
        EventKind::Purchase => 6,
        EventKind::AddToCart => 5,
        EventKind::Like => 4,
        EventKind::Rate => 3,
        EventKind::SearchHit => 2,
        EventKind::Click | EventKind::View | EventKind::Weight => 1,
        EventKind::Dismiss => 0,
    }
}

/// The strongest kind of event the log holds for a catalog item.
fn strongest(engine: &Engine, log: &[StoredEvent], item: usize) -> Option<EventKind> {
    let id = &engine.catalog.items[item].id;
    log.iter()
        .filter(|e| &e.item == id && e.event.kind != EventKind::Dismiss)
        .map(|e| e.event.kind)
        .max_by_key(|&k| strength(k))
}

/// Where a seed vector came from, for explanations.
#[derive(Debug, Clone, PartialEq)]
enum Seed {
    /// An onboarding interest (category id): its centroid.
    Interest(String),
    /// A catalog item the model lacks that the visitor interacted with: its cold-start factors.
    ColdItem(usize),
}

/// What the visitor's log amounts to.
struct Visitor {
    /// `(model item, r)` from real interactions with items the model has.
    history: Vec<(u32, f32)>,
    /// Seed vectors with their `r` and origin.
    seeds: Vec<(Vec<f32>, f32, Seed)>,
    /// Items (combined index) the visitor touched: never recommended again.
    seen: ItemSet,
    /// Items (combined index) dismissed.
    dismissed: ItemSet,
    /// Catalog items dismissed.
    dismissed_catalog: Vec<usize>,
    /// The model's items the visitor took to, oldest first, as training reads sequences: what
    /// the transition model reads the latest of.
    recent: Vec<u32>,
}

/// A loaded catalog and model.
///
/// Items are indexed in one space: the model's items first, then the catalog items the model
/// lacks, which get cold-start factors (their category's and brand's centroids).
pub struct Engine {
    /// The catalog.
    pub catalog: Catalog,
    /// The model.
    pub model: Model,
    /// Whether each catalog item's display record is here: always, but for a publication's
    /// items before their pages arrive.
    filled: Vec<bool>,
    weights: EventWeights,
    categories: ItemCategories,
    popularity: Vec<u32>,
    /// Row-major factors of the cold items.
    cold: Vec<f32>,
    niches: ItemSet,
    by_id: HashMap<String, usize>,
    index: HashMap<String, u32>,
    /// Catalog index of each item (combined index); [`UNLISTED`] for a model item the catalog
    /// left out.
    to_catalog: Vec<usize>,
    /// Model items whose catalog entries were left out: never shown.
    unlisted: ItemSet,
    /// Items (combined index) never recommended: the unlisted ones and those out of stock.
    hidden: ItemSet,
    /// One warning per catalog item left out for a problem.
    warnings: Vec<String>,
    /// The shop's merchandising rules per placement (the catalog's `rules`), for the storefront.
    placement_rules: Vec<(String, Rules)>,
}

/// `to_catalog` of a model item with no catalog entry.
const UNLISTED: usize = usize::MAX;

/// Seeds weigh like a like: a clear hint that real interactions soon outweigh.
const SEED_WEIGHT: f32 = 4.0;

impl Engine {
    /// Parses and cross-checks a catalog and a model. A catalog item with a problem (say a
    /// `javascript:` link) is left out with a [warning](Self::warnings) rather than refusing
    /// the catalog; the model's factors for it stay (other items' scores need them) but it is
    /// never shown.
    pub fn load(catalog_json: &str, model_bytes: &[u8]) -> Result<Engine, String> {
        let (catalog, skipped) =
            Catalog::from_json_skipping(catalog_json).map_err(|e| e.to_string())?;
        let model = Model::from_bytes(model_bytes).map_err(|e| e.to_string())?;
        catalog
            .check_model_skipping(&model, &skipped)
            .map_err(|e| e.to_string())?;
        let filled = vec![true; catalog.items.len()];
        Ok(Engine::assemble(
            catalog,
            model,
            filled,
            skipped.into_iter().map(|s| s.warning).collect(),
        ))
    }

    /// The engine over what a visitor loaded from a publication (`tastebud_core::Reading`):
    /// the loaded shards' items, whose display records arrive later through
    /// [`fill`](Self::fill) (each stands in with its id and category until then), and the head's
    /// items without factors. Brands are not known before the records, so a new item's
    /// cold-start factors come from its category alone.
    pub fn from_published(loaded: Loaded) -> Engine {
        let Loaded {
            model,
            head,
            categories,
            ..
        } = loaded;
        let mut catalog = head.catalog;
        let mut warnings = Vec::new();
        // The head's items without factors, checked as a whole catalog's are; an id that is
        // also a shard item's is another publication's.
        let cold: Vec<CatalogItem> = std::mem::take(&mut catalog.items)
            .into_iter()
            .filter(|item| {
                let mut problems = catalog.record_problems(item);
                if model.item_index(&item.id).is_some() {
                    problems.push("its id is also a ranked item's".into());
                }
                if !problems.is_empty() {
                    warnings.push(format!(
                        "item {} left out: {}",
                        item.id,
                        problems.join("; ")
                    ));
                }
                problems.is_empty()
            })
            .collect();
        let stubs: Vec<CatalogItem> = model
            .item_ids()
            .iter()
            .zip(&categories)
            .map(|(id, &c)| CatalogItem {
                id: id.clone(),
                title: Default::default(),
                description: Default::default(),
                brand: String::new(),
                category: catalog.categories[c as usize].id.clone(),
                price: 0.0,
                tags: Vec::new(),
                picture: Default::default(),
                url: None,
                availability: Default::default(),
            })
            .collect();
        let mut filled = vec![false; stubs.len()];
        filled.resize(stubs.len() + cold.len(), true);
        catalog.items = stubs;
        catalog.items.extend(cold);
        Engine::assemble(catalog, model, filled, warnings)
    }

    fn assemble(
        catalog: Catalog,
        model: Model,
        filled: Vec<bool>,
        warnings: Vec<String>,
    ) -> Engine {
        let by_id: HashMap<String, usize> = catalog
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id.clone(), i))
            .collect();
        let mut to_catalog: Vec<usize> = model
            .item_ids()
            .iter()
            .map(|id| by_id.get(id).copied().unwrap_or(UNLISTED))
            .collect();
        let unlisted: ItemSet = (0..to_catalog.len() as u32)
            .filter(|&m| to_catalog[m as usize] == UNLISTED)
            .collect();
        let model_categories = catalog.categories_for(&model);
        // Cold items: catalog items without factors, scored from their category and brand.
        let mut brand_items: HashMap<&str, Vec<u32>> = HashMap::new();
        // Items whose records have not arrived have no brand to go by.
        for (m, &c) in to_catalog
            .iter()
            .enumerate()
            .filter(|(_, &c)| c != UNLISTED && filled[c])
        {
            brand_items
                .entry(catalog.items[c].brand.as_str())
                .or_default()
                .push(m as u32);
        }
        let mut cold = Vec::new();
        for (c, item) in catalog.items.iter().enumerate() {
            if model.item_index(&item.id).is_some() {
                continue;
            }
            let in_category = model_categories
                .find(&item.category)
                .map(|k| model_categories.items_in(&[k]))
                .unwrap_or_default();
            let brand = brand_items.get(item.brand.as_str()).map_or(&[][..], |v| v);
            if let Some(f) = cold_item_factors(&model, &in_category, brand) {
                cold.extend(f);
                to_catalog.push(c);
            }
        }
        let index = to_catalog
            .iter()
            .enumerate()
            .filter(|(_, &c)| c != UNLISTED)
            .map(|(i, &c)| (catalog.items[c].id.clone(), i as u32))
            .collect();
        let categories = ItemCategories::from_names(
            to_catalog
                .iter()
                .map(|&c| (c != UNLISTED).then(|| catalog.items[c].category.as_str())),
        );
        let mut popularity = model.popularity().to_vec();
        popularity.resize(to_catalog.len(), 0);
        let niches = catalog
            .categories
            .iter()
            .filter(|c| c.niche)
            .filter_map(|c| categories.find(&c.id))
            .collect();
        let mut hidden = unlisted.clone();
        for (i, &c) in to_catalog.iter().enumerate() {
            if c != UNLISTED && !catalog.items[c].availability.may_show() {
                hidden.insert(i as u32);
            }
        }
        Engine {
            catalog,
            model,
            filled,
            weights: EventWeights::default(),
            categories,
            popularity,
            cold,
            niches,
            by_id,
            index,
            to_catalog,
            unlisted,
            hidden,
            warnings,
            placement_rules: Vec::new(),
        }
    }

    /// Reads the shop's merchandising rules from the catalog's optional `rules` object, which
    /// maps a placement (`items`, `similar`, `recently-viewed`, `bought-together`, `trending`,
    /// `members`, `top-rated`) to its rules as a widget's attributes write them, one
    /// `name=value` a line (README, "Merchandising rules"). Returns a warning for each placement
    /// whose rules cannot be read; that placement then has none.
    pub fn set_placement_rules(&mut self, catalog_json: &str) -> Vec<String> {
        self.placement_rules.clear();
        let found = match tastebud_core::placement_rules(catalog_json) {
            Ok(found) => found,
            Err(e) => return vec![e],
        };
        let mut warnings = Vec::new();
        for (placement, rules) in found {
            match rules {
                Ok(rules) => self.placement_rules.push((placement, rules)),
                Err(e) => warnings.push(format!(
                    "the rules for placement {placement} are left out: {e}"
                )),
            }
        }
        warnings
    }

    /// The shop's rules for `placement` ([`set_placement_rules`](Self::set_placement_rules)).
    pub fn rules_for(&self, placement: &str) -> Option<&Rules> {
        self.placement_rules
            .iter()
            .find(|(p, _)| p == placement)
            .map(|(_, r)| r)
    }

    /// The first `limit` items `rank(n)` ranks (its first `n`, catalog indices), under the
    /// shop's rules for `placement` ([`ruled`](Self::ruled)); each with whether a pin brought
    /// it from outside the ranking. Without rules for `placement`, `rank(limit)` as it is.
    pub fn ruled_list(
        &self,
        placement: &str,
        log: &[StoredEvent],
        except: Option<&str>,
        limit: usize,
        rank: &mut dyn FnMut(usize) -> Vec<usize>,
    ) -> Vec<(usize, bool)> {
        let Some(rules) = self.rules_for(placement) else {
            return rank(limit).into_iter().map(|i| (i, false)).collect();
        };
        let mut seen = Vec::new();
        let (placed, _) = self.ruled(rules.clone(), log, except, limit, &mut |n| {
            let ranked = rank(n);
            seen.extend_from_slice(&ranked);
            ranked.into_iter().map(|i| (i, 0.0)).collect()
        });
        placed
            .into_iter()
            .map(|p| (p.item, p.pinned && !seen.contains(&p.item)))
            .collect()
    }

    /// Model items among `items` (catalog indices) whose display records have not arrived
    /// yet: what to [`fill`](Self::fill) before showing them.
    pub fn unfilled(&self, items: impl IntoIterator<Item = usize>) -> Vec<u32> {
        let mut out: Vec<u32> = items
            .into_iter()
            .filter(|&c| !self.filled.get(c).copied().unwrap_or(true))
            .filter_map(|c| self.index.get(&self.catalog.items[c].id).copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Puts the display record of model item `item` in place of its stand-in. A record for
    /// another id or category is an error; a record with a problem (a `javascript:` link, an
    /// over-long text) leaves the item out with a [warning](Self::warnings), as a whole
    /// catalog's would be.
    pub fn fill(&mut self, item: u32, record: CatalogItem) -> Result<(), String> {
        let Some(&c) = self.to_catalog.get(item as usize) else {
            return Err(format!("item {item} is not loaded"));
        };
        if c == UNLISTED || self.filled[c] {
            return Ok(());
        }
        let stub = &self.catalog.items[c];
        if stub.id != record.id || stub.category != record.category {
            return Err(format!(
                "the display record of {} does not match its ranking file: the files come from different publications",
                stub.id
            ));
        }
        let problems = self.catalog.record_problems(&record);
        if problems.is_empty() {
            if !record.availability.may_show() {
                self.hidden.insert(item);
            }
            self.catalog.items[c] = record;
            self.filled[c] = true;
        } else {
            self.warnings.push(format!(
                "item {} left out: {}",
                stub.id,
                problems.join("; ")
            ));
            self.unlisted.insert(item);
            self.hidden.insert(item);
            self.to_catalog[item as usize] = UNLISTED;
            self.index.remove(&record.id);
        }
        Ok(())
    }

    /// Why catalog items were left out, one line each (for the console).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The catalog item with this id.
    pub fn item(&self, id: &str) -> Option<&CatalogItem> {
        self.by_id.get(id).map(|&i| &self.catalog.items[i])
    }

    /// The catalog index of an item id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// How many catalog items have no trained factors and are served from cold-start factors.
    pub fn cold_items(&self) -> usize {
        self.to_catalog.len() - self.model.n_items()
    }

    /// A category's display name.
    pub fn category_name(&self, id: &str, lang: &str) -> String {
        self.catalog
            .categories
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| id.to_owned(), |c| c.name.get(lang).to_owned())
    }

    /// The factors of an item in the combined index space.
    fn factors(&self, item: u32) -> Vec<f32> {
        let n = self.model.n_items();
        let k = self.model.n_factors();
        if (item as usize) < n {
            self.model.item_row(item as usize)
        } else {
            let at = (item as usize - n) * k;
            self.cold[at..at + k].to_vec()
        }
    }

    /// Every item's score (combined index space) for a folded-in visitor: the model's own
    /// (factors, plus its item-item model when it has one), then the cold items' from their
    /// factors.
    fn scores(&self, system: &UserSystem) -> Vec<f32> {
        let mut scores = Vec::with_capacity(self.to_catalog.len());
        self.model.score_system_into(system, &mut scores);
        let x = system.vector();
        let k = self.model.n_factors();
        scores.extend(
            self.cold
                .chunks_exact(k)
                .map(|y| y.iter().zip(x).map(|(a, b)| a * b).sum::<f32>()),
        );
        scores
    }

    fn visitor(&self, log: &[StoredEvent], interests: &[String]) -> Visitor {
        // Owned ids, as the log's compaction folds them: one copy of `aggregate` in the build.
        let prefs = self.weights.aggregate(
            log.iter()
                .map(|e| (e.item.clone(), e.event))
                .collect::<Vec<_>>(),
            log.last().and_then(|e| e.event.timestamp),
        );
        let n = self.model.n_items() as u32;
        let mut history = Vec::new();
        let mut seeds = Vec::new();
        for (id, r) in &prefs.items {
            match self.index.get(id) {
                Some(&i) if i < n => history.push((i, *r)),
                Some(&i) => seeds.push((
                    self.factors(i),
                    *r,
                    Seed::ColdItem(self.to_catalog[i as usize]),
                )),
                None => {}
            }
        }
        for category in interests {
            let Some(c) = self.categories.find(category) else {
                continue;
            };
            let picked = [c];
            if let Some(seed) = category_seeds(&self.model, &self.categories, &picked).pop() {
                seeds.push((seed, SEED_WEIGHT, Seed::Interest(category.clone())));
            }
        }
        // Items left out of the catalog are never shown, like the ones already seen.
        let mut seen = self.hidden.clone();
        for i in log.iter().filter_map(|e| self.index.get(&e.item)) {
            seen.insert(*i);
        }
        let dismissed: ItemSet = prefs
            .dismissed
            .iter()
            .filter_map(|id| self.index.get(id).copied())
            .collect();
        let dismissed_catalog = prefs
            .dismissed
            .iter()
            .filter_map(|id| self.index_of(id))
            .collect();
        // As `tastebud_core::sequence_of` reads a training log (a loop of its own: the widget's
        // size budget): each item where it was last touched, without what ended dismissed.
        let mut recent: Vec<u32> = Vec::new();
        for e in log {
            if let Some(&i) = self.index.get(&e.item) {
                let positive = self.weights.weight_of(&e.event).is_some_and(|w| w > 0.0);
                if i < n && positive && !dismissed.contains(i) {
                    recent.retain(|&r| r != i);
                    recent.push(i);
                }
            }
        }
        Visitor {
            history,
            seeds,
            seen,
            dismissed,
            dismissed_catalog,
            recent,
        }
    }

    fn system(&self, visitor: &Visitor) -> Option<UserSystem> {
        if visitor.history.is_empty() && visitor.seeds.is_empty() {
            return None;
        }
        let seeds: Vec<(Vec<f32>, f32)> = visitor
            .seeds
            .iter()
            .map(|(v, r, _)| (v.clone(), *r))
            .collect();
        self.model
            .user_system_with_seeds(&visitor.history, &seeds)
            .ok()
            .map(|system| system.with_recent(visitor.recent.clone()))
    }

    /// Names the history items and interests that contributed most to an item's score.
    fn explain(
        &self,
        system: &UserSystem,
        visitor: &Visitor,
        item: u32,
    ) -> (Vec<usize>, Vec<String>) {
        let Ok((history, seeds)) = system.contributions_to(&self.model, &self.factors(item)) else {
            return (Vec::new(), Vec::new());
        };
        // The item-item and transition models' terms belong to the history items too.
        let pair = |h: u32| self.model.pair_contribution(system, h, item);
        let mut terms: Vec<(f32, Result<usize, String>)> = history
            .iter()
            .map(|&(h, c)| (c + pair(h), Ok(self.to_catalog[h as usize])))
            .chain(
                seeds
                    .iter()
                    .zip(&visitor.seeds)
                    .map(|(&c, (_, _, origin))| {
                        let who = match origin {
                            Seed::Interest(cat) => Err(cat.clone()),
                            Seed::ColdItem(i) => Ok(i.to_owned()),
                        };
                        (c, who)
                    }),
            )
            .filter(|(c, _)| *c > 0.0)
            .collect();
        // Largest first, ties in the order above: the pairs' sort (by position), which the
        // browser builds carry anyway, rather than a stable sort of its own.
        let mut order: Vec<(u32, f32)> = terms
            .iter()
            .enumerate()
            .map(|(k, t)| (k as u32, t.0))
            .collect();
        tastebud_core::sort_by_share(&mut order);
        let mut items = Vec::new();
        let mut interests = Vec::new();
        for &(k, _) in &order {
            match std::mem::replace(&mut terms[k as usize].1, Ok(usize::MAX)) {
                Ok(i) if items.len() < 2 => items.push(i),
                Err(c) if interests.len() < 2 => interests.push(c),
                _ => {}
            }
        }
        (items, interests)
    }

    /// The re-ranking at the "more familiar / more niche" control's `level` (0 to 2): 0 is plain
    /// ranking and 1 the `discovery` preset. On a model `tune` calibrated, 1 is the calibrated
    /// `discovery` strength and 2 the strongest one measured, so the control spans the range
    /// measured on this shop's data; on other models 2 is twice the fixed preset.
    pub fn niche_params(&self, level: f32) -> RerankParams {
        let direction = RerankParams::preset("discovery").expect("discovery is a preset");
        let level = if level.is_finite() {
            level.clamp(0.0, 2.0)
        } else {
            1.0
        };
        let t = match self.model.calibration() {
            None => level,
            Some(c) => {
                let discovery = c.strength_keeping(DISCOVERY_KEEPS);
                if level <= 1.0 {
                    level * discovery
                } else {
                    discovery + (level - 1.0) * (c.max_strength() - discovery)
                }
            }
        };
        direction.scaled(t)
    }

    /// The shop's most popular catalog items (of `category`, if given) the visitor has not
    /// touched or dismissed, best first (catalog order breaks ties), each with its popularity
    /// over the shop's top item's: what a visitor with no history yet is shown, labelled as
    /// popular.
    pub fn popular_picks(
        &self,
        log: &[StoredEvent],
        category: Option<&str>,
        n: usize,
    ) -> Vec<(usize, f32)> {
        self.popular_where(log, &|item| category.is_none_or(|c| item.category == c), n)
    }

    /// [`popular_picks`](Self::popular_picks) among the items `wanted` accepts.
    fn popular_where(
        &self,
        log: &[StoredEvent],
        wanted: &dyn Fn(&CatalogItem) -> bool,
        n: usize,
    ) -> Vec<(usize, f32)> {
        let popularity = self.catalog_popularity();
        let ok = self.showable(log, None, true);
        let top = popularity.iter().copied().max().unwrap_or(0).max(1) as f32;
        let mut ranked: Vec<(u32, f32)> = (0..popularity.len())
            .filter(|&i| ok[i] && wanted(&self.catalog.items[i]))
            .map(|i| (i as u32, popularity[i] as f32 / top))
            .collect();
        // Most popular first, then by index: the pairs' sort the browser builds carry anyway.
        tastebud_core::sort_by_share(&mut ranked);
        ranked.truncate(n);
        ranked
            .into_iter()
            .map(|(i, share)| (i as usize, share))
            .collect()
    }

    /// "For you": the top `n` for this visitor, re-ranked for discovery at the control's level
    /// `niche` ([`niche_params`](Self::niche_params)), each with why. Empty with no history and
    /// no interests (the page then shows [`popular_picks`](Self::popular_picks)).
    pub fn for_you(
        &self,
        log: &[StoredEvent],
        interests: &[String],
        n: usize,
        niche: f32,
    ) -> Vec<Recommendation> {
        let visitor = self.visitor(log, interests);
        let Some(system) = self.system(&visitor) else {
            return Vec::new();
        };
        let scores = self.scores(&system);
        let params = self.niche_params(niche);
        let history: Vec<(u32, f32)> = visitor
            .history
            .iter()
            .copied()
            .chain(visitor.seeds.iter().filter_map(|(_, r, s)| match s {
                Seed::ColdItem(c) => self.index.get(&self.catalog.items[*c].id).map(|&i| (i, *r)),
                Seed::Interest(_) => None,
            }))
            .collect();
        let ctx = RerankContext {
            categories: &self.categories,
            popularity: &self.popularity,
            history: &history,
            explorable: Some(&self.niches),
        };
        let allowed = |i: u32| !visitor.seen.contains(i) && !visitor.dismissed.contains(i);
        rerank(&scores, allowed, n, &params, &ctx)
            .into_iter()
            .map(|s| {
                let (because, because_interests) = self.explain(&system, &visitor, s.item);
                Recommendation {
                    item: self.to_catalog[s.item as usize],
                    score: s.score,
                    because_kind: because.first().and_then(|&b| strongest(self, log, b)),
                    because,
                    because_interests,
                }
            })
            .collect()
    }

    /// "Interests to explore": niche categories ranked for this visitor, with what led there.
    /// Each category's items are its best for the visitor re-ranked with the `discovery` preset
    /// at strength `niche` (as in [`for_you`](Self::for_you)), so it opens on the category's less
    /// obvious finds as well as its staples.
    pub fn interests(
        &self,
        log: &[StoredEvent],
        interests: &[String],
        n: usize,
        niche: f32,
    ) -> Vec<InterestView> {
        let visitor = self.visitor(log, interests);
        let Some(system) = self.system(&visitor) else {
            return Vec::new();
        };
        let filter = Filter::new().exclude(
            (0..self.model.n_items() as u32)
                .filter(|&i| visitor.seen.contains(i) || visitor.dismissed.contains(i)),
        );
        let options = InterestOptions {
            n,
            top_items: 3,
            because: 4,
            only: Some(&self.niches),
        };
        let scores = self.scores(&system);
        let params = self.niche_params(niche);
        let ctx = RerankContext {
            categories: &self.categories,
            popularity: &self.popularity,
            history: &visitor.history,
            explorable: None,
        };
        category_interests(&self.model, &system, &self.categories, &filter, &options)
            .unwrap_or_default()
            .into_iter()
            .map(|i| {
                let (because, mut because_interests) =
                    self.explain(&system, &visitor, i.items[0].item);
                // A picked interest is not its own reason.
                let own = &self.categories.names[i.category as usize];
                because_interests.retain(|c| c != own);
                let allowed = |item: u32| {
                    self.categories.of(item) == Some(i.category)
                        && !visitor.seen.contains(item)
                        && !visitor.dismissed.contains(item)
                };
                let picks = rerank(&scores, allowed, options.top_items, &params, &ctx);
                InterestView {
                    category: self.categories.names[i.category as usize].clone(),
                    because_kind: because.first().and_then(|&b| strongest(self, log, b)),
                    items: picks
                        .iter()
                        .map(|s| self.to_catalog[s.item as usize])
                        .collect(),
                    because,
                    because_interests,
                }
            })
            .collect()
    }

    /// Catalog items dismissed in this log.
    pub fn dismissed(&self, log: &[StoredEvent]) -> Vec<usize> {
        self.visitor(log, &[]).dismissed_catalog
    }

    /// The items the visitor opened (viewed, clicked, found by search), most recent first, each
    /// once: catalog indices, without `except`, dismissed or out-of-stock items.
    pub fn recently_viewed(
        &self,
        log: &[StoredEvent],
        except: Option<&str>,
        n: usize,
    ) -> Vec<usize> {
        let dismissed = self.dismissed(log);
        let mut out: Vec<usize> = Vec::new();
        for e in log.iter().rev() {
            if out.len() >= n {
                break;
            }
            if !matches!(
                e.event.kind,
                EventKind::View | EventKind::Click | EventKind::SearchHit
            ) || except == Some(e.item.as_str())
            {
                continue;
            }
            let Some(&i) = self.by_id.get(&e.item) else {
                continue;
            };
            if !out.contains(&i)
                && !dismissed.contains(&i)
                && self.catalog.items[i].availability.may_show()
            {
                out.push(i);
            }
        }
        out
    }

    /// Per catalog item, whether a list may show it to this visitor: in stock, not dismissed,
    /// not `except` (the page's item), and not touched at all (`touched`, as the popular picks
    /// ask) or only not carted or bought (as the placements ask).
    fn showable(&self, log: &[StoredEvent], except: Option<&str>, touched: bool) -> Vec<bool> {
        let mut ok = vec![true; self.catalog.items.len()];
        for (ok, item) in ok.iter_mut().zip(&self.catalog.items) {
            *ok = item.availability.may_show();
        }
        for i in self.dismissed(log) {
            ok[i] = false;
        }
        for e in log {
            if touched || matches!(e.event.kind, EventKind::AddToCart | EventKind::Purchase) {
                if let Some(&i) = self.by_id.get(&e.item) {
                    ok[i] = false;
                }
            }
        }
        if let Some(&i) = except.and_then(|id| self.by_id.get(id)) {
            ok[i] = false;
        }
        ok
    }

    /// A placement's list under its merchandising `rules` (`tastebud_core::Rules`): up to
    /// `limit` of the catalog items `rank(n)` ranks, best first, filtered, boosted and pinned.
    /// `rank(n)` gives the list's first `n` candidates (catalog indices and scores). The list's
    /// own first `limit` come first, as they are without rules (a re-ranked list's order
    /// depends on its length), then as long a ranking as the rules need: the most a boost can
    /// lift an item times the list's length, and four times more while the rules leave the
    /// list short, or a boosted item just past the ranking could still rise into it; so a list
    /// is as long as the items the rules allow. A pin never brings back what the lists leave out:
    /// `except` (the page's item), what is in the cart or bought, what the visitor dismissed.
    ///
    /// Returns the placed items and every candidate and pin the rules weighed (catalog indices).
    /// A publication's items whose records have not arrived are weighed but not yet judged: the
    /// ranking grows only once they are here, and a pin shows only with its record.
    pub fn ruled(
        &self,
        mut rules: Rules,
        log: &[StoredEvent],
        except: Option<&str>,
        limit: usize,
        rank: &mut dyn FnMut(usize) -> Vec<(usize, f32)>,
    ) -> (Vec<Placed>, Vec<usize>) {
        let mut out: Vec<&str> = except.into_iter().collect();
        for e in log {
            if matches!(e.event.kind, EventKind::AddToCart | EventKind::Purchase) {
                out.push(&e.item);
            }
        }
        for i in self.dismissed(log) {
            out.push(&self.catalog.items[i].id);
        }
        for id in out {
            rules.exclude.push(id.to_owned());
        }
        // Whether an item's record is here: always, but for a publication's items before their
        // pages arrive (only builds that read publications have those).
        #[cfg(feature = "published")]
        let known = |i: usize| self.filled.get(i).copied().unwrap_or(true);
        let mut pins: Vec<usize> = Vec::new();
        for (id, _) in &rules.pins {
            pins.extend(self.by_id.get(id));
        }
        #[cfg(feature = "published")]
        rules
            .pins
            .retain(|(id, _)| self.by_id.get(id).is_some_and(|&i| known(i)));
        // The most the boosts can lift an item, and bury one.
        let (mut lift, mut bury) = (1.0f32, 1.0f32);
        for b in &rules.boosts {
            lift *= b.weight.max(1.0);
            bury *= b.weight.min(1.0);
        }
        let lift = lift.min(1e6);
        let head = rank(limit);
        let mut pool = (limit as f32 * lift.max(4.0)) as usize + 12;
        loop {
            let more = rank(pool);
            let exhausted = more.len() < pool;
            // Each item's place in the ranking (u32::MAX: not in it).
            let mut at = vec![u32::MAX; self.catalog.items.len()];
            let mut ranked = Vec::new();
            for x in head.iter().chain(&more) {
                if x.0 < at.len() && at[x.0] == u32::MAX {
                    at[x.0] = ranked.len() as u32;
                    ranked.push(*x);
                }
            }
            let placed = rules.apply(&self.catalog.items, &ranked, limit);
            // The largest boosted rank placed is at most its rank over the deepest bury: an
            // item past the ranking, lifted as much as the boosts can, still comes after it
            // only if the ranking reaches that far.
            let mut deepest = 0u32;
            for p in &placed {
                if !p.pinned {
                    deepest = deepest.max(at[p.item].saturating_add(1));
                }
            }
            let worst = deepest as f32 / bury;
            #[cfg(feature = "published")]
            let judged = ranked.iter().all(|x| known(x.0));
            #[cfg(not(feature = "published"))]
            let judged = true;
            if !exhausted && judged && (placed.len() < limit || worst * lift > pool as f32) {
                pool *= 4;
                continue;
            }
            let mut weighed: Vec<usize> = ranked.iter().map(|x| x.0).collect();
            weighed.extend(pins);
            return (placed, weighed);
        }
    }

    /// Up to `n` items of the catalog's ranked `placement` list (`"trending"` or `"members"`,
    /// computed by `tastebud catalog --log`) in its order, catalog indices, leaving out what
    /// [`showable`](Self::showable) does; empty for another name or a catalog without it.
    pub fn placement(
        &self,
        placement: &str,
        log: &[StoredEvent],
        except: Option<&str>,
        n: usize,
    ) -> Vec<usize> {
        let ids = match placement {
            "trending" => &self.catalog.trending,
            "members" => &self.catalog.members,
            _ => return Vec::new(),
        };
        let ok = self.showable(log, except, false);
        let mut out = Vec::new();
        for id in ids {
            if let Some(&i) = self.by_id.get(id) {
                if out.len() < n && ok[i] && !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        out
    }

    /// The engine's popularity (combined index) in catalog order; cold items count 0.
    fn catalog_popularity(&self) -> Vec<u32> {
        let mut popularity = vec![0u32; self.catalog.items.len()];
        for (&c, &count) in self.to_catalog.iter().zip(&self.popularity) {
            if c != UNLISTED {
                popularity[c] = count;
            }
        }
        popularity
    }

    /// Up to `n` of the brands searches led to (the catalog's `search_brands`, most first, each
    /// once), each with its most popular item the visitor has not touched or dismissed, nor
    /// `except` ([`popular_picks`](Self::popular_picks)): `(catalog index, brand)`. A brand with
    /// no such item is left out.
    pub fn search_brands(
        &self,
        log: &[StoredEvent],
        except: Option<&str>,
        n: usize,
    ) -> Vec<(usize, &str)> {
        // One ranking of every item the visitor may see; each brand's first stands for it. A
        // few more brands than asked, for those with nothing left to show this visitor.
        let ranked = self.popular_where(log, &|item| except != Some(&item.id), usize::MAX);
        let mut out: Vec<(usize, &str)> = Vec::new();
        for brand in self.catalog.search_brands.iter().take(n.saturating_mul(2)) {
            let first = ranked
                .iter()
                .find(|&&(i, _)| self.catalog.items[i].brand == *brand);
            if let (Some(&(i, _)), true) = (first, out.len() < n) {
                if !out.iter().any(|(_, b)| b == brand) {
                    out.push((i, brand));
                }
            }
        }
        out
    }

    /// Up to `n` items bought or carted with `item` (with the cart's items, latest first, without
    /// one), as `(item, what it goes with)` catalog indices, in the catalog's bought-with order,
    /// leaving out `item` and what [`showable`](Self::showable) does for `except`.
    pub fn bought_together(
        &self,
        log: &[StoredEvent],
        item: Option<&str>,
        except: Option<&str>,
        n: usize,
    ) -> Vec<(usize, usize)> {
        let mut sources: Vec<&str> = Vec::new();
        match item {
            Some(id) => sources.push(id),
            None => {
                for e in log.iter().rev() {
                    if e.event.kind == EventKind::AddToCart && !sources.contains(&e.item.as_str()) {
                        sources.push(&e.item);
                    }
                }
            }
        }
        let mut ok = self.showable(log, except, false);
        if let Some(&i) = item.and_then(|id| self.by_id.get(id)) {
            ok[i] = false;
        }
        let mut out: Vec<(usize, usize)> = Vec::new();
        for source in sources {
            let Some(&from) = self.by_id.get(source) else {
                continue;
            };
            let row = self
                .catalog
                .bought_with
                .iter()
                .find(|r| r.first().map(String::as_str) == Some(source));
            let Some(row) = row else {
                continue;
            };
            for id in &row[1..] {
                if let Some(&i) = self.by_id.get(id) {
                    if out.len() < n && ok[i] && !out.iter().any(|&(j, _)| j == i) {
                        out.push((i, from));
                    }
                }
            }
        }
        out
    }

    /// Items most similar to `item` by cosine similarity (catalog indices), excluding dismissed
    /// ones. Works for cold items too.
    pub fn similar(&self, item: &str, log: &[StoredEvent], n: usize) -> Vec<usize> {
        let Some(&i) = self.index.get(item) else {
            return Vec::new();
        };
        let dismissed = self.visitor(log, &[]).dismissed;
        let y = self.factors(i);
        let norm = |v: &[f32]| v.iter().map(|a| a * a).sum::<f32>().sqrt();
        let ny = norm(&y);
        let k = y.len();
        let scored = (0..self.to_catalog.len() as u32)
            .filter(|&j| j != i && !dismissed.contains(j) && !self.hidden.contains(j))
            .map(|j| {
                let f = self.factors(j);
                let d = norm(&f) * ny;
                let cos = if d > 0.0 {
                    f.iter().zip(&y).map(|(a, b)| a * b).sum::<f32>() / d
                } else {
                    0.0
                };
                debug_assert_eq!(f.len(), k);
                Scored {
                    item: j,
                    score: cos,
                }
            });
        top_k(scored, n)
            .into_iter()
            .map(|s| self.to_catalog[s.item as usize])
            .collect()
    }

    /// Catalog search over titles (both languages), brands, tags and category names. Title
    /// matches rank first; then catalog order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<usize> {
        // Each term also matches its singular ("tents" finds "tent", "glasses" finds "glass").
        let terms: Vec<Vec<String>> = query
            .split_whitespace()
            .map(|t| {
                let t = t.to_lowercase();
                let mut forms = vec![t.clone()];
                for suffix in ["es", "s"] {
                    if let Some(stem) = t
                        .strip_suffix(suffix)
                        .filter(|stem| stem.chars().count() >= 3)
                    {
                        forms.push(stem.to_owned());
                    }
                }
                forms
            })
            .collect();
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
                let found =
                    |text: &str, forms: &[String]| forms.iter().any(|f| text.contains(f.as_str()));
                let all = terms.iter().all(|f| found(&title, f) || found(&rest, f));
                let in_title = terms.iter().filter(|f| found(&title, f)).count();
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
                (!hide.contains(&i) && self.catalog.items[i].availability.may_show())
                    .then(|| ((prior * mean + total) / (prior + *n as f64), i))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(n).map(|(_, i)| i).collect()
    }

    /// Trending searches: the most searched queries, most first. A query that is not
    /// [showable](tastebud_core::is_showable_search) (blank, over 64 characters, control
    /// characters) is not shown, whatever the catalog says (`tastebud catalog` keeps only terms searched by several visitors).
    pub fn trending_searches(&self, n: usize) -> Vec<(String, u32)> {
        let mut queries: Vec<(String, u32)> = self
            .catalog
            .shop_data
            .searches
            .iter()
            .filter(|(q, _)| tastebud_core::is_showable_search(q))
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
            let Some(i) = self
                .index_of(id)
                .filter(|&i| !hide.contains(&i) && self.catalog.items[i].availability.may_show())
            else {
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
