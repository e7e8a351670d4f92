//! Tastebud as a custom element any page can embed: `<tastebud-recs>` (js/tastebud-widget.js)
//! renders what this crate computes from the storefront's engine and the visitor's log.
//!
//! This file is the whole JavaScript boundary: an opaque [`Recommender`] handle per loaded
//! catalog and model, and free functions for the visitor log, which is the storefront's
//! (`tastebud:v1:log` in localStorage, one JSON event per line), so a widget and the storefront
//! on one origin share a visitor. Errors cross as `JsError` with a short message; fetching,
//! rendering and events stay in JavaScript. No Yew: see `scripts/build-widget.sh` for the size.

pub mod lists;

// Talc instead of Rust's default dlmalloc: smaller, which the widget's size budget needs, and
// faster. The widget is single-threaded (no atomics), as this allocator requires.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
#[cfg(target_arch = "wasm32")]
mod visitor;

#[cfg(all(target_arch = "wasm32", feature = "bench"))]
pub use bench::BenchEngine;
#[cfg(target_arch = "wasm32")]
pub use boundary::*;

#[cfg(target_arch = "wasm32")]
mod boundary {
    use tastebud_browser::engine::{Engine, StoredEvent};
    use tastebud_browser::i18n::Lang;
    use tastebud_browser::storage::{self, Prefs};
    use tastebud_core::{EventKind, Rules};
    use wasm_bindgen::prelude::*;

    use crate::lists::{self, Mode};
    use crate::visitor;

    fn js(e: impl std::fmt::Display) -> JsError {
        JsError::new(&e.to_string())
    }

    /// A loaded catalog and model. JavaScript keeps one per (catalog URL, model URL) pair, or
    /// per publication, and shares it between widgets.
    #[wasm_bindgen]
    pub struct Recommender {
        engine: Engine,
        /// For a publication: what was loaded (to find display pages) and the privacy mode.
        #[cfg(feature = "published")]
        published: Option<(tastebud_core::Loaded, tastebud_core::Privacy)>,
    }

    #[wasm_bindgen]
    impl Recommender {
        /// Parses and cross-checks a catalog (JSON text) and a model file.
        #[wasm_bindgen(constructor)]
        pub fn new(catalog_json: &str, model: &[u8]) -> Result<Recommender, JsError> {
            Engine::load(catalog_json, model)
                .map(|engine| Recommender {
                    engine,
                    #[cfg(feature = "published")]
                    published: None,
                })
                .map_err(|e| JsError::new(&e))
        }

        /// Why catalog items were left out (a bad link, an over-long text, ...), one line each;
        /// the page prints them as console warnings.
        pub fn warnings(&self) -> Vec<String> {
            self.engine.warnings().to_vec()
        }

        /// The widget's list for the visitor whose log and settings [`visitor_snapshot`]
        /// returned, as JSON: an array of interests for `mode` "interests", of items for every
        /// other mode (and fallback chain, "similar, items"), explained in `lang`; `item` is the
        /// page's item (`similar` and `bought-together` follow it, the other lists leave it
        /// out); `rules` are the placement's merchandising rules, one `name=value` a line. One
        /// entry point for the page and for a Web Worker, which has no localStorage: the page
        /// reads the snapshot and passes it on.
        // Plain values across the JavaScript boundary, one per argument.
        #[allow(clippy::too_many_arguments)]
        #[wasm_bindgen(js_name = recommendFor)]
        pub fn recommend_for(
            &self,
            log: &str,
            prefs: &str,
            mode: &str,
            limit: usize,
            lang: &str,
            item: Option<String>,
            rules: &str,
        ) -> Result<String, JsError> {
            let (log, prefs) = visitor::from_snapshot(log, prefs);
            self.list_of(&log, &prefs, mode, limit, lang, item.as_deref(), rules)?
                .0
                .to_json()
                .map_err(js)
        }

        /// The list for `mode`: one mode, or a chain `"mode,fallback,..."` (the element's `mode`
        /// and `fallback` attributes joined), where each fallback mode fills what the ones
        /// before it left empty, its cards saying why they are there; under `rules`, the
        /// placement's merchandising rules as `Rules::parse` reads them. With the items the
        /// rules weighed ([`lists::list`]).
        #[allow(clippy::too_many_arguments)]
        fn list_of(
            &self,
            log: &[StoredEvent],
            prefs: &Prefs,
            mode: &str,
            limit: usize,
            lang: &str,
            item: Option<&str>,
            rules: &str,
        ) -> Result<(lists::List, Vec<usize>), JsError> {
            let mut chain = Vec::new();
            for name in mode.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                let m = Mode::from_name(name)
                    .filter(|m| chain.is_empty() || *m != Mode::Interests)
                    .ok_or_else(|| {
                        JsError::new(&format!(
                            "unknown mode \"{name}\": a mode is items, interests, similar, recently-viewed, bought-together, cart, trending, members or brands, and a fallback any of them but interests"
                        ))
                    })?;
                chain.push(m);
            }
            let item = item.map(str::trim).filter(|i| !i.is_empty());
            let rules = Rules::parse(rules).map_err(|e| JsError::new(&e))?;
            lists::list(
                &self.engine,
                log,
                prefs,
                &chain,
                item,
                Lang::from_tag(lang),
                limit.clamp(1, 50),
                rules,
            )
            .map_err(JsError::new)
        }
    }

    /// Reading a publication (feature `published`, the widget's second build): the visitor's
    /// files fetched by JavaScript round by round, display records page by page.
    #[cfg(feature = "published")]
    mod published {
        use tastebud_browser::engine::Engine;
        use tastebud_core::{Manifest, Privacy, Reading};
        use wasm_bindgen::prelude::*;

        use super::{js, Recommender};
        use crate::{lists, visitor};

        /// One visitor's reading of a publication (`docs/published-format.md`). JavaScript asks
        /// what to fetch with [`wants`](Self::wants), fetches those files in parallel, hands each
        /// over with [`give`](Self::give), and asks again until nothing is wanted; then
        /// [`finish`](Self::finish) makes the recommender.
        #[wasm_bindgen]
        pub struct Publication {
            reading: Option<Reading>,
            privacy: Privacy,
        }

        #[wasm_bindgen]
        impl Publication {
            /// Starts reading `manifest.json` (its text) for the visitor whose log is stored now,
            /// under `privacy`: `history` (the default) or `strict`.
            #[wasm_bindgen(constructor)]
            pub fn new(manifest_json: &str, privacy: &str) -> Result<Publication, JsError> {
                let manifest = Manifest::from_json(manifest_json).map_err(js)?;
                let privacy = match privacy.trim() {
                    "" | "history" => Privacy::History,
                    "strict" => Privacy::Strict,
                    other => {
                        return Err(JsError::new(&format!(
                            "privacy must be \"history\" or \"strict\", got \"{other}\""
                        )))
                    }
                };
                let history: Vec<String> = visitor::read().0.into_iter().map(|e| e.item).collect();
                let reading = Reading::new(manifest, privacy, &history).map_err(js)?;
                Ok(Publication {
                    reading: Some(reading),
                    privacy,
                })
            }

            fn reading(&mut self) -> Result<&mut Reading, JsError> {
                self.reading
                    .as_mut()
                    .ok_or_else(|| JsError::new("this publication has been read already"))
            }

            /// The files to fetch next, as JSON `[{file, bytes}]` (names relative to the
            /// manifest); `[]` when [`finish`](Self::finish) can run.
            pub fn wants(&mut self) -> Result<String, JsError> {
                let wants = self.reading()?.wants();
                serde_json::to_string(&wants).map_err(js)
            }

            /// Hands over a fetched file.
            pub fn give(&mut self, file: &str, bytes: Vec<u8>) -> Result<(), JsError> {
                self.reading()?.give(file, bytes).map_err(js)
            }

            /// The recommender over what was read.
            pub fn finish(&mut self) -> Result<Recommender, JsError> {
                let reading = self
                    .reading
                    .take()
                    .ok_or_else(|| JsError::new("this publication has been read already"))?;
                let loaded = reading.finish().map_err(js)?;
                Ok(Recommender {
                    engine: Engine::from_published(loaded.clone()),
                    published: Some((loaded, self.privacy)),
                })
            }
        }

        #[wasm_bindgen]
        impl Recommender {
            /// The display pages to fetch before [`recommend_for`](Self::recommend_for) can show this list,
            /// as JSON `[{file, bytes}]`: always `[]` but for a publication, whose records
            /// arrive page by page. Hand each over with [`fill`](Self::fill). In strict mode these
            /// are every page of the shards read, whatever the list, so the requests do not depend
            /// on the visitor (docs/privacy.md).
            pub fn needs(
                &self,
                mode: &str,
                limit: usize,
                lang: &str,
                item: Option<String>,
                rules: &str,
            ) -> Result<String, JsError> {
                let Some((loaded, privacy)) = &self.published else {
                    return Ok("[]".into());
                };
                let items = if *privacy == Privacy::Strict {
                    self.engine.unfilled(0..self.engine.catalog.items.len())
                } else {
                    let (log, prefs) = visitor::read();
                    let (list, mut items) =
                        self.list_of(&log, &prefs, mode, limit, lang, item.as_deref(), rules)?;
                    // The rules judge the items they weighed by their records.
                    items.extend(
                        lists::shown_ids(&list)
                            .iter()
                            .filter_map(|id| self.engine.index_of(id)),
                    );
                    self.engine.unfilled(items)
                };
                serde_json::to_string(&loaded.pages_for(&items)).map_err(js)
            }

            /// Hands over a display page [`needs`](Self::needs) named.
            pub fn fill(&mut self, file: &str, bytes: &[u8]) -> Result<(), JsError> {
                let Some((loaded, _)) = &self.published else {
                    return Err(JsError::new("only a publication's recommender takes pages"));
                };
                let page = loaded
                    .pages
                    .iter()
                    .flatten()
                    .find(|p| p.file == file)
                    .ok_or_else(|| {
                        JsError::new(&format!("{file} is not a page of the shards read"))
                    })?;
                for (item, record) in loaded.page_records(page, bytes).map_err(js)? {
                    self.engine
                        .fill(item, record)
                        .map_err(|e| JsError::new(&e))?;
                }
                Ok(())
            }
        }
    }

    /// Records that the visitor did `kind` (a Tastebud name such as `view`, `like`,
    /// `add_to_cart`, or a GA4 name such as `view_item`) to `item`. Needs no catalog or model,
    /// so a page records interactions even when the model fails to load.
    #[wasm_bindgen]
    pub fn track(item: &str, kind: &str, value: Option<f32>) -> Result<(), JsError> {
        let item = item.trim();
        if item.is_empty() || item.len() > 256 {
            return Err(JsError::new(
                "item id must be 1 to 256 characters, as in the catalog",
            ));
        }
        let kind = EventKind::from_any_name(kind.trim()).ok_or_else(|| {
            // Strings, as the engine's own lists: one `join` in the build.
            let names: Vec<String> = EventKind::ALL.iter().map(|k| k.name().into()).collect();
            JsError::new(&format!(
                "unknown event kind \"{kind}\"; use one of {} or a GA4 e-commerce event name",
                names.join(", ")
            ))
        })?;
        let now = js_sys::Date::now() / 1000.0;
        visitor::record(StoredEvent::new(item, kind, value, now));
        Ok(())
    }

    /// Forgets the visitor: removes every key Tastebud stores on this origin.
    #[wasm_bindgen]
    pub fn erase() {
        visitor::erase();
    }

    /// Sets the page's consent setting (`none`, `required` or `auto`) and how many days stored
    /// events are kept (0: 13 months).
    #[wasm_bindgen(js_name = configureConsent)]
    pub fn configure_consent(mode: &str, retention_days: f64) -> Result<(), JsError> {
        let mode = storage::ConsentMode::from_name(mode)
            .ok_or_else(|| JsError::new("consent must be \"none\", \"required\" or \"auto\""))?;
        storage::configure(mode, retention_days);
        Ok(())
    }

    /// The visitor's decision under `required` or `auto`: `true` stores this visit and what
    /// follows; `false` erases everything stored and keeps the rest of the visit in memory.
    /// Returns whether storing is allowed now.
    /// Whether the visitor's activity may be stored now (the consent setting, and under
    /// `required` or `auto` the visitor's answer): what analytics pushes follow too.
    #[wasm_bindgen]
    pub fn storing() -> bool {
        storage::storing()
    }

    #[wasm_bindgen(js_name = setConsent)]
    pub fn set_consent(granted: bool) -> bool {
        if granted {
            storage::grant();
        } else {
            storage::withdraw();
        }
        storage::storing()
    }

    /// The visitor's log and settings in their stored form, `[log, prefs]`, for
    /// [`Recommender::recommend_for`] in a Web Worker.
    #[wasm_bindgen(js_name = visitorSnapshot)]
    pub fn visitor_snapshot() -> Vec<String> {
        let (log, prefs) = visitor::snapshot();
        vec![log, prefs]
    }

    /// How many interactions are stored for this visitor.
    #[wasm_bindgen(js_name = loggedEvents)]
    pub fn logged_events() -> usize {
        visitor::read().0.len()
    }
}

/// The browser benchmark's entry (`scripts/bench-browser.sh`, feature `bench`): the engine's
/// load, fold-in and score plus top-k, with no catalog, log or rendering around them, so the page
/// times exactly what TensorFlow.js and a JavaScript loop are timed on.
#[cfg(all(target_arch = "wasm32", feature = "bench"))]
mod bench {
    use tastebud_core::{Model, Scored, TopK};
    use wasm_bindgen::prelude::*;

    /// A parsed model, the last folded-in visitor and a score buffer reused by every query.
    #[wasm_bindgen]
    pub struct BenchEngine {
        model: Model,
        user: Vec<f32>,
        /// The folded-in visitor's items, for the model's item-item part.
        history: Vec<u32>,
        scores: Vec<f32>,
        select: TopK,
        top: Vec<Scored>,
    }

    #[wasm_bindgen]
    impl BenchEngine {
        /// Parses a `.tbm` model file.
        #[wasm_bindgen(constructor)]
        pub fn new(bytes: &[u8]) -> Result<BenchEngine, JsError> {
            let model = Model::from_bytes(bytes).map_err(|e| JsError::new(&e.to_string()))?;
            let scores = Vec::with_capacity(model.n_items());
            Ok(BenchEngine {
                model,
                user: Vec::new(),
                history: Vec::new(),
                scores,
                select: TopK::new(),
                top: Vec::new(),
            })
        }

        /// Number of items.
        #[wasm_bindgen(js_name = nItems)]
        pub fn n_items(&self) -> usize {
            self.model.n_items()
        }

        /// Folds in a visitor who liked `items` (r = 1 each), keeps the vector for
        /// [`query`](Self::query) and returns it.
        #[wasm_bindgen(js_name = foldIn)]
        pub fn fold_in(&mut self, items: &[u32]) -> Result<Vec<f32>, JsError> {
            let history: Vec<(u32, f32)> = items.iter().map(|&i| (i, 1.0)).collect();
            let mut unique = items.to_vec();
            unique.sort_unstable();
            unique.dedup();
            self.history = unique;
            self.user = self
                .model
                .fold_in(&history)
                .map_err(|e| JsError::new(&e.to_string()))?;
            Ok(self.user.clone())
        }

        /// Scores every item for the folded-in visitor and selects the top `n`, `reps` times
        /// (one timer reading can then cover many queries); returns the last top `n` indices.
        /// The scores, the selection heap and the top list are reused: after the first query,
        /// scoring and selecting allocate nothing.
        pub fn query(&mut self, n: usize, reps: usize) -> Vec<u32> {
            for _ in 0..reps {
                self.model.score_into(&self.user, &mut self.scores);
                if let Some(nb) = self.model.neighbours() {
                    nb.add_scores(self.history.iter().copied(), &mut self.scores);
                }
                if let Some(t) = self.model.transitions() {
                    t.add_scores(&self.history, &mut self.scores);
                }
                let scored = self.scores.iter().enumerate().map(|(i, &score)| Scored {
                    item: i as u32,
                    score,
                });
                self.select.select_into(scored, n, &mut self.top);
            }
            self.top.iter().map(|s| s.item).collect()
        }
    }
}
