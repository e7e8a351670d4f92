//! The root component: loads the catalog and model, holds the state, persists it, and routes.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use tastebud_core::EventKind;
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use yew::prelude::*;

use crate::components::{
    answer_consent, CategoryPage, ConsentPrompt, Header, HomePage, ItemPage, Notices, PrivacyPanel,
    SearchPage,
};
use crate::services::consent;
use crate::state::{Action, Notice, State, View};
use tastebud_browser::download::{self, Progress};
use tastebud_browser::engine::{Engine, StoredEvent};
use tastebud_browser::i18n::{t, tf, Key, Lang};
use tastebud_browser::storage::{self, Health};

/// Where the catalog and model are, relative to the page.
pub const CATALOG_URL: &str = "data/catalog.json";
/// See [`CATALOG_URL`].
pub const MODEL_URL: &str = "data/model.tbm";

/// Records an interaction: `(item id, kind, value)`.
pub type Track = Callback<(String, EventKind, Option<f32>)>;

/// Per-item states derived from the log, for buttons' pressed states.
#[derive(Debug, Default, PartialEq)]
pub struct Flags {
    /// Items liked (and not dismissed since).
    pub liked: HashSet<String>,
    /// Items in the cart.
    pub in_cart: HashSet<String>,
    /// The visitor's latest rating of each rated item.
    pub ratings: HashMap<String, f32>,
}

impl Flags {
    fn from_log(log: &[StoredEvent]) -> Flags {
        let mut f = Flags::default();
        for e in log {
            match e.event.kind {
                EventKind::Like => {
                    f.liked.insert(e.item.clone());
                }
                EventKind::AddToCart => {
                    f.in_cart.insert(e.item.clone());
                }
                EventKind::Rate => {
                    if let Some(v) = e.event.value {
                        f.ratings.insert(e.item.clone(), v);
                    }
                }
                EventKind::Dismiss => {
                    f.liked.remove(&e.item);
                    f.in_cart.remove(&e.item);
                }
                _ => {}
            }
        }
        f
    }
}

/// What every component can reach.
#[derive(Clone)]
pub struct AppContext {
    /// The state and its dispatcher.
    pub state: UseReducerHandle<State>,
    /// The loaded catalog and model.
    pub engine: Rc<Engine>,
    /// Derived per-item states.
    pub flags: Rc<Flags>,
    /// Records an interaction.
    pub track: Track,
}

impl PartialEq for AppContext {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
            && Rc::ptr_eq(&self.engine, &other.engine)
            && Rc::ptr_eq(&self.flags, &other.flags)
    }
}

/// The app context; components only render inside [`App`].
#[hook]
pub fn use_app() -> AppContext {
    use_context::<AppContext>().expect_throw("unreachable: components render inside App")
}

enum Load {
    /// Downloading, with the progress so far once the first bytes arrive.
    Loading(Option<Progress>),
    Ready(Rc<Engine>),
    Failed(String),
}

async fn fetch_engine(on_progress: impl FnMut(Progress)) -> Result<Engine, String> {
    let files = download::fetch_all(&[CATALOG_URL, MODEL_URL], on_progress).await?;
    let [catalog, model]: [Vec<u8>; 2] = files
        .try_into()
        .map_err(|_| "the shop's files did not all arrive".to_owned())?;
    let catalog =
        String::from_utf8(catalog).map_err(|_| format!("{CATALOG_URL} is not UTF-8 text"))?;
    let mut engine = Engine::load(&catalog, &model)?;
    let rules = engine.set_placement_rules(&catalog);
    for warning in engine.warnings().iter().chain(&rules) {
        gloo::console::warn!(format!("tastebud: {warning}"));
    }
    Ok(engine)
}

/// Megabytes, to one decimal.
fn megabytes(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

/// The loading page: a progress bar once the download's size is known, or the bytes so far.
fn loading_view(lang: Lang, progress: Option<Progress>) -> Html {
    let label = t(lang, Key::Loading);
    let bar = progress.map(|p| match (p.percent(), p.total) {
        (Some(percent), Some(total)) => html! {
            <>
                <progress data-testid="load-progress" aria-label={label} max="100" value={percent.to_string()}></progress>
                <p class="hint" aria-hidden="true">{ format!("{percent}% · {} / {} MB", megabytes(p.loaded), megabytes(total)) }</p>
            </>
        },
        _ => html! {
            <>
                <progress data-testid="load-progress" aria-label={label}></progress>
                <p class="hint" aria-hidden="true">{ format!("{} MB", megabytes(p.loaded)) }</p>
            </>
        },
    });
    html! {
        <main id="main" class="loading">
            <div class="loading-box">
                <p class="status" role="status">{ label }</p>
                { for bar }
            </div>
        </main>
    }
}

/// Moves focus to the main content without touching the hash (which is the router's).
fn skip_to_main() -> Callback<MouseEvent> {
    Callback::from(|e: MouseEvent| {
        e.prevent_default();
        if let Some(main) = gloo::utils::document().get_element_by_id("main") {
            if let Ok(main) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(main) {
                let _ = main.focus();
            }
        }
    })
}

fn now_seconds() -> f64 {
    js_sys::Date::now() / 1000.0
}

fn initial_state() -> State {
    let (mode, retention_days) = consent::page_setting();
    storage::configure(mode, retention_days);
    let (loaded, health) = storage::load();
    let lang = loaded
        .prefs
        .lang
        .as_deref()
        .map(Lang::from_tag)
        .unwrap_or_else(|| {
            web_sys::window()
                .and_then(|w| w.navigator().language())
                .map_or(Lang::En, |l| Lang::from_tag(&l))
        });
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let newly = loaded.newly_set_aside;
    let stranded = loaded.stranded;
    let mut state = State::new(
        lang,
        loaded.log,
        loaded.prefs,
        loaded.set_aside,
        View::from_hash(&hash),
    );
    state.consent = storage::consent();
    state.consent_prompt = mode == storage::ConsentMode::Required && !state.consent.1;
    if newly > 0 {
        state.notices.push(if stranded {
            Notice::DamagedKept(newly)
        } else {
            Notice::Recovered(newly)
        });
    }
    state.health = health;
    match health {
        Health::Ok => {}
        Health::Unavailable => state.notices.push(Notice::StorageUnavailable),
        Health::Full => state.notices.push(Notice::StorageFull),
    }
    state
}

/// Props of [`App`].
#[derive(Properties, Default)]
pub struct AppProps {
    /// An engine to use instead of fetching [`CATALOG_URL`] and [`MODEL_URL`].
    #[prop_or_default]
    pub engine: Option<Rc<Engine>>,
}

impl PartialEq for AppProps {
    fn eq(&self, other: &Self) -> bool {
        match (&self.engine, &other.engine) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// The app.
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(initial_state);
    let preloaded = props.engine.clone();
    let load = use_state(|| match &preloaded {
        Some(engine) => Load::Ready(engine.clone()),
        None => Load::Loading(None),
    });
    {
        let load = load.clone();
        use_effect_with((), move |_| {
            if preloaded.is_none() {
                yew::platform::spawn_local(async move {
                    // A new state only when the whole percent (or, size unknown, the tenth of a
                    // megabyte) changes: a few hundred renders at most, however big the model.
                    let mut shown = None;
                    let progress = load.clone();
                    let on_progress = move |p: Progress| {
                        let step = p.percent().map_or(p.loaded / 100_000, u64::from);
                        if shown != Some(step) {
                            shown = Some(step);
                            progress.set(Load::Loading(Some(p)));
                        }
                    };
                    load.set(match fetch_engine(on_progress).await {
                        Ok(engine) => Load::Ready(Rc::new(engine)),
                        Err(e) => Load::Failed(e),
                    });
                });
            }
        });
    }
    // Persist the settings whenever they change; say so if storage refuses. The log is stored
    // event by event (`storage::record`, in `track` below), never rewritten from this tab's copy.
    {
        let dispatch = state.dispatcher();
        use_effect_with(state.prefs.clone(), move |prefs| {
            if let Some(health) = storage::save_prefs(prefs) {
                dispatch.dispatch(Action::Health(health));
            }
        });
    }
    // Another tab of this shop changed what is stored: show what it now holds, so the two agree
    // and an erase there empties this one too.
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let listener =
                gloo::events::EventListener::new(&gloo::utils::window(), "storage", move |e| {
                    let ours = e
                        .dyn_ref::<web_sys::StorageEvent>()
                        .is_some_and(|e| e.key().is_none_or(|k| k.starts_with("tastebud:")));
                    if ours {
                        let (log, prefs) = storage::current();
                        dispatch.dispatch(Action::External(log, prefs));
                    }
                });
            move || drop(listener)
        });
    }
    // Under `auto`, the page's consent signals decide; each decision stores or erases.
    {
        let dispatch = state.dispatcher();
        let auto = state.consent.0 == storage::ConsentMode::Auto;
        use_effect_with((), move |_| {
            if auto {
                consent::watch(move |granted| answer_consent(&dispatch, granted));
            }
        });
    }
    use_effect_with(state.lang, |lang| {
        if let Some(root) = gloo::utils::document().document_element() {
            let _ = root.set_attribute("lang", lang.code());
        }
    });
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let listener =
                gloo::events::EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                    let hash = gloo::utils::window().location().hash().unwrap_or_default();
                    dispatch.dispatch(Action::Navigate(View::from_hash(&hash)));
                    gloo::utils::window().scroll_to_with_x_and_y(0.0, 0.0);
                });
            move || drop(listener)
        });
    }
    let flags = use_memo(state.log.clone(), |log| Flags::from_log(log));
    let track: Track = {
        let dispatch = state.dispatcher();
        Callback::from(
            move |(item, kind, value): (String, EventKind, Option<f32>)| {
                let event = StoredEvent::new(&item, kind, value, now_seconds());
                let (log, health) = storage::record(event);
                dispatch.dispatch(Action::Recorded(log));
                if let Some(health) = health {
                    dispatch.dispatch(Action::Health(health));
                }
            },
        )
    };
    let lang = state.lang;
    match &*load {
        Load::Loading(progress) => loading_view(lang, *progress),
        Load::Failed(e) => html! {
            <main id="main">
                <div class="error" role="alert" data-testid="load-error">{ tf(lang, Key::LoadFailed, e) }</div>
            </main>
        },
        Load::Ready(engine) => {
            let ctx = AppContext {
                state: state.clone(),
                engine: engine.clone(),
                flags,
                track,
            };
            let page = match &state.view {
                View::Home => html! { <HomePage /> },
                View::Category(c) => html! { <CategoryPage category={c.clone()} /> },
                View::Search(q) => html! { <SearchPage query={q.clone()} /> },
                View::Item(id) => html! { <ItemPage id={id.clone()} /> },
            };
            html! {
                <ContextProvider<AppContext> context={ctx}>
                    <a class="skip-link" href="#main" onclick={skip_to_main()}>{ t(lang, Key::SkipToContent) }</a>
                    <Header />
                    <ConsentPrompt />
                    <Notices />
                    <main id="main" tabindex="-1">{ page }</main>
                    if state.privacy_open { <PrivacyPanel /> }
                </ContextProvider<AppContext>>
            }
        }
    }
}
