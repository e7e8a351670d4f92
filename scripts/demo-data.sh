#!/usr/bin/env bash
# Generates the demo shop (demo/data/catalog.json and model.tbm) with `tastebud demo-data` when
# either file is missing. The data are synthetic: a seeded catalog generator and shopper simulator.
#
#   scripts/demo-data.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."
out=demo/data
if [ "${1:-}" != --force ] && [ -s "$out/catalog.json" ] && [ -s "$out/model.tbm" ]; then
  exit 0
fi
echo "demo-data: generating the synthetic demo shop into $out" >&2
cargo build --release -q -p tastebud-cli
mkdir -p "$out"
target/release/tastebud demo-data --out "$out" --seed 42
