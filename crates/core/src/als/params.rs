use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};

/// How a raw preference `r` becomes the confidence `c` that weights an observed cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// `c = alpha * r`: what `implicit` does (it scales the user-item matrix by alpha).
    AlphaTimes,
    /// `c = 1 + alpha * r`: Hu, Koren and Volinsky (2008), and Spark MLlib.
    OnePlus,
}

deserialize_by_name!(
    Confidence,
    |name| [Confidence::AlphaTimes, Confidence::OnePlus]
        .into_iter()
        .find(|c| c.name() == name),
    &["alpha-times", "one-plus"]
);

impl Confidence {
    /// The confidence of an observed cell with preference `r`.
    #[inline]
    pub fn apply(self, alpha: f32, r: f32) -> f32 {
        match self {
            Confidence::AlphaTimes => alpha * r,
            Confidence::OnePlus => 1.0 + alpha * r,
        }
    }

    /// The name used on the command line and in model headers.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::AlphaTimes => "alpha-times",
            Confidence::OnePlus => "one-plus",
        }
    }
}

/// How the regularization weight scales with a row's number of observations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegularizationScaling {
    /// `lambda * I` for every row (implicit).
    Constant,
    /// `lambda * n * I`, with `n` the row's number of positive observations (ALS-WR, as Spark's
    /// `ALS.computeFactors` does in implicit mode too).
    ByCount,
    /// `lambda * (n + unobserved_weight * m)^exponent * I`, with `n` the row's positive
    /// observations and `m` the number of rows on the other side (the catalog's items for a
    /// user): the frequency-scaled regularization of Rendle, Krichene, Zhang and Koren,
    /// "Revisiting the Performance of iALS on Item Recommendation Benchmarks" (RecSys 2022).
    /// With `c = 1 + alpha * r` and `unobserved_weight = 1 / alpha` it is their iALS exactly,
    /// up to a rescaling of `lambda`.
    #[serde(rename_all = "snake_case")]
    Frequency {
        /// `nu`: 0 is constant regularization, 1 (the paper's choice) scales with the row's
        /// total weight.
        exponent: f32,
        /// `alpha0`: the weight of an unobserved cell relative to the other side's size.
        unobserved_weight: f32,
    },
}

impl RegularizationScaling {
    /// The name used on the command line and in model headers.
    pub fn name(self) -> &'static str {
        match self {
            RegularizationScaling::Constant => "constant",
            RegularizationScaling::ByCount => "by-count",
            RegularizationScaling::Frequency { .. } => "frequency",
        }
    }

    /// Checks the frequency scaling's numbers.
    pub fn validate(self) -> Result<()> {
        if let RegularizationScaling::Frequency {
            exponent,
            unobserved_weight,
        } = self
        {
            if !(exponent.is_finite() && (0.0..=2.0).contains(&exponent)) {
                return Err(invalid(
                    "regularization exponent",
                    "between 0 and 2",
                    exponent,
                ));
            }
            if !(unobserved_weight.is_finite() && unobserved_weight > 0.0) {
                return Err(invalid(
                    "unobserved weight",
                    "finite and > 0",
                    unobserved_weight,
                ));
            }
        }
        Ok(())
    }
}

/// Which linear solver updates each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Solver {
    /// A few conjugate-gradient steps warm-started from the previous factors (Takács et al.
    /// 2011; implicit's default).
    ConjugateGradient,
    /// An exact Cholesky solve of each row's normal equations, in f64.
    Cholesky,
}

/// The settings a visitor's fold-in must share with training: stored in the model header.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FoldInParams {
    /// Regularization weight `lambda`.
    pub regularization: f32,
    /// Confidence scale `alpha`.
    pub alpha: f32,
    /// How `r` becomes `c`.
    pub confidence: Confidence,
    /// How `lambda` scales with the number of observations.
    pub regularization_scaling: RegularizationScaling,
}

impl FoldInParams {
    /// Checks the values a model file or an import gives.
    pub fn validate(&self) -> Result<()> {
        check_regularization(self.regularization)?;
        check_alpha(self.alpha)?;
        self.regularization_scaling.validate()
    }

    /// `lambda` for a row with `n` positive observations, when the other side has `others`
    /// rows (a user's row: the model's items).
    #[inline]
    pub fn row_regularization(&self, n: usize, others: usize) -> f32 {
        match self.regularization_scaling {
            RegularizationScaling::Constant => self.regularization,
            RegularizationScaling::ByCount => self.regularization * n as f32,
            RegularizationScaling::Frequency {
                exponent,
                unobserved_weight,
            } => {
                // `w^nu` as `exp(nu ln w)` in f32: the browser build already carries `ln` for
                // re-ranking, where a `powf` of its own would cost kilobytes of wasm; training and
                // fold-in share this one formula, so they agree exactly.
                let weight = n as f32 + unobserved_weight * others as f32;
                self.regularization * (exponent * weight.ln()).exp()
            }
        }
    }
}

/// Hyperparameters of [`fit`](crate::fit), checked by [`AlsParams::check`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlsParams {
    /// Number of latent factors.
    pub factors: usize,
    /// Regularization weight `lambda`.
    pub regularization: f32,
    /// Confidence scale `alpha`.
    pub alpha: f32,
    /// Number of alternating sweeps (users then items).
    pub iterations: usize,
    /// Conjugate-gradient steps per row update (ignored by the Cholesky solver).
    pub cg_steps: usize,
    /// Seed of the initial factors.
    pub seed: u64,
    /// Worker threads; 0 uses every core. Results do not depend on it.
    pub threads: usize,
    /// How `r` becomes `c`.
    pub confidence: Confidence,
    /// How `lambda` scales with a row's observations.
    pub regularization_scaling: RegularizationScaling,
    /// The row solver.
    pub solver: Solver,
    /// Standard deviation `sigma` of the initial factors, drawn from `N(0, sigma^2 / factors)`
    /// (Rendle et al. 2022). `None` draws them uniformly from `[0, 0.01)`, as implicit does.
    pub init_std: Option<f32>,
}

impl Default for AlsParams {
    fn default() -> Self {
        Self::new()
    }
}

impl AlsParams {
    /// The defaults: 64 factors, regularization 0.05, alpha 10, 15 iterations, 3 CG steps,
    /// seed 42, all cores, `c = alpha * r` (as implicit), constant regularization, CG solver.
    pub fn new() -> Self {
        AlsParams {
            factors: 64,
            regularization: 0.05,
            alpha: 10.0,
            iterations: 15,
            cg_steps: 3,
            seed: 42,
            threads: 0,
            confidence: Confidence::AlphaTimes,
            regularization_scaling: RegularizationScaling::Constant,
            solver: Solver::ConjugateGradient,
            init_std: None,
        }
    }

    /// Sets the number of factors.
    pub fn factors(mut self, v: usize) -> Self {
        self.factors = v;
        self
    }
    /// Sets the regularization weight.
    pub fn regularization(mut self, v: f32) -> Self {
        self.regularization = v;
        self
    }
    /// Sets alpha.
    pub fn alpha(mut self, v: f32) -> Self {
        self.alpha = v;
        self
    }
    /// Sets the number of iterations.
    pub fn iterations(mut self, v: usize) -> Self {
        self.iterations = v;
        self
    }
    /// Sets the CG steps per row.
    pub fn cg_steps(mut self, v: usize) -> Self {
        self.cg_steps = v;
        self
    }
    /// Sets the seed.
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
    /// Sets the thread count (0 = every core).
    pub fn threads(mut self, v: usize) -> Self {
        self.threads = v;
        self
    }
    /// Sets the confidence convention.
    pub fn confidence(mut self, v: Confidence) -> Self {
        self.confidence = v;
        self
    }
    /// Sets the regularization scaling.
    pub fn regularization_scaling(mut self, v: RegularizationScaling) -> Self {
        self.regularization_scaling = v;
        self
    }
    /// Sets the solver.
    pub fn solver(mut self, v: Solver) -> Self {
        self.solver = v;
        self
    }

    /// Sets the initial factors' standard deviation (`None`: implicit's uniform draw).
    pub fn init_std(mut self, v: Option<f32>) -> Self {
        self.init_std = v;
        self
    }

    /// Validates every value, reporting the first bad one.
    pub fn check(self) -> Result<ValidAlsParams> {
        if !(1..=1024).contains(&self.factors) {
            return Err(invalid("factors", "between 1 and 1024", self.factors));
        }
        check_regularization(self.regularization)?;
        check_alpha(self.alpha)?;
        self.regularization_scaling.validate()?;
        if let Some(std) = self.init_std {
            if !(std.is_finite() && std > 0.0 && std <= 10.0) {
                return Err(invalid("init_std", "finite, > 0 and at most 10", std));
            }
        }
        if !(1..=10_000).contains(&self.iterations) {
            return Err(invalid(
                "iterations",
                "between 1 and 10000",
                self.iterations,
            ));
        }
        if self.solver == Solver::ConjugateGradient && !(1..=1024).contains(&self.cg_steps) {
            return Err(invalid("cg_steps", "between 1 and 1024", self.cg_steps));
        }
        if self.threads > 1024 {
            return Err(invalid(
                "threads",
                "at most 1024 (0 = every core)",
                self.threads,
            ));
        }
        Ok(ValidAlsParams(self))
    }
}

fn check_regularization(v: f32) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(invalid("regularization", "finite and > 0", v));
    }
    Ok(())
}

fn check_alpha(v: f32) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(invalid("alpha", "finite and > 0", v));
    }
    Ok(())
}

/// Parameters that passed [`AlsParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAlsParams(AlsParams);

impl std::ops::Deref for ValidAlsParams {
    type Target = AlsParams;
    fn deref(&self) -> &AlsParams {
        &self.0
    }
}

impl ValidAlsParams {
    /// The settings fold-in must share with this training.
    pub fn fold_in(&self) -> FoldInParams {
        FoldInParams {
            regularization: self.regularization,
            alpha: self.alpha,
            confidence: self.confidence,
            regularization_scaling: self.regularization_scaling,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_per_bad_value() {
        let cases = [
            (
                AlsParams::new().factors(0),
                "factors must be between 1 and 1024, got 0",
            ),
            (
                AlsParams::new().regularization(-1.0),
                "regularization must be finite and > 0, got -1",
            ),
            (
                AlsParams::new().alpha(f32::NAN),
                "alpha must be finite and > 0, got NaN",
            ),
            (
                AlsParams::new().iterations(0),
                "iterations must be between 1 and 10000, got 0",
            ),
            (
                AlsParams::new().cg_steps(0),
                "cg_steps must be between 1 and 1024, got 0",
            ),
            (
                AlsParams::new().threads(5000),
                "threads must be at most 1024 (0 = every core), got 5000",
            ),
        ];
        for (params, message) in cases {
            assert_eq!(params.check().unwrap_err().to_string(), message);
        }
        assert!(AlsParams::new()
            .cg_steps(0)
            .solver(Solver::Cholesky)
            .check()
            .is_ok());
    }

    #[test]
    fn conventions() {
        assert_eq!(Confidence::AlphaTimes.apply(10.0, 2.0), 20.0);
        assert_eq!(Confidence::OnePlus.apply(10.0, 2.0), 21.0);
    }
}
