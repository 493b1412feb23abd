"""Tests for cf_core.estimator: the scikit-learn contract, training, predictions and their fallbacks."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cf_core import (
    CollaborativeFiltering,
    NotFittedError,
    Ratings,
    TrainingProgress,
    check_gradient,
    cost_and_gradient,
    rmse,
    train_test_split,
)
from cf_core.io import load_model, save_model
from cf_core.objective import SparseObjective
from cf_core.synthetic import synthetic_ratings

METHODS = ["L-BFGS-B", "CG", "als"]
PARAM_NAMES = [
    "num_features",
    "lambda_",
    "max_iter",
    "bias_lambda",
    "regularization",
    "normalize",
    "method",
    "init",
    "tol",
    "random_state",
    "n_jobs",
]


def fitted(ratings: Ratings, **params) -> CollaborativeFiltering:
    params = {"num_features": 2, "lambda_": 1.0, "max_iter": 50, "random_state": 0} | params
    return CollaborativeFiltering(**params).fit(ratings)


def with_params(model: CollaborativeFiltering, X: np.ndarray, Theta: np.ndarray) -> CollaborativeFiltering:
    """Overwrite learned features, so ranking and similarity rules can be checked on known vectors."""
    model.X_, model.Theta_ = np.asarray(X, dtype=float), np.asarray(Theta, dtype=float)
    return model


# ------------------------------------------------------------------------------------ the contract
def test_init_stores_params_and_nothing_else() -> None:
    model = CollaborativeFiltering(num_features=-5, lambda_="nonsense", method="nope")  # validated in fit
    assert vars(model) == model.get_params()
    assert list(model.get_params()) == PARAM_NAMES
    assert not hasattr(model, "X_")


def test_positional_textbook_signature() -> None:
    model = CollaborativeFiltering(3, 1.0, 50)
    assert (model.num_features, model.lambda_, model.max_iter) == (3, 1.0, 50)
    with pytest.raises(TypeError):
        CollaborativeFiltering(3, 1.0, 50, "mean")  # the rest are keyword-only


def test_get_params_set_params_round_trip() -> None:
    model = CollaborativeFiltering(4, 0.3, 20, normalize=None, method="als", init="normal", tol=1e-6, random_state=7)
    clone = CollaborativeFiltering(**model.get_params())
    assert clone.get_params() == model.get_params()
    other = CollaborativeFiltering()
    assert other.set_params(**model.get_params()) is other
    assert other.get_params() == model.get_params()
    assert repr(clone) == (
        "CollaborativeFiltering(num_features=4, lambda_=0.3, max_iter=20, normalize=None, method='als', "
        "init='normal', tol=1e-06, random_state=7)"
    )
    with pytest.raises(ValueError, match="unknown parameter 'alpha'"):
        other.set_params(alpha=1.0)


def test_fit_returns_self_and_sets_learned_state(tiny_ratings: Ratings) -> None:
    model = CollaborativeFiltering(2, 1.0, 10, random_state=0)
    assert model.fit(tiny_ratings) is model
    assert model.X_.shape == (4, 2) and model.Theta_.shape == (3, 2)
    assert model.ratings_ is tiny_ratings


def test_textbook_fit_Y_R_equals_fit_ratings(make_problem) -> None:
    p = make_problem(8, 6, 2, density=0.5, seed=1)
    a = CollaborativeFiltering(2, 1.0, 30, random_state=3).fit(p.Y, p.R)
    b = CollaborativeFiltering(2, 1.0, 30, random_state=3).fit(Ratings.from_dense(p.Y, p.R))
    np.testing.assert_array_equal(a.X_, b.X_)
    np.testing.assert_array_equal(a.Theta_, b.Theta_)
    np.testing.assert_array_equal(a.cost_history_, b.cost_history_)


def test_fit_accepts_a_wide_frame(tiny_ratings: Ratings) -> None:
    a = fitted(tiny_ratings.to_frame())
    b = fitted(Ratings.from_frame(tiny_ratings.to_frame()))
    np.testing.assert_array_equal(a.X_, b.X_)
    assert a.ratings_ == b.ratings_


def test_R_with_ratings_is_an_error(tiny_ratings: Ratings) -> None:
    with pytest.raises(ValueError, match="R is only for the textbook call"):
        CollaborativeFiltering().fit(tiny_ratings, np.ones(tiny_ratings.shape))


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("num_features", 0),
        ("num_features", 2.5),
        ("num_features", True),
        ("num_features", "3"),
        ("lambda_", -0.1),
        ("lambda_", float("nan")),
        ("lambda_", float("inf")),
        ("lambda_", "1"),
        ("lambda_", None),
        ("max_iter", -1),
        ("max_iter", 10.0),
        ("max_iter", False),
        ("normalize", "median"),
        ("method", "sgd"),
        ("init", "zeros"),
        ("tol", 0),
        ("tol", -1e-3),
        ("tol", "small"),
        ("tol", True),
        ("n_jobs", 0),
        ("n_jobs", 1.5),
        ("n_jobs", True),
        ("n_jobs", "all"),
        ("bias_lambda", -1.0),
        ("bias_lambda", float("nan")),
        ("bias_lambda", "1"),
        ("regularization", "l1"),
    ],
)
def test_invalid_params_fail_at_fit_naming_the_parameter(tiny_ratings: Ratings, param: str, value) -> None:
    model = CollaborativeFiltering(**{param: value})  # construction never validates
    with pytest.raises(ValueError, match=rf"^{param} must be"):
        model.fit(tiny_ratings)


def test_numpy_scalars_are_valid_params(tiny_ratings: Ratings) -> None:
    model = CollaborativeFiltering(np.int64(2), np.float64(0.5), np.int32(5), tol=np.float32(1e-4), random_state=0)
    assert model.fit(tiny_ratings).n_iter_ <= 5


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.predict(0, 0),
        lambda m: m.predict_matrix(),
        lambda m: m.predict_all(),
        lambda m: m.predict_ratings(None),
        lambda m: m.recommended_items(0),
        lambda m: m.recommendations(0),
        lambda m: m.compute_similarities(),
        lambda m: m.most_similar("items", 0),
        lambda m: m.fold_in([1.0]),
    ],
)
def test_using_an_unfitted_model_raises_not_fitted(call) -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        call(CollaborativeFiltering())
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)


# ------------------------------------------------------------------------------------- training
@pytest.mark.parametrize("method", METHODS)
def test_cost_history_starts_at_initial_cost_and_has_one_entry_per_iteration(make_problem, method: str) -> None:
    p = make_problem(9, 7, 2, density=0.5, seed=2)
    start = CollaborativeFiltering(2, 0.5, 0, normalize=None, method=method, random_state=4).fit(p.ratings)
    model = CollaborativeFiltering(2, 0.5, 15, normalize=None, method=method, random_state=4).fit(p.ratings)
    assert model.cost_history_[0] == start.cost_history_[0]
    assert start.cost_history_[0] == pytest.approx(cost_and_gradient(start.X_, start.Theta_, p.ratings, 0.5)[0])
    assert len(model.cost_history_) == model.n_iter_ + 1
    assert 1 <= model.n_iter_ <= 15
    final_cost = cost_and_gradient(model.X_, model.Theta_, p.ratings, 0.5)[0]
    assert model.cost_history_[-1] == pytest.approx(final_cost, rel=1e-12)
    assert model.cost_history_[-1] < model.cost_history_[0]


@pytest.mark.parametrize("normalize", [None, "mean", "biases"])
def test_flat_gradient_matches_central_differences(make_problem, normalize) -> None:
    """The seed's _cost/_gradient on the flat vector scipy sees: packing X, Theta (and biases) must agree."""
    p = make_problem(5, 4, 2, density=0.6, seed=9)
    model = CollaborativeFiltering(2, 0.7, 0, normalize=normalize, random_state=0).fit(p.ratings)
    r = p.ratings
    offsets = model.offsets_
    objective = SparseObjective(r.item_idx, r.user_idx, r.values - offsets[r.item_idx], r.shape, 0.7)
    params = np.random.default_rng(1).normal(size=(5 + 4) * 2 + (9 if normalize == "biases" else 0))
    analytical = model._gradient(params, objective)
    numerical = np.empty_like(params)
    for n in range(params.size):
        step = np.zeros_like(params)
        step[n] = 1e-4
        numerical[n] = (model._cost(params + step, objective) - model._cost(params - step, objective)) / 2e-4
    assert np.linalg.norm(numerical - analytical) / np.linalg.norm(numerical + analytical) < 1e-9


def test_max_iter_zero_keeps_the_initial_parameters(tiny_ratings: Ratings) -> None:
    model = CollaborativeFiltering(3, 1.0, 0, random_state=0).fit(tiny_ratings)
    assert model.n_iter_ == 0 and len(model.cost_history_) == 1 and not model.converged_
    expected = np.random.default_rng(0).random((4 + 3) * 3)
    np.testing.assert_array_equal(np.concatenate([model.X_.ravel(), model.Theta_.ravel()]), expected)


def test_init_normal_is_small_and_centred(make_problem) -> None:
    p = make_problem(30, 30, 5, seed=3)
    model = CollaborativeFiltering(5, 1.0, 0, init="normal", random_state=0).fit(p.ratings)
    assert abs(model.X_.mean()) < 0.02 and 0.08 < model.X_.std() < 0.12


@pytest.mark.parametrize("method", METHODS)
def test_callback_gets_progress_and_can_stop_keeping_parameters(make_problem, method: str) -> None:
    p = make_problem(10, 8, 2, density=0.6, seed=4)
    seen: list[TrainingProgress] = []
    snapshots: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def callback(progress: TrainingProgress) -> bool:
        seen.append(progress)
        assert not progress.X.flags.writeable and not progress.Theta.flags.writeable  # a UI cannot disturb training
        snapshots[progress.iteration] = (progress.X.copy(), progress.Theta.copy())
        return progress.iteration == 3

    model = CollaborativeFiltering(2, 1.0, 40, method=method, random_state=0).fit(p.ratings, callback=callback)
    assert [s.iteration for s in seen] == [1, 2, 3]
    assert all(isinstance(s, TrainingProgress) and s.max_iter == 40 and s.validation_rmse is None for s in seen)
    assert [s.cost for s in seen] == model.cost_history_[1:].tolist()
    assert seen[0].elapsed <= seen[-1].elapsed
    assert model.n_iter_ == 3 and len(model.cost_history_) == 4
    assert model.message_ == "stopped by callback" and not model.converged_
    np.testing.assert_array_equal(model.X_, snapshots[3][0])
    np.testing.assert_array_equal(model.Theta_, snapshots[3][1])


def test_callback_returning_none_does_not_stop(tiny_ratings: Ratings) -> None:
    calls = []
    model = CollaborativeFiltering(2, 1.0, 5, method="als", tol=1e-300, random_state=0)
    model.fit(tiny_ratings, callback=calls.append)
    assert len(calls) == model.n_iter_ == 5


@pytest.mark.parametrize("method", METHODS)
def test_validation_history(low_rank, method: str) -> None:
    reported = []
    model = CollaborativeFiltering(2, 0.1, 20, normalize=None, method=method, random_state=0)
    model.fit(low_rank.train, validation=low_rank.test, callback=lambda p: reported.append(p.validation_rmse))
    history = model.validation_history_
    assert len(history) == model.n_iter_ + 1
    assert history[1:].tolist() == reported
    assert history[-1] == pytest.approx(rmse(low_rank.test.values, model.predict_ratings(low_rank.test)))
    assert history[-1] < history[0]
    model.fit(low_rank.train)
    assert not hasattr(model, "validation_history_")  # a stale history from the last fit would mislead


def test_validation_must_cover_the_same_grid(low_rank) -> None:
    other = Ratings.from_dense(np.ones((3, 3)))
    with pytest.raises(ValueError, match="same items and users.*got 3 x 3"):
        CollaborativeFiltering().fit(low_rank.train, validation=other)


def test_als_cost_never_increases(low_rank) -> None:
    model = CollaborativeFiltering(3, 0.3, 60, method="als", random_state=0).fit(low_rank.train)
    costs = model.cost_history_
    assert np.all(np.diff(costs) <= 1e-12 * costs[0])


@pytest.mark.parametrize("normalize", [None, "mean", "biases"])
def test_all_methods_reach_the_same_cost(low_rank, normalize) -> None:
    finals = {
        method: CollaborativeFiltering(2, 1.0, 1000, normalize=normalize, method=method, tol=1e-12, random_state=0)
        .fit(low_rank.train)
        .cost_history_[-1]
        for method in METHODS
    }
    assert max(finals.values()) - min(finals.values()) < 1e-4 * min(finals.values()), finals


@pytest.mark.parametrize("regularization", ["l2", "weighted"])
def test_all_methods_reach_the_same_cost_with_the_new_penalties(low_rank, regularization: str) -> None:
    """bias_lambda and the weighted penalty are in every solver's cost, not only in the one reported."""
    finals = {
        method: CollaborativeFiltering(
            2,
            0.05 if regularization == "weighted" else 1.0,
            2000,
            bias_lambda=0.01,
            regularization=regularization,
            normalize="biases",
            method=method,
            tol=1e-12,
            random_state=0,
        )
        .fit(low_rank.train)
        .cost_history_[-1]
        for method in METHODS
    }
    assert max(finals.values()) - min(finals.values()) < 1e-4 * min(finals.values()), finals


@pytest.mark.parametrize("method", METHODS)
def test_default_bias_lambda_is_lambda_bit_for_bit(low_rank, method: str) -> None:
    """bias_lambda=None keeps every earlier result: the same as passing lambda_ explicitly."""
    a = fitted(low_rank.train, normalize="biases", method=method, max_iter=20)
    b = fitted(low_rank.train, normalize="biases", method=method, max_iter=20, bias_lambda=1.0)
    assert np.array_equal(a.cost_history_, b.cost_history_) and np.array_equal(a.X_, b.X_)


def test_bias_lambda_only_acts_on_biases(low_rank) -> None:
    """Without learned biases bias_lambda has nothing to regularize: the fit is the same."""
    a = fitted(low_rank.train, normalize="mean", method="als", max_iter=10)
    b = fitted(low_rank.train, normalize="mean", method="als", max_iter=10, bias_lambda=50.0)
    assert np.array_equal(a.Theta_, b.Theta_)


def test_smaller_bias_lambda_gives_larger_biases(low_rank) -> None:
    strong = fitted(low_rank.train, normalize="biases", method="als", lambda_=5.0, bias_lambda=50.0)
    weak = fitted(low_rank.train, normalize="biases", method="als", lambda_=5.0, bias_lambda=0.01)
    assert np.linalg.norm(weak.item_bias_) > 2 * np.linalg.norm(strong.item_bias_)


@pytest.mark.parametrize("method", ["L-BFGS-B", "als"])
@pytest.mark.parametrize(("normalize", "k"), [(None, 2), ("mean", 3), ("biases", 2)])
def test_recovers_a_low_rank_matrix_from_held_out_entries(low_rank, method: str, normalize, k: int) -> None:
    # "mean" needs one more feature: subtracting item means from a rank-2 matrix leaves rank 3.
    model = CollaborativeFiltering(k, 0.1, 500, normalize=normalize, method=method, random_state=0)
    model.fit(low_rank.train)
    held_out = rmse(low_rank.test.values, model.predict_ratings(low_rank.test))
    assert held_out < 1.5 * low_rank.noise
    assert np.std(low_rank.test.values) > 5 * held_out  # far better than guessing


@pytest.mark.parametrize("method", ["L-BFGS-B", "als"])
def test_recovers_synthetic_structure(method: str) -> None:
    ratings = synthetic_ratings(100, 120, 7000, stars=False, noise=0.1, random_state=0)
    train, test = train_test_split(ratings, 0.2, random_state=0)
    model = CollaborativeFiltering(5, 0.3, 300, normalize="biases", method=method, random_state=0).fit(train)
    held_out = rmse(test.values, model.predict_ratings(test))
    # Clipping to 1-5 bends ~8% of the values off the planted rank-5 structure, hence 2x the noise, not 1x.
    assert held_out < 2 * 0.1
    assert np.std(test.values) > 5 * held_out


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_fit_different_seed_different_fit(make_problem, method: str) -> None:
    p = make_problem(8, 7, 2, density=0.6, seed=5)
    a, b, c = (CollaborativeFiltering(2, 1.0, 10, method=method, random_state=s).fit(p.ratings) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.X_, b.X_)
    np.testing.assert_array_equal(a.Theta_, b.Theta_)
    np.testing.assert_array_equal(a.cost_history_, b.cost_history_)
    assert not np.allclose(a.X_, c.X_)
    assert a.cost_history_[0] != c.cost_history_[0]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("normalize", [None, "biases"])
def test_threads_reproduce_and_agree_with_one_thread(make_problem, split_everything, method: str, normalize) -> None:
    """n_jobs splits each pass into row ranges: repeatable for a given count, equal to one thread up to rounding."""
    p = make_problem(30, 17, 3, density=0.6, seed=6)

    def fit(n_jobs: int | None) -> CollaborativeFiltering:
        model = CollaborativeFiltering(3, 0.5, 15, normalize=normalize, method=method, random_state=0, n_jobs=n_jobs)
        return model.fit(p.ratings)

    one, two, again = fit(None), fit(2), fit(2)
    np.testing.assert_array_equal(two.X_, again.X_)
    np.testing.assert_array_equal(two.cost_history_, again.cost_history_)
    np.testing.assert_allclose(two.cost_history_, one.cost_history_, rtol=1e-9)
    np.testing.assert_allclose(two.predict_matrix(), one.predict_matrix(), rtol=1e-6, atol=1e-8)


def test_generator_random_state(tiny_ratings: Ratings) -> None:
    a = fitted(tiny_ratings, random_state=np.random.default_rng(5))
    b = fitted(tiny_ratings, random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(a.X_, b.X_)


# ----------------------------------------------------------------------------------- edge cases
@pytest.mark.parametrize("method", METHODS)
def test_user_without_ratings_gets_item_means_with_mean_normalization(make_problem, method: str) -> None:
    """The course's point: mean normalization makes a newcomer's prediction each item's mean, not 0."""
    p = make_problem(8, 6, 2, density=0.7, seed=6)
    R = p.R.copy()
    R[:, 5] = 0  # user 5 rated nothing
    R[R.sum(axis=1) == 0, 0] = 1  # every item keeps at least one rating
    ratings = Ratings.from_dense(p.Y, R, rating_scale=(0, 5))
    model = CollaborativeFiltering(2, 1.0, 300, method=method, tol=1e-12, random_state=0).fit(ratings)
    np.testing.assert_allclose(model.predict_matrix(users=[5])[:, 0], ratings.item_means(), atol=1e-4)
    np.testing.assert_allclose(model.Theta_[5], 0.0, atol=1e-4)


@pytest.mark.parametrize("normalize", [None, "mean", "biases"])
def test_unrated_item_and_user_give_finite_sensible_predictions(tiny_ratings: Ratings, normalize) -> None:
    # tiny_ratings: item "D" has no ratings at all.
    model = fitted(tiny_ratings, normalize=normalize, max_iter=200)
    grid = model.predict_matrix(clip=False)
    assert np.isfinite(grid).all()
    unrated = grid[tiny_ratings.item_index("D")]
    if normalize == "mean":
        np.testing.assert_allclose(unrated, tiny_ratings.values.mean(), atol=1e-3)  # global-mean fallback
    elif normalize == "biases":
        np.testing.assert_allclose(unrated, model.global_mean_ + model.user_bias_, atol=1e-3)
    else:
        np.testing.assert_allclose(unrated, 0.0, atol=1e-3)
    assert np.all((model.predict_matrix() >= 1) & (model.predict_matrix() <= 5))


@pytest.mark.parametrize("method", METHODS)
def test_single_rating(method: str) -> None:
    ratings = Ratings.from_dense([[4.0, np.nan], [np.nan, np.nan]], rating_scale=(1, 5))
    model = CollaborativeFiltering(2, 1.0, 20, method=method, random_state=0).fit(ratings)
    np.testing.assert_allclose(model.predict_matrix(), 4.0, atol=1e-4)


@pytest.mark.parametrize("normalize", [None, "mean", "biases"])
def test_all_ratings_equal(normalize) -> None:
    ratings = Ratings.from_dense(np.where(np.eye(4, 5) + np.eye(4, 5, 1) > 0, 3.0, np.nan), rating_scale=(1, 5))
    model = CollaborativeFiltering(2, 0.01, 300, normalize=normalize, random_state=0).fit(ratings)
    assert np.isfinite(model.cost_history_).all()
    np.testing.assert_allclose(model.predict_ratings(ratings, clip=False), 3.0, atol=0.05)


@pytest.mark.parametrize("method", METHODS)
def test_more_features_than_items_and_users(tiny_ratings: Ratings, method: str) -> None:
    model = CollaborativeFiltering(10, 0.5, 100, method=method, random_state=0).fit(tiny_ratings)
    assert model.X_.shape == (4, 10) and np.isfinite(model.predict_matrix()).all()
    assert model.cost_history_[-1] < model.cost_history_[0]


@pytest.mark.parametrize("method", METHODS)
def test_lambda_zero_fits_the_training_data(low_rank, method: str) -> None:
    model = CollaborativeFiltering(2, 0.0, 500, normalize=None, method=method, random_state=0).fit(low_rank.train)
    assert np.isfinite(model.X_).all()
    assert rmse(low_rank.train.values, model.predict_ratings(low_rank.train)) < low_rank.noise


def test_biases_model_predicts_global_mean_plus_biases(tiny_ratings: Ratings) -> None:
    model = fitted(tiny_ratings, normalize="biases")
    expected = model.X_ @ model.Theta_.T + model.global_mean_ + model.item_bias_[:, None] + model.user_bias_[None, :]
    np.testing.assert_allclose(model.predict_matrix(clip=False), expected, rtol=1e-12)
    assert model.global_mean_ == pytest.approx(tiny_ratings.values.mean())


# ---------------------------------------------------------------------------------- predicting
def test_predict_forms_agree(tiny_ratings: Ratings) -> None:
    model = fitted(tiny_ratings)
    grid = model.predict_matrix()
    assert isinstance(model.predict(1, 2), float)
    assert model.predict(1, 2) == grid[2, 1]  # predict(user, item); the grid is items x users
    np.testing.assert_array_equal(model.predict(np.array([0, 2]), np.array([3, 0])), grid[[3, 0], [0, 2]])
    np.testing.assert_array_equal(model.predict(0, np.arange(4)), grid[:, 0])  # broadcasting
    frame = model.predict_all()
    assert list(frame.index) == ["A", "B", "C", "D"] and list(frame.columns) == ["ann", "bob", "carol"]
    np.testing.assert_array_equal(frame.to_numpy(), grid)
    sub = model.predict_all(items=[2, 0], users=[1])
    assert list(sub.index) == ["C", "A"] and list(sub.columns) == ["bob"]
    np.testing.assert_array_equal(
        model.predict_ratings(tiny_ratings), grid[tiny_ratings.item_idx, tiny_ratings.user_idx]
    )


@pytest.mark.parametrize("bad", ["bob", 1.0, True, [0, "x"]])
def test_predict_wants_positions_not_labels(tiny_ratings: Ratings, bad) -> None:
    model = fitted(tiny_ratings)
    with pytest.raises(ValueError, match=r"user must be given by integer position \(0 to 2\).*user_index\(label\)"):
        model.predict(bad, 0)


def test_empty_selections_select_nothing(tiny_ratings: Ratings) -> None:
    model = fitted(tiny_ratings)
    assert model.predict_matrix(items=[]).shape == (0, 3)
    assert model.predict_all(users=[]).shape == (4, 0)
    assert model.compute_similarities("users", indices=[]).shape == (0, 0)


def test_predict_position_out_of_range(tiny_ratings: Ratings) -> None:
    model = fitted(tiny_ratings)
    with pytest.raises(ValueError, match="item position out of range: 4 for 4 items"):
        model.predict(0, 4)
    with pytest.raises(ValueError, match="over the fitted grid"):
        model.predict_ratings(Ratings.from_dense(np.ones((2, 2))))


def test_predictions_clip_to_the_scale_unless_asked_not_to(tiny_ratings: Ratings) -> None:
    model = with_params(fitted(tiny_ratings), np.full((4, 2), 3.0), np.array([[1.0, 1.0], [-1.0, -1.0], [0, 0]]))
    raw = model.predict_matrix(clip=False)
    assert raw.max() > 5 and raw.min() < 1  # the point: some raw predictions are off the scale
    np.testing.assert_array_equal(model.predict_matrix(), np.clip(raw, 1, 5))
    assert model.predict(0, 0) == 5.0 and model.predict(0, 0, clip=False) == raw[0, 0]
    np.testing.assert_array_equal(model.predict_all(clip=False).to_numpy(), raw)


# ------------------------------------------------------------------------------ recommendations
@pytest.fixture
def ranked_model() -> CollaborativeFiltering:
    """Scores 3, 1, 2, 2, 2 for items 0..4 and every user; user 0 rated item 0 and user 1 rated item 2."""
    ratings = Ratings.from_dense(
        [[5.0, np.nan], [np.nan, np.nan], [np.nan, 1.0], [np.nan, np.nan], [np.nan, np.nan]],
        items=list("abcde"),
        users=["u", "v"],
        rating_scale=(0, 5),
    )
    model = fitted(ratings, normalize=None)
    return with_params(model, [[3.0], [1.0], [2.0], [2.0], [2.0]], [[1.0], [1.0]])


def test_recommended_items_exclude_rated_and_break_ties_by_lower_position(ranked_model) -> None:
    assert ranked_model.recommended_items(0).tolist() == [2, 3, 4, 1]
    assert ranked_model.recommended_items(1).tolist() == [0, 3, 4, 1]
    assert ranked_model.recommended_items(0, n=2).tolist() == [2, 3]
    assert ranked_model.recommended_items(0, exclude_rated=False).tolist() == [0, 2, 3, 4, 1]
    assert ranked_model.recommended_items(0, n=0).tolist() == []


def test_recommendations_table(ranked_model) -> None:
    table = ranked_model.recommendations(1, n=2)
    assert table["item"].tolist() == ["a", "d"]
    assert table["predicted_rating"].tolist() == [3.0, 2.0]
    with pytest.raises(ValueError, match="integer position"):
        ranked_model.recommendations("v")


@pytest.fixture(scope="module")
def one_user_model() -> CollaborativeFiltering:
    """A fitted 6-item, 1-user, k=1 model whose features tests overwrite (module-scoped: hypothesis reuses it)."""
    ratings = Ratings.from_dense(np.full((6, 1), 3.0), rating_scale=(0, 5))
    return fitted(ratings, num_features=1, normalize=None)


@given(scores=hnp.arrays(np.int64, 6, elements=st.integers(0, 3)), rated=hnp.arrays(np.bool_, 6), n=st.integers(0, 7))
def test_ranking_rule_on_random_ties(one_user_model, scores: np.ndarray, rated: np.ndarray, n: int) -> None:
    model = with_params(one_user_model, scores[:, None], [[1.0]])
    rated_items = np.flatnonzero(rated)
    ones = np.ones(len(rated_items))
    model.ratings_ = Ratings(rated_items, 0 * rated_items, 3 * ones, 6, 1, (0, 5), allow_empty=True)
    expected = sorted((p for p in range(6) if not rated[p]), key=lambda p: (-scores[p], p))[:n]
    assert model.recommended_items(0, n).tolist() == expected


@given(hnp.arrays(np.float64, (5, 3), elements=st.sampled_from([0.0, 1.0, -1.0, 0.5, 1e-150, 1e150])))
def test_similarities_stay_in_range_without_nan(one_user_model, V: np.ndarray) -> None:
    model = with_params(one_user_model, np.zeros((6, 1)), np.zeros((1, 1)))
    model.X_ = np.vstack([V, np.zeros((1, 3))])
    S = model.compute_similarities("items")
    assert np.isfinite(S).all() and S.min() >= -1 and S.max() <= 1
    np.testing.assert_array_equal(S[5], 0.0)
    nonzero = np.linalg.norm(model.X_, axis=1) > 0
    np.testing.assert_allclose(np.diag(S)[nonzero], 1.0, rtol=1e-12)


def test_recommended_items_never_include_rated_items(low_rank) -> None:
    model = fitted(low_rank.train)
    for user in range(low_rank.train.n_users):
        rated = low_rank.train.item_idx[low_rank.train.user_idx == user]
        assert not set(model.recommended_items(user, n=100).tolist()) & set(rated.tolist())


# --------------------------------------------------------------------------------- similarities
def test_similarities_are_cosines_in_range_with_zero_vectors_giving_zero(low_rank) -> None:
    model = fitted(low_rank.train, num_features=3)
    model.X_[4] = 0.0
    S = model.compute_similarities("items")
    assert S.shape == (40, 40) and np.isfinite(S).all()
    assert S.min() >= -1 and S.max() <= 1
    np.testing.assert_allclose(S, S.T)
    np.testing.assert_array_equal(S[4], 0.0)
    np.testing.assert_allclose(np.delete(np.diag(S), 4), 1.0, rtol=1e-12)
    x0, x1 = model.X_[0], model.X_[1]
    assert S[0, 1] == pytest.approx(x0 @ x1 / np.linalg.norm(x0) / np.linalg.norm(x1))


def test_similarities_for_users_and_a_subset(tiny_ratings: Ratings) -> None:
    model = fitted(tiny_ratings)
    full = model.compute_similarities("users")
    assert full.shape == (3, 3)
    np.testing.assert_allclose(model.compute_similarities("users", indices=[2, 0]), full[np.ix_([2, 0], [2, 0])])
    with pytest.raises(ValueError, match="kind must be 'items' or 'users'"):
        model.compute_similarities("movies")


def test_most_similar(ranked_model) -> None:
    with_params(ranked_model, [[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [[1, 0], [0, 1]])
    table = ranked_model.most_similar("items", 0, n=3)
    assert list(table.columns) == ["item", "position", "similarity"]
    assert table["position"].tolist() == [1, 3, 4]  # 0 itself excluded; 3 (orthogonal) and 4 (zero) tie at 0
    assert table["item"].tolist() == ["b", "d", "e"]
    assert table["similarity"].iloc[0] == pytest.approx(0.9 / np.hypot(0.9, 0.1))
    users = ranked_model.most_similar("users", 1)
    assert users["user"].tolist() == ["u"] and users["similarity"].tolist() == [0.0]


# -------------------------------------------------------------------------------------- fold-in
@pytest.mark.parametrize("normalize", [None, "mean"])
def test_fold_in_is_the_closed_form_ridge_solution(low_rank, normalize) -> None:
    model = fitted(low_rank.train, normalize=normalize, lambda_=0.7)
    y = np.full(40, np.nan)
    y[[1, 5, 9, 20]] = [1.0, -2.0, 0.5, 3.0]
    result = model.fold_in(y)
    A = model.X_[[1, 5, 9, 20]]
    target = y[[1, 5, 9, 20]] - model.offsets_[[1, 5, 9, 20]]
    theta = np.linalg.solve(A.T @ A + 0.7 * np.eye(2), A.T @ target)
    np.testing.assert_allclose(result.theta, theta, rtol=1e-9)
    lo, hi = low_rank.train.rating_scale
    np.testing.assert_allclose(result.predictions.to_numpy(), np.clip(model.X_ @ theta + model.offsets_, lo, hi))
    assert result.bias == 0.0
    assert result.rated.tolist() == [i in (1, 5, 9, 20) for i in range(40)]
    assert not set(result.recommended_items(50).tolist()) & {1, 5, 9, 20}
    table = result.recommendations(3)
    assert table["item"].tolist() == list(low_rank.train.items[result.recommended_items(3)])


def _fold_in_known_users(model: CollaborativeFiltering, train) -> list[tuple[int, object]]:
    """Fold in users 0, 7 and 29 with their own ratings; each must get the ALS user step's theta and bias."""
    results = []
    for user in (0, 7, 29):
        y = np.full(train.n_items, np.nan)
        mask = train.user_idx == user
        y[train.item_idx[mask]] = train.values[mask]
        result = model.fold_in(y)
        np.testing.assert_allclose(result.theta, model.Theta_[user], rtol=1e-6, atol=1e-9)
        assert result.bias == pytest.approx(model.user_bias_[user], rel=1e-6, abs=1e-9)
        results.append((user, result))
    return results


@pytest.mark.parametrize("normalize", [None, "mean", "biases"])
def test_fold_in_of_a_known_user_matches_the_als_user_step(low_rank, normalize) -> None:
    """ALS ends on a user step with X fixed, so its Theta_ is exactly what fold-in computes."""
    train = low_rank.train
    model = CollaborativeFiltering(2, 0.5, 30, normalize=normalize, method="als", random_state=0).fit(train)
    for user, result in _fold_in_known_users(model, train):
        np.testing.assert_allclose(result.predictions.to_numpy(), model.predict_matrix(users=[user])[:, 0], atol=1e-8)


@pytest.mark.parametrize("normalize", [None, "biases"])
def test_fold_in_matches_the_als_user_step_with_weighted_penalty_and_bias_lambda(low_rank, normalize) -> None:
    train = low_rank.train
    model = CollaborativeFiltering(
        2, 0.1, 30, normalize=normalize, method="als", regularization="weighted", bias_lambda=0.02, random_state=0
    ).fit(train)
    _fold_in_known_users(model, train)


def test_fold_in_ranks_like_the_model_even_above_the_scale() -> None:
    """Same theta, same ranking: items predicted above 5 are ordered by score, not tied at the clip."""
    ratings = synthetic_ratings(60, 80, 2000, random_state=0)
    model = CollaborativeFiltering(5, 0.1, 50, method="als", random_state=0).fit(ratings)
    above_scale = 0
    for user in range(ratings.n_users):
        y = np.full(ratings.n_items, np.nan)
        mask = ratings.user_idx == user
        y[ratings.item_idx[mask]] = ratings.values[mask]
        result = model.fold_in(y)
        np.testing.assert_array_equal(result.recommended_items(10), model.recommended_items(user, 10))
        above_scale += int((model.predict_matrix(users=[user], clip=False) > 5).sum() > 1)
    assert above_scale > 0  # the case that matters occurs


def test_fold_in_by_labels_equals_fold_in_by_array(tiny_ratings: Ratings) -> None:
    model = fitted(tiny_ratings)
    by_label = model.fold_in({"C": 4.0, "A": 2.0})
    by_array = model.fold_in(np.array([2.0, np.nan, 4.0, np.nan]))
    np.testing.assert_array_equal(by_label.theta, by_array.theta)
    assert by_label.predictions.index.tolist() == ["A", "B", "C", "D"]


def test_fold_in_with_no_ratings_predicts_item_means(tiny_ratings: Ratings) -> None:
    model = fitted(tiny_ratings)
    result = model.fold_in(np.full(4, np.nan))
    np.testing.assert_array_equal(result.theta, 0.0)
    np.testing.assert_allclose(result.predictions.to_numpy(), tiny_ratings.item_means())


def test_fold_in_invalid_input(tiny_ratings: Ratings) -> None:
    model = fitted(tiny_ratings)
    with pytest.raises(ValueError, match="unknown item label 'Z'"):
        model.fold_in({"Z": 3.0})
    with pytest.raises(ValueError, match=r"one entry per item \(4\), got shape \(3,\)"):
        model.fold_in([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="infinite"):
        model.fold_in([np.inf, np.nan, np.nan, np.nan])
    with pytest.raises(ValueError, match="scale 1 to 5"):
        model.fold_in({"A": 6.0})


def test_fold_in_returns_labelled_series(tiny_ratings: Ratings) -> None:
    result = fitted(tiny_ratings).fold_in({"A": 5.0})
    assert isinstance(result.predictions, pd.Series) and result.predictions.name == "predicted_rating"


def test_predict_ratings_rejects_a_grid_with_other_labels(tiny_ratings):
    model = CollaborativeFiltering(2, 1.0, 5, random_state=0).fit(tiny_ratings)
    relabelled = Ratings(
        tiny_ratings.item_idx,
        tiny_ratings.user_idx,
        tiny_ratings.values,
        [f"other {x}" for x in tiny_ratings.items],
        tiny_ratings.users,
    )
    with pytest.raises(ValueError, match="with other labels"):
        model.predict_ratings(relabelled)


@pytest.mark.parametrize("bad", ["seven", -1, 1.5])
def test_invalid_random_state_names_the_parameter(tiny_ratings, bad):
    with pytest.raises(ValueError, match="random_state"):
        CollaborativeFiltering(2, 1.0, 5, random_state=bad).fit(tiny_ratings)


# ------------------------------------------------------------------------------------ saved models
def test_saved_models_keep_the_new_penalties_and_old_files_still_load(low_rank) -> None:
    model = fitted(low_rank.train, normalize="biases", bias_lambda=0.2, regularization="weighted", lambda_=0.1)
    loaded = load_model(io.BytesIO(save_model(model)))
    assert (loaded.bias_lambda, loaded.regularization) == (0.2, "weighted")
    np.testing.assert_array_equal(loaded.fold_in(np.full(40, np.nan)).theta, model.fold_in(np.full(40, np.nan)).theta)

    # A file written before these parameters existed: its params lack both keys.
    old = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(save_model(fitted(low_rank.train)))) as src, zipfile.ZipFile(old, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "meta.npy":
                meta_array = np.load(io.BytesIO(data), allow_pickle=False)
                meta = json.loads(str(meta_array[()]))
                for key in ("bias_lambda", "regularization"):
                    meta["params"].pop(key)
                buffer = io.BytesIO()
                np.save(buffer, np.array(json.dumps(meta)))
                data = buffer.getvalue()
            dst.writestr(name, data)
    loaded_old = load_model(io.BytesIO(old.getvalue()))
    assert (loaded_old.bias_lambda, loaded_old.regularization) == (None, "l2")


@pytest.mark.parametrize("normalize", [None, "mean", "biases"])
@pytest.mark.parametrize("regularization", ["l2", "weighted"])
def test_new_options_pass_the_gradient_check_in_every_normalize_mode(low_rank, normalize, regularization) -> None:
    model = fitted(low_rank.train, normalize=normalize, regularization=regularization, bias_lambda=0.2, max_iter=5)
    r = model.ratings_
    shifted = Ratings(r.item_idx, r.user_idx, r.values - model.offsets_[r.item_idx], r.items, r.users)
    rng = np.random.default_rng(0)
    biases = {"b": rng.normal(size=r.n_items), "c": rng.normal(size=r.n_users)} if normalize == "biases" else {}
    result = check_gradient(
        rng.normal(size=model.X_.shape),
        rng.normal(size=model.Theta_.shape),
        shifted,
        model.lambda_,
        bias_lambda=0.2,
        regularization=regularization,
        **biases,
    )
    assert result.passed(1e-9), result.relative_difference
    objective = model.objective()  # the same cost the fit minimized
    params = (model.X_, model.Theta_) + ((model.item_bias_, model.user_bias_) if biases else ())
    assert objective.cost(*params) == pytest.approx(model.cost_history_[-1], rel=1e-12)
