"""Tastebud against its peers, side by side in one run, on the same seeded splits.

Two tables:

1. **Accuracy.** On each data set's 20% holdout: implicit with its defaults; `tastebud tune`,
   which searches on a validation split carved from the training part alone; EASE (Steck 2019) in
   numpy with lambda chosen on that same validation split (`tune --save-split`); implicit with
   the parameters `tune` found, translated into implicit's formulation. nDCG@10, R@10, tail share,
   fit and tune time, with ratios.
2. **Parity.** implicit and tastebud with the same hyperparameters (implicit's defaults): fit time,
   fold-in latency, and agreement when tastebud imports implicit's factors.

Run it through `scripts/bench-peer.sh`, which installs implicit into a virtualenv and builds the
`tastebud` binary first.

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

# name: (path under the data folder, separator or "sequences")
DATASETS = {
    "ml-100k": ("ml-100k/u.data", "\t"),
    "ml-1m-ge4": ("ml-1m-ge4/ratings_ge4.dat", "::"),
    "amazon-sports": ("amazon-sports/Sports_and_Outdoors.txt", "sequences"),
}

# EASE's lambda grid, searched on the validation split.
EASE_LAMBDAS = [50.0, 100.0, 200.0, 400.0, 800.0, 1600.0]

IMPLICIT_DEFAULTS = dict(factors=64, regularization=0.05, alpha=10.0, iterations=15)


def load_pairs(path: Path, sep: str) -> tuple[np.ndarray, np.ndarray]:
    users, items = [], []
    with open(path, encoding="latin-1") as f:
        for line in f:
            if sep == "sequences":
                parts = line.split()
                users += [int(parts[0])] * (len(parts) - 1)
                items += [int(i) for i in parts[1:]]
                continue
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


def check_datasets(data: Path, names: str) -> None:
    """Exits with a clear message if a name in the comma-separated `names` is unknown or its
    file is not under `data`."""
    for name in names.split(","):
        if name not in DATASETS:
            sys.exit(f"bench: unknown data set {name!r}; known: {', '.join(DATASETS)}")
        rel, _ = DATASETS[name]
        if not (data / rel).exists():
            sys.exit(f"bench: {data / rel} is missing; pass --data DIR or set TASTEBUD_DATA "
                     "to the folder holding ml-100k/, ml-1m-ge4/ and amazon-sports/")


def write_tsv(path: Path, rows) -> None:
    with open(path, "w") as f:
        for u, i in rows:
            f.write(f"{u}\t{i}\n")


def read_tsv(path: Path) -> list[tuple[int, int]]:
    with open(path) as f:
        return [(int(a), int(b)) for a, b, *_ in (line.split("\t") for line in f if line.strip())]


class Problem:
    """A train/test pair over dense indices: the training matrix and each test user's items."""

    def __init__(self, train, test):
        self.user_ids = sorted({u for u, _ in train} | {u for u, _ in test})
        self.item_ids = sorted({i for _, i in train})
        uix = {u: n for n, u in enumerate(self.user_ids)}
        iix = {i: n for n, i in enumerate(self.item_ids)}
        rows = [uix[u] for u, _ in train]
        cols = [iix[i] for _, i in train]
        self.x = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(self.user_ids), len(self.item_ids)),
        )
        self.x.sum_duplicates()
        self.x.data[:] = 1.0
        self.test: dict[int, set[int]] = {}
        for u, i in test:
            # An item seen only in test cannot be recommended by anyone: a miss for all.
            self.test.setdefault(uix[u], set()).add(iix.get(i, -1 - i))
        self.test_users = np.array(sorted(self.test), dtype=np.int32)
        self.popularity = np.asarray(self.x.sum(axis=0)).ravel()
        self.tail = long_tail(self.popularity)


def long_tail(popularity: np.ndarray, head_share: float = 0.8) -> np.ndarray:
    """Items outside the smallest most-popular set holding `head_share` of all interactions, as
    tastebud-core's `long_tail` defines it."""
    order = sorted(range(len(popularity)), key=lambda i: (-popularity[i], i))
    total = popularity.sum()
    covered = 0.0
    tail = np.zeros(len(popularity), dtype=bool)
    for i in order:
        if covered < head_share * total:
            covered += popularity[i]
        else:
            tail[i] = True
    return tail


def metrics(p: Problem, recs: dict[int, list[int]], k: int = 10) -> dict:
    """P@k, R@k, nDCG@k (binary gains), coverage and tail share, as tastebud-core defines them."""
    prec = rec = ndcg = 0.0
    seen: set[int] = set()
    tail = shown = 0
    for u, truth in p.test.items():
        got = recs.get(u, [])[:k]
        hits = [i in truth for i in got]
        prec += sum(hits) / k
        rec += sum(hits) / len(truth)
        dcg = sum(1 / np.log2(rank + 2) for rank, h in enumerate(hits) if h)
        idcg = sum(1 / np.log2(rank + 2) for rank in range(min(k, len(truth))))
        ndcg += dcg / idcg
        seen.update(got)
        tail += int(p.tail[got].sum()) if got else 0
        shown += len(got)
    n = len(p.test)
    return {"precision": prec / n, "recall": rec / n, "ndcg": ndcg / n,
            "coverage": len(seen) / len(p.item_ids), "tail_share": tail / max(shown, 1)}


def run(cmd: list[str]) -> str:
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{out.stderr}")
    return out.stdout


def implicit_fit(p: Problem, hp: dict, threads: int, repeats: int):
    times = []
    model = None
    for _ in range(repeats):
        model = AlternatingLeastSquares(**hp, random_state=42, num_threads=threads,
                                        calculate_training_loss=False)
        t0 = time.perf_counter()
        # implicit runs its own threads and wants BLAS on one (its own advice).
        with threadpool_limits(limits=1, user_api="blas"):
            model.fit(p.x, show_progress=False)
        times.append(time.perf_counter() - t0)
    ids, _ = model.recommend(p.test_users, p.x[p.test_users], N=10,
                             filter_already_liked_items=True)
    recs = {int(u): [int(i) for i in row] for u, row in zip(p.test_users, ids)}
    out = metrics(p, recs)
    out["fit_seconds"] = statistics.median(times)
    return model, out


def ease_scores_top10(x: sp.csr_matrix, lam: float, users: np.ndarray, chunk: int = 2048):
    """EASE: B = I - P diag(1/diag(P)), P = (X^T X + lambda I)^-1, diagonal zeroed; top 10 of
    X B per user, training items excluded. float32, as the data README allows."""
    g = (x.T @ x).toarray().astype(np.float32)
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = p / (-np.diag(p))
    b[np.diag_indices_from(b)] = 0.0
    recs = {}
    for start in range(0, len(users), chunk):
        us = users[start:start + chunk]
        xu = x[us]
        s = np.asarray(xu @ b)
        s[xu.nonzero()] = -np.inf
        top = np.argpartition(-s, 10, axis=1)[:, :10]
        order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        recs.update({int(u): [int(i) for i in row] for u, row in zip(us, top)})
    return recs


def ease(train_p: Problem, val_p: Problem, lambdas: list[float]):
    """lambda chosen on the validation problem, then fitted on the training problem."""
    on_validation = {}
    for lam in lambdas:
        on_validation[lam] = metrics(val_p, ease_scores_top10(val_p.x, lam, val_p.test_users))["ndcg"]
        print(f"bench:   EASE lambda {lam:g}: validation nDCG@10 {on_validation[lam]:.4f}",
              file=sys.stderr, flush=True)
    best = max(lambdas, key=lambda lam: on_validation[lam])
    t0 = time.perf_counter()
    recs = ease_scores_top10(train_p.x, best, train_p.test_users)
    seconds = time.perf_counter() - t0
    out = metrics(train_p, recs)
    out["fit_seconds"] = seconds  # the inverse and the scoring of every test user
    out["lambda"] = best
    out["validation"] = on_validation
    return out


def implicit_translation(best: dict, train_p: Problem) -> dict:
    """tune's setting in implicit's terms. implicit weighs an observed cell `alpha * r` and an
    unobserved one 1, with one constant lambda: tastebud's `c = 1 + alpha` becomes implicit's
    alpha, and the frequency-scaled lambda becomes the lambda of the median user (exact when the
    exponent is 0)."""
    n_median = float(np.median(np.diff(train_p.x.indptr)))
    items = len(train_p.item_ids)
    lam = best["regularization"] * (n_median + best["unobserved_weight"] * items) ** best["exponent"]
    return dict(factors=best["factors"], regularization=float(lam),
                alpha=1.0 + best["alpha"], iterations=15)


def bench_dataset(name: str, data_dir: Path, tastebud: str, work: Path, args) -> dict:
    rel, sep = DATASETS[name]
    users, items = load_pairs(data_dir / rel, sep)
    train, test = split(users, items)
    train_tsv, test_tsv = work / f"{name}.train.tsv", work / f"{name}.test.tsv"
    write_tsv(train_tsv, train)
    write_tsv(test_tsv, test)
    p = Problem(train, test)
    out = {"dataset": name, "users": len(p.user_ids), "items": len(p.item_ids),
           "train": len(train), "test_users": len(p.test)}

    # --- implicit with its defaults.
    print(f"bench: {name}: implicit, defaults", file=sys.stderr, flush=True)
    model, out["implicit"] = implicit_fit(p, IMPLICIT_DEFAULTS, args.threads, args.repeats)

    # --- tastebud tune on the training part; its validation split is saved for EASE.
    print(f"bench: {name}: tastebud tune", file=sys.stderr, flush=True)
    split_dir = work / f"{name}.validation"
    tuned_path = work / f"{name}.tuned.tbm"
    tune_cmd = [tastebud, "tune", "--interactions", str(train_tsv), "--format", "tsv",
                "--seed", "42", "--threads", str(args.threads), "--out", str(tuned_path),
                "--save-split", str(split_dir), "--json"]
    if args.budget:
        tune_cmd += ["--budget", str(args.budget)]
    t0 = time.perf_counter()
    tuned = json.loads(run(tune_cmd))
    tune_wall = time.perf_counter() - t0
    ev = json.loads(run([tastebud, "evaluate", "--model", str(tuned_path), "--train",
                         str(train_tsv), "--test", str(test_tsv), "--format", "tsv", "--json"]))
    tb = {k: ev[k] for k in ("precision", "recall", "ndcg", "coverage", "tail_share")}
    # The final fit: the factors and, when tune kept one, the item-item model's solve.
    tb["fit_seconds"] = tuned["fit_seconds"] + tuned.get("neighbours_seconds", 0.0)
    tb["tune_seconds"] = tune_wall
    tb["best"] = tuned["best"]
    tb["neighbours"] = tuned.get("neighbours")
    tb["settings"] = len(tuned["trials"])
    out["tastebud_tuned"] = tb

    # --- EASE, lambda chosen on tune's validation split.
    print(f"bench: {name}: EASE", file=sys.stderr, flush=True)
    val_p = Problem(read_tsv(split_dir / "validation-train.tsv"),
                    read_tsv(split_dir / "validation-test.tsv"))
    out["ease"] = ease(p, val_p, EASE_LAMBDAS)

    # --- implicit with tune's parameters, translated.
    print(f"bench: {name}: implicit, tune's parameters", file=sys.stderr, flush=True)
    hp = implicit_translation(tuned["best"], p)
    _, out["implicit_tuned"] = implicit_fit(p, hp, args.threads, 1)
    out["implicit_tuned"]["params"] = hp

    # --- parity at implicit's defaults: fit time, fold-in latency, import agreement.
    if name in args.parity.split(","):
        out["parity"] = parity(name, p, model, tastebud, train_tsv, test_tsv, work, args)
    return out


def parity(name, p: Problem, model, tastebud, train_tsv, test_tsv, work, args) -> dict:
    print(f"bench: {name}: parity at implicit's defaults", file=sys.stderr, flush=True)
    model_path = work / f"{name}.tbm"
    tb_times = []
    hp = IMPLICIT_DEFAULTS
    for _ in range(args.repeats):
        summary = json.loads(run([
            tastebud, "train", "--interactions", str(train_tsv), "--format", "tsv",
            "--factors", str(hp["factors"]), "--regularization", str(hp["regularization"]),
            "--alpha", str(hp["alpha"]), "--iterations", str(hp["iterations"]),
            "--confidence", "alpha-times", "--regularization-scaling", "constant",
            "--cg-steps", "3", "--seed", "42", "--threads", str(args.threads),
            "--out", str(model_path), "--json",
        ]))
        tb_times.append(summary["fit_seconds"])
    tb_eval = json.loads(run([
        tastebud, "evaluate", "--model", str(model_path), "--train", str(train_tsv),
        "--test", str(test_tsv), "--format", "tsv", "--k", "10", "--json",
    ]))
    tb = {k: tb_eval[k] for k in ("precision", "recall", "ndcg", "coverage")}
    tb["fit_seconds"] = statistics.median(tb_times)
    imp_fit = []
    for _ in range(args.repeats):
        m = AlternatingLeastSquares(**hp, random_state=42, num_threads=args.threads,
                                    calculate_training_loss=False)
        t0 = time.perf_counter()
        with threadpool_limits(limits=1, user_api="blas"):
            m.fit(p.x, show_progress=False)
        imp_fit.append(time.perf_counter() - t0)

    # Fold-in + top-10 latency for a 20-item visitor: the first test user with >= 20 training
    # items, the same for both.
    visitor = next(u for u in p.test_users if p.x[u].nnz >= 20)
    visitor_items = p.x[visitor].indices[:20]
    visitor_row = sp.csr_matrix(
        (np.ones(20, dtype=np.float32), (np.zeros(20, dtype=np.int32), visitor_items)),
        shape=(1, len(p.item_ids)),
    )
    model.recommend(0, visitor_row, N=10, recalculate_user=True)  # computes and caches Y^T Y
    samples = []
    for _ in range(args.latency_runs):
        t0 = time.perf_counter()
        model.recommend(0, visitor_row, N=10, recalculate_user=True)
        samples.append(time.perf_counter() - t0)
    lat = json.loads(run([
        tastebud, "latency", "--model", str(model_path),
        "--items", ",".join(str(p.item_ids[i]) for i in visitor_items),
        "--n", "10", "--runs", str(args.latency_runs), "--json",
    ]))

    # implicit's own item factors through `tastebud import`: fold-in must agree.
    factors_npy, ids_txt = work / f"{name}.implicit.npy", work / f"{name}.ids.txt"
    np.save(factors_npy, np.asarray(model.item_factors, dtype=np.float32))
    ids_txt.write_text("".join(f"{i}\n" for i in p.item_ids))
    imported = work / f"{name}.implicit.tbm"
    run([tastebud, "import", "--factors", str(factors_npy), "--item-ids", str(ids_txt),
         "--regularization", str(hp["regularization"]), "--alpha", str(hp["alpha"]),
         "--confidence", "alpha-times", "--out", str(imported)])
    same_lists = 0
    worst_rel = 0.0
    visitors = [u for u in p.test_users if p.x[u].nnz >= 5][: args.import_visitors]
    for u in visitors:
        urow = p.x[u]
        ids_i, scores_i = model.recommend(0, urow, N=10, recalculate_user=True,
                                          filter_already_liked_items=True)
        got = json.loads(run([
            tastebud, "recommend", "--model", str(imported), "--n", "10", "--json",
            "--items", ",".join(str(p.item_ids[i]) for i in urow.indices),
        ]))
        same_lists += [str(p.item_ids[i]) for i in ids_i] == [g["item"] for g in got]
        for s_i, g in zip(scores_i, got):
            worst_rel = max(worst_rel, abs(g["score"] - float(s_i)) / max(abs(float(s_i)), 1e-12))
    return {"tastebud_fit_seconds": tb["fit_seconds"], "implicit_fit_seconds": statistics.median(imp_fit),
            "tastebud_ndcg": tb["ndcg"], "tastebud_latency_ms": lat["median_ms"],
            "implicit_latency_ms": statistics.median(samples) * 1e3,
            "import_visitors": len(visitors), "same_top10": same_lists,
            "max_rel_score_diff": worst_rel}


def accuracy_table(results: list[dict]) -> str:
    lines = [
        "| data | model | nDCG@10 | R@10 | tail share | fit s | tune s | nDCG vs EASE | nDCG vs implicit defaults |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        e, d = r["ease"]["ndcg"], r["implicit"]["ndcg"]
        rows = [
            ("implicit, its defaults", r["implicit"], "-"),
            (f"EASE, λ {r['ease']['lambda']:g} (validation)", r["ease"], "-"),
            (f"implicit, tune's parameters", r["implicit_tuned"], "-"),
            (f"**tastebud tune** ({r['tastebud_tuned']['settings']} settings)", r["tastebud_tuned"],
             f"{r['tastebud_tuned']['tune_seconds']:.0f}"),
        ]
        for label, m, tune_s in rows:
            lines.append(
                f"| {r['dataset']} | {label} | {m['ndcg']:.4f} | {m['recall']:.4f} | "
                f"{m['tail_share']:.3f} | {m['fit_seconds']:.2f} | {tune_s} | "
                f"{m['ndcg'] / e:.3f}x | {m['ndcg'] / d:.3f}x |"
            )
    lines.append("")
    lines.append("| data | tune's choice: factors | tune's choice: item-item model | implicit translation (factors only) |")
    lines.append("|---|---|---|---|")
    for r in results:
        b = r["tastebud_tuned"]["best"]
        nb = r["tastebud_tuned"].get("neighbours")
        hp = r["implicit_tuned"]["params"]
        item_item = (
            f"EASE λ {nb['regularization']:.4g}, weight {nb['weight']:.4g}, {nb['entries']:,} "
            f"entries; validation nDCG@10 {nb['validation_ndcg']:.4f}"
            if nb else "none (no blend beat the factors on validation)"
        )
        lines.append(
            f"| {r['dataset']} | {b['factors']} factors, λ {b['regularization']:.4g}, "
            f"α0 {b['unobserved_weight']:.4g} (alpha {b['alpha']:.4g}), ν {b['exponent']:g}; "
            f"validation nDCG@10 {b['validation_ndcg']:.4f} | {item_item} | {hp['factors']} factors, "
            f"regularization {hp['regularization']:.4g}, alpha {hp['alpha']:.4g} |"
        )
    return "\n".join(lines)


def parity_table(results: list[dict]) -> str:
    lines = [
        "| data | fit s, tastebud / implicit (median of 3) | fold-in + top-10 ms, tastebud / implicit | import of implicit's factors: identical top-10 | max relative score difference |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        q = r.get("parity")
        if not q:
            continue
        lines.append(
            f"| {r['dataset']} | {q['tastebud_fit_seconds']:.3f} / {q['implicit_fit_seconds']:.3f} "
            f"({q['tastebud_fit_seconds'] / q['implicit_fit_seconds']:.2f}x) | "
            f"{q['tastebud_latency_ms']:.4f} / {q['implicit_latency_ms']:.4f} "
            f"({q['tastebud_latency_ms'] / q['implicit_latency_ms']:.2f}x) | "
            f"{q['same_top10']}/{q['import_visitors']} visitors | {q['max_rel_score_diff']:.2e} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("TASTEBUD_DATA", "../shared/data"))
    ap.add_argument("--tastebud", default="target/release/tastebud")
    ap.add_argument("--datasets", default="ml-100k,ml-1m-ge4,amazon-sports")
    ap.add_argument("--parity", default="ml-100k,ml-1m-ge4",
                    help="data sets that also get the same-hyperparameters parity table")
    ap.add_argument("--budget", type=int, default=0, help="tune's --budget (default: its own)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--latency-runs", type=int, default=1000)
    ap.add_argument("--import-visitors", type=int, default=20)
    ap.add_argument("--out", default="target/bench/peer.json")
    args = ap.parse_args()

    data = Path(args.data)
    check_datasets(data, args.datasets)
    results = []
    with threadpool_limits(limits=args.threads, user_api="blas"), \
            tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets.split(","):
            results.append(bench_dataset(name, data, args.tastebud, Path(tmp), args))
    report = {"implicit_version": implicit.__version__, "numpy_version": np.__version__,
              "threads": args.threads, "results": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(accuracy_table(results))
    print()
    print(parity_table(results))
    print(f"\n(implicit {implicit.__version__}, numpy {np.__version__}, {args.threads} threads; "
          f"JSON in {args.out})")


if __name__ == "__main__":
    main()
