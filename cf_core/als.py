"""Alternating least squares for the same cost that :mod:`cf_core.objective` defines.

With Theta fixed, J is a ridge regression in each item's features, solved in closed form:
``x_i = (sum_j theta_j theta_j^T + lambda I)^-1 sum_j theta_j y_ij`` over the users j who rated i;
then the same for every user with X fixed. Each half-sweep can only lower J, which makes ALS a useful
contrast to gradient methods on the cost curve.

Each half-step walks the rows being solved for, gathering the fixed side's vectors of their entries
(:func:`cf_core.kernels.ridge_rows`): one row's k x k Gram matrix lives only while that row is solved,
so nothing entries x k x k or items x users is ever built. One half-step uses the objective's own CSR
rows, the other the same entries transposed (built once per objective and kept on it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .kernels import cg_rows, ridge_rows
from .objective import SparseObjective
from .threads import row_parts, run_parts

__all__ = ["als_sweep", "cg_sweep", "ridge_solve"]

_NO_BIAS = np.zeros(0)


@dataclass(frozen=True)
class _Rows:
    """Entries as CSR rows of one side: ``indptr`` over that side, column positions and targets."""

    indptr: np.ndarray
    indices: np.ndarray
    targets: np.ndarray
    parts: np.ndarray  # row ranges for the threads

    def solve(
        self,
        F: np.ndarray,
        other_bias: np.ndarray | None,
        lambda_: float,
        bias_lambda: float,
        weights: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Every row's ridge solution with the column side's vectors ``F`` (and biases) fixed.

        ``weights`` scale each row's penalty (the weighted regularization), None for the textbook one.
        """
        return self._every_row(ridge_rows, F, other_bias, lambda_, bias_lambda, weights)

    def cg_solve(
        self,
        F: np.ndarray,
        other_bias: np.ndarray | None,
        lambda_: float,
        bias_lambda: float,
        weights: np.ndarray | None,
        current: np.ndarray,
        current_bias: np.ndarray | None,
        steps: int,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Like :meth:`solve`, but ``steps`` conjugate-gradient steps per row from ``current`` (and its biases)."""
        cur_bias = np.ascontiguousarray(current_bias, dtype=np.float64) if other_bias is not None else _NO_BIAS
        current = np.ascontiguousarray(current, dtype=np.float64)
        return self._every_row(cg_rows, F, other_bias, lambda_, bias_lambda, weights, int(steps), current, cur_bias)

    def _every_row(
        self,
        kernel: Callable[..., None],
        F: np.ndarray,
        other_bias: np.ndarray | None,
        lambda_: float,
        bias_lambda: float,
        weights: np.ndarray | None,
        *extra: object,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Run a row kernel over every row, split across the threads, into fresh output arrays.

        Both kernels take (rows, fixed side, penalty, row range, ``extra``..., outputs); numba wants absent
        biases and weights as empty float64 arrays, not None.
        """
        n_rows = len(self.indptr) - 1
        biased = other_bias is not None
        out = np.empty((n_rows, F.shape[1]))
        out_bias = np.empty(n_rows) if biased else _NO_BIAS
        bias_in = np.ascontiguousarray(other_bias, dtype=np.float64) if biased else _NO_BIAS
        F = np.ascontiguousarray(F, dtype=np.float64)
        row_weights = _NO_BIAS if weights is None else weights

        def run(p: int) -> None:
            kernel(
                self.indptr, self.indices, self.targets, F, bias_in, biased, lambda_, bias_lambda, row_weights,
                self.parts[p], self.parts[p + 1], *extra, out, out_bias,
            )  # fmt: skip

        run_parts(run, len(self.parts) - 1)
        return out, (out_bias if biased else None)


def _layouts(objective: SparseObjective) -> tuple[_Rows, _Rows]:
    """(item rows, user rows) of the objective's entries; the transposed one is built once and cached."""
    cached = getattr(objective, "_als_rows", None)
    if cached is None:
        own = _Rows(objective.indptr, objective.indices, objective.values, objective._parts)
        n_cols = objective.shape[1] if objective.items_major else objective.shape[0]
        rows = np.repeat(np.arange(len(own.indptr) - 1, dtype=np.uint32), np.diff(own.indptr))
        order = np.argsort(own.indices, kind="stable")
        indptr = np.zeros(n_cols + 1, dtype=np.int64)
        np.cumsum(np.bincount(own.indices, minlength=n_cols), out=indptr[1:])
        transposed = _Rows(indptr, rows[order], own.targets[order], row_parts(indptr, objective.n_threads))
        cached = (own, transposed) if objective.items_major else (transposed, own)
        objective._als_rows = cached
    return cached


def als_sweep(
    objective: SparseObjective,
    X: np.ndarray,
    Theta: np.ndarray,
    b: np.ndarray | None = None,
    c: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One ALS sweep: all item rows with Theta fixed, then all user rows with X fixed.

    With biases (``b`` per item, ``c`` per user) each solve also fits the row's own bias, through a
    constant-1 feature on the fixed side. The objective's penalty (bias lambda, weighted rows) is the one
    each row's ridge problem uses, so the sweep minimizes exactly the cost the objective reports.
    """
    item_rows, user_rows = _layouts(objective)
    pen = objective.penalty
    X, b = item_rows.solve(Theta, c, pen.lambda_, pen.bias_lambda, pen.item_weights)
    Theta, c = user_rows.solve(X, b, pen.lambda_, pen.bias_lambda, pen.user_weights)
    return X, Theta, b, c


def cg_sweep(
    objective: SparseObjective,
    X: np.ndarray,
    Theta: np.ndarray,
    b: np.ndarray | None = None,
    c: np.ndarray | None = None,
    *,
    steps: int = 3,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """One conjugate-gradient ALS sweep (implicit's solver): ``steps`` CG steps per row instead of an exact solve.

    Each row starts from its current parameters, so a few steps per sweep track the exact ALS solution;
    rows with fewer ratings than unknowns are still solved exactly (the dual system is cheaper there).
    """
    item_rows, user_rows = _layouts(objective)
    pen = objective.penalty
    X, b = item_rows.cg_solve(Theta, c, pen.lambda_, pen.bias_lambda, pen.item_weights, X, b, steps)
    Theta, c = user_rows.cg_solve(X, b, pen.lambda_, pen.bias_lambda, pen.user_weights, Theta, c, steps)
    return X, Theta, b, c


def ridge_solve(
    F: np.ndarray,
    cols: np.ndarray,
    targets: np.ndarray,
    other_bias: np.ndarray | None,
    lambda_: float,
    bias_lambda: float,
    weight: float = 1.0,
) -> np.ndarray:
    """One row's ridge solution against the rows ``cols`` of ``F``: the ALS step for a single new row.

    Fold-in uses it, so a new user's parameters come from the same kernel (same jitter, same penalty) as
    every user's in an ALS sweep. Returns the k weights, with the row's bias appended when ``other_bias``
    (the fixed side's biases) is given.
    """
    biased = other_bias is not None
    k = F.shape[1]
    out = np.empty((1, k))
    out_bias = np.empty(1) if biased else _NO_BIAS
    ridge_rows(
        np.array([0, len(cols)], dtype=np.int64),
        np.ascontiguousarray(cols, dtype=np.uint32),
        np.ascontiguousarray(targets, dtype=np.float64),
        np.ascontiguousarray(F, dtype=np.float64),
        np.ascontiguousarray(other_bias, dtype=np.float64) if biased else _NO_BIAS,
        biased, float(lambda_), float(bias_lambda), np.array([float(weight)]), 0, 1, out, out_bias,
    )  # fmt: skip
    return np.append(out[0], out_bias[0]) if biased else out[0]
