//! A sparse item-item model beside the factors: EASE (Steck, "Embarrassingly Shallow
//! Autoencoders for Sparse Data", WWW 2019), solved in closed form over the most frequent items
//! and pruned to its largest weights.
//!
//! EASE learns `B` (zero diagonal) minimizing `|X - XB|^2 + lambda |B|^2` for the binary user x
//! item matrix `X`. Its solution is `P = (X^T X + lambda I)^-1`, `B_ij = -P_ij / P_jj`. A visitor
//! whose history is the item set `H` gets the neighbour score `e_j = sum_{h in H} B_hj` for item
//! `j`, and the model ranks by `factor score + weight * e_j`: every term of that sum belongs to one
//! history item, so explanations stay exact.
//!
//! Low-rank factors and the full-rank item-item model err in different places: on the public
//! logs tried, blending them beats either alone (see the README's benchmark). The dense `B` is
//! `items x items`, so it is solved over the `max_items` most frequent items only and then pruned
//! to the entries of largest magnitude (negative weights matter as much as positive ones).

use ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis};

use crate::error::{invalid, Error, Result};
use crate::sparse::CsrMatrix;

/// Largest `max_items`: a dense `items x items` f32 matrix of this size is 1 GiB.
pub const MAX_NEIGHBOUR_ITEMS: usize = 16_384;

/// A sparse item x item table of f16-rounded weights: for each row item, the items it pushes up
/// or down and by how much. The item-item model and the transition model both keep one, in
/// memory as in the model file.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemTable {
    /// `offsets[h]..offsets[h + 1]` are row `h`'s entries.
    offsets: Vec<u32>,
    /// Each entry's item, ascending within a row, never the row's own item.
    columns: Vec<u32>,
    /// Each entry's weight.
    weights: Vec<f32>,
}

impl ItemTable {
    /// Builds the table from rows of `(item, weight)` for each of `rows.len()` items.
    ///
    /// # Errors
    /// If an item is out of range, repeated in a row or its own entry, a weight is not a finite
    /// f16 value once rounded, or there are 2^32 entries or more.
    pub fn from_rows(rows: Vec<Vec<(u32, f32)>>) -> Result<Self> {
        let n = rows.len();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut columns = Vec::new();
        let mut weights = Vec::new();
        offsets.push(0);
        for (h, mut row) in rows.into_iter().enumerate() {
            row.sort_by_key(|&(j, _)| j);
            for (i, &(j, w)) in row.iter().enumerate() {
                if j as usize >= n || j as usize == h || (i > 0 && row[i - 1].0 == j) {
                    return Err(Error::Mismatch(format!(
                        "item {h}'s entry {j} is out of range, itself or repeated"
                    )));
                }
                let w = half::f16::from_f32(w).to_f32();
                if !w.is_finite() {
                    return Err(invalid("item table weight", "finite", w));
                }
                columns.push(j);
                weights.push(w);
            }
            offsets.push(u32::try_from(columns.len()).map_err(|_| {
                Error::Mismatch("an item table holds fewer than 2^32 entries".into())
            })?);
        }
        Ok(ItemTable {
            offsets,
            columns,
            weights,
        })
    }

    /// The table from arrays the caller has checked (the model file reader).
    pub(crate) fn from_checked(offsets: Vec<u32>, columns: Vec<u32>, weights: Vec<f32>) -> Self {
        ItemTable {
            offsets,
            columns,
            weights,
        }
    }

    /// Items the table covers (the catalog's size).
    pub fn n_items(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Items with at least one entry.
    pub fn items_with_entries(&self) -> usize {
        self.offsets.windows(2).filter(|w| w[1] > w[0]).count()
    }

    /// Entries in all rows.
    pub fn n_entries(&self) -> usize {
        self.columns.len()
    }

    /// Row `h`'s entries: `(items, weights)`; none for an item out of range.
    pub fn row(&self, h: u32) -> (&[u32], &[f32]) {
        if h as usize >= self.n_items() {
            return (&[], &[]);
        }
        let (a, b) = (
            self.offsets[h as usize] as usize,
            self.offsets[h as usize + 1] as usize,
        );
        (&self.columns[a..b], &self.weights[a..b])
    }

    /// Adds `weight * T_hj` of row `h` to `scores[j]`.
    pub fn add_row(&self, h: u32, weight: f32, scores: &mut [f32]) {
        let (items, weights) = self.row(h);
        for (&j, &w) in items.iter().zip(weights) {
            if let Some(s) = scores.get_mut(j as usize) {
                *s += weight * w;
            }
        }
    }

    /// The entry `T_h,item` (0 when the table has none).
    pub fn get(&self, h: u32, item: u32) -> f32 {
        let (items, weights) = self.row(h);
        match items.binary_search(&item) {
            Ok(at) => weights[at],
            Err(_) => 0.0,
        }
    }

    pub(crate) fn parts(&self) -> (&[u32], &[u32], &[f32]) {
        (&self.offsets, &self.columns, &self.weights)
    }
}

/// A pruned item-item model: an [`ItemTable`] of EASE weights `B_hj`, and how much of its score
/// joins the factor score.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    table: ItemTable,
    /// How much of the neighbour score joins the factor score.
    weight: f32,
    /// EASE's `lambda` (for `tastebud inspect`).
    regularization: f32,
}

impl Neighbours {
    /// Builds the model from rows of `(item, weight)` for each of `rows.len()` items.
    ///
    /// # Errors
    /// As [`ItemTable::from_rows`], or if `weight` or `regularization` is not finite and
    /// positive.
    pub fn from_rows(rows: Vec<Vec<(u32, f32)>>, weight: f32, regularization: f32) -> Result<Self> {
        Self::new(ItemTable::from_rows(rows)?, weight, regularization)
    }

    /// The model from a table.
    ///
    /// # Errors
    /// If `weight` or `regularization` is not finite and positive.
    pub fn new(table: ItemTable, weight: f32, regularization: f32) -> Result<Self> {
        if !(weight.is_finite() && weight > 0.0) {
            return Err(invalid("neighbour weight", "finite and > 0", weight));
        }
        if !(regularization.is_finite() && regularization > 0.0) {
            return Err(invalid(
                "neighbour regularization",
                "finite and > 0",
                regularization,
            ));
        }
        Ok(Neighbours {
            table,
            weight,
            regularization,
        })
    }

    /// The model from a table and settings the caller has checked.
    pub(crate) fn from_checked(table: ItemTable, weight: f32, regularization: f32) -> Self {
        Neighbours {
            table,
            weight,
            regularization,
        }
    }

    /// The weights `B_hj`.
    pub fn table(&self) -> &ItemTable {
        &self.table
    }

    /// Items the model covers (the catalog's size).
    pub fn n_items(&self) -> usize {
        self.table.n_items()
    }

    /// Items with at least one entry (the history items that push others).
    pub fn items_with_entries(&self) -> usize {
        self.table.items_with_entries()
    }

    /// Entries in all rows.
    pub fn n_entries(&self) -> usize {
        self.table.n_entries()
    }

    /// The blend weight: a visitor's score is `factor score + weight * neighbour score`.
    pub fn weight(&self) -> f32 {
        self.weight
    }

    /// The same model with another blend weight.
    ///
    /// # Errors
    /// If `weight` is not finite and positive.
    pub fn with_weight(mut self, weight: f32) -> Result<Self> {
        if !(weight.is_finite() && weight > 0.0) {
            return Err(invalid("neighbour weight", "finite and > 0", weight));
        }
        self.weight = weight;
        Ok(self)
    }

    /// EASE's `lambda`.
    pub fn regularization(&self) -> f32 {
        self.regularization
    }

    /// History item `h`'s entries: `(items, weights)`.
    pub fn row(&self, h: u32) -> (&[u32], &[f32]) {
        self.table.row(h)
    }

    /// Adds `weight * B_hj` for every history item `h` to `scores[j]`.
    pub fn add_scores(&self, history: impl IntoIterator<Item = u32>, scores: &mut [f32]) {
        self.add_scores_weighted(history, self.weight, scores);
    }

    /// [`add_scores`](Self::add_scores) with another blend weight (for the search in `tune`).
    pub(crate) fn add_scores_weighted(
        &self,
        history: impl IntoIterator<Item = u32>,
        weight: f32,
        scores: &mut [f32],
    ) {
        for h in history {
            self.table.add_row(h, weight, scores);
        }
    }

    /// History item `h`'s share of `item`'s neighbour score, `weight * B_h,item` (0 when the
    /// pruned model has no such entry).
    pub fn contribution(&self, h: u32, item: u32) -> f32 {
        self.weight * self.table.get(h, item)
    }
}

/// EASE's dense solution over a subset of the catalog, before pruning.
#[derive(Debug, Clone)]
pub struct Ease {
    /// Catalog size.
    n_items: usize,
    /// The items solved for, ascending (the most frequent ones).
    items: Vec<u32>,
    /// `B` over `items` (local indices), zero diagonal.
    b: Array2<f32>,
    regularization: f32,
}

impl Ease {
    /// Solves EASE with `regularization` (`lambda`) over the `max_items` items with the most
    /// users in `m` (ties to the lower index), on `threads` threads (0 = every core). Values of
    /// `m` are read as presence only.
    ///
    /// # Errors
    /// If `regularization` is not finite and positive, `max_items` is 0 or above
    /// [`MAX_NEIGHBOUR_ITEMS`], `m` has no interactions, or the system is not positive definite.
    pub fn solve(
        m: &CsrMatrix,
        regularization: f32,
        max_items: usize,
        threads: usize,
    ) -> Result<Ease> {
        if !(regularization.is_finite() && regularization > 0.0) {
            return Err(invalid(
                "neighbour regularization",
                "finite and > 0",
                regularization,
            ));
        }
        if !(1..=MAX_NEIGHBOUR_ITEMS).contains(&max_items) {
            return Err(invalid("neighbour items", "1 to 16384", max_items));
        }
        let items = frequent_items(m, max_items);
        if items.is_empty() {
            return Err(Error::EmptyData(
                "the matrix has no positive preferences".into(),
            ));
        }
        let mut gram = cooccurrence(m, &items);
        gram.diag_mut().mapv_inplace(|v| v + regularization);
        let p = crate::als::Workers::new(threads)?.run(|| spd_inverse(gram.view()))?;
        let mut b = p;
        let diag: Vec<f32> = b.diag().to_vec();
        for mut row in b.rows_mut() {
            for (v, &d) in row.iter_mut().zip(&diag) {
                *v = -*v / d;
            }
        }
        b.diag_mut().fill(0.0);
        Ok(Ease {
            n_items: m.n_cols(),
            items,
            b,
            regularization,
        })
    }

    /// The items solved for, ascending.
    pub fn items(&self) -> &[u32] {
        &self.items
    }

    /// `B` between two solved items (catalog indices), if both were solved for.
    pub fn weight_between(&self, h: u32, j: u32) -> Option<f32> {
        let a = self.items.binary_search(&h).ok()?;
        let b = self.items.binary_search(&j).ok()?;
        Some(self.b[[a, b]])
    }

    /// Keeps the `entries_per_item * items solved` entries of largest magnitude (ties at the
    /// threshold go to the lower item indices), with blend weight `weight`.
    ///
    /// # Errors
    /// If `weight` is not finite and positive.
    pub fn prune(&self, entries_per_item: usize, weight: f32) -> Result<Neighbours> {
        let n = self.items.len();
        let keep = (entries_per_item.saturating_mul(n)).min(n * n.saturating_sub(1));
        let threshold = if keep == 0 {
            f32::INFINITY
        } else {
            let mut magnitudes: Vec<f32> = self
                .b
                .indexed_iter()
                .filter(|((a, b), _)| a != b)
                .map(|(_, v)| v.abs())
                .collect();
            let at = magnitudes.len() - keep;
            *magnitudes.select_nth_unstable_by(at, f32::total_cmp).1
        };
        let above = self
            .b
            .indexed_iter()
            .filter(|((a, b), v)| a != b && v.abs() > threshold)
            .count();
        let mut ties = keep.saturating_sub(above);
        let mut rows = vec![Vec::new(); self.n_items];
        for (a, row) in self.b.rows().into_iter().enumerate() {
            let out = &mut rows[self.items[a] as usize];
            for (b, &v) in row.iter().enumerate() {
                if a == b || v == 0.0 {
                    continue;
                }
                let magnitude = v.abs();
                if magnitude > threshold || (magnitude == threshold && ties > 0) {
                    if magnitude == threshold {
                        ties -= 1;
                    }
                    out.push((self.items[b], v));
                }
            }
        }
        Neighbours::from_rows(rows, weight, self.regularization)
    }
}

/// The `max_items` columns of `m` with the most positive entries (ties to the lower index),
/// ascending, leaving out columns with none.
fn frequent_items(m: &CsrMatrix, max_items: usize) -> Vec<u32> {
    let mut counts = vec![0u32; m.n_cols()];
    for u in 0..m.n_rows() {
        let (cols, values) = m.row(u);
        for (&c, _) in cols.iter().zip(values).filter(|&(_, &v)| v > 0.0) {
            counts[c as usize] += 1;
        }
    }
    let mut order: Vec<u32> = (0..counts.len() as u32)
        .filter(|&i| counts[i as usize] > 0)
        .collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(counts[i as usize]), i));
    order.truncate(max_items);
    order.sort_unstable();
    order
}

/// `X^T X` over `items` for the binary `X` of `m` (entries with a positive value).
fn cooccurrence(m: &CsrMatrix, items: &[u32]) -> Array2<f32> {
    let n = items.len();
    let mut local = vec![u32::MAX; m.n_cols()];
    for (a, &i) in items.iter().enumerate() {
        local[i as usize] = a as u32;
    }
    let mut g = Array2::<f32>::zeros((n, n));
    let mut row = Vec::new();
    for u in 0..m.n_rows() {
        let (cols, values) = m.row(u);
        row.clear();
        row.extend(
            cols.iter()
                .zip(values)
                .filter(|&(&c, &v)| v > 0.0 && local[c as usize] != u32::MAX)
                .map(|(&c, _)| local[c as usize] as usize),
        );
        // Columns ascend within a row and `local` keeps their order: fill the upper triangle.
        for (x, &a) in row.iter().enumerate() {
            let mut g_row = g.row_mut(a);
            for &b in &row[x..] {
                g_row[b] += 1.0;
            }
        }
    }
    for a in 0..n {
        for b in 0..a {
            g[[a, b]] = g[[b, a]];
        }
    }
    g
}

/// Below this size an inverse is solved directly.
const DIRECT: usize = 128;

/// The inverse of a symmetric positive definite matrix, by recursive blocks (the Schur
/// complement of the leading half), so that nearly all the work is matrix products.
///
/// # Errors
/// If the matrix is not positive definite.
pub(crate) fn spd_inverse(a: ArrayView2<f32>) -> Result<Array2<f32>> {
    let n = a.nrows();
    if n <= DIRECT {
        return direct_inverse(a);
    }
    let h = n / 2;
    let a12 = a.slice(s![..h, h..]);
    let b11 = spd_inverse(a.slice(s![..h, ..h]))?;
    // W = A11^-1 A12; S = A22 - A12^T W; T = S^-1.
    let mut w = Array2::<f32>::zeros((h, n - h));
    gemm(1.0, b11.view(), a12, 0.0, w.view_mut());
    let mut schur = a.slice(s![h.., h..]).to_owned();
    gemm(-1.0, a12.t(), w.view(), 1.0, schur.view_mut());
    let t = spd_inverse(schur.view())?;
    // The inverse is [[A11^-1 + W T W^T, -W T], [-T W^T, T]].
    let mut out = Array2::<f32>::zeros((n, n));
    {
        let (mut top, mut bottom) = out.view_mut().split_at(Axis(0), h);
        let (mut x11, mut x12) = top.view_mut().split_at(Axis(1), h);
        gemm(-1.0, w.view(), t.view(), 0.0, x12.view_mut());
        x11.assign(&b11);
        gemm(-1.0, x12.view(), w.t(), 1.0, x11.view_mut());
        let (mut x21, mut x22) = bottom.view_mut().split_at(Axis(1), h);
        x21.assign(&x12.t());
        x22.assign(&t);
    }
    Ok(out)
}

/// Gauss-Jordan elimination in f64 without pivoting (a positive definite matrix needs none).
fn direct_inverse(a: ArrayView2<f32>) -> Result<Array2<f32>> {
    let n = a.nrows();
    let mut m: Vec<f64> = a.iter().map(|&v| v as f64).collect();
    for k in 0..n {
        let pivot = m[k * n + k];
        if !(pivot.is_finite() && pivot > 0.0) {
            return Err(Error::NotPositiveDefinite);
        }
        let inv = 1.0 / pivot;
        for j in 0..n {
            m[k * n + j] *= inv;
        }
        m[k * n + k] = inv;
        for i in 0..n {
            if i == k {
                continue;
            }
            let f = m[i * n + k];
            if f == 0.0 {
                continue;
            }
            m[i * n + k] = 0.0;
            for j in 0..n {
                m[i * n + j] -= f * m[k * n + j];
            }
        }
    }
    Ok(Array2::from_shape_vec((n, n), m.into_iter().map(|v| v as f32).collect()).expect("n x n"))
}

/// `c = alpha a b + beta c`, split by rows across threads when large.
fn gemm(alpha: f32, a: ArrayView2<f32>, b: ArrayView2<f32>, beta: f32, mut c: ArrayViewMut2<f32>) {
    #[cfg(feature = "parallel")]
    if c.nrows() >= 512 && rayon::current_num_threads() > 1 {
        let mid = c.nrows() / 2;
        let (a1, a2) = a.split_at(Axis(0), mid);
        let (c1, c2) = c.split_at(Axis(0), mid);
        rayon::join(
            || gemm(alpha, a1, b, beta, c1),
            || gemm(alpha, a2, b, beta, c2),
        );
        return;
    }
    ndarray::linalg::general_mat_mul(alpha, &a, &b, beta, &mut c);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A random positive definite matrix `R^T R + n I`.
    fn spd(n: usize, seed: u64) -> Array2<f32> {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let r = Array2::from_shape_fn((n, n), |_| next());
        let mut a = r.t().dot(&r);
        a.diag_mut().mapv_inplace(|v| v + n as f32 * 0.1);
        a
    }

    #[test]
    fn the_block_inverse_inverts() {
        for n in [1, 5, 128, 129, 300, 700] {
            let a = spd(n, n as u64);
            let inv = spd_inverse(a.view()).unwrap();
            let eye = a.dot(&inv);
            let worst = eye
                .indexed_iter()
                .map(|((i, j), &v)| (v - if i == j { 1.0 } else { 0.0 }).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-3, "n {n}: |A A^-1 - I| reaches {worst}");
            // Symmetric, as the inverse of a symmetric matrix is.
            let asym = inv
                .indexed_iter()
                .map(|((i, j), &v)| (v - inv[[j, i]]).abs())
                .fold(0f32, f32::max);
            assert!(asym < 1e-5, "n {n}: asymmetry {asym}");
        }
    }

    #[test]
    fn a_matrix_that_is_not_positive_definite_is_refused() {
        let mut a = spd(200, 3);
        a[[150, 150]] = -1e6;
        assert_eq!(spd_inverse(a.view()), Err(Error::NotPositiveDefinite));
    }

    fn small_log() -> CsrMatrix {
        // Five users; items 0 and 1 go together, 2 and 3 go together, 4 is alone.
        let rows: [&[u32]; 6] = [&[0, 1], &[0, 1, 4], &[2, 3], &[2, 3, 0], &[1, 0], &[4]];
        let triplets: Vec<(u32, u32, f32)> = rows
            .iter()
            .enumerate()
            .flat_map(|(u, items)| items.iter().map(move |&i| (u as u32, i, 1.0)))
            .collect();
        CsrMatrix::from_triplets(rows.len(), 6, &triplets)
    }

    /// `B` solves EASE's stationarity conditions: `(G + lambda I) B = G - diag(mu)` with the zero
    /// diagonal, i.e. off the diagonal `((G + lambda I) B)_ij = G_ij`.
    #[test]
    fn ease_solves_its_equations() {
        let m = small_log();
        let ease = Ease::solve(&m, 2.0, 100, 1).unwrap();
        // Item 5 has no user and is left out.
        assert_eq!(ease.items(), &[0, 1, 2, 3, 4]);
        let g = cooccurrence(&m, ease.items());
        let mut reg = g.clone();
        reg.diag_mut().mapv_inplace(|v| v + 2.0);
        let gb = reg.dot(&ease.b);
        for ((i, j), &v) in gb.indexed_iter() {
            if i != j {
                assert!(
                    (v - g[[i, j]]).abs() < 1e-4,
                    "({i}, {j}): {v} vs {}",
                    g[[i, j]]
                );
            }
        }
        assert!(ease.weight_between(0, 1).unwrap() > ease.weight_between(0, 3).unwrap());
    }

    #[test]
    fn only_the_most_frequent_items_are_solved_for() {
        let m = small_log();
        let ease = Ease::solve(&m, 2.0, 2, 1).unwrap();
        // Items 0 (4 users) and 1 (3 users).
        assert_eq!(ease.items(), &[0, 1]);
        let n = ease.prune(8, 1.0).unwrap();
        assert_eq!(n.n_items(), 6);
        assert_eq!(n.items_with_entries(), 2);
        assert_eq!(n.row(0).0, &[1]);
        assert_eq!(n.row(2).0, &[] as &[u32]);
    }

    #[test]
    fn pruning_keeps_the_largest_magnitudes_and_scores_add_up() {
        let m = small_log();
        let ease = Ease::solve(&m, 1.0, 100, 1).unwrap();
        let full = ease.prune(100, 0.5).unwrap();
        assert_eq!(full.n_entries(), 5 * 4);
        let pruned = ease.prune(1, 0.5).unwrap();
        assert_eq!(pruned.n_entries(), 5);
        let smallest_kept = pruned
            .table
            .weights
            .iter()
            .map(|w| w.abs())
            .fold(f32::MAX, f32::min);
        let largest_dropped = full
            .table
            .weights
            .iter()
            .map(|w| w.abs())
            .filter(|w| !pruned.table.weights.iter().any(|k| k.abs() == *w))
            .fold(0f32, f32::max);
        assert!(smallest_kept >= largest_dropped);

        let mut scores = vec![0f32; 6];
        full.add_scores([0, 1], &mut scores);
        for (j, &s) in scores.iter().enumerate() {
            let want = full.contribution(0, j as u32) + full.contribution(1, j as u32);
            assert!((s - want).abs() < 1e-6);
        }
        let b01 = ease.weight_between(0, 1).unwrap();
        assert!((full.contribution(0, 1) - 0.5 * half::f16::from_f32(b01).to_f32()).abs() < 1e-6);
        assert_eq!(full.contribution(0, 0), 0.0);
    }

    #[test]
    fn bad_settings_are_refused() {
        let m = small_log();
        assert!(Ease::solve(&m, 0.0, 10, 1).is_err());
        assert!(Ease::solve(&m, f32::NAN, 10, 1).is_err());
        assert!(Ease::solve(&m, 1.0, 0, 1).is_err());
        let ease = Ease::solve(&m, 1.0, 10, 1).unwrap();
        assert!(ease.prune(4, 0.0).is_err());
        assert!(ease.prune(4, f32::INFINITY).is_err());
        assert!(Neighbours::from_rows(vec![vec![(0, 1.0)]], 1.0, 1.0).is_err());
        assert!(Neighbours::from_rows(vec![vec![(1, 1.0)], vec![]], 1.0, 1.0).is_ok());
        assert!(Neighbours::from_rows(vec![vec![(1, 1e9)], vec![]], 1.0, 1.0).is_err());
    }
}
