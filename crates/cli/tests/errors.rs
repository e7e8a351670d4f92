//! Damaged model files and closed pipes: clear messages or a quiet exit, never a panic.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{fails, s, two_cluster_model, write};

#[test]
fn truncated_and_corrupt_models_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let model = two_cluster_model(dir.path());
    let bytes = std::fs::read(&model).unwrap();

    for len in [0, 10, 100, bytes.len() / 2, bytes.len() - 1] {
        let cut = write(dir.path(), "cut.tbm", &bytes[..len]);
        let e = fails(["inspect", s(&cut)]);
        assert!(e.starts_with(&format!("tastebud: {}: ", s(&cut))), "{e}");
        fails(["recommend", "--model", s(&cut), "--items", "a1"]);
    }

    let mut flipped = bytes.clone();
    let at = flipped.len() - 40;
    flipped[at] ^= 0x55;
    let bad = write(dir.path(), "flipped.tbm", &flipped);
    let e = fails(["recommend", "--model", s(&bad), "--items", "a1"]);
    assert!(e.contains("checksum mismatch"), "{e}");

    let text = write(
        dir.path(),
        "notes.tbm",
        "just some text, long enough to have a preamble",
    );
    let e = fails(["inspect", s(&text)]);
    assert!(e.contains("not a Tastebud model file"), "{e}");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // Enough ids that the output cannot fit in a pipe buffer.
    let n = 20_000;
    let ids: String = (0..n)
        .map(|i| format!("item-with-a-long-name-{i}\n"))
        .collect();
    let ids = write(dir.path(), "ids.txt", ids);
    let factors = write(dir.path(), "f.csv", "0.5\n".repeat(n));
    let model = dir.path().join("big.tbm");
    common::ok([
        "import",
        "--factors",
        s(&factors),
        "--item-ids",
        s(&ids),
        "--regularization",
        "0.1",
        "--alpha",
        "1",
        "--confidence",
        "alpha-times",
        "--out",
        s(&model),
    ]);

    let mut child = Command::new(env!("CARGO_BIN_EXE_tastebud"))
        .args(["inspect", s(&model), "--ids"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here, like `tastebud inspect --ids | head -c 16`.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
