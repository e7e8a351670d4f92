//! The catalog a site publishes beside its model: items with bilingual text, categories grouped
//! into areas, and the shop's aggregate data (ratings, searches, creators' picks).
//!
//! A catalog is untrusted input. [`Catalog::from_json`] checks it and reports every problem with
//! the item it concerns; text is only ever rendered as text, and links other than relative or
//! `http(s)` ones are refused.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::Model;
use crate::rank::ItemCategories;

/// The catalog format version this build reads.
pub const CATALOG_VERSION: u32 = 1;

/// Text in English and Simplified Chinese.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    /// English.
    pub en: String,
    /// Simplified Chinese; falls back to English when empty.
    #[serde(default, rename = "zh-CN")]
    pub zh: String,
}

impl Localized {
    /// The text in `lang` (`"zh-CN"`, or anything else for English).
    pub fn get(&self, lang: &str) -> &str {
        if lang.starts_with("zh") && !self.zh.is_empty() {
            &self.zh
        } else {
            &self.en
        }
    }
}

/// A group of categories ("Outdoors", "Coffee & tea").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: Localized,
}

/// A niche ("Ultralight camping").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Stable id.
    pub id: String,
    /// The area it belongs to.
    pub area: String,
    /// Display name.
    pub name: Localized,
    /// Whether it is a niche worth suggesting for exploration (as opposed to a mainstream one).
    #[serde(default)]
    pub niche: bool,
}

/// The glyphs the storefront draws for [`Picture::glyph`]; any other name draws a plain dot.
pub const GLYPHS: [&str; 46] = [
    "backpack",
    "bag",
    "bean",
    "bike",
    "binoculars",
    "bird",
    "boat",
    "bonsai",
    "book",
    "bottle",
    "bowl",
    "bread",
    "brush",
    "calendar",
    "camera",
    "controller",
    "cup",
    "dice",
    "drone",
    "fish",
    "flame",
    "gift",
    "grinder",
    "headset",
    "kettle",
    "keyboard",
    "lantern",
    "leaf",
    "moon",
    "mountain",
    "mug",
    "pen",
    "phone",
    "plant",
    "record",
    "rope",
    "shirt",
    "shoe",
    "ski",
    "tea",
    "teapot",
    "telescope",
    "tent",
    "tool",
    "watch",
    "yarn",
];

/// How a catalog item's picture is drawn locally (no image hosts): a glyph on a colored tile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    /// One of [`GLYPHS`] (e.g. `tent`, `mug`); unknown names draw a dot.
    pub glyph: String,
    /// Background hue, 0-359.
    pub hue: u16,
}

/// Whether an item can be bought now: Merchant Center's `availability` values (Shopify's
/// inventory maps onto them). Placements never show an out-of-stock item unless a rule asks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// In stock (the default when a catalog does not say).
    #[default]
    InStock,
    /// Out of stock.
    OutOfStock,
    /// Can be ordered before it is released.
    Preorder,
    /// Can be ordered, ships later.
    Backorder,
}

impl Availability {
    /// Whether it is [`InStock`](Self::InStock), the default a catalog file leaves out.
    pub fn is_in_stock(&self) -> bool {
        *self == Availability::InStock
    }

    /// Whether a recommendation may show it: anything but [`OutOfStock`](Self::OutOfStock)
    /// (pre-orders and backorders can be bought).
    pub fn may_show(&self) -> bool {
        *self != Availability::OutOfStock
    }

    /// Parses a feed's value: Merchant Center's `in_stock`, `out_of_stock`, `preorder` and
    /// `backorder`, with spaces or hyphens for underscores and in any case (older feeds write
    /// `in stock`).
    pub fn from_feed(value: &str) -> Option<Availability> {
        let v: String = value
            .trim()
            .chars()
            .map(|c| {
                if c == ' ' || c == '-' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        match v.as_str() {
            "in_stock" => Some(Availability::InStock),
            "out_of_stock" => Some(Availability::OutOfStock),
            "preorder" | "pre_order" => Some(Availability::Preorder),
            "backorder" | "back_order" => Some(Availability::Backorder),
            _ => None,
        }
    }
}

/// One thing the shop sells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogItem {
    /// Stable id, the same as in the model.
    pub id: String,
    /// Title.
    pub title: Localized,
    /// A short description.
    pub description: Localized,
    /// Brand.
    pub brand: String,
    /// Category id.
    pub category: String,
    /// Price in the catalog's currency.
    pub price: f64,
    /// Free-form tags (searchable).
    #[serde(default)]
    pub tags: Vec<String>,
    /// How the picture is drawn.
    pub picture: Picture,
    /// The item's page, relative or `http(s)`; `None` if it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether it can be bought now; left out of the file when in stock.
    #[serde(default, skip_serializing_if = "Availability::is_in_stock")]
    pub availability: Availability,
}

/// The shop's aggregate data: what its ranked lists are computed from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShopData {
    /// Per item id: `[number of ratings, sum of stars]`.
    #[serde(default)]
    pub ratings: HashMap<String, (u32, f64)>,
    /// Per search query: how many times it was searched.
    #[serde(default)]
    pub searches: HashMap<String, u32>,
    /// Creators' recommendations: `(creator name, item id)` pairs.
    #[serde(default)]
    pub creator_picks: Vec<(String, String)>,
}

/// A whole catalog file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Format version ([`CATALOG_VERSION`]).
    pub version: u32,
    /// The shop's name.
    pub shop: Localized,
    /// ISO 4217 currency code of the prices.
    pub currency: String,
    /// Areas, in display order.
    pub areas: Vec<Area>,
    /// Categories, in display order.
    pub categories: Vec<Category>,
    /// Items.
    pub items: Vec<CatalogItem>,
    /// Aggregates for the shop's ranked lists (read only with the `shop-lists` feature; left
    /// empty otherwise).
    #[serde(default)]
    #[cfg_attr(not(feature = "shop-lists"), serde(skip_deserializing))]
    pub shop_data: ShopData,
    /// Placements computed from the shop's log (`tastebud catalog --log`), each left out of
    /// the file when empty. Ids the catalog does not have are never shown. Recent popularity
    /// with a time decay, most popular first (the widget's `trending`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trending: Vec<String>,
    /// What the shop's most active buyers (the top tenth by orders) buy most (`members`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// One row per item with any: its id, then the items bought or carted in the same order or
    /// session, most often first (`bought-together` and `cart`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bought_with: Vec<Vec<String>>,
    /// Brands by the searches that led to them, most first (the storefront's hot-search brands
    /// and the widget's `brands`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_brands: Vec<String>,
}

/// Why a catalog cannot be used.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CatalogError {
    /// Not JSON of the catalog's shape.
    #[error("the catalog is not valid catalog JSON: {0}")]
    Json(String),
    /// A version this build does not read.
    #[error("the catalog is version {0}, this build reads version {CATALOG_VERSION}; regenerate it with `tastebud catalog` or update Tastebud")]
    Version(u32),
    /// Problems with specific entries (at most the first 20 are listed).
    #[error("the catalog has {count} problem(s): {}", .problems.join("; "))]
    Invalid {
        /// How many problems there were.
        count: usize,
        /// The first ones, each naming its entry.
        problems: Vec<String>,
    },
    /// The catalog and the model do not describe the same items.
    #[error("the catalog and the model do not match: {0}")]
    ModelMismatch(String),
}

/// Longest accepted text field, in bytes.
const MAX_TEXT: usize = 4096;

/// Longest search term shown among a shop's trending searches, in characters.
pub const MAX_SEARCH_CHARS: usize = 64;

/// Whether a search term may be shown to every visitor as a trending search: not blank, at most
/// [`MAX_SEARCH_CHARS`] characters, no control characters. `tastebud catalog` keeps only such
/// terms, and the storefront shows only such terms whatever a catalog holds.
pub fn is_showable_search(term: &str) -> bool {
    !term.trim().is_empty()
        && term.chars().count() <= MAX_SEARCH_CHARS
        && !term.chars().any(char::is_control)
}

/// Whether a link is safe to put in an `href`: relative, or absolute `http`/`https`.
pub fn is_safe_url(url: &str) -> bool {
    let trimmed = url.trim();
    if trimmed.is_empty() || trimmed.chars().any(|c| c.is_control()) {
        return false;
    }
    match trimmed.split_once(':') {
        // A colon before any '/', '?' or '#' starts a scheme.
        Some((scheme, _)) if !scheme.contains(['/', '?', '#']) => {
            let scheme = scheme.to_ascii_lowercase();
            scheme == "http" || scheme == "https"
        }
        // Relative, or protocol-relative (`//host/path`, which takes the page's http(s)).
        _ => true,
    }
}

/// An item [`Catalog::from_json_skipping`] left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// Its id (possibly empty or repeated: that may be why it was left out).
    pub id: String,
    /// What was wrong, naming the item.
    pub warning: String,
}

/// Problems found so far: all counted, the first 20 kept.
#[derive(Default)]
struct Problems {
    count: usize,
    listed: Vec<String>,
}

impl Problems {
    fn report(&mut self, problem: String) {
        self.count += 1;
        if self.listed.len() < 20 {
            self.listed.push(problem);
        }
    }

    fn into_result(self) -> Result<(), CatalogError> {
        if self.count == 0 {
            Ok(())
        } else {
            Err(CatalogError::Invalid {
                count: self.count,
                problems: self.listed,
            })
        }
    }
}

/// A value quoted for a message, cut to 64 characters so hostile megabytes stay out of logs;
/// quotes, backslashes and control characters are escaped (by hand: `{:?}` would link Rust's
/// Unicode printability tables into the browser build).
fn quoted_short(value: &str) -> String {
    const SHOWN: usize = 64;
    let mut out = String::from("\"");
    for (n, c) in value.chars().enumerate() {
        if n == SHOWN {
            out.push_str("\"…");
            return out;
        }
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What is wrong with one item, given the catalog's category ids and the ids of the items
/// before it.
fn item_problems(
    item: &CatalogItem,
    category_ids: &HashSet<&str>,
    earlier: &HashSet<&str>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if item.id.is_empty() || item.id.len() > 256 {
        problems.push("id must be 1 to 256 bytes".to_owned());
    } else if earlier.contains(item.id.as_str()) {
        problems.push("id repeats an earlier item".to_owned());
    }
    if item.title.en.trim().is_empty() {
        problems.push("English title is empty".to_owned());
    }
    let texts = [
        &item.title.en,
        &item.title.zh,
        &item.description.en,
        &item.description.zh,
        &item.brand,
    ];
    if texts.iter().any(|t| t.len() > MAX_TEXT) || item.tags.iter().any(|t| t.len() > 64) {
        problems.push(format!(
            "a text field is longer than {MAX_TEXT} bytes or a tag longer than 64"
        ));
    }
    if !category_ids.contains(item.category.as_str()) {
        problems.push(format!("unknown category {}", quoted_short(&item.category)));
    }
    if !(item.price.is_finite() && item.price >= 0.0) {
        problems.push(format!("price {} is not a non-negative number", item.price));
    }
    if let Some(url) = &item.url {
        if !is_safe_url(url) {
            problems.push(format!(
                "link {} is not relative or http(s)",
                quoted_short(url)
            ));
        }
    }
    problems
}

impl Catalog {
    /// Parses and validates a catalog file.
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let catalog: Catalog =
            serde_json::from_str(text).map_err(|e| CatalogError::Json(e.to_string()))?;
        if catalog.version != CATALOG_VERSION {
            return Err(CatalogError::Version(catalog.version));
        }
        catalog.validate()?;
        Ok(catalog)
    }

    /// Parses a catalog for serving: an item with a problem (a bad link, an over-long text, a bad
    /// price, an unknown category, an empty or repeated id) is left out, with a warning naming
    /// it, instead of refusing the whole catalog. Problems with areas or categories, and a
    /// catalog none of whose items can be used, are still errors.
    pub fn from_json_skipping(text: &str) -> Result<(Catalog, Vec<Skipped>), CatalogError> {
        let mut catalog: Catalog =
            serde_json::from_str(text).map_err(|e| CatalogError::Json(e.to_string()))?;
        if catalog.version != CATALOG_VERSION {
            return Err(CatalogError::Version(catalog.version));
        }
        let mut problems = Problems::default();
        let category_ids = catalog.structure_problems(&mut problems);
        problems.into_result()?;
        let mut ids = HashSet::new();
        let mut skipped = Vec::new();
        let mut keep = Vec::with_capacity(catalog.items.len());
        for (n, item) in catalog.items.iter().enumerate() {
            let found = item_problems(item, &category_ids, &ids);
            if found.is_empty() {
                ids.insert(item.id.as_str());
            } else {
                skipped.push(Skipped {
                    id: item.id.clone(),
                    warning: format!(
                        "item {n} ({}) left out: {}",
                        quoted_short(&item.id),
                        found.join("; ")
                    ),
                });
            }
            keep.push(found.is_empty());
        }
        drop((ids, category_ids));
        let mut keep = keep.into_iter();
        catalog.items.retain(|_| keep.next().unwrap_or(false));
        if catalog.items.is_empty() && !skipped.is_empty() {
            let mut problems = Problems::default();
            for s in &skipped {
                problems.report(s.warning.clone());
            }
            return Err(problems.into_result().unwrap_err());
        }
        Ok((catalog, skipped))
    }

    /// What is wrong with one item record arriving on its own (a published display page), as
    /// [`from_json_skipping`](Self::from_json_skipping) would find it in this catalog; empty if
    /// nothing is.
    pub fn record_problems(&self, item: &CatalogItem) -> Vec<String> {
        let category_ids: HashSet<&str> = self.categories.iter().map(|c| c.id.as_str()).collect();
        item_problems(item, &category_ids, &HashSet::new())
    }

    /// Checks ids, references, prices, text lengths and links.
    pub fn validate(&self) -> Result<(), CatalogError> {
        let mut problems = Problems::default();
        let category_ids = self.structure_problems(&mut problems);
        let mut item_ids = HashSet::new();
        for (n, item) in self.items.iter().enumerate() {
            for p in item_problems(item, &category_ids, &item_ids) {
                problems.report(format!("item {n} ({}): {p}", quoted_short(&item.id)));
            }
            item_ids.insert(item.id.as_str());
        }
        problems.into_result()
    }

    /// Reports repeated or empty area and category ids and categories of unknown areas; returns
    /// the category ids.
    fn structure_problems(&self, problems: &mut Problems) -> HashSet<&str> {
        let mut area_ids = HashSet::new();
        for a in &self.areas {
            if a.id.is_empty() || !area_ids.insert(a.id.as_str()) {
                problems.report(format!(
                    "area id {} is empty or repeated",
                    quoted_short(&a.id)
                ));
            }
        }
        let mut category_ids = HashSet::new();
        for c in &self.categories {
            if c.id.is_empty() || !category_ids.insert(c.id.as_str()) {
                problems.report(format!(
                    "category id {} is empty or repeated",
                    quoted_short(&c.id)
                ));
            }
            if !area_ids.contains(c.area.as_str()) {
                problems.report(format!(
                    "category {} names unknown area {}",
                    quoted_short(&c.id),
                    quoted_short(&c.area)
                ));
            }
        }
        category_ids
    }

    /// Checks that every model item is in the catalog. Catalog items the model lacks are allowed
    /// (they are new and have no factors yet); model items the catalog lacks are not, because they
    /// could be recommended with nothing to show.
    pub fn check_model(&self, model: &Model) -> Result<(), CatalogError> {
        self.check_model_skipping(model, &[])
    }

    /// [`check_model`](Self::check_model) for a catalog loaded with
    /// [`from_json_skipping`](Self::from_json_skipping): model items that were left out are
    /// allowed to be missing (they are never shown).
    pub fn check_model_skipping(
        &self,
        model: &Model,
        skipped: &[Skipped],
    ) -> Result<(), CatalogError> {
        let ids: HashSet<&str> = self
            .items
            .iter()
            .map(|i| i.id.as_str())
            .chain(skipped.iter().map(|s| s.id.as_str()))
            .collect();
        let missing: Vec<&str> = model
            .item_ids()
            .iter()
            .map(String::as_str)
            .filter(|id| !ids.contains(id))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        // Strings, as the catalog's own problem lists: one `join` in the browser build.
        let shown: Vec<String> = missing.iter().take(5).map(|s| s.to_string()).collect();
        Err(CatalogError::ModelMismatch(format!(
            "{} of the model's {} items are not in the catalog (e.g. {}); publish the catalog and model from the same training run",
            missing.len(),
            model.n_items(),
            shown.join(", ")
        )))
    }

    /// The category of each model item, for filters, diversity and interests.
    pub fn categories_for(&self, model: &Model) -> ItemCategories {
        let by_id: HashMap<&str, &str> = self
            .items
            .iter()
            .map(|i| (i.id.as_str(), i.category.as_str()))
            .collect();
        ItemCategories::from_names(
            model
                .item_ids()
                .iter()
                .map(|id| by_id.get(id.as_str()).copied()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Catalog {
        let l = |s: &str| Localized {
            en: s.into(),
            zh: String::new(),
        };
        Catalog {
            version: 1,
            shop: l("Shop"),
            currency: "EUR".into(),
            areas: vec![Area {
                id: "out".into(),
                name: l("Outdoors"),
            }],
            categories: vec![Category {
                id: "camp".into(),
                area: "out".into(),
                name: l("Camping"),
                niche: true,
            }],
            items: vec![CatalogItem {
                id: "tent".into(),
                title: l("Tent"),
                description: l("A tent"),
                brand: "B".into(),
                category: "camp".into(),
                price: 100.0,
                tags: vec![],
                picture: Picture {
                    glyph: "tent".into(),
                    hue: 120,
                },
                url: Some("items/tent.html".into()),
                availability: Availability::InStock,
            }],
            shop_data: ShopData::default(),
            trending: Vec::new(),
            members: Vec::new(),
            bought_with: Vec::new(),
            search_brands: Vec::new(),
        }
    }

    #[test]
    fn a_valid_catalog_round_trips() {
        let c = sample();
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(Catalog::from_json(&text).unwrap(), c);
    }

    #[test]
    fn hostile_entries_are_reported_with_their_item() {
        let mut c = sample();
        c.items.push(c.items[0].clone());
        c.items[0].url = Some("javascript:alert(1)".into());
        c.items[0].price = f64::NAN;
        c.items[1].category = "nope".into();
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.contains("item 0 (\"tent\"): link \"javascript:alert(1)\""),
            "{e}"
        );
        assert!(e.contains("price NaN"), "{e}");
        assert!(e.contains("item 1 (\"tent\"): id repeats"), "{e}");
        assert!(e.contains("unknown category \"nope\""), "{e}");
    }

    #[test]
    fn quoted_values_are_escaped_and_cut() {
        assert_eq!(quoted_short("tent"), "\"tent\"");
        assert_eq!(quoted_short("a\"b\\c\nd"), "\"a\\\"b\\\\c\\u{a}d\"");
        let long = quoted_short(&"é".repeat(100));
        assert_eq!(long, format!("\"{}\"…", "é".repeat(64)));
    }

    #[test]
    fn bad_items_are_left_out_with_a_warning_when_serving() {
        let mut c = sample();
        let mut bad_link = c.items[0].clone();
        bad_link.id = "evil".into();
        bad_link.url = Some("javascript:alert(1)".into());
        let mut long_title = c.items[0].clone();
        long_title.id = "long".into();
        long_title.title.en = "x".repeat(MAX_TEXT + 1);
        let mut repeat = c.items[0].clone();
        repeat.title.en = "Second tent".into();
        c.items.extend([bad_link, long_title, repeat]);
        let text = serde_json::to_string(&c).unwrap();
        assert!(Catalog::from_json(&text).is_err(), "strict loading refuses");
        let (served, skipped) = Catalog::from_json_skipping(&text).unwrap();
        let ids: Vec<&str> = served.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["tent"]);
        assert_eq!(
            served.items[0].title.en, "Tent",
            "the first of a repeated id is kept"
        );
        let left: Vec<&str> = skipped.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(left, ["evil", "long", "tent"]);
        assert!(skipped[0]
            .warning
            .contains("item 1 (\"evil\") left out: link"));
        assert!(skipped[1].warning.contains("longer than 4096"));
        assert!(skipped[2].warning.contains("repeats"));
        assert!(skipped.iter().all(|s| s.warning.len() < 300), "{skipped:?}");
    }

    #[test]
    fn a_catalog_with_no_usable_item_or_a_broken_structure_is_still_refused() {
        let mut c = sample();
        c.items[0].price = -1.0;
        let e = Catalog::from_json_skipping(&serde_json::to_string(&c).unwrap()).unwrap_err();
        assert!(e.to_string().contains("price -1"), "{e}");
        let mut c = sample();
        c.categories[0].area = "nowhere".into();
        let e = Catalog::from_json_skipping(&serde_json::to_string(&c).unwrap()).unwrap_err();
        assert!(e.to_string().contains("unknown area"), "{e}");
    }

    #[test]
    fn only_relative_and_http_links_are_safe() {
        for ok in [
            "a/b.html",
            "/p?q=1",
            "https://x.example/p",
            "HTTP://x",
            "#frag",
            "./x:y",
        ] {
            assert!(is_safe_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:x",
            "data:text/html,x",
            "vbscript:x",
            "",
            "a\nb",
        ] {
            assert!(!is_safe_url(bad), "{bad}");
        }
    }

    #[test]
    fn wrong_version_and_json_are_clear() {
        let mut c = sample();
        c.version = 9;
        let e = Catalog::from_json(&serde_json::to_string(&c).unwrap()).unwrap_err();
        assert_eq!(e, CatalogError::Version(9));
        assert!(matches!(
            Catalog::from_json("{"),
            Err(CatalogError::Json(_))
        ));
    }
}
