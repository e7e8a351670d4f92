use thiserror::Error;

/// Everything that can go wrong in the engine. Messages are lowercase and say what to do.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A training or fold-in parameter is out of range.
    #[error("{name} must be {requirement}, got {got}")]
    InvalidParameter {
        /// The parameter's name as the CLI spells it.
        name: &'static str,
        /// What a valid value looks like.
        requirement: &'static str,
        /// The value given.
        got: String,
    },
    /// Training produced a non-finite or exploding loss.
    #[error("training diverged at iteration {iteration} (loss {loss}); lower alpha or raise regularization")]
    Diverged {
        /// 1-based iteration at which the loss went bad.
        iteration: usize,
        /// The loss seen.
        loss: f64,
    },
    /// The interactions cannot be trained on.
    #[error("no interactions to train on: {0}")]
    EmptyData(String),
    /// A linear system had no positive-definite solution (should not happen with regularization > 0).
    #[error("the normal equations are not positive definite; raise regularization")]
    NotPositiveDefinite,
    /// An item index or id is not in the model.
    #[error("item {0} is not in the model")]
    UnknownItem(String),
    /// The model file cannot be read.
    #[error("{0}")]
    Format(#[from] crate::model::FormatError),
    /// Inputs do not fit each other (e.g. factor matrices of different widths).
    #[error("{0}")]
    Mismatch(String),
    /// A published catalog's files cannot be used (the message names the file and what to do).
    #[error("{0}")]
    Published(String),
}

/// `Result` with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &'static str, requirement: &'static str, got: impl ToString) -> Error {
    Error::InvalidParameter {
        name,
        requirement,
        got: got.to_string(),
    }
}
