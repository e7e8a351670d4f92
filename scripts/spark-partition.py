"""Partitions a Spark MLlib ALS model's items into shards on a cluster, for `tastebud publish`.

For a catalog too big to partition on one machine (tens of millions of items), run this where the
model lives: it clusters the item factors with MLlib's KMeans, by cosine distance as `publish`
itself does (spherical k-means), and writes one `item<TAB>shard` line per item. Then:

    tastebud import --spark-model als/ --alpha 10 --regularization 0.05 --id-map ids.tsv \\
        --precision int8 --out model.tbm
    tastebud publish --catalog catalog.json --model model.tbm --assignment shards.tsv \\
        --out site/data/

Usage (spark-submit, or python with pyspark installed):

    spark-submit scripts/spark-partition.py --model hdfs:///models/als --out shards.tsv \\
        [--id-map ids.tsv] [--shards N] [--items-per-shard 1024] [--seed 42]

`--id-map` is the same `spark_id<TAB>catalog_id` file `tastebud import` takes; without it the
Spark id's decimal string is the item id, as in `import`. The output is written from the driver,
so it should be a local path (a few hundred MB at 32 million items).
"""

import argparse
import math
import sys


def read_id_map(path):
    ids = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            spark_id, _, catalog_id = line.partition("\t")
            if not catalog_id:
                sys.exit(f"{path}:{n}: expected `spark_id<TAB>catalog_id`")
            ids[int(spark_id)] = catalog_id
    return ids


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a saved ALSModel directory")
    ap.add_argument("--out", required=True, help="the assignment file to write (local)")
    ap.add_argument("--id-map", help="spark_id<TAB>catalog_id lines")
    ap.add_argument("--shards", type=int, help="default: one per --items-per-shard items")
    ap.add_argument("--items-per-shard", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    from pyspark.ml.clustering import KMeans
    from pyspark.ml.functions import array_to_vector
    from pyspark.ml.recommendation import ALSModel
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("tastebud-partition").getOrCreate()
    model = ALSModel.load(args.model)
    items = model.itemFactors.select("id", array_to_vector("features").alias("features"))
    count = items.count()
    shards = args.shards or max(1, math.ceil(count / args.items_per_shard))
    if not 1 <= shards <= count:
        sys.exit(f"--shards must be between 1 and the model's {count} items, got {shards}")
    kmeans = KMeans(k=shards, seed=args.seed, distanceMeasure="cosine", maxIter=20,
                    featuresCol="features", predictionCol="shard")
    assigned = kmeans.fit(items).transform(items).select("id", "shard")
    id_map = read_id_map(args.id_map) if args.id_map else None
    written = 0
    with open(args.out, "w") as f:
        f.write(f"# item<TAB>shard: {shards} shards by MLlib KMeans (cosine) on {args.model}\n")
        for row in assigned.toLocalIterator():
            if id_map is not None and row.id not in id_map:
                sys.exit(f"{args.id_map}: spark item {row.id} is not mapped; map every item")
            item = id_map[row.id] if id_map is not None else str(row.id)
            f.write(f"{item}\t{row.shard}\n")
            written += 1
    print(f"wrote {written} items in {shards} shards to {args.out}")
    spark.stop()


if __name__ == "__main__":
    main()
