//! `tastebud catalog --from`: Merchant Center feeds (RSS/XML and TSV) and Shopify exports from
//! tests/fixtures/ into the catalog the storefront loads.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, fixture, json, ok, s, write};
use serde_json::{json, Value};
use tastebud_core::{Catalog, CatalogItem};

/// Builds a catalog from `feed` and returns the `--json` summary and the catalog.
fn build(dir: &Path, format: &str, feed: &Path, extra: &[&str]) -> (Value, Catalog) {
    let out = dir.join("catalog.json");
    let mut args = vec![
        "catalog",
        "--from",
        format,
        s(feed),
        "--out",
        s(&out),
        "--json",
    ];
    args.extend(extra);
    let summary = json(args);
    let text = std::fs::read_to_string(&out).unwrap();
    let catalog = Catalog::from_json(&text).expect("the storefront accepts the catalog");
    (summary, catalog)
}

fn item<'a>(catalog: &'a Catalog, id: &str) -> &'a CatalogItem {
    catalog
        .items
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

fn ids(catalog: &Catalog) -> Vec<&str> {
    catalog.items.iter().map(|i| i.id.as_str()).collect()
}

fn reject(format: &str, feed: PathBuf) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.json");
    let e = fails(["catalog", "--from", format, s(&feed), "--out", s(&out)]);
    assert!(!out.exists());
    e
}

#[test]
fn a_merchant_rss_feed_becomes_a_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let feed = fixture("merchant/feed.xml");
    let (summary, c) = build(dir.path(), "merchant-feed", &feed, &[]);
    assert_eq!(summary["from"], "merchant-feed");
    assert_eq!(summary["layout"], "RSS/XML");
    assert_eq!(summary["rows"], 23);
    assert_eq!(summary["items"], 21);
    assert_eq!(summary["items_with_variants"], 2);
    assert_eq!(summary["variants"], 4);
    assert_eq!(summary["problems"], json!([]));
    assert_eq!(summary["currency_source"], "from the prices");

    assert_eq!(c.version, tastebud_core::CATALOG_VERSION);
    assert_eq!(c.shop.en, "Northfold Outfitters");
    assert_eq!(c.currency, "EUR");
    let areas: Vec<&str> = c.areas.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(areas, ["outdoors", "kitchen", "arts-entertainment"]);
    let categories: Vec<(&str, &str, &str)> = c
        .categories
        .iter()
        .map(|k| (k.id.as_str(), k.area.as_str(), k.name.en.as_str()))
        .collect();
    assert_eq!(
        categories,
        [
            ("outdoors-tents", "outdoors", "Tents"),
            ("outdoors-camping-mugs", "outdoors", "Camping mugs"),
            ("kitchen-tea", "kitchen", "Tea"),
            ("kitchen-coffee", "kitchen", "Coffee"),
            // No product_type: Google's category path, entities decoded.
            (
                "arts-entertainment-gift-cards-certificates",
                "arts-entertainment",
                "Gift Cards & Certificates"
            ),
        ]
    );

    // Every field of a full item; CDATA HTML reduced to text; the shipping block's own
    // <g:price> does not replace the item's.
    let tent = item(&c, "TENT-1P");
    assert_eq!(tent.title.en, "Ridge solo tent");
    assert_eq!(
        tent.description.en,
        "Pitches in two minutes. 1.2 kg Sleeps 1 & gear"
    );
    assert_eq!(
        tent.url.as_deref(),
        Some("https://northfold.example/p/tent-1p")
    );
    assert_eq!(tent.price, 189.0);
    assert_eq!(tent.brand, "Northfold");
    assert_eq!(tent.category, "outdoors-tents");
    assert_eq!(tent.picture.glyph, "tent");
    assert!(tent.picture.hue < 360);

    // Variants sharing an item_group_id fold into one item with the group's id, the shared
    // title and the lowest price; the first variant's description is empty, the second's used.
    let tent2 = item(&c, "TENT-2P");
    assert_eq!(
        (tent2.title.en.as_str(), tent2.price),
        ("Ridge 2-person tent", 239.0)
    );
    let mug = item(&c, "MUG-TRAIL");
    assert_eq!((mug.title.en.as_str(), mug.price), ("Trail mug", 12.5));
    // Escaped HTML with a double-escaped &nbsp; (collapsed with the other whitespace).
    assert_eq!(mug.description.en, "Enamelled steel, 350 ml.");
    for variant in ["TENT-2P-GRN", "TENT-2P-ORG", "MUG-BLU", "MUG-RED"] {
        assert!(!ids(&c).contains(&variant), "{variant}");
    }
    // RSS's own unprefixed title, link and description.
    let enamel = item(&c, "MUG-ENAMEL");
    assert_eq!(enamel.title.en, "Enamel camp mug");
    assert_eq!(
        enamel.url.as_deref(),
        Some("https://northfold.example/p/mug-enamel")
    );
    assert_eq!(enamel.description.en, "Speckled, stackable.");
    // XML entities and character references; Chinese text goes to both languages.
    assert_eq!(item(&c, "TEA-EARL").title.en, "Earl Grey & bergamot");
    assert_eq!(item(&c, "TEA-EARL").title.zh, "");
    assert_eq!(item(&c, "TEA-EARL").brand, "Leaf & Kettle");
    let longjing = item(&c, "TEA-LONGJING");
    assert_eq!(longjing.title.en, "龙井绿茶 Longjing green tea");
    assert_eq!(longjing.title.zh, longjing.title.en);
    assert_eq!(item(&c, "TEA-PUER").description.zh, "云南熟普，2016年。");
    assert_eq!(item(&c, "GIFT-CARD").picture.glyph, "gift");
    assert_eq!(item(&c, "COF-ETH").picture.glyph, "mug");

    // The storefront never loads another origin's image.
    let text = std::fs::read_to_string(dir.path().join("catalog.json")).unwrap();
    assert!(
        !text.contains("cdn.northfold.example"),
        "image links leaked"
    );
    assert!(!text.contains("4.95"), "the shipping price leaked");

    // The same feed gives the same bytes.
    let again = dir.path().join("again.json");
    ok([
        "catalog",
        "--from",
        "merchant-feed",
        s(&feed),
        "--out",
        s(&again),
    ]);
    assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());
}

#[test]
fn merchant_rows_with_problems_are_skipped_with_their_item_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, c) = build(
        dir.path(),
        "merchant-feed",
        &fixture("merchant/bad-rows.xml"),
        &[],
    );
    assert_eq!(ids(&c), ["OK-1", "SCRIPT-LINK", "RELATIVE-LINK"]);
    assert_eq!(item(&c, "SCRIPT-LINK").url, None);
    assert_eq!(item(&c, "RELATIVE-LINK").url, None);
    assert_eq!(
        summary["problems"],
        json!([
            "item 2 (line 11): no id; skipped",
            "item 3 (line 15): product \"NO-PRICE\" has no price; skipped",
            "item 4 (line 19): price \"free\" is not an amount such as \"12.50 EUR\"; skipped",
            "item 5 (line 24): id \"OK-1\" repeats item 1 (line 5); skipped",
            "item 6 (line 29): link \"javascript:alert(document.cookie)\" is not an absolute http(s) URL; dropped",
            "item 7 (line 35): link \"/p/relative\" is not an absolute http(s) URL; dropped",
            "item 8 (line 41): price \"14.00 USD\" is not in EUR; pass --currency or split the feed by currency; skipped",
            "item 9 (line 46): product \"NO-TITLE\" has no title; skipped",
            "item 10 (line 51): item_group_id \"OK-1\" is also a product's id; skipped",
        ])
    );
    let text = ok([
        "catalog",
        "--from",
        "merchant-feed",
        s(&fixture("merchant/bad-rows.xml")),
        "--out",
        s(&dir.path().join("c.json")),
    ]);
    assert!(
        text.contains("\n9 problems:\n  item 2 (line 11): no id; skipped\n"),
        "{text}"
    );

    // With --currency USD the dollar row is the one that fits.
    let (summary, c) = build(
        dir.path(),
        "merchant-feed",
        &fixture("merchant/bad-rows.xml"),
        &["--currency", "usd"],
    );
    assert_eq!(c.currency, "USD");
    assert_eq!(ids(&c), ["DOLLARS"]);
    assert_eq!(summary["currency_source"], "--currency");
}

#[test]
fn a_merchant_tsv_feed_becomes_a_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, c) = build(
        dir.path(),
        "merchant-feed",
        &fixture("merchant/feed.tsv"),
        &["--shop-name", "Snowline"],
    );
    assert_eq!(summary["layout"], "TSV");
    assert_eq!(c.shop.en, "Snowline");
    assert_eq!(c.currency, "EUR");
    assert_eq!(ids(&c), ["SKI-ALP", "BOOT-TOUR", "JACKET", "GLOVES"]);
    let ski = item(&c, "SKI-ALP");
    assert_eq!(ski.description.en, "Carbon & paulownia core.");
    assert_eq!(
        (ski.category.as_str(), ski.picture.glyph.as_str()),
        ("winter-sports-skis", "ski")
    );
    let boot = item(&c, "BOOT-TOUR");
    assert_eq!(
        (boot.title.en.as_str(), boot.price),
        ("Touring boot", 379.0)
    );
    assert_eq!(boot.picture.glyph, "shoe");
    // A quoted value with doubled quotes and a tab inside.
    let jacket = item(&c, "JACKET");
    assert_eq!(jacket.title.en, "The \"Summit\" shell jacket");
    assert_eq!(
        jacket.description.en,
        "Waterproof, breathable: a tab and quotes inside one value."
    );
    assert_eq!(jacket.category, "apparel-accessories-outerwear");
    let gloves = item(&c, "GLOVES");
    assert_eq!(gloves.title.zh, "保暖滑雪手套 Ski gloves");
    assert_eq!(gloves.brand, "雪线");
    assert_eq!(
        summary["problems"],
        json!([
            "line 7: 4 fields, the header has 12 (a tab inside a value needs quotes); skipped",
            "line 8: product \"NOPRICE\" has no price; skipped",
            "line 9: id \"SKI-ALP\" repeats line 2; skipped",
        ])
    );
}

#[test]
fn a_shopify_export_folds_variant_and_image_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, c) = build(
        dir.path(),
        "shopify-csv",
        &fixture("shopify/products.csv"),
        &[],
    );
    assert_eq!(summary["layout"], "CSV");
    assert_eq!(summary["rows"], 15);
    assert_eq!(summary["left_out"], 2);
    assert_eq!(summary["currency"], "USD");
    assert_eq!(summary["currency_source"], "default; pass --currency");
    assert_eq!(c.shop.en, "Shop");
    // Drafts and archived products are left out; the duplicate and broken rows skipped.
    assert_eq!(
        ids(&c),
        ["camp-kettle", "merino-beanie", "oolong-tea", "trail-mug"]
    );

    let kettle = item(&c, "camp-kettle");
    assert_eq!(kettle.title.en, "Camp kettle 1 L");
    // A quoted Body (HTML) over two lines, with &nbsp; and &amp;.
    assert_eq!(
        kettle.description.en,
        "Boils in 4 min on a gas stove. Weighs 180 g & packs a stove."
    );
    assert_eq!(kettle.brand, "Northfold");
    // The lowest valid Variant Price: "thirty" is reported and ignored.
    assert_eq!(kettle.price, 34.0);
    assert_eq!(kettle.tags, ["camping", "stove", "\"1 L\""]);
    // Type under the first level of Product Category.
    assert_eq!(kettle.category, "home-garden-kettles");
    assert_eq!(kettle.picture.glyph, "kettle");
    assert_eq!(kettle.url, None);

    let beanie = item(&c, "merino-beanie");
    assert_eq!(beanie.title.en, "Merino beanie, \"Ridge\" edition");
    assert_eq!(beanie.description.en, "Soft & warm. Made in Portugal.");
    assert_eq!(beanie.price, 19.0);
    assert_eq!(beanie.tags, ["winter", "merino"]);
    assert_eq!(beanie.category, "apparel-accessories-hats");
    let tea = item(&c, "oolong-tea");
    assert_eq!(tea.title.zh, "冻顶乌龙茶 Dong Ding oolong");
    assert_eq!(tea.description.zh, "台湾高山茶，焙火。");
    assert_eq!(tea.brand, "山茶行");
    assert_eq!(tea.category, "food-beverages-tobacco-tea");
    assert_eq!(item(&c, "trail-mug").category, "products-mugs");

    assert_eq!(
        summary["problems"],
        json!([
            "line 5: Variant Price \"thirty\" is not a number; ignored",
            "line 13: no Title, and no earlier row has Handle \"ghost-variant\"; skipped",
            "line 14: product \"no-price-mug\" has no Variant Price; skipped",
            "line 15: no Handle; skipped",
            "line 16: Handle \"camp-kettle\" repeats the product on line 2; skipped",
        ])
    );
    let text = std::fs::read_to_string(dir.path().join("catalog.json")).unwrap();
    assert!(!text.contains("cdn.shopify.example"), "image links leaked");

    let (_, c) = build(
        dir.path(),
        "shopify-csv",
        &fixture("shopify/products.csv"),
        &["--currency", "CNY", "--shop-name", "山茶 Shop"],
    );
    assert_eq!(c.currency, "CNY");
    assert_eq!(
        (c.shop.en.as_str(), c.shop.zh.as_str()),
        ("山茶 Shop", "山茶 Shop")
    );
}

#[test]
fn ga4_search_terms_fill_the_trending_searches() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, c) = build(
        dir.path(),
        "merchant-feed",
        &fixture("merchant/feed.xml"),
        &[
            "--searches",
            s(&fixture("ga4/events.jsonl")),
            "--min-searchers",
            "1",
        ],
    );
    assert_eq!(summary["searches"], 1);
    assert_eq!(c.shop_data.searches.len(), 1);
    assert_eq!(c.shop_data.searches["green tea"], 2);
}

#[test]
fn trending_searches_keep_only_short_terms_several_visitors_searched() {
    let dir = tempfile::tempdir().unwrap();
    let row = |user: usize, term: &str| {
        format!(
            r#"{{"event_name":"view_search_results","event_timestamp":"1709290010000000","user_pseudo_id":"u{user}","event_params":[{{"key":"search_term","value":{{"string_value":{term:?}}}}}]}}"#
        )
    };
    let long = "x".repeat(65);
    let mut lines = Vec::new();
    for user in 0..5 {
        lines.push(row(user, "Green Tea"));
        lines.push(row(user, &long));
    }
    for _ in 0..20 {
        // One visitor, many times: their query is theirs alone.
        lines.push(row(99, "jane doe 12 main street"));
    }
    for user in 0..4 {
        lines.push(row(user, "kettle"));
    }
    let log = dir.path().join("searches.jsonl");
    std::fs::write(&log, lines.join("\n")).unwrap();
    let (summary, c) = build(
        dir.path(),
        "merchant-feed",
        &fixture("merchant/feed.xml"),
        &["--searches", s(&log)],
    );
    let kept: Vec<(&str, u32)> = c
        .shop_data
        .searches
        .iter()
        .map(|(q, n)| (q.as_str(), *n))
        .collect();
    assert_eq!(kept, [("green tea", 5)]);
    assert_eq!(summary["searches_left_out"], 3);
    let (_, c) = build(
        dir.path(),
        "merchant-feed",
        &fixture("merchant/feed.xml"),
        &["--searches", s(&log), "--min-searchers", "4"],
    );
    assert_eq!(c.shop_data.searches.len(), 2, "kettle too");
}

#[test]
fn wrong_formats_empty_files_and_broken_xml_are_clear_errors() {
    let e = reject("merchant-feed", fixture("merchant/empty.tsv"));
    assert!(
        e.contains("empty.tsv: the file is empty; expected a Merchant Center feed: RSS 2.0 XML"),
        "{e}"
    );
    let e = reject("shopify-csv", fixture("shopify/empty.csv"));
    assert!(
        e.contains("empty.csv: the file is empty; expected a Shopify product export"),
        "{e}"
    );
    let e = reject("merchant-feed", fixture("merchant/broken.xml"));
    assert!(e.contains("broken.xml:6: not well-formed XML ("), "{e}");
    assert!(e.contains("`</g:titel>`"), "{e}");
    let e = reject("merchant-feed", fixture("merchant/not-a-feed.xml"));
    assert!(e.contains("not-a-feed.xml: no <item> elements; expected a Merchant Center feed: RSS 2.0 with xmlns:g=\"http://base.google.com/ns/1.0\""), "{e}");
    let e = reject("merchant-feed", fixture("shopify/products.csv"));
    assert!(
        e.contains("products.csv:1: no `id` column in the header;"),
        "{e}"
    );
    assert!(
        e.ends_with("this looks like a Shopify export: use --from shopify-csv\n"),
        "{e}"
    );
    let e = reject("shopify-csv", fixture("merchant/feed.tsv"));
    assert!(
        e.ends_with("this looks like a Merchant Center feed: use --from merchant-feed\n"),
        "{e}"
    );
    let e = reject("shopify-csv", fixture("merchant/feed.xml"));
    assert!(e.contains("feed.xml:1: no `Handle` column"), "{e}");
    let e = reject("merchant-feed", fixture("ga4/events.jsonl"));
    assert!(
        e.contains("events.jsonl:1: no `id` column in the header"),
        "{e}"
    );
    let e = reject("amazon", fixture("merchant/feed.xml"));
    assert!(
        e.contains("--from: unknown feed format \"amazon\"; use merchant-feed or shopify-csv"),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let only_bad = write(dir.path(), "bad.tsv", "id\ttitle\tprice\nA\t\t1.00 EUR\n");
    let e = reject("merchant-feed", only_bad);
    assert!(e.contains("bad.tsv: no usable products in 1 rows; the first of 1 problems: line 2: product \"A\" has no title; skipped"), "{e}");
    let latin1 = write(
        dir.path(),
        "latin1.tsv",
        b"id\ttitle\tprice\nA\tCaf\xe9\t1.00 EUR\n",
    );
    let e = reject("merchant-feed", latin1);
    assert!(
        e.contains("latin1.tsv:2: not UTF-8 text; export the feed as UTF-8"),
        "{e}"
    );
    let out = dir.path().join("c.json");
    let e = fails([
        "catalog",
        "--from",
        "merchant-feed",
        s(&fixture("merchant/feed.xml")),
        "--out",
        s(&out),
        "--currency",
        "euro",
    ]);
    assert!(
        e.contains("--currency must be a three-letter ISO 4217 code such as EUR, got \"euro\""),
        "{e}"
    );
}

#[test]
fn shopify_prices_in_european_notation_extra_columns_and_unclosed_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let header = "Handle,Title,Vendor,Type,Variant Price,Status";
    let csv = format!(
        "{header}\nkettle,Kettle,North,Kettles,\"1.000,50\",active\nmug,Mug,North,Mugs,\"12,50\",active\nstove,Stove, large,North,Stoves,20.00,active\n"
    );
    let feed = common::write(dir.path(), "products.csv", csv);
    let (summary, c) = build(dir.path(), "shopify-csv", &feed, &[]);
    assert_eq!(item(&c, "kettle").price, 1000.5);
    assert_eq!(item(&c, "mug").price, 12.5);
    assert!(c.items.iter().all(|i| i.id != "stove"));
    let problems = summary["problems"].to_string();
    assert!(
        problems.contains("line 4: 7 fields where the header has 6 (an unquoted comma?); skipped"),
        "{problems}"
    );

    let broken = common::write(
        dir.path(),
        "broken.csv",
        format!("{header}\nkettle,Kettle,North,Kettles,34.00,active\nmug,\"Mug 12 wide,North,Mugs,9.00,active\ntent,Tent,North,Tents,99.00,active\n"),
    );
    let e = reject("shopify-csv", broken);
    assert!(
        e.contains("broken.csv:3: a quoted field opens here and is never closed"),
        "{e}"
    );
}

#[test]
fn availability_comes_from_merchant_center_and_shopify_inventory() {
    use tastebud_core::Availability;
    let dir = tempfile::tempdir().unwrap();
    let tsv = write(
        dir.path(),
        "feed.tsv",
        "id\ttitle\tprice\tavailability\n\
         TENT\tTent\t100.00 EUR\tin_stock\n\
         STOVE\tStove\t40.00 EUR\tout of stock\n\
         LAMP\tLamp\t20.00 EUR\tpreorder\n\
         MAP\tMap\t5.00 EUR\tsoon\n\
         ROPE\tRope\t9.00 EUR\t\n",
    );
    let (summary, c) = build(dir.path(), "merchant-feed", &tsv, &[]);
    let stock = |c: &Catalog, id: &str| item(c, id).availability;
    assert_eq!(stock(&c, "TENT"), Availability::InStock);
    assert_eq!(stock(&c, "STOVE"), Availability::OutOfStock);
    assert_eq!(stock(&c, "LAMP"), Availability::Preorder);
    assert_eq!(stock(&c, "ROPE"), Availability::InStock);
    assert_eq!(stock(&c, "MAP"), Availability::InStock);
    assert!(
        summary["problems"][0]
            .as_str()
            .unwrap()
            .contains("availability \"soon\""),
        "{summary}"
    );
    // Shopify: a variant with stock makes the product available; none left with the policy
    // `continue` is a backorder, with `deny` out of stock; an untracked one is in stock.
    let csv = write(
        dir.path(),
        "products.csv",
        "Handle,Title,Variant Price,Variant Inventory Qty,Variant Inventory Policy\n\
         mug,Mug,10,0,deny\n\
         mug,,11,3,deny\n\
         kettle,Kettle,30,0,continue\n\
         beanie,Beanie,19,-2,deny\n\
         tea,Tea,8,,\n",
    );
    let (_, c) = build(dir.path(), "shopify-csv", &csv, &[]);
    assert_eq!(stock(&c, "mug"), Availability::InStock);
    assert_eq!(stock(&c, "kettle"), Availability::Backorder);
    assert_eq!(stock(&c, "beanie"), Availability::OutOfStock);
    assert_eq!(stock(&c, "tea"), Availability::InStock);
    // The catalog file says so only for the items not in stock.
    let text = std::fs::read_to_string(dir.path().join("catalog.json")).unwrap();
    assert_eq!(text.matches("\"availability\"").count(), 2, "{text}");
}

/// A GA4 export gives the catalog its placements: trending items, the members' list and what is
/// bought together, on product ids (variants fold in), each behind enough visitors.
#[test]
fn a_ga4_log_fills_the_placements() {
    let dir = tempfile::tempdir().unwrap();
    let row = |event: &str, user: &str, items: &[&str], extra: &str| {
        let items: Vec<String> = items
            .iter()
            .map(|i| format!(r#"{{"item_id":"{i}"}}"#))
            .collect();
        format!(
            r#"{{"event_name":"{event}","event_timestamp":"1709290010000000","user_pseudo_id":"{user}","items":[{}]{extra}}}"#,
            items.join(",")
        )
    };
    let session = |s: &str| {
        format!(r#","event_params":[{{"key":"ga_session_id","value":{{"int_value":"{s}"}}}}]"#)
    };
    let order = |t: &str| format!(r#","ecommerce":{{"transaction_id":"{t}"}}"#);
    let mut lines = Vec::new();
    for u in 0..6 {
        let user = format!("u{u}");
        // One order of a tent and a mug each.
        lines.push(row(
            "purchase",
            &user,
            &["TENT-1P", "MUG-TI"],
            &order(&format!("t{u}")),
        ));
        // A variant of the two-person tent carted with sencha in one session.
        lines.push(row(
            "add_to_cart",
            &user,
            &["TENT-2P-GRN"],
            &session(&format!("s{u}")),
        ));
        lines.push(row(
            "add_to_cart",
            &user,
            &["TEA-SENCHA"],
            &session(&format!("s{u}")),
        ));
        lines.push(row("view_item", &user, &["TENT-3P"], ""));
    }
    // One buyer of many orders: the members' list, but only with a single visitor allowed.
    for t in 0..4 {
        lines.push(row(
            "purchase",
            "loyal",
            &["MUG-DBL"],
            &order(&format!("loyal{t}")),
        ));
    }
    // Searches that lead to the sencha's brand: a search, then a view, in one session.
    let searched = |u: usize| {
        format!(
            r#","event_params":[{{"key":"ga_session_id","value":{{"int_value":"q{u}"}}}},{{"key":"search_term","value":{{"string_value":"tea"}}}}]"#
        )
    };
    for u in 0..5 {
        let user = format!("u{u}");
        lines.push(row("view_search_results", &user, &[], &searched(u)));
        lines.push(row(
            "view_item",
            &user,
            &["TEA-SENCHA"],
            &session(&format!("q{u}")),
        ));
    }
    // An item the catalog does not have is never listed.
    for u in 0..6 {
        lines.push(row("view_item", &format!("u{u}"), &["NO-SUCH-SKU"], ""));
    }
    let log = dir.path().join("events.jsonl");
    std::fs::write(&log, lines.join("\n")).unwrap();
    let feed = fixture("merchant/feed.xml");
    let (summary, c) = build(dir.path(), "merchant-feed", &feed, &["--log", s(&log)]);
    // One row per item: its id, then what goes with it; in id order.
    assert_eq!(
        c.bought_with,
        [
            vec!["MUG-TI", "TENT-1P"],
            vec!["TEA-SENCHA", "TENT-2P"],
            vec!["TENT-1P", "MUG-TI"],
            vec!["TENT-2P", "TEA-SENCHA"],
        ]
    );
    assert!(
        c.trending.contains(&"TENT-3P".to_owned()),
        "{:?}",
        c.trending
    );
    assert!(!c
        .trending
        .iter()
        .any(|i| i == "NO-SUCH-SKU" || i == "MUG-DBL"));
    assert!(
        c.members.is_empty(),
        "one visitor is not enough: {:?}",
        c.members
    );
    let tea = c.items.iter().find(|i| i.id == "TEA-SENCHA").unwrap();
    assert_eq!(c.search_brands, [tea.brand.as_str()]);
    assert_eq!(summary["placements"]["bought_with"], 4);

    let (_, c) = build(
        dir.path(),
        "merchant-feed",
        &feed,
        &["--log", s(&log), "--min-visitors", "1"],
    );
    assert_eq!(c.members, ["MUG-DBL"]);
    // Without a log the catalog has no placements, and says nothing of them.
    let (_, c) = build(dir.path(), "merchant-feed", &feed, &[]);
    assert!(c.trending.is_empty() && c.members.is_empty() && c.bought_with.is_empty());
    let text = std::fs::read_to_string(dir.path().join("catalog.json")).unwrap();
    assert!(
        !text.contains("trending") && !text.contains("bought_with"),
        "{text}"
    );
}
