//! Shopify product exports on arbitrary bytes: `feeds::parse` returns the products or an error
//! naming the line, never panics; and the catalog built from any export it accepts passes the
//! checks the storefront applies.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tastebud_cli::feeds::{self, FeedFormat, Options};

fuzz_target!(|data: &[u8]| {
    let Ok(feed) = feeds::parse(FeedFormat::ShopifyCsv, Path::new("products.csv"), data, None) else {
        return;
    };
    let catalog = feeds::build(
        &feed.products,
        Options {
            shop: "Shop".into(),
            currency: "USD".into(),
            searches: Default::default(),
        },
    );
    catalog.validate().expect("a catalog built from an export validates");
});
