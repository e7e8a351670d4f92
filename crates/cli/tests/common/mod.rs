//! Helpers shared by the integration tests: run the built `tastebud` binary on small files.
#![allow(dead_code)] // each test file uses a different subset

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `tastebud` with `args`.
pub fn tastebud<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_tastebud"))
        .args(args)
        .output()
        .expect("the tastebud binary runs")
}

/// Runs `tastebud`, asserts success and returns stdout.
pub fn ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = tastebud(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "failed with {:?}: {stderr}",
        out.status
    );
    String::from_utf8(out.stdout).expect("UTF-8 stdout")
}

/// Runs `tastebud` with `--json` already among `args` and parses stdout.
pub fn json<I, S>(args: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let text = ok(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Runs `tastebud`, asserts the error exit (2, a one-line `tastebud:` message, no panic) and
/// returns stderr.
pub fn fails<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = tastebud(args);
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 stderr");
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.starts_with("tastebud: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

/// Writes `contents` to `dir/name`.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write test file");
    path
}

/// Item ids of the first cluster (`a0` to `a7`) or the second (`b0` to `b7`).
pub fn cluster(name: char) -> Vec<String> {
    (0..8).map(|i| format!("{name}{i}")).collect()
}

/// A tsv log of 40 users in two groups: users `u0`-`u19` like most of items `a0`-`a7`, users
/// `u20`-`u39` most of `b0`-`b7`.
pub fn two_clusters_tsv() -> String {
    let mut log = String::new();
    for u in 0..40 {
        let group = if u < 20 { 'a' } else { 'b' };
        for i in 0..8 {
            if (u + i) % 4 != 0 {
                log.push_str(&format!("u{u}\t{group}{i}\n"));
            }
        }
    }
    log
}

/// Small, fast training flags for the two-cluster data.
pub const SMALL: [&str; 6] = ["--factors", "2", "--iterations", "10", "--seed", "7"];

/// Trains a model on the two clusters in `dir` and returns its path.
pub fn two_cluster_model(dir: &Path) -> PathBuf {
    let log = write(dir, "log.tsv", two_clusters_tsv());
    let model = dir.join("model.tbm");
    let mut args = vec!["train", "--interactions", s(&log), "--out", s(&model)];
    args.extend(SMALL);
    ok(args);
    model
}

/// Path as `&str`, for building argument lists (temporary directories are UTF-8 here).
pub fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// A file under the repository's `tests/fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(path)
}
