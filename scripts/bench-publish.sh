#!/usr/bin/env bash
# What publishing in shards costs, on ml-1m-ge4 and amazon-sports: `tastebud train` (int8,
# factors only), `tastebud publish` with its defaults, then `tastebud evaluate --published` in
# the history and strict modes against a reader of every shard. Prints a markdown table and
# writes target/bench/publish.json. About 15 minutes on 2 cores.
#
#   scripts/bench-publish.sh [--datasets ml-1m-ge4,amazon-sports] [--data DIR]
#
# The data sets are read in place from ../shared/data (or $TASTEBUD_DATA, or --data DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench >&2
cargo build --release -p tastebud-cli >&2
exec .tools/venv/bin/python bench/publish.py "$@"
