//! Merchandising rules over random catalogs, rankings and rule sets: only allowed items show, none
//! twice, the list is as long as the candidates allow, pins sit where asked, boosts reorder by
//! weighted rank, and scores are untouched.

use proptest::prelude::*;
use tastebud_core::{Availability, Boost, CatalogItem, Field, Localized, Picture, Rules};

const CATEGORIES: [&str; 3] = ["tents", "skis", "coffee"];
const BRANDS: [&str; 2] = ["Alpen", "Brew"];
const TAGS: [&str; 3] = ["sale", "new", "eco"];
const STOCK: [Availability; 4] = [
    Availability::InStock,
    Availability::OutOfStock,
    Availability::Preorder,
    Availability::Backorder,
];

fn item(
    n: usize,
    category: usize,
    brand: usize,
    tags: u8,
    price: f64,
    stock: usize,
) -> CatalogItem {
    CatalogItem {
        id: format!("i{n}"),
        title: Localized::default(),
        description: Localized::default(),
        brand: BRANDS[brand].into(),
        category: CATEGORIES[category].into(),
        price,
        tags: (0..3)
            .filter(|t| tags & (1 << t) != 0)
            .map(|t| TAGS[t].to_string())
            .collect(),
        picture: Picture::default(),
        url: None,
        availability: STOCK[stock],
    }
}

fn items() -> impl Strategy<Value = Vec<CatalogItem>> {
    prop::collection::vec(
        (0..3usize, 0..2usize, 0..8u8, 1.0..100.0f64, 0..4usize),
        1..30,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(n, (c, b, t, p, s))| item(n, c, b, t, p, s))
            .collect()
    })
}

fn field() -> impl Strategy<Value = (Field, String)> {
    prop_oneof![
        (0..3usize).prop_map(|c| (Field::Category, CATEGORIES[c].to_string())),
        (0..2usize).prop_map(|b| (Field::Brand, BRANDS[b].to_string())),
        (0..3usize).prop_map(|t| (Field::Tag, TAGS[t].to_string())),
    ]
}

fn rules() -> impl Strategy<Value = Rules> {
    (
        any::<bool>(),
        prop::collection::vec(0..30usize, 0..4),
        prop::option::of(1.0..60.0f64),
        prop::option::of(40.0..100.0f64),
        prop::collection::vec(field(), 0..2),
        prop::collection::vec(field(), 0..2),
        prop::collection::vec((field(), 0.25..4.0f32), 0..3),
        prop::collection::vec((0..30usize, 0..12usize), 0..3),
    )
        .prop_map(
            |(out_of_stock, exclude, lo, hi, include, exclude_matching, boosts, pins)| Rules {
                include_out_of_stock: out_of_stock,
                exclude: exclude.into_iter().map(|n| format!("i{n}")).collect(),
                price_min: lo,
                price_max: hi.filter(|h| lo.is_none_or(|l| l <= *h)),
                include,
                exclude_matching,
                boosts: boosts
                    .into_iter()
                    .map(|((field, value), weight)| Boost {
                        field,
                        value,
                        weight,
                    })
                    .collect(),
                pins: pins
                    .into_iter()
                    .map(|(n, at)| (format!("i{n}"), at))
                    .collect(),
            },
        )
}

/// A ranking of some of the items, best first, with decreasing scores.
fn ranking(n: usize) -> impl Strategy<Value = Vec<(usize, f32)>> {
    Just((0..n).collect::<Vec<usize>>())
        .prop_shuffle()
        .prop_flat_map(move |order| {
            (0..=n).prop_map(move |take| {
                order[..take]
                    .iter()
                    .enumerate()
                    .map(|(r, &i)| (i, 10.0 - r as f32 * 0.1))
                    .collect()
            })
        })
}

fn case() -> impl Strategy<Value = (Vec<CatalogItem>, Vec<(usize, f32)>, Rules, usize)> {
    items().prop_flat_map(|items| {
        let n = items.len();
        (Just(items), ranking(n), rules(), 0..16usize)
    })
}

proptest! {
    #[test]
    fn rules_show_only_allowed_items_each_once_and_as_many_as_allowed(
        (items, ranked, rules, n) in case()
    ) {
        prop_assert!(rules.check().is_ok());
        let placed = rules.apply(&items, &ranked, n);
        let mut seen = std::collections::HashSet::new();
        for p in &placed {
            prop_assert!(rules.allows(&items[p.item]), "{:?} is not allowed", items[p.item].id);
            prop_assert!(seen.insert(p.item), "{} twice", items[p.item].id);
            // Only a pin brings an item from outside the ranking.
            prop_assert!(p.pinned || ranked.iter().any(|(i, _)| *i == p.item));
        }
        // As long as the allowed candidates and pins allow.
        let mut available: std::collections::HashSet<usize> = ranked
            .iter()
            .map(|&(i, _)| i)
            .filter(|&i| rules.allows(&items[i]))
            .collect();
        for (id, _) in &rules.pins {
            if let Some(i) = items.iter().position(|it| it.id == *id) {
                if rules.allows(&items[i]) {
                    available.insert(i);
                }
            }
        }
        prop_assert_eq!(placed.len(), available.len().min(n));
        // Out of stock never shows by default.
        if !rules.include_out_of_stock {
            prop_assert!(placed.iter().all(|p| items[p.item].availability != Availability::OutOfStock));
        }
    }

    #[test]
    fn unpinned_items_follow_their_weighted_rank(
        (items, ranked, rules, n) in case()
    ) {
        let placed = rules.apply(&items, &ranked, n);
        let key = |i: usize| {
            let rank = ranked.iter().position(|&(j, _)| j == i).unwrap();
            ((rank + 1) as f32 / rules.weight(&items[i]), rank)
        };
        let free: Vec<usize> = placed.iter().filter(|p| !p.pinned).map(|p| p.item).collect();
        for w in free.windows(2) {
            let (a, b) = (key(w[0]), key(w[1]));
            prop_assert!(a.0 < b.0 || (a.0 == b.0 && a.1 < b.1), "{:?} before {:?}", a, b);
        }
        // With no boosts and no pins, the allowed candidates in their order.
        let plain = Rules { boosts: vec![], pins: vec![], ..rules.clone() };
        let expected: Vec<usize> = ranked
            .iter()
            .map(|&(i, _)| i)
            .filter(|&i| plain.allows(&items[i]))
            .take(n)
            .collect();
        let got: Vec<usize> = plain.apply(&items, &ranked, n).iter().map(|p| p.item).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn pins_at_distinct_positions_inside_the_list_sit_there(
        (items, ranked, rules, n) in case()
    ) {
        let placed = rules.apply(&items, &ranked, n);
        let mut positions: Vec<usize> = rules.pins.iter().map(|(_, at)| *at).collect();
        positions.sort_unstable();
        positions.dedup();
        let mut ids: Vec<&String> = rules.pins.iter().map(|(id, _)| id).collect();
        ids.sort_unstable();
        ids.dedup();
        if positions.len() == rules.pins.len() && ids.len() == rules.pins.len() {
            for (id, at) in &rules.pins {
                let Some(i) = items.iter().position(|it| it.id == *id) else { continue };
                if !rules.allows(&items[i]) || *at >= placed.len() {
                    continue;
                }
                // Unless the other items ran out before its position (then the pins close up
                // at the end of the list).
                let earlier = placed.iter().filter(|p| p.pinned).filter(|p| {
                    rules.pins.iter().any(|(id, q)| q < at && items[p.item].id == *id)
                }).count();
                let free = placed.iter().filter(|p| !p.pinned).count();
                if free + earlier >= *at {
                    prop_assert_eq!(placed[*at].item, i, "{} not at {}", id, at);
                    prop_assert!(placed[*at].pinned);
                }
            }
        }
    }
}

proptest! {
    /// The text form (widget attributes, `recommend()` options) reads back as the rules it wrote,
    /// prices in cents as shops write them.
    #[test]
    fn rules_read_back_from_their_text(rules in rules()) {
        let cents = |p: Option<f64>| p.map(|p| (p * 100.0).round() / 100.0);
        let rules = Rules {
            include_out_of_stock: false,
            price_min: cents(rules.price_min),
            price_max: cents(rules.price_max),
            ..rules
        };
        prop_assert_eq!(Rules::parse(&rules.to_text()).unwrap(), rules);
    }
}

#[test]
fn rules_read_as_a_page_writes_them() {
    let text = "exclude=SKU-1, SKU-2,\n\n price-min = 10\nprice-max=250.5\ninclude-categories=camping, cross-country skiing\nexclude-brands=Acme\nexclude-tags=clearance\nboost=category:coffee=2, tag:sale=0.5\npin=SKU-9@1, SKU-4@3\nexclude=SKU-3";
    let rules = Rules::parse(text).unwrap();
    assert_eq!(rules.exclude, ["SKU-1", "SKU-2", "SKU-3"]);
    assert_eq!(
        (rules.price_min, rules.price_max),
        (Some(10.0), Some(250.5))
    );
    assert_eq!(
        rules.include,
        [
            (Field::Category, "camping".to_string()),
            (Field::Category, "cross-country skiing".to_string())
        ]
    );
    assert_eq!(
        rules.exclude_matching,
        [
            (Field::Brand, "Acme".to_string()),
            (Field::Tag, "clearance".to_string())
        ]
    );
    assert_eq!(rules.boosts.len(), 2);
    assert_eq!(
        (rules.boosts[1].field, rules.boosts[1].weight),
        (Field::Tag, 0.5)
    );
    // Positions count from 1 in the text, from 0 in code.
    assert_eq!(
        rules.pins,
        [("SKU-9".to_string(), 0), ("SKU-4".to_string(), 2)]
    );
    assert_eq!(Rules::parse("").unwrap(), Rules::default());
}

#[test]
fn unreadable_rules_say_what_is_wrong() {
    for (text, says) in [
        ("price-min=cheap", "price-min \"cheap\" is not a number"),
        ("price-min=50\nprice-max=10", "above price-max"),
        ("boost=coffee=2", "field:value=weight"),
        ("boost=colour:red=2", "field:value=weight"),
        ("boost=brand:Acme=0", "with a positive weight"),
        ("boost=brand:Acme=-2", "with a positive weight"),
        ("boost=brand:Acme=lots", "field:value=weight"),
        ("pin=SKU-1@0", "id@position"),
        ("pin=SKU-1", "id@position"),
        ("pin=@2", "id@position"),
        ("show-everything=yes", "unknown rule \"show-everything\""),
    ] {
        let e = Rules::parse(text).unwrap_err();
        assert!(e.contains(says), "{text}: {e}");
    }
}

#[test]
fn a_pin_past_the_lists_end_never_hides_a_ranked_item() {
    let items: Vec<CatalogItem> = (0..5).map(|n| item(n, 0, 0, 0, 10.0, 0)).collect();
    let ranked: Vec<(usize, f32)> = (0..5).map(|i| (i, 5.0 - i as f32)).collect();
    // i1 ranks second; pinned at the tenth place of a three-item list it keeps its place.
    let rules = Rules::parse("pin=i1@10").unwrap();
    let placed: Vec<usize> = rules
        .apply(&items, &ranked, 3)
        .iter()
        .map(|p| p.item)
        .collect();
    assert_eq!(placed, [0, 1, 2]);
    // Inside the list, the pin moves it.
    let rules = Rules::parse("pin=i1@3").unwrap();
    let placed: Vec<usize> = rules
        .apply(&items, &ranked, 3)
        .iter()
        .map(|p| p.item)
        .collect();
    assert_eq!(placed, [0, 2, 1]);
    // A pin the ranking lacks, past the end of a short list, closes up at the end.
    let placed: Vec<usize> = Rules::parse("pin=i4@10")
        .unwrap()
        .apply(&items, &ranked[..2], 3)
        .iter()
        .map(|p| p.item)
        .collect();
    assert_eq!(placed, [0, 1, 4]);
}

#[test]
fn bad_rules_are_named() {
    let boost = Rules {
        boosts: vec![Boost {
            field: Field::Brand,
            value: "Alpen".into(),
            weight: 0.0,
        }],
        ..Rules::default()
    };
    assert!(boost.check().unwrap_err().contains("Alpen"));
    let prices = Rules {
        price_min: Some(50.0),
        price_max: Some(10.0),
        ..Rules::default()
    };
    assert!(prices.check().unwrap_err().contains("price-min"));
    let nan = Rules {
        price_max: Some(f64::NAN),
        ..Rules::default()
    };
    assert!(nan.check().is_err());
}

#[test]
fn feed_availability_values_are_read_as_merchant_center_spells_them() {
    for (raw, want) in [
        ("in_stock", Availability::InStock),
        ("in stock", Availability::InStock),
        ("OUT_OF_STOCK", Availability::OutOfStock),
        ("out-of-stock", Availability::OutOfStock),
        ("preorder", Availability::Preorder),
        ("backorder", Availability::Backorder),
    ] {
        assert_eq!(Availability::from_feed(raw), Some(want), "{raw}");
    }
    assert_eq!(Availability::from_feed("soon"), None);
    // A catalog file leaves in-stock out, and reads it back.
    let tent = item(0, 0, 0, 0, 10.0, 0);
    let json = serde_json::to_string(&tent).unwrap();
    assert!(!json.contains("availability"), "{json}");
    let gone = item(1, 0, 0, 0, 10.0, 1);
    let json = serde_json::to_string(&gone).unwrap();
    assert!(json.contains("\"availability\":\"out_of_stock\""), "{json}");
    assert_eq!(serde_json::from_str::<CatalogItem>(&json).unwrap(), gone);
}
