//! Shopify's product export CSV: a header row, then one row per variant or extra image. A
//! product's first row carries its Title, Body (HTML), Vendor, Product Category, Type, Tags and
//! Status; the rows after it with the same Handle carry more variants (Variant SKU, Variant
//! Price) or images, and fold into the product. Its id is the Handle, its price the lowest
//! variant price, and its Variant SKUs stand for it in training logs (`tastebud train --feed`).
//! Draft and archived products are left out.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Result};

use super::text::{html_to_text, truncate, MAX_TAG, MAX_TEXT};
use super::{category_path, delimited, split_path, Feed, Product};
use tastebud_core::Availability;

/// The columns read, as Shopify names them (matched without regard to case).
const HANDLE: &str = "handle";
const TITLE: &str = "title";
const BODY: &str = "body (html)";
const VENDOR: &str = "vendor";
const CATEGORY: &str = "product category";
const TYPE: &str = "type";
const TAGS: &str = "tags";
const PRICE: &str = "variant price";
const SKU: &str = "variant sku";
const STATUS: &str = "status";
const QUANTITY: &str = "variant inventory qty";
const POLICY: &str = "variant inventory policy";

/// A product while its rows are read.
struct Draft {
    line: u64,
    handle: String,
    first: HashMap<&'static str, String>,
    prices: Vec<f64>,
    skus: Vec<String>,
    /// Each priced variant's availability.
    stock: Vec<Availability>,
}

/// A variant's availability from its inventory: in stock when Shopify does not track it (no
/// quantity) or holds some; otherwise backorder when the policy lets customers buy anyway
/// (`continue`), out of stock when it does not (`deny`).
fn variant_stock(quantity: &str, policy: &str) -> Availability {
    match quantity.parse::<f64>() {
        Ok(q) if q <= 0.0 => {
            if policy.eq_ignore_ascii_case("continue") {
                Availability::Backorder
            } else {
                Availability::OutOfStock
            }
        }
        _ => Availability::InStock,
    }
}

/// A product's availability from its variants': the best of them.
fn product_stock(variants: &[Availability]) -> Availability {
    [
        Availability::InStock,
        Availability::Preorder,
        Availability::Backorder,
    ]
    .into_iter()
    .find(|a| variants.contains(a))
    .unwrap_or(if variants.is_empty() {
        Availability::InStock
    } else {
        Availability::OutOfStock
    })
}

pub fn read(path: &Path, text: &str) -> Result<Feed> {
    let (header, records) = delimited(path, text, b',')?;
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let column = |name: &str| names.iter().position(|n| n == name);
    let Some(handle_at) = column(HANDLE) else {
        let hint = if header
            .iter()
            .any(|h| h.contains('\t') || h.contains("<?xml") || h.contains("<rss"))
        {
            "; this looks like a Merchant Center feed: use --from merchant-feed"
        } else {
            ""
        };
        bail!(
            "{}:1: no `Handle` column in the header; expected a Shopify product export: CSV with a header row (Handle, Title, Body (HTML), Vendor, Variant Price, ...){hint}",
            path.display()
        );
    };
    let columns: Vec<(&'static str, Option<usize>)> = [
        TITLE, BODY, VENDOR, CATEGORY, TYPE, TAGS, PRICE, SKU, STATUS, QUANTITY, POLICY,
    ]
    .into_iter()
    .map(|name| (name, column(name)))
    .collect();

    let mut feed = Feed {
        layout: "CSV",
        ..Feed::default()
    };
    let mut drafts: Vec<Draft> = Vec::new();
    let mut by_handle: HashMap<String, usize> = HashMap::new();
    let mut previous: Option<String> = None;
    // With their line, to list them in file order after the second pass.
    let mut problems: Vec<(u64, String)> = Vec::new();
    for record in records {
        let record = record.map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        feed.rows += 1;
        if record.len() > header.len() {
            // An unquoted comma in a field shifts every value after it.
            problems.push((
                line,
                format!(
                    "{} fields where the header has {} (an unquoted comma?); skipped",
                    record.len(),
                    header.len()
                ),
            ));
            previous = None;
            continue;
        }
        let get = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or("").trim();
        let value = |name: &str| {
            let at = columns.iter().find(|(n, _)| *n == name).and_then(|c| c.1);
            get(at)
        };
        let handle = get(Some(handle_at));
        if handle.is_empty() {
            problems.push((line, "no Handle; skipped".to_owned()));
            previous = None;
            continue;
        }
        let title = value(TITLE);
        let d = match by_handle.get(handle) {
            // Shopify writes a product's rows together; a titled row for a Handle seen before,
            // after other products, is a second product with the same Handle.
            Some(&d) if previous.as_deref() != Some(handle) && !title.is_empty() => {
                problems.push((
                    line,
                    format!(
                        "Handle {handle:?} repeats the product on line {}; skipped",
                        drafts[d].line
                    ),
                ));
                continue;
            }
            Some(&d) => d,
            None if title.is_empty() => {
                problems.push((
                    line,
                    format!("no Title, and no earlier row has Handle {handle:?}; skipped"),
                ));
                previous = None;
                continue;
            }
            None => {
                by_handle.insert(handle.to_owned(), drafts.len());
                drafts.push(Draft {
                    line,
                    handle: handle.to_owned(),
                    first: columns
                        .iter()
                        .map(|&(name, at)| (name, get(at).to_owned()))
                        .collect(),
                    prices: Vec::new(),
                    skus: Vec::new(),
                    stock: Vec::new(),
                });
                drafts.len() - 1
            }
        };
        previous = Some(handle.to_owned());
        let draft = &mut drafts[d];
        let price = value(PRICE);
        if !price.is_empty() {
            match super::parse_amount(price) {
                Some(p) => {
                    draft.prices.push(p);
                    draft
                        .stock
                        .push(variant_stock(value(QUANTITY), value(POLICY)));
                }
                None => problems.push((
                    line,
                    format!("Variant Price {price:?} is not a number; ignored"),
                )),
            }
        }
        let sku = value(SKU);
        if !sku.is_empty() && sku != draft.handle && !draft.skus.iter().any(|s| s == sku) {
            draft.skus.push(sku.to_owned());
        }
    }

    for draft in drafts {
        let first = |name: &str| draft.first.get(name).map_or("", String::as_str);
        let status = first(STATUS).to_ascii_lowercase();
        if status == "draft" || status == "archived" {
            feed.left_out += 1;
            continue;
        }
        let mut skip = |problem: String| problems.push((draft.line, problem));
        if draft.handle.len() > 256 {
            skip("Handle is longer than 256 bytes; skipped".to_owned());
            continue;
        }
        let Some(price) = draft.prices.iter().copied().reduce(f64::min) else {
            skip(format!(
                "product {:?} has no Variant Price; skipped",
                draft.handle
            ));
            continue;
        };
        let title = truncate(&html_to_text(first(TITLE)), MAX_TEXT);
        if title.is_empty() {
            skip(format!(
                "product {:?} has an empty Title; skipped",
                draft.handle
            ));
            continue;
        }
        let mut tags: Vec<String> = Vec::new();
        for tag in first(TAGS).split(',').map(html_to_text) {
            let tag = truncate(&tag, MAX_TAG);
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let own = split_path(first(TYPE));
        let google = split_path(first(CATEGORY));
        feed.products.push(Product {
            at: format!("line {}", draft.line),
            id: draft.handle.clone(),
            title,
            description: truncate(&html_to_text(first(BODY)), MAX_TEXT),
            link: None,
            price,
            brand: truncate(&html_to_text(first(VENDOR)), 200),
            path: category_path(&own, &google),
            tags,
            variants: draft.skus,
            availability: product_stock(&draft.stock),
        });
    }
    problems.sort_by_key(|p| p.0);
    feed.problems = problems
        .into_iter()
        .map(|(line, p)| format!("line {line}: {p}"))
        .collect();
    Ok(feed)
}
