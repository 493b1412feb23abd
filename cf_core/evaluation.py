"""Held-out evaluation: splitting rated entries, error measures, and hyperparameter sweeps.

A person tuning by hand needs to see what generalizes, not just what lowers the training cost; these
functions give the numbers behind the dashboard's validation curves and sweep heatmaps.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from .ratings import Ratings

__all__ = ["train_test_split", "rmse", "mae", "sweep", "SWEEP_COLUMNS"]

SWEEP_COLUMNS = [
    "num_features",
    "lambda_",
    "bias_lambda",
    "train_rmse",
    "validation_rmse",
    "final_cost",
    "n_iter",
    "fit_seconds",
]


def train_test_split(
    ratings: Ratings, test_size: float = 0.2, random_state: int | np.random.Generator | None = None
) -> tuple[Ratings, Ratings]:
    """Split rated entries into training and test Ratings over the same grid.

    Every user and item with two or more ratings keeps at least one of them in training, so the model
    has learned something about everyone it is tested on. ``test_size`` is a share in (0, 1) of all
    ratings; fewer go to test when the protected ones leave too few.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be a share between 0 and 1 (exclusive), got {test_size!r}")
    n = ratings.n_ratings
    rng = np.random.default_rng(random_state)
    priority = rng.permutation(n)  # a random rank per entry; the lowest-ranked entry of a row is protected
    protected = np.zeros(n, dtype=bool)
    for idx, counts in ((ratings.item_idx, ratings.item_counts()), (ratings.user_idx, ratings.user_counts())):
        order = np.lexsort((priority, idx))
        first = order[np.r_[True, idx[order][1:] != idx[order][:-1]]]
        protected[first[counts[idx[first]] >= 2]] = True
    candidates = np.flatnonzero(~protected)
    # n - 1 at most: a split that leaves nothing to train on is no split.
    n_test = min(int(round(test_size * n)), len(candidates), n - 1)
    if n_test == 0:
        raise ValueError(
            f"cannot hold out any of the {n} ratings with test_size={test_size}: "
            "every rating is the only training rating of some user or item"
        )
    test_mask = np.zeros(n, dtype=bool)
    test_mask[rng.choice(candidates, n_test, replace=False)] = True
    return ratings.subset(~test_mask), ratings.subset(test_mask)


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root-mean-square error (NaN for no values). The one RMSE of CF Lab: fits, sweeps and the app use it."""
    d = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.sqrt(np.mean(d**2))) if d.size else float("nan")


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error."""
    d = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(np.abs(d)))


def sweep(
    ratings: Ratings,
    num_features: Iterable[int],
    lambdas: Iterable[float],
    *,
    validation: Ratings | None = None,
    test_size: float = 0.2,
    random_state: int | None = 0,
    callback: Callable[[int, int, dict[str, Any]], bool | None] | None = None,
    bias_lambdas: Iterable[float | None] | None = None,
    **fit_params: Any,
) -> pd.DataFrame:
    """Fit one model per (num_features, lambda[, bias_lambda]) and report training and validation RMSE and fit time.

    ``bias_lambdas`` adds the biases' own regularization as a third dimension (with ``normalize="biases"``);
    the ``bias_lambda`` column is NaN where the fit used lambda for the biases too.

    Without ``validation`` the ratings are split with :func:`train_test_split` (``test_size``,
    ``random_state``) so every combination is judged on the same held-out entries; ``random_state`` also
    seeds every fit, so all combinations start from comparable draws. ``fit_params`` go to
    :class:`CollaborativeFiltering` (``max_iter``, ``method``, ``normalize``...). ``callback(done, total,
    row)`` after each fit may return True to stop the sweep early; finished rows are kept.
    """
    if validation is None:
        train, validation = train_test_split(ratings, test_size, random_state)
    else:
        train = ratings
    bias_grid = [fit_params.pop("bias_lambda", None)] if bias_lambdas is None else list(bias_lambdas)
    grid = list(itertools.product(list(num_features), list(lambdas), bias_grid))
    rows: list[dict[str, Any]] = []
    from .estimator import CollaborativeFiltering  # here, not at the top: the estimator uses this module's rmse

    for done, (k, lam, bias_lam) in enumerate(grid, start=1):
        model = CollaborativeFiltering(k, lam, random_state=random_state, bias_lambda=bias_lam, **fit_params)
        start = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - start
        row = {
            "num_features": k,
            "lambda_": lam,
            "bias_lambda": np.nan if bias_lam is None else float(bias_lam),
            "train_rmse": rmse(train.values, model.predict_ratings(train)),
            "validation_rmse": rmse(validation.values, model.predict_ratings(validation)),
            "final_cost": float(model.cost_history_[-1]),
            "n_iter": model.n_iter_,
            "fit_seconds": seconds,
        }
        rows.append(row)
        if callback is not None and callback(done, len(grid), row):
            break
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS)
