"""Tests for cf_core.als: each half-sweep is the exact ridge solution, so the cost can only go down."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cf_core.als import als_sweep, cg_sweep
from cf_core.objective import SparseObjective


def objective_for(p, lambda_: float) -> SparseObjective:
    r = p.ratings
    return SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, lambda_)


def ridge_rows(Y: np.ndarray, R: np.ndarray, F: np.ndarray, lambda_: float) -> np.ndarray:
    """Row by row, the textbook closed form: argmin_w sum_j r_ij (w.f_j - y_ij)^2 + lambda |w|^2."""
    out = np.empty((Y.shape[0], F.shape[1]))
    for i in range(Y.shape[0]):
        A = F[R[i] == 1]
        out[i] = np.linalg.solve(A.T @ A + lambda_ * np.eye(F.shape[1]), A.T @ Y[i, R[i] == 1])
    return out


@pytest.mark.parametrize("lambda_", [0.5, 3.0])
def test_sweep_is_the_closed_form_ridge_solution(make_problem, lambda_: float) -> None:
    p = make_problem(8, 7, 3, density=0.6, seed=1)
    X, Theta, b, c = als_sweep(objective_for(p, lambda_), p.X, p.Theta)
    assert b is None and c is None
    X_ref = ridge_rows(p.Y, p.R, p.Theta, lambda_)  # items first, Theta fixed
    Theta_ref = ridge_rows(p.Y.T, p.R.T, X_ref, lambda_)  # then users, with the new X
    np.testing.assert_allclose(X, X_ref, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(Theta, Theta_ref, rtol=1e-7, atol=1e-9)


def test_user_step_leaves_no_theta_gradient(make_problem) -> None:
    p = make_problem(10, 9, 2, density=0.5, seed=2)
    obj = objective_for(p, 1.0)
    X, Theta, _, _ = als_sweep(obj, p.X, p.Theta)
    _, _, dTheta = obj(X, Theta)
    assert np.abs(dTheta).max() < 1e-8


@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 4), st.floats(0.1, 1.0), st.floats(1e-3, 10), st.integers())
def test_cost_never_increases_over_sweeps(make_problem, n_items, n_users, k, density, lambda_, seed) -> None:
    p = make_problem(n_items, n_users, k, density=density, seed=seed % 2**32)
    obj = objective_for(p, lambda_)
    X, Theta = p.X, p.Theta
    costs = [obj.cost(X, Theta)]
    for _ in range(4):
        X, Theta, _, _ = als_sweep(obj, X, Theta)
        costs.append(obj.cost(X, Theta))
    assert np.all(np.diff(costs) <= 1e-9 * costs[0])


def test_rows_without_ratings_get_zero_vectors(make_problem) -> None:
    p = make_problem(6, 5, 2, density=0.7, seed=3)
    r = p.ratings
    keep = (r.item_idx != 2) & (r.user_idx != 4)  # item 2 and user 4 lose all their ratings
    sub = r.subset(keep)
    obj = SparseObjective(sub.item_idx, sub.user_idx, sub.values, sub.shape, 1.0)
    X, Theta, _, _ = als_sweep(obj, p.X, p.Theta)
    np.testing.assert_array_equal(X[2], 0.0)
    np.testing.assert_array_equal(Theta[4], 0.0)
    assert np.abs(X).sum(axis=1)[[0, 1, 3, 4, 5]].min() > 0


def test_lambda_zero_with_underdetermined_rows_stays_finite(make_problem) -> None:
    p = make_problem(6, 6, 5, density=0.3, seed=4)  # rows with fewer ratings than k: singular Gram matrices
    obj = objective_for(p, 0.0)
    X, Theta, _, _ = als_sweep(obj, p.X, p.Theta)
    assert np.isfinite(X).all() and np.isfinite(Theta).all()
    assert obj.cost(X, Theta) <= obj.cost(p.X, p.Theta)


def test_biased_sweep_fits_biases_in_closed_form(make_problem) -> None:
    p = make_problem(8, 6, 2, density=0.7, seed=5)
    lam = 0.7
    rng = np.random.default_rng(0)
    b0, c0 = rng.normal(size=8), rng.normal(size=6)
    obj = objective_for(p, lam)
    X, Theta, b, c = als_sweep(obj, p.X, p.Theta, b0, c0)
    # Item step: user biases fixed, a constant-1 column on the user side carries the item bias.
    item_sol = ridge_rows(p.Y - c0[None, :], p.R, np.hstack([p.Theta, np.ones((6, 1))]), lam)
    np.testing.assert_allclose(X, item_sol[:, :-1], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(b, item_sol[:, -1], rtol=1e-7, atol=1e-9)
    # After the user step, the user-side gradient (Theta and c) vanishes.
    _, _, dTheta, _, dc = obj.biased(X, Theta, b, c)
    assert np.abs(dTheta).max() < 1e-8 and np.abs(dc).max() < 1e-8


def test_many_features_and_entries_match_the_direct_solve(make_problem) -> None:
    """k=64 and ~1900 entries: the vectorized elimination over 64 x 64 systems must still be exact."""
    p = make_problem(40, 60, 64, density=0.8, seed=6)
    assert p.ratings.n_ratings > 1024
    X, Theta, _, _ = als_sweep(objective_for(p, 2.0), p.X, p.Theta)
    X_ref = ridge_rows(p.Y, p.R, p.Theta, 2.0)
    Theta_ref = ridge_rows(p.Y.T, p.R.T, X_ref, 2.0)
    np.testing.assert_allclose(X, X_ref, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(Theta, Theta_ref, rtol=1e-6, atol=1e-9)


def test_repeated_sweeps_on_one_objective_match_fresh_objectives(make_problem) -> None:
    """The row layouts are cached on the objective; reusing them must not change results."""
    p = make_problem(7, 9, 3, density=0.5, seed=7)
    reused = objective_for(p, 1.0)
    X1, T1, _, _ = als_sweep(reused, p.X, p.Theta)
    X2, T2, _, _ = als_sweep(reused, X1, T1)
    X3, T3, _, _ = als_sweep(objective_for(p, 1.0), X1, T1)
    np.testing.assert_array_equal(X2, X3)
    np.testing.assert_array_equal(T2, T3)


def test_threads_give_the_same_sweep(make_problem, split_everything) -> None:
    p = make_problem(19, 13, 3, density=0.6, seed=8)
    r = p.ratings
    rng = np.random.default_rng(2)
    b0, c0 = rng.normal(size=r.n_items), rng.normal(size=r.n_users)
    one = SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, 1.3)
    many = SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, 1.3, n_threads=2)
    for biases in ((None, None), (b0, c0)):
        threaded, single = als_sweep(many, p.X, p.Theta, *biases), als_sweep(one, p.X, p.Theta, *biases)
        for got, expected in zip(threaded, single, strict=True):
            np.testing.assert_array_equal(got, expected)  # rows are solved independently: no sum is reordered


@pytest.mark.parametrize("lambda_", [0.5, 3.0])
def test_rows_with_fewer_ratings_than_features_take_the_dual_solve_exactly(make_problem, lambda_: float) -> None:
    """k=6 on a sparse grid: most rows have fewer entries than unknowns and go through the n x n dual system."""
    p = make_problem(12, 10, 6, density=0.3, seed=5)
    assert (p.R.sum(axis=1) < 6).any() and (p.R.sum(axis=0) < 6).any()
    X, Theta, _, _ = als_sweep(objective_for(p, lambda_), p.X, p.Theta)
    X_ref = ridge_rows(p.Y, p.R, p.Theta, lambda_)
    Theta_ref = ridge_rows(p.Y.T, p.R.T, X_ref, lambda_)
    np.testing.assert_allclose(X, X_ref, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(Theta, Theta_ref, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("biased", [False, True])
def test_cg_sweeps_lower_the_cost_and_reach_a_stationary_point(make_problem, biased: bool) -> None:
    p = make_problem(30, 25, 8, density=0.6, seed=6)
    r = p.ratings
    obj = SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, 0.8, bias_lambda=0.1)
    start = (p.X, p.Theta, np.zeros(30), np.zeros(25)) if biased else (p.X, p.Theta, None, None)
    cg = start
    costs = [obj.cost(*start)]
    for _ in range(1000):  # ALS, exact or not, is slow along the flat directions biases add
        cg = cg_sweep(obj, *cg, steps=3)
        costs.append(obj.cost(*cg))
    assert np.all(np.diff(costs) <= 1e-9 * costs[0])

    def grad_norm(params) -> float:
        grads = obj.biased(*params)[1:] if biased else obj(*params[:2])[1:]
        return float(np.sqrt(sum(np.vdot(g, g) for g in grads)))

    assert grad_norm(cg) < 1e-7 * grad_norm(start)
