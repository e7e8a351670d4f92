//! Category-level interests: which categories a visitor is likely to enjoy, and why.

use serde::{Deserialize, Serialize};

use crate::als::UserSystem;
use crate::error::Result;
use crate::model::Model;
use crate::rank::{top_k, Filter, ItemCategories, ItemSet, Scored};

/// A category ranked for a visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interest {
    /// Category index in the [`ItemCategories`].
    pub category: u32,
    /// The mean score of the category's best items for this visitor.
    pub score: f32,
    /// The category's best items for this visitor, best first.
    pub items: Vec<Scored>,
    /// History items that led here, `(item, summed contribution)`, largest first, positive only.
    pub because: Vec<(u32, f32)>,
}

/// How [`category_interests`] ranks.
#[derive(Debug, Clone)]
pub struct InterestOptions<'a> {
    /// Categories to return.
    pub n: usize,
    /// Items per category whose mean score ranks it (3): a size-independent score, so a
    /// 20-item niche competes fairly with a 500-item department.
    pub top_items: usize,
    /// History items to name per category.
    pub because: usize,
    /// Only these categories (e.g. the niches); `None` for all.
    pub only: Option<&'a ItemSet>,
}

impl Default for InterestOptions<'_> {
    fn default() -> Self {
        InterestOptions {
            n: 5,
            top_items: 3,
            because: 3,
            only: None,
        }
    }
}

/// Ranks categories for the visitor whose solved system is `system`. Items `filter` rejects
/// (seen, dismissed) neither score nor show. Ties break by lower category index.
pub fn category_interests(
    model: &Model,
    system: &UserSystem,
    categories: &ItemCategories,
    filter: &Filter,
    options: &InterestOptions,
) -> Result<Vec<Interest>> {
    let m = options.top_items.max(1);
    let mut scores = Vec::new();
    model.score_system_into(system, &mut scores);
    let mut per_category: Vec<Vec<Scored>> = vec![Vec::new(); categories.names.len()];
    for (i, &score) in scores.iter().enumerate() {
        let item = i as u32;
        let Some(c) = categories.of(item) else {
            continue;
        };
        if !filter.allows(item) || options.only.is_some_and(|only| !only.contains(c)) {
            continue;
        }
        per_category[c as usize].push(Scored { item, score });
    }
    let mut ranked: Vec<(u32, f32, Vec<Scored>)> = per_category
        .into_iter()
        .enumerate()
        .filter(|(_, items)| !items.is_empty())
        .map(|(c, items)| {
            let best = top_k(items, m);
            let mean = best.iter().map(|s| s.score).sum::<f32>() / best.len() as f32;
            (c as u32, mean, best)
        })
        .collect();
    let order = top_k(
        ranked.iter().map(|(c, score, _)| Scored {
            item: *c,
            score: *score,
        }),
        options.n,
    );
    let mut out = Vec::with_capacity(order.len());
    for pick in order {
        let at = ranked
            .iter()
            .position(|r| r.0 == pick.item)
            .expect("ranked category");
        let (category, score, items) = ranked.swap_remove(at);
        let mut because: Vec<(u32, f32)> = Vec::new();
        for s in &items {
            for (h, c) in model.explain_with(system, s.item)?.contributions {
                match because.iter_mut().find(|b| b.0 == h) {
                    Some(b) => b.1 += c,
                    None => because.push((h, c)),
                }
            }
        }
        because.retain(|b| b.1 > 0.0);
        crate::rank::sort_by_share(&mut because);
        because.truncate(options.because);
        out.push(Interest {
            category,
            score,
            items,
            because,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{fit, AlsParams, CsrMatrix, Precision, Provenance};

    /// Three groups: a big category (0..30), and two small niches (30..34 and 34..38). Users of
    /// group B like the first niche and a few big-category items.
    fn model() -> (Model, ItemCategories) {
        let mut cells = Vec::new();
        for u in 0..60u32 {
            match u % 3 {
                0 => (0..30)
                    .filter(|i| (u + i) % 3 != 0)
                    .for_each(|i| cells.push((u, i, 1.0))),
                1 => (30..34).chain(0..3).for_each(|i| cells.push((u, i, 1.0))),
                _ => (34..38).for_each(|i| cells.push((u, i, 1.0))),
            }
        }
        let prefs = CsrMatrix::from_triplets(60, 38, &cells);
        let params = AlsParams::new().factors(6).iterations(12).check().unwrap();
        let f = fit(&prefs, &params, |_| {}).unwrap();
        let model = Model::new(
            (0..38).map(|i| format!("i{i}")).collect(),
            f.items,
            params.fold_in(),
            prefs.column_counts(),
            Precision::F32,
            Provenance::default(),
        )
        .unwrap();
        let cats = ItemCategories::from_names((0..38).map(|i| {
            Some(match i {
                0..30 => "big",
                30..34 => "niche-a",
                _ => "niche-b",
            })
        }));
        (model, cats)
    }

    #[test]
    fn a_small_niche_is_found_and_explained() {
        let (model, cats) = model();
        let history = [(30, 1.0), (31, 1.0)];
        let system = model.user_system(&history).unwrap();
        let filter = Filter::new().exclude([30, 31]);
        let got = category_interests(&model, &system, &cats, &filter, &InterestOptions::default())
            .unwrap();
        assert_eq!(cats.names[got[0].category as usize], "niche-a");
        assert!(got[0].items.iter().all(|s| s.item == 32 || s.item == 33));
        let because: Vec<u32> = got[0].because.iter().map(|b| b.0).collect();
        assert!(
            because.contains(&30) && because.contains(&31),
            "{because:?}"
        );
        // Restricting to niches drops the big category.
        let niches: ItemSet = [cats.find("niche-a").unwrap(), cats.find("niche-b").unwrap()]
            .into_iter()
            .collect();
        let only = InterestOptions {
            only: Some(&niches),
            ..InterestOptions::default()
        };
        let got = category_interests(&model, &system, &cats, &filter, &only).unwrap();
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|i| cats.names[i.category as usize] != "big"));
    }
}
