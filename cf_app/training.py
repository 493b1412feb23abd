"""Training from the page: hyperparameters, live progress, Stop, and a bounded cache of results.

A fit reports every iteration through ``cf_core``'s ``callback``; :class:`LiveProgress` turns that into a
progress bar (iteration, cost, elapsed time). Results are cached by (data fingerprint, parameters) with
``st.cache_data``, but the cache is only a *store*: the fit itself runs outside the cached function,
because Streamlit replays elements drawn inside a cached function on a hit and cannot replay ones drawn
into a placeholder made outside it (it raises CacheReplayClosureError). So: look up (a miss raises and
is not cached), fit with live progress, then store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cf_core import CollaborativeFiltering, Ratings, TrainingProgress, train_test_split
from cf_core.solvers import solver_labels

__all__ = [
    "Params",
    "TrainResult",
    "LiveProgress",
    "train",
    "NORMALIZATION_LABELS",
    "METHOD_LABELS",
    "REGULARIZATION_LABELS",
]

#: Sidebar label -> ``normalize`` value.
NORMALIZATION_LABELS: dict[str, str | None] = {
    "Item mean (course)": "mean",
    "None (seed)": None,
    "Learned biases": "biases",
}
#: Sidebar label -> ``method`` value.
METHOD_LABELS: dict[str, str] = solver_labels()
#: Sidebar label -> ``regularization`` value.
REGULARIZATION_LABELS: dict[str, str] = {"Plain (course)": "l2", "Weighted by ratings (ALS-WR)": "weighted"}


@dataclass(frozen=True)
class Params:
    """Everything the sidebar sets for one fit; hashable, so it is part of the cache key."""

    num_features: int = 2
    lambda_: float = 1.0
    max_iter: int = 100
    method: str = "L-BFGS-B"
    normalize: str | None = "mean"
    random_state: int = 0
    validation_share: float = 0.0
    bias_lambda: float | None = None  # None: the same as lambda_
    regularization: str = "l2"

    def estimator(self) -> CollaborativeFiltering:
        return CollaborativeFiltering(
            self.num_features,
            self.lambda_,
            self.max_iter,
            bias_lambda=self.bias_lambda,
            regularization=self.regularization,
            normalize=self.normalize,
            method=self.method,
            random_state=self.random_state,
        )

    def describe(self) -> str:
        norm = {v: k for k, v in NORMALIZATION_LABELS.items()}[self.normalize]
        method = {v: k for k, v in METHOD_LABELS.items()}[self.method]
        val = f", validation {self.validation_share:.0%}" if self.validation_share else ""
        bias = "" if self.bias_lambda is None or self.normalize != "biases" else f", bias lambda={self.bias_lambda:g}"
        weighted = ", weighted by ratings" if self.regularization == "weighted" else ""
        return (
            f"k={self.num_features}, lambda={self.lambda_:g}{weighted}{bias}, {self.max_iter} iterations, {method}, "
            f"normalization: {norm}, seed {self.random_state}{val}"
        )


@dataclass
class TrainResult:
    """A fitted model and what the views need beside it."""

    model: CollaborativeFiltering
    params: Params
    fingerprint: str
    validation: Ratings | None  # held-out ratings (None without a validation share)
    train_rmse_history: np.ndarray | None  # iterations 1..n_iter_, recorded when a validation share is set
    seconds: float
    ratings: Ratings | None = None  # all ratings (training + validation), attached after the cache
    from_cache: bool = False

    @property
    def train(self) -> Ratings:
        return self.model.ratings_


class LiveProgress:
    """A ``cf_core`` training callback that draws progress into Streamlit elements made by the caller.

    Updates are throttled (every ``interval`` seconds and on the last iteration): a small fit runs
    hundreds of iterations a second, and each update is a message to the browser. Each update is also
    where a Stop click interrupts the script.
    """

    def __init__(
        self, bar: st.delta_generator.DeltaGenerator, record: dict | None = None, interval: float = 0.15
    ) -> None:
        self.bar = bar
        self.record = record  # e.g. a session-state dict: the last iteration survives an interrupted run
        self.interval = interval
        self.calls = 0
        self.last: TrainingProgress | None = None
        self._shown_at = -np.inf

    def __call__(self, info: TrainingProgress) -> None:
        self.calls += 1
        self.last = info
        if self.record is not None:
            self.record["iteration"] = info.iteration
        now = time.perf_counter()
        if now - self._shown_at >= self.interval or info.iteration >= info.max_iter:
            self._shown_at = now
            self.bar.progress(min(info.iteration / max(info.max_iter, 1), 1.0), text=progress_text(info))


def progress_text(info: TrainingProgress) -> str:
    """'Iteration 12 / 100 · cost 3.2104 · 0.4 s' (plus validation RMSE when there is one)."""
    text = f"Iteration {info.iteration} / {info.max_iter} · cost {info.cost:.5g} · {info.elapsed:.1f} s"
    if info.validation_rmse is not None:
        text += f" · validation RMSE {info.validation_rmse:.4f}"
    return text


class _NotCached(LookupError):
    """Raised by the cache lookup on a miss; exceptions are never cached."""


@st.cache_data(max_entries=24, max_size="256MB", show_spinner=False)
def _result_store(fingerprint: str, params: Params, _value: TrainResult | None) -> TrainResult:
    """Bounded store of results keyed by (data fingerprint, params): returns ``_value``, or raises on a miss."""
    if _value is None:
        raise _NotCached(fingerprint)
    return _value


def _fit(
    ratings: Ratings, params: Params, fingerprint: str, callback: Callable[[TrainingProgress], None]
) -> TrainResult:
    model = params.estimator()
    validation = None
    train = ratings
    train_rmse: list[float] = []
    if params.validation_share > 0:
        train, validation = train_test_split(ratings, params.validation_share, random_state=params.random_state)

        def with_train_rmse(info: TrainingProgress) -> None:
            # With validation data every progress report carries the training RMSE of the same iteration.
            train_rmse.append(float(info.train_rmse))
            callback(info)

        fit_callback: Callable[[TrainingProgress], None] = with_train_rmse
    else:
        fit_callback = callback
    start = time.perf_counter()
    model.fit(train, callback=fit_callback, validation=validation)
    seconds = time.perf_counter() - start
    history = np.array(train_rmse) if validation is not None else None
    return TrainResult(model, params, fingerprint, validation, history, seconds)


def train(
    ratings: Ratings, params: Params, fingerprint: str, progress: Callable[[TrainingProgress], None]
) -> TrainResult:
    """The result for ``ratings`` and ``params``: from the cache when this exact fit was done before.

    ``progress`` sees every iteration of a real fit and nothing on a cache hit (``from_cache`` says which).
    """
    try:
        result = _result_store(fingerprint, params, None)
        result.from_cache = True
    except _NotCached:
        result = _fit(ratings, params, fingerprint, progress)
        _result_store(fingerprint, params, result)
    result.ratings = ratings
    return result
