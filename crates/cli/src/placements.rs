//! The catalog's placements from a shop's GA4 export (`tastebud catalog --log`): trending items,
//! the members' list and what is bought together. Each list shows every visitor what many
//! visitors did, so an item (or a pair) needs `min_visitors` distinct visitors behind it, as a
//! trending search does.

use std::collections::{BTreeMap, HashMap, HashSet};

use tastebud_core::{Catalog, EventKind, EventWeights};

use crate::ga4::Event;

/// Distinct visitors an item or a pair needs behind it when `catalog` is not told otherwise.
pub const MIN_VISITORS: usize = 5;
/// Items in the trending and members' lists.
pub const LIST_LENGTH: usize = 50;
/// Items kept in each item's bought-with list.
pub const BOUGHT_WITH: usize = 8;
/// Half-life of an event's weight in the trending list, in days.
pub const TRENDING_HALF_LIFE_DAYS: f64 = 7.0;
/// Orders or sessions with more items than this are left out of bought-together (a wholesale
/// order says little about what goes with what).
pub const MAX_BASKET: usize = 50;

/// Sets the catalog's `search_brands`: brands by the sessions with a search (`searched`, named
/// as [`Event::session`] names them) in which the visitor went on to an item of the brand,
/// among brands `min_visitors` distinct visitors did so for.
pub fn fill_brands(
    catalog: &mut Catalog,
    events: &[Event],
    searched: &HashSet<String>,
    min_visitors: usize,
) {
    let brand_of: HashMap<&str, &str> = catalog
        .items
        .iter()
        .filter(|i| !i.brand.trim().is_empty())
        .map(|i| (i.id.as_str(), i.brand.as_str()))
        .collect();
    let mut led: HashMap<&str, (HashSet<&str>, HashSet<&str>)> = HashMap::new();
    for e in events {
        let (Some(session), Some(brand)) = (&e.session, brand_of.get(e.item.as_str())) else {
            continue;
        };
        let onward = matches!(
            e.interaction.kind,
            EventKind::View | EventKind::Click | EventKind::AddToCart | EventKind::Purchase
        );
        if onward && searched.contains(session) {
            let (sessions, visitors) = led.entry(brand).or_default();
            sessions.insert(session);
            visitors.insert(&e.user);
        }
    }
    let brands = ranked(
        led.into_iter()
            .filter(|(_, (_, visitors))| visitors.len() >= min_visitors)
            .map(|(brand, (sessions, _))| (brand, sessions.len() as f64)),
    );
    catalog.search_brands = brands;
}

/// Sets the catalog's three placements from `events` (oldest first, as [`crate::ga4::read`]
/// sorts them): `trending`, `members` and the `bought_with` rows, in item id order.
pub fn fill(catalog: &mut Catalog, events: &[Event], min_visitors: usize) {
    catalog.trending = trending(events, min_visitors);
    catalog.members = members(events, min_visitors);
    let with = bought_with(events, min_visitors);
    let mut rows: Vec<Vec<String>> = with
        .into_iter()
        .map(|(item, with)| std::iter::once(item).chain(with).collect())
        .collect();
    rows.sort();
    catalog.bought_with = rows;
}

/// Items by recent popularity: each visitor counts once per item, with the weight of their
/// strongest event on it (`EventWeights`' defaults) halved for every
/// [`TRENDING_HALF_LIFE_DAYS`] before the log's latest event.
fn trending(events: &[Event], min_visitors: usize) -> Vec<String> {
    let weights = EventWeights::default();
    let latest = events
        .iter()
        .filter_map(|e| e.interaction.timestamp)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut strongest: HashMap<(&str, &str), f64> = HashMap::new();
    for e in events {
        let Some(w) = weights.weight_of(&e.interaction).filter(|&w| w > 0.0) else {
            continue;
        };
        let age_days = match e.interaction.timestamp {
            Some(t) if latest.is_finite() => ((latest - t) / 86_400.0).max(0.0),
            _ => 0.0,
        };
        let w = f64::from(w) * 0.5f64.powf(age_days / TRENDING_HALF_LIFE_DAYS);
        let at = strongest.entry((&e.item, &e.user)).or_insert(0.0);
        *at = at.max(w);
    }
    let mut scores: HashMap<&str, (f64, usize)> = HashMap::new();
    for ((item, _), w) in strongest {
        let s = scores.entry(item).or_insert((0.0, 0));
        s.0 += w;
        s.1 += 1;
    }
    ranked(
        scores
            .into_iter()
            .filter(|(_, (_, visitors))| *visitors >= min_visitors)
            .map(|(item, (score, _))| (item, score)),
    )
}

/// What the top tenth of buyers (by orders, or purchases where an order has no id) bought,
/// ranked by how many of them bought it.
fn members(events: &[Event], min_visitors: usize) -> Vec<String> {
    let purchases = || {
        events
            .iter()
            .filter(|e| e.interaction.kind == EventKind::Purchase)
    };
    let mut orders: HashMap<&str, HashSet<String>> = HashMap::new();
    for (n, e) in purchases().enumerate() {
        let order = e.basket.clone().unwrap_or_else(|| format!("purchase {n}"));
        orders.entry(&e.user).or_default().insert(order);
    }
    if orders.is_empty() {
        return Vec::new();
    }
    let mut counts: Vec<usize> = orders.values().map(HashSet::len).collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    // The top tenth, rounded up, and everyone tied with its last.
    let threshold = counts[counts.len().div_ceil(10) - 1];
    let top: HashSet<&str> = orders
        .iter()
        .filter(|(_, o)| o.len() >= threshold)
        .map(|(u, _)| *u)
        .collect();
    let mut buyers: HashMap<&str, HashSet<&str>> = HashMap::new();
    for e in purchases().filter(|e| top.contains(e.user.as_str())) {
        buyers.entry(&e.item).or_default().insert(&e.user);
    }
    ranked(
        buyers
            .into_iter()
            .filter(|(_, who)| who.len() >= min_visitors)
            .map(|(item, who)| (item, who.len() as f64)),
    )
}

/// Per item, the items that shared an order or a session's cart with it most often, counted in
/// orders and sessions, among pairs that `min_visitors` distinct visitors made.
fn bought_with(events: &[Event], min_visitors: usize) -> HashMap<String, Vec<String>> {
    let mut baskets: BTreeMap<&str, (&str, Vec<&str>)> = BTreeMap::new();
    for e in events {
        let (Some(basket), EventKind::Purchase | EventKind::AddToCart) =
            (&e.basket, e.interaction.kind)
        else {
            continue;
        };
        let (_, items) = baskets.entry(basket).or_insert((&e.user, Vec::new()));
        if !items.contains(&e.item.as_str()) {
            items.push(&e.item);
        }
    }
    // Per pair: baskets, and the distinct visitors behind them (enough of them to decide).
    let mut pairs: HashMap<(&str, &str), (usize, Vec<&str>)> = HashMap::new();
    for (user, items) in baskets.values() {
        if items.len() < 2 || items.len() > MAX_BASKET {
            continue;
        }
        for &a in items {
            for &b in items {
                if a == b {
                    continue;
                }
                let (count, who) = pairs.entry((a, b)).or_insert((0, Vec::new()));
                *count += 1;
                if who.len() < min_visitors && !who.contains(user) {
                    who.push(user);
                }
            }
        }
    }
    let mut rows: HashMap<&str, Vec<(&str, f64)>> = HashMap::new();
    for ((a, b), (count, who)) in pairs {
        if who.len() >= min_visitors {
            rows.entry(a).or_default().push((b, count as f64));
        }
    }
    rows.into_iter()
        .map(|(a, row)| {
            let mut with = ranked(row.into_iter());
            with.truncate(BOUGHT_WITH);
            (a.to_owned(), with)
        })
        .collect()
}

/// Ids by score, highest first, ties by id, at most [`LIST_LENGTH`].
fn ranked<'a>(scored: impl Iterator<Item = (&'a str, f64)>) -> Vec<String> {
    let mut scored: Vec<(&str, f64)> = scored.collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    scored
        .into_iter()
        .take(LIST_LENGTH)
        .map(|(id, _)| id.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tastebud_core::Interaction;

    fn event(user: &str, item: &str, kind: EventKind, days: f64, basket: Option<&str>) -> Event {
        Event {
            user: user.into(),
            item: item.into(),
            interaction: Interaction::new(kind).at(days * 86_400.0),
            basket: basket.map(str::to_owned),
            session: basket.map(str::to_owned),
        }
    }

    #[test]
    fn trending_decays_with_age_and_needs_enough_visitors() {
        let mut log = Vec::new();
        // Three visitors each: "old" viewed 4 weeks ago, "new" viewed today.
        for u in ["a", "b", "c"] {
            log.push(event(u, "old", EventKind::View, 0.0, None));
            log.push(event(u, "new", EventKind::View, 28.0, None));
            // Repeated views by one visitor count once.
            log.push(event(u, "new", EventKind::View, 28.0, None));
        }
        // One visitor's purchase, however strong, is not enough visitors.
        log.push(event("d", "solo", EventKind::Purchase, 28.0, None));
        assert_eq!(trending(&log, 3), ["new", "old"]);
        assert_eq!(trending(&log, 1), ["solo", "new", "old"]);
        assert!(trending(&log, 4).is_empty());
    }

    #[test]
    fn members_are_the_top_tenth_of_buyers() {
        let mut log = Vec::new();
        // Ten buyers of "common"; two of them also bought "rare" over many orders.
        for u in 0..10 {
            log.push(event(
                &format!("u{u}"),
                "common",
                EventKind::Purchase,
                0.0,
                Some(&format!("o{u}")),
            ));
        }
        for u in 0..2 {
            for o in 0..5 {
                let user = format!("u{u}");
                log.push(event(
                    &user,
                    "rare",
                    EventKind::Purchase,
                    1.0,
                    Some(&format!("r{u}-{o}")),
                ));
            }
        }
        // The top tenth of ten buyers is one, and the other with as many orders ties with it.
        assert_eq!(members(&log, 2), ["common", "rare"]);
        assert!(members(&log, 3).is_empty());
    }

    #[test]
    fn search_brands_count_the_sessions_searches_led_to() {
        let item = |id: &str, brand: &str| {
            format!(
                r#"{{"id":"{id}","title":{{"en":"{id}"}},"description":{{"en":""}},"brand":"{brand}","category":"c","price":1.0,"picture":{{"glyph":"dot","hue":0}}}}"#
            )
        };
        let json = format!(
            r#"{{"version":1,"shop":{{"en":"S"}},"currency":"EUR","areas":[{{"id":"a","name":{{"en":"A"}}}}],"categories":[{{"id":"c","area":"a","name":{{"en":"C"}}}}],"items":[{},{},{}]}}"#,
            item("tent", "Alpenrest"),
            item("mug", "Trailcup"),
            item("plain", "")
        );
        let mut catalog = tastebud_core::Catalog::from_json(&json).unwrap();
        let (a, b) = ("tent".to_owned(), "mug".to_owned());
        let brand = |id: &str| {
            if id == "tent" {
                "Alpenrest"
            } else {
                "Trailcup"
            }
            .to_owned()
        };
        let mut log = Vec::new();
        let mut searched = HashSet::new();
        for u in 0..3 {
            let session = format!("session u{u} 1");
            searched.insert(session.clone());
            log.push(event(
                &format!("u{u}"),
                &a,
                EventKind::View,
                0.0,
                Some(&session),
            ));
            // A session without a search leads nowhere.
            log.push(event(
                &format!("u{u}"),
                &b,
                EventKind::View,
                0.0,
                Some("session x 9"),
            ));
        }
        // A purchase counts through its session, whatever its order's id.
        let mut bought = event("u0", &b, EventKind::Purchase, 0.0, Some("order 7"));
        bought.session = Some("session u0 1".into());
        log.push(bought);
        fill_brands(&mut catalog, &log, &searched, 1);
        assert_eq!(catalog.search_brands, [brand(&a), brand(&b)]);
        fill_brands(&mut catalog, &log, &searched, 2);
        assert_eq!(catalog.search_brands, [brand(&a)]);
    }

    #[test]
    fn bought_together_counts_orders_and_sessions() {
        let mut log = Vec::new();
        for (u, basket) in [("a", "o1"), ("b", "o2"), ("c", "s3")] {
            log.push(event(u, "tent", EventKind::Purchase, 0.0, Some(basket)));
            log.push(event(u, "stove", EventKind::AddToCart, 0.0, Some(basket)));
        }
        log.push(event("a", "tent", EventKind::Purchase, 0.0, Some("o4")));
        log.push(event("a", "mug", EventKind::Purchase, 0.0, Some("o4")));
        // Views do not make a basket.
        log.push(event("b", "tent", EventKind::View, 0.0, Some("o5")));
        log.push(event("b", "lamp", EventKind::View, 0.0, Some("o5")));
        let with = bought_with(&log, 1);
        assert_eq!(with["tent"], ["stove", "mug"]);
        assert_eq!(with["mug"], ["tent"]);
        assert!(!with.contains_key("lamp"));
        // Only one visitor bought a mug with a tent.
        let with = bought_with(&log, 2);
        assert_eq!(with["tent"], ["stove"]);
        assert!(!with.contains_key("mug"));
    }
}
