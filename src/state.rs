//! The app's state and the pure reducer that changes it. Persistence happens in an effect in
//! `app.rs`, never here.

use std::rc::Rc;

use yew::Reducible;

use tastebud_browser::engine::StoredEvent;
use tastebud_browser::i18n::Lang;
use tastebud_browser::storage::{append, ConsentMode, Health, Prefs};

/// Which page is showing. Mirrors the location hash, so the back button works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// The shop's front page.
    Home,
    /// A category's items.
    Category(String),
    /// Search results.
    Search(String),
    /// One item.
    Item(String),
}

impl View {
    /// Parses a location hash (`#/item/ID`, `#/category/ID`, `#/search/QUERY`).
    pub fn from_hash(hash: &str) -> View {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let (kind, rest) = path.split_once('/').unwrap_or((path, ""));
        let rest = decode(rest);
        match kind {
            "item" if !rest.is_empty() => View::Item(rest),
            "category" if !rest.is_empty() => View::Category(rest),
            "search" if !rest.trim().is_empty() => View::Search(rest),
            _ => View::Home,
        }
    }

    /// The hash for this view.
    pub fn to_hash(&self) -> String {
        match self {
            View::Home => "#/".into(),
            View::Category(c) => format!("#/category/{}", encode(c)),
            View::Search(q) => format!("#/search/{}", encode(q)),
            View::Item(i) => format!("#/item/{}", encode(i)),
        }
    }
}

/// Percent-encodes everything but unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes percent-encoding; invalid sequences are kept as they are.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A message shown above the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Storage is unavailable: memory only.
    StorageUnavailable,
    /// Storage is full: memory only for new activity.
    StorageFull,
    /// This many damaged entries were set aside at load.
    Recovered(usize),
    /// This many damaged entries could not be set aside (storage full) and stay where they are.
    DamagedKept(usize),
    /// Everything was erased.
    Erased,
}

/// Everything the page renders from, besides the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Interface language.
    pub lang: Lang,
    /// The interaction log, oldest first.
    pub log: Rc<Vec<StoredEvent>>,
    /// Settings that persist.
    pub prefs: Prefs,
    /// Unreadable stored entries, kept for export.
    pub set_aside: Rc<Vec<String>>,
    /// The current page.
    pub view: View,
    /// Messages to show.
    pub notices: Vec<Notice>,
    /// Whether the privacy panel is open.
    pub privacy_open: bool,
    /// Whether storage writes succeed.
    pub health: Health,
    /// The consent setting (`<meta name="tastebud-consent">`) and whether storing is allowed
    /// now.
    pub consent: (ConsentMode, bool),
    /// Whether to ask the visitor for consent (under `required`, until they answer).
    pub consent_prompt: bool,
}

/// What can happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Switch the interface language (and remember it).
    SetLang(Lang),
    /// Set the "more familiar / more niche" strength (and remember it).
    SetNiche(f32),
    /// Record an interaction (in memory; the page stores it with `storage::record` and then
    /// sends [`Action::Recorded`]).
    Track(StoredEvent),
    /// An interaction was recorded, and this is the log as stored now: what this tab recorded
    /// together with what other tabs did since.
    Recorded(Vec<StoredEvent>),
    /// Another tab changed what is stored (a like, new settings, an erase): the log and settings
    /// as they now are.
    External(Vec<StoredEvent>, Prefs),
    /// Finish onboarding with these interests (possibly none, for "skip").
    Onboard(Vec<String>),
    /// Show another page.
    Navigate(View),
    /// Open or close the privacy panel.
    Privacy(bool),
    /// The visitor answered about storage (or a consent signal did): the consent as it now
    /// stands, and the log and settings as they now are.
    Consent((ConsentMode, bool), Vec<StoredEvent>, Prefs),
    /// Forget everything (storage is cleared by the caller).
    EraseAll,
    /// Storage health changed.
    Health(Health),
    /// Hide a notice.
    DismissNotice(Notice),
}

impl State {
    /// The state at start-up.
    pub fn new(
        lang: Lang,
        log: Vec<StoredEvent>,
        prefs: Prefs,
        set_aside: Vec<String>,
        view: View,
    ) -> Self {
        State {
            lang,
            log: Rc::new(log),
            prefs,
            set_aside: Rc::new(set_aside),
            view,
            notices: Vec::new(),
            privacy_open: false,
            health: Health::Ok,
            consent: (ConsentMode::None, true),
            consent_prompt: false,
        }
    }

    /// Whether to show onboarding: a first visit with nothing recorded.
    pub fn needs_onboarding(&self) -> bool {
        !self.prefs.onboarded && self.log.is_empty()
    }

    fn notice(&mut self, n: Notice) {
        if !self.notices.contains(&n) {
            self.notices.push(n);
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetLang(lang) => {
                s.lang = lang;
                s.prefs.lang = Some(lang.code().to_owned());
            }
            Action::SetNiche(level) => s.prefs.niche = Some(level.clamp(0.0, 2.0)),
            Action::Track(event) => {
                s.log = Rc::new(append(&s.log, event));
                s.prefs.onboarded = true;
                s.notices.retain(|n| *n != Notice::Erased);
            }
            Action::Recorded(log) => {
                s.log = Rc::new(log);
                s.prefs.onboarded = true;
                s.notices.retain(|n| *n != Notice::Erased);
            }
            Action::External(log, prefs) => {
                s.log = Rc::new(log);
                s.prefs = prefs;
            }
            Action::Consent(consent, log, prefs) => {
                s.consent = consent;
                s.consent_prompt = false;
                s.log = Rc::new(log);
                s.prefs = prefs;
            }
            Action::Onboard(interests) => {
                s.prefs.interests = interests;
                s.prefs.onboarded = true;
            }
            Action::Navigate(view) => s.view = view,
            Action::Privacy(open) => s.privacy_open = open,
            Action::EraseAll => {
                s.log = Rc::new(Vec::new());
                s.set_aside = Rc::new(Vec::new());
                s.prefs = Prefs::default();
                s.notices.clear();
                s.notice(Notice::Erased);
            }
            Action::Health(h) => {
                s.health = h;
                match h {
                    Health::Ok => {}
                    Health::Unavailable => s.notice(Notice::StorageUnavailable),
                    Health::Full => s.notice(Notice::StorageFull),
                }
            }
            Action::DismissNotice(n) => s.notices.retain(|x| *x != n),
        }
        if s == *self {
            self
        } else {
            Rc::new(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tastebud_core::EventKind;

    #[test]
    fn hashes_round_trip() {
        for v in [
            View::Home,
            View::Item("ul-camp-0042".into()),
            View::Category("pour-over".into()),
            View::Search("手冲 咖啡 & tea".into()),
        ] {
            assert_eq!(View::from_hash(&v.to_hash()), v);
        }
        assert_eq!(View::from_hash("#/item/"), View::Home);
        assert_eq!(View::from_hash("#/nonsense/%ZZ"), View::Home);
        assert_eq!(decode("%E6%89%8B%"), "手%");
    }

    #[test]
    fn tracking_ends_onboarding_and_erase_forgets_everything() {
        let s = Rc::new(State::new(
            Lang::En,
            vec![],
            Prefs::default(),
            vec!["x".into()],
            View::Home,
        ));
        assert!(s.needs_onboarding());
        let s = s.reduce(Action::Track(StoredEvent::new(
            "a",
            EventKind::Like,
            None,
            1.0,
        )));
        assert!(!s.needs_onboarding());
        assert_eq!(s.log.len(), 1);
        let s = s.reduce(Action::SetLang(Lang::Zh));
        assert_eq!(s.prefs.lang.as_deref(), Some("zh-CN"));
        let s = s.reduce(Action::EraseAll);
        assert!(s.log.is_empty() && s.set_aside.is_empty());
        assert_eq!(s.prefs, Prefs::default());
        assert!(s.needs_onboarding());
        assert_eq!(s.notices, vec![Notice::Erased]);
    }

    #[test]
    fn the_stored_log_replaces_this_tabs_copy() {
        let like = |item: &str| StoredEvent::new(item, EventKind::Like, None, 1.0);
        let s = Rc::new(State::new(
            Lang::En,
            vec![like("a")],
            Prefs::default(),
            vec![],
            View::Home,
        ))
        .reduce(Action::EraseAll);
        // Recorded: the log as stored now, with another tab's event, and onboarding over.
        let s = s.reduce(Action::Recorded(vec![like("b"), like("c")]));
        assert_eq!(s.log.len(), 2);
        assert!(s.prefs.onboarded && s.notices.is_empty());
        // External: another tab erased everything.
        let s = s.reduce(Action::External(vec![], Prefs::default()));
        assert!(s.log.is_empty() && s.needs_onboarding());
    }
}
