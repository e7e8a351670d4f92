//! One aggregation for both sides: a visitor's browser log (string ids, oldest first) and a
//! site's training log (`DatasetBuilder`) turn the same events into the same preferences `r`, so
//! the same confidences and, against a model, the same folded-in vector.

use std::collections::HashMap;

use tastebud_core::{
    fit, AlsParams, Confidence, DatasetBuilder, EventKind, EventWeights, Filter, Interaction,
    Model, Precision, Provenance, RegularizationScaling, Solver,
};

const DAY: f64 = 86_400.0;
const NOW: f64 = 1_700_000_000.0;

/// A visitor's log, oldest first, touching every rule of the aggregation.
fn visitor_log() -> Vec<(String, Interaction)> {
    let at = |days_ago: f64| NOW - days_ago * DAY;
    let mut log = vec![
        (
            "tent".into(),
            Interaction::new(EventKind::View).at(at(30.0)),
        ),
        (
            "tent".into(),
            Interaction::new(EventKind::Purchase).at(at(29.0)),
        ),
        ("mug".into(), Interaction::rating(5.0).at(at(20.0))),
        (
            "stove".into(),
            Interaction::new(EventKind::Dismiss).at(at(19.0)),
        ),
        ("mug".into(), Interaction::rating(3.0).at(at(10.0))),
        (
            "stove".into(),
            Interaction::new(EventKind::View).at(at(9.0)),
        ),
        (
            "lamp".into(),
            Interaction::new(EventKind::Dismiss).at(at(8.0)),
        ),
        (
            "lamp".into(),
            Interaction::new(EventKind::AddToCart).at(at(7.0)),
        ),
        ("boots".into(), Interaction::rating(1.0).at(at(6.0))),
        ("map".into(), Interaction::weight(2.5)),
        ("map".into(), Interaction::weight(f32::NAN)),
        (
            "rope".into(),
            Interaction::new(EventKind::SearchHit).at(at(1.0)),
        ),
        (
            "rope".into(),
            Interaction::new(EventKind::Click).at(at(0.5)),
        ),
        ("rope".into(), Interaction::new(EventKind::Like)),
        ("tea".into(), Interaction::rating(f32::NAN)),
    ];
    // Enough views of the kettle to reach the cap.
    for d in 0..40 {
        log.push((
            "kettle".into(),
            Interaction::new(EventKind::View).at(at(d as f64 / 10.0)),
        ));
    }
    log
}

fn weights() -> EventWeights {
    EventWeights {
        half_life_days: Some(14.0),
        cap: 12.0,
        ..EventWeights::default()
    }
}

/// Other shoppers, so the visitor's events are interleaved with theirs in the training log.
fn others() -> Vec<(String, String, Interaction)> {
    let items = [
        "tent", "mug", "stove", "lamp", "boots", "map", "rope", "kettle", "tea", "sock",
    ];
    let mut rows = Vec::new();
    for u in 0..12usize {
        for (j, item) in items.iter().enumerate() {
            if (u + j) % 3 != 0 {
                let kind = [EventKind::View, EventKind::Like, EventKind::Purchase][(u * j) % 3];
                rows.push((format!("u{u}"), item.to_string(), Interaction::new(kind)));
            }
        }
    }
    rows
}

fn training_log() -> DatasetBuilder {
    let mut builder = DatasetBuilder::new();
    let mut theirs = others().into_iter();
    for (item, event) in visitor_log() {
        for (user, item, event) in theirs.by_ref().take(3) {
            builder.push(&user, &item, event);
        }
        builder.push("visitor", &item, event);
    }
    for (user, item, event) in theirs {
        builder.push(&user, &item, event);
    }
    builder
}

#[test]
fn browser_and_training_logs_give_the_same_preferences() {
    let w = weights();
    w.validate().unwrap();
    let browser = w.aggregate(visitor_log(), Some(NOW));
    let data = training_log().build(&w, Some(NOW));
    let v = data.users.iter().position(|u| u == "visitor").unwrap();

    let mut trained: Vec<(String, f32)> = data
        .matrix
        .row_pairs(v)
        .into_iter()
        .map(|(i, r)| (data.items[i as usize].clone(), r))
        .collect();
    let mut seen: Vec<(String, f32)> = browser.items.clone();
    trained.sort_by(|a, b| a.0.cmp(&b.0));
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        trained
            .iter()
            .map(|p| (&p.0, p.1.to_bits()))
            .collect::<Vec<_>>(),
        seen.iter()
            .map(|p| (&p.0, p.1.to_bits()))
            .collect::<Vec<_>>(),
    );

    // What the rules say, spelled out.
    let r: HashMap<&str, f32> = seen.iter().map(|(i, r)| (i.as_str(), *r)).collect();
    let decay = |days: f64| 0.5f64.powf(days / 14.0) as f32;
    assert!((r["tent"] - (decay(30.0) + 8.0 * decay(29.0))).abs() < 1e-6);
    assert!(
        (r["mug"] - decay(10.0)).abs() < 1e-6,
        "a new rating replaces the old"
    );
    assert!(
        (r["lamp"] - 4.0 * decay(7.0)).abs() < 1e-6,
        "add-to-cart revokes a dismissal"
    );
    assert_eq!(r["map"], 2.5);
    assert_eq!(r["kettle"], 12.0, "capped");
    assert!(
        !r.contains_key("stove"),
        "a view does not revoke a dismissal"
    );
    assert!(!r.contains_key("boots"), "one star dismisses");
    assert!(!r.contains_key("tea"), "no usable rating, no preference");
    assert_eq!(browser.dismissed, ["stove", "boots"]);

    // The training log counts the visitor's dismissals with everyone else's.
    let mut b = DatasetBuilder::new();
    for (user, item, event) in others() {
        b.push(&user, &item, event);
    }
    let base = b.build(&w, Some(NOW)).dismissed;
    assert_eq!(data.dismissed, base + browser.dismissed.len());

    // And so the confidences agree under either convention.
    for confidence in [Confidence::AlphaTimes, Confidence::OnePlus] {
        for ((_, a), (_, b)) in trained.iter().zip(&seen) {
            assert_eq!(
                confidence.apply(7.5, *a).to_bits(),
                confidence.apply(7.5, *b).to_bits()
            );
        }
    }
}

/// Against a model trained on the log, the visitor's browser history folds in to exactly the
/// vector their training row does, and gets the same recommendations.
#[test]
fn browser_history_folds_in_like_the_training_row() {
    let w = weights();
    let data = training_log().build(&w, Some(NOW));
    let params = AlsParams::new()
        .factors(4)
        .iterations(5)
        .regularization(0.1)
        .alpha(3.0)
        .solver(Solver::Cholesky)
        .confidence(Confidence::OnePlus)
        .regularization_scaling(RegularizationScaling::ByCount)
        .check()
        .unwrap();
    let factors = fit(&data.matrix, &params, |_| {}).unwrap();
    let model = Model::new(
        data.items.clone(),
        factors.items,
        params.fold_in(),
        data.matrix.column_counts(),
        Precision::F32,
        Provenance::default(),
    )
    .unwrap();

    let browser = w.aggregate(visitor_log(), Some(NOW));
    let history: Vec<(u32, f32)> = browser
        .items
        .iter()
        .map(|(id, r)| (model.item_index(id).unwrap(), *r))
        .collect();
    let dismissed = browser
        .dismissed
        .iter()
        .map(|id| model.item_index(id).unwrap());
    let v = data.users.iter().position(|u| u == "visitor").unwrap();
    let row = data.matrix.row_pairs(v);
    assert_eq!(
        model.fold_in(&history).unwrap(),
        model.fold_in(&row).unwrap()
    );

    let filter = Filter::new().exclude(dismissed);
    let from_browser = model.recommend_for(&history, 3, filter.clone()).unwrap();
    let from_row = model.recommend_for(&row, 3, filter).unwrap();
    assert_eq!(from_browser, from_row);
    let stove = model.item_index("stove").unwrap();
    assert!(from_browser.iter().all(|s| s.item != stove));
}
