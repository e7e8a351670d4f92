#!/usr/bin/env bash
# Tastebud against TensorFlow.js and a plain JavaScript loop at catalog scale, in headless Chromium:
# generates synthetic models (ITEMS x 64 factors at f32, f16 and int8) under target/bench/models/,
# builds the engine's benchmark entry (crates/widget, feature `bench`) into target/bench/www/,
# serves bench/browser/ there with COOP/COEP headers and measures one page per model. Prints a
# markdown table; writes target/bench/browser.json.
#
#   scripts/bench-browser.sh                 10,000 and 100,000 items
#   scripts/bench-browser.sh 10000 1000000   other catalog sizes
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/setup.sh >&2
[ "$#" -gt 0 ] || set -- 10000 100000

# TensorFlow.js from the npm registry, beside the other node tools; loaded from local files.
TFJS_VERSION=4.22.0
node_tools="$TASTEBUD_TOOLS/node"
have=$(node -p "require('$node_tools/node_modules/@tensorflow/tfjs-backend-wasm/package.json').version" 2>/dev/null || true)
have_tf=$(node -p "require('$node_tools/node_modules/@tensorflow/tfjs/package.json').version" 2>/dev/null || true)
if [ "$have" != "$TFJS_VERSION" ] || [ "$have_tf" != "$TFJS_VERSION" ]; then
  echo "bench-browser: installing @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm $TFJS_VERSION" >&2
  npm install --prefix "$node_tools" --no-audit --no-fund --silent \
    "@tensorflow/tfjs@$TFJS_VERSION" "@tensorflow/tfjs-backend-wasm@$TFJS_VERSION"
fi

cargo run -q --release -p tastebud-core --example bench_models -- target/bench/models "$@"

# The engine as the storefront ships it: wasm-release (core at opt-level 3) with simd128.
cargo build -q -p tastebud-widget --features bench --target wasm32-unknown-unknown --profile wasm-release
www=target/bench/www
rm -rf "$www"
mkdir -p "$www"
wasm-bindgen --target web --no-typescript --out-dir "$www/pkg" \
  target/wasm32-unknown-unknown/wasm-release/tastebud_widget.wasm
cp bench/browser/index.html bench/browser/bench.mjs bench/browser/worker.mjs "$www/"
ln -s "$PWD/target/bench/models" "$www/models"
ln -s "$node_tools/node_modules/@tensorflow/tfjs/dist" "$www/tfjs"
ln -s "$node_tools/node_modules/@tensorflow/tfjs-backend-wasm/dist" "$www/tfjs-wasm"

exec node bench/browser/run.mjs "$@"
