//! A trained model as the browser uses it: item ids, item factors, the fold-in settings and the
//! cached `Y^T Y`, with the ranking calls on top.

mod format;
mod quantize;

use std::collections::HashMap;

use ndarray::{Array2, CowArray, Ix2};
use serde::{Deserialize, Serialize};

pub use format::{FormatError, FORMAT_VERSION, MAGIC, MAX_MODEL_BYTES};
pub use quantize::Precision;
use quantize::{from_int8, quantize, widen_int8, Stored};

use crate::als::{FoldInParams, ItemRows, UserSystem};
use crate::error::{invalid, Error, Result};
use crate::linalg::{dot, dot_i8, gram_f64};
use crate::neighbours::Neighbours;
use crate::rank::{top_k, top_scores, Filter, Scored};
use crate::rerank::{Calibration, RerankParams};
use crate::transitions::Transitions;

/// Where a model's factors came from, for `tastebud inspect` and the evaluation report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// What produced the factors: `"tastebud als"`, `"implicit"`, `"spark"`, ...
    pub source: String,
    /// Iterations trained, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<usize>,
    /// CG steps per row update, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cg_steps: Option<usize>,
    /// The training seed, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Users in the training data, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<usize>,
    /// Positive (user, item) cells in the training data, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactions: Option<usize>,
}

/// The explanation of one recommendation: which history items produced its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The explained item.
    pub item: u32,
    /// Its score for this visitor.
    pub score: f32,
    /// `(history item, contribution)`, largest contribution first; they sum to `score`.
    pub contributions: Vec<(u32, f32)>,
}

/// A trained or imported model.
#[derive(Debug, Clone)]
pub struct Model {
    fold_in: FoldInParams,
    precision: Precision,
    provenance: Provenance,
    item_ids: Vec<String>,
    index: HashMap<String, u32>,
    stored: Stored,
    /// The f32 factors, for f32 and f16 models. An int8 model has none: it scores from its
    /// levels and widens the rows that fold-in and explanations read.
    factors: Option<Array2<f32>>,
    k: usize,
    norms: Vec<f32>,
    gram: Vec<f64>,
    popularity: Vec<u32>,
    /// The discovery calibration `tune` measured, if any.
    calibration: Option<Calibration>,
    /// The item-item model scored beside the factors, if any.
    neighbours: Option<Neighbours>,
    /// The next-item model scored beside them, if any.
    transitions: Option<Transitions>,
    /// Whether the file leaves `Y^T Y` out (format version 5): a published shard's.
    gram_elsewhere: bool,
}

impl Model {
    /// Builds a model from item factors (`items x factors`), quantizing them to `precision`.
    /// `Y^T Y` is computed from the factors as stored, so fold-in matches what is scored.
    ///
    /// # Errors
    /// If ids are empty or repeated, shapes disagree, a factor is not finite, a factor does
    /// not fit the precision, or the provenance is too long for the file's header.
    pub fn new(
        item_ids: Vec<String>,
        factors: Array2<f32>,
        fold_in: FoldInParams,
        popularity: Vec<u32>,
        precision: Precision,
        provenance: Provenance,
    ) -> Result<Model> {
        fold_in.validate()?;
        let (n, k) = factors.dim();
        if n == 0 || k == 0 {
            return Err(Error::EmptyData(format!(
                "a model needs items and factors, got {n} x {k}"
            )));
        }
        if item_ids.len() != n || popularity.len() != n {
            return Err(Error::Mismatch(format!(
                "{} item ids and {} popularity counts for {n} factor rows",
                item_ids.len(),
                popularity.len()
            )));
        }
        if let Some((i, _)) = factors.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::Mismatch(format!(
                "item {} has a non-finite factor",
                item_ids[i / k]
            )));
        }
        if let Some(provenance_len) = format::provenance_too_long(&provenance) {
            return Err(invalid(
                "provenance",
                "at most 64512 bytes as JSON",
                format!("{provenance_len} bytes"),
            ));
        }
        let flat: Vec<f32> = factors.iter().copied().collect();
        let (stored, values) = quantize(&flat, k, precision).map_err(Error::Mismatch)?;
        let index = index_ids(&item_ids).map_err(Error::Mismatch)?;
        Ok(Self::assemble(
            fold_in, precision, provenance, item_ids, index, stored, values, k, None, popularity,
        ))
    }

    /// A model from its parts. `values` are the f32 factors, row-major; an int8 model read from a
    /// file passes none (and its `gram`), and keeps only its levels and scales.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        fold_in: FoldInParams,
        precision: Precision,
        provenance: Provenance,
        item_ids: Vec<String>,
        index: HashMap<String, u32>,
        stored: Stored,
        values: Vec<f32>,
        k: usize,
        gram: Option<Vec<f64>>,
        popularity: Vec<u32>,
    ) -> Model {
        let n = item_ids.len();
        let norms = match &stored {
            // Read from a file, an int8 model comes without its dequantized values: the norms
            // are taken row by row, each row widened exactly as `row_into` widens it.
            Stored::Int8 { scales, values: q } if values.is_empty() => {
                let mut row = vec![0f32; k];
                q.chunks_exact(k)
                    .zip(scales)
                    .map(|(q, &s)| {
                        widen_int8(q, s, &mut row);
                        dot(&row, &row).sqrt()
                    })
                    .collect()
            }
            _ => values.chunks_exact(k).map(|y| dot(y, y).sqrt()).collect(),
        };
        let gram = gram.unwrap_or_else(|| gram_f64(&values, k));
        let factors = match stored {
            Stored::Int8 { .. } => None,
            _ => Some(Array2::from_shape_vec((n, k), values).expect("n x k values")),
        };
        Model {
            fold_in,
            precision,
            provenance,
            item_ids,
            index,
            stored,
            factors,
            k,
            norms,
            gram,
            popularity,
            calibration: None,
            neighbours: None,
            transitions: None,
            gram_elsewhere: false,
        }
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }

    /// Number of factors.
    pub fn n_factors(&self) -> usize {
        self.k
    }

    /// The fold-in settings (and so the confidence convention) the model was trained with.
    pub fn fold_in_params(&self) -> &FoldInParams {
        &self.fold_in
    }

    /// How the factors are stored.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Where the factors came from.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// The discovery calibration measured on this model's validation split, if `tune` stored
    /// one.
    pub fn calibration(&self) -> Option<&Calibration> {
        self.calibration.as_ref()
    }

    /// Stores (or, with `None`, drops) the discovery calibration.
    ///
    /// # Errors
    /// If the table is malformed ([`Calibration::validate`]).
    pub fn set_calibration(&mut self, calibration: Option<Calibration>) -> Result<()> {
        if let Some(c) = &calibration {
            c.validate()?;
        }
        self.calibration = calibration;
        Ok(())
    }

    /// The item-item model scored beside the factors, if the model has one.
    pub fn neighbours(&self) -> Option<&Neighbours> {
        self.neighbours.as_ref()
    }

    /// Stores (or, with `None`, drops) the item-item model scored beside the factors.
    ///
    /// # Errors
    /// If it has no entries, covers another number of items than the model, or the model's
    /// provenance leaves too little room in the file's header for it.
    pub fn set_neighbours(&mut self, neighbours: Option<Neighbours>) -> Result<()> {
        if let Some(nb) = &neighbours {
            if nb.n_entries() == 0 {
                return Err(Error::EmptyData(
                    "the item-item model has no entries".into(),
                ));
            }
            if let Some(len) = format::provenance_too_long_for_neighbours(&self.provenance) {
                return Err(invalid(
                    "provenance",
                    "at most 64256 bytes as JSON in a model with an item-item part",
                    format!("{len} bytes"),
                ));
            }
            if nb.n_items() != self.n_items() {
                return Err(Error::Mismatch(format!(
                    "an item-item model of {} items cannot join a model of {}",
                    nb.n_items(),
                    self.n_items()
                )));
            }
        }
        self.neighbours = neighbours;
        Ok(())
    }

    /// The next-item model scored beside the factors, if the model has one.
    pub fn transitions(&self) -> Option<&Transitions> {
        self.transitions.as_ref()
    }

    /// Stores (or, with `None`, drops) the next-item model scored beside the factors.
    ///
    /// # Errors
    /// If it has no entries, covers another number of items than the model, or the model's
    /// provenance leaves too little room in the file's header for it.
    pub fn set_transitions(&mut self, transitions: Option<Transitions>) -> Result<()> {
        if let Some(t) = &transitions {
            if t.table().n_entries() == 0 {
                return Err(Error::EmptyData(
                    "the transition model has no entries".into(),
                ));
            }
            if let Some(len) = format::provenance_too_long_for_transitions(&self.provenance) {
                return Err(invalid(
                    "provenance",
                    "at most 64000 bytes as JSON in a model with a transition part",
                    format!("{len} bytes"),
                ));
            }
            if t.table().n_items() != self.n_items() {
                return Err(Error::Mismatch(format!(
                    "a transition model of {} items cannot join a model of {}",
                    t.table().n_items(),
                    self.n_items()
                )));
            }
        }
        self.transitions = transitions;
        Ok(())
    }

    /// A named re-ranking preset for this model: from its calibration when it has one,
    /// otherwise the fixed [`RerankParams::preset`] settings.
    pub fn preset(&self, name: &str) -> Option<RerankParams> {
        match &self.calibration {
            Some(c) => c.preset(name),
            None => RerankParams::preset(name),
        }
    }

    /// Item ids, by index.
    pub fn item_ids(&self) -> &[String] {
        &self.item_ids
    }

    /// The index of an item id.
    pub fn item_index(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The item factors as f32 (dequantized for f16 and int8 models).
    ///
    /// An int8 model keeps no f32 matrix, so for it this widens every row into a new one
    /// (`4nk` bytes); [`item_row`](Self::item_row) widens one.
    pub fn item_factors(&self) -> CowArray<'_, f32, Ix2> {
        match (&self.factors, &self.stored) {
            (Some(f), _) => f.view().into(),
            (None, Stored::Int8 { scales, values }) => {
                Array2::from_shape_vec((self.n_items(), self.k), from_int8(scales, values, self.k))
                    .expect("n x k values")
                    .into()
            }
            (None, _) => unreachable!("only int8 models keep no f32 factors"),
        }
    }

    /// One item's factors as f32 (dequantized for f16 and int8 models).
    ///
    /// # Panics
    /// If `item` is not below [`n_items`](Self::n_items).
    pub fn item_row(&self, item: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.k];
        self.row_into(item, &mut out);
        out
    }

    /// `Y^T Y`, row-major f64.
    pub fn gram(&self) -> &[f64] {
        &self.gram
    }

    /// Whether [`to_bytes`](Self::to_bytes) leaves `Y^T Y` out of the file.
    pub fn gram_elsewhere(&self) -> bool {
        self.gram_elsewhere
    }

    /// Leaves `Y^T Y` out of the file (format version 5), or puts it back: for a part of a
    /// catalog whose fold-in uses the whole catalog's `Y^T Y`, kept in another file (a published
    /// shard, whose centroid file holds it). A reader computes the part's own from its factors.
    pub fn set_gram_elsewhere(&mut self, elsewhere: bool) {
        self.gram_elsewhere = elsewhere;
    }

    /// The model with `gram` as its `Y^T Y` in place of its own items': for a part of a catalog
    /// (a published shard, or a published head whose items are the shards' centroids) that folds
    /// visitors in against the whole catalog.
    ///
    /// # Errors
    /// If `gram` is not `factors x factors`, has a value that is not finite, a negative diagonal
    /// entry, or is not symmetric.
    pub fn with_gram(mut self, gram: Vec<f64>) -> Result<Model> {
        let k = self.k;
        let valid = gram.len() == k * k
            && gram.iter().all(|v| v.is_finite())
            && (0..k).all(|d| gram[d * k + d] >= 0.0)
            && (0..k).all(|a| (0..a).all(|b| gram[a * k + b] == gram[b * k + a]));
        if !valid {
            return Err(invalid(
                "gram",
                "a finite symmetric factors x factors matrix with a non-negative diagonal",
                gram.len(),
            ));
        }
        self.gram = gram;
        Ok(self)
    }

    /// One model of `parts`' items, in order, with the fold-in settings, `Y^T Y` and calibration
    /// of `whole` (a published catalog's centroid model): the shards a visitor loaded, joined
    /// without quantizing their factors again, so they score exactly as the files store them.
    ///
    /// # Errors
    /// If there are no parts, they differ from `whole` in factors or fold-in settings or from
    /// each other in precision, or an id appears twice.
    pub fn concat(parts: Vec<Model>, whole: &Model) -> Result<Model> {
        let k = whole.k;
        let precision = parts.first().map_or(whole.precision, |p| p.precision);
        if parts.is_empty()
            || parts
                .iter()
                .any(|p| p.k != k || p.precision != precision || p.fold_in != whole.fold_in)
        {
            return Err(Error::Mismatch(
                "the parts of a model must share its factors, precision and fold-in settings"
                    .into(),
            ));
        }
        let provenance = parts[0].provenance.clone();
        let mut ids = Vec::new();
        let mut popularity = Vec::new();
        let mut norms = Vec::new();
        let mut values: Vec<f32> = Vec::new();
        let mut stored = match precision {
            Precision::F32 => Stored::F32,
            Precision::F16 => Stored::F16(Vec::new()),
            Precision::Int8 => Stored::Int8 {
                scales: Vec::new(),
                values: Vec::new(),
            },
        };
        for part in parts {
            ids.extend(part.item_ids);
            popularity.extend(part.popularity);
            norms.extend(part.norms);
            if let Some(f) = &part.factors {
                values.extend(f.iter());
            }
            match (&mut stored, part.stored) {
                (Stored::F16(all), Stored::F16(bits)) => all.extend(bits),
                (
                    Stored::Int8 { scales, values: q },
                    Stored::Int8 {
                        scales: s,
                        values: v,
                    },
                ) => {
                    scales.extend(s);
                    q.extend(v);
                }
                _ => {}
            }
        }
        let index = index_ids(&ids).map_err(Error::Mismatch)?;
        let factors = match stored {
            Stored::Int8 { .. } => None,
            _ => Some(Array2::from_shape_vec((ids.len(), k), values).expect("n x k values")),
        };
        Ok(Model {
            fold_in: whole.fold_in,
            precision,
            provenance,
            item_ids: ids,
            index,
            stored,
            factors,
            k,
            norms,
            gram: whole.gram.clone(),
            popularity,
            calibration: whole.calibration.clone(),
            neighbours: None,
            transitions: None,
            gram_elsewhere: false,
        })
    }

    /// How many training users interacted with each item.
    pub fn popularity(&self) -> &[u32] {
        &self.popularity
    }

    /// The user vector for a history of `(item index, r)`: see [`fold_in`](crate::fold_in).
    pub fn fold_in(&self, history: &[(u32, f32)]) -> Result<Vec<f32>> {
        self.user_system(history).map(UserSystem::into_vector)
    }

    /// The solved normal equations of a history, for the vector and explanations both.
    pub fn user_system(&self, history: &[(u32, f32)]) -> Result<UserSystem> {
        UserSystem::solve(self, &self.gram, &self.fold_in, history)
    }

    /// [`user_system`](Self::user_system) for a history in the order it happened, oldest first:
    /// its positive items, each where it last came, are the latest items a transition model
    /// reads ([`UserSystem::with_recent`]).
    pub fn user_system_in_order(&self, history: &[(u32, f32)]) -> Result<UserSystem> {
        let mut recent: Vec<u32> = Vec::new();
        for &(i, r) in history {
            if r > 0.0 {
                recent.retain(|&x| x != i);
                recent.push(i);
            }
        }
        Ok(self.user_system(history)?.with_recent(recent))
    }

    /// [`user_system`](Self::user_system) with seed vectors (see
    /// [`UserSystem::solve_with_seeds`] and [`category_seeds`](crate::category_seeds)).
    pub fn user_system_with_seeds(
        &self,
        history: &[(u32, f32)],
        seeds: &[(Vec<f32>, f32)],
    ) -> Result<UserSystem> {
        UserSystem::solve_with_seeds(self, &self.gram, &self.fold_in, history, seeds)
    }

    /// Every item's score for a user vector, written into `out` (resized to the catalog; reuse
    /// `out` across calls and scoring allocates nothing). An int8 model scores from its int8
    /// levels, `scale * (levels . user)`: a quarter of the memory traffic of the f32 copy, and
    /// within a few f32 roundings of it.
    pub fn score_into(&self, user: &[f32], out: &mut Vec<f32>) {
        out.clear();
        let k = self.n_factors();
        if user.len() != k {
            out.resize(self.n_items(), f32::NAN);
            return;
        }
        if let Stored::Int8 { scales, values } = &self.stored {
            out.extend(
                values
                    .chunks_exact(k)
                    .zip(scales)
                    .map(|(q, &scale)| scale * dot_i8(q, user)),
            );
            return;
        }
        let rows = self.f32_rows();
        out.extend(rows.chunks_exact(k).map(|y| dot(y, user)));
    }

    /// Every item's score for a folded-in visitor: the factor score of
    /// [`score_into`](Self::score_into), plus the item-item model's score for the visitor's
    /// history items and the transition model's for their latest items
    /// ([`UserSystem::recent`]) when the model has them. This is the score the browser ranks by.
    pub fn score_system_into(&self, system: &UserSystem, out: &mut Vec<f32>) {
        self.score_into(system.vector(), out);
        if let Some(nb) = &self.neighbours {
            nb.add_scores(system.items(), out);
        }
        if let Some(t) = &self.transitions {
            t.add_scores(system.recent(), out);
        }
    }

    /// History item `h`'s share of `item`'s score from the sparse parts beside the factors
    /// (item-item and transition models), for a visitor solved in `system`.
    pub fn pair_contribution(&self, system: &UserSystem, h: u32, item: u32) -> f32 {
        let mut extra = 0.0;
        if let Some(nb) = &self.neighbours {
            extra += nb.contribution(h, item);
        }
        if let Some(t) = &self.transitions {
            extra += t.contribution(system.recent(), h, item);
        }
        extra
    }

    /// The f32 factors, row-major, of an f32 or f16 model.
    fn f32_rows(&self) -> &[f32] {
        self.factors
            .as_ref()
            .and_then(|f| f.as_slice())
            .expect("f32 and f16 models keep standard-layout f32 factors")
    }

    /// The top `n` items for a user vector, best first, among those `filter` allows. Ties break
    /// by lower item index. A vector of the wrong length ranks nothing.
    pub fn recommend(&self, user: &[f32], n: usize, filter: &Filter) -> Vec<Scored> {
        let mut scores = Vec::new();
        self.score_into(user, &mut scores);
        top_allowed(&scores, n, filter)
    }

    /// Folds in a history (oldest first: its latest items are what a transition model reads)
    /// and recommends from it, never returning a history item.
    pub fn recommend_for(
        &self,
        history: &[(u32, f32)],
        n: usize,
        filter: Filter,
    ) -> Result<Vec<Scored>> {
        let system = self.user_system_in_order(history)?;
        let filter = filter.exclude(history.iter().map(|&(i, _)| i));
        let mut scores = Vec::new();
        self.score_system_into(&system, &mut scores);
        Ok(top_allowed(&scores, n, &filter))
    }

    /// The `n` items most similar to `item` by cosine similarity of their factors, excluding
    /// `item` itself.
    pub fn similar_items(&self, item: u32, n: usize, filter: &Filter) -> Result<Vec<Scored>> {
        if item as usize >= self.n_items() {
            return Err(Error::UnknownItem(format!("index {item}")));
        }
        let y = self.item_row(item as usize);
        let norm = self.norms[item as usize];
        // The dot products with `y`, as `score_into` computes them for a user vector.
        let mut dots = Vec::new();
        self.score_into(&y, &mut dots);
        Ok(top_k(
            dots.iter()
                .zip(&self.norms)
                .enumerate()
                .filter(|&(j, _)| j as u32 != item && filter.allows(j as u32))
                .map(|(j, (&d, &nj))| Scored {
                    item: j as u32,
                    score: if norm > 0.0 && nj > 0.0 {
                        d / (norm * nj)
                    } else {
                        0.0
                    },
                }),
            n,
        ))
    }

    /// Why `item` scores what it does for this history: each history item's share of the score.
    pub fn explain(&self, history: &[(u32, f32)], item: u32) -> Result<Explanation> {
        let system = self.user_system(history)?;
        self.explain_with(&system, item)
    }

    /// [`explain`](Self::explain) with an already solved system (one solve for many items).
    /// With an item-item model, each history item's share also holds its item-item term.
    pub fn explain_with(&self, system: &UserSystem, item: u32) -> Result<Explanation> {
        let mut contributions = system.contributions(self, item)?;
        let mut score = dot(&self.item_row(item as usize), system.vector());
        for (h, c) in &mut contributions {
            let extra = self.pair_contribution(system, *h, item);
            *c += extra;
            score += extra;
        }
        crate::rank::sort_by_share(&mut contributions);
        Ok(Explanation {
            item,
            score,
            contributions,
        })
    }

    /// The `n` most popular items among those `filter` allows: the no-history baseline.
    pub fn most_popular(&self, n: usize, filter: &Filter) -> Vec<Scored> {
        top_k(
            self.popularity
                .iter()
                .enumerate()
                .filter(|&(i, _)| filter.allows(i as u32))
                .map(|(i, &p)| Scored {
                    item: i as u32,
                    score: p as f32,
                }),
            n,
        )
    }
}

impl ItemRows for Model {
    fn dim(&self) -> (usize, usize) {
        (self.n_items(), self.k)
    }

    fn row_into(&self, item: usize, out: &mut [f32]) {
        let k = self.k;
        match (&self.factors, &self.stored) {
            (Some(f), _) => {
                out.copy_from_slice(&f.as_slice().expect("standard layout")[item * k..][..k])
            }
            (None, Stored::Int8 { scales, values }) => {
                widen_int8(&values[item * k..][..k], scales[item], out)
            }
            (None, _) => unreachable!("only int8 models keep no f32 factors"),
        }
    }
}

/// The top `n` of `scores` among the items `filter` allows.
fn top_allowed(scores: &[f32], n: usize, filter: &Filter) -> Vec<Scored> {
    top_scores(scores, n, |i| filter.allows(i))
}

fn index_ids(ids: &[String]) -> std::result::Result<HashMap<String, u32>, String> {
    let mut index = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if id.is_empty() {
            return Err(format!("item {i} has an empty id"));
        }
        if id.len() > u16::MAX as usize {
            return Err(format!(
                "item {i}'s id is {} bytes, at most 65535 fit",
                id.len()
            ));
        }
        if index.insert(id.clone(), i as u32).is_some() {
            return Err(format!("item id \"{id}\" appears twice"));
        }
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AlsParams;

    /// An int8 model holds its levels and scales only: no f32 copy of the factors.
    #[test]
    fn int8_models_keep_no_f32_copy() {
        let fold_in = AlsParams::new().factors(2).check().unwrap().fold_in();
        let factors = Array2::from_shape_vec((2, 2), vec![0.5, -1.0, 0.25, 2.0]).unwrap();
        let ids = vec!["a".to_owned(), "b".to_owned()];
        for precision in [Precision::F32, Precision::F16, Precision::Int8] {
            let model = Model::new(
                ids.clone(),
                factors.clone(),
                fold_in,
                vec![1, 2],
                precision,
                Provenance::default(),
            )
            .unwrap();
            let again = Model::from_bytes(&model.to_bytes()).unwrap();
            for m in [&model, &again] {
                assert_eq!(m.factors.is_none(), precision == Precision::Int8);
            }
        }
    }
}
