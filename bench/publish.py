"""What publishing in shards costs: accuracy and download per visitor, on real logs.

For each data set, on the same seeded 20% per-user holdout as bench/peer.py: `tastebud train`
with its defaults at int8 and without the item-item part (a publication ranks with the factors
only), a plain catalog for the model's items (titles are the ids; the accuracy does not depend
on them), `tastebud publish` with its defaults, then `tastebud evaluate --published` in the
`history` and `strict` modes. Each row compares a visitor who reads what the mode allows with
one who reads every shard, and gives the median download.

Run it through `scripts/bench-publish.sh`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from peer import DATASETS, check_datasets, load_pairs, split, write_tsv


def run(cmd: list[str]) -> str:
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{out.stderr}")
    return out.stdout


def catalog_for(model: Path, tastebud: str, out: Path) -> None:
    ids = [line for line in run([tastebud, "inspect", str(model), "--ids"]).splitlines() if line]
    loc = lambda text: {"en": text, "zh-CN": text}  # noqa: E731
    catalog = {
        "version": 1,
        "shop": loc("Benchmark"),
        "currency": "EUR",
        "areas": [{"id": "all", "name": loc("All")}],
        "categories": [{"id": "all", "area": "all", "name": loc("All"), "niche": False}],
        "items": [{"id": i, "title": loc(f"Item {i}"), "description": loc(f"Item {i}"),
                   "brand": "-", "category": "all", "price": 1.0, "tags": [],
                   "picture": {"glyph": "mug", "hue": 0}} for i in ids],
    }
    out.write_text(json.dumps(catalog))


def bench_dataset(name: str, data: Path, tastebud: str, work: Path) -> dict:
    rel, sep = DATASETS[name]
    users, items = load_pairs(data / rel, sep)
    train, test = split(users, items)
    d = work / name
    d.mkdir()
    write_tsv(d / "train.tsv", train)
    write_tsv(d / "test.tsv", test)
    print(f"bench: {name}: training", file=sys.stderr, flush=True)
    run([tastebud, "train", "--interactions", str(d / "train.tsv"), "--out", str(d / "model.tbm"),
         "--precision", "int8", "--neighbour-items", "0", "--json"])
    catalog_for(d / "model.tbm", tastebud, d / "catalog.json")
    published = json.loads(run([tastebud, "publish", "--catalog", str(d / "catalog.json"),
                                "--model", str(d / "model.tbm"), "--out", str(d / "site"),
                                "--json"]))
    row = {"dataset": name, "publish": published,
           "model_bytes": (d / "model.tbm").stat().st_size}
    for mode in ("history", "strict"):
        print(f"bench: {name}: evaluating {mode} mode", file=sys.stderr, flush=True)
        row[mode] = json.loads(run([
            tastebud, "evaluate", "--published", str(d / "site" / "manifest.json"),
            "--train", str(d / "train.tsv"), "--test", str(d / "test.tsv"),
            "--privacy", mode, "--json"]))
    return row


def table(rows: list[dict]) -> str:
    lines = ["| data | items | shards | mode | nDCG@10 all shards | nDCG@10 read | kept | "
             "shards read (median) | download (median) | whole model |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        for mode in ("history", "strict"):
            e = r[mode]
            lines.append(
                f"| {r['dataset']} | {r['publish']['items']} | {r['publish']['shards']} | {mode} | "
                f"{e['all_shards']['ndcg']:.4f} | {e[mode]['ndcg']:.4f} | {e['ndcg_ratio']:.3f}x | "
                f"{e['median_shards_read']} | {e['median_bytes_read'] / 1024:.0f} KB | "
                f"{r['model_bytes'] / 1024:.0f} KB |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("TASTEBUD_DATA", "../shared/data"))
    ap.add_argument("--tastebud", default="target/release/tastebud")
    ap.add_argument("--datasets", default="ml-1m-ge4,amazon-sports")
    ap.add_argument("--out", default="target/bench/publish.json")
    args = ap.parse_args()
    data = Path(args.data)
    check_datasets(data, args.datasets)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench_dataset(name, data, args.tastebud, Path(tmp))
                for name in args.datasets.split(",")]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=2))
    print(table(rows))
    print(f"\n(JSON in {args.out})")


if __name__ == "__main__":
    main()
