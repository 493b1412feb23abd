"""Shared data fixtures: small rating matrices every cf_core test can build on, and the hypothesis profile.

Fixtures here make *data* only (app and browser fixtures live beside their own tests). Everything is
seeded, so a failure reproduces exactly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from cf_core import Ratings, threads

# deadline=None: timings on a shared 2-core machine are noise, and speed is measured in benchmarks instead.
settings.register_profile(
    "cf-fast", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile(
    "cf-thorough", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "cf-fast"))


@dataclass(frozen=True)
class Problem:
    """A random CF problem: parameters, the dense textbook Y/R, and the same data as Ratings."""

    X: np.ndarray
    Theta: np.ndarray
    Y: np.ndarray
    R: np.ndarray
    ratings: Ratings


def random_problem(
    n_items: int, n_users: int, k: int, density: float = 0.5, seed: int = 0, scale: float = 5.0
) -> Problem:
    """Random X, Theta and a partly observed Y; at least one entry is always rated.

    Y holds junk (not zero) where R is 0, so a test notices if anything reads an unrated entry.
    """
    rng = np.random.default_rng(seed)
    R = (rng.random((n_items, n_users)) < density).astype(float)
    if not R.any():
        R[rng.integers(n_items), rng.integers(n_users)] = 1.0
    Y = np.where(R == 1, rng.uniform(0, scale, (n_items, n_users)), rng.uniform(-1e3, 1e3, (n_items, n_users)))
    X = rng.normal(size=(n_items, k))
    Theta = rng.normal(size=(n_users, k))
    return Problem(X, Theta, Y, R, Ratings.from_dense(Y, R))


@pytest.fixture(scope="session")
def make_problem() -> Callable[..., Problem]:
    """Factory for :func:`random_problem`; session-scoped (it is pure), so hypothesis tests can use it."""
    return random_problem


@pytest.fixture
def tiny_ratings() -> Ratings:
    """The course's picture in miniature: 4 movies x 3 users, labelled, some entries missing.

    Item "D" has no ratings and user "carol" rated only "C", so fallbacks can be checked.
    """
    nan = np.nan
    Y = np.array(
        [
            [5.0, 4.0, nan],
            [nan, 1.0, nan],
            [1.0, nan, 5.0],
            [nan, nan, nan],
        ]
    )
    return Ratings.from_dense(Y, items=["A", "B", "C", "D"], users=["ann", "bob", "carol"], rating_scale=(1, 5))


@dataclass(frozen=True)
class LowRank:
    """An exactly rank-k signal plus known noise, split into training and held-out entries."""

    train: Ratings
    test: Ratings
    truth: np.ndarray
    noise: float
    rank: int


def low_rank_split(
    n_items: int = 40, n_users: int = 30, rank: int = 2, noise: float = 0.1, density: float = 0.6, seed: int = 0
) -> LowRank:
    """Y = U V^T + noise with ~20% of the observed entries held out; no rating scale clipping."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=(n_items, rank)) @ rng.normal(size=(n_users, rank)).T / np.sqrt(rank)
    Y = truth + rng.normal(0.0, noise, truth.shape)
    observed = rng.random(truth.shape) < density
    held_out = observed & (rng.random(truth.shape) < 0.2)
    # Keep every row and column trained: a held-out entry is only informative about a known item and user.
    held_out &= (observed & ~held_out).sum(axis=1, keepdims=True) >= rank + 2
    held_out &= (observed & ~held_out).sum(axis=0, keepdims=True) >= rank + 2
    scale = (float(Y.min()), float(Y.max()))
    train = Ratings.from_dense(Y, observed & ~held_out, rating_scale=scale)
    test = Ratings.from_dense(Y, held_out, rating_scale=scale)
    return LowRank(train, test, truth, noise, rank)


@pytest.fixture(scope="session")
def low_rank() -> LowRank:
    """A 40 x 30 rank-2 problem with noise 0.1 and held-out entries, for recovery tests."""
    return low_rank_split()


@pytest.fixture
def split_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let tiny problems be split between threads, so unit tests run the threaded code path."""
    monkeypatch.setattr(threads, "MIN_ENTRIES_PER_THREAD", 3)
