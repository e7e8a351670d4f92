//! Discovery re-ranking: turning an accuracy-ordered candidate list into one that also reaches
//! the long tail, spreads across categories, matches the visitor's mix of interests and leaves a
//! few slots for adjacent niches they have not touched.
//!
//! Every stage works on the top [`RerankParams::candidates`] items of the plain ranking, with
//! scores min-max normalized to `[0, 1]` over those candidates, so the strengths below mean the
//! same thing for every model and visitor.

use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
use crate::rank::{top_k, top_scores, ItemCategories, ItemSet, Scored};

/// Re-ranking strengths. Every stage is off at 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RerankParams {
    /// How many top items of the plain ranking are re-ranked (1000: enough that debiasing can
    /// reach items plain ALS ranks far down).
    pub candidates: usize,
    /// Popularity debiasing `beta`: each candidate's normalized score loses
    /// `beta * ln(1 + pop) / ln(1 + max pop)`, so at 1 a best-seller needs a full score-range
    /// lead over an unseen item to stay ahead. Only candidates scoring at least
    /// [`RELEVANCE_FLOOR`] of the best candidate's score take part, so items the model knows
    /// nothing relevant about are never lifted.
    pub popularity: f32,
    /// MMR diversity `lambda` (Carbonell and Goldstein 1998) by category: each pick maximizes
    /// `(1 - lambda) * score - lambda * share`, with `share` the fraction of items already picked
    /// that are in the candidate's category.
    pub diversity: f32,
    /// Calibration `lambda` (Steck 2018): each pick maximizes
    /// `(1 - lambda) * score - lambda * KL(p || q~)`, with `p` the category mix of the visitor's
    /// history and `q~ = 0.99 q + 0.01 p` that of the list so far.
    pub calibration: f32,
    /// Exploration slots: positions given to the best item of each of the categories the visitor
    /// has not touched that score highest for them (the adjacent niches), spread through the
    /// list.
    pub exploration: usize,
}

impl Default for RerankParams {
    /// `accurate`: no re-ranking.
    fn default() -> Self {
        RerankParams {
            candidates: 1000,
            popularity: 0.0,
            diversity: 0.0,
            calibration: 0.0,
            exploration: 0,
        }
    }
}

/// Candidates scoring below this fraction of the best candidate's (positive) score are not
/// re-ranked: they cannot be lifted by debiasing, and only fill the list if too few remain.
pub const RELEVANCE_FLOOR: f32 = 0.05;

/// The named settings.
pub const PRESETS: [&str; 3] = ["accurate", "balanced", "discovery"];

impl RerankParams {
    /// A named preset:
    ///
    /// | preset | popularity | diversity | calibration | exploration slots |
    /// |---|---|---|---|---|
    /// | `accurate` | 0 | 0 | 0 | 0 |
    /// | `balanced` | 1.2 | 0.1 | 0.1 | 1 |
    /// | `discovery` (the storefront's and widget's default) | 1.35 | 0.1 | 0 | 1 |
    ///
    /// `discovery` was chosen on amazon-sports (20% holdout, top 10) as the strongest setting
    /// keeping nDCG@10 at 0.9x plain ALS's or better; see the README's discovery benchmark.
    pub fn preset(name: &str) -> Option<RerankParams> {
        let p = RerankParams::default();
        match name {
            "accurate" => Some(p),
            "balanced" => Some(RerankParams {
                popularity: 1.2,
                diversity: 0.1,
                calibration: 0.1,
                exploration: 1,
                ..p
            }),
            "discovery" => Some(RerankParams {
                popularity: 1.35,
                diversity: 0.1,
                exploration: 1,
                ..p
            }),
            _ => None,
        }
    }

    /// The same settings with every strength scaled by `t` (0 = accurate, 1 = as given; the
    /// storefront's "more familiar / more niche" control). Exploration slots round.
    pub fn scaled(&self, t: f32) -> RerankParams {
        let t = t.clamp(0.0, 2.0);
        RerankParams {
            candidates: self.candidates,
            popularity: self.popularity * t,
            diversity: (self.diversity * t).min(1.0),
            calibration: (self.calibration * t).min(1.0),
            exploration: (self.exploration as f32 * t).round() as usize,
        }
    }

    /// Checks ranges: strengths finite, `diversity` and `calibration` in `[0, 1]`.
    pub fn validate(&self) -> Result<()> {
        if self.candidates == 0 {
            return Err(invalid("candidates", "> 0", self.candidates));
        }
        if !(self.popularity.is_finite() && self.popularity >= 0.0) {
            return Err(invalid("popularity", "finite and >= 0", self.popularity));
        }
        for (name, v) in [
            ("diversity", self.diversity),
            ("calibration", self.calibration),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(name, "between 0 and 1", v));
            }
        }
        Ok(())
    }

    /// Whether this does nothing (plain ranking).
    pub fn is_plain(&self) -> bool {
        self.popularity == 0.0
            && self.diversity == 0.0
            && self.calibration == 0.0
            && self.exploration == 0
    }
}

/// The most strengths a [`Calibration`] holds.
pub const MAX_CALIBRATION_POINTS: usize = 16;
/// The most bytes a [`Calibration`] takes as JSON, so that it fits the model header beside the
/// largest provenance (`tune` rounds its figures to 4 decimals, about 450 bytes for 16 points).
pub const MAX_CALIBRATION_JSON: usize = 600;
// `Calibration::validate`'s messages spell the limits out.
const _: () = assert!(MAX_CALIBRATION_POINTS == 16 && MAX_CALIBRATION_JSON == 600);

/// The share of `accurate`'s validation nDCG that `balanced` keeps on a calibrated model: it
/// promises 0.95x on unseen data, and keeps a margin for the gap between validation and test.
pub const BALANCED_KEEPS: f32 = 0.96;
/// The share of `accurate`'s validation nDCG that `discovery` keeps on a calibrated model: it
/// promises 0.90x on unseen data, with the same margin.
pub const DISCOVERY_KEEPS: f32 = 0.92;

/// How discovery re-ranking traded accuracy for the long tail on a model's own validation split
/// (`tastebud tune --categories`), stored in the model header.
///
/// Each column is one strength `t` of the `discovery` preset's direction
/// ([`RerankParams::scaled`]), from `t = 0` (plain ranking) up. With it, `balanced` and
/// `discovery` are the strongest measured settings that keep [`BALANCED_KEEPS`] and
/// [`DISCOVERY_KEEPS`] of plain ranking's validation nDCG on this shop's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Strengths, ascending, the first 0, all in `[0, 2]`.
    pub strengths: Vec<f32>,
    /// Validation nDCG at each strength over plain ranking's (1 at `t = 0`).
    pub ndcg_ratio: Vec<f32>,
    /// Share of recommended items in the long tail at each strength.
    pub tail_share: Vec<f32>,
    /// Share of the catalog's categories reached by the lists at each strength (0 without
    /// categories).
    pub category_coverage: Vec<f32>,
}

impl Calibration {
    /// Checks the shape and ranges a model file or `tune` gives.
    pub fn validate(&self) -> Result<()> {
        let n = self.strengths.len();
        if !(2..=MAX_CALIBRATION_POINTS).contains(&n) {
            return Err(invalid("calibration strengths", "2 to 16 of them", n));
        }
        for (name, column) in [
            ("ndcg_ratio", &self.ndcg_ratio),
            ("tail_share", &self.tail_share),
            ("category_coverage", &self.category_coverage),
        ] {
            if column.len() != n {
                return Err(invalid(name, "one value per strength", column.len()));
            }
            if let Some(v) = column
                .iter()
                .find(|v| !(v.is_finite() && (0.0..=10.0).contains(*v)))
            {
                return Err(invalid(name, "values between 0 and 10", v));
            }
        }
        if self.strengths[0] != 0.0 {
            return Err(invalid(
                "calibration strengths",
                "starting at 0",
                self.strengths[0],
            ));
        }
        if let Some(w) = self
            .strengths
            .windows(2)
            .find(|w| !(w[1].is_finite() && w[1] > w[0] && w[1] <= 2.0))
        {
            return Err(invalid(
                "calibration strengths",
                "ascending and at most 2",
                w[1],
            ));
        }
        let json = serde_json::to_vec(&self.to_flat()).map_or(usize::MAX, |j| j.len());
        if json > MAX_CALIBRATION_JSON {
            return Err(invalid(
                "calibration",
                "at most 600 bytes as JSON",
                format!("{json} bytes"),
            ));
        }
        Ok(())
    }

    /// The table as the model header stores it: `strength, ndcg_ratio, tail_share,
    /// category_coverage` for each strength in turn.
    pub fn to_flat(&self) -> Vec<f32> {
        (0..self.strengths.len())
            .flat_map(|i| {
                [
                    self.strengths[i],
                    self.ndcg_ratio[i],
                    self.tail_share[i],
                    self.category_coverage[i],
                ]
            })
            .collect()
    }

    /// [`to_flat`](Self::to_flat) read back, checked.
    pub fn from_flat(flat: &[f32]) -> Result<Calibration> {
        if !flat.len().is_multiple_of(4) {
            return Err(invalid(
                "calibration",
                "four values per strength",
                format!("{} values", flat.len()),
            ));
        }
        let column = |c: usize| flat.iter().skip(c).step_by(4).copied().collect();
        let c = Calibration {
            strengths: column(0),
            ndcg_ratio: column(1),
            tail_share: column(2),
            category_coverage: column(3),
        };
        c.validate()?;
        Ok(c)
    }

    /// The strongest measured strength that keeps at least `keeps` of plain ranking's nDCG (0
    /// when none does).
    pub fn strength_keeping(&self, keeps: f32) -> f32 {
        self.strengths
            .iter()
            .zip(&self.ndcg_ratio)
            .filter(|&(_, &r)| r >= keeps)
            .map(|(&t, _)| t)
            .fold(0.0, f32::max)
    }

    /// The strongest measured strength, the end of the "more niche" range.
    pub fn max_strength(&self) -> f32 {
        *self.strengths.last().expect("validated: at least 2")
    }

    /// A named preset on this model: `accurate` is plain, `balanced` and `discovery` the
    /// `discovery` direction at [`strength_keeping`](Self::strength_keeping) their share.
    pub fn preset(&self, name: &str) -> Option<RerankParams> {
        let direction = RerankParams::preset("discovery")?;
        match name {
            "accurate" => RerankParams::preset("accurate"),
            "balanced" => Some(direction.scaled(self.strength_keeping(BALANCED_KEEPS))),
            "discovery" => Some(direction.scaled(self.strength_keeping(DISCOVERY_KEEPS))),
            _ => None,
        }
    }
}

/// What re-ranking needs to know besides the scores.
#[derive(Debug, Clone, Copy)]
pub struct RerankContext<'a> {
    /// Each item's category.
    pub categories: &'a ItemCategories,
    /// Each item's training popularity.
    pub popularity: &'a [u32],
    /// The visitor's history, `(item, r)`.
    pub history: &'a [(u32, f32)],
    /// Categories exploration may suggest (`None`: all).
    pub explorable: Option<&'a ItemSet>,
}

/// Re-ranks `scores` (every item's score; `NaN` or filtered-out items must already be excluded by
/// `allowed`) into `n` items.
pub fn rerank(
    scores: &[f32],
    allowed: impl Fn(u32) -> bool,
    n: usize,
    params: &RerankParams,
    ctx: &RerankContext,
) -> Vec<Scored> {
    rerank_with(scores, &allowed, n, params, ctx)
}

/// [`rerank`] behind one `dyn` filter: one copy in the browser builds, whatever the callers'
/// closures.
fn rerank_with(
    scores: &[f32],
    allowed: &dyn Fn(u32) -> bool,
    n: usize,
    params: &RerankParams,
    ctx: &RerankContext,
) -> Vec<Scored> {
    let candidates = top_scores(scores, params.candidates.max(n), allowed);
    if params.is_plain() || candidates.is_empty() {
        return candidates.into_iter().take(n).collect();
    }
    let explore = exploration_picks(scores, allowed, params.exploration.min(n), ctx);
    let main_n = n.saturating_sub(explore.len());
    let floor = RELEVANCE_FLOOR * candidates[0].score.max(0.0);
    let (pool, rest): (Vec<Scored>, Vec<Scored>) = candidates
        .iter()
        .filter(|c| !explore.iter().any(|e| e.item == c.item))
        .partition(|c| c.score >= floor);
    let mut main = greedy(&pool, main_n, params, ctx);
    main.extend(rest.into_iter().take(main_n.saturating_sub(main.len())));
    interleave(main, explore, n)
}

/// Scores normalized to `[0, 1]` over the pool, minus the popularity penalty.
fn adjusted(pool: &[Scored], params: &RerankParams, ctx: &RerankContext) -> Vec<f32> {
    let (lo, hi) = pool
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(s.score), hi.max(s.score))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let max_pop = ctx.popularity.iter().copied().max().unwrap_or(0) as f32;
    let log_max = (1.0 + max_pop).ln().max(f32::MIN_POSITIVE);
    pool.iter()
        .map(|s| {
            let norm = (s.score - lo) / span;
            let pop = ctx.popularity.get(s.item as usize).copied().unwrap_or(0) as f32;
            norm - params.popularity * (1.0 + pop).ln() / log_max
        })
        .collect()
}

/// The visitor's category mix `p`, as (category, share) over their history.
fn history_mix(ctx: &RerankContext) -> Vec<(u32, f64)> {
    let mut mix: Vec<(u32, f64)> = Vec::new();
    let mut total = 0.0;
    for &(item, r) in ctx.history {
        let Some(c) = ctx.categories.of(item) else {
            continue;
        };
        let r = r.max(0.0) as f64;
        total += r;
        match mix.iter_mut().find(|m| m.0 == c) {
            Some(m) => m.1 += r,
            None => mix.push((c, r)),
        }
    }
    if total > 0.0 {
        mix.iter_mut().for_each(|m| m.1 /= total);
    }
    mix
}

/// Greedy selection maximizing the adjusted score, the MMR term and the calibration term.
fn greedy(pool: &[Scored], n: usize, params: &RerankParams, ctx: &RerankContext) -> Vec<Scored> {
    let base = adjusted(pool, params, ctx);
    let p = history_mix(ctx);
    let mut taken = vec![false; pool.len()];
    let mut picked: Vec<Scored> = Vec::with_capacity(n);
    let mut counts: Vec<(Option<u32>, usize)> = Vec::new();
    let count_of = |counts: &[(Option<u32>, usize)], c: Option<u32>| {
        counts.iter().find(|x| x.0 == c).map_or(0, |x| x.1)
    };
    for _ in 0..n.min(pool.len()) {
        let mut best: Option<(f64, usize)> = None;
        for (j, s) in pool.iter().enumerate() {
            if taken[j] {
                continue;
            }
            let c = ctx.categories.of(s.item);
            let mut value = base[j] as f64;
            if params.diversity > 0.0 && !picked.is_empty() && c.is_some() {
                let share = count_of(&counts, c) as f64 / picked.len() as f64;
                value = (1.0 - params.diversity as f64) * value - params.diversity as f64 * share;
            }
            if params.calibration > 0.0 && !p.is_empty() {
                let kl = calibration_kl(&p, &counts, c, picked.len() + 1);
                value = (1.0 - params.calibration as f64) * value - params.calibration as f64 * kl;
            }
            // Strictly better only: ties keep the earlier (higher plain score) candidate.
            if best.is_none_or(|(v, _)| value > v) {
                best = Some((value, j));
            }
        }
        let Some((_, j)) = best else { break };
        taken[j] = true;
        let c = ctx.categories.of(pool[j].item);
        match counts.iter_mut().find(|x| x.0 == c) {
            Some(x) => x.1 += 1,
            None => counts.push((c, 1)),
        }
        picked.push(pool[j]);
    }
    picked
}

/// `KL(p || q~)` for the list with one more item of category `c`, `len` items in all.
fn calibration_kl(
    p: &[(u32, f64)],
    counts: &[(Option<u32>, usize)],
    c: Option<u32>,
    len: usize,
) -> f64 {
    const ALPHA: f64 = 0.01;
    p.iter()
        .map(|&(cat, pc)| {
            let n = counts.iter().find(|x| x.0 == Some(cat)).map_or(0, |x| x.1)
                + usize::from(c == Some(cat));
            let q = n as f64 / len as f64;
            let q = (1.0 - ALPHA) * q + ALPHA * pc;
            if pc > 0.0 {
                pc * (pc / q).ln()
            } else {
                0.0
            }
        })
        .sum()
}

/// The best item of each of the top `slots` untouched categories, ranked by the mean of their
/// three best items' scores (the same size-independent score as category interests).
fn exploration_picks(
    scores: &[f32],
    allowed: &dyn Fn(u32) -> bool,
    slots: usize,
    ctx: &RerankContext,
) -> Vec<Scored> {
    if slots == 0 {
        return Vec::new();
    }
    let touched: ItemSet = ctx
        .history
        .iter()
        .filter_map(|&(i, _)| ctx.categories.of(i))
        .collect();
    let mut best: Vec<Vec<Scored>> = vec![Vec::new(); ctx.categories.names.len()];
    for (i, &score) in scores.iter().enumerate() {
        let item = i as u32;
        let Some(c) = ctx.categories.of(item) else {
            continue;
        };
        if touched.contains(c) || !allowed(item) || score.is_nan() {
            continue;
        }
        if ctx.explorable.is_some_and(|e| !e.contains(c)) {
            continue;
        }
        best[c as usize].push(Scored { item, score });
    }
    let ranked = top_k(
        best.iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| {
                let top = top_k(v.iter().copied(), 3);
                Scored {
                    item: c as u32,
                    score: top.iter().map(|s| s.score).sum::<f32>() / top.len() as f32,
                }
            }),
        slots,
    );
    ranked
        .into_iter()
        .filter_map(|c| {
            top_k(best[c.item as usize].iter().copied(), 1)
                .into_iter()
                .next()
        })
        .collect()
}

/// Places exploration picks at evenly spaced positions (never first).
fn interleave(main: Vec<Scored>, explore: Vec<Scored>, n: usize) -> Vec<Scored> {
    let total = (main.len() + explore.len()).min(n);
    let mut out = Vec::with_capacity(total);
    let step = total as f32 / (explore.len() as f32 + 1.0);
    let last = total.saturating_sub(1).max(1);
    let positions: Vec<usize> = (1..=explore.len())
        .map(|k| ((k as f32 * step).round() as usize).clamp(1, last))
        .collect();
    let (mut m, mut e) = (main.into_iter(), explore.into_iter());
    for at in 0..total {
        let next = if positions.contains(&at) {
            e.next().or_else(|| m.next())
        } else {
            m.next().or_else(|| e.next())
        };
        match next {
            Some(s) => out.push(s),
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(
        cats: &'a ItemCategories,
        pop: &'a [u32],
        history: &'a [(u32, f32)],
    ) -> RerankContext<'a> {
        RerankContext {
            categories: cats,
            popularity: pop,
            history,
            explorable: None,
        }
    }

    /// Items 0-5 in category "a" (popular, high scores), 6-8 in "b", 9 in "c".
    fn setup() -> (ItemCategories, Vec<u32>, Vec<f32>) {
        let cats = ItemCategories::from_names((0..10).map(|i| {
            Some(match i {
                0..6 => "a",
                6..9 => "b",
                _ => "c",
            })
        }));
        let pop = vec![100, 90, 80, 70, 60, 50, 5, 4, 3, 1];
        let scores = vec![1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.3];
        (cats, pop, scores)
    }

    #[test]
    fn accurate_is_the_plain_ranking() {
        let (cats, pop, scores) = setup();
        let p = RerankParams::preset("accurate").unwrap();
        let got = rerank(&scores, |_| true, 4, &p, &ctx(&cats, &pop, &[]));
        assert_eq!(
            got.iter().map(|s| s.item).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
    }

    #[test]
    fn popularity_debiasing_lifts_the_tail() {
        let (cats, pop, scores) = setup();
        let p = RerankParams {
            popularity: 1.0,
            ..RerankParams::default()
        };
        let got = rerank(&scores, |_| true, 3, &p, &ctx(&cats, &pop, &[]));
        assert!(got.iter().any(|s| s.item >= 6), "{got:?}");
    }

    #[test]
    fn diversity_spreads_categories_and_filters_hold() {
        let (cats, pop, scores) = setup();
        let p = RerankParams {
            diversity: 0.6,
            ..RerankParams::default()
        };
        let got = rerank(&scores, |i| i != 6, 3, &p, &ctx(&cats, &pop, &[]));
        let kinds: Vec<Option<u32>> = got.iter().map(|s| cats.of(s.item)).collect();
        assert!(
            kinds.contains(&cats.find("a")) && kinds.contains(&cats.find("b")),
            "{got:?}"
        );
        assert!(got.iter().all(|s| s.item != 6));
    }

    #[test]
    fn calibration_follows_the_history_mix() {
        let (cats, pop, scores) = setup();
        // Half the history in "a", half in "b": a calibrated list of 4 has 2 of each.
        let history = [(0, 1.0), (7, 1.0)];
        let p = RerankParams {
            calibration: 0.9,
            ..RerankParams::default()
        };
        let got = rerank(
            &scores,
            |i| i != 0 && i != 7,
            4,
            &p,
            &ctx(&cats, &pop, &history),
        );
        let b = got
            .iter()
            .filter(|s| cats.of(s.item) == cats.find("b"))
            .count();
        assert_eq!(b, 2, "{got:?}");
    }

    #[test]
    fn exploration_reaches_an_untouched_category_and_never_takes_the_top() {
        let (cats, pop, scores) = setup();
        let history = [(0, 1.0), (6, 1.0)];
        let p = RerankParams {
            exploration: 1,
            ..RerankParams::default()
        };
        let got = rerank(
            &scores,
            |i| i != 0 && i != 6,
            4,
            &p,
            &ctx(&cats, &pop, &history),
        );
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].item, 1);
        assert!(
            got.iter().any(|s| s.item == 9),
            "category c is explored: {got:?}"
        );
    }

    #[test]
    fn a_one_item_list_with_exploration_does_not_panic() {
        let (cats, pop, scores) = setup();
        let history = [(0, 1.0)];
        let p = RerankParams::preset("discovery").unwrap();
        for n in 0..3 {
            let got = rerank(&scores, |i| i != 0, n, &p, &ctx(&cats, &pop, &history));
            assert_eq!(got.len(), n);
        }
    }

    #[test]
    fn presets_validate_and_scale() {
        for name in PRESETS {
            RerankParams::preset(name).unwrap().validate().unwrap();
        }
        assert!(RerankParams::preset("nope").is_none());
        let d = RerankParams::preset("discovery").unwrap();
        assert!(d.scaled(0.0).is_plain());
        assert_eq!(d.scaled(1.0), d);
        let bad = RerankParams {
            diversity: 1.5,
            ..RerankParams::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "diversity must be between 0 and 1, got 1.5"
        );
    }
}
