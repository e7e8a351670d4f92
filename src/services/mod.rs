//! The app's contact with the browser: storage and file download.

pub mod storage;
