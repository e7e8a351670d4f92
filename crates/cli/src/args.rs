//! Command-line spellings of the core's enums.

use clap::ValueEnum;
use tastebud_core::{Confidence, Precision, RegularizationScaling, Solver};

/// How item factors are stored in the model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// 4 bytes per factor, exact.
    F32,
    /// 2 bytes per factor.
    F16,
    /// 1 byte per factor plus a scale per item.
    Int8,
}

impl From<PrecisionArg> for Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::F32 => Precision::F32,
            PrecisionArg::F16 => Precision::F16,
            PrecisionArg::Int8 => Precision::Int8,
        }
    }
}

/// How a preference `r` becomes a confidence `c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfidenceArg {
    /// `c = alpha * r`, as implicit.
    AlphaTimes,
    /// `c = 1 + alpha * r`, as Hu et al. and Spark.
    OnePlus,
}

impl From<ConfidenceArg> for Confidence {
    fn from(c: ConfidenceArg) -> Self {
        match c {
            ConfidenceArg::AlphaTimes => Confidence::AlphaTimes,
            ConfidenceArg::OnePlus => Confidence::OnePlus,
        }
    }
}

/// How regularization scales with a row's number of observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScalingArg {
    /// `lambda` for every row, as implicit.
    Constant,
    /// `lambda * n`, as Spark.
    ByCount,
    /// `lambda * (n + unobserved_weight * m)^exponent`, as Rendle et al.'s iALS (m: the other
    /// side's rows).
    Frequency,
}

/// The name `--regularization-scaling` and the model header use.
pub fn scaling_name(s: RegularizationScaling) -> &'static str {
    s.name()
}

/// The ALS row solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SolverArg {
    /// A few conjugate-gradient steps per row (fast).
    Cg,
    /// An exact Cholesky solve per row.
    Cholesky,
}

impl From<SolverArg> for Solver {
    fn from(s: SolverArg) -> Self {
        match s {
            SolverArg::Cg => Solver::ConjugateGradient,
            SolverArg::Cholesky => Solver::Cholesky,
        }
    }
}
