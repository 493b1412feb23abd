"""Tests for the helpers every part shares: one wording of "and N more", one ranking, one RMSE, one fitted check."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from cf_core import CollaborativeFiltering, NotFittedError, Ratings, check_fitted, rmse, top_n
from cf_core.messages import and_more


def test_and_more_names_the_first_few_then_counts_the_rest() -> None:
    assert and_more(["a", "b"]) == "a, b"
    assert and_more(list("abcdefg")) == "a, b, c, d, e and 2 more"
    assert and_more([1, 2, 3], at_most=2) == "1, 2 and 1 more"
    assert and_more(["x", "y"], total=5, sep="; ") == "x; y; and 3 more"
    assert and_more([]) == ""


def test_top_n_ranks_highest_first_ties_to_the_lower_position_and_skips_excluded() -> None:
    scores = np.array([1.0, 3.0, 3.0, 2.0])
    assert top_n(scores, 3).tolist() == [1, 2, 3]
    assert top_n(scores, 2, exclude=np.array([False, True, False, False])).tolist() == [2, 3]
    assert top_n(scores, 10).tolist() == [1, 2, 3, 0]
    assert top_n(scores, -1).tolist() == []


def test_rmse_of_nothing_is_nan_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(rmse([], []))
    assert rmse([1.0, 2.0], [2.0, 4.0]) == pytest.approx(math.sqrt(2.5))


def test_check_fitted_is_the_one_not_fitted_error() -> None:
    model = CollaborativeFiltering(max_iter=2)
    with pytest.raises(NotFittedError, match="call fit\\(ratings\\) before saving it"):
        check_fitted(model, "before saving it")
    with pytest.raises(ValueError, match="not fitted yet"):  # NotFittedError is a ValueError too
        model.predict(0, 0)
    model.fit(Ratings.from_dense([[5, 4], [1, 2]], [[1, 1], [1, 0]]))
    check_fitted(model)
