"""Fixtures shared by the app-level tests (the data fixtures for cf_core live in tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cf_core import Ratings

NAN = np.nan


@pytest.fixture(scope="module")
def small() -> Ratings:
    """A 6 x 5 grid with two tastes and a few holes: small enough to check every number a view shows."""
    Y = [
        [5, 5, 0, 0, NAN],
        [5, NAN, NAN, 0, 1],
        [NAN, 4, 0, NAN, 2],
        [0, 0, 5, 4, NAN],
        [0, 0, 5, NAN, 4],
        [1, NAN, 4, 5, 5],
    ]
    return Ratings.from_dense(Y, items=[f"m{i}" for i in range(6)], users=list("abcde"), rating_scale=(0, 5))
