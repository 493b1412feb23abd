"""The solvers' stop messages in words a person reads: scipy's L-BFGS-B says
"CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH", which tells a learner nothing."""

from __future__ import annotations

__all__ = ["in_words"]

# (fragment of the solver's message, lower case) -> what it means. First match wins.
_MEANINGS: list[tuple[str, str]] = [
    (
        "reduction of f",
        "Converged: the cost stopped improving (its relative change fell below the solver's tolerance).",
    ),
    ("rel_reduction", "Converged: the cost stopped improving (its relative change fell below the solver's tolerance)."),
    ("projected gradient", "Converged: the gradient is practically zero, so this is a minimum."),
    ("projected_gradient", "Converged: the gradient is practically zero, so this is a minimum."),
    ("relative cost decrease below", "Converged: a sweep lowered the cost by less than the tolerance."),
    ("terminated successfully", "Converged: the gradient is practically zero, so this is a minimum."),
    ("iterations reached limit", "Stopped at the iteration limit: more iterations may still lower the cost."),
    ("maximum number of iterations", "Stopped at the iteration limit: more iterations may still lower the cost."),
    ("reached max_iter", "Stopped at the iteration limit: more iterations may still lower the cost."),
    ("max_iter is 0", "Not trained: with 0 iterations the parameters are the random start."),
    (
        "precision loss",
        "Stopped: rounding errors keep the solver from lowering the cost further (it is at or very near a minimum).",
    ),
    ("abnormal", "Stopped: the line search could not lower the cost further (usually at or near a minimum)."),
    ("stopped by callback", "Stopped early (by the Stop button or the early-stopping rule)."),
]


def in_words(message: str) -> str:
    """What ``message`` (a solver's raw stop message) means; unknown messages are passed on, marked as such."""
    lowered = str(message).lower()
    for fragment, meaning in _MEANINGS:
        if fragment in lowered:
            return meaning
    return f"The solver reports: {message}"
