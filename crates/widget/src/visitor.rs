//! The visitor's log, read and written through the storefront's `services::storage`, so the
//! format, compaction and recovery of damaged lines are the storefront's own. When storage is
//! disabled or full the page keeps the log in memory from then on, as the storefront does.

use std::cell::RefCell;

use tastebud_web::engine::StoredEvent;
use tastebud_web::services::storage::{self, append, serialize_log, Health, Prefs};

thread_local! {
    /// `Some` once storage has failed on this page: the log lives here instead.
    static MEMORY: RefCell<Option<(Vec<StoredEvent>, Prefs)>> = const { RefCell::new(None) };
}

/// The log (oldest first) and the shared settings.
pub fn read() -> (Vec<StoredEvent>, Prefs) {
    if let Some(memory) = MEMORY.with(|m| m.borrow().clone()) {
        return memory;
    }
    let (loaded, health) = storage::load();
    if health == Health::Unavailable {
        MEMORY.with(|m| *m.borrow_mut() = Some((loaded.log.clone(), loaded.prefs.clone())));
    }
    (loaded.log, loaded.prefs)
}

/// Appends an event (compacting as the storefront does) and stores the log.
pub fn record(event: StoredEvent) {
    let in_memory = MEMORY.with(|m| m.borrow().is_some());
    let (log, prefs) = read();
    let log = append(&log, event);
    if in_memory || storage::save(&log, &prefs) != Health::Ok {
        MEMORY.with(|m| *m.borrow_mut() = Some((log, prefs)));
    }
}

/// Removes everything stored, in memory too.
pub fn erase() {
    MEMORY.with(|m| *m.borrow_mut() = None);
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
