//! Writes the synthetic models the browser benchmark (`scripts/bench-browser.sh`) ranks with:
//! `N` items x 64 factors with seeded random factors, at f32, f16 and int8, as `.tbm` files, and
//! beside each the factors the model ranks with (dequantized, row-major little-endian f32) as
//! `.f32`, so TensorFlow.js and the plain JavaScript loop score exactly the same numbers.
//!
//! ```sh
//! cargo run --release -p tastebud-core --example bench_models -- target/bench/models 10000 100000
//! ```
//!
//! Existing files are kept: the factors depend only on the item count.
use std::path::PathBuf;
use std::process::ExitCode;

use ndarray::Array2;
use tastebud_core::{AlsParams, Model, Precision, Provenance};

const FACTORS: usize = 64;

/// SplitMix64: seeded, dependency-free and good enough for synthetic factors.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-0.5, 0.5).
    fn unit(&mut self) -> f32 {
        ((self.next() >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }
}

fn write(dir: &std::path::Path, items: usize) -> Result<(), String> {
    let mut rng = SplitMix(items as u64);
    // Item factors with a popularity-like spread in norm, as trained ones have.
    let mut factors = Array2::<f32>::zeros((items, FACTORS));
    for mut row in factors.rows_mut() {
        let scale = 0.2 + rng.unit().abs() * 1.6;
        row.iter_mut().for_each(|v| *v = rng.unit() * scale);
    }
    let ids: Vec<String> = (0..items).map(|i| format!("item-{i}")).collect();
    let popularity: Vec<u32> = (0..items).map(|_| (rng.next() % 1000) as u32).collect();
    let fold_in = AlsParams::new()
        .factors(FACTORS)
        .check()
        .map_err(|e| e.to_string())?
        .fold_in();
    for precision in [Precision::F32, Precision::F16, Precision::Int8] {
        let stem = format!("{items}-{}", precision.name());
        let tbm = dir.join(format!("{stem}.tbm"));
        let raw = dir.join(format!("{stem}.f32"));
        if tbm.exists() && raw.exists() {
            continue;
        }
        let model = Model::new(
            ids.clone(),
            factors.clone(),
            fold_in,
            popularity.clone(),
            precision,
            Provenance::default(),
        )
        .map_err(|e| e.to_string())?;
        let values: Vec<u8> = model
            .item_factors()
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        std::fs::write(&raw, values).map_err(|e| format!("{}: {e}", raw.display()))?;
        std::fs::write(&tbm, model.to_bytes()).map_err(|e| format!("{}: {e}", tbm.display()))?;
        eprintln!("bench_models: wrote {}", tbm.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: bench_models DIR ITEMS...");
        return ExitCode::from(2);
    };
    let result = std::fs::create_dir_all(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))
        .and_then(|()| {
            args.try_for_each(|n| {
                let items = n
                    .parse()
                    .map_err(|_| format!("item count must be a number, got {n:?}"))?;
                write(&dir, items)
            })
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_models: {e}");
            ExitCode::from(2)
        }
    }
}
