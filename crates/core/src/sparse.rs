//! A compressed sparse row matrix of confidences: the user x item (or item x user) view ALS
//! iterates over.

/// Compressed sparse rows of `f32` values with `u32` column indices sorted within each row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CsrMatrix {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f32>,
    n_cols: usize,
}

impl CsrMatrix {
    /// Builds a matrix from `(row, col, value)` triplets. Duplicate cells are summed; the order of
    /// the triplets does not matter.
    ///
    /// # Panics
    /// If a row or column index is out of range: callers build indices from their own id maps.
    pub fn from_triplets(n_rows: usize, n_cols: usize, triplets: &[(u32, u32, f32)]) -> Self {
        let mut counts = vec![0usize; n_rows + 1];
        for &(r, c, _) in triplets {
            assert!(
                (r as usize) < n_rows && (c as usize) < n_cols,
                "triplet out of range"
            );
            counts[r as usize + 1] += 1;
        }
        for i in 0..n_rows {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut cells = vec![(0u32, 0f32); triplets.len()];
        for &(r, c, v) in triplets {
            cells[next[r as usize]] = (c, v);
            next[r as usize] += 1;
        }
        let mut indptr = Vec::with_capacity(n_rows + 1);
        let mut indices = Vec::with_capacity(triplets.len());
        let mut data = Vec::with_capacity(triplets.len());
        indptr.push(0);
        for r in 0..n_rows {
            let row = &mut cells[counts[r]..counts[r + 1]];
            row.sort_by_key(|&(c, _)| c);
            for &(c, v) in row.iter() {
                if indices.len() > indptr[r] && *indices.last().unwrap() == c {
                    *data.last_mut().unwrap() += v;
                } else {
                    indices.push(c);
                    data.push(v);
                }
            }
            indptr.push(indices.len());
        }
        CsrMatrix {
            indptr,
            indices,
            data,
            n_cols,
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored (non-zero) cells.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// The column indices and values of row `r`, columns ascending.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.indices[a..b], &self.data[a..b])
    }

    /// The rows as `(col, value)` pairs, one `Vec` per row: the shape fold-in takes.
    pub fn row_pairs(&self, r: usize) -> Vec<(u32, f32)> {
        let (cols, vals) = self.row(r);
        cols.iter().copied().zip(vals.iter().copied()).collect()
    }

    /// The number of stored cells in each column (item popularity for a user x item matrix).
    pub fn column_counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.n_cols];
        for &c in &self.indices {
            counts[c as usize] += 1;
        }
        counts
    }

    /// The transposed matrix (item x user from user x item).
    pub fn transpose(&self) -> CsrMatrix {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for i in 0..self.n_cols {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut indices = vec![0u32; self.nnz()];
        let mut data = vec![0f32; self.nnz()];
        // Rows are visited in increasing order, so each transposed row comes out sorted.
        for r in 0..self.n_rows() {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let at = next[c as usize];
                indices[at] = r as u32;
                data[at] = v;
                next[c as usize] += 1;
            }
        }
        CsrMatrix {
            indptr: counts,
            indices,
            data,
            n_cols: self.n_rows(),
        }
    }

    /// Keeps only the given rows (in that order), renumbering them from 0.
    pub fn select_rows(&self, rows: &[usize]) -> CsrMatrix {
        let mut indptr = vec![0];
        let mut indices = Vec::new();
        let mut data = Vec::new();
        for &r in rows {
            let (c, v) = self.row(r);
            indices.extend_from_slice(c);
            data.extend_from_slice(v);
            indptr.push(indices.len());
        }
        CsrMatrix {
            indptr,
            indices,
            data,
            n_cols: self.n_cols,
        }
    }

    /// Builds a matrix from rows of `(col, value)` pairs, each sorted by column with no repeats.
    pub(crate) fn from_sorted_rows(n_cols: usize, rows: Vec<Vec<(u32, f32)>>) -> CsrMatrix {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let nnz = rows.iter().map(Vec::len).sum();
        let mut indices = Vec::with_capacity(nnz);
        let mut data = Vec::with_capacity(nnz);
        for row in rows {
            for (c, v) in row {
                debug_assert!((c as usize) < n_cols);
                indices.push(c);
                data.push(v);
            }
            indptr.push(indices.len());
        }
        CsrMatrix {
            indptr,
            indices,
            data,
            n_cols,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_summed_and_rows_sorted() {
        let m =
            CsrMatrix::from_triplets(2, 3, &[(1, 2, 1.0), (0, 1, 2.0), (1, 0, 1.0), (1, 2, 0.5)]);
        assert_eq!(m.row(0), (&[1u32][..], &[2.0f32][..]));
        assert_eq!(m.row(1), (&[0u32, 2][..], &[1.0f32, 1.5][..]));
        assert_eq!(m.nnz(), 3);
    }

    #[test]
    fn transpose_twice_is_identity() {
        let m =
            CsrMatrix::from_triplets(3, 4, &[(0, 3, 1.0), (2, 0, 2.0), (1, 3, 3.0), (2, 3, 4.0)]);
        let t = m.transpose();
        assert_eq!(t.n_rows(), 4);
        assert_eq!(t.row(3), (&[0u32, 1, 2][..], &[1.0f32, 3.0, 4.0][..]));
        assert_eq!(t.transpose(), m);
        assert_eq!(m.column_counts(), vec![1, 0, 0, 3]);
    }
}
