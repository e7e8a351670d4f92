//! GA4 BigQuery export lines on arbitrary bytes: `ga4::parse` returns the events or an error
//! naming the line, never panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tastebud_cli::ga4::{self, Mapping};

fuzz_target!(|data: &[u8]| {
    let _ = ga4::parse(Path::new("events.jsonl"), data, &Mapping::default());
});
