#!/usr/bin/env bash
# Builds everything a static host serves into dist/: the storefront (release), the demo shop's
# catalog and model under dist/data/, the widget under dist/widget/ and its example host pages
# under dist/examples/. Installs whatever is missing first.
#
#   scripts/build.sh
#   python3 -m http.server -d dist 8080     # or any static host
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/setup.sh
scripts/demo-data.sh
trunk build --release
# The widget goes in after trunk, which empties dist/ when it builds.
scripts/build-widget.sh
