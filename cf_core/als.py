"""Alternating least squares for the same cost that :mod:`cf_core.objective` defines.

With Theta fixed, J is a ridge regression in each item's features, solved in closed form:
``x_i = (sum_j theta_j theta_j^T + lambda I)^-1 sum_j theta_j y_ij`` over the users j who rated i;
then the same for every user with X fixed. Each half-sweep can only lower J, which makes ALS a useful
contrast to gradient methods on the cost curve. The per-row Gram matrices are accumulated from
chunks of rated entries (never a dense items x users array) and solved as one batched LAPACK call.
"""

from __future__ import annotations

import numpy as np

from .objective import SparseObjective

__all__ = ["als_sweep"]

# Numerical floor added to every diagonal so rows with no ratings (or lambda = 0) stay solvable.
_JITTER = 1e-10


def _solve_rows(
    row_idx: np.ndarray,
    col_idx: np.ndarray,
    targets: np.ndarray,
    F: np.ndarray,
    n_rows: int,
    lambda_: float,
) -> np.ndarray:
    """Ridge solution for every row: entries sorted by row, features F[col] of the fixed side."""
    d = F.shape[1]
    gram = np.zeros((n_rows, d, d))
    rhs = np.zeros((n_rows, d))
    chunk = max(1024, (1 << 22) // (d * d))
    for start in range(0, len(row_idx), chunk):
        stop = min(start + chunk, len(row_idx))
        rows = row_idx[start:stop]
        a = F[col_idx[start:stop]]
        seg = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        owners = rows[seg]
        gram[owners] += np.add.reduceat(np.einsum("ni,nj->nij", a, a), seg, axis=0)
        rhs[owners] += np.add.reduceat(a * targets[start:stop, None], seg, axis=0)
    gram += (lambda_ + _JITTER) * np.eye(d)
    return np.linalg.solve(gram, rhs[..., None])[..., 0]


def _user_order(objective: SparseObjective) -> np.ndarray:
    """Entry order sorted by user, computed once per objective."""
    order = getattr(objective, "_als_user_order", None)
    if order is None:
        order = np.argsort(objective.user_idx, kind="stable")
        objective._als_user_order = order
    return order


def als_sweep(
    objective: SparseObjective,
    X: np.ndarray,
    Theta: np.ndarray,
    b: np.ndarray | None = None,
    c: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One ALS sweep: all item rows with Theta fixed, then all user rows with X fixed.

    With biases (``b`` per item, ``c`` per user) each solve also fits the row's own bias, by appending a
    constant-1 feature on the fixed side.
    """
    n_items, n_users = objective.shape
    lam = objective.lambda_
    ii, uu, y = objective.item_idx, objective.user_idx, objective.values
    biased = b is not None
    # Items: entries are already item-sorted.
    F = np.hstack([Theta, np.ones((n_users, 1))]) if biased else Theta
    t = y - c[uu] if biased else y
    sol = _solve_rows(ii, uu, t, F, n_items, lam)
    X, b = (sol[:, :-1].copy(), sol[:, -1].copy()) if biased else (sol, None)
    # Users: reorder the entries by user.
    order = _user_order(objective)
    F = np.hstack([X, np.ones((n_items, 1))]) if biased else X
    t = (y - b[ii]) if biased else y
    sol = _solve_rows(uu[order], ii[order], t[order], F, n_users, lam)
    Theta, c = (sol[:, :-1].copy(), sol[:, -1].copy()) if biased else (sol, None)
    return np.ascontiguousarray(X), np.ascontiguousarray(Theta), b, c
