//! `tastebud evaluate --protocol leave-last-out`: next-item accuracy, the protocol of S3-Rec
//! (Zhou et al., CIKM 2020). Each user's last item is the test item and everything before it the
//! history; every item but the history's is ranked; HR@k and NDCG@k.
//!
//! The transition model's blend weight is chosen on a validation split carved from the histories
//! alone (each user's second-to-last item, from the items before it), then the model is trained
//! again on the whole histories and measured once on the last items, with and without its
//! transitions, in the same run.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde_json::json;
use tastebud_core::{transition_scale, CsrMatrix, Dataset, Model, Precision, Transitions};
use tastebud_core::{DEFAULT_TRANSITION_ENTRIES, TRANSITION_SHARES};

use crate::commands::train::{fit_with_progress, provenance, AlsArgs};
use crate::input::{self, Format};
use crate::output;

/// HR@k and NDCG@k of one ranking over the evaluated users.
#[derive(Debug, Clone, Copy, Default)]
struct Hits {
    hr: f64,
    ndcg: f64,
}

/// One stage (validation or test): HR and NDCG at every share of [`TRANSITION_SHARES`], the
/// most-popular baseline's, and the unit the shares multiply.
struct Stage {
    by_share: Vec<Hits>,
    popular: Hits,
    unit: f32,
    users: usize,
}

/// Runs the protocol on `log` and prints (or emits as JSON) the figures.
pub fn run(
    als: &AlsArgs,
    format: Format,
    log: &Path,
    k: usize,
    min: usize,
    json: bool,
) -> Result<()> {
    let started = Instant::now();
    let reading = als.reading(format)?;
    let data = input::read_dataset(log, &reading)?;
    let min = min.max(3);
    let users: Vec<usize> = (0..data.sequences.len())
        .filter(|&u| data.sequences[u].len() >= min)
        .collect();
    if users.is_empty() {
        bail!(
            "no user has a sequence of {min} or more items, so there is nothing to leave out; \
             lower --min-interactions (at least 3: a history, a validation item, a test item)"
        );
    }
    let validation =
        stage(als, &data, &users, 2, k, json).context("the validation stage failed")?;
    let best = (0..TRANSITION_SHARES.len())
        .max_by(|&a, &b| {
            validation.by_share[a]
                .ndcg
                .total_cmp(&validation.by_share[b].ndcg)
                // Ties go to the smaller share.
                .then(b.cmp(&a))
        })
        .expect("shares are not empty");
    let test = stage(als, &data, &users, 1, k, json).context("the test stage failed")?;
    let share = TRANSITION_SHARES[best];
    let (plain, session) = (test.by_share[0], test.by_share[best]);
    let seconds = started.elapsed().as_secs_f64();
    if json {
        let row = |name: &str, h: Hits| json!({"name": name, "hr": h.hr, "ndcg": h.ndcg});
        let mut session_row = row("session", session);
        session_row["share"] = json!(share);
        session_row["weight"] = json!(share * test.unit);
        return Ok(output::emit_json(&json!({
            "protocol": "leave-last-out",
            "k": k,
            "users": test.users,
            "rows": [row("most_popular", test.popular), row("als", plain), session_row],
            "validation": TRANSITION_SHARES.iter().zip(&validation.by_share).map(|(s, h)| json!({
                "share": s, "hr": h.hr, "ndcg": h.ndcg,
            })).collect::<Vec<_>>(),
            "seconds": seconds,
        }))?);
    }
    let mut text = String::new();
    writeln!(
        text,
        "leave-last-out: {} users with >= {min} items; each one's last item against every item \
         outside their history; the transition weight chosen on their second-to-last items",
        test.users
    )?;
    writeln!(
        text,
        "{:<14} {:>8} {:>8}",
        "",
        format!("HR@{k}"),
        format!("NDCG@{k}")
    )?;
    for (name, h) in [
        ("most popular", test.popular),
        ("als", plain),
        ("als + session", session),
    ] {
        writeln!(text, "{name:<14} {:>8.4} {:>8.4}", h.hr, h.ndcg)?;
    }
    writeln!(
        text,
        "session: {share} x the unit ({:.4}), {:+.1}% NDCG over als; in {seconds:.1} s",
        share * test.unit,
        if plain.ndcg > 0.0 {
            (session.ndcg / plain.ndcg - 1.0) * 100.0
        } else {
            0.0
        }
    )?;
    Ok(output::emit(&text)?)
}

/// Trains on every sequence with its last `cut` items left out of the evaluated users, and
/// measures each evaluated user's item `cut` from the end.
fn stage(
    als: &AlsArgs,
    data: &Dataset,
    users: &[usize],
    cut: usize,
    k: usize,
    quiet: bool,
) -> Result<Stage> {
    let mut sequences = data.sequences.clone();
    let mut targets: Vec<Option<u32>> = vec![None; sequences.len()];
    let mut cells = Vec::with_capacity(data.matrix.nnz());
    for (u, target) in targets.iter_mut().enumerate() {
        let (items, values) = data.matrix.row(u);
        let sequence = &mut sequences[u];
        let left_out = if users.binary_search(&u).is_ok() {
            let tail = sequence.split_off(sequence.len() - cut);
            *target = Some(tail[0]);
            tail
        } else {
            Vec::new()
        };
        for (&i, &r) in items.iter().zip(values) {
            // An item left out stays in the history when it also came before.
            if !left_out.contains(&i) || sequence.contains(&i) {
                cells.push((u as u32, i, r));
            }
        }
    }
    let train = CsrMatrix::from_triplets(data.matrix.n_rows(), data.matrix.n_cols(), &cells);
    let params = als.params_for(&train)?;
    let fitted = fit_with_progress(&train, &params, quiet)?;
    let mut model = Model::new(
        data.items.clone(),
        fitted.factors.items,
        params.fold_in(),
        train.column_counts(),
        Precision::F32,
        provenance(&params, &train),
    )
    .context("cannot build the model")?;
    als.add_neighbours(&mut model, &train, &fitted.factors.users, quiet)?;
    let t = &als.transitions;
    let entries = match als.transitions.transition_entries {
        None | Some(0) => DEFAULT_TRANSITION_ENTRIES,
        Some(n) => n,
    };
    let table = Transitions::count(
        &sequences,
        model.n_items(),
        t.transition_window,
        entries,
        t.transition_min_users,
    )?;
    let next = Transitions::new(table, 1.0, t.transition_decay, t.transition_depth)?;
    let unit = transition_scale(&model, &train, &sequences, &next);
    let bar = output::bar(users.len() as u64, "users", quiet);
    let popularity = model.popularity();
    let per_user: Vec<(Vec<Hits>, Hits)> = users
        .par_iter()
        .map(|&u| {
            let target = targets[u].expect("every evaluated user has a target");
            let history = train.row_pairs(u);
            let mut base = Vec::new();
            let system = model.user_system(&history)?;
            model.score_system_into(&system, &mut base);
            let mut extra = vec![0f32; model.n_items()];
            next.add_scores(&sequences[u], &mut extra);
            let seen: Vec<u32> = history.iter().map(|&(i, _)| i).collect();
            let by_share = TRANSITION_SHARES
                .iter()
                .map(|&share| {
                    let w = share * unit;
                    hits(
                        |j| base[j] + w * extra[j],
                        model.n_items(),
                        &seen,
                        target,
                        k,
                    )
                })
                .collect();
            let popular = hits(|j| popularity[j] as f32, model.n_items(), &seen, target, k);
            bar.inc(1);
            Ok((by_share, popular))
        })
        .collect::<Result<_, tastebud_core::Error>>()?;
    bar.finish_and_clear();
    let n = users.len() as f64;
    let mut by_share = vec![Hits::default(); TRANSITION_SHARES.len()];
    let mut popular = Hits::default();
    for (shares, pop) in &per_user {
        for (sum, h) in by_share.iter_mut().zip(shares) {
            sum.hr += h.hr / n;
            sum.ndcg += h.ndcg / n;
        }
        popular.hr += pop.hr / n;
        popular.ndcg += pop.ndcg / n;
    }
    Ok(Stage {
        by_share,
        popular,
        unit,
        users: users.len(),
    })
}

/// Whether `target` ranks in the top `k` of the items outside `seen` by `score`, and its NDCG
/// (one relevant item): its rank is the number of items that score higher, or as high with a
/// lower index (the ranking's own tie order). A seen target is a miss. `seen` is ascending.
fn hits(score: impl Fn(usize) -> f32, n: usize, seen: &[u32], target: u32, k: usize) -> Hits {
    if seen.binary_search(&target).is_ok() {
        return Hits::default();
    }
    let t = target as usize;
    let st = score(t);
    let mut rank = 0;
    for j in 0..n {
        let s = score(j);
        if (s > st || (s == st && j < t)) && seen.binary_search(&(j as u32)).is_err() {
            rank += 1;
            if rank >= k {
                return Hits::default();
            }
        }
    }
    Hits {
        hr: 1.0,
        ndcg: 1.0 / (rank as f64 + 2.0).log2(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_count_higher_scores_and_lower_ties_outside_the_history() {
        let scores = [0.5f32, 0.9, 0.5, 0.1, 0.95];
        let at = |t: u32, seen: &[u32], k: usize| hits(|j| scores[j], 5, seen, t, k);
        // Item 2: items 4, 1 score higher, item 0 ties with a lower index: rank 3.
        assert_eq!(at(2, &[], 3).hr, 0.0);
        let h = at(2, &[], 4);
        assert_eq!(h.hr, 1.0);
        assert!((h.ndcg - 1.0 / 5f64.log2()).abs() < 1e-12);
        // Seen items do not count against it; a seen target is a miss.
        let h = at(2, &[0, 1, 4], 1);
        assert_eq!((h.hr, h.ndcg), (1.0, 1.0));
        assert_eq!(at(2, &[2], 10).hr, 0.0);
    }
}
