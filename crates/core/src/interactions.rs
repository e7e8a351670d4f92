//! Turning interaction events into ALS confidences.
//!
//! The same [`EventWeights::aggregate`] turns a visitor's browser log and a site's training log
//! into `(item, r)` preferences, so a model trained on a shop's log reads a visitor the way it
//! was trained. `r` is the raw preference strength; the model's [`Confidence`] convention turns
//! it into a confidence `c` (`alpha * r` or `1 + alpha * r`).
//!
//! [`Confidence`]: crate::Confidence

use std::collections::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
use crate::sparse::CsrMatrix;

/// What a visitor did with an item.
///
/// Logs may also use the names of GA4's recommended e-commerce events ([`EventKind::GA4`]); they
/// deserialize as the kind they count as and serialize under the Tastebud name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Opened the item's page.
    View,
    /// Clicked the item in a list.
    Click,
    /// Liked or saved the item.
    Like,
    /// Rated the item 1 to 5 (the rating is the event's `value`).
    Rate,
    /// The item came up in a search the visitor made and they opened it.
    SearchHit,
    /// Put the item in the cart.
    AddToCart,
    /// Bought the item.
    Purchase,
    /// Said "not interested": the item is never recommended and counts as no preference.
    Dismiss,
    /// A plain preference amount given in `value` (a row of a `user item weight` log).
    Weight,
}

// A Tastebud name or a GA4 one ([`EventKind::from_any_name`]).
deserialize_by_name!(
    EventKind,
    EventKind::from_any_name,
    &[
        "view",
        "click",
        "like",
        "rate",
        "search_hit",
        "add_to_cart",
        "purchase",
        "dismiss",
        "weight",
    ]
);

impl EventKind {
    /// Every kind, in documentation order.
    pub const ALL: [EventKind; 9] = [
        EventKind::View,
        EventKind::Click,
        EventKind::Like,
        EventKind::Rate,
        EventKind::SearchHit,
        EventKind::AddToCart,
        EventKind::Purchase,
        EventKind::Dismiss,
        EventKind::Weight,
    ];

    /// The kind's name as logs spell it (`add_to_cart`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::View => "view",
            EventKind::Click => "click",
            EventKind::Like => "like",
            EventKind::Rate => "rate",
            EventKind::SearchHit => "search_hit",
            EventKind::AddToCart => "add_to_cart",
            EventKind::Purchase => "purchase",
            EventKind::Dismiss => "dismiss",
            EventKind::Weight => "weight",
        }
    }

    /// Parses a kind's name; `None` if unknown.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// GA4's recommended e-commerce events and the kinds they count as, so a shop's analytics
    /// vocabulary runs unchanged from the browser to the training log.
    ///
    /// | GA4 event | kind |
    /// |---|---|
    /// | `view_item` | view |
    /// | `select_item` | click |
    /// | `add_to_wishlist` | like |
    /// | `add_to_cart` | add_to_cart |
    /// | `begin_checkout` | add_to_cart |
    /// | `purchase` | purchase |
    /// | `view_search_results` | search_hit |
    ///
    /// `begin_checkout` lists the items in the cart: the same intent as putting them there, so it
    /// counts as one more add-to-cart (an item taken to the checkout weighs more than one only
    /// added), while only `purchase` counts as buying. GA4 has no events for ratings, dismissals
    /// or plain weights.
    pub const GA4: [(&'static str, EventKind); 7] = [
        ("view_item", EventKind::View),
        ("select_item", EventKind::Click),
        ("add_to_wishlist", EventKind::Like),
        ("add_to_cart", EventKind::AddToCart),
        ("begin_checkout", EventKind::AddToCart),
        ("purchase", EventKind::Purchase),
        ("view_search_results", EventKind::SearchHit),
    ];

    /// The kind a GA4 e-commerce event counts as ([`EventKind::GA4`]); `None` for other events.
    pub fn from_ga4(name: &str) -> Option<EventKind> {
        EventKind::GA4
            .into_iter()
            .find(|&(ga4, _)| ga4 == name)
            .map(|(_, kind)| kind)
    }

    /// Parses a Tastebud kind name or a GA4 e-commerce event name; `None` if it is neither.
    pub fn from_any_name(name: &str) -> Option<EventKind> {
        EventKind::from_name(name).or_else(|| EventKind::from_ga4(name))
    }

    /// Whether this kind is an explicit positive signal that takes back an earlier dismissal.
    fn revokes_dismissal(self) -> bool {
        matches!(
            self,
            EventKind::Like | EventKind::AddToCart | EventKind::Purchase | EventKind::Weight
        )
    }
}

/// One event about one item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// What happened.
    pub kind: EventKind,
    /// The rating for [`EventKind::Rate`], the amount for [`EventKind::Weight`]; ignored otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f32>,
    /// When, in seconds since the Unix epoch; needed only for time decay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<f64>,
}

impl Interaction {
    /// An event with no value and no time.
    pub fn new(kind: EventKind) -> Self {
        Interaction {
            kind,
            value: None,
            timestamp: None,
        }
    }

    /// A rating of 1 to 5.
    pub fn rating(stars: f32) -> Self {
        Interaction {
            kind: EventKind::Rate,
            value: Some(stars),
            timestamp: None,
        }
    }

    /// A plain preference amount.
    pub fn weight(amount: f32) -> Self {
        Interaction {
            kind: EventKind::Weight,
            value: Some(amount),
            timestamp: None,
        }
    }

    /// The same event at time `seconds`.
    pub fn at(mut self, seconds: f64) -> Self {
        self.timestamp = Some(seconds);
        self
    }
}

/// How much each kind of event says about a visitor's taste.
///
/// The defaults, chosen so that what a visitor pays for outweighs what they glance at:
///
/// | event | weight |
/// |---|---|
/// | view, click | 1 |
/// | search hit | 2 |
/// | like, add to cart | 4 |
/// | purchase | 8 |
/// | rate 5 / 4 / 3 | 8 / 4 / 1 |
/// | rate 2 or 1 | acts as a dismissal |
/// | weight | its value |
///
/// Repeats of an item add up to `cap` (20). A rating replaces the item's earlier rating rather
/// than adding to it. A dismissal wipes the item's preference and excludes it; a later like,
/// add-to-cart, purchase or weight takes it back, a later view or click does not. With
/// `half_life_days` set, each event's weight halves for every half-life between its timestamp and
/// the `now` given to [`aggregate`](Self::aggregate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventWeights {
    /// Weight of a view.
    pub view: f32,
    /// Weight of a click.
    pub click: f32,
    /// Weight of a search hit.
    pub search_hit: f32,
    /// Weight of a like.
    pub like: f32,
    /// Weight of an add-to-cart.
    pub add_to_cart: f32,
    /// Weight of a purchase.
    pub purchase: f32,
    /// Weights of a rating of 1, 2, 3, 4 and 5 stars; a negative weight acts as a dismissal.
    pub ratings: [f32; 5],
    /// The most an item's accumulated preference can reach.
    pub cap: f32,
    /// Half-life of an event's weight in days; `None` for no decay.
    pub half_life_days: Option<f64>,
}

impl Default for EventWeights {
    fn default() -> Self {
        EventWeights {
            view: 1.0,
            click: 1.0,
            search_hit: 2.0,
            like: 4.0,
            add_to_cart: 4.0,
            purchase: 8.0,
            ratings: [-1.0, -1.0, 1.0, 4.0, 8.0],
            cap: 20.0,
            half_life_days: None,
        }
    }
}

/// A visitor's (or a training user's) preferences: what [`EventWeights::aggregate`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Preferences<I> {
    /// `(item, r)` with `r > 0`, in the order items were first seen.
    pub items: Vec<(I, f32)>,
    /// Items the visitor dismissed (and did not take back), in the order first seen.
    pub dismissed: Vec<I>,
}

#[derive(Default, Clone, Copy)]
struct ItemState {
    accumulated: f32,
    rating: Option<f32>,
    dismissed: bool,
}

impl EventWeights {
    /// Checks that every weight is finite and the cap positive.
    pub fn validate(&self) -> Result<()> {
        let named = [
            ("view weight", self.view),
            ("click weight", self.click),
            ("search_hit weight", self.search_hit),
            ("like weight", self.like),
            ("add_to_cart weight", self.add_to_cart),
            ("purchase weight", self.purchase),
        ];
        for (name, w) in named {
            if !(w.is_finite() && w >= 0.0) {
                return Err(invalid(name, "finite and >= 0", w));
            }
        }
        if let Some(w) = self.ratings.iter().find(|w| !w.is_finite()) {
            return Err(invalid("rating weight", "finite", w));
        }
        if !(self.cap.is_finite() && self.cap > 0.0) {
            return Err(invalid("cap", "finite and > 0", self.cap));
        }
        if let Some(h) = self.half_life_days {
            if !(h.is_finite() && h > 0.0) {
                return Err(invalid("half_life_days", "finite and > 0", h));
            }
        }
        Ok(())
    }

    /// The weight of one event before decay; `None` for a dismissal (or a rating that acts as one).
    pub fn weight_of(&self, event: &Interaction) -> Option<f32> {
        let w = match event.kind {
            EventKind::View => self.view,
            EventKind::Click => self.click,
            EventKind::SearchHit => self.search_hit,
            EventKind::Like => self.like,
            EventKind::AddToCart => self.add_to_cart,
            EventKind::Purchase => self.purchase,
            EventKind::Dismiss => return None,
            EventKind::Rate => {
                let stars = event.value.unwrap_or(0.0);
                if !stars.is_finite() || stars < 1.0 {
                    return Some(0.0);
                }
                let w = self.ratings[(stars.round().min(5.0) as usize) - 1];
                if w < 0.0 {
                    return None;
                }
                w
            }
            EventKind::Weight => event
                .value
                .filter(|v| v.is_finite())
                .unwrap_or(0.0)
                .max(0.0),
        };
        Some(w)
    }

    fn decay(&self, event: &Interaction, now: Option<f64>) -> f32 {
        match (self.half_life_days, event.timestamp, now) {
            (Some(h), Some(t), Some(now)) if t.is_finite() => {
                let age_days = ((now - t) / 86_400.0).max(0.0);
                0.5f64.powf(age_days / h) as f32
            }
            _ => 1.0,
        }
    }

    /// Folds events, oldest first, into per-item preferences. `now` (Unix seconds) is used only
    /// for time decay.
    pub fn aggregate<I, E>(&self, events: E, now: Option<f64>) -> Preferences<I>
    where
        I: Eq + Hash + Clone,
        E: IntoIterator<Item = (I, Interaction)>,
    {
        let mut order: Vec<I> = Vec::new();
        let mut states: HashMap<I, ItemState> = HashMap::new();
        for (item, event) in events {
            let state = states.entry(item.clone()).or_insert_with(|| {
                order.push(item);
                ItemState::default()
            });
            let Some(w) = self.weight_of(&event) else {
                *state = ItemState {
                    dismissed: true,
                    ..ItemState::default()
                };
                continue;
            };
            if state.dismissed {
                if !(event.kind.revokes_dismissal() || (event.kind == EventKind::Rate && w > 0.0)) {
                    continue;
                }
                state.dismissed = false;
            }
            let w = w * self.decay(&event, now);
            if event.kind == EventKind::Rate {
                state.rating = Some(w);
            } else {
                state.accumulated += w;
            }
        }
        let mut items = Vec::new();
        let mut dismissed = Vec::new();
        for item in order {
            let s = states[&item];
            if s.dismissed {
                dismissed.push(item);
                continue;
            }
            let r = (s.accumulated + s.rating.unwrap_or(0.0)).min(self.cap);
            if r > 0.0 {
                items.push((item, r));
            }
        }
        Preferences { items, dismissed }
    }
}

impl EventWeights {
    /// Shrinks a log that has grown past `max_events`: everything but the newest `keep_recent`
    /// events is folded into one [`EventKind::Weight`] event per item (its aggregated `r`, capped)
    /// and one [`EventKind::Dismiss`] per dismissed item, stamped with the item's latest time.
    /// Aggregating the compacted log gives the same preferences as the original, except that an
    /// old rating then adds to a newer one instead of being replaced by it. Of those folded
    /// entries only the `max_events - keep_recent` items touched last in the log stay, so a log
    /// of many distinct items (100,000 views of items no catalog has, say)
    /// still ends within `max_events`. Logs within `max_events` come back unchanged.
    pub fn compact<I>(
        &self,
        events: Vec<(I, Interaction)>,
        max_events: usize,
        keep_recent: usize,
    ) -> Vec<(I, Interaction)>
    where
        I: Eq + Hash + Clone,
    {
        if events.len() <= max_events {
            return events;
        }
        let split = events.len() - keep_recent.min(events.len());
        let mut events = events;
        let recent = events.split_off(split);
        // The items touched last before the recent events, as many as the folded part may hold.
        let room = max_events.saturating_sub(recent.len());
        let mut last_touched: HashMap<I, f64> = HashMap::new();
        for (item, _) in events.iter().rev() {
            if last_touched.len() == room {
                break;
            }
            last_touched.entry(item.clone()).or_insert(0.0);
        }
        let mut latest: HashMap<I, f64> = HashMap::new();
        for (item, e) in &events {
            if let Some(t) = e.timestamp {
                let at = latest.entry(item.clone()).or_insert(t);
                *at = at.max(t);
            }
        }
        let prefs = self.aggregate(events, None);
        let stamp = |item: &I, mut e: Interaction| {
            e.timestamp = latest.get(item).copied();
            e
        };
        let mut out: Vec<(I, Interaction)> = Vec::with_capacity(prefs.items.len() + recent.len());
        for item in prefs.dismissed {
            let e = stamp(&item, Interaction::new(EventKind::Dismiss));
            out.push((item, e));
        }
        for (item, r) in prefs.items {
            let e = stamp(&item, Interaction::weight(r));
            out.push((item, e));
        }
        if out.len() > room {
            out.retain(|(item, _)| last_touched.contains_key(item));
        }
        out.extend(recent);
        out
    }
}

/// A training log with string ids, turned into a user x item preference matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// User ids, in order of first appearance.
    pub users: Vec<String>,
    /// Item ids, in order of first appearance.
    pub items: Vec<String>,
    /// `r` for each (user, item) with a positive preference.
    pub matrix: CsrMatrix,
    /// How many (user, item) pairs ended dismissed.
    pub dismissed: usize,
    /// Each user's items with a positive event that did not end dismissed, in the order each
    /// was last touched (by timestamp when every event of the user has one, else as listed):
    /// what the transition model learns from, and how the browser reads a visitor's latest
    /// items ([`sequence_of`]).
    pub sequences: Vec<Vec<u32>>,
}

/// The items of one user's events (oldest first) with a positive weight, each where it was
/// last touched, without `dismissed` ones (see [`Dataset::sequences`]). An item seen again
/// moves to the end: a checkout listing the cart again, or a visitor back on an item, is not a
/// step back.
pub fn sequence_of(
    events: &[(u32, Interaction)],
    weights: &EventWeights,
    dismissed: &[u32],
) -> Vec<u32> {
    let mut sequence: Vec<u32> = Vec::new();
    for (item, event) in events {
        if weights.weight_of(event).is_some_and(|w| w > 0.0) && !dismissed.contains(item) {
            sequence.retain(|i| i != item);
            sequence.push(*item);
        }
    }
    sequence
}

/// `events` in time order: by timestamp (stably) when every event has one, else as listed.
fn in_time_order(events: &mut [(u32, Interaction)]) {
    if events
        .iter()
        .all(|(_, e)| e.timestamp.is_some_and(f64::is_finite))
    {
        events.sort_by(|a, b| {
            let (x, y) = (a.1.timestamp, b.1.timestamp);
            x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0))
        });
    }
}

/// Collects `(user, item, event)` rows, oldest first per user, into a [`Dataset`].
#[derive(Debug, Default)]
pub struct DatasetBuilder {
    user_index: HashMap<String, u32>,
    item_index: HashMap<String, u32>,
    users: Vec<String>,
    items: Vec<String>,
    events: Vec<Vec<(u32, Interaction)>>,
}

impl DatasetBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an item id without an event (so catalogs can fix the item order).
    pub fn add_item(&mut self, item: &str) -> u32 {
        intern(&mut self.item_index, &mut self.items, item)
    }

    /// Adds one event.
    pub fn push(&mut self, user: &str, item: &str, event: Interaction) {
        let u = intern(&mut self.user_index, &mut self.users, user) as usize;
        let i = intern(&mut self.item_index, &mut self.items, item);
        if u == self.events.len() {
            self.events.push(Vec::new());
        }
        self.events[u].push((i, event));
    }

    /// Number of events added.
    pub fn len(&self) -> usize {
        self.events.iter().map(Vec::len).sum()
    }

    /// Whether no events were added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Aggregates every user's events with `weights`.
    pub fn build(self, weights: &EventWeights, now: Option<f64>) -> Dataset {
        let mut dismissed = 0;
        let mut sequences = Vec::with_capacity(self.events.len());
        let rows = self
            .events
            .into_iter()
            .map(|events| {
                let mut ordered = events.clone();
                in_time_order(&mut ordered);
                let prefs = weights.aggregate(events, now);
                sequences.push(sequence_of(&ordered, weights, &prefs.dismissed));
                dismissed += prefs.dismissed.len();
                let mut row = prefs.items;
                row.sort_by_key(|&(i, _)| i);
                row
            })
            .collect();
        Dataset {
            matrix: CsrMatrix::from_sorted_rows(self.items.len(), rows),
            users: self.users,
            items: self.items,
            dismissed,
            sequences,
        }
    }
}

fn intern(index: &mut HashMap<String, u32>, names: &mut Vec<String>, name: &str) -> u32 {
    if let Some(&i) = index.get(name) {
        return i;
    }
    let i = names.len() as u32;
    index.insert(name.to_owned(), i);
    names.push(name.to_owned());
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(events: Vec<(&'static str, Interaction)>) -> Preferences<&'static str> {
        EventWeights::default().aggregate(events, None)
    }

    #[test]
    fn ga4_names_parse_and_deserialize_as_their_kind() {
        for (name, kind) in EventKind::GA4 {
            assert_eq!(EventKind::from_ga4(name), Some(kind), "{name}");
            assert_eq!(EventKind::from_any_name(name), Some(kind), "{name}");
            // The serde aliases must say what the table says.
            let parsed: EventKind = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(parsed, kind, "{name}");
        }
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_any_name(kind.name()), Some(kind));
        }
        assert_eq!(EventKind::from_ga4("view"), None);
        assert_eq!(EventKind::from_ga4("page_view"), None);
        assert_eq!(EventKind::from_any_name("page_view"), None);
        let e: Interaction = serde_json::from_str(r#"{"kind": "begin_checkout"}"#).unwrap();
        assert_eq!(e.kind, EventKind::AddToCart);
        assert_eq!(serde_json::to_string(&e.kind).unwrap(), "\"add_to_cart\"");
    }

    #[test]
    fn repeats_accumulate_up_to_the_cap() {
        let views = (0..30).map(|_| ("mug", Interaction::new(EventKind::View)));
        let p = EventWeights::default().aggregate(views, None);
        assert_eq!(p.items, vec![("mug", 20.0)]);
    }

    #[test]
    fn dismissal_wipes_preference_and_only_explicit_signals_revoke_it() {
        let p = agg(vec![
            ("tent", Interaction::new(EventKind::Purchase)),
            ("tent", Interaction::new(EventKind::Dismiss)),
            ("tent", Interaction::new(EventKind::View)),
        ]);
        assert!(p.items.is_empty());
        assert_eq!(p.dismissed, vec!["tent"]);

        let p = agg(vec![
            ("tent", Interaction::new(EventKind::Dismiss)),
            ("tent", Interaction::new(EventKind::Like)),
        ]);
        assert_eq!(p.items, vec![("tent", 4.0)]);
        assert!(p.dismissed.is_empty());
    }

    #[test]
    fn a_new_rating_replaces_the_old_and_low_ratings_dismiss() {
        let p = agg(vec![
            ("a", Interaction::rating(5.0)),
            ("a", Interaction::rating(3.0)),
            ("b", Interaction::rating(1.0)),
        ]);
        assert_eq!(p.items, vec![("a", 1.0)]);
        assert_eq!(p.dismissed, vec!["b"]);
    }

    #[test]
    fn time_decay_halves_per_half_life() {
        let w = EventWeights {
            half_life_days: Some(10.0),
            ..EventWeights::default()
        };
        let day = 86_400.0;
        let p = w.aggregate(
            [("a", Interaction::new(EventKind::Like).at(0.0))],
            Some(10.0 * day),
        );
        assert!((p.items[0].1 - 2.0).abs() < 1e-6);
    }

    #[test]
    fn validation_names_the_bad_weight() {
        let w = EventWeights {
            like: f32::NAN,
            ..EventWeights::default()
        };
        let e = w.validate().unwrap_err().to_string();
        assert!(e.starts_with("like weight must be finite"), "{e}");
    }

    #[test]
    fn compaction_keeps_preferences_and_recent_events() {
        let w = EventWeights::default();
        let mut log: Vec<(&str, Interaction)> = Vec::new();
        for n in 0..300 {
            let item = ["a", "b", "c", "d"][n % 4];
            log.push((item, Interaction::new(EventKind::View).at(n as f64)));
        }
        log.push(("d", Interaction::new(EventKind::Dismiss).at(300.0)));
        log.push(("e", Interaction::new(EventKind::Like).at(301.0)));
        let before = w.aggregate(log.clone(), None);
        let compacted = w.compact(log.clone(), 100, 10);
        assert_eq!(compacted.len(), 4 + 10);
        let after = w.aggregate(compacted.clone(), None);
        let sorted = |mut v: Vec<(&'static str, f32)>| {
            v.sort_by(|a, b| a.0.cmp(b.0));
            v
        };
        assert_eq!(sorted(after.items), sorted(before.items));
        assert_eq!(after.dismissed, before.dismissed);
        assert_eq!(&compacted[compacted.len() - 10..], &log[log.len() - 10..]);
        assert_eq!(w.compact(log[..50].to_vec(), 100, 10), log[..50].to_vec());
    }

    #[test]
    fn compaction_of_many_distinct_items_keeps_the_most_recent_within_the_cap() {
        let w = EventWeights::default();
        let ids: Vec<String> = (0..100_000).map(|n| format!("gone-{n}")).collect();
        let mut log: Vec<(&str, Interaction)> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| (id.as_str(), Interaction::new(EventKind::View).at(n as f64)))
            .collect();
        log.push(("kept", Interaction::new(EventKind::Like).at(1e6)));
        let compacted = w.compact(log.clone(), 400, 200);
        assert_eq!(compacted.len(), 400);
        assert_eq!(&compacted[200..], &log[log.len() - 200..]);
        // The folded part: the 200 items touched last before the recent ones.
        let mut folded: Vec<&str> = compacted[..200].iter().map(|e| e.0).collect();
        let mut expected: Vec<&str> = ids[99_601..99_801].iter().map(String::as_str).collect();
        folded.sort_unstable();
        expected.sort_unstable();
        assert_eq!(folded, expected);
        // Appending to a full log stays within the cap.
        let mut again = compacted;
        again.push(("new", Interaction::new(EventKind::Like).at(2e6)));
        assert_eq!(w.compact(again, 400, 200).len(), 400);
    }

    #[test]
    fn sequences_follow_time_and_skip_dismissals_and_repeats() {
        let mut b = DatasetBuilder::new();
        let like = Interaction::new(EventKind::Like);
        // Listed out of time order: the timestamps decide.
        b.push("u", "c", like.at(30.0));
        b.push("u", "a", like.at(10.0));
        b.push("u", "b", like.at(20.0));
        b.push("u", "b", like.at(25.0));
        b.push("u", "d", Interaction::new(EventKind::Dismiss).at(40.0));
        // Without a timestamp on every event, the listing order stands; an item seen again
        // moves to the end, and one dismissed in the end is left out.
        b.push("v", "b", like);
        b.push("v", "a", like.at(1.0));
        b.push("v", "c", like);
        b.push("v", "b", like);
        b.push("v", "c", Interaction::new(EventKind::Dismiss));
        let d = b.build(&EventWeights::default(), None);
        let name = |s: &Vec<u32>| {
            s.iter()
                .map(|&i| d.items[i as usize].as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(name(&d.sequences[0]), ["a", "b", "c"]);
        assert_eq!(name(&d.sequences[1]), ["a", "b"]);
    }

    #[test]
    fn dataset_builder_interns_ids_in_order() {
        let mut b = DatasetBuilder::new();
        b.push("u1", "x", Interaction::weight(1.0));
        b.push("u2", "y", Interaction::weight(2.0));
        b.push("u1", "y", Interaction::new(EventKind::Dismiss));
        let d = b.build(&EventWeights::default(), None);
        assert_eq!(d.users, ["u1", "u2"]);
        assert_eq!(d.items, ["x", "y"]);
        assert_eq!(d.matrix.row(0), (&[0u32][..], &[1.0f32][..]));
        assert_eq!(d.matrix.row(1), (&[1u32][..], &[2.0f32][..]));
        assert_eq!(d.dismissed, 1);
    }
}
