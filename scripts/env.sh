# Sourced by the scripts: puts the tools scripts/setup.sh installs first on PATH.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/.tools/node/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TASTEBUD_TOOLS="$ROOT/.tools"
# ../shared/data beside the repository, unless set.
export TASTEBUD_DATA="${TASTEBUD_DATA:-$(cd "$ROOT/.." && pwd)/shared/data}"
