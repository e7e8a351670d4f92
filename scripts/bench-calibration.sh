#!/usr/bin/env bash
# Calibrated discovery on every public log: `tastebud evaluate --tune --rerank discovery` tunes
# and calibrates on a validation split of the training part alone, then reports the test figures
# of plain ranking (`accurate`) and of the calibrated `discovery` preset, with categories (the
# first genre of each MovieLens film, Amazon's sub-categories). Prints a markdown table and
# writes target/bench/calibration.json.
#
#   scripts/bench-calibration.sh [data set ...]   (default: ml-100k ml-1m-ge4 amazon-sports)
#
# The data sets are read in place from $TASTEBUD_DATA (../shared/data by default); the genre
# files are derived from them into target/bench/ and never leave this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(ml-100k ml-1m-ge4 amazon-sports)
cargo build --release -p tastebud-cli >&2
mkdir -p target/bench
out=target/bench/calibration.json
echo "[" > "$out"
first=1
for name in "${sets[@]}"; do
  case "$name" in
    ml-100k)
      log="$TASTEBUD_DATA/ml-100k/u.data"; format=movielens
      cats=target/bench/ml-100k.genres.tsv
      # u.item: id|title|date|video|url|19 genre flags (u.genre order); the first flag set.
      python3 - "$TASTEBUD_DATA/ml-100k" "$cats" <<'EOF'
import sys
root, out = sys.argv[1], sys.argv[2]
genres = [l.split("|")[0] for l in open(f"{root}/u.genre", encoding="latin-1") if "|" in l]
with open(out, "w") as f:
    for line in open(f"{root}/u.item", encoding="latin-1"):
        p = line.rstrip("\n").split("|")
        flags = [i for i, v in enumerate(p[5:]) if v == "1"]
        if flags:
            f.write(f"{p[0]}\t{genres[flags[0]]}\n")
EOF
      ;;
    ml-1m-ge4)
      log="$TASTEBUD_DATA/ml-1m-ge4/ratings_ge4.dat"; format=movielens
      cats=target/bench/ml-1m-ge4.genres.tsv
      python3 - "$TASTEBUD_DATA/ml-1m-ge4/movies.dat" "$cats" <<'EOF'
import sys
with open(sys.argv[2], "w") as f:
    for line in open(sys.argv[1], encoding="latin-1"):
        p = line.rstrip("\n").split("::")
        if len(p) == 3:
            f.write(f"{p[0]}\t{p[2].split('|')[0]}\n")
EOF
      ;;
    amazon-sports)
      log="$TASTEBUD_DATA/amazon-sports/Sports_and_Outdoors.txt"; format=sequences
      cats="$TASTEBUD_DATA/amazon-sports/item2names_reconstructed.json"
      ;;
    *) echo "bench-calibration.sh: unknown data set $name" >&2; exit 2 ;;
  esac
  if [ ! -f "$log" ]; then
    echo "bench-calibration.sh: $log not found; set TASTEBUD_DATA to the folder holding $name/" >&2
    exit 2
  fi
  echo "bench-calibration.sh: $name ..." >&2
  result=$(target/release/tastebud evaluate --interactions "$log" --format "$format" \
    --seed 42 --test-fraction 0.2 --tune --rerank discovery --categories "$cats" --json)
  [ $first = 1 ] || echo "," >> "$out"
  first=0
  printf '{"dataset": "%s", "result": %s}\n' "$name" "$result" >> "$out"
done
echo "]" >> "$out"
python3 - "$out" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
print("| data | setting | nDCG@10 | tail share | category coverage | discovery / accurate |")
print("|---|---|---|---|---|---|")
for r in rows:
    d, a, p, t = r["result"]["discovery"], r["result"]["als"], r["result"]["most_popular"], r["result"]["tune"]
    name = r["dataset"]
    print(f"| {name} | most popular | {p['ndcg']:.4f} | {p['tail_share']:.4f} | {p['category_coverage']:.3f} | |")
    print(f"| {name} | `accurate` (tuned) | {a['ndcg']:.4f} | {a['tail_share']:.4f} | {a['category_coverage']:.3f} | |")
    tail = (f"{d['tail_share'] / a['tail_share']:.1f}x" if a["tail_share"] > 0
            else f"0 → {d['tail_share']:.4f}")
    print(f"| {name} | `discovery` (calibrated, t = {t['discovery_strength']:g}) | {d['ndcg']:.4f} | "
          f"{d['tail_share']:.4f} | {d['category_coverage']:.3f} | nDCG {d['ndcg'] / a['ndcg']:.3f}x, "
          f"tail {tail}, coverage {d['category_coverage'] / a['category_coverage']:.2f}x |")
print(f"\n(JSON in {sys.argv[1]})")
EOF
