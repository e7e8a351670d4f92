//! Tastebud's recommender engine: implicit-feedback matrix factorization that trains natively and
//! folds in and ranks a visitor inside their browser.
//!
//! The pieces, in the order data flows through them:
//!
//! - [`EventWeights`] turns interaction events (views, likes, ratings, purchases, dismissals)
//!   into preferences `r`, for a training log ([`DatasetBuilder`]) and a visitor alike.
//! - [`fit`] trains ALS for implicit feedback (Hu, Koren and Volinsky 2008) with a
//!   conjugate-gradient or exact Cholesky row solver, checked [`AlsParams`] and a per-iteration
//!   loss callback.
//! - [`Model`] holds the item factors, the fold-in settings and the cached `Y^T Y`; it reads and
//!   writes the `.tbm` file (`docs/model-format.md`), folds in a visitor ([`Model::fold_in`]),
//!   ranks ([`Model::recommend`], [`Model::similar_items`]) and explains
//!   ([`Model::explain`]).
//! - [`Neighbours`], optional in a model, is a pruned item-item model (EASE, solved by [`Ease`])
//!   whose scores join the factors' ([`Model::score_system_into`]), explanations included.
//! - [`tune`] searches the factors' hyperparameters and the item-item blend on a validation
//!   split.
//! - [`holdout_split`], [`user_split`] and [`evaluate`] measure it offline.
//!
//! # Example
//!
//! Two groups of users who like disjoint halves of a small catalog; a visitor who likes two
//! items of the first half gets the rest of that half recommended.
//!
//! ```
//! use approx::assert_abs_diff_eq;
//! use tastebud_core::{fit, AlsParams, CsrMatrix, Filter, Model, Precision, Provenance};
//!
//! // 20 users x 10 items: users 0-9 like items 0-4, users 10-19 like items 5-9.
//! let mut cells = Vec::new();
//! for u in 0..20u32 {
//!     let first = if u < 10 { 0 } else { 5 };
//!     for i in first..first + 5 {
//!         if (u + i) % 4 != 0 {
//!             cells.push((u, i, 1.0));
//!         }
//!     }
//! }
//! let prefs = CsrMatrix::from_triplets(20, 10, &cells);
//! let params = AlsParams::new().factors(4).iterations(10).seed(7).check()?;
//! let factors = fit(&prefs, &params, |_| {})?;
//!
//! let ids = (0..10).map(|i| format!("item-{i}")).collect();
//! let model = Model::new(
//!     ids,
//!     factors.items,
//!     params.fold_in(),
//!     prefs.column_counts(),
//!     Precision::F32,
//!     Provenance::default(),
//! )?;
//!
//! // A visitor who liked items 0 and 1.
//! let history = [(0, 1.0), (1, 1.0)];
//! let top = model.recommend_for(&history, 3, Filter::new())?;
//! assert!(top.iter().all(|s| s.item < 5), "{top:?}");
//!
//! // The explanation of the top item: contributions of items 0 and 1 sum to its score.
//! let why = model.explain(&history, top[0].item)?;
//! let total: f32 = why.contributions.iter().map(|c| c.1).sum();
//! assert_abs_diff_eq!(total, why.score, epsilon = 1e-4);
//!
//! // The model file round-trips.
//! let again = Model::from_bytes(&model.to_bytes())?;
//! assert_eq!(again.fold_in(&history)?, model.fold_in(&history)?);
//! # Ok::<(), tastebud_core::Error>(())
//! ```
#![deny(missing_docs)]

/// `Deserialize` for a unit enum from its name, through serde's one `String` path:
/// `deserialize_by_name!(Type, |name| parse(name), &["names", ...])`. Serde's derived enum
/// visitors take several kilobytes per enum in the browser builds; this takes a few bytes.
macro_rules! deserialize_by_name {
    ($ty:ty, $parse:expr, $names:expr) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = <String as serde::Deserialize>::deserialize(d)?;
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(&name).ok_or_else(|| serde::de::Error::unknown_variant(&name, $names))
            }
        }
    };
}

mod als;
mod catalog;
mod cold;
mod error;
mod eval;
mod interactions;
mod interests;
mod linalg;
mod model;
mod neighbours;
mod partition;
mod publish;
mod rank;
mod rerank;
mod rules;
mod sparse;
mod transitions;
mod tune;

pub use als::{
    fit, fold_in, AlsParams, Confidence, Factors, FoldInParams, ItemRows, IterationReport,
    RegularizationScaling, Solver, UserSystem, ValidAlsParams,
};
pub use catalog::{
    is_safe_url, is_showable_search, Area, Availability, Catalog, CatalogError, CatalogItem,
    Category, Localized, Picture, ShopData, Skipped, CATALOG_VERSION, GLYPHS, MAX_SEARCH_CHARS,
};
pub use cold::{category_seeds, centroid, cold_item_factors};
pub use error::{Error, Result};
pub use eval::{
    evaluate, holdout_split, long_tail, user_split, EvalOptions, Metrics, Split, UserResult,
};
pub use interactions::{
    sequence_of, Dataset, DatasetBuilder, EventKind, EventWeights, Interaction, Preferences,
};
pub use interests::{category_interests, Interest, InterestOptions};
pub use model::{
    Explanation, FormatError, Model, Precision, Provenance, FORMAT_VERSION, MAGIC, MAX_MODEL_BYTES,
};
pub use neighbours::{Ease, ItemTable, Neighbours, MAX_NEIGHBOUR_ITEMS};
pub use partition::{Partition, Probed, FLAT_SHARDS, KMEANS_ITERATIONS, SAMPLE_PER_SHARD};
pub use publish::{
    bucket_of, Columns, FileRef, Head, Index, Loaded, Loader, Manifest, Privacy, PublishOptions,
    Published, Reading, ShardFiles, DEFAULT_SHARD_ITEMS, DEFAULT_STRICT_ITEMS, DIRECTORY_IDS,
    PAGE_ITEMS, PUBLISHED_FORMAT, PUBLISHED_VERSION, TABLE_ENTRIES,
};
#[cfg(not(target_arch = "wasm32"))]
pub use publish::{publish, publish_into, sha256_hex};
pub use rank::{sort_by_share, top_k, top_scores, Filter, ItemCategories, ItemSet, Scored, TopK};
pub use rerank::{
    rerank, Calibration, RerankContext, RerankParams, BALANCED_KEEPS, DISCOVERY_KEEPS, PRESETS,
    RELEVANCE_FLOOR,
};
pub use rules::{
    placement_rules, Boost, Field, Placed, PlacementRules, Rules, PLACEMENTS, RULE_NAMES,
};
pub use sparse::CsrMatrix;
pub use transitions::{
    fit_transitions, transition_scale, Transitions, DEFAULT_TRANSITION_DECAY,
    DEFAULT_TRANSITION_DEPTH, DEFAULT_TRANSITION_ENTRIES, DEFAULT_TRANSITION_MIN_USERS,
    DEFAULT_TRANSITION_SHARE, DEFAULT_TRANSITION_WINDOW, MAX_TRANSITION_DEPTH, TRANSITION_SHARES,
};
pub use tune::{
    calibrate, default_neighbour_regularization, default_params, default_setting, fit_neighbours,
    neighbours_for, train_model, trained_provenance, tune, validation_metrics, NeighbourTrial,
    Setting, Trial, TuneObserver, TuneOptions, Tuned, CALIBRATION_STRENGTHS,
    DEFAULT_NEIGHBOUR_ENTRIES, DEFAULT_NEIGHBOUR_ITEMS, DEFAULT_NEIGHBOUR_SHARE, INIT_STD,
    NEIGHBOUR_WEIGHTS,
};
