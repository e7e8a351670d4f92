//! Product feeds into the catalog the storefront loads: Google Merchant Center product data (the
//! RSS 2.0/XML feed with the `g:` namespace, or the tab-separated form) and Shopify's product
//! export CSV.
//!
//! Each reader checks its rows and folds a product's variants into one [`Product`]; problems are
//! collected with their row (a line, or an XML item's index and line) and the row is skipped.
//! [`build`] then turns products into a [`Catalog`]:
//!
//! - **Categories.** A product's category path is its own classification (`product_type`, or
//!   Shopify's `Type`) when that has two levels or more; a one-level one goes under the first
//!   level of Google's (`google_product_category`, or Shopify's `Product Category`); without
//!   either, Google's path alone. The first level becomes the area and the last the category;
//!   a one-level path goes under an area "Products", and no path at all into "Other". Numeric
//!   Google category ids are ignored (their names need Google's taxonomy file). Ids are slugs of
//!   the names (`outdoors`, `outdoors-tents`).
//! - **Niches.** Categories no larger than the median category are niches (what the storefront
//!   offers at onboarding and explores in Interests).
//! - **Pictures.** No image is ever loaded from another origin: `image_link` and `Image Src` are
//!   read and dropped. The picture is a glyph found by keyword in the category name, else the
//!   title, else the area name (`dot` when nothing matches), on a hue hashed from the category id.
//! - **Language.** Feed text is the English text, and also the Chinese text when it contains
//!   Chinese characters ([`text::localized`]).
//! - **Text and links.** HTML is reduced to plain text; links that are not absolute `http(s)`
//!   are dropped.

mod merchant;
mod shopify;
pub mod text;

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use clap::ValueEnum;
use tastebud_core::{
    is_safe_url, Area, Availability, Catalog, CatalogItem, Category, Localized, Picture, ShopData,
    CATALOG_VERSION,
};

use text::{localized, slug, stable_hash};

/// The header row and the remaining records of a delimited feed (`,` for Shopify, tab for
/// Merchant Center). Rows may have fewer or more fields than the header; callers check.
/// A non-negative amount as shops and spreadsheets write it: `12.50`, `12,50`, `1,299.00`,
/// `1.299,00`, `1 299,00`, `1'299.00`, `1.000.000`. When both `.` and `,` appear, the last one
/// is the decimal mark; a lone separator is a decimal mark unless three digits follow it and
/// more than that stands before (`1,000` is a thousand, `0,500` a half); thousands groups must
/// have three digits, so `1.0,5` is not a number.
pub fn parse_amount(text: &str) -> Option<f64> {
    let compact: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    if compact.is_empty()
        || !compact
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let last_dot = compact.rfind('.');
    let last_comma = compact.rfind(',');
    let decimal = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(d.max(c)),
        (Some(at), None) | (None, Some(at)) => {
            let mark = compact.as_bytes()[at];
            let repeated = compact.bytes().filter(|&b| b == mark).count() > 1;
            let after = compact.len() - at - 1;
            let thousands = repeated || (after == 3 && at > 0 && &compact[..at] != "0");
            (!thousands).then_some(at)
        }
        (None, None) => None,
    };
    let (whole, fraction) = match decimal {
        Some(at) => (&compact[..at], &compact[at + 1..]),
        None => (compact.as_str(), ""),
    };
    if fraction.contains(['.', ',']) {
        return None;
    }
    // Thousands groups: the first of 1-3 digits, every later one of exactly 3.
    let groups: Vec<&str> = whole.split(['.', ',']).collect();
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return None;
    }
    let number = format!("{}.{fraction}", groups.concat());
    let amount: f64 = number.trim_end_matches('.').parse().ok()?;
    amount.is_finite().then_some(amount)
}

/// The line where a quoted field opens that the file never closes, read as RFC 4180 (and the csv
/// crate) read it: a `"` opens a quote only at the start of a field, and `""` inside one is a
/// quote character.
fn unclosed_quote(text: &str, delimiter: u8) -> Option<usize> {
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut line = 1;
    let mut opened = 0;
    for &b in text.as_bytes() {
        let ends_field = b == delimiter || b == b'\n';
        state = match state {
            State::FieldStart | State::Unquoted if ends_field => State::FieldStart,
            State::FieldStart if b == b'"' => {
                opened = line;
                State::Quoted
            }
            State::FieldStart | State::Unquoted => State::Unquoted,
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted if ends_field => State::FieldStart,
            State::QuoteInQuoted => State::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    matches!(state, State::Quoted).then_some(opened)
}

fn delimited<'a>(
    path: &Path,
    text: &'a str,
    delimiter: u8,
) -> Result<(csv::StringRecord, csv::StringRecordsIntoIter<&'a [u8]>)> {
    if let Some(line) = unclosed_quote(text, delimiter) {
        bail!(
            "{}:{line}: a quoted field opens here and is never closed (a stray `\"`?), so the rest of the file would be read as one field; close the quote or double it (`\"\"`)",
            path.display()
        );
    }
    let mut records = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_records();
    match records.next() {
        Some(Ok(header)) => Ok((header, records)),
        Some(Err(e)) => bail!("{}: cannot read the header ({e})", path.display()),
        None => bail!("{}: the file is empty", path.display()),
    }
}

/// A product feed's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeedFormat {
    /// Google Merchant Center product data: RSS 2.0/XML with the g: namespace, or tab-separated
    /// with a header row (told apart by the first character).
    MerchantFeed,
    /// Shopify's product export CSV.
    ShopifyCsv,
}

impl FeedFormat {
    /// Parses `--from FORMAT FILE` (or `--feed FORMAT FILE`).
    pub fn with_path(flag: &str, values: &[OsString]) -> Result<(FeedFormat, PathBuf)> {
        let [format, path] = values else {
            bail!("{flag} takes a format and a file, e.g. `{flag} merchant-feed products.xml`");
        };
        let name = format.to_string_lossy();
        let format = FeedFormat::from_str(&name, false).map_err(|_| {
            anyhow!("{flag}: unknown feed format {name:?}; use merchant-feed or shopify-csv")
        })?;
        Ok((format, PathBuf::from(path)))
    }
}

/// One product, its variants folded in.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Where its first row is ("line 4", "item 2 (line 17)").
    pub at: String,
    pub id: String,
    pub title: String,
    pub description: String,
    /// An absolute http(s) link.
    pub link: Option<String>,
    /// The lowest price of its variants.
    pub price: f64,
    pub brand: String,
    /// Category path, broadest first.
    pub path: Vec<String>,
    pub tags: Vec<String>,
    /// Other ids that stand for this product (its variants), for training logs that use them.
    pub variants: Vec<String>,
    /// Whether it can be bought now.
    pub availability: Availability,
}

/// What a feed held.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Feed {
    /// "RSS/XML", "TSV" or "CSV".
    pub layout: &'static str,
    /// Product rows (or XML items) read.
    pub rows: usize,
    pub products: Vec<Product>,
    /// The feed's own title (an RSS channel's), if any.
    pub title: Option<String>,
    /// The currency the prices name, if they name one.
    pub currency: Option<String>,
    /// Rows skipped or changed, each with its place.
    pub problems: Vec<String>,
    /// Products left out on purpose (Shopify drafts and archived products).
    pub left_out: usize,
}

/// Reads a feed. `currency` is the catalog's currency when the caller fixed it; prices in
/// another one are problems.
pub fn read(format: FeedFormat, path: &Path, currency: Option<&str>) -> Result<Feed> {
    parse(format, path, &crate::input::read_file(path)?, currency)
}

/// [`read`] on a file's bytes; `path` names it in messages.
pub fn parse(
    format: FeedFormat,
    path: &Path,
    bytes: &[u8],
    currency: Option<&str>,
) -> Result<Feed> {
    let text = utf8(path, bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        bail!(
            "{}: the file is empty; expected {}",
            path.display(),
            format.description()
        );
    }
    let feed = match format {
        FeedFormat::MerchantFeed => merchant::read(path, text, currency)?,
        FeedFormat::ShopifyCsv => shopify::read(path, text)?,
    };
    if feed.products.is_empty() {
        let first = feed.problems.first().map_or(String::new(), |p| {
            format!("; the first of {} problems: {p}", feed.problems.len())
        });
        bail!(
            "{}: no usable products in {} rows{first}",
            path.display(),
            feed.rows
        );
    }
    Ok(feed)
}

impl FeedFormat {
    fn description(self) -> &'static str {
        match self {
            FeedFormat::MerchantFeed => {
                "a Merchant Center feed: RSS 2.0 XML with xmlns:g=\"http://base.google.com/ns/1.0\" and one <item> per product, or tab-separated with a header row (id, title, price, ...)"
            }
            FeedFormat::ShopifyCsv => {
                "a Shopify product export: CSV with a header row (Handle, Title, Body (HTML), Variant Price, ...)"
            }
        }
    }
}

fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        anyhow!(
            "{}:{line}: not UTF-8 text; export the feed as UTF-8",
            path.display()
        )
    })
}

/// Variant id -> product id, for counting a training log's variant events under the product.
pub fn variant_map(feed: &Feed) -> HashMap<String, String> {
    feed.products
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| (v.clone(), p.id.clone())))
        .collect()
}

/// Cleans a feed link: kept only when it is an absolute `http(s)` URL the catalog accepts.
pub fn link(raw: &str) -> Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let lower = raw.to_ascii_lowercase();
    if is_safe_url(raw) && (lower.starts_with("http://") || lower.starts_with("https://")) {
        Ok(Some(raw.to_owned()))
    } else {
        Err(format!(
            "link {raw:?} is not an absolute http(s) URL; dropped"
        ))
    }
}

/// A category path from a shop's own classification and Google's (see the module docs).
pub fn category_path(own: &[String], google: &[String]) -> Vec<String> {
    match (own, google) {
        ([_, _, ..], _) => own.to_vec(),
        ([one], [first, ..]) => vec![first.clone(), one.clone()],
        ([_], []) => own.to_vec(),
        ([], _) => google.to_vec(),
    }
}

/// `Home > Kitchen &gt; Mugs` as levels; a numeric Google category id as none.
pub fn split_path(raw: &str) -> Vec<String> {
    let raw = text::html_to_text(raw);
    if raw.chars().all(|c| c.is_ascii_digit() || c.is_whitespace()) {
        return Vec::new();
    }
    raw.split('>')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| text::truncate(l, 200))
        .collect()
}

/// What the catalog says about the shop.
pub struct Options {
    pub shop: String,
    pub currency: String,
    pub searches: BTreeMap<String, u32>,
}

const PRODUCTS: (&str, &str) = ("Products", "商品");
const OTHER: (&str, &str) = ("Other", "其他");

/// The catalog of `products`, ready for [`Catalog::validate`].
pub fn build(products: &[Product], options: Options) -> Catalog {
    let mut areas: Vec<Area> = Vec::new();
    let mut area_by_key: HashMap<String, usize> = HashMap::new();
    let mut categories: Vec<Category> = Vec::new();
    let mut category_by_key: HashMap<(String, String), usize> = HashMap::new();
    let mut sizes: Vec<usize> = Vec::new();
    let mut items = Vec::with_capacity(products.len());
    for p in products {
        let (area_name, category_name) = match &p.path[..] {
            [] => (names(PRODUCTS), names(OTHER)),
            [one] => (names(PRODUCTS), localized(one)),
            [first, .., last] => (localized(first), localized(last)),
        };
        let area_key = area_name.en.to_lowercase();
        let a = *area_by_key.entry(area_key.clone()).or_insert_with(|| {
            let id = unique(&slug(&area_name.en), areas.iter().map(|a| &a.id));
            areas.push(Area {
                id,
                name: area_name.clone(),
            });
            areas.len() - 1
        });
        let key = (area_key, category_name.en.to_lowercase());
        let c = *category_by_key.entry(key).or_insert_with(|| {
            let wanted = format!("{}-{}", areas[a].id, slug(&category_name.en));
            let id = unique(&wanted, categories.iter().map(|c| &c.id));
            categories.push(Category {
                id,
                area: areas[a].id.clone(),
                name: category_name.clone(),
                niche: false,
            });
            sizes.push(0);
            categories.len() - 1
        });
        sizes[c] += 1;
        let category = &categories[c];
        let glyph = glyph_for(&category.name.en)
            .or_else(|| glyph_for(&p.title))
            .or_else(|| glyph_for(&areas[a].name.en))
            .unwrap_or("dot");
        items.push(CatalogItem {
            id: p.id.clone(),
            title: localized(&p.title),
            description: localized(&p.description),
            brand: p.brand.clone(),
            category: category.id.clone(),
            price: p.price,
            tags: p.tags.clone(),
            picture: Picture {
                glyph: glyph.to_owned(),
                hue: (stable_hash(&category.id) % 360) as u16,
            },
            url: p.link.clone(),
            availability: p.availability,
        });
    }
    let mut sorted = sizes.clone();
    sorted.sort_unstable();
    let median = sorted.get(sorted.len().saturating_sub(1) / 2).copied();
    for (category, size) in categories.iter_mut().zip(&sizes) {
        category.niche = Some(*size) <= median;
    }
    Catalog {
        version: CATALOG_VERSION,
        shop: localized(&options.shop),
        currency: options.currency,
        areas,
        categories,
        items,
        shop_data: ShopData {
            searches: options.searches.into_iter().collect(),
            ..ShopData::default()
        },
        trending: Vec::new(),
        members: Vec::new(),
        bought_with: Vec::new(),
        search_brands: Vec::new(),
    }
}

fn names((en, zh): (&str, &str)) -> Localized {
    Localized {
        en: en.into(),
        zh: zh.into(),
    }
}

/// `wanted`, or `wanted` with its hash appended when another name already took that id.
fn unique<'a>(wanted: &str, taken: impl Iterator<Item = &'a String> + Clone) -> String {
    let mut id = wanted.to_owned();
    let mut salt = 0u32;
    while taken.clone().any(|t| *t == id) {
        salt += 1;
        id = format!("{wanted}-{:08x}", stable_hash(&format!("{wanted}/{salt}")));
    }
    id
}

/// Keywords (English words, matched whole with an optional plural `s`, or Chinese text, matched
/// anywhere) and the glyph the storefront draws for them.
const GLYPHS: &[(&str, &[&str])] = &[
    ("tent", &["tent", "camping", "tarp", "帐篷", "露营"]),
    (
        "mountain",
        &["mountain", "climbing", "hiking", "trekking", "登山", "徒步"],
    ),
    (
        "mug",
        &[
            "mug",
            "cup",
            "drinkware",
            "coffee",
            "espresso",
            "杯",
            "咖啡",
        ],
    ),
    ("kettle", &["kettle", "teapot", "壶"]),
    ("tea", &["tea", "matcha", "茶"]),
    ("ski", &["ski", "snowboard", "滑雪"]),
    (
        "shoe",
        &["shoe", "footwear", "sneaker", "boot", "sandal", "鞋", "靴"],
    ),
    ("headset", &["headphone", "headset", "earbud", "耳机"]),
    ("drone", &["drone", "无人机"]),
    (
        "camera",
        &["camera", "photography", "lens", "相机", "摄影", "镜头"],
    ),
    ("gift", &["gift", "礼物", "礼品"]),
    ("calendar", &["calendar", "planner", "日历"]),
    ("bonsai", &["bonsai", "盆景"]),
    (
        "plant",
        &["plant", "garden", "gardening", "seed", "植物", "园艺"],
    ),
    (
        "dice",
        &[
            "dice",
            "game",
            "boardgame",
            "puzzle",
            "骰子",
            "桌游",
            "游戏",
        ],
    ),
    (
        "yarn",
        &["yarn", "knitting", "wool", "crochet", "毛线", "编织"],
    ),
    ("book", &["book", "novel", "书"]),
    ("pen", &["pen", "stationery", "notebook", "笔", "文具"]),
    ("fish", &["fish", "aquarium", "fishing", "鱼"]),
    ("bird", &["bird", "birding", "鸟"]),
    ("keyboard", &["keyboard", "computer", "键盘", "电脑"]),
    ("bread", &["bread", "baking", "bakery", "面包", "烘焙"]),
    ("record", &["vinyl", "record", "turntable", "唱片"]),
    ("boat", &["boat", "kayak", "canoe", "sailing", "船"]),
    (
        "telescope",
        &["telescope", "astronomy", "binocular", "望远镜"],
    ),
    ("bike", &["bike", "bicycle", "cycling", "自行车", "骑行"]),
];

/// The glyph of the keyword that ends last in `name` (the head of "Camping mugs" is "mugs").
pub fn glyph_for(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &'static str)> = None;
    let mut consider = |end: usize, glyph: &'static str| {
        if best.is_none_or(|(e, _)| end > e) {
            best = Some((end, glyph));
        }
    };
    let mut start = 0;
    for word in lower.split(|c: char| !c.is_alphanumeric()) {
        let end = start + word.len();
        for &(glyph, keywords) in GLYPHS {
            let hit = keywords.iter().any(|k| {
                k.is_ascii()
                    && (word == *k
                        || word.strip_suffix('s') == Some(k)
                        || word.strip_suffix("es") == Some(k))
            });
            if hit {
                consider(end, glyph);
            }
        }
        start = end + 1;
    }
    for &(glyph, keywords) in GLYPHS {
        for k in keywords.iter().filter(|k| !k.is_ascii()) {
            if let Some(at) = lower.rfind(k) {
                consider(at + k.len(), glyph);
            }
        }
    }
    best.map(|(_, glyph)| glyph)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_quote_is_found_where_it_opens() {
        assert_eq!(unclosed_quote("a,b\n\"x\"\"y\",z\n", b','), None);
        assert_eq!(
            unclosed_quote("a,b\n12\" pan,z\n", b','),
            None,
            "mid-field quotes are text"
        );
        assert_eq!(unclosed_quote("a,\"multi\nline\"\n", b','), None);
        assert_eq!(unclosed_quote("a,b\nc,d\n\"oops,e\nf,g\n", b','), Some(3));
        assert_eq!(unclosed_quote("a\t\"b\n", b'\t'), Some(1));
    }

    #[test]
    fn amounts_read_in_every_common_notation() {
        for (text, amount) in [
            ("12.50", 12.5),
            ("12,50", 12.5),
            ("1,299.00", 1299.0),
            ("1.299,00", 1299.0),
            ("1.000,50", 1000.5),
            ("1 299,00", 1299.0),
            ("1'299.00", 1299.0),
            ("1.000.000", 1e6),
            ("1,000", 1000.0),
            ("0,500", 0.5),
            ("7", 7.0),
            (".5", 0.5),
        ] {
            assert_eq!(parse_amount(text), Some(amount), "{text}");
        }
        for bad in [
            "",
            "-1",
            "free",
            "1.0,5",
            "1,2,3.4.5",
            "12.50.3,1",
            "NaN",
            "1e3",
            "12,34,5",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }

    fn product(id: &str, title: &str, path: &[&str]) -> Product {
        Product {
            at: "line 2".into(),
            id: id.into(),
            title: title.into(),
            description: String::new(),
            link: None,
            price: 1.0,
            brand: String::new(),
            path: path.iter().map(|s| s.to_string()).collect(),
            tags: vec![],
            variants: vec![],
            availability: Availability::InStock,
        }
    }

    #[test]
    fn every_keyword_glyph_is_one_the_storefront_draws() {
        for (glyph, _) in GLYPHS {
            assert!(tastebud_core::GLYPHS.contains(glyph), "{glyph}");
        }
    }

    #[test]
    fn glyphs_follow_the_head_word() {
        assert_eq!(glyph_for("Camping Mugs"), Some("mug"));
        assert_eq!(glyph_for("Tea cups"), Some("mug"));
        assert_eq!(glyph_for("Coffee & Tea"), Some("tea"));
        assert_eq!(glyph_for("Skis"), Some("ski"));
        assert_eq!(glyph_for("Skin care"), None);
        assert_eq!(glyph_for("Content"), None);
        assert_eq!(glyph_for("露营杯"), Some("mug"));
        assert_eq!(glyph_for("Boxes"), None);
    }

    #[test]
    fn paths_prefer_the_shops_own_words() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            category_path(&v(&["Outdoors", "Tents"]), &v(&["Sporting Goods"])),
            v(&["Outdoors", "Tents"])
        );
        assert_eq!(
            category_path(&v(&["Tents"]), &v(&["Sporting Goods", "Camping"])),
            v(&["Sporting Goods", "Tents"])
        );
        assert_eq!(category_path(&v(&["Tents"]), &[]), v(&["Tents"]));
        assert_eq!(
            category_path(&[], &v(&["A", "B", "C"])),
            v(&["A", "B", "C"])
        );
        assert_eq!(
            split_path("Home &amp; Garden > Kitchen &gt; Mugs"),
            v(&["Home & Garden", "Kitchen", "Mugs"])
        );
        assert!(split_path(" 2169 ").is_empty());
    }

    #[test]
    fn catalogs_group_categories_into_areas_and_validate() {
        let products = [
            product("a", "Dome tent", &["Outdoors", "Camping", "Tents"]),
            product("b", "Trail mug", &["outdoors", "Camping Mugs"]),
            product("c", "Tunnel tent", &["Outdoors", "Gear", "tents"]),
            product("d", "Sencha", &["茶"]),
            product("e", "Thing", &[]),
        ];
        let catalog = build(
            &products,
            Options {
                shop: "店".into(),
                currency: "EUR".into(),
                searches: BTreeMap::from([("tent".to_owned(), 3)]),
            },
        );
        catalog.validate().unwrap();
        let ids: Vec<&str> = catalog.categories.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids[..2], ["outdoors-tents", "outdoors-camping-mugs"]);
        assert!(ids[2].starts_with("products-"), "{ids:?}");
        assert_eq!(ids[3], "products-other");
        assert_eq!(catalog.areas.len(), 2);
        assert_eq!(catalog.areas[0].name.en, "Outdoors");
        assert_eq!(catalog.items[2].category, "outdoors-tents");
        let glyphs: Vec<&str> = catalog
            .items
            .iter()
            .map(|i| i.picture.glyph.as_str())
            .collect();
        assert_eq!(glyphs, ["tent", "mug", "tent", "tea", "dot"]);
        assert_eq!(catalog.items[0].picture.hue, catalog.items[2].picture.hue);
        // Tents (2 items) is larger than the median category (1 item).
        let niches: Vec<bool> = catalog.categories.iter().map(|c| c.niche).collect();
        assert_eq!(niches, [false, true, true, true]);
        assert_eq!(catalog.shop.zh, "店");
        assert_eq!(catalog.categories[2].name.zh, "茶");
        assert_eq!(catalog.shop_data.searches["tent"], 3);
    }

    #[test]
    fn only_absolute_http_links_are_kept() {
        assert_eq!(
            link(" https://x.example/p "),
            Ok(Some("https://x.example/p".into()))
        );
        assert_eq!(link(""), Ok(None));
        for bad in [
            "javascript:alert(1)",
            "/relative/path",
            "ftp://x.example/f",
            "data:text/html,x",
        ] {
            assert!(link(bad).unwrap_err().contains("dropped"), "{bad}");
        }
    }
}
