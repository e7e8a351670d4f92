//! `tastebud latency`: how long one visitor's fold-in and top-n take (a benchmark helper).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args};
use serde_json::json;
use tastebud_core::{Filter, Model};

use crate::commands::{item_indices, load_model};
use crate::output;

/// Calls made before timing starts, so caches and the allocator are warm.
const WARM_UP: usize = 10;

/// Benchmark helper: time fold-in + top-n for one visitor (used by the peer benchmark).
///
/// Calls the same fold-in and ranking the browser does (`Model::recommend_for`) --runs times
/// after 10 warm-up calls, and prints the median and 95th percentile (nearest rank) in
/// milliseconds.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("visitor").required(true).args(["items", "random_visitor"])))]
pub struct LatencyArgs {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The visitor's items, separated by commas.
    #[arg(long, value_name = "ID,ID,...", value_delimiter = ',')]
    items: Vec<String>,
    /// A visitor with N distinct random items instead.
    #[arg(long, value_name = "N")]
    random_visitor: Option<usize>,
    /// Seed for --random-visitor.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How many items to recommend.
    #[arg(long, default_value_t = 10)]
    n: usize,
    /// Timed calls.
    #[arg(long, default_value_t = 1000)]
    runs: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: LatencyArgs) -> Result<()> {
    if args.runs == 0 {
        bail!("runs must be at least 1, got 0");
    }
    let model = load_model(&args.model)?;
    let items = match args.random_visitor {
        Some(count) => random_items(&model, count, args.seed)?,
        None => item_indices(&model, &args.model, &args.items)?,
    };
    let history: Vec<(u32, f32)> = items.into_iter().map(|i| (i, 1.0)).collect();

    let call = || model.recommend_for(black_box(&history), args.n, Filter::new());
    for _ in 0..WARM_UP {
        black_box(call().context("cannot fold in this visitor")?);
    }
    // No progress bar: drawing it between calls would disturb what is measured.
    let mut ms = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let start = Instant::now();
        black_box(call()?);
        ms.push(start.elapsed().as_nanos() as f64 / 1e6);
    }
    ms.sort_by(f64::total_cmp);
    let (median, p95) = (percentile(&ms, 0.5), percentile(&ms, 0.95));

    if args.json {
        return Ok(output::emit_json(&json!({
            "runs": args.runs,
            "median_ms": median,
            "p95_ms": p95,
            "history": history.len(),
        }))?);
    }
    Ok(output::emit(&format!(
        "fold-in + top-{} for a {}-item visitor ({} items x {} factors): median {median:.4} ms, p95 {p95:.4} ms over {} runs\n",
        args.n,
        history.len(),
        model.n_items(),
        model.n_factors(),
        args.runs
    ))?)
}

/// `count` distinct items drawn uniformly (a partial Fisher-Yates shuffle).
fn random_items(model: &Model, count: usize, seed: u64) -> Result<Vec<u32>> {
    let n = model.n_items();
    if count == 0 || count > n {
        bail!("random-visitor must be between 1 and the model's {n} items, got {count}");
    }
    let mut rng = SplitMix64(seed);
    let mut order: Vec<u32> = (0..n as u32).collect();
    for i in 0..count {
        let j = i + (rng.next() % (n - i) as u64) as usize;
        order.swap(i, j);
    }
    order.truncate(count);
    Ok(order)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Vigna's SplitMix64: a few lines, good enough to pick a random visitor.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 10.0);
        assert_eq!(percentile(&v, 0.95), 19.0);
        assert_eq!(percentile(&[3.0], 0.95), 3.0);
    }

    #[test]
    fn splitmix_matches_the_reference() {
        // First output for seed 1234567 from Vigna's splitmix64.c.
        let mut rng = SplitMix64(1234567);
        assert_eq!(rng.next(), 6457827717110365317);
    }
}
