//! Tastebud's browser engine, shared by the storefront (the Yew app at the repository root) and
//! the embeddable widget (`crates/widget`):
//!
//! - `engine`: the catalog and model loaded, and every list a page shows (for you, interests,
//!   similar, search, the shop's lists), with explanations;
//! - `storage`: the visitor's log and preferences in `localStorage`, in one format for every
//!   front end, with compaction, recovery of damaged lines and a health report;
//! - `i18n`: the English and Simplified Chinese texts;
//! - `download` (with the `fetch` feature): downloads with progress and a stall watchdog.
//!
//! `engine`, `i18n` and the pure half of `storage` are plain Rust, tested natively; the
//! `localStorage` half and `download` build for wasm32 only.

#[cfg(all(target_arch = "wasm32", feature = "fetch"))]
pub mod download;
pub mod engine;
pub mod i18n;
pub mod storage;
