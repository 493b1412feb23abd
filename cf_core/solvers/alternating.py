"""Alternating least squares: ridge solves of every item, then every user (:mod:`cf_core.als`).

Two solvers share the loop: exact ALS (closed-form solve per row) and conjugate-gradient ALS (a few CG
steps per row from its current parameters, as the implicit library does), which is several times less
work per sweep at large k and tends to the same solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..als import als_sweep, cg_sweep
from .base import OnIteration, Problem, SolverResult

__all__ = ["AlternatingLeastSquares", "ConjugateGradientALS", "DEFAULT_TOL"]

#: Stop when a sweep lowers the cost by less than this fraction (sweeps can only lower it).
DEFAULT_TOL = 1e-9


def _alternate(problem: Problem, start: np.ndarray, on_iteration: OnIteration, sweep) -> SolverResult:
    tol = DEFAULT_TOL if problem.tol is None else float(problem.tol)
    objective = problem.objective
    p = problem.unpack(start)
    X, Theta = np.array(p.X), np.array(p.Theta)
    b, c = (np.array(p.b), np.array(p.c)) if problem.biased else (None, None)
    previous = objective.cost(X, Theta, b, c)
    flat = start
    for it in range(1, int(problem.max_iter) + 1):
        X, Theta, b, c = sweep(objective, X, Theta, b, c)
        cost = objective.cost(X, Theta, b, c)
        flat = problem.pack(X, Theta, b, c)
        if on_iteration(flat, cost):
            return SolverResult(flat, it, False, "stopped by callback")
        if previous - cost <= tol * max(abs(previous), 1e-300):
            return SolverResult(flat, it, True, f"relative cost decrease below tol={tol:g}")
        previous = cost
    return SolverResult(flat, int(problem.max_iter), False, "reached max_iter")


@dataclass(frozen=True)
class AlternatingLeastSquares:
    """One iteration is one sweep; it minimizes the same cost as the gradient solvers, so curves compare."""

    method: str = "als"
    label: str = "ALS"

    def solve(self, problem: Problem, start: np.ndarray, on_iteration: OnIteration) -> SolverResult:
        return _alternate(problem, start, on_iteration, als_sweep)


@dataclass(frozen=True)
class ConjugateGradientALS:
    """ALS with ``steps`` conjugate-gradient steps per row and sweep instead of the exact solve."""

    method: str = "als-cg"
    label: str = "ALS (conjugate gradient)"
    steps: int = 3

    def solve(self, problem: Problem, start: np.ndarray, on_iteration: OnIteration) -> SolverResult:
        def sweep(objective, X, Theta, b, c):
            return cg_sweep(objective, X, Theta, b, c, steps=self.steps)

        return _alternate(problem, start, on_iteration, sweep)
