//! Tastebud's storefront: a bilingual demo shop whose recommendations are computed in the
//! visitor's browser from interactions kept only in that browser.
//!
//! `engine` (the lists the page shows), `state` (the reducer), `i18n` and the pure half of
//! `services::storage` are plain Rust, tested natively; the components render them with Yew.
//!
//! The Yew parts sit behind the default `app` feature. Without it the crate is `engine`, `i18n`
//! and `services::storage`, which the embeddable widget (`crates/widget`) shares with the
//! storefront so both read and write the same visitor log.

#[cfg(all(target_arch = "wasm32", feature = "app"))]
mod app;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
mod components;
pub mod engine;
pub mod i18n;
pub mod services;
#[cfg(feature = "app")]
pub mod state;

#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub use app::{App, AppProps};

/// Mounts the app on the page body; it fetches `data/catalog.json` and `data/model.tbm`.
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// Mounts the app inside `root` with an engine already loaded (tests and embedding).
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub fn mount_with(
    root: web_sys::Element,
    engine: std::rc::Rc<engine::Engine>,
) -> yew::AppHandle<App> {
    yew::Renderer::<App>::with_root_and_props(
        root,
        AppProps {
            engine: Some(engine),
        },
    )
    .render()
}

/// Mounts the app inside `root`, fetching the catalog and model.
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub fn mount(root: web_sys::Element) -> yew::AppHandle<App> {
    yew::Renderer::<App>::with_root(root).render()
}
