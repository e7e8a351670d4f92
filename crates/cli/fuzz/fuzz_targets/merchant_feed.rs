//! Merchant Center feeds (RSS/XML or TSV) on arbitrary bytes: `feeds::parse` returns the
//! products or an error naming the place, never panics; and the catalog built from any feed it
//! accepts passes the checks the storefront applies, as `tastebud catalog` relies on.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tastebud_cli::feeds::{self, FeedFormat, Options};

fuzz_target!(|data: &[u8]| {
    for currency in [None, Some("EUR")] {
        let Ok(feed) = feeds::parse(FeedFormat::MerchantFeed, Path::new("feed.xml"), data, currency)
        else {
            continue;
        };
        let catalog = feeds::build(
            &feed.products,
            Options {
                shop: feed.title.clone().unwrap_or_else(|| "Shop".into()),
                currency: "EUR".into(),
                searches: Default::default(),
            },
        );
        catalog.validate().expect("a catalog built from a feed validates");
    }
});
