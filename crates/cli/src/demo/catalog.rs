//! Composing the catalog's items from the category vocabularies.

use anyhow::{bail, Result};
use tastebud_core::{
    Area, Catalog, CatalogItem, Category, Localized, Picture, ShopData, CATALOG_VERSION,
};

use super::catalog_data::{CategorySpec, AREAS, CATEGORIES};
use super::rng::Rng;

/// The stream of [`Rng::fork`] the catalog draws from.
const STREAM: u64 = 1;

/// A catalog before its shop data is filled in, with what the simulation needs to know of it.
pub struct Composed {
    pub catalog: Catalog,
    /// Per category (in [`CATEGORIES`] order): its items' indices in `catalog.items`, most popular
    /// first. Popularity is a seeded shuffle, independent of the id order.
    pub by_popularity: Vec<Vec<usize>>,
}

/// `"en|zh"` as a [`Localized`].
pub fn localized(pair: &str) -> Localized {
    let (en, zh) = split(pair);
    Localized {
        en: en.to_owned(),
        zh: zh.to_owned(),
    }
}

fn split(pair: &str) -> (&str, &str) {
    pair.split_once('|')
        .expect("unreachable: the vocabulary's pairs are checked by its unit test")
}

/// One way of naming an item: modifier (or none), product, variant (or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Combo {
    product: usize,
    variant: Option<usize>,
    modifier: Option<usize>,
}

fn combos(spec: &CategorySpec) -> Vec<Combo> {
    let mut all = Vec::new();
    for (product, p) in spec.products.iter().enumerate() {
        let variants: Vec<Option<usize>> = if p.variants.is_empty() {
            vec![None]
        } else {
            (0..p.variants.len()).map(Some).collect()
        };
        for variant in variants {
            for modifier in std::iter::once(None).chain((0..spec.modifiers.len()).map(Some)) {
                all.push(Combo {
                    product,
                    variant,
                    modifier,
                });
            }
        }
    }
    all
}

/// The most items the vocabulary can name without repeating a title within a category.
pub fn capacity() -> usize {
    CATEGORIES.iter().map(|c| combos(c).len()).sum()
}

/// Builds a catalog of `n_items` items spread over every category, mainstream ones larger.
pub fn compose(seed: u64, n_items: usize) -> Result<Composed> {
    let max = capacity();
    if n_items < CATEGORIES.len() || n_items > max {
        bail!(
            "--items must be between {} (one per category) and {max} (the vocabulary runs out of distinct titles beyond that), got {n_items}",
            CATEGORIES.len()
        );
    }
    let mut rng = Rng::fork(seed, STREAM);
    let counts = allocate(&mut rng, n_items);

    let mut items = Vec::with_capacity(n_items);
    let mut by_popularity = Vec::with_capacity(CATEGORIES.len());
    for (spec, &count) in CATEGORIES.iter().zip(&counts) {
        let mut chosen = combos(spec);
        rng.shuffle(&mut chosen);
        chosen.truncate(count);
        // Ids follow product order, so a category's listing by id reads as a tidy shelf.
        chosen.sort();
        let first = items.len();
        for (n, combo) in chosen.into_iter().enumerate() {
            items.push(item(&mut rng, spec, combo, n + 1));
        }
        let mut ranked: Vec<usize> = (first..items.len()).collect();
        rng.shuffle(&mut ranked);
        by_popularity.push(ranked);
    }

    let catalog = Catalog {
        version: CATALOG_VERSION,
        shop: localized("Tastebud Market|品味市集"),
        currency: "EUR".into(),
        areas: AREAS
            .iter()
            .map(|a| Area {
                id: a.id.into(),
                name: localized(a.name),
            })
            .collect(),
        categories: CATEGORIES
            .iter()
            .map(|c| Category {
                id: c.id.into(),
                area: c.area.into(),
                name: localized(c.name),
                niche: c.niche,
            })
            .collect(),
        items,
        shop_data: ShopData::default(),
        trending: Vec::new(),
        members: Vec::new(),
        bought_with: Vec::new(),
        search_brands: Vec::new(),
    };
    Ok(Composed {
        catalog,
        by_popularity,
    })
}

/// Items per category: proportional to a jittered weight (mainstream categories twice a
/// niche's), at least one each and never more than the category can name.
fn allocate(rng: &mut Rng, n_items: usize) -> Vec<usize> {
    let weights: Vec<f64> = CATEGORIES
        .iter()
        .map(|c| if c.niche { 1.0 } else { 2.0 } * rng.range(0.8, 1.25))
        .collect();
    let caps: Vec<usize> = CATEGORIES.iter().map(|c| combos(c).len()).collect();
    let total: f64 = weights.iter().sum();
    let ideal: Vec<f64> = weights.iter().map(|w| n_items as f64 * w / total).collect();
    let mut counts: Vec<usize> = ideal
        .iter()
        .zip(&caps)
        .map(|(&x, &cap)| (x.floor() as usize).clamp(1, cap))
        .collect();
    // Hand out the remainder (or take back the excess) one item at a time, where the gap to the
    // ideal count is largest; `compose` checked that the caps leave room.
    loop {
        let sum: usize = counts.iter().sum();
        if sum == n_items {
            return counts;
        }
        let gap = |i: usize| ideal[i] - counts[i] as f64;
        let candidates = 0..counts.len();
        let at = if sum < n_items {
            candidates
                .filter(|&i| counts[i] < caps[i])
                .max_by(|&a, &b| gap(a).total_cmp(&gap(b)))
        } else {
            candidates
                .filter(|&i| counts[i] > 1)
                .min_by(|&a, &b| gap(a).total_cmp(&gap(b)))
        }
        .expect("unreachable: n_items is within the categories' capacity");
        if sum < n_items {
            counts[at] += 1;
        } else {
            counts[at] -= 1;
        }
    }
}

fn item(rng: &mut Rng, spec: &CategorySpec, combo: Combo, number: usize) -> CatalogItem {
    let product = &spec.products[combo.product];
    let (noun_en, noun_zh) = split(product.noun);
    let (variant_en, variant_zh) = combo
        .variant
        .map_or(("", ""), |v| split(product.variants[v]));
    let (modifier_en, modifier_zh) = combo
        .modifier
        .map_or(("", ""), |m| split(spec.modifiers[m]));

    let title_en = join_en(modifier_en, &with_variant_en(noun_en, variant_en));
    let title_zh = join_zh(modifier_zh, &with_variant_zh(noun_zh, variant_zh));
    let (feature, use_) = (*rng.pick(spec.features), *rng.pick(spec.uses));
    let ((feature_en, feature_zh), (use_en, use_zh)) = (split(feature), split(use_));

    let mut tags: Vec<String> = Vec::new();
    let mut tag = |t: &str| {
        let t = t.trim();
        if !t.is_empty() && !tags.iter().any(|x| x == t) {
            tags.push(t.to_owned());
        }
    };
    let (english, chinese): (Vec<&str>, Vec<&str>) = spec.tags.iter().partition(|t| t.is_ascii());
    english.iter().for_each(|t| tag(t));
    tag(&noun_en.replace('*', "").trim().to_lowercase());
    tag(&modifier_en.to_lowercase());
    chinese.iter().for_each(|t| tag(t));
    tag(noun_zh.replace('*', "").trim());

    let (lo, hi) = product.price;
    let price = shop_price(rng.range(lo.ln(), hi.ln()).exp());
    let jitter = rng.below(25) as i32 - 12;
    let id = format!("{}-{number:04}", spec.prefix);
    CatalogItem {
        url: Some(format!("#/item/{id}")),
        availability: Default::default(),
        id,
        title: Localized {
            en: capitalize(&title_en),
            zh: title_zh,
        },
        description: Localized {
            en: format!("{feature_en} {use_en}"),
            zh: format!("{feature_zh}{use_zh}"),
        },
        brand: (*rng.pick(spec.brands)).to_owned(),
        category: spec.id.to_owned(),
        price,
        tags,
        picture: Picture {
            glyph: product.glyph.to_owned(),
            hue: (i32::from(spec.hue) + jitter).rem_euclid(360) as u16,
        },
    }
}

/// A `*` at the start of a noun is where its variant goes; otherwise the variant follows it.
fn with_variant_en(noun: &str, variant: &str) -> String {
    match noun.strip_prefix('*') {
        Some(rest) => join_en(variant, rest.trim_start()),
        None => join_en(noun, variant),
    }
}

fn with_variant_zh(noun: &str, variant: &str) -> String {
    match noun.strip_prefix('*') {
        Some(rest) => join_zh(variant, rest),
        // A spec after the name reads as a separate word in Chinese listings too.
        None if variant.is_empty() => noun.to_owned(),
        None => format!("{noun} {variant}"),
    }
}

fn join_en(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a} {b}"),
    }
}

/// Chinese words join without a space, except between Chinese and Latin letters or digits
/// ("折叠 4K 无人机"), as Chinese typesetting conventionally spaces them.
fn join_zh(a: &str, b: &str) -> String {
    let latin = |c: char| c.is_ascii_alphanumeric() || c == '%';
    let cjk = |c: char| !c.is_ascii();
    match (a.chars().next_back(), b.chars().next()) {
        (None, _) => b.to_owned(),
        (_, None) => a.to_owned(),
        (Some(l), Some(r)) if (latin(l) && cjk(r)) || (cjk(l) && latin(r)) => format!("{a} {b}"),
        _ => format!("{a}{b}"),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A shop-like price: x.49 / x.99 under 20, x.99 under 200, then x9.99.
fn shop_price(raw: f64) -> f64 {
    let cents = if raw < 20.0 {
        (raw * 2.0).round() as i64 * 50 - 1
    } else if raw < 200.0 {
        raw.round() as i64 * 100 - 1
    } else {
        (raw / 10.0).round() as i64 * 1000 - 1
    };
    cents.max(99) as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn titles_read_naturally_in_both_languages() {
        assert_eq!(
            join_en("Ultralight", &with_variant_en("titanium mug", "450 ml")),
            "Ultralight titanium mug 450 ml"
        );
        assert_eq!(with_variant_zh("钛杯", "450 毫升"), "钛杯 450 毫升");
        assert_eq!(with_variant_en("* tent", "2-person"), "2-person tent");
        assert_eq!(
            join_zh("超轻", &with_variant_zh("*帐篷", "双人")),
            "超轻双人帐篷"
        );
        assert_eq!(
            join_zh("折叠", &with_variant_zh("*无人机", "4K")),
            "折叠 4K 无人机"
        );
        assert_eq!(with_variant_en("* tent", ""), "tent");
        assert_eq!(with_variant_zh("*帐篷", ""), "帐篷");
        assert_eq!(capitalize("ceramic dripper"), "Ceramic dripper");
    }

    #[test]
    fn prices_end_in_49_or_99() {
        assert_eq!(shop_price(12.3), 12.49);
        assert_eq!(shop_price(150.4), 149.99);
        assert_eq!(shop_price(523.0), 519.99);
        assert_eq!(shop_price(0.1), 0.99);
    }

    #[test]
    fn items_are_allocated_exactly_and_titles_barely_repeat() {
        for n in [CATEGORIES.len(), 400, 1600, capacity()] {
            let c = compose(42, n).unwrap();
            assert_eq!(c.catalog.items.len(), n);
            assert_eq!(c.by_popularity.iter().map(Vec::len).sum::<usize>(), n);
            assert!(c.by_popularity.iter().all(|v| !v.is_empty()));
        }
        let c = compose(42, 1600).unwrap();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for item in &c.catalog.items {
            *seen.entry(&item.title.en).or_default() += 1;
        }
        let repeats: usize = seen.values().map(|n| n - 1).sum();
        assert!(repeats <= 5, "{repeats} repeated English titles");
        c.catalog.validate().unwrap();
        assert!(compose(42, capacity() + 1).is_err());
        assert!(compose(42, 3).is_err());
    }
}
