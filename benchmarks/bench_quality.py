"""Held-out accuracy and fit time of the best configuration a sweep finds, next to a library baseline.

Two parts, both on synthetic data (``cf_core.synthetic``; nothing is downloaded), each judged on one
80/20 ``train_test_split``:

1. **Quality** on the 100k set (MovieLens-100K shape, power-law popularity, whole stars): the best test
   RMSE of ``cf_core.evaluation.sweep`` grids, *before* (one lambda for everything, as the estimator had
   it) and *after* the regularization options (``bias_lambda`` as a third dimension, and the weighted
   penalty), with the fit time of the winning configuration, beside global-mean and item-mean baselines.
2. **Large k** (``--large-k``) on a half-star set with the shape of MovieLens "latest-small" (610 users,
   9,724 items, ~100k ratings): 20 ALS sweeps at k=50 (exact and conjugate-gradient ALS) against
   scikit-surprise's SVD with 200 factors, run interleaved ``--repeat`` times, wall and CPU time.

``--surprise PYTHON`` runs scikit-surprise's ``SVD`` (biased MF by SGD, the baseline usually quoted for
MovieLens) tuned over a grid, in the given interpreter: surprise is not a CF Lab dependency (it builds
from source), so it lives in its own environment, e.g. ``python -m venv /tmp/s && /tmp/s/bin/pip install
"numpy<2" Cython && /tmp/s/bin/pip install --no-build-isolation scikit-surprise``. ``--svdpp`` adds
SVD++ with its default settings (slow: minutes).

    python benchmarks/bench_quality.py [--surprise /tmp/s/bin/python] [--svdpp] [--large-k] [--repeat 3]
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
from threadpoolctl import threadpool_limits  # noqa: E402

from cf_core.estimator import CollaborativeFiltering  # noqa: E402
from cf_core.evaluation import rmse, sweep, train_test_split  # noqa: E402
from cf_core.ratings import Ratings  # noqa: E402
from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings  # noqa: E402

SEED = 0
FEATURES = [2, 5, 10, 20]
LAMBDAS = [0.3, 1.0, 3.0, 10.0, 30.0]
# The weighted penalty multiplies lambda by each row's rating count, so its useful lambdas are smaller.
WEIGHTED_LAMBDAS = [0.01, 0.03, 0.1, 0.3]
BIAS_LAMBDAS = [0.3, 1.0, 3.0, 10.0]

#: (title, sweep grid and fit parameters). "before" is the configuration space the estimator had.
GRIDS: list[tuple[str, dict]] = [
    (
        "before: biased MF, one lambda, L-BFGS-B x 100",
        {"lambdas": LAMBDAS, "normalize": "biases", "method": "L-BFGS-B", "max_iter": 100},
    ),
    ("before: biased MF, one lambda, ALS x 20", {"lambdas": LAMBDAS, "normalize": "biases", "method": "als"}),
    (
        "before: item-mean normalization, L-BFGS-B x 100",
        {"lambdas": LAMBDAS, "normalize": "mean", "method": "L-BFGS-B", "max_iter": 100},
    ),
    (
        "after: biased MF, lambda x bias lambda, ALS x 20",
        {"lambdas": LAMBDAS, "bias_lambdas": BIAS_LAMBDAS, "normalize": "biases", "method": "als"},
    ),
    (
        "after: biased MF, weighted lambda x bias lambda, ALS x 20",
        {
            "lambdas": WEIGHTED_LAMBDAS,
            "bias_lambdas": [0.1, 0.3, 1.0, 3.0],
            "normalize": "biases",
            "method": "als",
            "regularization": "weighted",
        },
    ),
]

# Runs scikit-surprise on train/test TSV files for each JSON config on stdin-less argv; prints JSON lines.
SURPRISE_SCRIPT = r"""
import json, sys, time
from surprise import SVD, SVDpp, Dataset, Reader, accuracy
train_path, test_path, scale, configs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
reader = Reader(line_format="user item rating", sep="\t", skip_lines=1, rating_scale=tuple(scale))
train = Dataset.load_from_file(train_path, reader).build_full_trainset()
with open(test_path) as f:
    test = [(u, i, float(r)) for u, i, r in (line.split("\t") for line in f.read().splitlines()[1:])]
for config in configs:
    cls = SVDpp if config.pop("algo") == "SVD++" else SVD
    algo = cls(random_state=0, **config)
    wall, cpu = time.perf_counter(), time.process_time()
    algo.fit(train)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    score = accuracy.rmse(algo.test(test), verbose=False)
    print(json.dumps({**config, "rmse": score, "fit_s": wall, "fit_cpu_s": cpu}), flush=True)
"""
SVD_GRID = [
    {"algo": "SVD", "n_factors": f, "reg_all": reg, "n_epochs": e}
    for f in (10, 50, 100)
    for reg in (0.02, 0.05, 0.1)
    for e in (20, 50)
]


def ours(train: Ratings, test: Ratings) -> list[dict]:
    rows = []
    for title, grid in GRIDS:
        grid = dict(grid)
        lambdas = grid.pop("lambdas")
        grid.setdefault("max_iter", 20)
        start = time.perf_counter()
        table = sweep(train, FEATURES, lambdas, validation=test, random_state=SEED, **grid)
        total = time.perf_counter() - start
        best = table.loc[table["validation_rmse"].idxmin()]
        bias = "" if np.isnan(best["bias_lambda"]) else f", bias lambda={best['bias_lambda']:g}"
        rows.append(
            {
                "model": f"CF Lab, {title}",
                "best": f"k={int(best['num_features'])}, lambda={best['lambda_']:g}{bias}",
                "rmse": float(best["validation_rmse"]),
                "fit_s": float(best["fit_seconds"]),
                "grid": f"{len(table)} fits in {total:.1f} s",
            }
        )
    return rows


def _write_tsv(ratings: Ratings, path: Path) -> str:
    frame = pd.DataFrame({"user": ratings.user_idx, "item": ratings.item_idx, "rating": ratings.values})
    frame.to_csv(path, sep="\t", index=False)
    return str(path)


def run_surprise(python: str, train: Ratings, test: Ratings, configs: list[dict]) -> list[dict]:
    with tempfile.TemporaryDirectory() as directory:
        paths = [_write_tsv(r, Path(directory) / f"{n}.tsv") for n, r in (("train", train), ("test", test))]
        scale = json.dumps(list(train.rating_scale))
        out = subprocess.run(
            [python, "-c", SURPRISE_SCRIPT, *paths, scale, json.dumps(configs)],
            capture_output=True,
            text=True,
            check=False,
        )
    if out.returncode != 0:
        raise SystemExit(f"the scikit-surprise run failed:\n{out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def surprise_rows(python: str, train: Ratings, test: Ratings, svdpp: bool) -> list[dict]:
    start = time.perf_counter()
    runs = run_surprise(python, train, test, [dict(c) for c in SVD_GRID])
    total = time.perf_counter() - start
    best = min(runs, key=lambda r: r["rmse"])
    rows = [
        {
            "model": "scikit-surprise SVD (biased MF, SGD), tuned",
            "best": f"{best['n_factors']} factors, reg {best['reg_all']:g}, {best['n_epochs']} epochs",
            "rmse": best["rmse"],
            "fit_s": best["fit_s"],
            "grid": f"{len(runs)} fits in {total:.1f} s",
        }
    ]
    if svdpp:
        (run,) = run_surprise(python, train, test, [{"algo": "SVD++"}])
        rows.append({"model": "scikit-surprise SVD++ (defaults)", "best": "20 factors", **run})
    return rows


def half_star_set() -> Ratings:
    """MovieLens latest-small's shape (610 users, 9,724 items, 100,836 ratings) on a 0.5-5 half-star scale."""
    r = synthetic_ratings(610, 9_724, 100_836, stars=False, random_state=SEED)
    values = np.clip(np.rint(r.values * 2) / 2, 0.5, 5.0)
    return Ratings(r.item_idx, r.user_idx, values, r.items, r.users, rating_scale=(0.5, 5.0))


def large_k(python: str | None, repeat: int) -> None:
    ratings = half_star_set()
    train, test = train_test_split(ratings, 0.2, random_state=SEED)
    print(
        f"\nLarge k: half-star set, {ratings.n_items:,} items x {ratings.n_users:,} users; "
        f"{train.n_ratings:,} training ratings\n"
    )
    times: dict[str, list[tuple[float, float, float]]] = {}
    for _ in range(repeat):  # interleaved, so a busy moment on the machine hits every contestant
        for method in ("als", "als-cg"):
            model = CollaborativeFiltering(50, 10.0, 20, normalize="biases", method=method, tol=1e-15, random_state=0)
            wall, cpu = time.perf_counter(), time.process_time()
            model.fit(train)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            score = rmse(test.values, model.predict_ratings(test))
            times.setdefault(f"CF Lab {method}, k=50, 20 sweeps", []).append((wall, cpu, score))
        if python:
            (run,) = run_surprise(python, train, test, [{"algo": "SVD", "n_factors": 200}])
            times.setdefault("scikit-surprise SVD, 200 factors, 20 epochs", []).append(
                (run["fit_s"], run["fit_cpu_s"], run["rmse"])
            )
    print("| model | fit s (median wall) | fit CPU s (median) | test RMSE |")
    print("|---|---|---|---|")
    for name, runs in times.items():
        wall, cpu, score = np.median(np.array(runs), axis=0)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {score:.4f} |")
    ref = "scikit-surprise SVD, 200 factors, 20 epochs"
    if ref in times:
        ref_cpu = np.median([t[1] for t in times[ref]])
        for name, runs in times.items():
            if name != ref:
                print(f"{name}: {np.median([t[1] for t in runs]) / ref_cpu:.2f} x SVD-200's CPU time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surprise", metavar="PYTHON", help="an interpreter with scikit-surprise installed")
    parser.add_argument("--svdpp", action="store_true", help="also run surprise's SVD++ (slow)")
    parser.add_argument("--large-k", action="store_true", help="time 20 ALS sweeps at k=50 against SVD-200")
    parser.add_argument("--no-quality", action="store_true", help="skip the quality sweep")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repeats of the large-k timing")
    args = parser.parse_args()
    threadpool_limits(limits=1, user_api="blas")  # the process's setting, as the app sets it at start-up

    if not args.no_quality:
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
            rows += surprise_rows(args.surprise, train, test, args.svdpp)
        print("| model | best configuration | test RMSE | fit s (best configuration) | whole grid |")
        print("|---|---|---|---|---|")
        for row in rows:
            fit = f"{row['fit_s']:.2f}" if "fit_s" in row else "—"
            print(f"| {row['model']} | {row.get('best', '—')} | {row['rmse']:.4f} | {fit} | {row.get('grid', '—')} |")
    if args.large_k:
        large_k(args.surprise, args.repeat)


if __name__ == "__main__":
    main()
