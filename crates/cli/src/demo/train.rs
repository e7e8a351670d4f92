//! Training the demo model on the simulated log, the way `tastebud train` trains on a log.

use std::time::Instant;

use anyhow::{Context, Result};
use tastebud_core::{
    calibrate, fit, holdout_split, train_model, AlsParams, Catalog, DatasetBuilder, EventWeights,
    Interaction, ItemCategories, Model, Precision, Provenance, ValidAlsParams,
};

use super::simulate::LogEvent;

/// The demo model's settings. 32 factors keep the int8 model small for the browser; with the
/// default event weights (r up to 20) alpha 2 keeps a purchase's confidence from swamping the
/// rest, and the stronger regularization suits a few thousand short histories.
pub fn params(seed: u64) -> Result<ValidAlsParams> {
    Ok(AlsParams::new()
        .factors(32)
        .alpha(2.0)
        .regularization(0.5)
        .iterations(15)
        .seed(seed)
        .check()?)
}

/// A trained demo model and how training went.
pub struct Trained {
    pub model: Model,
    /// Shoppers with at least one positive preference.
    pub users: usize,
    /// Positive (shopper, item) cells.
    pub interactions: usize,
    /// (shopper, item) pairs that ended dismissed.
    pub dismissed: usize,
    pub loss: f64,
    pub seconds: f64,
}

/// Aggregates each shopper's events with the default weights and fits the model. The model
/// holds the catalog's items that someone showed a positive preference for, in catalog order.
pub fn train(catalog: &Catalog, events: &[LogEvent], seed: u64) -> Result<Trained> {
    let weights = EventWeights::default();
    let interaction = |e: &LogEvent| Interaction {
        kind: e.kind,
        value: e.value,
        timestamp: Some(e.ts as f64),
    };

    // Which items end up with a positive preference from anyone. An item with none would get a
    // factor row fitted to nothing, so it is left out of the model.
    let mut wanted = vec![false; catalog.items.len()];
    for shopper in events.chunk_by(|a, b| a.shopper == b.shopper) {
        let prefs = weights.aggregate(shopper.iter().map(|e| (e.item, interaction(e))), None);
        for (item, _) in prefs.items {
            wanted[item as usize] = true;
        }
    }

    let mut builder = DatasetBuilder::new();
    for (item, _) in catalog.items.iter().zip(&wanted).filter(|(_, w)| **w) {
        builder.add_item(&item.id);
    }
    for e in events.iter().filter(|e| wanted[e.item as usize]) {
        builder.push(
            &shopper_id(e.shopper),
            &catalog.items[e.item as usize].id,
            interaction(e),
        );
    }
    let dataset = builder.build(&weights, None);
    let prefs = &dataset.matrix;

    let params = params(seed)?;
    let mut loss = f64::NAN;
    let start = Instant::now();
    let factors = fit(prefs, &params, |report| loss = report.loss).context("training failed")?;
    let seconds = start.elapsed().as_secs_f64();
    let mut model = Model::new(
        dataset.items,
        factors.items,
        params.fold_in(),
        prefs.column_counts(),
        Precision::Int8,
        Provenance {
            source: "tastebud demo-data".into(),
            iterations: Some(params.iterations),
            cg_steps: Some(params.cg_steps),
            seed: Some(seed),
            users: Some(prefs.n_rows()),
            interactions: Some(prefs.nnz()),
        },
    )
    .context("cannot build the model")?;
    // The storefront's "more niche" control and the `discovery` default, calibrated on a
    // validation split of this shop's log as `tastebud tune` does.
    let split = holdout_split(prefs, 0.2, 5, seed)?;
    let (validation_model, _) = train_model(&split.train, model.item_ids(), &params)?;
    let categories = ItemCategories::from_names(model.item_ids().iter().map(|id| {
        catalog
            .items
            .iter()
            .find(|i| &i.id == id)
            .map(|i| i.category.as_str())
    }));
    let calibration = calibrate(&validation_model, &split, Some(&categories), 10)
        .context("calibrating discovery failed")?;
    model.set_calibration(Some(calibration))?;
    Ok(Trained {
        model,
        users: (0..prefs.n_rows())
            .filter(|&u| !prefs.row(u).0.is_empty())
            .count(),
        interactions: prefs.nnz(),
        dismissed: dataset.dismissed,
        loss,
        seconds,
    })
}

/// The id a shopper has in the model's provenance and the exported log.
pub fn shopper_id(n: u32) -> String {
    format!("shopper-{:04}", n + 1)
}
