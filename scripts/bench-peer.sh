#!/usr/bin/env bash
# Tastebud against implicit on MovieLens, side by side in one run: fit time, accuracy, fold-in
# latency, and agreement when tastebud imports implicit's factors. Prints a markdown table and
# writes target/bench/peer.json.
#
#   scripts/bench-peer.sh [--datasets ml-100k,ml-1m-ge4] [--data DIR]
#
# The data sets are read in place from ../shared/data (or $TASTEBUD_DATA, or --data DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench >&2
cargo build --release -p tastebud-cli >&2
exec .tools/venv/bin/python bench/peer.py "$@"
