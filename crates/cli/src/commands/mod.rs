//! One module per subcommand, each with its clap arguments and a `run`.

pub mod catalog;
pub mod demo_data;
pub mod evaluate;
pub mod fold_in;
pub mod import;
pub mod inspect;
pub mod latency;
pub mod recommend;
pub mod train;
pub mod tune;

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use tastebud_core::Model;

use crate::input::{io_reason, read_file};

/// Reads and validates a model file.
pub fn load_model(path: &Path) -> Result<Model> {
    parse_model(path, &read_file(path)?)
}

/// Validates the bytes of the model file at `path`.
pub fn parse_model(path: &Path, bytes: &[u8]) -> Result<Model> {
    Model::from_bytes(bytes).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// readers never see a half-written model and a failed write leaves any old file intact.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        bail!(
            "cannot write {}: {}; check that its directory exists and is writable",
            path.display(),
            io_reason(&e)
        );
    }
    Ok(())
}

/// Model indices of `ids`, in order, without repeats; every unknown id is listed in the error.
pub fn item_indices(model: &Model, model_path: &Path, ids: &[String]) -> Result<Vec<u32>> {
    let mut indices = Vec::with_capacity(ids.len());
    let mut unknown = Vec::new();
    for id in ids.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match model.item_index(id) {
            Some(i) if !indices.contains(&i) => indices.push(i),
            Some(_) => {}
            None => unknown.push(id),
        }
    }
    if !unknown.is_empty() {
        bail!(
            "{} not in the model: {}; list the model's item ids with `tastebud inspect {} --ids`",
            if unknown.len() == 1 {
                "item is"
            } else {
                "items are"
            },
            unknown.join(", "),
            model_path.display()
        );
    }
    if indices.is_empty() {
        bail!("--items is empty; give item ids separated by commas");
    }
    Ok(indices)
}
