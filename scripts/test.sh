#!/usr/bin/env bash
# Runs every test tier, installing whatever is missing first:
#   1. formatting and lints (rustfmt, clippy with warnings as errors)
#   2. native unit, integration and doc tests of the whole workspace
#   3. the engine's wasm32 build, and wasm-bindgen-test in headless Chromium
#   4. end-to-end tests: playwright-core driving Debian's Chromium against the release build
#   5. spark: Spark MLlib ALS (pyspark from PyPI, local mode) trains on ml-100k, the release CLI
#      imports the saved model, and its fold-in must reproduce Spark's userFactors and top 10
#      (scripts/test-spark.sh; about a minute once pyspark is installed)
#
#   scripts/test.sh            every tier
#   scripts/test.sh TIER...    some tiers: lint native wasm e2e spark
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/setup.sh

tiers=("$@")
[ ${#tiers[@]} -gt 0 ] || tiers=(lint native wasm e2e spark)
step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }
started=$(date +%s)

for tier in "${tiers[@]}"; do
  case "$tier" in
    lint)
      step "lint: cargo fmt --check, cargo clippy -D warnings"
      cargo fmt --all -- --check
      cargo clippy --workspace --all-targets -- -D warnings
      # The storefront's components and the widget's exports only build for the browser.
      cargo clippy -p tastebud-web -p tastebud-browser -p tastebud-widget --features tastebud-widget/bench,tastebud-widget/published --target wasm32-unknown-unknown --all-targets -- -D warnings
      ;;
    native)
      step "native: cargo test --workspace"
      cargo test --workspace
      ;;
    wasm)
      step "wasm: the engine builds for wasm32 without threads"
      cargo build -p tastebud-core --no-default-features --target wasm32-unknown-unknown
      step "wasm: wasm-bindgen-test in headless Chromium"
      cargo test -p tastebud-web --target wasm32-unknown-unknown
      ;;
    e2e)
      step "e2e: trunk build --release with the demo shop, then playwright-core in Chromium"
      # The storefront, the demo shop and the widget with its example pages, into dist/.
      scripts/build.sh
      # shop-data.test.mjs runs the release CLI on tests/fixtures/ (demo-data.sh may skip its build).
      cargo build --release -q -p tastebud-cli
      node --test --test-concurrency=1 tests/e2e/
      ;;
    spark)
      step "spark: Spark MLlib ALS on ml-100k, imported with tastebud import --spark-model"
      scripts/test-spark.sh
      ;;
    *)
      echo "test: unknown tier '$tier' (expected lint, native, wasm, e2e or spark)" >&2
      exit 2
      ;;
  esac
done
step "all requested tiers passed in $(( $(date +%s) - started )) s"
