"""Tastebud against implicit (the peer library), side by side in one run.

Both libraries train with the same hyperparameters on the same seeded split, and are scored by the
same metric code. Run it through `scripts/bench-peer.sh`, which installs implicit into a virtualenv
and builds the `tastebud` binary first.

Protocol (../shared/data/README.md): every row is one implicit interaction (user-item pairs
deduplicated); each user with >= 5 interactions has round(20%) (at least 1) of them held out
uniformly at random (numpy default_rng(42), users in increasing id order); each test user gets 10
recommendations from the items not in their training set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

import implicit
from implicit.als import AlternatingLeastSquares

DATASETS = {
    "ml-100k": ("ml-100k/u.data", "\t"),
    "ml-1m-ge4": ("ml-1m-ge4/ratings_ge4.dat", "::"),
}


def load_pairs(path: Path, sep: str) -> tuple[np.ndarray, np.ndarray]:
    users, items = [], []
    with open(path, encoding="latin-1") as f:
        for line in f:
            parts = line.rstrip("\n").split(sep)
            if len(parts) >= 2:
                users.append(int(parts[0]))
                items.append(int(parts[1]))
    pairs = np.unique(np.stack([users, items], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def split(users: np.ndarray, items: np.ndarray, seed: int = 42, fraction: float = 0.2):
    """The seeded per-user holdout of the reference protocol."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    order = np.argsort(users, kind="stable")
    users, items = users[order], items[order]
    bounds = np.flatnonzero(np.diff(users)) + 1
    for u_items, u in zip(np.split(items, bounds), users[np.r_[0, bounds]]):
        if len(u_items) >= 5:
            n_test = max(1, int(round(fraction * len(u_items))))
            held = rng.choice(len(u_items), size=n_test, replace=False)
            mask = np.zeros(len(u_items), dtype=bool)
            mask[held] = True
            test += [(u, i) for i in u_items[mask]]
            train += [(u, i) for i in u_items[~mask]]
        else:
            train += [(u, i) for i in u_items]
    return train, test


def write_tsv(path: Path, rows) -> None:
    with open(path, "w") as f:
        for u, i in rows:
            f.write(f"{u}\t{i}\n")


def metrics(recs: dict[int, list[int]], test: dict[int, set[int]], n_items: int, k: int = 10):
    """P@k, R@k, nDCG@k (binary gains) and coverage, as tastebud-core's `evaluate` defines them."""
    p = r = ndcg = 0.0
    seen = set()
    for u, truth in test.items():
        got = recs.get(u, [])[:k]
        hits = [i in truth for i in got]
        p += sum(hits) / k
        r += sum(hits) / len(truth)
        dcg = sum(1 / np.log2(rank + 2) for rank, h in enumerate(hits) if h)
        idcg = sum(1 / np.log2(rank + 2) for rank in range(min(k, len(truth))))
        ndcg += dcg / idcg
        seen.update(got)
    n = len(test)
    return {"precision": p / n, "recall": r / n, "ndcg": ndcg / n, "coverage": len(seen) / n_items}


def run(cmd: list[str]) -> str:
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{out.stderr}")
    return out.stdout


def bench_dataset(name: str, data_dir: Path, tastebud: str, work: Path, args) -> dict:
    rel, sep = DATASETS[name]
    users, items = load_pairs(data_dir / rel, sep)
    train, test = split(users, items)
    train_tsv, test_tsv = work / f"{name}.train.tsv", work / f"{name}.test.tsv"
    write_tsv(train_tsv, train)
    write_tsv(test_tsv, test)

    # implicit's view: a user x item CSR matrix of ones over dense indices.
    user_ids = sorted({u for u, _ in train} | {u for u, _ in test})
    item_ids = sorted({i for _, i in train})
    uix = {u: n for n, u in enumerate(user_ids)}
    iix = {i: n for n, i in enumerate(item_ids)}
    rows = [uix[u] for u, _ in train]
    cols = [iix[i] for _, i in train]
    user_items = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(user_ids), len(item_ids))
    )
    test_sets: dict[int, set[int]] = {}
    for u, i in test:
        if i in iix:  # an item seen only in test cannot be recommended by either library
            test_sets.setdefault(uix[u], set()).add(iix[i])
        else:
            test_sets.setdefault(uix[u], set()).add(-1 - i)

    hp = dict(factors=args.factors, regularization=args.regularization, alpha=args.alpha,
              iterations=args.iterations)

    # --- implicit: fit 3 times, median.
    fit_times = []
    model = None
    for rep in range(args.repeats):
        model = AlternatingLeastSquares(**hp, random_state=42, num_threads=args.threads,
                                        calculate_training_loss=False)
        t0 = time.perf_counter()
        model.fit(user_items, show_progress=False)
        fit_times.append(time.perf_counter() - t0)
    test_users = np.array(sorted(test_sets), dtype=np.int32)
    ids, _ = model.recommend(test_users, user_items[test_users], N=10,
                             filter_already_liked_items=True)
    imp_recs = {int(u): [int(i) for i in row] for u, row in zip(test_users, ids)}
    imp = metrics(imp_recs, test_sets, len(item_ids))
    imp["fit_seconds"] = statistics.median(fit_times)

    # --- tastebud: train 3 times (fit time as reported by the CLI, excluding file parsing).
    model_path = work / f"{name}.tbm"
    tb_times = []
    for rep in range(args.repeats):
        summary = json.loads(run([
            tastebud, "train", "--interactions", str(train_tsv), "--format", "tsv",
            "--factors", str(args.factors), "--regularization", str(args.regularization),
            "--alpha", str(args.alpha), "--iterations", str(args.iterations), "--cg-steps", "3",
            "--seed", "42", "--threads", str(args.threads), "--out", str(model_path), "--json",
        ]))
        tb_times.append(summary["fit_seconds"])
    tb_eval = json.loads(run([
        tastebud, "evaluate", "--model", str(model_path), "--train", str(train_tsv),
        "--test", str(test_tsv), "--format", "tsv", "--k", "10", "--json",
    ]))
    tb = {k: tb_eval[k] for k in ("precision", "recall", "ndcg", "coverage")}
    tb["fit_seconds"] = statistics.median(tb_times)

    # --- fold-in + top-10 latency for a 20-item visitor: the first test user with >= 20
    # training items, the same for both.
    visitor = next(u for u in test_users if user_items[u].nnz >= 20)
    row = user_items[visitor]
    visitor_items = row.indices[:20]
    visitor_row = sp.csr_matrix(
        (np.ones(20, dtype=np.float32), (np.zeros(20, dtype=np.int32), visitor_items)),
        shape=(1, len(item_ids)),
    )
    model.recommend(0, visitor_row, N=10, recalculate_user=True)  # computes and caches Y^T Y
    samples = []
    for _ in range(args.latency_runs):
        t0 = time.perf_counter()
        model.recommend(0, visitor_row, N=10, recalculate_user=True)
        samples.append(time.perf_counter() - t0)
    imp["latency_ms"] = statistics.median(samples) * 1e3
    visitor_ids = ",".join(str(item_ids[i]) for i in visitor_items)
    lat = json.loads(run([
        tastebud, "latency", "--model", str(model_path), "--items", visitor_ids,
        "--n", "10", "--runs", str(args.latency_runs), "--json",
    ]))
    tb["latency_ms"] = lat["median_ms"]

    # --- implicit's own item factors through `tastebud import`: fold-in must agree.
    factors_npy, ids_txt = work / f"{name}.implicit.npy", work / f"{name}.ids.txt"
    np.save(factors_npy, np.asarray(model.item_factors, dtype=np.float32))
    ids_txt.write_text("".join(f"{i}\n" for i in item_ids))
    imported = work / f"{name}.implicit.tbm"
    run([tastebud, "import", "--factors", str(factors_npy), "--item-ids", str(ids_txt),
         "--regularization", str(args.regularization), "--alpha", str(args.alpha),
         "--confidence", "alpha-times", "--out", str(imported)])
    same_lists = 0
    worst_rel = 0.0
    visitors = [u for u in test_users if user_items[u].nnz >= 5][: args.import_visitors]
    for u in visitors:
        urow = user_items[u]
        ids_i, scores_i = model.recommend(0, urow, N=10, recalculate_user=True,
                                          filter_already_liked_items=True)
        got = json.loads(run([
            tastebud, "recommend", "--model", str(imported), "--n", "10", "--json",
            "--items", ",".join(str(item_ids[i]) for i in urow.indices),
        ]))
        same_lists += [str(item_ids[i]) for i in ids_i] == [g["item"] for g in got]
        for s_i, g in zip(scores_i, got):
            worst_rel = max(worst_rel, abs(g["score"] - float(s_i)) / max(abs(float(s_i)), 1e-12))

    return {
        "dataset": name,
        "users": len(user_ids),
        "items": len(item_ids),
        "train": len(train),
        "test_users": len(test_sets),
        "implicit": imp,
        "tastebud": tb,
        "import": {"visitors": len(visitors), "same_top10": same_lists,
                   "max_rel_score_diff": worst_rel},
    }


def table(results: list[dict]) -> str:
    lines = [
        "| data | library | fit s (median of 3) | P@10 | R@10 | nDCG@10 | coverage | fold-in + top-10 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for lib in ("implicit", "tastebud"):
            m = r[lib]
            lines.append(
                f"| {r['dataset']} | {lib} | {m['fit_seconds']:.3f} | {m['precision']:.4f} | "
                f"{m['recall']:.4f} | {m['ndcg']:.4f} | {m['coverage']:.3f} | {m['latency_ms']:.4f} |"
            )
        i, t = r["implicit"], r["tastebud"]
        lines.append(
            f"| {r['dataset']} | **ratio tastebud/implicit** | {t['fit_seconds'] / i['fit_seconds']:.2f}x "
            f"| {t['precision'] / i['precision']:.3f} | {t['recall'] / i['recall']:.3f} "
            f"| {t['ndcg'] / i['ndcg']:.3f} | {t['coverage'] / i['coverage']:.2f} "
            f"| {t['latency_ms'] / i['latency_ms']:.2f}x |"
        )
    lines.append("")
    lines.append("| data | import of implicit's factors: identical top-10 | max relative score difference |")
    lines.append("|---|---|---|")
    for r in results:
        imp = r["import"]
        lines.append(f"| {r['dataset']} | {imp['same_top10']}/{imp['visitors']} visitors "
                     f"| {imp['max_rel_score_diff']:.2e} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("TASTEBUD_DATA", "../shared/data"))
    ap.add_argument("--tastebud", default="target/release/tastebud")
    ap.add_argument("--datasets", default="ml-100k,ml-1m-ge4")
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--regularization", type=float, default=0.05)
    ap.add_argument("--alpha", type=float, default=10.0)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--latency-runs", type=int, default=1000)
    ap.add_argument("--import-visitors", type=int, default=20)
    ap.add_argument("--out", default="target/bench/peer.json")
    args = ap.parse_args()

    data = Path(args.data)
    for name in args.datasets.split(","):
        rel, _ = DATASETS[name]
        if not (data / rel).exists():
            sys.exit(f"bench: {data / rel} is missing; pass --data DIR or set TASTEBUD_DATA "
                     "to the folder holding ml-100k/ and ml-1m-ge4/")
    results = []
    with threadpool_limits(limits=1, user_api="blas"), tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets.split(","):
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            results.append(bench_dataset(name, data, args.tastebud, Path(tmp), args))
    report = {"implicit_version": implicit.__version__, "threads": args.threads,
              "results": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(table(results))
    print(f"\n(implicit {implicit.__version__}, {args.threads} threads; JSON in {args.out})")


if __name__ == "__main__":
    main()
