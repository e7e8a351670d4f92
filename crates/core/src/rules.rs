//! Merchandising rules: what a placement may show, and where. A shop sets them per placement
//! (widget attributes, `Tastebud.recommend` options, the storefront's sections) and they apply
//! after ranking, to the whole ranked candidate list, so they never make a list shorter than the
//! candidates that pass allow, and never touch an item's score or its explanation:
//!
//! 1. **filters**: availability (out-of-stock items never show unless asked), excluded ids (the
//!    current item, the cart, what was bought), a price range, and categories, brands and tags
//!    to include or exclude;
//! 2. **boost and bury**: each matching category, brand or tag multiplies an item's weight, and
//!    items are ordered by `(rank + 1) / weight`: a weight of 2 moves an item up as if it ranked
//!    twice as high, 0.5 buries it, and the scores' scale does not matter;
//! 3. **pins**: ids at fixed positions (0-based), if they pass the filters.
//!
//! [`Rules::parse`] reads them as a page writes them: one `name=value` per line, the names being
//! the widget's attributes (README, "Merchandising rules"):
//!
//! ```text
//! exclude=SKU-1, SKU-2
//! price-min=10
//! price-max=250
//! include-categories=camping, skiing
//! exclude-brands=Acme
//! exclude-tags=clearance
//! boost=category:coffee=2, tag:sale=0.5
//! pin=SKU-9@1, SKU-4@3
//! ```
//!
//! Lists are comma-separated; a pin's position counts from 1, as a shopper does.

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogItem;

/// What a boost or a filter matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The item's category id.
    Category,
    /// Its brand.
    Brand,
    /// One of its tags.
    Tag,
}

impl Field {
    fn matches(self, item: &CatalogItem, value: &str) -> bool {
        match self {
            Field::Category => item.category == value,
            Field::Brand => item.brand == value,
            Field::Tag => item.tags.iter().any(|t| t == value),
        }
    }
}

/// A weight for the items that match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Boost {
    /// What it matches on.
    pub field: Field,
    /// The category id, brand or tag.
    pub value: String,
    /// Above 1 moves matching items up, below 1 buries them; finite and positive.
    pub weight: f32,
}

/// A placement's rules. The default shows only available items and changes nothing else.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Rules {
    /// Show items that are out of stock too (never by default).
    pub include_out_of_stock: bool,
    /// Item ids never to show: the current item, the cart, what was bought.
    pub exclude: Vec<String>,
    /// Lowest price shown.
    pub price_min: Option<f64>,
    /// Highest price shown.
    pub price_max: Option<f64>,
    /// When not empty, only items with one of these `(field, value)`s show.
    pub include: Vec<(Field, String)>,
    /// Items with any of these `(field, value)`s never show.
    pub exclude_matching: Vec<(Field, String)>,
    /// Weights applied after ranking.
    pub boosts: Vec<Boost>,
    /// `(item id, position)`: these items at these 0-based positions.
    pub pins: Vec<(String, usize)>,
}

/// An item a rule placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    /// Its index in the candidates' item list. Its score and explanation are the ranking's:
    /// the rules only choose and order.
    pub item: usize,
    /// Whether a pin put it here.
    pub pinned: bool,
}

/// The rules [`Rules::parse`] knows, as the widget's attributes spell them.
pub const RULE_NAMES: &str = "exclude, price-min, price-max, include-categories, \
    exclude-categories, include-brands, exclude-brands, include-tags, exclude-tags, boost, pin";

/// The storefront's placements that take rules from the catalog's `rules` object.
pub const PLACEMENTS: [&str; 7] = [
    "items",
    "similar",
    "recently-viewed",
    "bought-together",
    "trending",
    "members",
    "top-rated",
];

/// A placement's name and its rules, or why they cannot be read.
pub type PlacementRules = (String, Result<Rules, String>);

/// The catalog's optional `rules` object (a placement's name to its rules, as
/// [`Rules::parse`] reads them), each placement with its rules or why they cannot be read; empty
/// for a catalog without one.
///
/// # Errors
/// The catalog is not JSON, or `rules` is not an object of strings.
pub fn placement_rules(catalog_json: &str) -> Result<Vec<PlacementRules>, String> {
    #[derive(Deserialize)]
    struct WithRules {
        #[serde(default)]
        rules: std::collections::BTreeMap<String, String>,
    }
    let found = serde_json::from_str::<WithRules>(catalog_json)
        .map_err(|e| format!("the catalog's rules cannot be read: {e}"))?;
    Ok(found
        .rules
        .into_iter()
        .map(|(placement, text)| {
            let rules = Rules::parse(&text);
            (placement, rules)
        })
        .collect())
}

/// A decimal number, read by the JSON reader the catalog already needs: the standard library's
/// float parser would add 20 KB to the widget.
fn number(text: &str) -> Option<f64> {
    serde_json::from_str::<f64>(text.trim()).ok()
}

/// The message for a rule `value` that is not written like `example`.
fn unreadable(rule: &str, value: &str, example: &str) -> String {
    format!("{rule} \"{value}\" is not {example}")
}

impl Rules {
    /// Reads rules written one `name=value` per line (see the module's documentation); blank
    /// lines are skipped, and a list given twice adds up.
    ///
    /// # Errors
    /// A message naming the rule that cannot be read, or that [`check`](Self::check) refuses.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut rules = Rules::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once('=').unwrap_or((line, ""));
            let name = name.trim();
            // The comma-separated values, trimmed, without empty ones.
            let values = value.split(',').map(str::trim).filter(|v| !v.is_empty());
            let (include, target) = match name {
                "exclude" => {
                    rules.exclude.extend(values.map(String::from));
                    continue;
                }
                "price-min" | "price-max" => {
                    let price =
                        Some(number(value).ok_or_else(|| unreadable(name, value, "a number"))?);
                    if name == "price-min" {
                        rules.price_min = price;
                    } else {
                        rules.price_max = price;
                    }
                    continue;
                }
                "boost" => {
                    for b in values {
                        let boost = b.rsplit_once('=').and_then(|(what, weight)| {
                            let (f, v) = what.split_once(':')?;
                            let field = match f.trim() {
                                "category" => Field::Category,
                                "brand" => Field::Brand,
                                "tag" => Field::Tag,
                                _ => return None,
                            };
                            let weight = number(weight)? as f32;
                            (weight.is_finite() && weight > 0.0).then(|| Boost {
                                field,
                                value: v.trim().into(),
                                weight,
                            })
                        });
                        rules.boosts.push(boost.ok_or_else(|| {
                            unreadable(
                                "boost",
                                b,
                                "field:value=weight with a positive weight, such as category:coffee=2",
                            )
                        })?);
                    }
                    continue;
                }
                "pin" => {
                    for p in values {
                        let pin = p
                            .rsplit_once('@')
                            .and_then(|(id, at)| {
                                Some((id.trim(), at.trim().parse::<usize>().ok()?))
                            })
                            .filter(|&(id, at)| !id.is_empty() && at > 0);
                        let (id, at) = pin.ok_or_else(|| {
                            unreadable("pin", p, "id@position, such as SKU-9@1 for the first place")
                        })?;
                        rules.pins.push((id.into(), at - 1));
                    }
                    continue;
                }
                "include-categories" => (true, Field::Category),
                "exclude-categories" => (false, Field::Category),
                "include-brands" => (true, Field::Brand),
                "exclude-brands" => (false, Field::Brand),
                "include-tags" => (true, Field::Tag),
                "exclude-tags" => (false, Field::Tag),
                _ => {
                    return Err(format!(
                        "unknown rule \"{name}\": a rule is one of {RULE_NAMES}"
                    ))
                }
            };
            let into = if include {
                &mut rules.include
            } else {
                &mut rules.exclude_matching
            };
            into.extend(values.map(|v| (target, v.to_string())));
        }
        // What `check` asks of rules built in code: the weights were checked above, and JSON
        // numbers are finite.
        if let (Some(lo), Some(hi)) = (rules.price_min, rules.price_max) {
            if lo > hi {
                return Err(format!(
                    "price-min {lo} is above price-max {hi}; no item could show"
                ));
            }
        }
        Ok(rules)
    }

    /// The rules as [`parse`](Self::parse) reads them. The availability rule has no text form:
    /// it is [`include_out_of_stock`](Self::include_out_of_stock), set in code.
    pub fn to_text(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        if !self.exclude.is_empty() {
            lines.push(format!("exclude={}", self.exclude.join(", ")));
        }
        if let Some(p) = self.price_min {
            lines.push(format!("price-min={p}"));
        }
        if let Some(p) = self.price_max {
            lines.push(format!("price-max={p}"));
        }
        for (include, list) in [(true, &self.include), (false, &self.exclude_matching)] {
            for (f, v) in list {
                let kind = match f {
                    Field::Category => "categories",
                    Field::Brand => "brands",
                    Field::Tag => "tags",
                };
                let how = if include { "include" } else { "exclude" };
                lines.push(format!("{how}-{kind}={v}"));
            }
        }
        for b in &self.boosts {
            let f = match b.field {
                Field::Category => "category",
                Field::Brand => "brand",
                Field::Tag => "tag",
            };
            lines.push(format!("boost={f}:{}={}", b.value, b.weight));
        }
        for (id, at) in &self.pins {
            lines.push(format!("pin={id}@{}", at + 1));
        }
        lines.join("\n")
    }

    /// Checks the rules: weights finite and positive, prices finite and in order.
    ///
    /// # Errors
    /// A message naming the bad rule.
    pub fn check(&self) -> Result<(), String> {
        if let Some(b) = self
            .boosts
            .iter()
            .find(|b| !(b.weight.is_finite() && b.weight > 0.0))
        {
            return Err(format!(
                "the boost for {} has weight {}; use a positive number (above 1 to boost, below 1 to bury)",
                b.value, b.weight
            ));
        }
        for (name, p) in [("price-min", self.price_min), ("price-max", self.price_max)] {
            if p.is_some_and(|p| !p.is_finite()) {
                return Err(format!("{name} must be a number"));
            }
        }
        if let (Some(lo), Some(hi)) = (self.price_min, self.price_max) {
            if lo > hi {
                return Err(format!(
                    "price-min {lo} is above price-max {hi}; no item could show"
                ));
            }
        }
        Ok(())
    }

    /// Whether `item` may show at all.
    pub fn allows(&self, item: &CatalogItem) -> bool {
        (self.include_out_of_stock || item.availability.may_show())
            && !self.exclude.contains(&item.id)
            && self.price_min.is_none_or(|lo| item.price >= lo)
            && self.price_max.is_none_or(|hi| item.price <= hi)
            && (self.include.is_empty() || self.include.iter().any(|(f, v)| f.matches(item, v)))
            && !self
                .exclude_matching
                .iter()
                .any(|(f, v)| f.matches(item, v))
    }

    /// The product of the weights of the boosts `item` matches (1 for none).
    pub fn weight(&self, item: &CatalogItem) -> f32 {
        self.boosts
            .iter()
            .filter(|b| b.field.matches(item, &b.value))
            .map(|b| b.weight)
            .product()
    }

    /// Applies the rules to `ranked` (indices into `items` with their scores, best first, each
    /// once) and returns up to `n`: the allowed candidates reordered by their boosts, with the
    /// allowed pins at their positions (a position past the list's end puts the pin last, or
    /// leaves a pinned candidate at its ranked place).
    /// The list is as long as the allowed candidates and pins allow.
    pub fn apply(&self, items: &[CatalogItem], ranked: &[(usize, f32)], n: usize) -> Vec<Placed> {
        // Plain loops and vectors rather than sorts and hash sets: lists are short, and this
        // runs in the widget, whose size budget every generic instance costs.
        // The allowed pins, each item once, by position (then item).
        let mut pins: Vec<(usize, usize)> = Vec::new();
        for (id, at) in &self.pins {
            let Some(i) = items.iter().position(|it| it.id == *id) else {
                continue;
            };
            // A pin past the list's end does not hide an item the ranking has: that item keeps
            // its ranked place.
            let ranked_here = *at >= n && ranked.iter().any(|&(j, _)| j == i);
            if !ranked_here && self.allows(&items[i]) && !pins.iter().any(|&(j, _)| j == i) {
                let k = pins
                    .iter()
                    .position(|&(j, a)| (a, j) > (*at, i))
                    .unwrap_or(pins.len());
                pins.insert(k, (i, *at));
            }
        }
        // The other allowed candidates: (boosted rank, rank, item).
        let mut rest: Vec<(f32, usize, usize)> = Vec::new();
        for (rank, &(i, _)) in ranked.iter().enumerate() {
            if i < items.len() && !pins.iter().any(|&(j, _)| j == i) && self.allows(&items[i]) {
                rest.push(((rank + 1) as f32 / self.weight(&items[i]), rank, i));
            }
        }
        let pin = |(i, _): (usize, usize)| Placed {
            item: i,
            pinned: true,
        };
        let total = (rest.len() + pins.len()).min(n);
        let mut out: Vec<Placed> = Vec::with_capacity(total);
        let mut next_pin = 0;
        while out.len() < total {
            if next_pin < pins.len() && pins[next_pin].1 <= out.len() {
                out.push(pin(pins[next_pin]));
                next_pin += 1;
                continue;
            }
            // The best boosted rank left; the original rank breaks ties, so no boost means no
            // change.
            let best = (0..rest.len()).min_by(|&a, &b| {
                rest[a]
                    .0
                    .total_cmp(&rest[b].0)
                    .then(rest[a].1.cmp(&rest[b].1))
            });
            match best {
                Some(b) => {
                    let (_, _, i) = rest.swap_remove(b);
                    out.push(Placed {
                        item: i,
                        pinned: false,
                    });
                }
                // Past the other items: the pins left close up at the end.
                None => {
                    out.push(pin(pins[next_pin]));
                    next_pin += 1;
                }
            }
        }
        out
    }
}
