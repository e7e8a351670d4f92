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

/// `--out` replaces only regular files: through a symlink it replaces the file linked to, and it
/// refuses directories and special files (a named pipe here stands for a device such as
/// /dev/null, which a test must never write to) without touching them.
#[test]
fn out_replaces_regular_files_writes_through_links_and_refuses_special_files() {
    use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.tsv", common::two_clusters_tsv());
    let train = |out: &std::path::Path| {
        let mut args = vec!["train", "--interactions", s(&log), "--out", s(out)];
        args.extend(common::SMALL);
        common::tastebud(args)
    };

    // A regular file is replaced and keeps its permissions.
    let real = write(dir.path(), "real.tbm", "old");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(train(&real).status.success());
    assert_ne!(std::fs::read(&real).unwrap(), b"old");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // A link stays a link; the file it names is replaced, or created when missing.
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.tbm");
    symlink("real.tbm", &link).unwrap();
    assert!(train(&link).status.success());
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_ne!(std::fs::read(&real).unwrap(), b"old");
    let dangling = dir.path().join("dangling.tbm");
    symlink("sub-model.tbm", &dangling).unwrap();
    assert!(train(&dangling).status.success());
    assert!(dir.path().join("sub-model.tbm").is_file());

    // Special files and directories are refused and left as they were.
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let e = fails({
        let mut a = vec!["train", "--interactions", s(&log), "--out", s(&fifo)];
        a.extend(common::SMALL);
        a
    });
    assert!(e.contains("it is a named pipe, not a regular file"), "{e}");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let to_fifo = dir.path().join("to-pipe.tbm");
    symlink(&fifo, &to_fifo).unwrap();
    let e = fails({
        let mut a = vec!["train", "--interactions", s(&log), "--out", s(&to_fifo)];
        a.extend(common::SMALL);
        a
    });
    assert!(e.contains("which is a named pipe"), "{e}");
    let e = fails({
        let mut a = vec!["train", "--interactions", s(&log), "--out", s(dir.path())];
        a.extend(common::SMALL);
        a
    });
    assert!(e.contains("it is a directory"), "{e}");
    // Nothing was left behind but what the test made.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "dangling.tbm",
            "link.tbm",
            "log.tsv",
            "pipe",
            "real.tbm",
            "sub-model.tbm",
            "to-pipe.tbm"
        ]
    );
}

/// Ids are data: a model trained on a log whose item ids hold terminal escape codes (ESC, a C1
/// CSI, a right-to-left override) prints them escaped, in text, JSON and error messages.
#[test]
fn escape_codes_in_ids_reach_the_terminal_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "x\u{1b}]0;owned\u{7}\u{9b}2J\u{202e}";
    let mut log = common::two_clusters_tsv();
    for u in 0..20 {
        log.push_str(&format!("u{u}\t{hostile}\n"));
    }
    let log = write(dir.path(), "log.tsv", log);
    let model = dir.path().join("m.tbm");
    let mut args = vec!["train", "--interactions", s(&log), "--out", s(&model)];
    args.extend(common::SMALL);
    common::ok(args);
    let hazard = |text: &str| {
        text.chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}')
    };
    for args in [
        vec!["inspect", s(&model)],
        vec!["inspect", s(&model), "--ids"],
        vec!["inspect", s(&model), "--json"],
        vec![
            "recommend",
            "--model",
            s(&model),
            "--items",
            "a1",
            "--n",
            "20",
        ],
    ] {
        let out = common::ok(&args);
        assert!(!hazard(&out), "{args:?}: {out:?}");
        assert!(
            out.contains("x\\u001b]0;owned\\u0007\\u009b2J\\u202e"),
            "{args:?}: {out}"
        );
    }
    let json = common::json(["inspect", s(&model), "--json"]);
    assert!(json.to_string().contains("\\u001b"), "still the same JSON");
    let out = common::tastebud([
        "recommend",
        "--model",
        s(&model),
        "--items",
        &format!("{hostile}z"),
    ]);
    let all = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
    assert!(all.contains("\\u001b"), "{all:?}");
    assert!(!hazard(&all), "{all:?}");
}

/// A device or an endless stream given as a model is refused at once, not read forever.
#[test]
fn devices_and_endless_streams_are_not_read_as_models() {
    let e = fails(["inspect", "/dev/zero"]);
    assert!(e.contains("it is a device, not a file"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("endless");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            let block = [0u8; 1 << 16];
            // Until the reader goes away (a broken pipe), or 4 GiB.
            for _ in 0..(1 << 16) {
                if f.write_all(&block).is_err() {
                    break;
                }
            }
        })
    };
    let e = fails(["inspect", s(&fifo)]);
    assert!(e.contains("not a Tastebud model"), "{e}");
    writer.join().unwrap();
}
