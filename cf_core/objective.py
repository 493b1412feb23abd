"""The collaborative-filtering cost and its gradients, on the rated entries only.

The textbook objective, for item features X (items x k) and user parameters Theta (users x k)::

    J = 1/2 sum_{(i,j): r_ij = 1} (x_i . theta_j - y_ij)^2 + lambda/2 (||X||^2 + ||Theta||^2)
    dJ/dx_i     = sum_j r_ij (x_i . theta_j - y_ij) theta_j + lambda x_i
    dJ/dtheta_j = sum_i r_ij (x_i . theta_j - y_ij) x_i     + lambda theta_j

Two options the field uses change only the penalty (:class:`Penalty`): ``bias_lambda``, the biases' own
strength in biased MF (default: lambda), and ``regularization="weighted"`` (ALS-WR, Zhou et al. 2008, the
form Spark MLlib's ALS minimizes), where each row's penalty is scaled by its number of ratings::

    J = 1/2 sum_rated (x_i . theta_j [+ b_i + c_j] - y_ij)^2
        + lambda/2 (sum_i n_i |x_i|^2 + sum_j n_j |theta_j|^2) [+ bias_lambda/2 (sum_i n_i b_i^2 + sum_j n_j c_j^2)]

with n_i the ratings of item i and n_j those of user j. A bias is weighted like the vector of the same
row, so each row's whole ridge problem keeps the textbook shape with its lambdas scaled by n (what ALS-WR
solves); a row with no ratings counts as n = 1, so it is still pulled to zero instead of left where the
solver started (its factors are not determined by the data).

The course writes these with dense Y and R; here they touch only the rated entries, so one evaluation
costs O(ratings x k) time and no memory beyond the gradients: one compiled pass over the entries
(:func:`cf_core.kernels.objective_rows`) computes every residual and adds it into both gradients.
The entries are stored as CSR rows of the larger side (users for MovieLens shapes), so the vectors read
and updated at random positions are the smaller side's: at 10M ratings a 0.85 MB X instead of a
5.6 MB Theta, which stays in cache. :func:`dense_cost_and_gradient` is the textbook version, kept as
the reference tests and benchmarks compare against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .kernels import objective_rows, predict_pairs
from .threads import row_parts, run_parts

if TYPE_CHECKING:
    from .ratings import Ratings

__all__ = [
    "REGULARIZATIONS",
    "Penalty",
    "SparseObjective",
    "cost_and_gradient",
    "dense_cost_and_gradient",
    "check_gradient",
    "GradientCheck",
    "predict_entries",
]

_NO_BIAS = np.zeros(0)

#: ``"l2"``: the textbook lambda/2 |p|^2; ``"weighted"``: each row's penalty times its number of ratings.
REGULARIZATIONS = ("l2", "weighted")


def rating_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """Ratings per position, as float penalty weights; a position with none counts as 1 (see the module doc)."""
    return np.maximum(np.bincount(np.asarray(idx), minlength=n), 1).astype(np.float64)


@dataclass(frozen=True)
class Penalty:
    """The regularization term: strengths for the factor vectors and the biases, and per-row weights.

    ``item_weights`` / ``user_weights`` are None for the textbook penalty and the rating counts n_i / n_j
    for ``"weighted"``. Rows that share a weight share it for their vector and their bias.
    """

    lambda_: float
    bias_lambda: float
    item_weights: np.ndarray | None = None
    user_weights: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        lambda_: float,
        bias_lambda: float | None,
        regularization: str,
        item_idx: np.ndarray,
        user_idx: np.ndarray,
        shape: tuple[int, int],
    ) -> Penalty:
        if regularization not in REGULARIZATIONS:
            raise ValueError(f"regularization must be one of {REGULARIZATIONS}, got {regularization!r}")
        lam = float(lambda_)
        blam = lam if bias_lambda is None else float(bias_lambda)
        if regularization == "l2":
            return cls(lam, blam)
        return cls(lam, blam, rating_counts(item_idx, shape[0]), rating_counts(user_idx, shape[1]))

    @property
    def weighted(self) -> bool:
        return self.item_weights is not None

    def __call__(self, params: tuple[np.ndarray, ...], grads: tuple[np.ndarray, ...] | None) -> float:
        """The penalty for (X, Theta[, b, c]); with ``grads``, its gradient added to each of them."""
        strengths = (self.lambda_, self.lambda_, self.bias_lambda, self.bias_lambda)
        weights = (self.item_weights, self.user_weights, self.item_weights, self.user_weights)
        squares = []
        for n, p in enumerate(params):
            w = weights[n]
            wp = p if w is None else (w[:, None] * p if p.ndim == 2 else w * p)
            if grads is not None:
                g = grads[n]  # in place: the caller's arrays (views of one flat vector)
                g += strengths[n] * wp
            squares.append(float(np.vdot(p, wp)))
        if len(params) == 2 or self.bias_lambda == self.lambda_:
            return 0.5 * self.lambda_ * sum(squares)
        return 0.5 * self.lambda_ * sum(squares[:2]) + 0.5 * self.bias_lambda * sum(squares[2:])


def predict_entries(
    X: np.ndarray, Theta: np.ndarray, item_idx: np.ndarray, user_idx: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """``x_i . theta_j`` for each (item_idx[e], user_idx[e]), in one pass with no temporaries."""
    X, Theta = _matrix(X), _matrix(Theta)
    item_idx, user_idx = _indices(item_idx, user_idx)
    _check_positions(item_idx, len(X), "item")
    _check_positions(user_idx, len(Theta), "user")
    out = np.empty(len(item_idx)) if out is None else out
    predict_pairs(X, Theta, item_idx, user_idx, out)
    return out


def _check_positions(idx: np.ndarray, n: int, kind: str) -> None:
    """The kernels do not bounds-check (it costs ~10% per access): a bad position must stop here, not there."""
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)][0]
        raise ValueError(f"{kind} position {int(bad)} out of range for {n} {kind}s")


def _matrix(a: np.ndarray) -> np.ndarray:
    """C-ordered float64, the layout the kernels are compiled for (no copy for the estimator's arrays)."""
    return np.ascontiguousarray(a, dtype=np.float64)


def _indices(*positions: np.ndarray) -> list[np.ndarray]:
    """Positions all int32 (Ratings' own, no copy) or else all int64: the two types predict_pairs takes."""
    arrays = [np.asarray(p) for p in positions]
    dtype = np.int32 if all(a.dtype == np.int32 for a in arrays) else np.int64
    return [np.ascontiguousarray(a, dtype=dtype) for a in arrays]


class SparseObjective:
    """Cost and gradient over fixed rated entries, with the CSR structure built once.

    A solver calls it hundreds of times on the same entries, so everything that does not depend on
    the parameters is set up here. With ``biased`` evaluation the model also has an item bias ``b``
    and a user bias ``c`` (prediction ``x_i . theta_j + b_i + c_j``), regularized by ``bias_lambda``
    (default: lambda). ``regularization="weighted"`` scales each row's penalty by its rating count
    (see the module docstring). ``n_threads`` > 1 splits each pass into row ranges run in parallel (only on data large
    enough to gain from it, see :mod:`cf_core.threads`); results are reproducible for a given count.
    """

    def __init__(
        self,
        item_idx: np.ndarray,
        user_idx: np.ndarray,
        values: np.ndarray,
        shape: tuple[int, int],
        lambda_: float,
        *,
        bias_lambda: float | None = None,
        regularization: str = "l2",
        n_threads: int = 1,
    ) -> None:
        n_items, n_users = shape
        self.shape = (n_items, n_users)
        self.lambda_ = float(lambda_)
        #: True when CSR rows are items (items are the larger side), False when they are users.
        self.items_major = n_items >= n_users
        rows, cols, n_rows = (
            (np.asarray(item_idx), np.asarray(user_idx), n_items)
            if self.items_major
            else (np.asarray(user_idx), np.asarray(item_idx), n_users)
        )
        values = np.asarray(values)
        if not len(rows) == len(cols) == len(values):
            raise ValueError(
                f"item_idx, user_idx and values differ in length: {len(item_idx)}, {len(user_idx)}, {len(values)}"
            )
        _check_positions(np.asarray(item_idx), n_items, "item")
        _check_positions(np.asarray(user_idx), n_users, "user")
        self.penalty = Penalty.build(lambda_, bias_lambda, regularization, item_idx, user_idx, self.shape)
        self.bias_lambda = self.penalty.bias_lambda
        self.regularization = regularization
        key = rows.astype(np.int64) * max(n_items, n_users, 1) + cols
        if len(key) > 1 and not np.all(key[1:] > key[:-1]):
            order = np.argsort(key, kind="stable")
            rows, cols, values = rows[order], cols[order], values[order]
        del key
        #: CSR structure: row r's entries are ``indptr[r]:indptr[r + 1]`` of ``indices`` (columns) and ``values``.
        self.indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=self.indptr[1:])
        self.indices = np.ascontiguousarray(cols, dtype=np.uint32)
        self.values = np.ascontiguousarray(values, dtype=np.float64)
        self.n_threads = int(n_threads)
        self._parts = row_parts(self.indptr, self.n_threads)
        # Column-side gradient buffers (vectors, biases) for each extra thread, reused between calls.
        self._scratch: list[tuple[np.ndarray, np.ndarray]] = []

    @property
    def n_ratings(self) -> int:
        return len(self.values)

    def _sides(self, X: np.ndarray, Theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row side, column side) of the CSR: (X, Theta) when items are the rows."""
        return (X, Theta) if self.items_major else (Theta, X)

    def _data_term(
        self,
        X: np.ndarray,
        Theta: np.ndarray,
        b: np.ndarray | None,
        c: np.ndarray | None,
        grads: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
    ) -> float:
        """1/2 the sum of squared residuals; with ``grads`` = (dX, dTheta, db, dc), their data-term parts."""
        X, Theta = _matrix(X), _matrix(Theta)
        biased = b is not None
        b, c = (_matrix(b), _matrix(c)) if biased else (_NO_BIAS, _NO_BIAS)
        A, B = self._sides(X, Theta)
        a_bias, b_bias = self._sides(b, c)
        with_gradient = grads is not None
        if with_gradient:
            dX, dTheta, db, dc = grads
            dA, dB = self._sides(dX, dTheta)
            da_bias, db_bias = self._sides(db, dc)
        else:
            dA = dB = np.empty((0, X.shape[1]))
            da_bias = db_bias = _NO_BIAS
        parts = self._parts
        n_parts = len(parts) - 1
        if with_gradient:
            dB[:] = 0.0
            db_bias[:] = 0.0
            while len(self._scratch) < n_parts - 1:
                self._scratch.append((np.empty(B.shape), np.empty(B.shape[0])))

        def run(p: int) -> float:
            out_b, out_b_bias = dB, db_bias
            if p > 0 and with_gradient:  # threads after the first accumulate into their own buffers
                out_b = self._scratch[p - 1][0]
                out_b[:] = 0.0
                if biased:
                    out_b_bias = self._scratch[p - 1][1]
                    out_b_bias[:] = 0.0
            return objective_rows(
                A, B, self.indptr, self.indices, self.values, a_bias, b_bias,
                parts[p], parts[p + 1], with_gradient, biased, dA, out_b, da_bias, out_b_bias,
            )  # fmt: skip

        sse = sum(run_parts(run, n_parts))
        if with_gradient:
            for part_b, part_b_bias in self._scratch[: n_parts - 1]:
                dB += part_b
                if biased:
                    db_bias += part_b_bias
        return 0.5 * sse

    def _regularize(self, params: tuple[np.ndarray, ...], grads: tuple[np.ndarray, ...] | None) -> float:
        """The penalty (lambda/2 sum ||p||^2 in the textbook form), and its gradient added to each of ``grads``."""
        return self.penalty(params, grads)

    def cost(self, X: np.ndarray, Theta: np.ndarray, b: np.ndarray | None = None, c: np.ndarray | None = None) -> float:
        """J alone (no gradient): one pass over the entries."""
        params = (X, Theta) if b is None else (X, Theta, b, c)
        return self._data_term(X, Theta, b, c, None) + self._regularize(params, None)

    def __call__(
        self, X: np.ndarray, Theta: np.ndarray, out: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Textbook ``(J, dJ/dX, dJ/dTheta)``; ``out`` = (dX, dTheta) arrays to write the gradients into."""
        dX, dTheta = (np.empty(X.shape), np.empty(Theta.shape)) if out is None else out
        data = self._data_term(X, Theta, None, None, (dX, dTheta, _NO_BIAS, _NO_BIAS))
        return data + self._regularize((X, Theta), (dX, dTheta)), dX, dTheta

    def biased(
        self,
        X: np.ndarray,
        Theta: np.ndarray,
        b: np.ndarray,
        c: np.ndarray,
        out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Biased-MF ``(J, dX, dTheta, db, dc)`` for prediction ``x_i . theta_j + b_i + c_j``."""
        grads = tuple(np.empty(np.shape(a)) for a in (X, Theta, b, c)) if out is None else out
        data = self._data_term(X, Theta, b, c, grads)
        return (data + self._regularize((X, Theta, b, c), grads), *grads)


def cost_and_gradient(
    X: np.ndarray, Theta: np.ndarray, ratings: Ratings, lambda_: float, *, regularization: str = "l2"
) -> tuple[float, np.ndarray, np.ndarray]:
    """The textbook ``(J, dX, dTheta)`` for ``ratings`` (items x users), touching only rated entries."""
    _check_shapes(X, Theta, ratings.shape)
    objective = SparseObjective(
        ratings.item_idx, ratings.user_idx, ratings.values, ratings.shape, lambda_, regularization=regularization
    )
    return objective(np.asarray(X, dtype=np.float64), np.asarray(Theta, dtype=np.float64))


def dense_cost_and_gradient(
    X: np.ndarray,
    Theta: np.ndarray,
    Y: np.ndarray,
    R: np.ndarray,
    lambda_: float,
    *,
    regularization: str = "l2",
    b: np.ndarray | None = None,
    c: np.ndarray | None = None,
    bias_lambda: float | None = None,
) -> tuple[float, ...]:
    """The course's formulas on dense Y and R, line for line: the reference, not for real data.

    Returns ``(J, dX, dTheta)``, or ``(J, dX, dTheta, db, dc)`` when biases ``b`` (items) and ``c``
    (users) are given. ``"weighted"`` multiplies each row's penalty by its rating count (at least 1).
    """
    R = np.asarray(R, dtype=float)
    if regularization == "weighted":
        n_i, n_j = np.maximum(R.sum(axis=1), 1), np.maximum(R.sum(axis=0), 1)
    else:
        n_i, n_j = np.ones(len(X)), np.ones(len(Theta))
    P = X @ Theta.T if b is None else X @ Theta.T + b[:, None] + c[None, :]
    E = (P - Y) * R
    J = 0.5 * np.sum(E**2) + lambda_ / 2 * (n_i @ np.sum(X**2, axis=1) + n_j @ np.sum(Theta**2, axis=1))
    dX = E @ Theta + lambda_ * n_i[:, None] * X
    dTheta = E.T @ X + lambda_ * n_j[:, None] * Theta
    if b is None:
        return J, dX, dTheta
    blam = lambda_ if bias_lambda is None else bias_lambda
    J += blam / 2 * (n_i @ b**2 + n_j @ c**2)
    return J, dX, dTheta, E.sum(axis=1) + blam * n_i * b, E.sum(axis=0) + blam * n_j * c


def _check_shapes(X: np.ndarray, Theta: np.ndarray, shape: tuple[int, int]) -> None:
    if (
        X.ndim != 2
        or Theta.ndim != 2
        or X.shape[0] != shape[0]
        or Theta.shape[0] != shape[1]
        or X.shape[1] != Theta.shape[1]
    ):
        raise ValueError(
            f"X must be items x k and Theta users x k for a {shape[0]} x {shape[1]} ratings grid; "
            f"got X {X.shape} and Theta {Theta.shape}"
        )


@dataclass(frozen=True)
class GradientCheck:
    """Numerical and analytical gradients on the checked coordinates and how far apart they are."""

    numerical: np.ndarray
    analytical: np.ndarray
    relative_difference: float
    coordinates: np.ndarray

    def passed(self, threshold: float = 1e-9) -> bool:
        return self.relative_difference < threshold


def check_gradient(
    X: np.ndarray,
    Theta: np.ndarray,
    ratings: Ratings,
    lambda_: float,
    *,
    b: np.ndarray | None = None,
    c: np.ndarray | None = None,
    bias_lambda: float | None = None,
    regularization: str = "l2",
    eps: float = 1e-4,
    n_checks: int | None = None,
    random_state: int | np.random.Generator | None = 0,
) -> GradientCheck:
    """Central-difference gradient check, as in the course: relative difference ``|num-ana| / |num+ana|``.

    The course's criterion is a relative difference below 1e-9. Each checked coordinate costs two cost
    evaluations, so on large data ``n_checks`` samples that many coordinates at random. With item biases
    ``b`` and user biases ``c`` (biased MF) they are checked too; coordinates run over X, Theta, b, c.
    """
    if (b is None) != (c is None):
        raise ValueError("give both item biases b and user biases c, or neither")
    parts = [np.array(X, dtype=np.float64), np.array(Theta, dtype=np.float64)]
    _check_shapes(parts[0], parts[1], ratings.shape)
    if b is not None:
        parts += [np.array(b, dtype=np.float64).reshape(-1), np.array(c, dtype=np.float64).reshape(-1)]
        if parts[2].shape != (ratings.n_items,) or parts[3].shape != (ratings.n_users,):
            raise ValueError(
                f"b must have one entry per item ({ratings.n_items}) and c one per user ({ratings.n_users}); "
                f"got {parts[2].shape} and {parts[3].shape}"
            )
    objective = SparseObjective(
        ratings.item_idx,
        ratings.user_idx,
        ratings.values,
        ratings.shape,
        lambda_,
        bias_lambda=bias_lambda,
        regularization=regularization,
    )
    grads = objective(*parts)[1:] if b is None else objective.biased(*parts)[1:]
    analytical_all = np.concatenate([g.ravel() for g in grads])
    size = analytical_all.size
    coords = np.arange(size)
    if n_checks is not None and n_checks < 1:
        raise ValueError(f"n_checks must be None (all coordinates) or at least 1, got {n_checks!r}")
    if n_checks is not None and n_checks < size:
        coords = np.sort(np.random.default_rng(random_state).choice(size, n_checks, replace=False))
    ends = np.cumsum([p.size for p in parts])
    numerical = np.empty(len(coords))
    for out, pos in enumerate(coords):
        which = int(np.searchsorted(ends, pos, side="right"))
        flat = parts[which].reshape(-1)
        flat_pos = pos - (ends[which - 1] if which else 0)
        saved = flat[flat_pos]
        flat[flat_pos] = saved + eps
        plus = objective.cost(*parts)
        flat[flat_pos] = saved - eps
        minus = objective.cost(*parts)
        flat[flat_pos] = saved
        numerical[out] = (plus - minus) / (2 * eps)
    analytical = analytical_all[coords]
    denom = np.linalg.norm(numerical + analytical)
    diff = np.linalg.norm(numerical - analytical) / denom if denom > 0 else 0.0
    return GradientCheck(numerical, analytical, float(diff), coords)
