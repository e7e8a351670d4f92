#!/usr/bin/env bash
# Builds the demo and serves it on http://127.0.0.1:8080, installing whatever is missing first.
#
#   scripts/serve.sh [--port N]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/setup.sh
scripts/demo-data.sh
port=8080
if [ "${1:-}" = --port ]; then port=$2; fi
echo "serve: building the release demo; it will be on http://127.0.0.1:$port/" >&2
exec trunk serve --release --port "$port"
