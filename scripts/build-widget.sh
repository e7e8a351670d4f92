#!/usr/bin/env bash
# Builds the embeddable widget into dist/widget/ and the example host pages into dist/examples/:
#   tastebud-widget.js      the <tastebud-recs> custom element and window.Tastebud (hand-written)
#   tastebud-worker.js      the engine in a Web Worker, for big catalogs (hand-written)
#   tastebud-consent.js     the page's consent signals, loaded only with consent="auto" (hand-written)
#   tastebud_widget.js      wasm-bindgen's `--target web` glue, imported by the element
#   tastebud_widget_bg.wasm the engine, size-optimized (widget-release profile, then wasm-opt -Oz)
# and prints the raw and gzipped sizes against the 150 KB gzip budget. Run it after
# `trunk build`, which empties dist/.
#
#   scripts/build-widget.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

out=dist/widget
wasm=target/wasm32-unknown-unknown/widget-release/tastebud_widget.wasm
cargo build -q -p tastebud-widget --target wasm32-unknown-unknown --profile widget-release
rm -rf "$out" dist/examples
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm"
# Rust's wasm32 default features plus the SIMD the engine is built with (.cargo/config.toml).
# --converge repeats -Oz while it still shrinks the module. --low-memory-unused lets it fold
# constant addresses: Rust's linker puts the 1 MB stack first (growing down to 0), so the lowest
# kilobyte is only ever reached by a stack about to overflow. The producers and target-features
# sections are for tools, not browsers.
wasm-opt -Oz --converge --low-memory-unused --strip-producers --strip-target-features --enable-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
  -o "$out/tastebud_widget_bg.wasm" "$out/tastebud_widget_bg.wasm"
# Every script minified as it is (no bundling: the modules keep importing each other).
for f in crates/widget/js/tastebud-widget.js crates/widget/js/tastebud-worker.js crates/widget/js/tastebud-consent.js "$out/tastebud_widget.js"; do
  esbuild "$f" --minify --log-level=warning --outfile="$out/$(basename "$f")" --allow-overwrite
done
cp -r examples dist/examples

# The size benchmark: what a host page downloads for the widget, without catalog and model (the
# worker script only for big catalogs and the consent script only with consent="auto", but both
# counted).
budget=$((150 * 1024))
total_raw=0
total_gz=0
printf '%-26s %10s %10s\n' file raw gzip
for f in tastebud-widget.js tastebud-worker.js tastebud-consent.js tastebud_widget.js tastebud_widget_bg.wasm; do
  raw=$(stat -c %s "$out/$f")
  gz=$(gzip -9 -c "$out/$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-26s %10d %10d\n' "$f" "$raw" "$gz"
done
printf '%-26s %10d %10d   (%d.%d KB gzipped; budget 150 KB)\n' total "$total_raw" "$total_gz" \
  $((total_gz / 1024)) $(((total_gz % 1024) * 10 / 1024))
if [ "$total_gz" -gt "$budget" ]; then
  echo "build-widget: $total_gz bytes gzipped is over the 150 KB budget" >&2
  exit 1
fi
