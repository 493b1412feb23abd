"""Alternating least squares: closed-form ridge solves of every item, then every user (:mod:`cf_core.als`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..als import als_sweep
from .base import OnIteration, Problem, SolverResult

__all__ = ["AlternatingLeastSquares", "DEFAULT_TOL"]

#: Stop when a sweep lowers the cost by less than this fraction (sweeps can only lower it).
DEFAULT_TOL = 1e-9


@dataclass(frozen=True)
class AlternatingLeastSquares:
    """One iteration is one sweep; it minimizes the same cost as the gradient solvers, so curves compare."""

    method: str = "als"
    label: str = "ALS"

    def solve(self, problem: Problem, start: np.ndarray, on_iteration: OnIteration) -> SolverResult:
        tol = DEFAULT_TOL if problem.tol is None else float(problem.tol)
        objective = problem.objective
        p = problem.unpack(start)
        X, Theta = np.array(p.X), np.array(p.Theta)
        b, c = (np.array(p.b), np.array(p.c)) if problem.biased else (None, None)
        previous = objective.cost(X, Theta, b, c)
        flat = start
        for it in range(1, int(problem.max_iter) + 1):
            X, Theta, b, c = als_sweep(objective, X, Theta, b, c)
            cost = objective.cost(X, Theta, b, c)
            flat = problem.pack(X, Theta, b, c)
            if on_iteration(flat, cost):
                return SolverResult(flat, it, False, "stopped by callback")
            if previous - cost <= tol * max(abs(previous), 1e-300):
                return SolverResult(flat, it, True, f"relative cost decrease below tol={tol:g}")
            previous = cost
        return SolverResult(flat, int(problem.max_iter), False, "reached max_iter")
