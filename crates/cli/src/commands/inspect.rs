//! `tastebud inspect`: what a model file holds.

use std::fmt::Write as _;
use std::path::PathBuf;

use std::path::Path;

use anyhow::{anyhow, Result};
use clap::Args;
use serde_json::json;
use tastebud_core::{Filter, Provenance, RegularizationScaling};

use crate::args::scaling_name;
use crate::commands::publish::Summary;
use crate::commands::tune::calibration_lines;
use crate::commands::{parse_model, published_reader, read_manifest};
use crate::input::read_model_file;
use crate::output;

/// Show a model file's settings, provenance and a few of its items; or, given a publication's
/// manifest.json (`tastebud publish`), its shards and what a visitor downloads.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The model file, or a publication's manifest.json.
    model: PathBuf,
    /// Print JSON instead of text.
    #[arg(long, conflicts_with = "ids")]
    json: bool,
    /// Print every item id, one per line, and nothing else.
    #[arg(long)]
    ids: bool,
}

/// How many ids and popular items the summary shows.
const SHOWN: usize = 5;

pub fn run(args: InspectArgs) -> Result<()> {
    let bytes = read_model_file(&args.model)?;
    if bytes.first() == Some(&b'{') {
        return inspect_publication(&args);
    }
    let model = parse_model(&args.model, &bytes)?;
    if args.ids {
        let mut text = String::new();
        for id in model.item_ids() {
            writeln!(text, "{id}")?;
        }
        return Ok(output::emit(&text)?);
    }

    // The file's own version (a reader accepts older ones), after the 8-byte magic.
    let version = u32::from_le_bytes(
        bytes[8..12]
            .try_into()
            .expect("a parsed model has a header"),
    );
    let fold = model.fold_in_params();
    let first: Vec<&str> = model
        .item_ids()
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect();
    let popular: Vec<(&str, u32)> = model
        .most_popular(SHOWN, &Filter::new())
        .into_iter()
        .filter(|s| s.score > 0.0)
        .map(|s| {
            let i = s.item as usize;
            (model.item_ids()[i].as_str(), model.popularity()[i])
        })
        .collect();
    let (exponent, unobserved_weight) = match fold.regularization_scaling {
        RegularizationScaling::Frequency {
            exponent,
            unobserved_weight,
        } => (Some(exponent), Some(unobserved_weight)),
        _ => (None, None),
    };
    if args.json {
        return Ok(output::emit_json(&json!({
            "path": args.model.display().to_string(),
            "format_version": version,
            "bytes": bytes.len(),
            "items": model.n_items(),
            "factors": model.n_factors(),
            "precision": model.precision().name(),
            "confidence": fold.confidence.name(),
            "alpha": output::short(fold.alpha),
            "regularization": output::short(fold.regularization),
            "regularization_scaling": scaling_name(fold.regularization_scaling),
            "regularization_exponent": exponent.map(output::short),
            "unobserved_weight": unobserved_weight.map(output::short),
            "discovery_calibration": model.calibration(),
            "item_item": model.neighbours().map(|nb| json!({
                "entries": nb.n_entries(),
                "weight": output::short(nb.weight()),
                "regularization": output::short(nb.regularization()),
                "items_with_entries": nb.items_with_entries(),
            })),
            "transitions": model.transitions().map(|t| json!({
                "entries": t.table().n_entries(),
                "items_with_entries": t.table().items_with_entries(),
                "weight": output::short(t.weight()),
                "depth": t.depth(),
                "decay": output::short(t.decay()),
            })),
            "presets": {
                "balanced": model.preset("balanced"),
                "discovery": model.preset("discovery"),
            },
            "provenance": model.provenance(),
            "first_items": first,
            "most_popular": popular
                .iter()
                .map(|(id, count)| json!({"item": id, "users": count}))
                .collect::<Vec<_>>(),
        }))?);
    }

    let mut text = format!(
        "{}: Tastebud model, format version {version}, {}\n",
        args.model.display(),
        output::size(bytes.len() as u64)
    );
    let mut field = |name: &str, value: String| writeln!(text, "{name:<16}{value}");
    field("items", model.n_items().to_string())?;
    field("factors", model.n_factors().to_string())?;
    field("precision", model.precision().name().to_owned())?;
    field(
        "confidence",
        format!("{}, alpha {}", fold.confidence.name(), fold.alpha),
    )?;
    field(
        "regularization",
        match (exponent, unobserved_weight) {
            (Some(nu), Some(alpha0)) => format!(
                "{}, frequency: lambda * (n + {alpha0} * {} items)^{nu}",
                fold.regularization,
                model.n_items()
            ),
            _ => format!(
                "{}, {}",
                fold.regularization,
                scaling_name(fold.regularization_scaling)
            ),
        },
    )?;
    field(
        "discovery",
        match model.calibration() {
            Some(c) => format!(
                "calibrated on a validation split; {}",
                calibration_lines(c).join("; ")
            ),
            None => "not calibrated: the presets are the fixed defaults (`tastebud tune` calibrates them)".to_owned(),
        },
    )?;
    field(
        "item-item",
        match model.neighbours() {
            Some(nb) => format!(
                "EASE (lambda {}), {} entries over {} items, blend weight {}",
                nb.regularization(),
                nb.n_entries(),
                nb.items_with_entries(),
                nb.weight()
            ),
            None => "none: the model ranks by its factors alone".to_owned(),
        },
    )?;
    field(
        "transitions",
        match model.transitions() {
            Some(t) => format!(
                "{} next items over {} items, read from the latest {} with decay {}, blend weight {}",
                t.table().n_entries(),
                t.table().items_with_entries(),
                t.depth(),
                t.decay(),
                t.weight()
            ),
            None => "none: the order of a visitor's items does not count".to_owned(),
        },
    )?;
    field("provenance", describe(model.provenance()))?;
    field("first items", first.join(", "))?;
    let popular: Vec<String> = popular
        .iter()
        .map(|(id, n)| format!("{id} ({n})"))
        .collect();
    field(
        "most popular",
        if popular.is_empty() {
            "unknown (no popularity counts)".to_owned()
        } else {
            popular.join(", ")
        },
    )?;
    Ok(output::emit(&text)?)
}

/// `tastebud als: 15 iterations, 3 CG steps, seed 42, 943 users, 100000 interactions`.
fn describe(p: &Provenance) -> String {
    let known = [
        p.iterations.map(|v| format!("{v} iterations")),
        p.cg_steps.map(|v| format!("{v} CG steps")),
        p.seed.map(|v| format!("seed {v}")),
        p.users.map(|v| format!("{v} users")),
        p.interactions.map(|v| format!("{v} interactions")),
    ];
    let details: Vec<String> = known.into_iter().flatten().collect();
    let source = if p.source.is_empty() {
        "unknown source"
    } else {
        &p.source
    };
    if details.is_empty() {
        source.to_owned()
    } else {
        format!("{source}: {}", details.join(", "))
    }
}

/// `inspect manifest.json`: the publication's shards, strict set and sizes; with `--ids`, every
/// item id, read from the ranking files (each checked against the manifest).
fn inspect_publication(args: &InspectArgs) -> Result<()> {
    let manifest = read_manifest(&args.model)?;
    if args.ids {
        let mut read = published_reader(&args.model);
        let index = manifest.index(&mut read).map_err(|e| anyhow!("{e}"))?;
        let mut text = String::new();
        for shard in index.shards.iter().filter(|s| s.items > 0) {
            let bytes = read(&shard.ranking).map_err(|e| anyhow!("{e}"))?;
            let part = parse_model(Path::new(&shard.ranking.file), &bytes)?;
            for id in part.item_ids() {
                writeln!(text, "{id}")?;
            }
        }
        return Ok(output::emit(&text)?);
    }
    let m = &manifest;
    let dir = args.model.parent().unwrap_or(Path::new("."));
    let listing = super::publish::Listing::read(dir, m);
    let sum = Summary::of(m, &listing);
    let files = listing.files(m).count() + 1;
    if args.json {
        return Ok(output::emit_json(&json!({
            "format": m.format,
            "version": m.version,
            "items": m.items,
            "factors": m.factors,
            "shards": m.shards,
            "shard_items": {"min": sum.smallest, "median": sum.median, "max": sum.largest},
            "first_bytes": sum.first_bytes,
            "strict_shards": m.strict.len(),
            "strict_items": sum.strict_items,
            "strict_bytes": sum.strict_bytes,
            "directory_buckets": m.buckets,
            "files": files,
            "bytes": sum.total_bytes,
        }))?);
    }
    let mut text = String::new();
    writeln!(
        text,
        "{}: Tastebud publication, version {}, {} files, {:.1} KB in all",
        args.model.display(),
        m.version,
        files,
        sum.total_bytes as f64 / 1024.0
    )?;
    writeln!(text, "items           {} x {} factors", m.items, m.factors)?;
    writeln!(
        text,
        "shards          {} ({} to {} items, median {})",
        m.shards, sum.smallest, sum.largest, sum.median
    )?;
    writeln!(
        text,
        "first read      {:.1} KB ({} and {})",
        sum.first_bytes as f64 / 1024.0,
        m.head.file,
        m.fold.file
    )?;
    writeln!(
        text,
        "strict set      {} shards, {} items, {:.1} KB",
        m.strict.len(),
        sum.strict_items,
        sum.strict_bytes as f64 / 1024.0
    )?;
    writeln!(
        text,
        "directory       {} buckets in {} tables; shards in {} tables",
        m.buckets,
        m.directory_tables.len(),
        m.shard_tables.len()
    )?;
    Ok(output::emit(&text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_lists_what_is_known() {
        let p = Provenance {
            source: "tastebud als".into(),
            iterations: Some(15),
            seed: Some(42),
            ..Provenance::default()
        };
        assert_eq!(describe(&p), "tastebud als: 15 iterations, seed 42");
        assert_eq!(describe(&Provenance::default()), "unknown source");
    }
}
