"""Optimizers for the collaborative-filtering cost, behind one small interface (:class:`Solver`).

The estimator looks its ``method`` up in :data:`SOLVERS` and hands the solver a :class:`Problem`; the
app lists the same registry (``label``) in its optimizer menu. Adding a solver is one module with a
class that has ``method``, ``label`` and ``solve(problem, start, on_iteration)``, and one line below;
the shared tests (``tests/test_solvers.py``) then run over it too.
"""

from __future__ import annotations

from .alternating import AlternatingLeastSquares, ConjugateGradientALS
from .base import OnIteration, Parameters, Problem, Solver, SolverResult
from .scipy_minimize import ScipyMinimize

__all__ = ["SOLVERS", "OnIteration", "Parameters", "Problem", "Solver", "SolverResult", "solver_labels"]

#: ``method`` value -> solver, in the order the app offers them.
SOLVERS: dict[str, Solver] = {
    s.method: s
    for s in (
        ScipyMinimize("L-BFGS-B", "L-BFGS-B"),
        ScipyMinimize("CG", "CG"),
        AlternatingLeastSquares(),
        ConjugateGradientALS(),
    )
}


def solver_labels() -> dict[str, str]:
    """UI label -> ``method`` value, for a menu of every registered solver."""
    return {s.label: s.method for s in SOLVERS.values()}
