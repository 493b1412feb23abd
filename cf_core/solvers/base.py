"""The seam between the estimator and its optimizers: what a solver is given, and what it gives back.

A solver minimizes one :class:`Problem` (the objective over fixed ratings, and how its parameters pack
into one flat vector ``[X, Theta (, item biases, user biases)]``) from a starting vector. After every
iteration it calls ``on_iteration(params, cost)``, which returns True to stop; at the end it returns a
:class:`SolverResult`. The estimator owns everything else: the starting point, progress reports,
validation, and the fitted attributes, which it writes once when the solver returns.

Why a callback and not a generator (as LensKit's ``fit_iters``): scipy.optimize owns its loop and
reports through a callback, and turning that inside out needs a thread per fit. A callback that can stop
the loop serves both kinds of solver with the same contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..objective import SparseObjective

__all__ = ["OnIteration", "Parameters", "Problem", "Solver", "SolverResult"]

#: ``on_iteration(params, cost) -> stop``: called after each iteration with the flat parameters reached.
OnIteration = Callable[[np.ndarray, float], bool]


@dataclass(frozen=True)
class Parameters:
    """Views into a flat parameter vector; ``b`` and ``c`` are None without learned biases."""

    X: np.ndarray
    Theta: np.ndarray
    b: np.ndarray | None
    c: np.ndarray | None


@dataclass(frozen=True)
class Problem:
    """One minimization: the objective, the number of features, whether biases are learned, the budget."""

    objective: SparseObjective
    num_features: int
    biased: bool
    max_iter: int
    tol: float | None = None

    @property
    def size(self) -> int:
        n_items, n_users = self.objective.shape
        return (n_items + n_users) * (self.num_features + (1 if self.biased else 0))

    def unpack(self, params: np.ndarray) -> Parameters:
        """Flat vector -> X, Theta (and biases) as views, no copies."""
        n_items, n_users = self.objective.shape
        k = self.num_features
        nx, nt = n_items * k, n_users * k
        X = params[:nx].reshape(n_items, k)
        Theta = params[nx : nx + nt].reshape(n_users, k)
        if not self.biased:
            return Parameters(X, Theta, None, None)
        return Parameters(X, Theta, params[nx + nt : nx + nt + n_items], params[nx + nt + n_items :])

    def pack(self, X: np.ndarray, Theta: np.ndarray, b: np.ndarray | None, c: np.ndarray | None) -> np.ndarray:
        return np.concatenate([X.ravel(), Theta.ravel()] + ([b, c] if self.biased else []))

    def cost(self, params: np.ndarray) -> float:
        p = self.unpack(params)
        return self.objective.cost(p.X, p.Theta, p.b, p.c)

    def cost_and_gradient(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """J and the flat gradient, written in place through views of one fresh vector (no concatenation)."""
        p = self.unpack(params)
        grad = np.empty_like(params)
        g = self.unpack(grad)
        if not self.biased:
            return self.objective(p.X, p.Theta, out=(g.X, g.Theta))[0], grad
        return self.objective.biased(p.X, p.Theta, p.b, p.c, out=(g.X, g.Theta, g.b, g.c))[0], grad


@dataclass(frozen=True)
class SolverResult:
    """Where a solver stopped: the flat parameters, iterations made, whether it converged, and why it stopped."""

    params: np.ndarray
    n_iter: int
    converged: bool
    message: str


class Solver(Protocol):
    """An optimizer the estimator can use: ``method`` is the estimator's parameter value, ``label`` the UI's."""

    method: str
    label: str

    def solve(self, problem: Problem, start: np.ndarray, on_iteration: OnIteration) -> SolverResult: ...
