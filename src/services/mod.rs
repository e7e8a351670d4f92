//! The storefront's own contact with the page: its consent setting and signals.

pub mod consent;
