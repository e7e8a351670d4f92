//! Google Analytics 4 e-commerce events as the BigQuery export writes them: one JSON object per
//! line with `event_name`, `event_timestamp` (microseconds), `user_pseudo_id`, an `items` array
//! of `{"item_id": ...}` and `event_params` as `[{"key": ..., "value": {"string_value": ...}}]`.
//!
//! Which events count, and as what, is [`EventKind::GA4`] unless a `--ga4-map` file says
//! otherwise. Events outside the mapping are counted, not fatal; rows of mapped events with no
//! usable user or item are skipped and counted. A line that is not a GA4 row at all is an error.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use serde_json::{Map, Value};
use tastebud_core::{is_showable_search, EventKind, EventWeights, Interaction};

use crate::input::{lines, read_file};

/// What a line looks like, for error messages.
pub const DESCRIPTION: &str = "ga4: one BigQuery export row per line such as \
    {\"event_name\": \"view_item\", \"event_timestamp\": \"1700000000000000\", \
    \"user_pseudo_id\": \"123.456\", \"items\": [{\"item_id\": \"SKU1\"}]}";

/// GA4's placeholder for a value that was not collected.
const NOT_SET: &str = "(not set)";

/// Which GA4 events count as which Tastebud kinds, and optionally the weights to use.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// Event name -> the kind it counts as, or `None` to ignore it on purpose.
    events: HashMap<String, Option<EventKind>>,
    /// Weights given in the mapping file, replacing the defaults.
    pub weights: Option<EventWeights>,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            events: EventKind::GA4
                .into_iter()
                .map(|(name, kind)| (name.to_owned(), Some(kind)))
                .collect(),
            weights: None,
        }
    }
}

/// The `--ga4-map` file: `{"events": {"begin_checkout": null, "generate_lead": "like"},
/// "weights": {"purchase": 10}}`. Both parts are optional; listed events replace or extend the
/// default mapping, `null` ignores an event, and `weights` takes `EventWeights`' fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    events: BTreeMap<String, Option<String>>,
    #[serde(default)]
    weights: Option<EventWeights>,
}

impl Mapping {
    /// Reads a mapping file over the defaults.
    pub fn load(path: &Path) -> Result<Mapping> {
        let bytes = read_file(path)?;
        let file: MappingFile = serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: invalid GA4 mapping", path.display()))?;
        let mut mapping = Mapping::default();
        for (event, kind) in file.events {
            let kind = kind
                .map(|name| mapped_kind(&event, &name))
                .transpose()
                .map_err(|e| anyhow!("{}: invalid GA4 mapping: {e}", path.display()))?;
            mapping.events.insert(event, kind);
        }
        if let Some(w) = &file.weights {
            w.validate()
                .with_context(|| format!("{}: invalid GA4 mapping weights", path.display()))?;
        }
        mapping.weights = file.weights;
        Ok(mapping)
    }

    fn lookup(&self, event: &str) -> Lookup {
        match self.events.get(event) {
            Some(Some(kind)) => Lookup::Counts(*kind),
            Some(None) => Lookup::Ignored,
            None => Lookup::Unknown,
        }
    }
}

/// The kind a mapping file names for `event`; ratings and weights need a value GA4 rows lack.
fn mapped_kind(event: &str, name: &str) -> Result<EventKind, String> {
    let usable = [
        EventKind::View,
        EventKind::Click,
        EventKind::Like,
        EventKind::SearchHit,
        EventKind::AddToCart,
        EventKind::Purchase,
        EventKind::Dismiss,
    ];
    let names: Vec<&str> = usable.iter().map(|k| k.name()).collect();
    match EventKind::from_name(name) {
        Some(kind) if usable.contains(&kind) => Ok(kind),
        Some(_) => Err(format!(
            "event {event:?} maps to {name:?}, which needs a value GA4 rows do not carry; use one of {} (or null to ignore the event)",
            names.join(", ")
        )),
        None => Err(format!(
            "event {event:?} maps to unknown kind {name:?}; use one of {} (or null to ignore the event)",
            names.join(", ")
        )),
    }
}

enum Lookup {
    Counts(EventKind),
    Ignored,
    Unknown,
}

/// One event about one item, ready for a [`tastebud_core::DatasetBuilder`].
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub user: String,
    pub item: String,
    pub interaction: Interaction,
    /// The order or session the event belongs to: `ecommerce.transaction_id` for purchases,
    /// else the user's `ga_session_id`; `None` when the row has neither.
    pub basket: Option<String>,
    /// The user's session (`ga_session_id`), as [`Ga4Log::searched`] names sessions.
    pub session: Option<String>,
}

/// What reading a GA4 file found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    /// Non-blank lines.
    pub rows: usize,
    /// Rows of counted events that gave at least one item event.
    pub used: usize,
    /// Item events per kind (a row with three items gives three).
    pub by_kind: BTreeMap<&'static str, usize>,
    /// Rows of events outside the mapping, per event name.
    pub unknown: BTreeMap<String, usize>,
    /// Rows of events the mapping ignores on purpose, per event name.
    pub ignored: BTreeMap<String, usize>,
    /// Rows of counted events with no `user_pseudo_id` (nor `user_id`).
    pub no_user: usize,
    /// Rows of counted events with no usable `items[].item_id`.
    pub no_item: usize,
    /// Search terms (of `view_search_results` and `search` rows, or any row whose `event_params`
    /// carry a `search_term`), counted per normalized term.
    pub searches: BTreeMap<String, u32>,
    /// Per normalized term, the distinct visitors who searched it (hashes of their
    /// `user_pseudo_id`, else `user_id`).
    pub searchers: HashMap<String, HashSet<u64>>,
}

impl Report {
    /// Item events in all.
    pub fn events(&self) -> usize {
        self.by_kind.values().sum()
    }

    /// Rows of events outside the mapping.
    pub fn unknown_rows(&self) -> usize {
        self.unknown.values().sum()
    }

    /// Rows of events the mapping ignores.
    pub fn ignored_rows(&self) -> usize {
        self.ignored.values().sum()
    }

    /// `: 40 rows of unknown events (page_view 30, scroll 10), 2 with no user`, or nothing when
    /// every row was used; for the error about a file with no usable event.
    pub fn why_unused(&self) -> String {
        let mut parts = Vec::new();
        if !self.unknown.is_empty() {
            parts.push(format!(
                "{} rows of unknown events ({})",
                self.unknown_rows(),
                most_first(&self.unknown, 5)
            ));
        }
        if !self.ignored.is_empty() {
            parts.push(format!(
                "{} rows of ignored events ({})",
                self.ignored_rows(),
                most_first(&self.ignored, 5)
            ));
        }
        if self.no_user > 0 {
            parts.push(format!("{} with no user", self.no_user));
        }
        if self.no_item > 0 {
            parts.push(format!("{} with no item", self.no_item));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join(", "))
        }
    }
}

/// `page_view 30, scroll 10, and 2 more`: the `n` largest counts, most first, ties by name.
pub fn most_first<K: AsRef<str> + Ord>(counts: &BTreeMap<K, usize>, n: usize) -> String {
    let mut sorted: Vec<(&K, &usize)> = counts.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut shown: Vec<String> = sorted
        .iter()
        .take(n)
        .map(|(name, count)| format!("{} {count}", name.as_ref()))
        .collect();
    if sorted.len() > n {
        shown.push(format!("and {} more", sorted.len() - n));
    }
    shown.join(", ")
}

/// A GA4 file's item events, oldest first (rows without a timestamp first, in file order), and
/// what was read.
pub struct Ga4Log {
    pub events: Vec<Event>,
    pub report: Report,
    /// The sessions (as [`Event::basket`] names them) with a search in them.
    pub searched: HashSet<String>,
}

/// Reads a GA4 export. Events are sorted by timestamp, since BigQuery exports are unordered and
/// dismissals and ratings depend on the order of a user's events.
pub fn read(path: &Path, mapping: &Mapping) -> Result<Ga4Log> {
    parse(path, &read_file(path)?, mapping)
}

/// [`read`] on a file's bytes; `path` names it in messages.
pub fn parse(path: &Path, bytes: &[u8], mapping: &Mapping) -> Result<Ga4Log> {
    let mut report = Report::default();
    let mut stamped: Vec<(Option<f64>, Event)> = Vec::new();
    let mut searched = HashSet::new();
    for line in lines(path, bytes) {
        let (number, line) = line?;
        if line.trim().is_empty() {
            continue;
        }
        let row = Row::parse(line).map_err(|problem| {
            anyhow!(
                "{}:{number}: {problem}; expected {DESCRIPTION}",
                path.display()
            )
        })?;
        report.rows += 1;
        if let Some(term) = &row.search_term {
            if let (Some(user), Some(s)) = (&row.user, &row.session) {
                searched.insert(format!("session {user} {s}"));
            }
            *report.searches.entry(term.clone()).or_insert(0) += 1;
            if let Some(user) = &row.user {
                let mut h = DefaultHasher::new();
                user.hash(&mut h);
                report
                    .searchers
                    .entry(term.clone())
                    .or_default()
                    .insert(h.finish());
            }
        }
        let kind = match mapping.lookup(&row.name) {
            Lookup::Counts(kind) => kind,
            Lookup::Ignored => {
                *report.ignored.entry(row.name).or_insert(0) += 1;
                continue;
            }
            Lookup::Unknown => {
                *report.unknown.entry(row.name).or_insert(0) += 1;
                continue;
            }
        };
        let Some(user) = row.user else {
            report.no_user += 1;
            continue;
        };
        if row.items.is_empty() {
            report.no_item += 1;
            continue;
        }
        report.used += 1;
        *report.by_kind.entry(kind.name()).or_insert(0) += row.items.len();
        let mut interaction = Interaction::new(kind);
        interaction.timestamp = row.seconds;
        let session = row.session.as_ref().map(|s| format!("session {user} {s}"));
        let basket = match &row.transaction {
            Some(t) if kind == EventKind::Purchase => Some(format!("order {t}")),
            _ => session.clone(),
        };
        for item in row.items {
            let event = Event {
                user: user.clone(),
                item,
                interaction,
                basket: basket.clone(),
                session: session.clone(),
            };
            stamped.push((row.seconds, event));
        }
    }
    // Stable, so events of the same instant keep the file's order.
    stamped.sort_by(|a, b| a.0.partial_cmp(&b.0).expect("timestamps are finite"));
    Ok(Ga4Log {
        events: stamped.into_iter().map(|(_, e)| e).collect(),
        report,
        searched,
    })
}

/// Trending search terms: how often each normalized term (trimmed, lowercase, inner spaces
/// collapsed) was searched, from every row whose `event_params` carry a `search_term`. Only
/// terms the storefront may show ([`is_showable_search`], at most 64 characters) searched by at least `min_searchers` distinct
/// visitors are kept, so one visitor's query (a name, an address) never reaches every visitor's
/// page; the second value counts the terms left out.
pub fn search_terms(path: &Path, min_searchers: usize) -> Result<(BTreeMap<String, u32>, usize)> {
    // Every event name is "unknown" to an empty mapping, so nothing else is collected.
    let nothing = Mapping {
        events: HashMap::new(),
        weights: None,
    };
    let log = read(path, &nothing)?;
    if log.report.rows == 0 {
        bail!("{}: no GA4 rows; expected {DESCRIPTION}", path.display());
    }
    let report = log.report;
    let all = report.searches.len();
    let kept: BTreeMap<String, u32> = report
        .searches
        .into_iter()
        .filter(|(term, _)| {
            is_showable_search(term)
                && report.searchers.get(term).map_or(0, HashSet::len) >= min_searchers
        })
        .collect();
    let left_out = all - kept.len();
    Ok((kept, left_out))
}

/// The parts of one export row Tastebud uses.
#[derive(Debug, PartialEq)]
struct Row {
    name: String,
    /// `user_pseudo_id`, or `user_id` when a row has none.
    user: Option<String>,
    /// `event_timestamp` in seconds.
    seconds: Option<f64>,
    /// Usable item ids, without repeats.
    items: Vec<String>,
    search_term: Option<String>,
    /// `ecommerce.transaction_id`.
    transaction: Option<String>,
    /// The `ga_session_id` event parameter.
    session: Option<String>,
}

impl Row {
    /// Parses a line; the error is the problem alone, without file or line.
    fn parse(line: &str) -> Result<Row, String> {
        let value: Value = serde_json::from_str(line).map_err(|e| {
            let text = e.to_string();
            let text = text.split(" at line ").next().unwrap_or(&text).to_owned();
            format!("not a JSON object ({text})")
        })?;
        let Value::Object(row) = value else {
            return Err("not a JSON object".into());
        };
        let name = match row.get("event_name") {
            Some(Value::String(name)) if !name.trim().is_empty() => name.trim().to_owned(),
            _ => return Err("no \"event_name\"; this is not a GA4 export row".into()),
        };
        let seconds = match row.get("event_timestamp") {
            None | Some(Value::Null) => None,
            Some(ts) => Some(
                microseconds(ts).ok_or_else(|| {
                    format!("\"event_timestamp\" {ts} is not a number of microseconds")
                })? / 1e6,
            ),
        };
        let user = ["user_pseudo_id", "user_id"]
            .into_iter()
            .find_map(|key| row.get(key).and_then(text));
        let items = match row.get("items") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut ids: Vec<String> = Vec::new();
                for id in items.iter().filter_map(|i| i.get("item_id").and_then(text)) {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            }
            Some(_) => return Err("\"items\" is not an array".into()),
        };
        let transaction = row
            .get("ecommerce")
            .and_then(|e| e.get("transaction_id"))
            .and_then(text);
        Ok(Row {
            name,
            user,
            seconds,
            items,
            search_term: search_term(&row),
            transaction,
            session: param(&row, "ga_session_id"),
        })
    }
}

/// An id or term: a non-empty string or a number; GA4's "(not set)" counts as missing.
fn text(value: &Value) -> Option<String> {
    let s = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty() && s != NOT_SET).then_some(s)
}

/// BigQuery writes INT64 columns as JSON strings, other exporters as numbers.
fn microseconds(value: &Value) -> Option<f64> {
    let us = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<i64>().ok()? as f64,
        _ => return None,
    };
    (us.is_finite() && us >= 0.0).then_some(us)
}

/// An event parameter's value as text: `event_params: [{"key": key, "value":
/// {"string_value": ...}}]` (or an int, float or double value).
fn param(row: &Map<String, Value>, key: &str) -> Option<String> {
    let params = row.get("event_params")?.as_array()?;
    let value = params
        .iter()
        .find(|p| p.get("key").and_then(Value::as_str) == Some(key))?
        .get("value")?;
    ["string_value", "int_value", "float_value", "double_value"]
        .into_iter()
        .find_map(|key| value.get(key).and_then(text))
}

/// `event_params: [{"key": "search_term", "value": {"string_value": "Tent"}}]`, normalized.
fn search_term(row: &Map<String, Value>) -> Option<String> {
    let raw = param(row, "search_term")?;
    let term = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    (!term.is_empty()).then(|| term.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bigquery_row_parses_with_string_or_number_timestamps() {
        let row = Row::parse(
            r#"{"event_date": "20240301", "event_timestamp": "1709251200123456", "event_name": "view_item",
                "user_pseudo_id": "1234.5678", "items": [{"item_id": "A"}, {"item_id": "(not set)"}, {"item_id": 7}, {"item_id": "A"}]}"#,
        )
        .unwrap();
        assert_eq!(row.name, "view_item");
        assert_eq!(row.user.as_deref(), Some("1234.5678"));
        assert_eq!(row.items, ["A", "7"]);
        assert!((row.seconds.unwrap() - 1_709_251_200.123_456).abs() < 1e-6);
        let row = Row::parse(
            r#"{"event_timestamp": 1709251200000000, "event_name": "purchase", "user_id": "member-9", "items": null}"#,
        )
        .unwrap();
        assert_eq!(row.seconds, Some(1_709_251_200.0));
        assert_eq!(row.user.as_deref(), Some("member-9"));
        assert!(row.items.is_empty());
    }

    #[test]
    fn search_terms_come_from_event_params() {
        let row = Row::parse(
            r#"{"event_name": "view_search_results", "user_pseudo_id": "u",
                "event_params": [{"key": "page_title", "value": {"string_value": "Search"}},
                                 {"key": "search_term", "value": {"string_value": "  Trail   MUG "}}]}"#,
        )
        .unwrap();
        assert_eq!(row.search_term.as_deref(), Some("trail mug"));
    }

    #[test]
    fn rows_that_are_not_ga4_say_why() {
        assert_eq!(
            Row::parse(r#"{"user": "u1", "item": "i9", "kind": "like"}"#).unwrap_err(),
            "no \"event_name\"; this is not a GA4 export row"
        );
        assert!(Row::parse("u1\ti9")
            .unwrap_err()
            .starts_with("not a JSON object ("));
        assert_eq!(Row::parse("[1, 2]").unwrap_err(), "not a JSON object");
        assert_eq!(
            Row::parse(r#"{"event_name": "x", "event_timestamp": "soon"}"#).unwrap_err(),
            "\"event_timestamp\" \"soon\" is not a number of microseconds"
        );
        assert_eq!(
            Row::parse(r#"{"event_name": "x", "items": {"item_id": "A"}}"#).unwrap_err(),
            "\"items\" is not an array"
        );
    }

    #[test]
    fn counts_are_listed_most_first() {
        let counts: BTreeMap<String, usize> = [("scroll", 2), ("page_view", 9), ("a", 2), ("b", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(
            most_first(&counts, 3),
            "page_view 9, a 2, scroll 2, and 1 more"
        );
    }

    #[test]
    fn mapping_files_name_usable_kinds() {
        assert_eq!(mapped_kind("e", "like"), Ok(EventKind::Like));
        assert_eq!(mapped_kind("e", "dismiss"), Ok(EventKind::Dismiss));
        assert!(mapped_kind("e", "rate")
            .unwrap_err()
            .contains("needs a value GA4 rows do not carry"));
        assert!(mapped_kind("e", "view_item")
            .unwrap_err()
            .starts_with("event \"e\" maps to unknown kind \"view_item\""));
    }
}
