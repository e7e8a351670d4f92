//! The readers behind the `tastebud` command, as a library: interaction logs in every
//! supported layout ([`input`]), GA4 BigQuery exports ([`ga4`]), and product feeds, Merchant
//! Center RSS/XML or TSV and Shopify CSV exports ([`feeds`]). Every reader reports a bad input
//! with its file and line; the fuzz targets in `fuzz/` hold them to never panicking.

pub mod feeds;
pub mod ga4;
pub mod input;
