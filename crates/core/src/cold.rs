//! Cold start: factors for what the model has not seen.
//!
//! A visitor with no history who picks interests is folded in with one seed per picked category,
//! the centroid of that category's item factors ([`category_seeds`], used through
//! [`Model::user_system_with_seeds`]). A catalog item with no factors (added after training) gets
//! the mean of its category's and its brand's centroids ([`cold_item_factors`]), so it can be
//! scored, recommended and explained like any other.

use crate::als::ItemRows;
use crate::model::Model;
use crate::rank::ItemCategories;

/// The mean factor vector of `items` (indices into the model), or `None` if there are none.
pub fn centroid(model: &Model, items: &[u32]) -> Option<Vec<f32>> {
    let mut sum = vec![0f64; model.n_factors()];
    let mut row = vec![0f32; model.n_factors()];
    let mut n = 0usize;
    for &i in items {
        if (i as usize) < model.n_items() {
            model.row_into(i as usize, &mut row);
            for (s, v) in sum.iter_mut().zip(&row) {
                *s += *v as f64;
            }
            n += 1;
        }
    }
    (n > 0).then(|| sum.into_iter().map(|s| (s / n as f64) as f32).collect())
}

/// One seed vector per picked category that has items in the model, in the order picked.
pub fn category_seeds(model: &Model, categories: &ItemCategories, picked: &[u32]) -> Vec<Vec<f32>> {
    picked
        .iter()
        .filter_map(|&c| centroid(model, &categories.items_in(&[c])))
        .collect()
}

/// Factors for an item the model lacks: the mean of its category's centroid and its brand's
/// centroid, whichever exist (`None` if neither does).
pub fn cold_item_factors(
    model: &Model,
    category_items: &[u32],
    brand_items: &[u32],
) -> Option<Vec<f32>> {
    match (
        centroid(model, category_items),
        centroid(model, brand_items),
    ) {
        (Some(a), Some(b)) => Some(a.iter().zip(&b).map(|(x, y)| (x + y) / 2.0).collect()),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{fit, AlsParams, CsrMatrix, Filter, Precision, Provenance};

    /// Two clusters: items 0-9 and 10-19.
    fn model() -> (Model, ItemCategories) {
        let mut cells = Vec::new();
        for u in 0..40u32 {
            let first = if u % 2 == 0 { 0 } else { 10 };
            for i in first..first + 10 {
                if (u + i) % 3 != 0 {
                    cells.push((u, i, 1.0));
                }
            }
        }
        let prefs = CsrMatrix::from_triplets(40, 20, &cells);
        let params = AlsParams::new().factors(4).iterations(10).check().unwrap();
        let f = fit(&prefs, &params, |_| {}).unwrap();
        let model = Model::new(
            (0..20).map(|i| format!("i{i}")).collect(),
            f.items,
            params.fold_in(),
            prefs.column_counts(),
            Precision::F32,
            Provenance::default(),
        )
        .unwrap();
        let cats =
            ItemCategories::from_names((0..20).map(|i| Some(if i < 10 { "a" } else { "b" })));
        (model, cats)
    }

    #[test]
    fn a_picked_category_seeds_its_own_items() {
        let (model, cats) = model();
        let seeds = category_seeds(&model, &cats, &[cats.find("b").unwrap()]);
        assert_eq!(seeds.len(), 1);
        let system = model
            .user_system_with_seeds(&[], &[(seeds[0].clone(), 1.0)])
            .unwrap();
        let top = model.recommend(system.vector(), 5, &Filter::new());
        assert!(top.iter().all(|s| s.item >= 10), "{top:?}");
        // The seed explains the whole score.
        let y = model.item_row(top[0].item as usize);
        let (history, seeds) = system.contributions_to(&model, &y).unwrap();
        assert!(history.is_empty());
        assert!((seeds[0] - top[0].score).abs() < 1e-4 * top[0].score.abs().max(1.0));
    }

    #[test]
    fn a_cold_item_scores_like_its_category() {
        let (model, cats) = model();
        let cold = cold_item_factors(&model, &cats.items_in(&[0]), &[]).unwrap();
        let x = model.fold_in(&[(1, 1.0), (2, 1.0)]).unwrap();
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f32>();
        let other = cold_item_factors(&model, &cats.items_in(&[1]), &[]).unwrap();
        assert!(dot(&cold, &x) > dot(&other, &x));
        assert!(cold_item_factors(&model, &[], &[]).is_none());
        assert!(centroid(&model, &[999]).is_none());
    }
}
