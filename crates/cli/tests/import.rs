//! `tastebud import` from a hand-written .npy and a .csv: the imported model recommends exactly
//! what a fold-in done by hand with the core gives.

mod common;

use std::path::Path;

use common::{fails, json, ok, s, write};
use ndarray::Array2;
use tastebud_core::{fold_in, Confidence, FoldInParams, RegularizationScaling};

const N: usize = 6;
const K: usize = 3;

fn factors() -> Array2<f32> {
    Array2::from_shape_fn((N, K), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 10.0 - 0.4)
}

fn ids() -> String {
    (0..N).map(|i| format!("item-{i}\n")).collect()
}

/// A version 1.0 `.npy` file as `numpy.save` writes it.
fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut header = header.to_owned();
    // The preamble plus the header is padded with spaces to a multiple of 64, then a newline.
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn factors_npy() -> Vec<u8> {
    let data: Vec<u8> = factors().iter().flat_map(|v| v.to_le_bytes()).collect();
    npy(
        &format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({N}, {K}), }}"),
        &data,
    )
}

fn factors_csv() -> String {
    factors()
        .rows()
        .into_iter()
        .map(|r| r.iter().map(f32::to_string).collect::<Vec<_>>().join(",") + "\n")
        .collect()
}

/// The top `n` items for `history` (r = 1 each), by the core's fold-in and a naive scoring loop.
fn by_hand(params: &FoldInParams, history: &[u32], n: usize) -> Vec<(String, f32)> {
    let y = factors();
    let mut gram = vec![0f64; K * K];
    for row in y.rows() {
        for a in 0..K {
            for b in 0..K {
                gram[a * K + b] += row[a] as f64 * row[b] as f64;
            }
        }
    }
    let hist: Vec<(u32, f32)> = history.iter().map(|&i| (i, 1.0)).collect();
    let x = fold_in(y.view(), &gram, params, &hist).unwrap();
    let mut scored: Vec<(usize, f32)> = (0..N)
        .filter(|i| !history.contains(&(*i as u32)))
        .map(|i| (i, (0..K).map(|j| y[[i, j]] * x[j]).sum()))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
        .into_iter()
        .take(n)
        .map(|(i, s)| (format!("item-{i}"), s))
        .collect()
}

fn recommend(model: &Path) -> Vec<(String, f32)> {
    let top = json([
        "recommend",
        "--model",
        s(model),
        "--items",
        "item-1,item-4",
        "--n",
        "3",
        "--json",
    ]);
    top.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["item"].as_str().unwrap().to_owned(),
                r["score"].as_f64().unwrap() as f32,
            )
        })
        .collect()
}

fn assert_same(got: &[(String, f32)], want: &[(String, f32)]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0, "{got:?} vs {want:?}");
        assert!(
            (g.1 - w.1).abs() <= 1e-5 * w.1.abs().max(1.0),
            "{got:?} vs {want:?}"
        );
    }
}

#[test]
fn npy_import_recommends_as_the_core_folds_in() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(d, "factors.npy", factors_npy());
    let ids = write(d, "ids.txt", ids());
    let pop = write(d, "pop.txt", "5\n0\n9\n1\n2\n3\n");
    let model = d.join("m.tbm");
    let text = ok([
        "import",
        "--factors",
        s(&f),
        "--item-ids",
        s(&ids),
        "--regularization",
        "0.1",
        "--alpha",
        "2",
        "--confidence",
        "one-plus",
        "--popularity",
        s(&pop),
        "--out",
        s(&model),
    ]);
    assert!(text.starts_with("imported 6 items x 3 factors"), "{text}");

    let params = FoldInParams {
        regularization: 0.1,
        alpha: 2.0,
        confidence: Confidence::OnePlus,
        regularization_scaling: RegularizationScaling::Constant,
    };
    assert_same(&recommend(&model), &by_hand(&params, &[1, 4], 3));

    let info = json(["inspect", s(&model), "--json"]);
    assert_eq!(info["provenance"]["source"], "import");
    assert_eq!(info["most_popular"][0]["item"], "item-2");
    assert_eq!(info["most_popular"][0]["users"], 9);
}

#[test]
fn csv_import_recommends_as_the_core_folds_in() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(d, "factors.csv", factors_csv());
    let ids = write(d, "ids.txt", ids());
    let model = d.join("m.tbm");
    ok([
        "import",
        "--factors",
        s(&f),
        "--item-ids",
        s(&ids),
        "--regularization",
        "0.5",
        "--alpha",
        "8",
        "--confidence",
        "alpha-times",
        "--regularization-scaling",
        "by-count",
        "--out",
        s(&model),
    ]);
    let params = FoldInParams {
        regularization: 0.5,
        alpha: 8.0,
        confidence: Confidence::AlphaTimes,
        regularization_scaling: RegularizationScaling::ByCount,
    };
    assert_same(&recommend(&model), &by_hand(&params, &[1, 4], 3));
}

#[test]
fn bad_inputs_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let npy_file = write(d, "f.npy", factors_npy());
    let csv_file = write(d, "f.csv", factors_csv());
    let ids_file = write(d, "ids.txt", ids());
    let out = d.join("m.tbm");
    let import = |factors: &Path, ids: &Path| {
        fails([
            "import",
            "--factors",
            s(factors),
            "--item-ids",
            s(ids),
            "--regularization",
            "0.1",
            "--alpha",
            "2",
            "--confidence",
            "one-plus",
            "--out",
            s(&out),
        ])
    };

    let dup = write(d, "dup.txt", "a\nb\nc\nb\ne\nf\n");
    let e = import(&npy_file, &dup);
    assert!(
        e.contains("dup.txt:4: item id \"b\" already appears on line 2"),
        "{e}"
    );
    let short = write(d, "short.txt", "a\nb\n");
    let e = import(&npy_file, &short);
    assert!(e.contains("short.txt has 2 item ids but"), "{e}");

    let big_endian = write(
        d,
        "be.npy",
        npy(
            "{'descr': '>f4', 'fortran_order': False, 'shape': (6, 3), }",
            &[0; 72],
        ),
    );
    let e = import(&big_endian, &ids_file);
    assert!(e.contains("be.npy: the array's dtype is \">f4\""), "{e}");
    // A header that claims more rows than the file holds.
    let lying = write(
        d,
        "lying.npy",
        npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (600000000, 3), }",
            &[0; 72],
        ),
    );
    let e = import(&lying, &ids_file);
    assert!(e.contains("but 72 data bytes follow"), "{e}");

    let nan = write(d, "nan.csv", "0.1,0.2,0.3\n0.1,NaN,0.3\n");
    let e = import(&nan, &ids_file);
    assert!(
        e.contains("nan.csv:2: \"NaN\" is not a finite number"),
        "{e}"
    );
    let ragged = write(d, "ragged.csv", "1,2,3\n4,5\n");
    let e = import(&ragged, &ids_file);
    assert!(
        e.contains("ragged.csv:2: 2 factors, but earlier rows have 3"),
        "{e}"
    );
    let e = import(&d.join("f.txt"), &ids_file);
    assert!(e.contains("name it .npy (numpy.save) or .csv"), "{e}");

    let e = fails([
        "import",
        "--factors",
        s(&csv_file),
        "--item-ids",
        s(&ids_file),
        "--regularization",
        "0",
        "--alpha",
        "2",
        "--confidence",
        "one-plus",
        "--out",
        s(&out),
    ]);
    assert!(
        e.contains("regularization must be finite and > 0, got 0"),
        "{e}"
    );
    assert!(!out.exists());
}
