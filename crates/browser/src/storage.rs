//! Everything the app keeps about a visitor, in this browser's localStorage only.
//!
//! Keys are namespaced and versioned. The interaction log is one JSON event per line, so damage to
//! one entry loses nothing else: unreadable lines are moved to [`SET_ASIDE_KEY`] (kept for export,
//! never silently dropped) and the visitor is told. When storage is disabled or full, the app keeps
//! working in memory and says so.

use serde::{Deserialize, Serialize};
use tastebud_core::EventWeights;

use crate::engine::StoredEvent;

/// The interaction log: one JSON [`StoredEvent`] per line.
pub const LOG_KEY: &str = "tastebud:v1:log";
/// Language, onboarding interests and whether onboarding is done.
pub const PREFS_KEY: &str = "tastebud:v1:prefs";
/// Stored entries that could not be read, kept verbatim.
pub const SET_ASIDE_KEY: &str = "tastebud:v1:set-aside";
/// When the visitor agreed to storage (Unix seconds), under the `required` and `auto` consent
/// settings; written only with that consent.
pub const CONSENT_KEY: &str = "tastebud:v1:consent";
/// Every key the app writes.
pub const ALL_KEYS: [&str; 4] = [LOG_KEY, PREFS_KEY, SET_ASIDE_KEY, CONSENT_KEY];

/// How long stored events (and a stored consent) are kept by default: 13 months, as CNIL
/// recommends for trackers, in days.
pub const DEFAULT_RETENTION_DAYS: f64 = 396.0;

/// Whether storing the visitor's activity waits for their consent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConsentMode {
    /// Stored from the first event (the default).
    #[default]
    None,
    /// Nothing is stored until the visitor agrees (`Tastebud.consent(true)`, or the
    /// storefront's own prompt); until then the visit lives in memory.
    Required,
    /// As `Required`, with the consent read from the page's consent signals (Google Consent
    /// Mode, IAB TCF, Shopify's Customer Privacy API, Global Privacy Control).
    Auto,
}

impl ConsentMode {
    /// `none`, `required` or `auto` (trimmed, any case).
    pub fn from_name(name: &str) -> Option<ConsentMode> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" => Some(ConsentMode::None),
            "required" => Some(ConsentMode::Required),
            "auto" => Some(ConsentMode::Auto),
            _ => None,
        }
    }
}

/// `log` without the events older than `retention_days` before `now` (Unix seconds), and how
/// many were dropped. Events without a time are kept.
pub fn expire(log: Vec<StoredEvent>, now: f64, retention_days: f64) -> (Vec<StoredEvent>, usize) {
    let oldest = now - retention_days * 86_400.0;
    let before = log.len();
    let kept: Vec<StoredEvent> = log
        .into_iter()
        .filter(|e| e.event.timestamp.is_none_or(|t| t >= oldest))
        .collect();
    let dropped = before - kept.len();
    (kept, dropped)
}

/// Whether a stored consent (the [`CONSENT_KEY`] value: whole Unix seconds) still holds at
/// `now`. (Integers only: parsing a float would link a float parser's tables into the widget.)
pub fn consent_holds(stored: Option<&str>, now: f64, retention_days: f64) -> bool {
    stored
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|at| at as f64)
        .is_some_and(|at| at <= now + 86_400.0 && now - at <= retention_days * 86_400.0)
}

/// The log is compacted once it passes this many events...
pub const MAX_EVENTS: usize = 400;
/// ...keeping this many newest events as they are.
pub const KEEP_RECENT: usize = 200;

/// The visitor's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// The chosen interface language, once the visitor has chosen one.
    pub lang: Option<String>,
    /// Category ids picked during onboarding.
    pub interests: Vec<String>,
    /// Whether onboarding was finished or skipped.
    pub onboarded: bool,
    /// The "more familiar / more niche" setting: the discovery strength, 0 to 2 (`None`: 1, the
    /// `discovery` preset as tuned).
    pub niche: Option<f32>,
}

impl Prefs {
    /// The discovery strength to rank with.
    pub fn niche_level(&self) -> f32 {
        self.niche
            .filter(|v| v.is_finite())
            .unwrap_or(1.0)
            .clamp(0.0, 2.0)
    }
}

/// Whether writes reach storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Writes succeed.
    Ok,
    /// localStorage is disabled or throws.
    Unavailable,
    /// A write failed for lack of space.
    Full,
}

/// What was read at start-up.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loaded {
    /// The readable events, oldest first.
    pub log: Vec<StoredEvent>,
    /// Settings (defaults if unreadable).
    pub prefs: Prefs,
    /// Entries that could not be read, this time and before.
    pub set_aside: Vec<String>,
    /// How many entries were newly set aside on this load.
    pub newly_set_aside: usize,
    /// The damaged log lines found on this load, verbatim.
    pub damaged_log: Vec<String>,
    /// The damaged settings text found on this load, verbatim.
    pub damaged_prefs: Option<String>,
    /// The damaged entries could not be written to [`SET_ASIDE_KEY`] (storage full): they stay
    /// where they were, and every rewrite keeps them there.
    pub stranded: bool,
}

/// Parses the stored log. Returns the readable events and the unreadable lines.
pub fn parse_log(text: &str) -> (Vec<StoredEvent>, Vec<String>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<StoredEvent>(line) {
            Ok(e) if !e.item.is_empty() && e.item.len() <= 256 => events.push(e),
            _ => bad.push(line.to_owned()),
        }
    }
    (events, bad)
}

/// The stored form of a log.
pub fn serialize_log(log: &[StoredEvent]) -> String {
    let mut out = String::new();
    for e in log {
        out.push_str(&json(e));
        out.push('\n');
    }
    out
}

/// Appends an event, compacting the log when it grows past [`MAX_EVENTS`].
pub fn append(log: &[StoredEvent], event: StoredEvent) -> Vec<StoredEvent> {
    let mut events: Vec<(String, tastebud_core::Interaction)> =
        log.iter().map(|e| (e.item.clone(), e.event)).collect();
    events.push((event.item, event.event));
    EventWeights::default()
        .compact(events, MAX_EVENTS, KEEP_RECENT)
        .into_iter()
        .map(|(item, event)| StoredEvent { item, event })
        .collect()
}

/// Reads everything from raw stored values (`None` for a missing key).
pub fn read(log: Option<String>, prefs: Option<String>, set_aside: Option<String>) -> Loaded {
    let (events, damaged_log) = parse_log(log.as_deref().unwrap_or(""));
    let mut damaged_prefs = None;
    let prefs = match prefs {
        None => Prefs::default(),
        Some(text) => match serde_json::from_str::<Prefs>(&text) {
            Ok(p) => p,
            Err(_) => {
                damaged_prefs = Some(text);
                Prefs::default()
            }
        },
    };
    let mut kept = Vec::new();
    let mut newly_set_aside = damaged_log.len() + usize::from(damaged_prefs.is_some());
    if let Some(text) = set_aside {
        match serde_json::from_str::<Vec<String>>(&text) {
            Ok(earlier) => kept = earlier,
            // A set-aside value that is not a list of strings is itself kept, verbatim, as the
            // first entry of the new list: rewriting the key never drops it.
            Err(_) => {
                kept.push(text);
                newly_set_aside += 1;
            }
        }
    }
    kept.extend(damaged_log.iter().cloned());
    kept.extend(damaged_prefs.iter().cloned());
    Loaded {
        log: events,
        prefs,
        set_aside: kept,
        newly_set_aside,
        damaged_log,
        damaged_prefs,
        stranded: false,
    }
}

/// `value` as JSON. Events, settings and lists of strings always serialize; the panic's message
/// is the error's text, not its debug form, which would add Rust's string escaping to the widget.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_string(value) {
        Ok(text) => text,
        Err(e) => panic!("{e}"),
    }
}

/// The stored form of a log that still holds `damaged` lines which could not be set aside: they
/// go first, verbatim, so rewriting the log never drops them.
pub fn serialize_log_keeping(log: &[StoredEvent], damaged: &[String]) -> String {
    let mut out = String::new();
    for line in damaged {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&serialize_log(log));
    out
}

/// The JSON the privacy panel exports: everything stored, in readable form.
pub fn export_json(log: &[StoredEvent], prefs: &Prefs, set_aside: &[String]) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "exported_by": "Tastebud",
        "storage_keys": ALL_KEYS,
        "interactions": log,
        "preferences": prefs,
        "set_aside": set_aside,
    }))
    .expect("export serializes")
}

#[cfg(target_arch = "wasm32")]
pub use browser::{
    configure, consent, current, erase_all, grant, load, record, save, save_prefs, storing,
    withdraw,
};

/// What a rewrite of the stored log and settings must carry over from a load whose damaged
/// entries could not be set aside.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keep<'a> {
    /// Damaged log lines, kept at the start of the log.
    pub log_lines: &'a [String],
    /// Damaged settings text, left in place unless the visitor changed a setting.
    pub prefs: Option<&'a str>,
}

impl Loaded {
    /// What a rewrite must keep: the damaged entries, when they could not be set aside.
    pub fn keep(&self) -> Keep<'_> {
        if self.stranded {
            Keep {
                log_lines: &self.damaged_log,
                prefs: self.damaged_prefs.as_deref(),
            }
        } else {
            Keep::default()
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use std::cell::{Cell, RefCell};

    use wasm_bindgen::JsCast;

    use super::*;

    /// The page's consent setting and what it allows now.
    #[derive(Clone, Copy)]
    struct Policy {
        mode: ConsentMode,
        retention_days: f64,
        /// Under `required` or `auto`: the visitor has agreed.
        granted: bool,
    }

    thread_local! {
        /// `Some` once storage has failed on this page, or while consent is awaited: the
        /// visitor lives here until it is stored.
        static MEMORY: RefCell<Option<(Vec<StoredEvent>, Prefs)>> = const { RefCell::new(None) };
        static POLICY: Cell<Policy> = const {
            Cell::new(Policy {
                mode: ConsentMode::None,
                retention_days: DEFAULT_RETENTION_DAYS,
                granted: false,
            })
        };
    }

    fn now() -> f64 {
        js_sys::Date::now() / 1000.0
    }

    /// Whether the visitor's activity may be read from and written to storage now.
    ///
    /// Under `required` and `auto` the stored consent is checked each time: when another tab
    /// withdrew it (or erased everything), this tab stops storing too, and its visit goes on in
    /// memory from empty.
    pub fn storing() -> bool {
        let mut p = POLICY.with(Cell::get);
        if p.mode == ConsentMode::None {
            return true;
        }
        if !p.granted {
            return false;
        }
        let still = storage()
            .and_then(|s| s.get_item(CONSENT_KEY).ok().flatten())
            .is_some();
        if !still {
            p.granted = false;
            POLICY.with(|c| c.set(p));
            MEMORY.with(|m| *m.borrow_mut() = Some(Default::default()));
        }
        still
    }

    /// Sets the consent setting and how long stored events are kept (days; not finite or not
    /// positive: the default). Under `required` and `auto`, a consent stored earlier (within the
    /// retention) holds; without one, nothing is read or written until [`grant`], and the visit
    /// lives in memory.
    pub fn configure(mode: ConsentMode, retention_days: f64) {
        let retention_days = if retention_days.is_finite() && retention_days > 0.0 {
            retention_days
        } else {
            DEFAULT_RETENTION_DAYS
        };
        let was_storing = storing();
        let granted = mode != ConsentMode::None
            && storage()
                .and_then(|s| s.get_item(CONSENT_KEY).ok().flatten())
                .is_some_and(|v| consent_holds(Some(&v), now(), retention_days));
        POLICY.with(|p| {
            p.set(Policy {
                mode,
                retention_days,
                granted,
            })
        });
        if !storing() {
            MEMORY.with(|m| {
                m.borrow_mut().get_or_insert_with(Default::default);
            });
        } else if !was_storing {
            flush_memory();
        }
    }

    /// Stores what was kept in memory while storing was not allowed, merged with what is
    /// stored; it stays in memory if storage refuses it.
    fn flush_memory() -> Health {
        let Some((kept, kept_prefs)) = MEMORY.with(|m| m.borrow_mut().take()) else {
            return Health::Ok;
        };
        let (loaded, _) = load();
        let mut log = loaded.log.clone();
        for event in kept {
            log = append(&log, event);
        }
        let prefs = if kept_prefs != Prefs::default() {
            kept_prefs
        } else {
            loaded.prefs.clone()
        };
        let health = save_keeping(&log, &prefs, loaded.keep());
        if health != Health::Ok {
            MEMORY.with(|m| *m.borrow_mut() = Some((log, prefs)));
        }
        health
    }

    /// The visitor agreed: their consent is stored with its time, and what this visit kept in
    /// memory is stored, merged with anything already there. Nothing changes under `none`.
    pub fn grant() -> Health {
        let mut p = POLICY.with(Cell::get);
        if p.mode == ConsentMode::None {
            return Health::Ok;
        }
        let was = storing();
        let Some(s) = storage() else {
            return Health::Unavailable;
        };
        // Granted only once the consent itself is stored; until then the visit stays in memory
        // and a later agreement tries again.
        let health = put(&s, CONSENT_KEY, Some(&(now() as u64).to_string()));
        if health != Health::Ok {
            return health;
        }
        p.granted = true;
        POLICY.with(|c| c.set(p));
        if was {
            return health;
        }
        flush_memory()
    }

    /// The visitor declined or withdrew: everything stored is erased and nothing more is
    /// written; the visit goes on in memory from empty, so agreeing again later cannot bring the
    /// erased history back. Nothing changes under `none`.
    pub fn withdraw() -> Health {
        let mut p = POLICY.with(Cell::get);
        if p.mode == ConsentMode::None {
            return Health::Ok;
        }
        p.granted = false;
        POLICY.with(|c| c.set(p));
        MEMORY.with(|m| *m.borrow_mut() = Some(Default::default()));
        remove_all()
    }

    /// The consent setting, and whether storing is allowed now.
    pub fn consent() -> (ConsentMode, bool) {
        (POLICY.with(Cell::get).mode, storing())
    }

    /// The visitor as stored now, with what other tabs wrote since this one last looked (or as
    /// kept in memory once storage failed on this page, or while consent is awaited).
    pub fn current() -> (Vec<StoredEvent>, Prefs) {
        storing();
        if let Some(memory) = MEMORY.with(|m| m.borrow().clone()) {
            return memory;
        }
        let (loaded, health) = load();
        if health == Health::Unavailable {
            MEMORY.with(|m| *m.borrow_mut() = Some((loaded.log.clone(), loaded.prefs.clone())));
        }
        (loaded.log, loaded.prefs)
    }

    /// Records one event against the log as stored now, never against a copy this page read
    /// earlier: events another tab recorded since are kept, and an erase in another tab is not
    /// undone. Returns the log as it now stands, and whether storing it worked (`None` once
    /// storage has failed on this page, or while consent is awaited: it is kept in memory).
    pub fn record(event: StoredEvent) -> (Vec<StoredEvent>, Option<Health>) {
        let in_memory = !storing() || MEMORY.with(|m| m.borrow().is_some());
        let (log, prefs, health) = if in_memory {
            let (log, prefs) = current();
            let log = append(&log, event);
            (log, prefs, None)
        } else {
            let (loaded, health) = load();
            let log = append(&loaded.log, event);
            let health = match health {
                Health::Unavailable => Health::Unavailable,
                _ => save_keeping(&log, &loaded.prefs, loaded.keep()),
            };
            (log, loaded.prefs, Some(health))
        };
        if health.is_none_or(|h| h != Health::Ok) {
            MEMORY.with(|m| *m.borrow_mut() = Some((log.clone(), prefs)));
        }
        (log, health)
    }

    /// Stores the settings, leaving the stored log as it is (`None` once storage has failed on
    /// this page, or while consent is awaited: they are kept in memory).
    pub fn save_prefs(prefs: &Prefs) -> Option<Health> {
        storing();
        let kept = MEMORY.with(|m| {
            m.borrow_mut()
                .as_mut()
                .map(|(_, p)| *p = prefs.clone())
                .is_some()
        });
        if kept {
            return None;
        }
        let Some(s) = storage() else {
            return Some(Health::Unavailable);
        };
        let text = (*prefs != Prefs::default()).then(|| json(prefs));
        Some(put(&s, PREFS_KEY, text.as_deref()))
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Reads the stored state, moving unreadable entries aside and dropping events past the
    /// retention. `Health::Unavailable` when storage cannot be used at all; while consent is
    /// awaited nothing is read (the visit is in memory).
    pub fn load() -> (Loaded, Health) {
        if !storing() {
            let (log, prefs) = MEMORY.with(|m| m.borrow().clone()).unwrap_or_default();
            return (
                Loaded {
                    log,
                    prefs,
                    ..Loaded::default()
                },
                Health::Ok,
            );
        }
        let Some(s) = storage() else {
            return (Loaded::default(), Health::Unavailable);
        };
        let get = |k: &str| s.get_item(k).ok().flatten();
        let mut loaded = read(get(LOG_KEY), get(PREFS_KEY), get(SET_ASIDE_KEY));
        let (log, expired) = expire(
            std::mem::take(&mut loaded.log),
            now(),
            POLICY.with(Cell::get).retention_days,
        );
        loaded.log = log;
        let mut health = Health::Ok;
        if loaded.newly_set_aside > 0 {
            // Rewrite the damaged keys with what was readable; the damaged text goes aside first,
            // so a failure here loses nothing. If it cannot go aside (storage full), the damaged
            // keys are left as they are.
            let aside = json(&loaded.set_aside);
            health = put(&s, SET_ASIDE_KEY, Some(&aside));
            if health == Health::Ok {
                health = save(&loaded.log, &loaded.prefs);
            } else {
                loaded.stranded = true;
            }
        } else if expired > 0 {
            health = save(&loaded.log, &loaded.prefs);
        }
        (loaded, health)
    }

    /// Writes the log and settings; empty values remove their key.
    pub fn save(log: &[StoredEvent], prefs: &Prefs) -> Health {
        save_keeping(log, prefs, Keep::default())
    }

    /// [`save`], carrying over damaged entries that could not be set aside.
    fn save_keeping(log: &[StoredEvent], prefs: &Prefs, keep: Keep<'_>) -> Health {
        let Some(s) = storage() else {
            return Health::Unavailable;
        };
        let log_text = (!log.is_empty() || !keep.log_lines.is_empty())
            .then(|| serialize_log_keeping(log, keep.log_lines));
        let prefs_text = match keep.prefs {
            Some(damaged) if *prefs == Prefs::default() => Some(damaged.to_owned()),
            _ => (*prefs != Prefs::default()).then(|| json(prefs)),
        };
        match put(&s, LOG_KEY, log_text.as_deref()) {
            Health::Ok => put(&s, PREFS_KEY, prefs_text.as_deref()),
            bad => bad,
        }
    }

    fn put(s: &web_sys::Storage, key: &str, value: Option<&str>) -> Health {
        let result = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
        match result {
            Ok(()) => Health::Ok,
            Err(e) => {
                let quota = e
                    .dyn_ref::<web_sys::DomException>()
                    .is_some_and(|d| d.name() == "QuotaExceededError");
                if quota {
                    Health::Full
                } else {
                    Health::Unavailable
                }
            }
        }
    }

    /// Removes every key the app writes, and what this page kept in memory. Under `required`
    /// and `auto` the stored consent goes too, so nothing is stored again until the visitor
    /// agrees again.
    pub fn erase_all() -> Health {
        MEMORY.with(|m| *m.borrow_mut() = None);
        let mut p = POLICY.with(Cell::get);
        if p.mode != ConsentMode::None {
            p.granted = false;
            POLICY.with(|c| c.set(p));
            MEMORY.with(|m| *m.borrow_mut() = Some(Default::default()));
        }
        remove_all()
    }

    fn remove_all() -> Health {
        let Some(s) = storage() else {
            return Health::Unavailable;
        };
        for key in ALL_KEYS {
            if s.remove_item(key).is_err() {
                return Health::Unavailable;
            }
        }
        Health::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tastebud_core::EventKind;

    fn ev(item: &str, kind: EventKind) -> StoredEvent {
        StoredEvent::new(item, kind, None, 1.0)
    }

    #[test]
    fn the_log_round_trips_line_by_line() {
        let log = vec![ev("a", EventKind::Like), ev("b", EventKind::Dismiss)];
        let text = serialize_log(&log);
        assert_eq!(
            text,
            "{\"item\":\"a\",\"kind\":\"like\",\"timestamp\":1.0}\n{\"item\":\"b\",\"kind\":\"dismiss\",\"timestamp\":1.0}\n"
        );
        let (back, bad) = parse_log(&text);
        assert_eq!(back, log);
        assert!(bad.is_empty());
        // GA4 names, a value, extra fields and an integer time read as before.
        let (read, bad) = parse_log(
            "{\"item\":\"c\",\"kind\":\"add_to_wishlist\",\"value\":2,\"timestamp\":5,\"x\":1}\n",
        );
        assert!(bad.is_empty());
        assert_eq!(read[0].event.kind, EventKind::Like);
        assert_eq!(
            (read[0].event.value, read[0].event.timestamp),
            (Some(2.0), Some(5.0))
        );
    }

    #[test]
    fn a_damaged_line_is_set_aside_and_the_rest_kept() {
        let good = serialize_log(&[ev("a", EventKind::Like), ev("b", EventKind::View)]);
        let mut lines: Vec<&str> = good.lines().collect();
        lines.insert(1, "{\"item\": \"c\", \"kind\": \"lik");
        lines.push("<script>alert(1)</script>");
        let loaded = read(
            Some(lines.join("\n")),
            Some("{not json".into()),
            Some("[\"older\"]".into()),
        );
        assert_eq!(loaded.log.len(), 2);
        assert_eq!(loaded.newly_set_aside, 3);
        assert_eq!(loaded.set_aside[0], "older");
        assert_eq!(loaded.set_aside.len(), 4);
        assert_eq!(loaded.prefs, Prefs::default());
    }

    #[test]
    fn a_set_aside_value_that_is_not_a_list_is_kept_inside_the_new_one() {
        let loaded = read(
            Some("{broken\n".into()),
            None,
            Some("{\"not\": \"a list\"}".into()),
        );
        assert_eq!(loaded.set_aside, ["{\"not\": \"a list\"}", "{broken"]);
        assert_eq!(loaded.newly_set_aside, 2);
        let loaded = read(None, None, Some("[\"older\"]".into()));
        assert_eq!(loaded.newly_set_aside, 0);
    }

    #[test]
    fn damaged_lines_that_could_not_go_aside_survive_every_rewrite() {
        let log = format!(
            "{}\n{}",
            "x".repeat(3 << 20),
            serialize_log(&[ev("a", EventKind::Like)])
        );
        let mut loaded = read(Some(log), Some("{nope".into()), None);
        assert!(
            loaded.keep().log_lines.is_empty(),
            "set aside: nothing to carry"
        );
        loaded.stranded = true;
        let keep = loaded.keep();
        assert_eq!(keep.prefs, Some("{nope"));
        let events = append(&loaded.log, ev("b", EventKind::Like));
        let text = serialize_log_keeping(&events, keep.log_lines);
        let (back, bad) = parse_log(&text);
        assert_eq!(back, events);
        assert_eq!(bad, [("x".repeat(3 << 20))]);
    }

    #[test]
    fn a_log_of_many_unknown_items_compacts_within_the_cap() {
        let log: Vec<StoredEvent> = (0..100_000)
            .map(|n| StoredEvent::new(&format!("gone-{n}"), EventKind::View, None, n as f64))
            .collect();
        let log = append(&log, ev("liked", EventKind::Like));
        assert!(log.len() <= MAX_EVENTS, "{}", log.len());
        assert_eq!(log.last().unwrap().item, "liked");
    }

    #[test]
    fn events_past_the_retention_expire_and_untimed_ones_stay() {
        let day = 86_400.0;
        let now = 1_000.0 * day;
        let log = vec![
            StoredEvent::new("old", EventKind::Like, None, now - 400.0 * day),
            StoredEvent::new("recent", EventKind::Like, None, now - 10.0 * day),
            StoredEvent {
                item: "untimed".into(),
                event: tastebud_core::Interaction::weight(2.0),
            },
        ];
        let (kept, dropped) = expire(log, now, DEFAULT_RETENTION_DAYS);
        assert_eq!(dropped, 1);
        let ids: Vec<&str> = kept.iter().map(|e| e.item.as_str()).collect();
        assert_eq!(ids, ["recent", "untimed"]);
        let (kept, dropped) = expire(kept, now, 5.0);
        assert_eq!((kept.len(), dropped), (1, 1));
    }

    #[test]
    fn a_stored_consent_holds_for_the_retention_only() {
        let day = 86_400.0;
        let now = 1_000.0 * day;
        let at = |t: f64| (t as u64).to_string();
        assert!(consent_holds(
            Some(&at(now - 30.0 * day)),
            now,
            DEFAULT_RETENTION_DAYS
        ));
        assert!(!consent_holds(
            Some(&at(now - 400.0 * day)),
            now,
            DEFAULT_RETENTION_DAYS
        ));
        assert!(!consent_holds(
            Some(&at(now + 30.0 * day)),
            now,
            DEFAULT_RETENTION_DAYS
        ));
        for bad in [
            None,
            Some("yes"),
            Some("NaN"),
            Some(""),
            Some("-5"),
            Some("1.5"),
        ] {
            assert!(!consent_holds(bad, now, DEFAULT_RETENTION_DAYS), "{bad:?}");
        }
        assert_eq!(ConsentMode::from_name(" Auto "), Some(ConsentMode::Auto));
        assert_eq!(ConsentMode::from_name("none"), Some(ConsentMode::None));
        assert_eq!(ConsentMode::from_name("later"), None);
    }

    #[test]
    fn append_compacts_past_the_cap() {
        let mut log = Vec::new();
        for n in 0..(MAX_EVENTS + 1) {
            log = append(&log, ev(&format!("i{}", n % 7), EventKind::View));
        }
        assert!(log.len() <= KEEP_RECENT + 7, "{}", log.len());
    }
}
