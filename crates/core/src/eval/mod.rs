//! Offline evaluation: held-out splits and ranking metrics.

mod metrics;
mod split;

pub use metrics::{evaluate, long_tail, EvalOptions, Metrics, UserResult};
pub use split::{holdout_split, user_split, Split};
