#!/usr/bin/env bash
# The `spark` test tier: a real Spark MLlib round trip (issue 7).
#
# Installs pyspark 4.3.0 from PyPI into .tools/spark-venv (once; Java 17 must be on PATH), builds
# the release CLI, then tests/spark/spark_roundtrip.py trains implicit ALS on ml-100k in local
# mode, saves it, imports it with `tastebud import --spark-model` and checks that `tastebud
# fold-in` reproduces Spark's userFactors (1e-3 relative) and recommendForUserSubset's top 10;
# then scripts/spark-partition.py clusters the items with MLlib KMeans and `tastebud publish
# --assignment` turns the clusters into shards, read back as the whole model.
#
#   scripts/test-spark.sh       ml-100k from $TASTEBUD_DATA (default ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

venv="$TASTEBUD_TOOLS/spark-venv"
data="$TASTEBUD_DATA/ml-100k/u.data"
work="${TMPDIR:-/tmp}/tastebud-spark.$$"

[ -f "$data" ] || { echo "test-spark: $data not found; set TASTEBUD_DATA to the data directory" >&2; exit 2; }
command -v java >/dev/null || { echo "test-spark: java not found; Spark 4 needs Java 17 on PATH" >&2; exit 2; }

if ! "$venv/bin/python" -c 'import pyspark, numpy; assert pyspark.__version__ == "4.3.0"' 2>/dev/null; then
  echo "test-spark: installing pyspark 4.3.0 into $venv (about half a minute)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pyspark==4.3.0 numpy
fi

cargo build --release -q -p tastebud-cli

mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
# Spark's JVM logs go to a file, shown only if the round trip fails.
if ! PYSPARK_PYTHON="$venv/bin/python" "$venv/bin/python" tests/spark/spark_roundtrip.py \
    --tastebud target/release/tastebud --data "$data" --work "$work" 2>"$work/spark.log"; then
  echo "--- last lines of the Spark log ---" >&2
  tail -n 40 "$work/spark.log" >&2
  exit 1
fi
