//! The visitor's log, read and written through the browser engine's `storage`, so the
//! format, compaction and recovery of damaged lines are the storefront's own. When storage is
//! disabled or full the page keeps the log in memory from then on, as the storefront does.

use tastebud_browser::engine::StoredEvent;
use tastebud_browser::storage::{self, serialize_log, Prefs};

/// The log (oldest first) and the shared settings, as stored now.
pub fn read() -> (Vec<StoredEvent>, Prefs) {
    storage::current()
}

/// Appends an event to the log as stored now (compacting as the storefront does).
pub fn record(event: StoredEvent) {
    storage::record(event);
}

/// Removes everything stored, in memory too.
pub fn erase() {
    storage::erase_all();
}

/// The visitor in their stored form, the log's lines and the settings' JSON, for a Web Worker,
/// which cannot read localStorage.
pub fn snapshot() -> (String, String) {
    let (log, prefs) = read();
    let prefs = serde_json::to_string(&prefs).unwrap_or_default();
    (serialize_log(&log), prefs)
}

/// A [`snapshot`] read back, exactly as storage reads it.
pub fn from_snapshot(log: &str, prefs: &str) -> (Vec<StoredEvent>, Prefs) {
    let loaded = storage::read(Some(log.to_owned()), Some(prefs.to_owned()), None);
    (loaded.log, loaded.prefs)
}
