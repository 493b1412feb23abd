"""Tests for cf_app.teaching's topics (live math, prediction breakdown, gradient check, replay, experiments)
and their figures in cf_app.figures.teaching."""

from __future__ import annotations

import numpy as np
import pytest

from cf_app import figures, teaching
from cf_core import CollaborativeFiltering, Ratings, dense_cost_and_gradient
from cf_core.synthetic import synthetic_ratings


@pytest.fixture(scope="module")
def model(small) -> CollaborativeFiltering:
    return CollaborativeFiltering(3, 1.0, 40, random_state=0).fit(small)


@pytest.mark.parametrize("normalize", [None, "mean"])
def test_current_math_matches_the_dense_textbook_formula(small, normalize):
    m = CollaborativeFiltering(2, 0.7, 15, normalize=normalize, random_state=0).fit(small)
    Y, R = small.to_dense()
    Y = (Y - m.offsets_[:, None]) * R
    J, dX, dTheta = dense_cost_and_gradient(m.X_, m.Theta_, Y, R, 0.7)
    cm = teaching.current_math(m)
    assert cm.cost == pytest.approx(J)
    np.testing.assert_allclose(cm.grad_X, dX, atol=1e-12)
    np.testing.assert_allclose(cm.grad_Theta, dTheta, atol=1e-12)
    reg = 0.35 * (np.sum(m.X_**2) + np.sum(m.Theta_**2))
    assert cm.regularization == pytest.approx(reg)
    assert cm.squared_error == pytest.approx(J - reg)


def test_current_math_biased_cost_is_the_trained_cost(small):
    m = CollaborativeFiltering(2, 0.5, 10, normalize="biases", method="als", random_state=0).fit(small)
    assert teaching.current_math(m).cost == pytest.approx(m.cost_history_[-1])


def test_prediction_breakdown_adds_up_to_the_prediction(model, small):
    b = teaching.prediction_breakdown(model, 1, 2)  # item m1 by user c: not rated
    assert b.rating is None
    assert b.dot == pytest.approx(float(model.X_[1] @ model.Theta_[2]))
    assert b.contributions.sum() == pytest.approx(b.dot)
    assert b.offset == pytest.approx(np.mean([5, 0, 1]))  # item m1's mean rating
    assert b.prediction == pytest.approx(model.predict(2, 1))
    frame = b.frame()
    assert frame["term"].iloc[-1].startswith("prediction (clipped")
    assert frame["contribution"].iloc[-1] == pytest.approx(b.prediction)
    fig = figures.breakdown_figure(b)
    assert list(fig.data[0].x)[-1] == "prediction" and len(fig.data[0].x) == 3 + 2
    rated = teaching.prediction_breakdown(model, 0, 0)
    assert rated.rating == 5.0


def test_prediction_breakdown_without_normalization_has_no_offset(small):
    m = CollaborativeFiltering(2, 1.0, 10, normalize=None, random_state=0).fit(small)
    b = teaching.prediction_breakdown(m, 0, 1)
    assert b.offset == 0 and "item mean" not in " ".join(b.frame()["term"])


def test_prediction_breakdown_rejects_cells_outside_the_grid(model):
    with pytest.raises(ValueError, match="outside the 6 x 5 grid"):
        teaching.prediction_breakdown(model, 6, 0)


def test_gradient_check_passes_the_course_criterion(model):
    result = teaching.gradient_check(model)
    assert len(result.coordinates) == model.X_.size + model.Theta_.size
    assert result.relative_difference < teaching.GRADIENT_CRITERION


def test_gradient_check_at_trained_parameters_uses_the_fitted_gradient(model):
    result = teaching.gradient_check(model, at="trained")
    cm = teaching.current_math(model)
    np.testing.assert_allclose(result.analytical, np.concatenate([cm.grad_X.ravel(), cm.grad_Theta.ravel()]))
    np.testing.assert_allclose(result.numerical, result.analytical, atol=1e-8)


def test_gradient_check_samples_coordinates_on_large_models():
    big = synthetic_ratings(200, 300, 6000, random_state=0)
    m = CollaborativeFiltering(5, 1.0, 3, random_state=0).fit(big)
    result = teaching.gradient_check(m)
    assert len(result.coordinates) == teaching.AUTO_N_CHECKS
    assert result.passed(teaching.GRADIENT_CRITERION)


def test_gradient_check_rejects_an_unknown_point(model):
    with pytest.raises(ValueError, match="'random' or 'trained'"):
        teaching.gradient_check(model, at="optimum")


def test_replay_snapshots_reproduce_the_fit(small):
    params = {"num_features": 3, "lambda_": 1.0, "max_iter": 25, "random_state": 0}
    replay = teaching.record_replay(small, **params)
    final = CollaborativeFiltering(**params).fit(small)
    assert replay.iterations[0] == 0 and replay.iterations[-1] == final.n_iter_
    np.testing.assert_allclose(replay.costs, final.cost_history_[: len(replay.costs)])
    np.testing.assert_allclose(replay.predicted(len(replay.iterations) - 1), final.predict_matrix())
    assert replay.training_rmse(-1) < replay.training_rmse(0)
    fig = figures.replay_figure(replay, 3)
    assert np.asarray(fig.data[0].z).shape == small.shape
    assert fig.data[-1].x[0] == 3


def test_replay_is_refused_for_big_data_and_biases(small):
    big = synthetic_ratings(100, 100, 500, random_state=0)
    assert "only offered for small data" in teaching.replay_limit_reason(big, 10, "mean")
    assert "normalize='biases'" in teaching.replay_limit_reason(small, 10, "biases")
    assert teaching.replay_limit_reason(small, 10, None) is None
    with pytest.raises(ValueError, match="small data"):
        teaching.record_replay(big, num_features=2, max_iter=5)


def test_with_new_user_adds_a_fresh_labelled_column(small):
    extended, pos = teaching.with_new_user(small, {"m0": 4, "m3": 1}, label="a")
    assert pos == 5 and extended.users[pos] == "a (2)"
    assert extended.user_counts()[pos] == 2
    assert extended.to_frame().loc["m3", "a (2)"] == 1
    with pytest.raises(ValueError, match="unknown item label 'zz'"):
        teaching.with_new_user(small, {"zz": 3})


def test_mean_normalization_rescues_a_user_with_no_ratings(small):
    extended, user = teaching.with_new_user(small)
    effect = teaching.normalization_effect(extended, user, num_features=2, lambda_=1.5, max_iter=60, random_state=0)
    t = effect.table
    assert effect.n_rated == 0
    # Without normalization the new user's theta is regularized to 0, so every prediction is ~0.
    assert np.abs(t["predicted, no normalization"]).max() < 1e-3
    np.testing.assert_allclose(t["predicted, mean normalization"], t["item mean"], atol=1e-3)
    assert effect.theta_norm_without < 1e-3
    fig = figures.normalization_figure(effect)
    assert [tr.name for tr in fig.data] == ["no normalization", "mean normalization", "item mean"]


def test_normalization_effect_limits_items_on_big_data():
    big = synthetic_ratings(50, 80, 800, random_state=0)
    effect = teaching.normalization_effect(big, 0, max_items=10, num_features=2, max_iter=5, random_state=0)
    top = np.sort(np.lexsort((np.arange(80), -big.item_counts()))[:10])
    assert effect.table["item"].tolist() == big.items[top].tolist()


def test_fold_in_and_retrain_compare_top_lists(small):
    params = {"num_features": 2, "lambda_": 0.5, "max_iter": 100, "random_state": 0}
    m = CollaborativeFiltering(**params).fit(small)
    mine = {"m0": 5.0, "m3": 0.0}
    fold = teaching.fold_in_recommendations(m, mine)
    np.testing.assert_allclose(fold.predictions.to_numpy(), m.fold_in(mine).predictions.to_numpy())
    full, user = teaching.retrain_with_user(small, mine, **params)
    assert full.ratings_.users[user] == "me" and full.ratings_.user_counts()[user] == 2
    table = teaching.compare_fold_in_retrain(fold, full, user, n=3)
    assert len(table) == 3
    assert not {"m0", "m3"} & (set(table["fold-in item"]) | set(table["retrained item"]))
    assert table["fold-in predicted"].is_monotonic_decreasing and table["retrained predicted"].is_monotonic_decreasing
    first = full.ratings_.item_index(table["retrained item"].iloc[0])
    assert table["retrained predicted"].iloc[0] == pytest.approx(full.predict(user, first))
    with pytest.raises(ValueError, match="rate at least one"):
        teaching.fold_in_recommendations(m, {})


def test_neighbours_dot_product_favours_long_vectors():
    # Item 0 points along (1, 0); item 1 has the same direction but is short; item 2 is long and at 45 degrees.
    ratings = Ratings.from_dense(np.full((4, 2), 3.0))
    m = CollaborativeFiltering(2, 0.0, 0).fit(ratings)
    m.X_ = np.array([[1.0, 0.0], [0.1, 0.0], [5.0, 5.0], [0.0, 1.0]])
    table = teaching.neighbours(m, 0, n=2)
    assert table["by dot product"].tolist() == [2, 1]
    assert table["by cosine"].tolist() == [1, 2]
    assert table["cosine"].iloc[0] == pytest.approx(1.0)
    assert table["dot"].iloc[0] == pytest.approx(5.0)
    note = teaching.neighbours_note(m, 0, table)
    assert "length" in note and "same items" in note
    fig = figures.neighbours_figure(m, 0, table)
    assert len(fig.data) == 3 and len(fig.data[0].x) == 3


def test_neighbours_note_reports_lengths_when_lists_differ():
    ratings = Ratings.from_dense(np.full((5, 2), 3.0))
    m = CollaborativeFiltering(2, 0.0, 0).fit(ratings)
    m.X_ = np.array([[1.0, 0.0], [0.1, 0.0], [5.0, 5.0], [0.0, 1.0], [0.2, 0.01]])
    table = teaching.neighbours(m, 0, n=1)
    assert table["by dot product"].tolist() == [2] and table["by cosine"].tolist() == [1]
    assert "1 of 1 neighbours differ" in teaching.neighbours_note(m, 0, table)


def test_the_math_shown_is_the_cost_the_model_minimized(small):
    """Weighted penalty and bias lambda: formula, the reported J and its split into data and penalty."""
    m = CollaborativeFiltering(
        2, 0.2, 15, normalize="biases", regularization="weighted", bias_lambda=0.05, method="als", random_state=0
    ).fit(small)
    cm = teaching.current_math(m)
    assert cm.cost == pytest.approx(m.cost_history_[-1])
    n_i, n_j = np.maximum(small.item_counts(), 1), np.maximum(small.user_counts(), 1)
    penalty = 0.1 * (n_i @ np.sum(m.X_**2, axis=1) + n_j @ np.sum(m.Theta_**2, axis=1))
    penalty += 0.025 * (n_i @ m.item_bias_**2 + n_j @ m.user_bias_**2)
    assert cm.regularization == pytest.approx(penalty)
    latex = teaching.cost_latex(m)
    assert r"n_i\," in latex and r"\lambda_b" in latex and "b_i + c_j" in latex
    assert "n_i" in teaching.gradient_latex(m, "items") and "n_j" in teaching.gradient_latex(m, "users")
    textbook = CollaborativeFiltering(2, 1.0, 5, random_state=0).fit(small)
    assert teaching.cost_latex(textbook) == teaching.COST_LATEX
    assert teaching.gradient_latex(textbook, "items") == teaching.GRAD_X_LATEX


@pytest.mark.parametrize("at", ["random", "trained"])
def test_gradient_check_covers_biases_and_the_new_penalties(small, at):
    m = CollaborativeFiltering(
        2, 0.3, 20, normalize="biases", regularization="weighted", bias_lambda=0.1, random_state=0
    ).fit(small)
    result = teaching.gradient_check(m, at=at)
    r = small
    assert len(result.coordinates) == m.X_.size + m.Theta_.size + r.n_items + r.n_users
    if at == "random":
        assert result.passed(teaching.GRADIENT_CRITERION), result.relative_difference


def test_stored_experiments_are_bounded_by_count_and_by_the_bytes_they_hold(monkeypatch) -> None:
    """Teaching keeps recent experiments for reruns; a few re-fits on large data must not pile up."""
    import streamlit as st

    from cf_app import state
    from cf_app.teaching import common

    store: dict = {}
    monkeypatch.setattr(st, "session_state", store)
    big = synthetic_ratings(943, 1682, 100_000, random_state=0)  # ~2 MB of arrays
    size = common.array_bytes(big)
    assert size >= big.n_ratings * (8 + 2 * 4)
    assert common.array_bytes([big, big, {"again": big}]) == size  # shared data counted once

    monkeypatch.setattr(common, "MAX_EXPERIMENT_BYTES", int(2.5 * size))
    for i in range(4):
        common.remember(("fit", i), synthetic_ratings(943, 1682, 100_000, random_state=i))
    assert list(store[state.TEACHING_RESULTS]) == [("fit", 2), ("fit", 3)]  # oldest evicted by bytes
    assert common.recall(("fit", 3)) is not None and common.recall(("fit", 0)) is None

    for i in range(common.MAX_EXPERIMENTS + 5):
        common.remember(("small", i), i)
    kept = list(store[state.TEACHING_RESULTS])
    assert len(kept) == common.MAX_EXPERIMENTS and kept[-1] == ("small", common.MAX_EXPERIMENTS + 4)

    monkeypatch.setattr(common, "MAX_EXPERIMENT_BYTES", size // 2)
    common.remember(("huge", 0), big)  # larger than the budget alone: still kept, being the newest
    assert list(store[state.TEACHING_RESULTS]) == [("huge", 0)]
