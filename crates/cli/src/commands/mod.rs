//! One module per subcommand, each with its clap arguments and a `run`.

pub mod catalog;
pub mod demo_data;
pub mod evaluate;
pub mod fold_in;
pub mod import;
pub mod inspect;
pub mod latency;
pub mod leave_last_out;
pub mod publish;
pub mod recommend;
pub mod train;
pub mod tune;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use tastebud_core::Model;

use crate::input::{io_reason, read_model_file};

/// Reads and checks a publication's `manifest.json`.
pub fn read_manifest(path: &Path) -> Result<tastebud_core::Manifest> {
    let bytes = crate::input::read_file(path)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| anyhow!("{}: not UTF-8 text", path.display()))?;
    tastebud_core::Manifest::from_json(text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Reads the files of the publication whose manifest is at `manifest_path`, each checked against
/// the manifest's SHA-256.
pub fn published_reader(
    manifest_path: &Path,
) -> impl FnMut(&tastebud_core::FileRef) -> tastebud_core::Result<Vec<u8>> {
    let dir = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    move |f| {
        let bytes = crate::input::read_file(&dir.join(&f.file))
            .map_err(|e| tastebud_core::Error::Published(format!("{e:#}")))?;
        if !tastebud_core::sha256_hex(&bytes).starts_with(f.hash()) || f.hash().len() != 16 {
            return Err(tastebud_core::Error::Published(format!(
                "{} does not have the SHA-256 its name gives: it is corrupt or from another publication; upload it again",
                f.file
            )));
        }
        Ok(bytes)
    }
}

/// Reads and validates a model file.
pub fn load_model(path: &Path) -> Result<Model> {
    parse_model(path, &read_model_file(path)?)
}

/// Validates the bytes of the model file at `path`.
pub fn parse_model(path: &Path, bytes: &[u8]) -> Result<Model> {
    Model::from_bytes(bytes).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// readers never see a half-written model and a failed write leaves any old file intact.
///
/// Only a regular file, or a path where nothing is yet, is replaced that way. A symlink is
/// written through: the file it points to is replaced and the link stays. Anything else (a
/// directory, a device such as `/dev/null`, a named pipe, a socket) is refused with an error and
/// left untouched. The replaced file keeps its permissions.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = write_target(path)?;
    let name = target
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = target.with_file_name(tmp_name);
    let permissions = fs::metadata(&target).ok().map(|m| m.permissions());
    let written = fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| match permissions {
            Some(p) => fs::set_permissions(&tmp, p),
            None => Ok(()),
        })
        .and_then(|()| fs::rename(&tmp, &target));
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

/// Where a write to `path` lands: `path` itself, or the end of its chain of symlinks (which may
/// not exist yet). Refuses a path that is, or links to, something other than a regular file.
fn write_target(path: &Path) -> Result<PathBuf> {
    let mut at = path.to_path_buf();
    // Linux's own limit on links followed in one lookup.
    for _ in 0..40 {
        let meta = match fs::symlink_metadata(&at) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(at),
            Err(e) => bail!("cannot write {}: {}", path.display(), io_reason(&e)),
        };
        let kind = meta.file_type();
        if kind.is_file() {
            return Ok(at);
        }
        if !kind.is_symlink() {
            let what = special_kind(&kind);
            if at == path {
                bail!(
                    "refusing to write {}: it is {what}, not a regular file; give the path of a file to create or replace",
                    path.display()
                );
            }
            bail!(
                "refusing to write {}: it links to {}, which is {what}, not a regular file",
                path.display(),
                at.display()
            );
        }
        let link =
            fs::read_link(&at).with_context(|| format!("cannot read the link {}", at.display()))?;
        at = match at.parent() {
            Some(dir) if link.is_relative() => dir.join(link),
            _ => link,
        };
    }
    bail!(
        "cannot write {}: too many levels of symbolic links",
        path.display()
    )
}

/// "a directory", "a character device", ... for an error message.
fn special_kind(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_fifo() {
            return "a named pipe";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
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
