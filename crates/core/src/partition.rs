//! Partitions of the catalog into shards by the item factors (an inverted-file index, IVF), so
//! that a visitor's best items sit in a few shards and a static host can serve a catalog of any
//! size: the browser reads the shards most likely to hold the visitor's top items first.
//!
//! Items are grouped by direction, with spherical k-means (k-means over the unit vectors
//! `y / |y|`): a score `<u, y> = |u| |y| cos(u, y)` is large where the directions agree, so items
//! of one taste, popular or not, share a shard, and the shards of a visitor's own items hold most
//! of what to recommend to them. (Clustering the norm-augmented vectors that turn inner products
//! into distances, Bachrach et al., RecSys 2014, put every little-known item of a trained model
//! into one shard near the pole.)
//!
//! Each shard keeps its centroid `c` in factor space (its members' mean) and its radius `r`
//! (the largest distance of a member from `c`). Every member then scores at most
//! `<u, c> + |u| r` for a user `u`. Reading shards in decreasing order of that bound, and
//! stopping once the k-th best score found reaches the next bound, gives the exact top k
//! ([`Partition::top_k`]); stopping after a fixed number of shards gives an approximation.

use ndarray::{s, Array2, ArrayView2, Axis};

use crate::error::{invalid, Result};
use crate::linalg::SplitMix64;
use crate::rank::{top_k, Scored};

/// Training points per shard k-means fits its centroids on (faiss's default sample size): the
/// rest of the catalog is only assigned.
pub const SAMPLE_PER_SHARD: usize = 256;

/// Lloyd iterations of the k-means fit.
pub const KMEANS_ITERATIONS: usize = 12;

/// Up to this many shards, one k-means over the catalog; above it, two levels ([`two_level`]).
pub const FLAT_SHARDS: usize = 256;

/// Rows scored against the centroids at a time.
const BATCH: usize = 4096;

/// A catalog cut into shards: which shard each item is in, and each shard's bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// Factors per item.
    factors: usize,
    /// Each item's shard.
    assignment: Vec<u32>,
    /// Each shard's members, ascending: `members[offsets[s]..offsets[s + 1]]`.
    offsets: Vec<u32>,
    members: Vec<u32>,
    /// `shards x factors`: each shard's mean member (zero for an empty shard).
    centroids: Array2<f32>,
    /// Each shard's largest member distance from its centroid.
    radii: Vec<f32>,
}

/// What [`Partition::top_k`] found, and how much it read.
#[derive(Debug, Clone, PartialEq)]
pub struct Probed {
    /// The best items found, best first.
    pub items: Vec<Scored>,
    /// The shards read, in the order read.
    pub shards: Vec<u32>,
    /// Whether `items` is provably the exact top k (every unread shard's bound is below the
    /// k-th score).
    pub exact: bool,
}

impl Partition {
    /// Cuts the items (rows of `items`, `n x factors`) into `shards` shards by spherical k-means,
    /// fitted on a seeded sample of at most [`SAMPLE_PER_SHARD`] items per
    /// shard; above [`FLAT_SHARDS`] shards, in two levels ([`two_level`]). The same items, shard
    /// count and seed always give the same partition.
    ///
    /// # Errors
    /// If there are no items or factors, `shards` is 0 or above the number of items, or a
    /// factor is not finite.
    pub fn fit(items: ArrayView2<f32>, shards: usize, seed: u64) -> Result<Partition> {
        let (n, k) = items.dim();
        if n == 0 || k == 0 {
            return Err(invalid("items", "at least one item and one factor", n));
        }
        if !(1..=n).contains(&shards) || shards > u32::MAX as usize {
            return Err(invalid(
                "shards",
                "between 1 and the number of items",
                shards,
            ));
        }
        if items.iter().any(|v| !v.is_finite()) {
            return Err(invalid("item factors", "finite", f32::NAN));
        }
        let unit = unit_rows(items);
        let mut rng = SplitMix64::new(seed ^ 0x5041_5254_4954_494f);
        let assignment = if shards <= FLAT_SHARDS {
            kmeans(unit.view(), shards, &mut rng)
        } else {
            two_level(unit.view(), shards, &mut rng)
        };
        Ok(
            Self::from_assignment(items, assignment, shards)
                .expect("every shard index is in range"),
        )
    }

    /// The partition with the given shard of every item (for example, one computed by a Spark
    /// job), with each shard's centroid and radius measured from `items`.
    ///
    /// # Errors
    /// If `assignment` does not have one shard per item, or names a shard past `shards`.
    pub fn from_assignment(
        items: ArrayView2<f32>,
        assignment: Vec<u32>,
        shards: usize,
    ) -> Result<Partition> {
        let (n, k) = items.dim();
        if assignment.len() != n {
            return Err(invalid(
                "assignment",
                "one shard per item",
                assignment.len(),
            ));
        }
        if let Some(&bad) = assignment.iter().find(|&&s| s as usize >= shards) {
            return Err(invalid("assignment", "shards below the shard count", bad));
        }
        let mut counts = vec![0u32; shards];
        for &s in &assignment {
            counts[s as usize] += 1;
        }
        let mut offsets = Vec::with_capacity(shards + 1);
        offsets.push(0u32);
        for &c in &counts {
            offsets.push(offsets.last().copied().unwrap_or(0) + c);
        }
        let mut fill = offsets[..shards].to_vec();
        let mut members = vec![0u32; n];
        for (i, &s) in assignment.iter().enumerate() {
            members[fill[s as usize] as usize] = i as u32;
            fill[s as usize] += 1;
        }
        let mut centroids = Array2::<f32>::zeros((shards, k));
        let mut radii = vec![0f32; shards];
        for s in 0..shards {
            let ids = &members[offsets[s] as usize..offsets[s + 1] as usize];
            if ids.is_empty() {
                continue;
            }
            let mut sum = vec![0f64; k];
            for &i in ids {
                for (a, &v) in sum.iter_mut().zip(items.row(i as usize)) {
                    *a += v as f64;
                }
            }
            let c: Vec<f32> = sum.iter().map(|&a| (a / ids.len() as f64) as f32).collect();
            let r2 = ids
                .iter()
                .map(|&i| {
                    items
                        .row(i as usize)
                        .iter()
                        .zip(&c)
                        .map(|(&v, &m)| ((v - m) as f64).powi(2))
                        .sum::<f64>()
                })
                .fold(0f64, f64::max);
            centroids
                .row_mut(s)
                .assign(&ndarray::ArrayView1::from(&c[..]));
            // Rounded up a little, so that the bound holds despite f32 rounding in the scores.
            radii[s] = (r2.sqrt() * (1.0 + 1e-5) + 1e-6) as f32;
        }
        Ok(Partition {
            factors: k,
            assignment,
            offsets,
            members,
            centroids,
            radii,
        })
    }

    /// Number of shards.
    pub fn n_shards(&self) -> usize {
        self.radii.len()
    }

    /// Each item's shard.
    pub fn assignment(&self) -> &[u32] {
        &self.assignment
    }

    /// The items of shard `s`, ascending.
    pub fn members(&self, s: usize) -> &[u32] {
        &self.members[self.offsets[s] as usize..self.offsets[s + 1] as usize]
    }

    /// Shard `s`'s centroid (its members' mean factors).
    pub fn centroid(&self, s: usize) -> &[f32] {
        self.centroids
            .row(s)
            .to_slice()
            .expect("rows of a standard-layout array are contiguous")
    }

    /// Shard `s`'s radius: no member is further from the centroid.
    pub fn radius(&self, s: usize) -> f32 {
        self.radii[s]
    }

    /// Each shard's bound on its members' scores for `user`: `<user, c> + |user| r`, computed
    /// in f64 and padded for the f32 rounding of a member's score (minus infinity for an empty
    /// shard; plus infinity where it is not finite, so such a shard is read first).
    pub fn bounds(&self, user: &[f32]) -> Vec<f32> {
        assert_eq!(user.len(), self.factors, "one value per factor");
        let norm = user.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
        // An f32 dot product of k terms is within k * 2^-23 * sum |u_d y_d| <= k * 2^-23 *
        // |u| |y| of the exact one, and |y| <= |c| + r.
        let rounding = self.factors as f64 * f32::EPSILON as f64;
        (0..self.n_shards())
            .map(|s| {
                if self.offsets[s] == self.offsets[s + 1] {
                    return f32::NEG_INFINITY;
                }
                let c = self.centroid(s);
                let dot: f64 = c.iter().zip(user).map(|(&a, &b)| a as f64 * b as f64).sum();
                let c_norm = c.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
                let r = self.radii[s] as f64;
                let bound = dot + norm * r + 2.0 * rounding * norm * (c_norm + r);
                if bound.is_finite() {
                    // Rounded up to the next f32.
                    let b = bound as f32;
                    if (b as f64) < bound {
                        b.next_up()
                    } else {
                        b
                    }
                } else {
                    f32::INFINITY
                }
            })
            .collect()
    }

    /// The non-empty shards in the order a visitor with `user` factors reads them: highest
    /// bound first (ties to the lower shard).
    pub fn probe_order(&self, user: &[f32]) -> Vec<(u32, f32)> {
        let mut order: Vec<(u32, f32)> = self
            .bounds(user)
            .into_iter()
            .enumerate()
            .filter(|(_, b)| *b != f32::NEG_INFINITY)
            .map(|(s, b)| (s as u32, b))
            .collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        order
    }

    /// The top `k` items for `user` among those `allowed`, reading shards in
    /// [`Self::probe_order`] until the result is provably exact or `max_shards` are read.
    /// `score(item)` scores one item (in the browser, from the shard just fetched); it must not
    /// exceed the factor score `<user, y>` the bounds are for.
    pub fn top_k(
        &self,
        user: &[f32],
        k: usize,
        max_shards: usize,
        allowed: impl Fn(u32) -> bool,
        score: impl Fn(u32) -> f32,
    ) -> Probed {
        let order = self.probe_order(user);
        let mut best: Vec<Scored> = Vec::new();
        let mut shards = Vec::new();
        let mut exact = true;
        for (at, &(s, bound)) in order.iter().enumerate() {
            if k == 0 || (best.len() >= k && best[k - 1].score >= bound) {
                break;
            }
            if shards.len() >= max_shards {
                exact = order[at..]
                    .iter()
                    .all(|&(_, b)| best.len() >= k && b <= best[k - 1].score);
                break;
            }
            shards.push(s);
            let found = self
                .members(s as usize)
                .iter()
                .filter(|&&i| allowed(i))
                .map(|&i| Scored {
                    item: i,
                    score: score(i),
                });
            best = top_k(best.into_iter().chain(found), k);
        }
        Probed {
            items: best,
            shards,
            exact,
        }
    }
}

/// Spherical k-means of the unit rows `points` into `clusters` clusters (at most one per row),
/// fitted on a sample of at most [`SAMPLE_PER_SHARD`] rows per cluster: each row's cluster.
fn kmeans(points: ArrayView2<f32>, clusters: usize, rng: &mut SplitMix64) -> Vec<u32> {
    let n = points.nrows();
    let sample = sample_rows(n, clusters.saturating_mul(SAMPLE_PER_SHARD), rng);
    let train = points.select(Axis(0), &sample);
    // Initial centroids: distinct sample points, drawn with the seed.
    let first = sample_rows(train.nrows(), clusters, rng);
    let mut centroids = train.select(Axis(0), &first);
    let mut assignment = vec![0u32; train.nrows()];
    for _ in 0..KMEANS_ITERATIONS {
        let changed = assign(train.view(), centroids.view(), &mut assignment);
        let (means, counts) = means(train.view(), &assignment, clusters);
        centroids = means;
        reseed_empty(&mut centroids, &counts, train.view(), &assignment, rng);
        if !changed {
            break;
        }
    }
    let mut all = vec![0u32; n];
    assign(points, centroids.view(), &mut all);
    all
}

/// Two-level spherical k-means for many shards: about `sqrt(shards)` coarse groups, then each
/// group cut into shards in proportion to its items. Each item is scored against about
/// `2 sqrt(shards)` centroids instead of `shards`, so 10,000,000 items in 9,766 shards take
/// minutes rather than hours; a group's shards are numbered together, so neighbouring shards are
/// similar.
fn two_level(points: ArrayView2<f32>, shards: usize, rng: &mut SplitMix64) -> Vec<u32> {
    let n = points.nrows();
    let groups = ((shards as f64).sqrt().ceil() as usize).clamp(1, shards);
    let coarse = kmeans(points, groups, rng);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups];
    for (i, &g) in coarse.iter().enumerate() {
        members[g as usize].push(i);
    }
    let share = shares(&members.iter().map(Vec::len).collect::<Vec<_>>(), shards);
    let mut assignment = vec![0u32; n];
    let mut offset = 0u32;
    for (rows, count) in members.iter().zip(share) {
        if rows.is_empty() {
            continue;
        }
        let group = points.select(Axis(0), rows);
        for (&i, s) in rows.iter().zip(kmeans(group.view(), count, rng)) {
            assignment[i] = offset + s;
        }
        offset += count as u32;
    }
    assignment
}

/// `total` shards shared among groups of `sizes` items in proportion to their size (largest
/// remainders first, ties to the lower group): at least one for a group with items, at most one
/// per item, none for an empty group. `total` must be at least the non-empty groups and at most
/// the items.
fn shares(sizes: &[usize], total: usize) -> Vec<usize> {
    let n = sizes.iter().sum::<usize>().max(1) as u64;
    let part = |s: usize| s as u64 * total as u64;
    let mut share: Vec<usize> = sizes
        .iter()
        .map(|&s| {
            if s == 0 {
                0
            } else {
                ((part(s) / n) as usize).clamp(1, s)
            }
        })
        .collect();
    let mut given: usize = share.iter().sum();
    // Remainders in a fixed order, so the partition is the same on every machine.
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(part(sizes[g]) % n), g));
    while given < total {
        let before = given;
        for &g in &order {
            if given < total && share[g] < sizes[g] {
                share[g] += 1;
                given += 1;
            }
        }
        debug_assert!(given > before, "more shards than items");
    }
    while given > total {
        // Only from rounding up to one: take back from the largest shares.
        let g = (0..sizes.len())
            .filter(|&g| share[g] > 1)
            .max_by_key(|&g| (share[g], std::cmp::Reverse(g)))
            .expect("more groups with items than shards");
        share[g] -= 1;
        given -= 1;
    }
    share
}

/// The rows of `items` scaled to unit length (a zero row stays zero).
fn unit_rows(items: ArrayView2<f32>) -> Array2<f32> {
    let mut out = items.to_owned();
    for mut row in out.rows_mut() {
        let norm = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.mapv_inplace(|v| (v as f64 / norm) as f32);
        }
    }
    out
}

/// `want` distinct row indices of `0..n` (all of them, ascending, when `want >= n`), drawn with
/// `rng` by a partial Fisher-Yates shuffle.
fn sample_rows(n: usize, want: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..n).collect();
    if want >= n {
        return rows;
    }
    for i in 0..want {
        let j = i + rng.below(n - i);
        rows.swap(i, j);
    }
    rows.truncate(want);
    rows.sort_unstable();
    rows
}

/// Each row's nearest centroid into `assignment` (ties to the lower index); whether any
/// changed.
fn assign(points: ArrayView2<f32>, centroids: ArrayView2<f32>, assignment: &mut [u32]) -> bool {
    let c2: Vec<f32> = centroids
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| v * v).sum())
        .collect();
    let ct = centroids.t();
    let run = |(start, out): (usize, &mut [u32])| -> bool {
        let rows = points.slice(s![start..start + out.len(), ..]);
        let dots = rows.dot(&ct);
        let mut changed = false;
        for (row, slot) in dots.rows().into_iter().zip(out.iter_mut()) {
            // |x - c|^2 = |x|^2 - 2 x.c + |c|^2; |x|^2 is the same for every centroid.
            let mut best = (0u32, f32::INFINITY);
            for (c, (&d, &n2)) in row.iter().zip(&c2).enumerate() {
                let dist = n2 - 2.0 * d;
                if dist < best.1 {
                    best = (c as u32, dist);
                }
            }
            changed |= *slot != best.0;
            *slot = best.0;
        }
        changed
    };
    let chunks = assignment
        .chunks_mut(BATCH)
        .enumerate()
        .map(|(b, out)| (b * BATCH, out));
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let chunks: Vec<_> = chunks.collect();
        chunks
            .into_par_iter()
            .map(run)
            .reduce(|| false, |a, b| a | b)
    }
    #[cfg(not(feature = "parallel"))]
    {
        chunks.map(run).fold(false, |a, b| a | b)
    }
}

/// Each cluster's mean of `points` and its size.
fn means(
    points: ArrayView2<f32>,
    assignment: &[u32],
    clusters: usize,
) -> (Array2<f32>, Vec<usize>) {
    let d = points.ncols();
    let mut sums = Array2::<f64>::zeros((clusters, d));
    let mut counts = vec![0usize; clusters];
    for (row, &c) in points.rows().into_iter().zip(assignment) {
        counts[c as usize] += 1;
        for (a, &v) in sums.row_mut(c as usize).iter_mut().zip(row) {
            *a += v as f64;
        }
    }
    let mut out = Array2::<f32>::zeros((clusters, d));
    for (c, &n) in counts.iter().enumerate() {
        if n > 0 {
            for (o, &a) in out.row_mut(c).iter_mut().zip(sums.row(c)) {
                *o = (a / n as f64) as f32;
            }
        }
    }
    (out, counts)
}

/// Moves each empty cluster's centroid next to a random member of the largest cluster, which
/// the next iteration then splits.
fn reseed_empty(
    centroids: &mut Array2<f32>,
    counts: &[usize],
    points: ArrayView2<f32>,
    assignment: &[u32],
    rng: &mut SplitMix64,
) {
    let mut counts = counts.to_vec();
    for empty in 0..counts.len() {
        if counts[empty] > 0 {
            continue;
        }
        let (largest, &size) = counts
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
            .expect("at least one cluster");
        if size < 2 {
            return;
        }
        let pick = rng.below(size);
        let point = assignment
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c as usize == largest)
            .nth(pick)
            .map(|(i, _)| i)
            .expect("the largest cluster has that many members");
        let row = points.row(point);
        for (o, &v) in centroids.row_mut(empty).iter_mut().zip(row) {
            *o = v * (1.0 + 1e-3 * (rng.next_f64() as f32 - 0.5));
        }
        counts[largest] -= size / 2;
        counts[empty] = size / 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items in `groups` directions with long-tailed norms, plus noise: the structure of trained
    /// item factors (niches, and popular items with larger norms).
    fn clustered(n: usize, k: usize, groups: usize, seed: u64) -> Array2<f32> {
        let mut rng = SplitMix64::new(seed);
        let centres: Vec<Vec<f32>> = (0..groups)
            .map(|_| (0..k).map(|_| rng.next_normal() as f32).collect())
            .collect();
        Array2::from_shape_fn((n, k), |(i, d)| {
            let g = i % groups;
            let norm = 1.0 / (1.0 + (i / groups) as f32).sqrt();
            norm * centres[g][d] + 0.05 * rng.next_normal() as f32
        })
    }

    fn exact(items: &Array2<f32>, user: &[f32], k: usize) -> Vec<u32> {
        let scores: Vec<f32> = items
            .rows()
            .into_iter()
            .map(|r| r.iter().zip(user).map(|(a, b)| a * b).sum())
            .collect();
        crate::rank::top_scores(&scores, k, |_| true)
            .into_iter()
            .map(|s| s.item)
            .collect()
    }

    fn dot(items: &Array2<f32>, i: u32, user: &[f32]) -> f32 {
        items
            .row(i as usize)
            .iter()
            .zip(user)
            .map(|(a, b)| a * b)
            .sum()
    }

    /// For `visitors` visitors each close to one of the first `groups` items' niches: checks
    /// that reading until the bound gives the exact top 10, and returns the shards read in all.
    fn shards_read_for_exact_top_10(
        items: &Array2<f32>,
        p: &Partition,
        groups: usize,
        visitors: usize,
        seed: u64,
    ) -> usize {
        let mut rng = SplitMix64::new(seed);
        let mut read = 0;
        for _ in 0..visitors {
            let g = rng.below(groups);
            let user: Vec<f32> = items
                .row(g)
                .iter()
                .map(|&v| v + 0.1 * rng.next_normal() as f32)
                .collect();
            let got = p.top_k(&user, 10, usize::MAX, |_| true, |i| dot(items, i, &user));
            assert!(got.exact);
            let ids: Vec<u32> = got.items.iter().map(|s| s.item).collect();
            assert_eq!(ids, exact(items, &user, 10));
            read += got.shards.len();
        }
        read
    }

    #[test]
    fn every_item_is_in_exactly_one_shard_and_within_its_radius() {
        let items = clustered(500, 6, 7, 1);
        let p = Partition::fit(items.view(), 16, 42).unwrap();
        assert_eq!(p.n_shards(), 16);
        let mut seen = vec![0; 500];
        for s in 0..16 {
            for &i in p.members(s) {
                seen[i as usize] += 1;
                assert_eq!(p.assignment()[i as usize], s as u32);
                let d: f32 = items
                    .row(i as usize)
                    .iter()
                    .zip(p.centroid(s))
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f32>()
                    .sqrt();
                assert!(d <= p.radius(s), "{d} > {}", p.radius(s));
            }
        }
        assert!(seen.iter().all(|&c| c == 1));
        // Deterministic for a seed.
        assert_eq!(Partition::fit(items.view(), 16, 42).unwrap(), p);
    }

    #[test]
    fn reading_until_the_bound_gives_the_exact_top_k_from_a_few_shards() {
        let items = clustered(2000, 8, 12, 2);
        let p = Partition::fit(items.view(), 32, 7).unwrap();
        let read = shards_read_for_exact_top_10(&items, &p, 12, 40, 9);
        // The bound prunes: far fewer than all 32 shards are read on average.
        assert!(read < 40 * 16, "{read} shards read for 40 visitors");
    }

    #[test]
    fn a_shard_cap_reports_whether_the_result_is_still_exact() {
        let items = clustered(600, 5, 6, 3);
        let p = Partition::fit(items.view(), 12, 1).unwrap();
        let user: Vec<f32> = items.row(0).to_vec();
        let full = p.top_k(&user, 10, usize::MAX, |_| true, |i| dot(&items, i, &user));
        let one = p.top_k(&user, 10, 1, |_| true, |i| dot(&items, i, &user));
        assert_eq!(one.shards.len(), 1);
        assert_eq!(one.shards[0], full.shards[0]);
        assert_eq!(one.exact, one.items == full.items && full.shards.len() == 1);
        // Items not allowed are never returned.
        let odd = p.top_k(
            &user,
            10,
            usize::MAX,
            |i| i % 2 == 1,
            |i| dot(&items, i, &user),
        );
        assert!(odd.items.iter().all(|s| s.item % 2 == 1));
        assert_eq!(odd.items.len(), 10);
    }

    #[test]
    fn many_shards_are_fitted_in_two_levels_and_stay_exact() {
        let items = clustered(6000, 8, 40, 5);
        let p = Partition::fit(items.view(), FLAT_SHARDS + 44, 3).unwrap();
        assert_eq!(p.n_shards(), FLAT_SHARDS + 44);
        let mut seen = vec![0; 6000];
        for s in 0..p.n_shards() {
            assert!(!p.members(s).is_empty(), "shard {s} is empty");
            for &i in p.members(s) {
                seen[i as usize] += 1;
            }
        }
        assert!(seen.iter().all(|&c| c == 1));
        assert_eq!(
            Partition::fit(items.view(), FLAT_SHARDS + 44, 3).unwrap(),
            p
        );
        // The bounds still give the exact top k, from a few shards.
        let read = shards_read_for_exact_top_10(&items, &p, 40, 20, 11);
        assert!(read < 20 * 60, "{read} shards read for 20 visitors");
    }

    #[test]
    fn shards_are_shared_in_proportion_to_group_sizes() {
        assert_eq!(shares(&[10, 0, 30], 4), vec![1, 0, 3]);
        // Every non-empty group gets one, none more than its items, and the total holds.
        assert_eq!(shares(&[1, 1, 98], 3), vec![1, 1, 1]);
        assert_eq!(shares(&[2, 2, 2], 6), vec![2, 2, 2]);
        let s = shares(&[7, 13, 1, 0, 29], 20);
        assert_eq!(s.iter().sum::<usize>(), 20);
        assert!(s
            .iter()
            .zip([7, 13, 1, 0, 29])
            .all(|(&a, b)| a <= b && (b == 0) == (a == 0)));
    }

    #[test]
    fn bad_input_is_refused_and_an_external_assignment_is_checked() {
        let items = clustered(20, 3, 2, 4);
        assert!(Partition::fit(items.view(), 0, 1).is_err());
        assert!(Partition::fit(items.view(), 21, 1).is_err());
        let mut nan = items.clone();
        nan[[3, 1]] = f32::NAN;
        assert!(Partition::fit(nan.view(), 4, 1).is_err());
        assert!(Partition::from_assignment(items.view(), vec![0; 19], 2).is_err());
        assert!(Partition::from_assignment(items.view(), vec![2; 20], 2).is_err());
        // One shard per item, and an empty shard, both work.
        let p = Partition::from_assignment(items.view(), (0..20).collect(), 21).unwrap();
        assert!(p.members(20).is_empty());
        assert_eq!(p.bounds(&[1.0, 0.0, 0.0])[20], f32::NEG_INFINITY);
        let single = Partition::fit(items.view(), 20, 1).unwrap();
        assert_eq!((0..20).map(|s| single.members(s).len()).sum::<usize>(), 20);
    }
}
