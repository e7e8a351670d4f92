//! Alternating least squares for implicit feedback (Hu, Koren and Volinsky 2008), with a
//! conjugate-gradient row solver (Takács, Pilászy and Tikk 2011) and an exact Cholesky one.

mod foldin;
mod params;
mod solve;
mod train;

pub use foldin::{fold_in, ItemRows, UserSystem};
pub use params::{
    AlsParams, Confidence, FoldInParams, RegularizationScaling, Solver, ValidAlsParams,
};
pub(crate) use train::Workers;
pub use train::{fit, Factors, IterationReport};
