#!/usr/bin/env bash
# Discovery on real data: most-popular, plain ALS and the re-ranking presets on amazon-sports
# (seeded 20% per-user holdout, top 10), with the whole strength sweep in one self-contained
# HTML report. Prints the table and writes target/bench/discovery.html.
#
#   scripts/bench-discovery.sh [more `tastebud evaluate` flags, e.g. --json]
#
# The data set is read in place from $TASTEBUD_DATA/amazon-sports (../shared/data by default).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
data="$TASTEBUD_DATA/amazon-sports"
for f in Sports_and_Outdoors.txt item2names_reconstructed.json; do
  if [ ! -f "$data/$f" ]; then
    echo "bench-discovery.sh: $data/$f not found; set TASTEBUD_DATA to the folder holding amazon-sports/" >&2
    exit 2
  fi
done
cargo build --release -p tastebud-cli >&2
mkdir -p target/bench
exec target/release/tastebud evaluate \
  --interactions "$data/Sports_and_Outdoors.txt" --format sequences \
  --factors 64 --regularization 0.05 --alpha 20 --iterations 15 --regularization-scaling constant \
  --seed 42 --test-fraction 0.2 --k 10 \
  --categories "$data/item2names_reconstructed.json" --rerank discovery \
  --report target/bench/discovery.html "$@"
