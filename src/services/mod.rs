//! The app's contact with the browser: storage and file download.

#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod consent;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod download;
pub mod storage;
