#!/usr/bin/env bash
# The storefront's size and speed figures: builds the release with the demo shop, then measures
# in headless Chromium (median of 5 runs). Prints markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/setup.sh >&2
scripts/demo-data.sh >&2
trunk build --release >&2
exec node bench/web.mjs
