"""A published shop at catalog scale, from publish to the first recommendations in Chromium.

For each item count: a synthetic shop with the structure of a real one (the demo shop's 36
categories; in each, niches of items with similar factors; a Zipf-like long tail of popularity,
popular items with longer factor vectors, as trained ALS factors have), imported as an int8
model (`tastebud import`), published (`tastebud publish`, timed), then served on localhost and
read by the widget (`<tastebud-recs published=...>`) in headless Chromium with a cold cache, for
visitors who liked three items of one niche. bench/scale.mjs drives the browser. Recall@10 is the
widget's list (niche control at "most familiar", plain scores) against exhaustive scoring of the
whole model (`tastebud recommend --model`).

Writes target/bench/scale.json (one object per item count) and prints a markdown table. Run it
through `scripts/bench-scale.sh`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FACTORS = 32
VISITORS = 5
NICHE_ITEMS = 400


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed:\n{out.stderr}")
    return out


def generate(n: int, out: Path, seed: int = 42) -> list[list[str]]:
    """Writes catalog.json, factors.npy, ids.txt and popularity.txt for `n` items; returns the
    visitors' histories."""
    rng = np.random.default_rng(seed)
    demo = json.loads((ROOT / "demo" / "data" / "catalog.json").read_text())
    cats = [c["id"] for c in demo["categories"]]
    glyph = {}
    for item in demo["items"]:
        glyph.setdefault(item["category"], item["picture"]["glyph"])
    # Mainstream categories (not niche) are larger, as in the demo shop.
    weight = np.array([3.0 if not c["niche"] else 1.0 for c in demo["categories"]])
    cat_of = rng.choice(len(cats), size=n, p=weight / weight.sum())
    cat_of.sort()
    counts = np.bincount(cat_of, minlength=len(cats))
    # Niches of about NICHE_ITEMS items within each category.
    niche_of = np.empty(n, dtype=np.int64)
    niche_centres = []
    at = 0
    for c, count in enumerate(counts):
        k = max(1, int(count) // NICHE_ITEMS)
        niche_of[at:at + count] = len(niche_centres) + rng.integers(0, k, size=count)
        niche_centres.extend(range(k))
        at += count
    n_niches = len(niche_centres)
    unit = lambda a: a / np.linalg.norm(a, axis=-1, keepdims=True)  # noqa: E731
    cat_dir = unit(rng.standard_normal((len(cats), FACTORS))).astype(np.float32)
    niche_dir = unit(rng.standard_normal((n_niches, FACTORS))).astype(np.float32)
    # A long tail: Zipf-like counts over a random order of the items.
    rank = rng.permutation(n) + 1
    popularity = np.floor(50_000 / rank ** 0.9).astype(np.int64)
    length = (0.25 + 0.75 * np.log1p(popularity) / np.log1p(popularity.max())).astype(np.float32)
    # In blocks of a million rows, in float32, so 10,000,000 items fit in a few GB.
    factors = np.empty((n, FACTORS), dtype=np.float32)
    for at in range(0, n, 1_000_000):
        rows = slice(at, min(n, at + 1_000_000))
        noise = unit(rng.standard_normal((rows.stop - at, FACTORS), dtype=np.float32))
        direction = unit(cat_dir[cat_of[rows]] + 0.8 * niche_dir[niche_of[rows]] + 0.45 * noise)
        factors[rows] = direction * length[rows, None]
    ids = [f"{cats[c]}-{i:08d}" for i, c in enumerate(cat_of)]

    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "factors.npy", factors)
    (out / "ids.txt").write_text("\n".join(ids) + "\n")
    (out / "popularity.txt").write_text("\n".join(map(str, popularity)) + "\n")
    with open(out / "catalog.json", "w") as f:
        head = {k: demo[k] for k in ("version", "shop", "currency", "areas", "categories")}
        f.write(json.dumps(head)[:-1] + ', "items": [')
        block = []
        for i in range(n):
            c = cats[cat_of[i]]
            item = {
                "id": ids[i],
                "title": {"en": f"{c.replace('-', ' ').capitalize()} find {i}", "zh-CN": f"{c} 好物 {i}"},
                "description": {"en": f"Niche {niche_of[i]} of {c}.", "zh-CN": f"{c} 小众 {niche_of[i]}。"},
                "brand": f"Brand {niche_of[i] % 997}",
                "category": c,
                "price": round(5 + (i * 7919 % 30000) / 100, 2),
                "tags": [],
                "picture": {"glyph": glyph.get(c, "mug"), "hue": int(i * 37 % 360)},
                "url": f"#/item/{ids[i]}",
            }
            block.append(json.dumps(item, ensure_ascii=False))
            if len(block) == 100_000 or i == n - 1:
                f.write(("," if i >= len(block) else "") + ",".join(block))
                block = []
        f.write("]}")
    # Visitors: three items of one niche each, picked by popularity within it.
    visitors = []
    for niche in rng.choice(n_niches, size=VISITORS, replace=False):
        members = np.flatnonzero(niche_of == niche)
        if len(members) < 3:
            continue
        p = popularity[members] / popularity[members].sum()
        visitors.append([ids[i] for i in rng.choice(members, size=3, replace=False, p=p)])
    return visitors


def top10(tastebud: str, source: list[str], history: list[str]) -> list[str]:
    out = run([tastebud, "recommend", *source, "--items", ",".join(history), "--n", "10"]).stdout
    return [line.split()[1] for line in out.splitlines() if line.strip()]


def bench(n: int, tastebud: str, work: Path) -> dict:
    d = work / str(n)
    if d.exists():
        shutil.rmtree(d)
    print(f"bench: {n} items: generating", file=sys.stderr, flush=True)
    visitors = generate(n, d)
    run([tastebud, "import", "--factors", str(d / "factors.npy"), "--item-ids", str(d / "ids.txt"),
         "--popularity", str(d / "popularity.txt"), "--regularization", "0.05", "--alpha", "10",
         "--confidence", "alpha-times", "--precision", "int8", "--out", str(d / "model.tbm")])
    print(f"bench: {n} items: publishing", file=sys.stderr, flush=True)
    started = time.monotonic()
    # GNU time, where there is one, for publish's peak memory.
    timed = ["/usr/bin/time", "-f", "%M", "-o", str(d / "publish.rss")] if Path("/usr/bin/time").exists() else []
    published = json.loads(run([*timed, tastebud, "publish", "--catalog", str(d / "catalog.json"),
                                "--model", str(d / "model.tbm"), "--out", str(d / "site" / "pub"),
                                "--json"]).stdout)
    publish_s = time.monotonic() - started
    rss = d / "publish.rss"
    publish_mb = round(int(rss.read_text().split()[-1]) / 1024) if rss.exists() else None
    for f in ("factors.npy",):
        (d / f).unlink()
    exhaustive = {",".join(h): top10(tastebud, ["--model", str(d / "model.tbm")], h) for h in visitors}
    (d / "visitors.json").write_text(json.dumps({"visitors": visitors, "exhaustive": exhaustive}))
    (d / "site" / "widget").symlink_to(ROOT / "dist" / "widget")
    print(f"bench: {n} items: Chromium", file=sys.stderr, flush=True)
    node = shutil.which("node") or "node"
    browser = json.loads(run([node, str(ROOT / "bench" / "scale.mjs"), str(d)]).stdout)
    return {
        "items": n,
        "shards": published.get("shards"),
        "publish_s": round(publish_s, 1),
        "publish_mb": publish_mb,
        **browser,
        "model_bytes": (d / "model.tbm").stat().st_size,
        "catalog_bytes": (d / "catalog.json").stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("items", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=ROOT / "target" / "bench" / "scale")
    args = parser.parse_args()
    tastebud = str(ROOT / "target" / "release" / "tastebud")
    args.work.mkdir(parents=True, exist_ok=True)
    results = [bench(n, tastebud, args.work) for n in args.items]
    out = ROOT / "target" / "bench" / "scale.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("| items | shards | publish | first download (publication files) | first recs | at 10 Mbit/s, 40 ms | like to new list, p50 / p95 | recall@10 | memory |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['items']:,} | {r['shards']} | {r['publish_s']} s | {r['first_bytes'] / 1024:,.0f} KB "
              f"({r['first_data_bytes'] / 1024:,.0f} KB in {r['first_files']} files) "
              f"| {r['first_ms']:.0f} ms | {r['first_ms_throttled']:.0f} ms "
              f"| {r['update_p50_ms']:.1f} / {r['update_p95_ms']:.1f} ms | {r['recall_at_10']:.3f} "
              f"| {r['memory_mb']:.1f} MB |")
    print(f"bench: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
