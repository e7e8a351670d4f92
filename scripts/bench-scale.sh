#!/usr/bin/env bash
# A published shop at catalog scale in headless Chromium: for each item count (default 100,000
# and 1,000,000), a synthetic shop with categories, niches and a long tail (bench/scale.py), an
# int8 model, `tastebud publish` (timed), then the widget reading it with a cold cache, unthrottled
# and at 10 Mbit/s with 40 ms round trips. Prints a markdown table and writes
# target/bench/scale.json. About 10 minutes for the defaults on 2 cores; the working files go
# to target/bench/scale/ (about 0.5 GB per million items).
#
#   scripts/bench-scale.sh [ITEMS...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench >&2
. scripts/env.sh
cargo build --release -p tastebud-cli >&2
# The widget and its publication reader, and the demo catalog whose categories the shops reuse.
scripts/demo-data.sh >&2
scripts/build-widget.sh >&2
exec .tools/venv/bin/python bench/scale.py "$@"
