"""Spark MLlib ALS -> `tastebud import --spark-model` -> `tastebud fold-in`, checked against Spark.

Trains implicit ALS on ml-100k in local mode, saves the model, imports it, and checks that
folding in a training user's ratings reproduces Spark's own `userFactors` row for that user
(within 1e-3 relative) and that the top-10 lists agree with `recommendForUserSubset` (which
excludes nothing, so tastebud ranks seen items too).

    python spark_roundtrip.py --tastebud target/release/tastebud --data .../ml-100k/u.data \
        --work /tmp/spark-roundtrip

Then partitions the items on Spark (scripts/spark-partition.py, MLlib KMeans) and checks that
`tastebud publish --assignment` makes Spark's clusters the shards, read back as the whole model.

Prints one line per check and `N passed, M failed` last; exits 1 if any check failed.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

RANK, MAX_ITER, REG, ALPHA, SEED = 16, 10, 0.05, 10.0, 42
# A spread of users: few ratings (user 1 has 272, 13 has 636, 405 has 737) to a few dozen.
USERS = [1, 13, 42, 100, 276, 405, 655, 800, 943]
VECTOR_TOLERANCE = 1e-3  # relative, ||x_tastebud - x_spark|| / ||x_spark||
TOP = 10


def norm(v):
    return math.sqrt(sum(x * x for x in v))


def relative_error(a, b):
    return norm([x - y for x, y in zip(a, b)]) / norm(b)


def read_ratings(path):
    rows = []
    with open(path) as f:
        for line in f:
            user, item, rating, _ = line.split("\t")
            rows.append((int(user), int(item), float(rating)))
    return rows


def tastebud(binary, *args):
    out = subprocess.run([binary, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(f"tastebud {args[0]} failed ({out.returncode}): {out.stderr.strip()}")
    return out.stdout


def same_ranking(spark, ours, scale):
    """The lists agree item for item, except where two items' scores tie within 1e-4 of the
    top score (then either order is right)."""
    if len(spark) != len(ours):
        return False
    for (s_item, s_score), (o_item, o_score) in zip(spark, ours):
        if s_item != o_item and abs(s_score - o_score) > 1e-4 * scale:
            return False
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tastebud", required=True)
    parser.add_argument("--data", required=True, help="ml-100k u.data")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)

    from pyspark.ml.recommendation import ALS
    from pyspark.sql import SparkSession

    started = time.time()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("tastebud-spark-roundtrip")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    ratings = spark.createDataFrame(
        read_ratings(args.data), "user int, item int, rating float"
    )

    # 1. Train, as a site would on its cluster. 2. Save.
    als = ALS(
        rank=RANK, maxIter=MAX_ITER, regParam=REG, alpha=ALPHA, implicitPrefs=True, seed=SEED,
        userCol="user", itemCol="item", ratingCol="rating",
    )
    model = als.fit(ratings)
    model_dir = os.path.join(args.work, "spark-model")
    model.write().overwrite().save(model_dir)
    json_dir = os.path.join(args.work, "item-factors-json")
    model.itemFactors.write.mode("overwrite").json(json_dir)
    print(f"spark: trained and saved in {time.time() - started:.1f} s", flush=True)

    # Catalog ids are not Spark's integers: map item 7 to "ml-7".
    item_ids = sorted(r.id for r in model.itemFactors.select("id").collect())
    id_map = os.path.join(args.work, "id-map.tsv")
    with open(id_map, "w") as f:
        f.write("# spark_id<TAB>catalog_id\n")
        for i in item_ids:
            f.write(f"{i}\tml-{i}\n")

    # 3. Import.
    tbm = os.path.join(args.work, "spark.tbm")
    summary = tastebud(
        args.tastebud, "import", "--spark-model", model_dir, "--alpha", str(ALPHA),
        "--regularization", str(REG), "--id-map", id_map, "--out", tbm,
    )
    check("import --spark-model", f"imported {len(item_ids)} items x {RANK} factors" in summary,
          summary.strip())
    info = tastebud(args.tastebud, "inspect", tbm, "--json")
    check("the header records spark's fold-in",
          all(s in info for s in ('"one-plus"', '"by-count"', f"spark {spark.version}")),
          info.strip()[:300])
    tbm_json = os.path.join(args.work, "spark-json.tbm")
    tastebud(
        args.tastebud, "import", "--spark-factors", json_dir, "--alpha", str(ALPHA),
        "--regularization", str(REG), "--id-map", id_map, "--out", tbm_json,
    )

    # 4. Fold in each user's training ratings; compare with Spark's userFactors and top 10.
    user_factors = {
        r.id: list(r.features)
        for r in model.userFactors.filter(model.userFactors.id.isin(USERS)).collect()
    }
    users_df = spark.createDataFrame([(u,) for u in USERS], "user int")
    spark_top = {
        r.user: [(f"ml-{x.item}", x.rating) for x in r.recommendations]
        for r in model.recommendForUserSubset(users_df, TOP).collect()
    }
    history = {u: [] for u in USERS}
    for user, item, rating in read_ratings(args.data):
        if user in history:
            history[user].append(f"ml-{item}:{rating:g}")

    worst, top_agree = 0.0, 0
    for user in USERS:
        items = ",".join(history[user])
        out = json.loads(tastebud(
            args.tastebud, "fold-in", "--model", tbm, "--items", items, "--n", str(TOP), "--json",
        ))
        err = relative_error(out["vector"], user_factors[user])
        worst = max(worst, err)
        check(f"user {user} ({len(history[user])} ratings): fold-in matches userFactors",
              err < VECTOR_TOLERANCE, f"relative error {err:.2e}")
        ours = [(t["item"], t["score"]) for t in out["top"]]
        agree = same_ranking(spark_top[user], ours, abs(spark_top[user][0][1]))
        top_agree += agree
        check(f"user {user}: top {TOP} agrees with recommendForUserSubset", agree,
              "" if agree else f"spark {spark_top[user]} tastebud {ours}")
        if user == USERS[0]:
            again = json.loads(tastebud(
                args.tastebud, "fold-in", "--model", tbm_json, "--items", items, "--json",
            ))
            check("the JSON itemFactors import folds in identically",
                  again["vector"] == out["vector"])

    # The tolerance discriminates: the same factors folded in without Spark's n+ scaling of
    # regParam (implicit's convention) miss userFactors by far more than 1e-3.
    csv_path, ids_path = os.path.join(args.work, "factors.csv"), os.path.join(args.work, "ids.txt")
    rows = sorted((r.id, r.features) for r in model.itemFactors.collect())
    with open(csv_path, "w") as f, open(ids_path, "w") as g:
        for i, features in rows:
            f.write(",".join(repr(float(v)) for v in features) + "\n")
            g.write(f"ml-{i}\n")
    tbm_constant = os.path.join(args.work, "constant.tbm")
    tastebud(
        args.tastebud, "import", "--factors", csv_path, "--item-ids", ids_path,
        "--alpha", str(ALPHA), "--regularization", str(REG), "--confidence", "one-plus",
        "--regularization-scaling", "constant", "--out", tbm_constant,
    )
    off = json.loads(tastebud(
        args.tastebud, "fold-in", "--model", tbm_constant, "--items", ",".join(history[USERS[0]]),
        "--json",
    ))
    off_err = relative_error(off["vector"], user_factors[USERS[0]])
    check("without by-count scaling the fold-in misses userFactors", off_err > VECTOR_TOLERANCE,
          f"relative error {off_err:.2e}")

    # 5. A partition computed on the cluster (scripts/spark-partition.py: MLlib KMeans, cosine)
    # feeds `tastebud publish --assignment`; a visitor who reads every shard gets the list the
    # whole model gives.
    shards_tsv = os.path.join(args.work, "shards.tsv")
    here = os.path.dirname(os.path.abspath(__file__))
    job = os.path.join(here, "..", "..", "scripts", "spark-partition.py")
    out = subprocess.run(
        [sys.executable, job, "--model", model_dir, "--out", shards_tsv, "--id-map", id_map,
         "--shards", "8"], capture_output=True, text=True)
    check("spark-partition.py writes an assignment", out.returncode == 0,
          (out.stdout + out.stderr).strip()[-300:])
    assigned = {}
    if out.returncode == 0:
        with open(shards_tsv) as f:
            for line in f:
                if not line.startswith("#"):
                    item, shard = line.rstrip("\n").split("\t")
                    assigned[item] = int(shard)
    check("every item is assigned once", sorted(assigned) == sorted(f"ml-{i}" for i in item_ids),
          f"{len(assigned)} of {len(item_ids)}")
    loc = lambda text: {"en": text, "zh-CN": text}  # noqa: E731
    catalog_path = os.path.join(args.work, "catalog.json")
    with open(catalog_path, "w") as f:
        json.dump({
            "version": 1, "shop": loc("Spark"), "currency": "EUR",
            "areas": [{"id": "all", "name": loc("All")}],
            "categories": [{"id": "all", "area": "all", "name": loc("All"), "niche": False}],
            "items": [{"id": f"ml-{i}", "title": loc(f"Movie {i}"), "description": loc("A movie."),
                       "brand": "-", "category": "all", "price": 1.0, "tags": [],
                       "picture": {"glyph": "mug", "hue": 0}} for i in item_ids],
        }, f)
    site = os.path.join(args.work, "site")
    published = json.loads(tastebud(
        args.tastebud, "publish", "--catalog", catalog_path, "--model", tbm, "--assignment",
        shards_tsv, "--strict-items", "100000", "--out", site, "--json"))
    sizes = {}
    for shard in assigned.values():
        sizes[shard] = sizes.get(shard, 0) + 1
    manifest = json.load(open(os.path.join(site, "manifest.json")))
    entries = [e for t in manifest["shard_tables"]
               for e in json.load(open(os.path.join(site, t["file"])))]
    check("the shards are Spark's clusters",
          [s["items"] for s in entries] == [sizes.get(n, 0) for n in range(manifest["shards"])],
          f"{published['shards']} shards")
    items = ",".join(h.split(":")[0] for h in history[USERS[0]])
    whole = json.loads(tastebud(args.tastebud, "recommend", "--model", tbm, "--items", items,
                                "--json"))
    read = json.loads(tastebud(args.tastebud, "recommend", "--published",
                               os.path.join(site, "manifest.json"), "--items", items, "--json"))
    check("reading every shard recommends what the whole model does", read == whole,
          "" if read == whole else f"{read} vs {whole}")

    print(f"max relative error over {len(USERS)} users: {worst:.2e}; "
          f"top-{TOP} agreement: {top_agree}/{len(USERS)}")
    spark.stop()
    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
