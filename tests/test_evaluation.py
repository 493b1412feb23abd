"""Tests for cf_core.evaluation: honest splits, error measures by hand, and sweeps that can be stopped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cf_core import CollaborativeFiltering, Ratings, mae, rmse, sweep, train_test_split
from cf_core.evaluation import SWEEP_COLUMNS


def keys(r: Ratings) -> set[tuple[int, int]]:
    return set(zip(r.item_idx.tolist(), r.user_idx.tolist(), strict=True))


# ------------------------------------------------------------------------------------------ split
@given(
    st.integers(2, 12),
    st.integers(2, 12),
    st.floats(0.2, 1.0),
    st.floats(0.05, 0.6),
    st.integers(0, 2**32 - 1),
)
def test_split_is_disjoint_complete_and_protects_rows_with_two_ratings(
    make_problem, n_items, n_users, density, test_size, seed
) -> None:
    ratings = make_problem(n_items, n_users, 1, density=density, seed=seed).ratings
    try:
        train, test = train_test_split(ratings, test_size, random_state=seed)
    except ValueError as error:  # only when nothing at all can be held out
        assert "cannot hold out any" in str(error)
        return
    assert not keys(train) & keys(test)
    assert keys(train) | keys(test) == keys(ratings)
    assert train.shape == test.shape == ratings.shape
    assert train.items.equals(ratings.items) and test.users.equals(ratings.users)
    Y, _ = ratings.to_dense()
    for part in (train, test):
        np.testing.assert_array_equal(part.values, Y[part.item_idx, part.user_idx])
    assert np.all(train.item_counts()[ratings.item_counts() >= 2] >= 1)
    assert np.all(train.user_counts()[ratings.user_counts() >= 2] >= 1)
    assert test.n_ratings <= round(test_size * ratings.n_ratings)


def test_split_size_when_nothing_is_scarce() -> None:
    ratings = Ratings.from_dense(np.arange(1.0, 101.0).reshape(10, 10))
    train, test = train_test_split(ratings, 0.25, random_state=0)
    assert (train.n_ratings, test.n_ratings) == (75, 25)


def test_split_is_deterministic_under_a_seed(make_problem) -> None:
    ratings = make_problem(20, 15, 1, density=0.5, seed=1).ratings
    a = train_test_split(ratings, 0.3, random_state=7)
    b = train_test_split(ratings, 0.3, random_state=7)
    c = train_test_split(ratings, 0.3, random_state=8)
    assert a[0] == b[0] and a[1] == b[1]
    assert keys(a[1]) != keys(c[1])


@pytest.mark.parametrize("size", [0, 1, -0.1, 1.5])
def test_split_size_must_be_a_share(tiny_ratings: Ratings, size: float) -> None:
    with pytest.raises(ValueError, match=f"test_size must be a share between 0 and 1.*got {size}"):
        train_test_split(tiny_ratings, size)


def test_split_with_nothing_to_spare_says_so() -> None:
    with pytest.raises(ValueError, match="cannot hold out any of the 1 ratings"):
        train_test_split(Ratings.from_dense([[3.0]]), 0.5, random_state=0)
    with pytest.raises(ValueError, match="cannot hold out any of the 2 ratings with test_size=0.2"):
        train_test_split(Ratings.from_dense([[3.0, 4.0]]), 0.2, random_state=0)


def test_split_always_leaves_something_to_train_on() -> None:
    diagonal = Ratings.from_dense(np.where(np.eye(3) > 0, 4.0, np.nan))  # no rating is protected
    train, test = train_test_split(diagonal, 0.9, random_state=0)
    assert (train.n_ratings, test.n_ratings) == (1, 2)


# ---------------------------------------------------------------------------------------- metrics
def test_rmse_and_mae_by_hand() -> None:
    truth, pred = [1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 1.0, 4.0]  # errors 1, 0, -2, 0
    assert rmse(truth, pred) == pytest.approx(np.sqrt(5 / 4))
    assert mae(truth, pred) == pytest.approx(3 / 4)
    assert rmse(truth, truth) == mae(truth, truth) == 0.0


@given(st.lists(st.floats(-100, 100), min_size=1, max_size=30), st.floats(-10, 10))
def test_constant_error_gives_its_size(values: list[float], shift: float) -> None:
    shifted = np.asarray(values) + shift
    assert rmse(values, shifted) == pytest.approx(abs(shift), abs=1e-9)
    assert mae(values, shifted) == pytest.approx(abs(shift), abs=1e-9)
    assert mae(values, shifted) <= rmse(values, shifted) + 1e-12


# ------------------------------------------------------------------------------------------ sweep
def test_sweep_has_one_row_per_combination_with_the_documented_columns(low_rank) -> None:
    table = sweep(low_rank.train, [1, 2], [0.1, 1.0, 10.0], validation=low_rank.test, max_iter=30)
    assert list(table.columns) == SWEEP_COLUMNS
    assert list(zip(table["num_features"], table["lambda_"], strict=True)) == [
        (k, lam) for k in (1, 2) for lam in (0.1, 1.0, 10.0)
    ]
    assert (table["fit_seconds"] >= 0).all() and (table["n_iter"] <= 30).all()
    row = table.iloc[4]  # k=2, lambda=1.0: the same numbers as fitting that model directly
    model = CollaborativeFiltering(2, 1.0, 30, random_state=0).fit(low_rank.train)
    assert row["validation_rmse"] == pytest.approx(rmse(low_rank.test.values, model.predict_ratings(low_rank.test)))
    assert row["train_rmse"] == pytest.approx(rmse(low_rank.train.values, model.predict_ratings(low_rank.train)))
    assert row["final_cost"] == pytest.approx(model.cost_history_[-1])
    assert row["n_iter"] == model.n_iter_


def test_sweep_splits_itself_without_validation(low_rank) -> None:
    table = sweep(low_rank.train, [2], [0.5], test_size=0.25, random_state=3, max_iter=20, method="als")
    train, held_out = train_test_split(low_rank.train, 0.25, random_state=3)
    model = CollaborativeFiltering(2, 0.5, 20, method="als", random_state=3).fit(train)
    assert table["validation_rmse"].iloc[0] == pytest.approx(rmse(held_out.values, model.predict_ratings(held_out)))


def test_sweep_callback_sees_progress_and_can_stop(low_rank) -> None:
    calls = []

    def callback(done: int, total: int, row: dict) -> bool:
        calls.append((done, total, row["num_features"], row["lambda_"]))
        return done == 2

    table = sweep(low_rank.train, [1, 2, 3], [0.1, 1.0], validation=low_rank.test, callback=callback, max_iter=10)
    assert calls == [(1, 6, 1, 0.1), (2, 6, 1, 1.0)]
    assert len(table) == 2 and list(table.columns) == SWEEP_COLUMNS


def test_empty_sweep_still_has_the_columns(low_rank) -> None:
    table = sweep(low_rank.train, [], [1.0], validation=low_rank.test)
    assert table.empty and list(table.columns) == SWEEP_COLUMNS


def test_sweep_random_state_seeds_split_and_fits(low_rank):
    a = sweep(low_rank.train, [2], [1.0], random_state=0, max_iter=5)
    b = sweep(low_rank.train, [2], [1.0], random_state=0, max_iter=5)
    c = sweep(low_rank.train, [2], [1.0], random_state=1, max_iter=5)
    pd.testing.assert_frame_equal(a.drop(columns="fit_seconds"), b.drop(columns="fit_seconds"))
    assert a["final_cost"].iloc[0] != c["final_cost"].iloc[0]


def test_sweep_over_bias_lambda_as_a_third_dimension(low_rank) -> None:
    table = sweep(
        low_rank.train,
        [2],
        [1.0, 3.0],
        validation=low_rank.test,
        bias_lambdas=[0.1, 10.0],
        normalize="biases",
        max_iter=20,
        method="als",
    )
    assert list(table.columns) == SWEEP_COLUMNS
    assert sorted(zip(table["lambda_"], table["bias_lambda"], strict=True)) == [
        (1.0, 0.1),
        (1.0, 10.0),
        (3.0, 0.1),
        (3.0, 10.0),
    ]
    assert table["validation_rmse"].nunique() == 4  # bias_lambda really reached the fits


def test_sweep_without_bias_lambdas_reports_nan_for_same_as_lambda(low_rank) -> None:
    table = sweep(low_rank.train, [2], [1.0], validation=low_rank.test, max_iter=5)
    assert table["bias_lambda"].isna().all()
