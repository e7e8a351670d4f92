//! A self-check of the engine inside the browser: train, fold in, rank, explain.

use tastebud_core::{fit, AlsParams, CsrMatrix, Filter, Model, Precision, Provenance};

/// What the check produced.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineCheck {
    /// Items in the toy catalog.
    pub items: usize,
    /// Latent factors.
    pub factors: usize,
    /// The visitor's liked items.
    pub history: Vec<String>,
    /// `(recommended item, the history item that contributed most)`.
    pub recommendations: Vec<(String, String)>,
}

const ITEMS: [&str; 8] = [
    "titanium-mug",
    "ultralight-tent",
    "trekking-poles",
    "headlamp",
    "pour-over-kettle",
    "burr-grinder",
    "paper-filters",
    "gooseneck-scale",
];

/// Trains on a toy log of campers and coffee lovers, then recommends for a visitor who liked
/// two camping items. Runs entirely in the calling thread.
pub fn run_engine_check() -> Result<EngineCheck, String> {
    let mut cells = Vec::new();
    for u in 0..40u32 {
        let first = if u % 2 == 0 { 0 } else { 4 };
        for i in first..first + 4 {
            if (u / 2 + i) % 3 != 0 {
                cells.push((u, i, 1.0));
            }
        }
    }
    let prefs = CsrMatrix::from_triplets(40, ITEMS.len(), &cells);
    let params = AlsParams::new()
        .factors(4)
        .iterations(10)
        .check()
        .map_err(|e| e.to_string())?;
    let factors = fit(&prefs, &params, |_| {}).map_err(|e| e.to_string())?;
    let model = Model::new(
        ITEMS.iter().map(|s| s.to_string()).collect(),
        factors.items,
        params.fold_in(),
        prefs.column_counts(),
        Precision::Int8,
        Provenance::default(),
    )
    .map_err(|e| e.to_string())?;
    let model = Model::from_bytes(&model.to_bytes()).map_err(|e| e.to_string())?;
    let history = [(0u32, 4.0f32), (1, 4.0)];
    let system = model.user_system(&history).map_err(|e| e.to_string())?;
    let filter = Filter::new().exclude(history.iter().map(|h| h.0));
    let recommendations = model
        .recommend(system.vector(), 3, &filter)
        .into_iter()
        .map(|s| {
            let why = model
                .explain_with(&system, s.item)
                .map_err(|e| e.to_string())?;
            let top = why.contributions.first().map_or(0, |c| c.0);
            Ok((
                ITEMS[s.item as usize].to_string(),
                ITEMS[top as usize].to_string(),
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(EngineCheck {
        items: ITEMS.len(),
        factors: 4,
        history: history
            .iter()
            .map(|h| ITEMS[h.0 as usize].to_string())
            .collect(),
        recommendations,
    })
}
