//! A small shop for tests: three niches and a mainstream category, with a model trained on
//! shoppers who each stick to one niche (plus some mainstream items).
#![allow(dead_code)]

use tastebud_core::{
    fit, AlsParams, Area, Catalog, CatalogItem, Category, CsrMatrix, Localized, Model, Picture,
    Precision, Provenance, ShopData, CATALOG_VERSION,
};

pub const CATEGORIES: [(&str, &str, &str, bool); 4] = [
    ("pour-over", "Pour-over coffee", "手冲咖啡", true),
    ("ul-camp", "Ultralight camping", "轻量化露营", true),
    ("xc-ski", "Cross-country skiing", "越野滑雪", true),
    ("basics", "Everyday basics", "日常用品", false),
];
pub const PER_CATEGORY: usize = 10;

fn l(en: &str, zh: &str) -> Localized {
    Localized {
        en: en.into(),
        zh: zh.into(),
    }
}

/// Item ids of a category, e.g. `pour-over-3`.
pub fn item_id(category: usize, n: usize) -> String {
    format!("{}-{n}", CATEGORIES[category].0)
}

pub fn catalog() -> Catalog {
    let mut items = Vec::new();
    for (c, (id, en, zh, _)) in CATEGORIES.iter().enumerate() {
        for n in 0..PER_CATEGORY {
            items.push(CatalogItem {
                id: item_id(c, n),
                title: l(&format!("{en} item {n}"), &format!("{zh}商品{n}")),
                description: l(&format!("A thing for {en}."), &format!("适合{zh}。")),
                brand: format!("Brand{c}"),
                category: id.to_string(),
                price: 10.0 + n as f64,
                tags: vec![id.to_string()],
                picture: Picture {
                    glyph: "mug".into(),
                    hue: (c * 90) as u16,
                },
                url: Some(format!("#/item/{}", item_id(c, n))),
                availability: Default::default(),
            });
        }
    }
    // New in the catalog since the model was trained: served from cold-start factors.
    items.push(CatalogItem {
        id: "ul-camp-new".into(),
        title: l("Brand-new ultralight quilt", "全新轻量化睡被"),
        description: l("Just arrived.", "新到货。"),
        brand: "Brand1".into(),
        category: "ul-camp".into(),
        price: 99.0,
        tags: vec![],
        picture: Picture {
            glyph: "tent".into(),
            hue: 90,
        },
        url: None,
        availability: Default::default(),
    });
    let mut shop_data = ShopData::default();
    shop_data.ratings.insert(item_id(0, 1), (1, 5.0));
    shop_data.ratings.insert(item_id(1, 2), (30, 141.0));
    shop_data.ratings.insert(item_id(3, 0), (20, 60.0));
    shop_data.searches.insert("pour over".into(), 12);
    shop_data.searches.insert("帐篷".into(), 7);
    shop_data.creator_picks = vec![
        ("Mia".into(), item_id(1, 0)),
        ("Mia".into(), item_id(1, 3)),
        ("Leo".into(), item_id(0, 4)),
    ];
    Catalog {
        version: CATALOG_VERSION,
        shop: l("Test shop", "测试商店"),
        currency: "EUR".into(),
        areas: vec![
            Area {
                id: "outdoors".into(),
                name: l("Outdoors", "户外"),
            },
            Area {
                id: "home".into(),
                name: l("Home", "家居"),
            },
        ],
        categories: CATEGORIES
            .iter()
            .map(|(id, en, zh, niche)| Category {
                id: id.to_string(),
                area: if *id == "pour-over" || *id == "basics" {
                    "home"
                } else {
                    "outdoors"
                }
                .into(),
                name: l(en, zh),
                niche: *niche,
            })
            .collect(),
        items,
        shop_data,
        trending: Vec::new(),
        members: Vec::new(),
        bought_with: Vec::new(),
        search_brands: Vec::new(),
    }
}

/// A model over every catalog item: 120 shoppers, each in one niche, most with a few basics.
pub fn model() -> Model {
    let n_items = CATEGORIES.len() * PER_CATEGORY;
    let mut cells = Vec::new();
    for u in 0..120u32 {
        let niche = (u % 3) as usize;
        for n in 0..PER_CATEGORY {
            if !(u as usize + n).is_multiple_of(3) {
                cells.push((u, (niche * PER_CATEGORY + n) as u32, 1.0));
            }
        }
        for n in 0..3 {
            cells.push((
                u,
                (3 * PER_CATEGORY + (u as usize + n) % PER_CATEGORY) as u32,
                1.0,
            ));
        }
    }
    let prefs = CsrMatrix::from_triplets(120, n_items, &cells);
    let params = AlsParams::new()
        .factors(8)
        .iterations(10)
        .seed(3)
        .check()
        .unwrap();
    let f = fit(&prefs, &params, |_| {}).unwrap();
    let ids = (0..CATEGORIES.len())
        .flat_map(|c| (0..PER_CATEGORY).map(move |n| item_id(c, n)))
        .collect();
    Model::new(
        ids,
        f.items,
        params.fold_in(),
        prefs.column_counts(),
        Precision::Int8,
        Provenance::default(),
    )
    .unwrap()
}

/// The shop as the page would fetch it.
pub fn files() -> (String, Vec<u8>) {
    (
        serde_json::to_string(&catalog()).unwrap(),
        model().to_bytes(),
    )
}

/// The shop with a version 4 model whose item-item part makes liking item 0 of the first niche
/// push item 1 of another category: `(catalog, model, liked id, pushed id)`.
pub fn files_with_item_item() -> (String, Vec<u8>, String, String) {
    let (catalog, _) = files();
    let mut m = model();
    let (liked, pushed) = (item_id(1, 0), item_id(3, 1));
    let (x, y) = (
        m.item_index(&liked).unwrap(),
        m.item_index(&pushed).unwrap(),
    );
    let mut rows = vec![Vec::new(); m.n_items()];
    rows[x as usize] = vec![(y, 50.0)];
    let nb = tastebud_core::Neighbours::from_rows(rows, 1.0, 1.0).unwrap();
    m.set_neighbours(Some(nb)).unwrap();
    (catalog, m.to_bytes(), liked, pushed)
}

/// The shop with a version 6 model whose transition model says that after item 0 of the first
/// niche comes item 1 of another category, and after item 0 of the second niche item 2 of a
/// third: `(catalog, model, [(from, next); 2])`.
pub fn files_with_transitions() -> (String, Vec<u8>, [(String, String); 2]) {
    let (catalog, _) = files();
    let mut m = model();
    let pairs = [
        (item_id(1, 0), item_id(3, 1)),
        (item_id(2, 0), item_id(0, 2)),
    ];
    let mut rows = vec![Vec::new(); m.n_items()];
    for (from, next) in &pairs {
        let (x, y) = (m.item_index(from).unwrap(), m.item_index(next).unwrap());
        rows[x as usize] = vec![(y, 1.0)];
    }
    let table = tastebud_core::ItemTable::from_rows(rows).unwrap();
    // Depth 1: only the latest item is read.
    let t = tastebud_core::Transitions::new(table, 50.0, 0.5, 1).unwrap();
    m.set_transitions(Some(t)).unwrap();
    (catalog, m.to_bytes(), pairs)
}
