#!/usr/bin/env bash
# Tastebud against its peers on ml-100k, ml-1m-ge4 and amazon-sports, side by side in one run:
# `tastebud tune` against EASE (numpy, lambda chosen on tune's own validation split) and implicit
# (with its defaults, and with tune's parameters), then implicit and tastebud with the same
# hyperparameters (fit time, fold-in latency, agreement of imported factors). Prints markdown
# tables and writes target/bench/peer.json. About 40 minutes on 2 cores, most of it EASE's
# 18,357 x 18,357 inverses on amazon-sports.
#
#   scripts/bench-peer.sh [--datasets ml-100k,ml-1m-ge4,amazon-sports] [--data DIR] [--budget N]
#
# The data sets are read in place from ../shared/data (or $TASTEBUD_DATA, or --data DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench >&2
cargo build --release -p tastebud-cli >&2
exec .tools/venv/bin/python bench/peer.py "$@"
