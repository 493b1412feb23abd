"""Wall time of the Tuning tab's sweep on the 100k synthetic set: k in {2, 5, 10, 20}, 4 lambdas, 50 iterations.

The dashboard runs exactly this through :func:`cf_app.tuning.run_sweep` (a held-out 20% split, L-BFGS-B,
mean normalization); progress lines show what the progress bar shows.

    python benchmarks/bench_sweep.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cf_app.tuning import best_cell, run_sweep  # noqa: E402
from cf_core import train_test_split  # noqa: E402
from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings  # noqa: E402

KS = [2, 5, 10, 20]
LAMBDAS = [0.1, 1.0, 3.0, 10.0]
MAX_ITER = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="run the sweep this many times")
    args = parser.parse_args()
    n_users, n_items, n_ratings = MOVIELENS_SHAPES["100k"]
    ratings = synthetic_ratings(n_users, n_items, n_ratings, random_state=0)
    train, val = train_test_split(ratings, 0.2, random_state=0)
    print(f"{ratings!r}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"grid: k={KS} x lambda={LAMBDAS}, max_iter={MAX_ITER}")
    walls = []
    for rep in range(args.repeat):
        start = time.perf_counter()

        def progress(done: int, total: int, row: dict, start: float = start) -> None:
            print(
                f"  [{done:2d}/{total}] k={row['num_features']:2d} lambda={row['lambda_']:<5g} "
                f"val RMSE {row['validation_rmse']:.4f}  fit {row['fit_seconds']:.2f} s  "
                f"(elapsed {time.perf_counter() - start:.1f} s)",
                flush=True,
            )

        results = run_sweep(train, KS, LAMBDAS, validation=val, max_iter=MAX_ITER, random_state=0, progress=progress)
        walls.append(time.perf_counter() - start)
        best = best_cell(results)
        print(
            f"run {rep + 1}: wall {walls[-1]:.2f} s (sum of fits {results['fit_seconds'].sum():.2f} s); "
            f"best k={int(best['num_features'])}, lambda={best['lambda_']:g}, val RMSE {best['validation_rmse']:.4f}"
        )
    print(f"wall time: min {min(walls):.2f} s, max {max(walls):.2f} s over {len(walls)} run(s)")


if __name__ == "__main__":
    main()
