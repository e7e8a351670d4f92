//! Tastebud's storefront: a bilingual demo shop whose recommendations are computed in the
//! visitor's browser from interactions kept only in that browser.
//!
//! The engine (loading, the visitor's log, the lists and the texts) is `tastebud-browser`
//! (`crates/browser`), which the embeddable widget (`crates/widget`) shares, so both read and
//! write the same visitor log. This crate is the Yew app over it: `state` (the reducer) is plain
//! Rust, tested natively; the components render it.

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod services;
pub mod state;

#[cfg(target_arch = "wasm32")]
pub use app::{App, AppProps};

/// Mounts the app on the page body; it fetches `data/catalog.json` and `data/model.tbm`.
#[cfg(target_arch = "wasm32")]
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// Mounts the app inside `root` with an engine already loaded (tests and embedding).
#[cfg(target_arch = "wasm32")]
pub fn mount_with(
    root: web_sys::Element,
    engine: std::rc::Rc<tastebud_browser::engine::Engine>,
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
#[cfg(target_arch = "wasm32")]
pub fn mount(root: web_sys::Element) -> yew::AppHandle<App> {
    yew::Renderer::<App>::with_root(root).render()
}
