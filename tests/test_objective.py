"""Tests for cf_core.objective: the sparse cost is the textbook cost, and its gradients are right."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cf_core import Ratings, check_gradient, cost_and_gradient, dense_cost_and_gradient
from cf_core.objective import SparseObjective, predict_entries

problem_params = st.fixed_dictionaries(
    {
        "n_items": st.integers(1, 9),
        "n_users": st.integers(1, 9),
        "k": st.integers(1, 5),
        "density": st.floats(0.05, 1.0),
        "seed": st.integers(0, 2**32 - 1),
    }
)
lambdas = st.one_of(st.just(0.0), st.floats(1e-3, 100.0))


def rel(a: float | np.ndarray, b: float | np.ndarray) -> float:
    """Relative difference of two arrays (or numbers), 0 when both are 0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def central_differences(f: Callable[[np.ndarray], float], p: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    grad = np.empty_like(p)
    for n in range(p.size):
        step = np.zeros_like(p)
        step[n] = eps
        grad[n] = (f(p + step) - f(p - step)) / (2 * eps)
    return grad


# ----------------------------------------------------------------------------------- sparse == dense
@given(problem_params, lambdas)
def test_sparse_cost_and_gradient_equal_dense_textbook_formula(make_problem, params: dict, lambda_: float) -> None:
    p = make_problem(**params)
    J, dX, dTheta = cost_and_gradient(p.X, p.Theta, p.ratings, lambda_)
    J_ref, dX_ref, dTheta_ref = dense_cost_and_gradient(p.X, p.Theta, p.Y, p.R, lambda_)
    assert rel(J, J_ref) < 1e-10
    assert rel(dX, dX_ref) < 1e-10
    assert rel(dTheta, dTheta_ref) < 1e-10


@given(problem_params, lambdas, st.sampled_from(["l2", "weighted"]), st.floats(0.0, 10.0))
def test_biased_and_weighted_cost_equal_dense_reference(
    make_problem, params: dict, lambda_: float, regularization: str, bias_lambda: float
) -> None:
    p = make_problem(**params)
    rng = np.random.default_rng(params["seed"])
    b, c = rng.normal(size=params["n_items"]), rng.normal(size=params["n_users"])
    r = p.ratings
    obj = SparseObjective(
        r.item_idx, r.user_idx, r.values, r.shape, lambda_, bias_lambda=bias_lambda, regularization=regularization
    )
    got = obj.biased(p.X, p.Theta, b, c)
    ref = dense_cost_and_gradient(
        p.X, p.Theta, p.Y, p.R, lambda_, regularization=regularization, b=b, c=c, bias_lambda=bias_lambda
    )
    for g, want in zip(got, ref, strict=True):
        assert rel(g, want) < 1e-10
    assert rel(obj.cost(p.X, p.Theta, b, c), ref[0]) < 1e-10


def test_weighted_penalty_by_hand() -> None:
    # item 0 rated twice, item 1 once; user 0 once, user 1 twice.
    ratings = Ratings.from_dense([[5.0, 4.0], [0.0, 1.0]], [[1, 1], [0, 1]])
    X = np.array([[1.0], [2.0]])
    Theta = np.array([[3.0], [0.5]])
    J_l2 = cost_and_gradient(X, Theta, ratings, 2.0)[0]
    J_w, dX, dTheta = cost_and_gradient(X, Theta, ratings, 2.0, regularization="weighted")
    # penalties: l2 = 1/2*2*(1+4+9+0.25); weighted = 1/2*2*(2*1 + 1*4 + 1*9 + 2*0.25)
    assert J_w - J_l2 == pytest.approx(15.5 - 14.25)
    data_dX = cost_and_gradient(X, Theta, ratings, 0.0)[1]
    np.testing.assert_allclose(dX - data_dX, [[2.0 * 2 * 1.0], [2.0 * 1 * 2.0]])


@pytest.mark.parametrize("regularization", ["l2", "weighted"])
@pytest.mark.parametrize("biased", [False, True])
def test_gradient_check_passes_with_every_penalty(make_problem, regularization: str, biased: bool) -> None:
    p = make_problem(6, 5, 3, density=0.5, seed=4)
    rng = np.random.default_rng(2)
    biases = {"b": rng.normal(size=6), "c": rng.normal(size=5)} if biased else {}
    result = check_gradient(p.X, p.Theta, p.ratings, 1.3, bias_lambda=0.2, regularization=regularization, **biases)
    assert result.passed(1e-9), result.relative_difference
    assert len(result.coordinates) == (6 + 5) * 3 + (11 if biased else 0)


def test_unknown_regularization_is_refused(tiny_ratings: Ratings) -> None:
    r = tiny_ratings
    with pytest.raises(ValueError, match="regularization must be one of"):
        SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, 1.0, regularization="l1")


def test_cost_by_hand() -> None:
    # Two ratings: item 0 by user 0 (5) and item 1 by user 1 (1); item 0 by user 1 is not rated.
    ratings = Ratings.from_dense([[5.0, 0.0], [0.0, 1.0]], [[1, 0], [0, 1]])
    X = np.array([[1.0], [2.0]])
    Theta = np.array([[3.0], [0.5]])
    # residuals: 1*3-5 = -2 and 2*0.5-1 = 0; regularization: (1+4+9+0.25) = 14.25
    cost, dX, dTheta = cost_and_gradient(X, Theta, ratings, lambda_=2.0)
    assert cost == pytest.approx(0.5 * 4 + 0.5 * 2.0 * 14.25)
    np.testing.assert_allclose(dX, [[-2 * 3 + 2 * 1], [0 + 2 * 2]])
    np.testing.assert_allclose(dTheta, [[-2 * 1 + 2 * 3], [0 + 2 * 0.5]])


def test_entries_in_any_order_give_the_same_objective(make_problem) -> None:
    p = make_problem(7, 5, 3, density=0.6, seed=3)
    r = p.ratings
    perm = np.random.default_rng(0).permutation(r.n_ratings)
    shuffled = SparseObjective(r.item_idx[perm], r.user_idx[perm], r.values[perm], r.shape, 0.7)
    ordered = SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, 0.7)
    for a, b in zip(shuffled(p.X, p.Theta), ordered(p.X, p.Theta), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_cost_alone_equals_cost_with_gradient(make_problem) -> None:
    p = make_problem(6, 4, 2, seed=1)
    obj = SparseObjective(p.ratings.item_idx, p.ratings.user_idx, p.ratings.values, p.ratings.shape, 1.5)
    assert obj.cost(p.X, p.Theta) == obj(p.X, p.Theta)[0]


def test_objective_is_reusable_across_calls(make_problem) -> None:
    """The residual buffer is shared between calls; a second evaluation must not see the first's leftovers."""
    p = make_problem(5, 6, 2, seed=2)
    obj = SparseObjective(p.ratings.item_idx, p.ratings.user_idx, p.ratings.values, p.ratings.shape, 0.3)
    first = obj(p.X, p.Theta)
    obj(2 * p.X, -p.Theta)
    again = obj(p.X, p.Theta)
    assert first[0] == again[0]
    np.testing.assert_array_equal(first[1], again[1])


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_predict_entries_for_pairs_in_any_order(make_problem, dtype) -> None:
    """Pairs unsorted and repeated (a validation set, a user's candidates): each is its own dot product."""
    p = make_problem(9, 8, 3, density=0.9, seed=5)
    rng = np.random.default_rng(0)
    items, users = rng.integers(0, 9, 50).astype(dtype), rng.integers(0, 8, 50).astype(dtype)
    got = predict_entries(p.X, p.Theta, items, users)
    np.testing.assert_allclose(got, np.sum(p.X[items] * p.Theta[users], axis=1), rtol=1e-13)


@pytest.mark.parametrize("n_threads", [2, 3])
def test_threads_give_the_same_objective(make_problem, split_everything, n_threads: int) -> None:
    p = make_problem(23, 11, 3, density=0.7, seed=9)
    r = p.ratings
    rng = np.random.default_rng(1)
    b, c = rng.normal(size=r.n_items), rng.normal(size=r.n_users)
    one = SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, 0.6)
    many = SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, 0.6, n_threads=n_threads)
    assert len(many._parts) - 1 == n_threads
    for _ in range(2):  # the second call reuses the per-thread buffers, which must start from zero again
        for a, e in zip(many(p.X, p.Theta), one(p.X, p.Theta), strict=True):
            np.testing.assert_allclose(a, e, rtol=1e-12)
        for a, e in zip(many.biased(p.X, p.Theta, b, c), one.biased(p.X, p.Theta, b, c), strict=True):
            np.testing.assert_allclose(a, e, rtol=1e-12)
    assert many.cost(p.X, p.Theta, b, c) == pytest.approx(one.cost(p.X, p.Theta, b, c), rel=1e-12)


def test_gradients_written_into_given_arrays(make_problem) -> None:
    p = make_problem(6, 7, 2, seed=3)
    r = p.ratings
    obj = SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, 0.9)
    dX, dTheta = np.full(p.X.shape, np.nan), np.full(p.Theta.shape, np.nan)
    J, gX, gTheta = obj(p.X, p.Theta, out=(dX, dTheta))
    assert gX is dX and gTheta is dTheta
    J_ref, dX_ref, dTheta_ref = dense_cost_and_gradient(p.X, p.Theta, p.Y, p.R, 0.9)
    assert rel(J, J_ref) < 1e-12 and rel(dX, dX_ref) < 1e-12 and rel(dTheta, dTheta_ref) < 1e-12


def test_shape_mismatch_is_a_clear_error(make_problem) -> None:
    p = make_problem(4, 3, 2)
    with pytest.raises(ValueError, match=r"for a 4 x 3 ratings grid; got X \(3, 2\) and Theta \(3, 2\)"):
        cost_and_gradient(p.X[:3], p.Theta, p.ratings, 1.0)
    with pytest.raises(ValueError, match="X must be items x k and Theta users x k"):
        check_gradient(p.X, p.Theta[:, :1], p.ratings, 1.0)


# ------------------------------------------------------------------------------------ gradient checks
@pytest.mark.parametrize("lambda_", [0.0, 1.5])
@pytest.mark.parametrize("seed", range(3))
def test_gradient_check_passes_with_missing_entries(make_problem, lambda_: float, seed: int) -> None:
    p = make_problem(6, 5, 3, density=0.4, seed=seed)
    assert p.R.sum() < p.R.size  # the point is that some entries are missing
    result = check_gradient(p.X, p.Theta, p.ratings, lambda_)
    assert result.relative_difference < 1e-9
    assert result.passed()
    assert len(result.coordinates) == p.X.size + p.Theta.size


@given(problem_params, lambdas)
def test_gradient_check_passes_on_random_problems(make_problem, params: dict, lambda_: float) -> None:
    p = make_problem(**params)
    assert check_gradient(p.X, p.Theta, p.ratings, lambda_).relative_difference < 1e-9


def test_gradient_check_samples_coordinates(make_problem) -> None:
    p = make_problem(20, 15, 4, seed=4)
    result = check_gradient(p.X, p.Theta, p.ratings, 1.0, n_checks=10, random_state=1)
    assert len(result.coordinates) == 10 == len(np.unique(result.coordinates))
    assert result.passed()
    again = check_gradient(p.X, p.Theta, p.ratings, 1.0, n_checks=10, random_state=1)
    np.testing.assert_array_equal(result.coordinates, again.coordinates)


def test_gradient_check_catches_a_wrong_gradient(monkeypatch: pytest.MonkeyPatch, make_problem) -> None:
    """A checker that cannot fail proves nothing: a 1% error in dTheta must be detected."""
    p = make_problem(5, 4, 2, seed=6)
    right = SparseObjective.__call__

    def slightly_wrong(self, X, Theta):
        J, dX, dTheta = right(self, X, Theta)
        return J, dX, dTheta * 1.01

    monkeypatch.setattr(SparseObjective, "__call__", slightly_wrong)
    result = check_gradient(p.X, p.Theta, p.ratings, 1.0)
    assert not result.passed()
    assert result.relative_difference > 1e-4


def test_gradient_check_does_not_modify_inputs(make_problem) -> None:
    p = make_problem(4, 4, 2, seed=7)
    X, Theta = p.X.copy(), p.Theta.copy()
    check_gradient(p.X, p.Theta, p.ratings, 1.0)
    np.testing.assert_array_equal(p.X, X)
    np.testing.assert_array_equal(p.Theta, Theta)


# ----------------------------------------------------------------------------------- biased objective
def biased_dense_cost(X, Theta, b, c, Y, R, lambda_) -> float:
    E = (X @ Theta.T + b[:, None] + c[None, :] - Y) * R
    return 0.5 * np.sum(E**2) + lambda_ / 2 * (np.sum(X**2) + np.sum(Theta**2) + b @ b + c @ c)


@pytest.mark.parametrize("lambda_", [0.0, 0.8])
@pytest.mark.parametrize("seed", range(3))
def test_biased_objective_cost_and_gradient(make_problem, lambda_: float, seed: int) -> None:
    p = make_problem(6, 5, 2, density=0.5, seed=seed)
    r = p.ratings
    rng = np.random.default_rng(seed)
    b, c = rng.normal(size=r.n_items), rng.normal(size=r.n_users)
    obj = SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, lambda_)
    J, dX, dTheta, db, dc = obj.biased(p.X, p.Theta, b, c)
    assert rel(J, biased_dense_cost(p.X, p.Theta, b, c, p.Y, p.R, lambda_)) < 1e-12
    assert obj.cost(p.X, p.Theta, b, c) == pytest.approx(float(J), rel=1e-14)

    sizes = np.cumsum([p.X.size, p.Theta.size, len(b)])

    def cost_of(flat: np.ndarray) -> float:
        Xf, Tf, bf, cf = np.split(flat, sizes)
        return obj.cost(Xf.reshape(p.X.shape), Tf.reshape(p.Theta.shape), bf, cf)

    flat = np.concatenate([p.X.ravel(), p.Theta.ravel(), b, c])
    numerical = central_differences(cost_of, flat)
    analytical = np.concatenate([dX.ravel(), dTheta.ravel(), db, dc])
    assert np.linalg.norm(numerical - analytical) / np.linalg.norm(numerical + analytical) < 1e-9


def test_biased_objective_with_zero_biases_is_the_plain_one(make_problem) -> None:
    p = make_problem(5, 7, 3, seed=8)
    r = p.ratings
    obj = SparseObjective(r.item_idx, r.user_idx, r.values, r.shape, 0.4)
    cost, dX, dTheta, _, _ = obj.biased(p.X, p.Theta, np.zeros(r.n_items), np.zeros(r.n_users))
    cost0, dX0, dTheta0 = obj(p.X, p.Theta)
    assert cost == pytest.approx(cost0, rel=1e-14)
    np.testing.assert_allclose(dX, dX0, rtol=1e-14)
    np.testing.assert_allclose(dTheta, dTheta0, rtol=1e-14)


def test_check_gradient_refuses_to_check_nothing(make_problem):
    p = make_problem(6, 5, 2, density=0.5, seed=1)
    with pytest.raises(ValueError, match="n_checks"):
        check_gradient(p.X, p.Theta, p.ratings, 1.0, n_checks=0)


def test_out_of_range_positions_are_refused_before_the_kernels(make_problem) -> None:
    """The compiled loops skip bounds checks, so a bad position must be a clear error, never a stray read."""
    p = make_problem(4, 3, 2)
    r = p.ratings
    with pytest.raises(ValueError, match="user position 3 out of range for 3 users"):
        predict_entries(p.X, p.Theta, np.array([0, 1]), np.array([2, 3]))
    with pytest.raises(ValueError, match="item position -1 out of range for 4 items"):
        predict_entries(p.X, p.Theta, np.array([-1]), np.array([0]))
    with pytest.raises(ValueError, match="item position 4 out of range for 4 items"):
        SparseObjective(np.r_[r.item_idx, 4], np.r_[r.user_idx, 0], np.r_[r.values, 1.0], r.shape, 1.0)
    with pytest.raises(ValueError, match="differ in length"):
        SparseObjective(r.item_idx, r.user_idx, r.values[:-1], r.shape, 1.0)
