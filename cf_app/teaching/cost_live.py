"""The cost, live: the cost and its gradients at the trained parameters, with the model's own numbers.

One topic with :mod:`.prediction_live` (one prediction taken apart) before: each formula, picker, table and
chart costs the browser 15-45 ms to draw, and the one page took 0.35-0.45 s to open on 100k ratings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from cf_core import CollaborativeFiltering, check_fitted

from .. import literal

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = [
    "COST_LATEX",
    "GRAD_X_LATEX",
    "GRAD_THETA_LATEX",
    "cost_latex",
    "gradient_latex",
    "CurrentMath",
    "current_math",
    "render",
]


COST_LATEX = (
    r"J(X,\Theta) = \frac{1}{2}\sum_{(i,j):\,r(i,j)=1}\Big((x^{(i)})^T\theta^{(j)} - y^{(i,j)}\Big)^2"
    r" + \frac{\lambda}{2}\sum_{i=1}^{n_m}\sum_{k=1}^{n}\big(x_k^{(i)}\big)^2"
    r" + \frac{\lambda}{2}\sum_{j=1}^{n_u}\sum_{k=1}^{n}\big(\theta_k^{(j)}\big)^2"
)
GRAD_X_LATEX = (
    r"\frac{\partial J}{\partial x_k^{(i)}} = \sum_{j:\,r(i,j)=1}\Big((\theta^{(j)})^T x^{(i)} - y^{(i,j)}\Big)"
    r"\,\theta_k^{(j)} + \lambda\, x_k^{(i)}"
)
GRAD_THETA_LATEX = (
    r"\frac{\partial J}{\partial \theta_k^{(j)}} = \sum_{i:\,r(i,j)=1}\Big((\theta^{(j)})^T x^{(i)} - y^{(i,j)}\Big)"
    r"\,x_k^{(i)} + \lambda\, \theta_k^{(j)}"
)


def _residual_latex(biased: bool) -> str:
    bias = r" + b_i + c_j" if biased else ""
    return r"\Big((x^{(i)})^T\theta^{(j)}" + bias + r" - y^{(i,j)}\Big)"


def cost_latex(model: CollaborativeFiltering) -> str:
    r"""The cost this model minimizes, in the course's notation: biases, bias lambda and weighting included.

    The textbook model gets exactly :data:`COST_LATEX`; ``n_i`` / ``n_j`` are the rating counts the
    weighted penalty multiplies by, ``\lambda_b`` the biases' own lambda.
    """
    biased = model.normalize == "biases"
    weighted = model.regularization == "weighted"
    if not biased and not weighted:
        return COST_LATEX
    n_i, n_j = (r"n_i\,", r"n_j\,") if weighted else ("", "")
    lam_b = r"\lambda" if model.bias_lambda is None else r"\lambda_b"
    # Two lines (error, then penalties): on one line the biased form ran past a three-quarter column.
    latex = (
        r"\begin{aligned} J = {} & \frac{1}{2}\sum_{(i,j):\,r(i,j)=1}" + _residual_latex(biased) + "^2"
        r" \\ & + \frac{\lambda}{2}\sum_{i}" + n_i + r"\lVert x^{(i)}\rVert^2"
        r" + \frac{\lambda}{2}\sum_{j}" + n_j + r"\lVert \theta^{(j)}\rVert^2"
    )
    if biased:
        latex += r" + \frac{" + lam_b + r"}{2}\Big(\sum_i " + n_i + r"b_i^2 + \sum_j " + n_j + r"c_j^2\Big)"
    return latex + r" \end{aligned}"


def gradient_latex(model: CollaborativeFiltering, side: str) -> str:
    """dJ/dx (``side="items"``) or dJ/dtheta (``"users"``) for this model's cost, as :func:`cost_latex`."""
    biased = model.normalize == "biases"
    weighted = model.regularization == "weighted"
    if not biased and not weighted:
        return GRAD_X_LATEX if side == "items" else GRAD_THETA_LATEX
    residual = _residual_latex(biased)
    if side == "items":
        n = r"n_i\," if weighted else ""
        return (
            r"\frac{\partial J}{\partial x_k^{(i)}} = \sum_{j:\,r(i,j)=1}" + residual
            + r"\,\theta_k^{(j)} + \lambda\," + n + r"x_k^{(i)}"
        )  # fmt: skip
    n = r"n_j\," if weighted else ""
    return (
        r"\frac{\partial J}{\partial \theta_k^{(j)}} = \sum_{i:\,r(i,j)=1}" + residual
        + r"\,x_k^{(i)} + \lambda\," + n + r"\theta_k^{(j)}"
    )  # fmt: skip


@dataclass(frozen=True)
class CurrentMath:
    """The cost's two parts and both gradients at the model's current parameters."""

    cost: float
    squared_error: float  # 1/2 sum of squared errors on rated entries
    regularization: float  # lambda/2 (|X|^2 + |Theta|^2) (+ the biases' squares with biased MF)
    grad_X: np.ndarray
    grad_Theta: np.ndarray

    @property
    def grad_X_norm(self) -> float:
        return float(np.linalg.norm(self.grad_X))

    @property
    def grad_Theta_norm(self) -> float:
        return float(np.linalg.norm(self.grad_Theta))


def current_math(model: CollaborativeFiltering) -> CurrentMath:
    """J and dJ/dX, dJ/dTheta for the trained model, on the (normalized) targets it was trained on.

    Near a minimum both gradients are close to zero; seeing how close tells whether training converged.
    """
    check_fitted(model)
    obj = model.objective()  # the cost the model minimized: its targets, lambdas and penalty
    if model.normalize == "biases":
        params = (model.X_, model.Theta_, model.item_bias_, model.user_bias_)
        J, dX, dTheta, _, _ = obj.biased(*params)
    else:
        params = (model.X_, model.Theta_)
        J, dX, dTheta = obj(*params)
    regularization = obj.penalty(params, None)
    return CurrentMath(float(J), float(J) - regularization, regularization, dX, dTheta)


def render(ctx: ViewContext) -> None:
    from ..views import memo  # views imports this package

    model, r = ctx.model, ctx.model.ratings_
    cm = memo(ctx, "current math", lambda: current_math(model))  # builds the cost over every rating
    norm_note = {
        "mean": "Here y is each rating minus its item's mean (mean normalization), as the model was trained.",
        None: "Here y is the raw rating (no normalization).",
        "biases": "Here y is the rating minus the global mean, and the model also learns a bias per item and "
        "per user (their squares are regularized too).",
    }[model.normalize]
    penalty_note = f" lambda = {model.lambda_:g}"
    if model.normalize == "biases" and model.bias_lambda is not None:
        penalty_note += f", bias lambda = {model.bias_lambda:g}"
    if model.regularization == "weighted":
        penalty_note += "; each row's penalty is multiplied by its number of ratings n (ALS-WR)"
    held = ctx.result.validation
    held_note = f" used for training ({held.n_ratings:,} more are held out for validation)" if held is not None else ""
    st.markdown(f"**The cost**, summed over the {r.n_ratings:,} rated entries{held_note}. {norm_note}{penalty_note}.")
    left, right = st.columns([3, 1])
    left.latex(cost_latex(model))
    right.metric("J now", f"{cm.cost:.6g}")
    right.caption(f"= {cm.squared_error:.6g} (squared errors) + {cm.regularization:.6g} (regularization)")
    st.markdown(
        "**The gradients** (what the optimizer follows; near a minimum both are close to zero). Beside each, the "
        "row where it is largest: where training has the most left to do."
    )
    for side, grad, norm, names, what in [
        ("items", cm.grad_X, cm.grad_X_norm, r.items, "item"),
        ("users", cm.grad_Theta, cm.grad_Theta_norm, r.users, "user"),
    ]:
        left, right = st.columns([3, 1])
        left.latex(gradient_latex(model, side))
        symbol = "X" if side == "items" else "Theta"
        right.metric(f"|dJ/d{symbol}| (all {side})", f"{norm:.3g}")
        if len(grad):
            row = int(np.argmax(np.linalg.norm(grad, axis=1)))
            vector = "x" if side == "items" else "theta"
            right.caption(f"Largest, dJ/d{vector} for {what} {literal.md(names[row])}: " + _vector(grad[row]))


def _vector(v: np.ndarray, shown: int = 6) -> str:
    head = ", ".join(f"{x:+.3g}" for x in v[:shown])
    return f"[{head}{', ...' if len(v) > shown else ''}]"
