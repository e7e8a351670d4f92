#!/usr/bin/env bash
# Installs what Tastebud's build, demo and tests need, skipping whatever is already present at the
# right version. Safe to run again: a second run takes a few seconds.
#
#   scripts/setup.sh            everything the demo and the test tiers need
#   scripts/setup.sh bench      also the Python virtualenv with `implicit` (the peer benchmark)
#
# Versions are the ones that work together on Debian 12 with rustc 1.95 (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS"

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
PLAYWRIGHT_VERSION=1.65.1
ESBUILD_VERSION=0.28.2

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

need_rust_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

need_trunk() {
  if trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then return; fi
  say "installing trunk $TRUNK_VERSION (a source build, about 5 minutes)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
}

need_wasm_bindgen() {
  local want
  want=$(wasm_bindgen_version)
  if wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then return; fi
  say "installing wasm-bindgen-cli $want (a source build, about 2 minutes)"
  # Not --locked: the locked webpki-roots fails to build on this toolchain.
  cargo install wasm-bindgen-cli --version "$want" --force
}

need_chromium() {
  # A CJK font, so the Chinese interface renders (and screenshots show it) in headless Chromium.
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null \
    && [ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then return; fi
  say "installing Debian's chromium, chromium-driver and fonts-wqy-zenhei"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null
}

need_node_tools() {
  # wasm-opt from npm: Debian's binaryen is too old to read current wasm. esbuild minifies the
  # widget's JavaScript.
  local have_opt have_pw have_es
  have_opt=$(node -p "require('$TOOLS/node/node_modules/binaryen/package.json').version" 2>/dev/null || true)
  have_pw=$(node -p "require('$TOOLS/node/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
  have_es=$(node -p "require('$TOOLS/node/node_modules/esbuild/package.json').version" 2>/dev/null || true)
  if [ "$have_opt" = "$BINARYEN_VERSION" ] && [ "$have_pw" = "$PLAYWRIGHT_VERSION" ] \
    && [ "$have_es" = "$ESBUILD_VERSION" ]; then return; fi
  say "installing binaryen $BINARYEN_VERSION (wasm-opt), playwright-core $PLAYWRIGHT_VERSION and esbuild $ESBUILD_VERSION from npm"
  mkdir -p "$TOOLS/node"
  [ -f "$TOOLS/node/package.json" ] || echo '{"private": true}' > "$TOOLS/node/package.json"
  npm install --prefix "$TOOLS/node" --no-audit --no-fund --silent \
    "binaryen@$BINARYEN_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" "esbuild@$ESBUILD_VERSION"
}

need_python_bench() {
  local venv="$TOOLS/venv"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import implicit, numpy, scipy' 2>/dev/null; then return; fi
  say "creating $venv with implicit 0.7.3 from PyPI"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check implicit==0.7.3 numpy scipy threadpoolctl
}

need_rust_target
need_trunk
need_wasm_bindgen
need_chromium
need_node_tools
if [ "${1:-}" = bench ]; then need_python_bench; fi

# Tools installed under .tools come first on PATH for the scripts that source this one.
say "ready"
