"""Gradient-based solvers from ``scipy.optimize.minimize`` (L-BFGS-B, CG) on the flat parameter vector."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from .base import OnIteration, Problem, SolverResult

__all__ = ["ScipyMinimize"]


@dataclass(frozen=True)
class ScipyMinimize:
    """``scipy.optimize.minimize(method=method)`` with the exact gradient; ``tol`` is scipy's own."""

    method: str
    label: str

    def solve(self, problem: Problem, start: np.ndarray, on_iteration: OnIteration) -> SolverResult:
        stopped = False

        def each(intermediate_result: scipy.optimize.OptimizeResult) -> None:
            nonlocal stopped
            if on_iteration(np.array(intermediate_result.x), float(intermediate_result.fun)):
                stopped = True
                raise StopIteration  # scipy ends the run and returns the parameters reached

        result = scipy.optimize.minimize(
            problem.cost_and_gradient,
            start,
            jac=True,
            method=self.method,
            tol=problem.tol,
            callback=each,
            options={"maxiter": int(problem.max_iter)},
        )
        message = "stopped by callback" if stopped else str(result.message)
        return SolverResult(np.asarray(result.x), int(result.nit), bool(result.success) and not stopped, message)
