"""Shared tests over every registered solver: the seam's contract, gradients, determinism, convergence.

A new solver added to ``cf_core.solvers.SOLVERS`` runs through all of these without a line changed here.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from cf_core import CollaborativeFiltering, Ratings
from cf_core.io import load_ratings
from cf_core.samples import DATA_DIR
from cf_core.solvers import SOLVERS, Problem, solver_labels

SOLVER_METHODS = list(SOLVERS)
PENALTIES = [
    {"regularization": "l2"},
    {"regularization": "weighted", "lambda_": 0.3},
    {"regularization": "l2", "bias_lambda": 0.1},
]


@pytest.fixture(scope="module")
def lecture() -> Ratings:
    return load_ratings(DATA_DIR / "lecture.csv")


def fit(ratings: Ratings, method: str, **params) -> CollaborativeFiltering:
    params = {"num_features": 2, "lambda_": 1.0, "max_iter": 3000, "tol": 1e-13, "random_state": 0} | params
    return CollaborativeFiltering(method=method, **params).fit(ratings)


def test_registry_names_every_solver_once_with_a_label() -> None:
    assert SOLVER_METHODS[:3] == ["L-BFGS-B", "CG", "als"]
    labels = solver_labels()
    assert len(labels) == len(SOLVERS) and set(labels.values()) == set(SOLVERS)
    assert all(s.method == m and s.label for m, s in SOLVERS.items())


def test_the_apps_optimizer_menu_is_the_registry() -> None:
    from cf_app.training import METHOD_LABELS

    assert solver_labels() == METHOD_LABELS


@pytest.mark.parametrize("method", SOLVER_METHODS)
@pytest.mark.parametrize("normalize", [None, "mean", "biases"])
@pytest.mark.parametrize("penalty", PENALTIES, ids=["l2", "weighted", "bias_lambda"])
def test_solver_ends_where_the_gradient_vanishes(lecture: Ratings, method: str, normalize, penalty: dict) -> None:
    model = fit(lecture, method, normalize=normalize, **penalty)
    objective = model.objective()
    problem = Problem(objective, 2, normalize == "biases", 0)
    params = problem.pack(model.X_, model.Theta_, model.item_bias_, model.user_bias_)
    start = fit(lecture, method, normalize=normalize, **penalty, max_iter=0)
    start_grad = problem.cost_and_gradient(problem.pack(start.X_, start.Theta_, start.item_bias_, start.user_bias_))[1]
    cost, grad = problem.cost_and_gradient(params)
    assert np.linalg.norm(grad) < 1e-4 * np.linalg.norm(start_grad)
    assert cost == pytest.approx(model.cost_history_[-1], rel=1e-12)


@pytest.mark.parametrize("normalize", [None, "mean", "biases"])
@pytest.mark.parametrize("penalty", PENALTIES, ids=["l2", "weighted", "bias_lambda"])
def test_every_solver_converges_to_the_same_cost_on_the_lecture_grid(lecture: Ratings, normalize, penalty) -> None:
    finals = {m: fit(lecture, m, normalize=normalize, **penalty).cost_history_[-1] for m in SOLVER_METHODS}
    best = min(finals.values())
    assert max(finals.values()) - best <= 1e-7 * max(best, 1.0), finals


@pytest.mark.parametrize("method", SOLVER_METHODS)
def test_same_seed_same_fit_bit_for_bit_alone_or_in_a_thread(lecture: Ratings, method: str) -> None:
    runs: list[CollaborativeFiltering] = [fit(lecture, method, max_iter=40) for _ in range(2)]
    worker = threading.Thread(target=lambda: runs.append(fit(lecture, method, max_iter=40)))
    worker.start()
    worker.join()
    for other in runs[1:]:
        assert np.array_equal(runs[0].X_, other.X_) and np.array_equal(runs[0].Theta_, other.Theta_)
        assert np.array_equal(runs[0].cost_history_, other.cost_history_)


@pytest.mark.parametrize("method", SOLVER_METHODS)
def test_solver_reports_each_iteration_and_stops_when_asked(lecture: Ratings, method: str) -> None:
    seen: list[tuple[int, float, np.ndarray]] = []

    def stop_at_third(info) -> bool:
        seen.append((info.iteration, info.cost, np.array(info.X)))
        return info.iteration == 3

    model = CollaborativeFiltering(2, 1.0, 50, method=method, random_state=0).fit(lecture, callback=stop_at_third)
    assert [s[0] for s in seen] == [1, 2, 3]
    assert model.n_iter_ == 3 and not model.converged_ and model.message_ == "stopped by callback"
    np.testing.assert_array_equal(model.X_, seen[-1][2])
    assert list(model.cost_history_[1:]) == [s[1] for s in seen]


@pytest.mark.parametrize("method", SOLVER_METHODS)
def test_fitted_attributes_are_written_once_at_the_end(lecture: Ratings, method: str) -> None:
    """During a first fit the model is not fitted yet; during a refit it still shows the previous fit."""
    model = CollaborativeFiltering(2, 1.0, 5, method=method, random_state=0)
    during: list[bool] = []
    model.fit(lecture, callback=lambda info: during.append(hasattr(model, "X_")))
    assert during and not any(during)
    previous = model.X_.copy()
    same: list[bool] = []
    model.set_params(random_state=1).fit(lecture, callback=lambda info: same.append(np.array_equal(model.X_, previous)))
    assert same and all(same)
