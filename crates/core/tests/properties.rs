//! Property tests of the invariants every caller relies on: top-k is sorted and complete, filters
//! hold in every ranking call, fold-in is deterministic, and the model file round-trips.

mod common;

use half::f16;
use ndarray::Array2;
use proptest::prelude::*;
use tastebud_core::{
    top_k, Confidence, Filter, FoldInParams, Model, Precision, Provenance, RegularizationScaling,
    Scored,
};

/// Scores with many ties (few distinct values), signed zeros and the odd NaN.
fn score() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => (-4i32..4).prop_map(|v| v as f32 * 0.5),
        4 => -10.0f32..10.0,
        1 => Just(0.0f32),
        1 => Just(-0.0f32),
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
    ]
}

/// A factor value: any sign, magnitudes from 2^-30 to 2^6 (so f16's subnormal range is hit),
/// and zeros of both signs.
fn factor() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => (any::<bool>(), 1.0f32..2.0, -30i32..6)
            .prop_map(|(neg, m, e)| if neg { -m } else { m } * 2f32.powi(e)),
        1 => Just(0.0f32),
        1 => Just(-0.0f32),
    ]
}

fn fold_in_params() -> impl Strategy<Value = FoldInParams> {
    (
        prop_oneof![Just(1e-4f32), 1e-6f32..1e3],
        1e-3f32..1e3,
        prop_oneof![Just(Confidence::AlphaTimes), Just(Confidence::OnePlus)],
        prop_oneof![
            Just(RegularizationScaling::Constant),
            Just(RegularizationScaling::ByCount)
        ],
    )
        .prop_map(
            |(regularization, alpha, confidence, regularization_scaling)| FoldInParams {
                regularization,
                alpha,
                confidence,
                regularization_scaling,
            },
        )
}

fn provenance() -> impl Strategy<Value = Provenance> {
    (
        any::<String>(),
        proptest::option::of(any::<usize>()),
        proptest::option::of(1usize..100),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(
            |(source, iterations, cg_steps, seed, users, interactions)| Provenance {
                source,
                iterations,
                cg_steps,
                seed,
                users: users.map(|u| u as usize),
                interactions: interactions.map(|i| i as usize),
            },
        )
}

/// The parts of a model: ids (unique, any Unicode), `n x k` factors, fold-in settings,
/// popularity and provenance.
#[derive(Debug, Clone)]
struct Parts {
    ids: Vec<String>,
    factors: Array2<f32>,
    fold_in: FoldInParams,
    popularity: Vec<u32>,
    provenance: Provenance,
}

fn parts() -> impl Strategy<Value = Parts> {
    (1usize..12, 1usize..7).prop_flat_map(|(n, k)| {
        (
            // Now and then an id long enough for a 2-byte varint length.
            proptest::collection::vec(prop_oneof![6 => "\\PC{0,6}", 1 => "[a-z]{120,200}"], n),
            proptest::collection::vec(factor(), n * k),
            fold_in_params(),
            proptest::collection::vec(any::<u32>(), n),
            provenance(),
        )
            .prop_map(
                move |(names, values, fold_in, popularity, provenance)| Parts {
                    // The index suffix makes ids unique and non-empty.
                    ids: names
                        .into_iter()
                        .enumerate()
                        .map(|(i, s)| format!("{s}#{i}"))
                        .collect(),
                    factors: Array2::from_shape_vec((n, k), values).unwrap(),
                    fold_in,
                    popularity,
                    provenance,
                },
            )
    })
}

fn build(p: &Parts, precision: Precision) -> Model {
    Model::new(
        p.ids.clone(),
        p.factors.clone(),
        p.fold_in,
        p.popularity.clone(),
        precision,
        p.provenance.clone(),
    )
    .unwrap()
}

/// A model over well-scaled random factors, for the ranking properties.
fn ranking_model() -> impl Strategy<Value = Model> {
    (2usize..40, 1usize..6, any::<u64>(), fold_in_params()).prop_map(|(n, k, seed, fold)| {
        common::model_of(
            common::random_factors(n, k, 1.0, seed),
            fold,
            Precision::F32,
        )
    })
}

/// A filter over items `0..n`: an exclusion list and maybe a candidate subset.
fn filter(n: u32) -> impl Strategy<Value = (Vec<u32>, Option<Vec<u32>>)> {
    (
        proptest::collection::vec(0..n, 0..n as usize),
        proptest::option::of(proptest::collection::vec(0..n, 0..n as usize)),
    )
}

fn make_filter(excluded: &[u32], only: &Option<Vec<u32>>) -> Filter {
    let f = Filter::new().exclude(excluded.iter().copied());
    match only {
        Some(only) => f.only(only.iter().copied()),
        None => f,
    }
}

/// The first `n` of a full sort: score descending, ties by lower item, NaN never.
fn full_sort(candidates: &[Scored], n: usize) -> Vec<Scored> {
    let mut all: Vec<Scored> = candidates
        .iter()
        .copied()
        .filter(|c| !c.score.is_nan())
        .collect();
    all.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap()
            .then(a.item.cmp(&b.item))
    });
    all.truncate(n);
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn top_k_is_sorted_and_complete(
        scores in proptest::collection::vec(score(), 0..80),
        n in 0usize..90,
        shuffle in any::<u64>(),
    ) {
        let mut candidates: Vec<Scored> = scores
            .iter()
            .enumerate()
            .map(|(i, &score)| Scored { item: i as u32, score })
            .collect();
        // The order candidates arrive in does not matter.
        let mut rng = common::Rng::new(shuffle);
        for i in (1..candidates.len()).rev() {
            candidates.swap(i, rng.below(i + 1));
        }
        let got = top_k(candidates.iter().copied(), n);
        let expected = full_sort(&candidates, n);
        prop_assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            prop_assert_eq!(g.item, e.item);
            prop_assert_eq!(g.score.to_bits(), e.score.to_bits());
        }
        for w in got.windows(2) {
            prop_assert!(
                w[0].score > w[1].score || (w[0].score == w[1].score && w[0].item < w[1].item)
            );
        }
    }

    #[test]
    fn recommend_is_the_top_of_the_allowed_items(
        (model, (excluded, only)) in ranking_model()
            .prop_flat_map(|m| { let n = m.n_items() as u32; (Just(m), filter(n)) }),
        user_seed in any::<u64>(),
        n in 0usize..50,
    ) {
        let f = make_filter(&excluded, &only);
        let user: Vec<f32> = common::random_factors(1, model.n_factors(), 1.0, user_seed)
            .into_raw_vec_and_offset()
            .0;
        let mut scores = Vec::new();
        model.score_into(&user, &mut scores);
        let allowed: Vec<Scored> = scores
            .iter()
            .enumerate()
            .filter(|&(i, _)| f.allows(i as u32))
            .map(|(i, &score)| Scored { item: i as u32, score })
            .collect();
        let got = model.recommend(&user, n, &f);
        prop_assert!(got.iter().all(|s| f.allows(s.item)));
        prop_assert_eq!(got, full_sort(&allowed, n));
    }

    #[test]
    fn filtered_items_never_appear(
        (model, (excluded, only), history, item) in ranking_model().prop_flat_map(|m| {
            let n = m.n_items() as u32;
            (
                Just(m),
                filter(n),
                proptest::collection::vec((0..n, 0.1f32..10.0), 0..6),
                0..n,
            )
        }),
        n in 0usize..50,
    ) {
        let f = make_filter(&excluded, &only);
        let allowed = (0..model.n_items() as u32).filter(|&i| f.allows(i)).count();

        let similar = model.similar_items(item, n, &f).unwrap();
        prop_assert!(similar.iter().all(|s| f.allows(s.item) && s.item != item));
        let expected = allowed - f.allows(item) as usize;
        prop_assert_eq!(similar.len(), n.min(expected));

        let recs = model.recommend_for(&history, n, f.clone()).unwrap();
        prop_assert!(recs.iter().all(|s| f.allows(s.item)));
        prop_assert!(recs.iter().all(|s| history.iter().all(|h| h.0 != s.item)));

        let popular = model.most_popular(n, &f);
        prop_assert!(popular.iter().all(|s| f.allows(s.item)));
        prop_assert_eq!(popular.len(), n.min(allowed));
    }

    #[test]
    fn fold_in_is_deterministic(
        (model, history) in ranking_model().prop_flat_map(|m| {
            let n = m.n_items() as u32;
            (Just(m), proptest::collection::vec((0..n, -1.0f32..10.0), 0..12))
        }),
        shuffle in any::<u64>(),
    ) {
        let x = model.fold_in(&history).unwrap();
        prop_assert_eq!(&model.fold_in(&history).unwrap(), &x);
        prop_assert_eq!(&model.clone().fold_in(&history).unwrap(), &x);
        let reloaded = Model::from_bytes(&model.to_bytes()).unwrap();
        prop_assert_eq!(&reloaded.fold_in(&history).unwrap(), &x);
        prop_assert!(x.iter().all(|v| v.is_finite()));

        // With each item at most once, the order of the history does not matter either.
        let mut distinct = history.clone();
        distinct.sort_by_key(|h| h.0);
        distinct.dedup_by_key(|h| h.0);
        let x = model.fold_in(&distinct).unwrap();
        let mut rng = common::Rng::new(shuffle);
        for i in (1..distinct.len()).rev() {
            distinct.swap(i, rng.below(i + 1));
        }
        prop_assert_eq!(model.fold_in(&distinct).unwrap(), x);
    }

    #[test]
    fn f32_round_trips_exactly(p in parts()) {
        let model = build(&p, Precision::F32);
        let bytes = model.to_bytes();
        let back = Model::from_bytes(&bytes).unwrap();
        prop_assert_eq!(back.item_factors(), p.factors.view());
        check_same(&model, &back)?;
        prop_assert_eq!(back.to_bytes(), bytes);
    }

    /// f16 keeps 11 significant bits: relative error at most 2^-11 in f16's normal range
    /// (|v| >= 2^-14); below it values are f16 subnormals, spaced 2^-24 apart, so the absolute
    /// error is at most 2^-25.
    #[test]
    fn f16_round_trips_within_half_an_ulp(p in parts()) {
        let model = build(&p, Precision::F16);
        let bytes = model.to_bytes();
        let back = Model::from_bytes(&bytes).unwrap();
        for (v, q) in p.factors.iter().zip(back.item_factors()) {
            let bound = (v.abs() * 2f32.powi(-11)).max(2f32.powi(-25));
            prop_assert!((v - q).abs() <= bound, "{} stored as {}", v, q);
        }
        check_same(&model, &back)?;
        prop_assert_eq!(back.to_bytes(), bytes);
    }

    /// int8 stores `round(v / s)` with the item's scale `s`, the smallest f16 at least
    /// `max |y| / 127`: the error is at most half a step, `s / 2` (plus f32 rounding of the
    /// division, 1e-5 of `s`).
    #[test]
    fn int8_round_trips_within_half_a_step(p in parts()) {
        let model = build(&p, Precision::Int8);
        let bytes = model.to_bytes();
        let back = Model::from_bytes(&bytes).unwrap();
        for (row, stored) in p.factors.rows().into_iter().zip(back.item_factors().rows()) {
            let scale = f16_at_least(row.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0);
            for (v, q) in row.iter().zip(stored) {
                prop_assert!(
                    (v - q).abs() <= scale * (0.5 + 1e-5),
                    "{} stored as {} (scale {})", v, q, scale
                );
            }
        }
        check_same(&model, &back)?;
        prop_assert_eq!(back.to_bytes(), bytes);
    }
}

/// The smallest f16 at least `target` (which is at most 65504), widened to f32. The bit patterns
/// of non-negative f16 values are ordered as the values.
fn f16_at_least(target: f32) -> f32 {
    let bits = (0u16..0x7c00).collect::<Vec<_>>();
    let at = bits.partition_point(|&b| f16::from_bits(b).to_f32() < target);
    f16::from_bits(bits[at]).to_f32()
}

/// Everything but the factors' precision survives a save and load, and the loaded model scores
/// exactly as the one in memory did.
fn check_same(model: &Model, back: &Model) -> Result<(), TestCaseError> {
    prop_assert_eq!(back.item_ids(), model.item_ids());
    prop_assert_eq!(back.item_factors(), model.item_factors());
    prop_assert_eq!(back.gram(), model.gram());
    prop_assert_eq!(back.popularity(), model.popularity());
    prop_assert_eq!(back.fold_in_params(), model.fold_in_params());
    prop_assert_eq!(back.provenance(), model.provenance());
    prop_assert_eq!(back.precision(), model.precision());
    for (i, id) in model.item_ids().iter().enumerate() {
        prop_assert_eq!(back.item_index(id), Some(i as u32));
    }
    Ok(())
}
