"""Held-out accuracy and fit time of the best configuration a sweep finds, next to a library baseline.

On the 100k synthetic set (MovieLens-100K shape, power-law popularity; nothing is downloaded) with one
80/20 ``train_test_split``, it runs ``cf_core.evaluation.sweep`` over k x lambda for each normalization
and method and prints the best test RMSE, the fit time of that configuration and of the whole sweep,
beside the global-mean and item-mean baselines.

``--surprise PYTHON`` also runs scikit-surprise's ``SVD`` (biased matrix factorization fitted by SGD,
the baseline usually quoted for MovieLens) on the same split, tuned over a small grid, in the given
interpreter: surprise is not a CF Lab dependency (it builds from source), so it lives in its own
environment, e.g. ``python -m venv /tmp/s && /tmp/s/bin/pip install scikit-surprise``.

    python benchmarks/bench_quality.py [--surprise /tmp/s/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cf_core.evaluation import rmse, sweep, train_test_split  # noqa: E402
from cf_core.ratings import Ratings  # noqa: E402
from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings  # noqa: E402

SEED = 0
FEATURES = [2, 5, 10, 20]
LAMBDAS = [0.3, 1.0, 3.0, 10.0, 30.0]
CONFIGS = [("biases", "L-BFGS-B", 100), ("biases", "als", 20), ("mean", "L-BFGS-B", 100)]

# scikit-surprise's SVD over a small grid (its defaults: 100 factors, 20 epochs, lr 0.005, reg 0.02).
SURPRISE_SCRIPT = r"""
import itertools, json, sys, time
from surprise import SVD, Dataset, Reader, accuracy
train_path, test_path = sys.argv[1:3]
reader = Reader(line_format="user item rating", sep="\t", skip_lines=1, rating_scale=(1, 5))
train = Dataset.load_from_file(train_path, reader).build_full_trainset()
with open(test_path) as f:
    test = [(u, i, float(r)) for u, i, r in (line.split("\t") for line in f.read().splitlines()[1:])]
for n_factors, reg, epochs in itertools.product([10, 50, 100], [0.02, 0.05, 0.1], [20, 50]):
    algo = SVD(n_factors=n_factors, reg_all=reg, n_epochs=epochs, random_state=0)
    start = time.perf_counter()
    algo.fit(train)
    seconds = time.perf_counter() - start
    score = accuracy.rmse(algo.test(test), verbose=False)
    print(json.dumps({"n_factors": n_factors, "reg_all": reg, "n_epochs": epochs, "rmse": score, "fit_s": seconds}))
"""


def ours(train: Ratings, test: Ratings) -> list[dict]:
    rows = []
    for normalize, method, max_iter in CONFIGS:
        start = time.perf_counter()
        table = sweep(
            train,
            FEATURES,
            LAMBDAS,
            validation=test,
            random_state=SEED,
            normalize=normalize,
            method=method,
            max_iter=max_iter,
        )
        total = time.perf_counter() - start
        best = table.loc[table["validation_rmse"].idxmin()]
        rows.append(
            {
                "model": f"CF Lab, normalize={normalize!r}, {method} x {max_iter}",
                "best": f"k={int(best['num_features'])}, lambda={best['lambda_']:g}",
                "rmse": float(best["validation_rmse"]),
                "fit_s": float(best["fit_seconds"]),
                "grid": f"{len(table)} fits in {total:.1f} s",
            }
        )
    return rows


def surprise(python: str, train: Ratings, test: Ratings) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        paths = []
        for name, ratings in (("train", train), ("test", test)):
            path = Path(directory) / f"{name}.tsv"
            frame = pd.DataFrame({"user": ratings.user_idx, "item": ratings.item_idx, "rating": ratings.values})
            frame.to_csv(path, sep="\t", index=False)
            paths.append(str(path))
        start = time.perf_counter()
        out = subprocess.run([python, "-c", SURPRISE_SCRIPT, *paths], capture_output=True, text=True, check=False)
        total = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"the scikit-surprise run failed:\n{out.stderr}")
    runs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    best = min(runs, key=lambda r: r["rmse"])
    return {
        "model": "scikit-surprise SVD (biased MF, SGD)",
        "best": f"{best['n_factors']} factors, reg {best['reg_all']:g}, {best['n_epochs']} epochs",
        "rmse": best["rmse"],
        "fit_s": best["fit_s"],
        "grid": f"{len(runs)} fits in {total:.1f} s",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surprise", metavar="PYTHON", help="an interpreter with scikit-surprise installed")
    args = parser.parse_args()

    n_users, n_items, n_ratings = MOVIELENS_SHAPES["100k"]
    ratings = synthetic_ratings(n_users, n_items, n_ratings, random_state=SEED)
    train, test = train_test_split(ratings, 0.2, random_state=SEED)
    print(f"100k synthetic set (not MovieLens): {train.n_ratings:,} training and {test.n_ratings:,} test ratings\n")
    rows = [
        {"model": "global mean", "rmse": rmse(test.values, np.full(test.n_ratings, train.values.mean()))},
        {"model": "item mean", "rmse": rmse(test.values, train.item_means()[test.item_idx])},
        *ours(train, test),
    ]
    if args.surprise:
        rows.append(surprise(args.surprise, train, test))
    print("| model | best configuration | test RMSE | fit s (best configuration) | whole grid |")
    print("|---|---|---|---|---|")
    for row in rows:
        fit = f"{row['fit_s']:.2f}" if "fit_s" in row else "—"
        print(f"| {row['model']} | {row.get('best', '—')} | {row['rmse']:.4f} | {fit} | {row.get('grid', '—')} |")


if __name__ == "__main__":
    main()
