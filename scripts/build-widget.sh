#!/usr/bin/env bash
# Builds the embeddable widget into dist/widget/ and the example host pages into dist/examples/:
#   tastebud-widget.js      the <tastebud-recs> custom element and window.Tastebud (hand-written)
#   tastebud-worker.js      the engine in a Web Worker, for big catalogs (hand-written)
#   tastebud-consent.js     the page's consent signals, loaded only with consent="auto" (hand-written)
#   tastebud-published.js   reading a publication in shards, loaded only by pages with one (hand-written)
#   tastebud_widget.js      wasm-bindgen's `--target web` glue, imported by the element
#   tastebud_widget_bg.wasm the engine, size-optimized (widget-release profile, then wasm-opt)
#   tastebud_published.js and tastebud_published_bg.wasm
#                           the engine that also reads a publication in shards (feature
#                           `published`), which a page with a `published` widget loads instead
# and prints the raw and gzipped sizes of what a page downloads with each, against the 150 KB
# gzip budget (checked for the first). Run it after `trunk build`, which empties dist/.
#
#   scripts/build-widget.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

out=dist/widget
target=target/wasm32-unknown-unknown/widget-release/tastebud_widget.wasm
rm -rf "$out" dist/examples
mkdir -p "$out"
# Rust's wasm32 default features plus the SIMD the engine is built with (.cargo/config.toml).
# The passes: -O2 first, then GUFA (whole-module flow analysis, which finds constant and
# unreachable values -O alone misses), then -Oz, repeated while it still shrinks the module
# (--converge); that order gzips a little smaller than -Oz alone (0.1 to 1 KB, by build). --low-memory-unused lets it
# fold constant addresses: Rust's linker puts the 1 MB stack first (growing down to 0), so the
# lowest kilobyte is only ever reached by a stack about to overflow. The producers and target-features
# sections are for tools, not browsers.
for build in tastebud_widget tastebud_published; do
  features=()
  [ "$build" = tastebud_published ] && features=(--features published)
  cargo build -q -p tastebud-widget --target wasm32-unknown-unknown --profile widget-release "${features[@]}"
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name "$build" "$target"
  wasm-opt -O2 --gufa-optimizing -Oz --converge --low-memory-unused --strip-producers --strip-target-features --enable-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
    -o "$out/${build}_bg.wasm" "$out/${build}_bg.wasm"
done
# Every script minified as it is (no bundling: the modules keep importing each other).
for f in crates/widget/js/tastebud-widget.js crates/widget/js/tastebud-worker.js crates/widget/js/tastebud-consent.js crates/widget/js/tastebud-published.js "$out/tastebud_widget.js" "$out/tastebud_published.js"; do
  esbuild "$f" --minify --log-level=warning --outfile="$out/$(basename "$f")" --allow-overwrite
done
cp -r examples dist/examples

# The size benchmark: what a host page downloads for the widget, without catalog and model (the
# worker script only for big catalogs and the consent script only with consent="auto", but both
# counted). A page with a `published` widget downloads the second engine instead of the first
# (and no worker: a publication is ranked on the page).
budget=$((150 * 1024))
sizes() {
  local total_raw=0 total_gz=0 f raw gz
  printf '%-28s %10s %10s\n' file raw gzip
  for f in "$@"; do
    raw=$(stat -c %s "$out/$f")
    gz=$(gzip -9 -c "$out/$f" | wc -c)
    total_raw=$((total_raw + raw))
    total_gz=$((total_gz + gz))
    printf '%-28s %10d %10d\n' "$f" "$raw" "$gz"
  done
  printf '%-28s %10d %10d   (%d.%d KB gzipped; budget 150 KB)\n' total "$total_raw" "$total_gz" \
    $((total_gz / 1024)) $(((total_gz % 1024) * 10 / 1024))
  last_gz=$total_gz
}
echo "whole catalog and model files:"
sizes tastebud-widget.js tastebud-worker.js tastebud-consent.js tastebud_widget.js tastebud_widget_bg.wasm
whole=$last_gz
echo "a publication in shards (published=\"manifest.json\"):"
sizes tastebud-widget.js tastebud-consent.js tastebud-published.js tastebud_published.js tastebud_published_bg.wasm
if [ "$last_gz" -gt "$budget" ]; then
  echo "build-widget: the publication reader is $last_gz bytes gzipped, over the 150 KB budget (README, \"Publishing a big catalog in shards\")"
fi
if [ "$whole" -gt "$budget" ]; then
  echo "build-widget: $whole bytes gzipped is over the 150 KB budget" >&2
  exit 1
fi
