use serde::{Deserialize, Serialize};

use crate::rank::{ItemCategories, ItemSet};
use crate::sparse::CsrMatrix;

/// What [`evaluate`] needs beyond the two matrices.
#[derive(Debug, Clone)]
pub struct EvalOptions<'a> {
    /// List length scored (the `k` of P@k).
    pub k: usize,
    /// Training popularity of each item (users who interacted), for tail share and novelty.
    pub popularity: &'a [u32],
    /// Number of training users behind `popularity`, for novelty.
    pub users: usize,
    /// Items' categories, for intra-list diversity and category coverage.
    pub categories: Option<&'a ItemCategories>,
}

/// One user's recommendations and hits, as the metrics see them.
#[derive(Debug, Clone, PartialEq)]
pub struct UserResult {
    /// User row.
    pub user: usize,
    /// The recommended items, best first.
    pub items: Vec<u32>,
}

/// Ranking quality averaged over the evaluated users (those with a non-empty test row).
///
/// With `R_u` a user's top-k list, `T_u` their test items and `hit(r)` whether the item at rank
/// `r` (1-based) is in `T_u`:
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Users evaluated.
    pub users: usize,
    /// The list length `k`.
    pub k: usize,
    /// Precision@k: `|R_u ∩ T_u| / k`.
    pub precision: f64,
    /// Recall@k: `|R_u ∩ T_u| / |T_u|`.
    pub recall: f64,
    /// nDCG@k with binary gains: `sum_r hit(r) / log2(r + 1)` divided by the same sum for an
    /// ideal list, `sum_{r <= min(k, |T_u|)} 1 / log2(r + 1)`.
    pub ndcg: f64,
    /// MAP@k: `sum_r hit(r) * P@r / min(k, |T_u|)`.
    pub map: f64,
    /// Catalog coverage: distinct items recommended to anyone / catalog size.
    pub coverage: f64,
    /// Long-tail share: the fraction of all recommendations that are tail items (see
    /// [`long_tail`]).
    pub tail_share: f64,
    /// Novelty: the mean self-information `-log2((pop_i + 1) / (users + 1))` of recommended items,
    /// with `pop_i` the item's training popularity; higher means less popular.
    pub novelty: f64,
    /// Intra-list diversity by category: the mean, over lists, of the fraction of item pairs
    /// whose categories differ (pairs with an uncategorized item are skipped). `None` without
    /// categories.
    pub intra_list_diversity: Option<f64>,
    /// Category coverage: distinct categories among all recommendations / categories that have
    /// at least one item. `None` without categories.
    pub category_coverage: Option<f64>,
}

/// The long tail: the items outside the smallest most-popular set that together account for
/// `head_share` (0.8 by convention) of all training interactions. Items are taken most popular
/// first, ties by lower index.
pub fn long_tail(popularity: &[u32], head_share: f64) -> ItemSet {
    let total: u64 = popularity.iter().map(|&p| p as u64).sum();
    let mut order: Vec<u32> = (0..popularity.len() as u32).collect();
    order.sort_by(|&a, &b| {
        popularity[b as usize]
            .cmp(&popularity[a as usize])
            .then(a.cmp(&b))
    });
    let mut covered = 0u64;
    let mut tail = ItemSet::new();
    for i in order {
        if (covered as f64) < head_share * total as f64 {
            covered += popularity[i as usize] as u64;
        } else {
            tail.insert(i);
        }
    }
    tail
}

/// Scores recommendation lists against held-out items.
///
/// `recommend(user, history, k)` returns a user's top-k item indices given their history row
/// (which the list must not repeat). Users with an empty test row are skipped.
pub fn evaluate<F>(
    recommend: F,
    history: &CsrMatrix,
    test: &CsrMatrix,
    opts: &EvalOptions,
) -> Metrics
where
    F: Fn(usize, &[(u32, f32)], usize) -> Vec<u32> + Sync,
{
    let users: Vec<usize> = (0..test.n_rows())
        .filter(|&u| !test.row(u).0.is_empty())
        .collect();
    let run = |u: usize| UserResult {
        user: u,
        items: recommend(u, &history.row_pairs(u), opts.k),
    };
    #[cfg(feature = "parallel")]
    let results: Vec<UserResult> = {
        use rayon::prelude::*;
        users.par_iter().map(|&u| run(u)).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let results: Vec<UserResult> = users.iter().map(|&u| run(u)).collect();
    score(&results, test, opts)
}

fn score(results: &[UserResult], test: &CsrMatrix, opts: &EvalOptions) -> Metrics {
    let k = opts.k.max(1);
    let n_items = test.n_cols();
    let n_users_pop = opts.users;
    let tail = long_tail(opts.popularity, 0.8);
    let discount = |r: usize| 1.0 / ((r + 2) as f64).log2();
    let (mut p, mut r, mut ndcg, mut map) = (0.0, 0.0, 0.0, 0.0);
    let (mut recs, mut tail_recs, mut novelty) = (0usize, 0usize, 0.0);
    let mut seen = ItemSet::new();
    let mut distinct = 0usize;
    let mut seen_categories = ItemSet::new();
    let (mut ild_sum, mut ild_lists) = (0.0, 0usize);
    for res in results {
        let truth = test.row(res.user).0;
        let (mut hits, mut dcg, mut ap) = (0usize, 0.0, 0.0);
        for (rank, &item) in res.items.iter().take(k).enumerate() {
            if truth.binary_search(&item).is_ok() {
                hits += 1;
                dcg += discount(rank);
                ap += hits as f64 / (rank + 1) as f64;
            }
            if !seen.contains(item) {
                seen.insert(item);
                distinct += 1;
            }
            recs += 1;
            tail_recs += tail.contains(item) as usize;
            let pop = opts.popularity.get(item as usize).copied().unwrap_or(0) as f64;
            novelty += -((pop + 1.0) / (n_users_pop as f64 + 1.0)).log2();
            if let Some(c) = opts.categories.and_then(|cats| cats.of(item)) {
                seen_categories.insert(c);
            }
        }
        let ideal: f64 = (0..truth.len().min(k)).map(discount).sum();
        p += hits as f64 / k as f64;
        r += hits as f64 / truth.len() as f64;
        ndcg += dcg / ideal;
        map += ap / truth.len().min(k) as f64;
        if let Some(cats) = opts.categories {
            let labels: Vec<u32> = res
                .items
                .iter()
                .take(k)
                .filter_map(|&i| cats.of(i))
                .collect();
            let pairs = labels.len() * labels.len().saturating_sub(1) / 2;
            if pairs > 0 {
                let mut differ = 0usize;
                for a in 0..labels.len() {
                    for b in a + 1..labels.len() {
                        differ += (labels[a] != labels[b]) as usize;
                    }
                }
                ild_sum += differ as f64 / pairs as f64;
                ild_lists += 1;
            }
        }
    }
    let users = results.len();
    let mean = |s: f64| if users == 0 { 0.0 } else { s / users as f64 };
    let category_coverage = opts.categories.map(|cats| {
        let used: ItemSet = cats.of_item.iter().flatten().copied().collect();
        let n_used = (0..cats.names.len() as u32)
            .filter(|&c| used.contains(c))
            .count();
        let hit = (0..cats.names.len() as u32)
            .filter(|&c| seen_categories.contains(c))
            .count();
        if n_used == 0 {
            0.0
        } else {
            hit as f64 / n_used as f64
        }
    });
    Metrics {
        users,
        k,
        precision: mean(p),
        recall: mean(r),
        ndcg: mean(ndcg),
        map: mean(map),
        coverage: if n_items == 0 {
            0.0
        } else {
            distinct as f64 / n_items as f64
        },
        tail_share: if recs == 0 {
            0.0
        } else {
            tail_recs as f64 / recs as f64
        },
        novelty: if recs == 0 {
            0.0
        } else {
            novelty / recs as f64
        },
        intra_list_diversity: opts.categories.map(|_| {
            if ild_lists == 0 {
                0.0
            } else {
                ild_sum / ild_lists as f64
            }
        }),
        category_coverage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn metrics_by_hand() {
        // One user, test items {1, 3}; list [1, 2, 3] at k = 3.
        let test = CsrMatrix::from_triplets(1, 5, &[(0, 1, 1.0), (0, 3, 1.0)]);
        let history = CsrMatrix::from_triplets(1, 5, &[(0, 0, 1.0)]);
        let pop = [10, 5, 1, 1, 0];
        let cats = ItemCategories::from_names([Some("a"), Some("a"), Some("b"), Some("a"), None]);
        let opts = EvalOptions {
            k: 3,
            popularity: &pop,
            users: 1,
            categories: Some(&cats),
        };
        let m = evaluate(
            |_, h, _| {
                assert_eq!(h, &[(0, 1.0)]);
                vec![1, 2, 3]
            },
            &history,
            &test,
            &opts,
        );
        assert_eq!(m.users, 1);
        assert_abs_diff_eq!(m.precision, 2.0 / 3.0);
        assert_abs_diff_eq!(m.recall, 1.0);
        let dcg = 1.0 + 1.0 / 4f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2();
        assert_abs_diff_eq!(m.ndcg, dcg / idcg, epsilon = 1e-12);
        assert_abs_diff_eq!(m.map, (1.0 + 2.0 / 3.0) / 2.0, epsilon = 1e-12);
        assert_abs_diff_eq!(m.coverage, 3.0 / 5.0);
        // 17 interactions: item 0 (10) and item 1 (5) reach 80%, so 2, 3, 4 are the tail.
        assert_abs_diff_eq!(m.tail_share, 2.0 / 3.0);
        // Pairs (1,2) differ, (1,3) same, (2,3) differ.
        assert_abs_diff_eq!(m.intra_list_diversity.unwrap(), 2.0 / 3.0);
        assert_abs_diff_eq!(m.category_coverage.unwrap(), 1.0);
        let nov = -(6.0f64 / 2.0).log2() - 2.0 * (2.0f64 / 2.0).log2();
        assert_abs_diff_eq!(m.novelty, nov / 3.0, epsilon = 1e-12);
    }

    #[test]
    fn long_tail_takes_the_head_until_80_percent() {
        let tail = long_tail(&[50, 30, 10, 5, 5], 0.8);
        let t: Vec<u32> = (0..5).filter(|&i| tail.contains(i)).collect();
        assert_eq!(t, vec![2, 3, 4]);
    }
}
