"""The math, live: the cost and gradients at the trained parameters, and one prediction taken apart
feature by feature, with the model's own numbers.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import CollaborativeFiltering, check_fitted

from .. import figures, literal
from .common import pick

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = [
    "COST_LATEX",
    "GRAD_X_LATEX",
    "GRAD_THETA_LATEX",
    "PREDICTION_LATEX",
    "cost_latex",
    "gradient_latex",
    "CurrentMath",
    "current_math",
    "PredictionBreakdown",
    "prediction_breakdown",
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
PREDICTION_LATEX = r"\hat y^{(i,j)} = (x^{(i)})^T\theta^{(j)} + \mu_i = \sum_{k=1}^{n} x_k^{(i)}\theta_k^{(j)} + \mu_i"


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


@dataclass(frozen=True)
class PredictionBreakdown:
    """One predicted rating taken apart: x_i . theta_j feature by feature, plus what normalization adds."""

    item: Hashable
    user: Hashable
    x: np.ndarray
    theta: np.ndarray
    offset: float  # the item mean (normalize="mean") or the global mean (normalize="biases"); else 0
    offset_name: str
    item_bias: float
    user_bias: float
    prediction: float  # clipped to the rating scale, as the model reports it
    rating: float | None  # the actual rating, when (item, user) is rated

    @property
    def contributions(self) -> np.ndarray:
        return self.x * self.theta

    @property
    def dot(self) -> float:
        return float(self.x @ self.theta)

    @property
    def unclipped(self) -> float:
        return self.dot + self.offset + self.item_bias + self.user_bias

    def frame(self) -> pd.DataFrame:
        """Rows: each feature's x_ik, theta_jk and product, then the added terms and the total."""
        k = len(self.x)
        rows = [
            {"term": f"feature {f + 1}", "x_i": self.x[f], "theta_j": self.theta[f], "contribution": c}
            for f, c in enumerate(self.contributions)
        ]
        rows.append({"term": f"x_i . theta_j (sum of {k})", "contribution": self.dot})
        if self.offset_name:
            rows.append({"term": self.offset_name, "contribution": self.offset})
        if self.item_bias or self.user_bias:
            rows.append({"term": "item bias", "contribution": self.item_bias})
            rows.append({"term": "user bias", "contribution": self.user_bias})
        rows.append({"term": "prediction (before clipping)", "contribution": self.unclipped})
        rows.append({"term": "prediction (clipped to the scale)", "contribution": self.prediction})
        return pd.DataFrame(rows, columns=["term", "x_i", "theta_j", "contribution"])


def prediction_breakdown(model: CollaborativeFiltering, item: int, user: int) -> PredictionBreakdown:
    """The prediction for (item, user) positions as the dot product of x_i and theta_j plus the offsets."""
    check_fitted(model)
    r = model.ratings_
    if not (0 <= item < r.n_items and 0 <= user < r.n_users):
        raise ValueError(f"cell (item {item}, user {user}) is outside the {r.n_items} x {r.n_users} grid")
    names = {"mean": "item mean mu_i (mean normalization)", "biases": "global mean"}
    hit = np.flatnonzero((r.item_idx == item) & (r.user_idx == user))
    return PredictionBreakdown(
        item=r.items[item],
        user=r.users[user],
        x=np.array(model.X_[item]),
        theta=np.array(model.Theta_[user]),
        offset=float(model.offsets_[item]),
        offset_name=names.get(model.normalize, ""),
        item_bias=float(model.item_bias_[item]),
        user_bias=float(model.user_bias_[user]),
        prediction=float(model.predict(user, item)),
        rating=float(r.values[hit[0]]) if len(hit) else None,
    )


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
    st.markdown("**The gradients** (what the optimizer follows; near a minimum both are close to zero)")
    item = pick("Item i", r.items, r.item_counts(), f"{ctx.key}_teach_item")
    user = pick("User j", r.users, r.user_counts(), f"{ctx.key}_teach_user")
    left, right = st.columns([3, 1])
    left.latex(gradient_latex(model, "items"))
    right.metric("|dJ/dX| (all items)", f"{cm.grad_X_norm:.3g}")
    right.caption(f"dJ/dx for item {literal.md(r.items[item])}: " + _vector(cm.grad_X[item]))
    left, right = st.columns([3, 1])
    left.latex(gradient_latex(model, "users"))
    right.metric("|dJ/dTheta| (all users)", f"{cm.grad_Theta_norm:.3g}")
    right.caption(f"dJ/dtheta for user {literal.md(r.users[user])}: " + _vector(cm.grad_Theta[user]))

    st.markdown(f"**One prediction**: item {literal.md(r.items[item])} for user {literal.md(r.users[user])}")
    b = prediction_breakdown(model, item, user)
    st.latex(_prediction_formula(model.normalize))
    st.latex(_breakdown_latex(b))
    left, right = st.columns(2)
    with left:
        frame = b.frame()
        is_feature = frame["term"].str.match(r"feature \d+$")
        st.dataframe(
            frame[is_feature],
            hide_index=True,
            height=min(38 + 35 * int(is_feature.sum()), FEATURE_TABLE_HEIGHT),
            column_config={
                c: st.column_config.NumberColumn(format="%+.4f") for c in ("x_i", "theta_j", "contribution")
            },
            key=f"{ctx.key}_teach_features",
        )
        if is_feature.sum() * 35 + 38 > FEATURE_TABLE_HEIGHT:
            st.caption(f"Scroll the table for all {int(is_feature.sum())} features.")
        if model.normalize == "mean":
            st.caption(
                f"The model learned x_i . theta_j = {b.dot:+.3f} as this user's *deviation* from the item's mean "
                f"{b.offset:.3f}; adding the mean back gives the rating."
            )
        elif model.normalize is None:
            st.caption("No normalization: the dot product alone is the prediction.")
        actual = "not rated" if b.rating is None else f"rated {b.rating:g}"
        st.caption(f"This cell is {actual}.")
    with right:
        fig = memo(ctx, ("breakdown figure", item, user), lambda: figures.breakdown_figure(b))
        st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_teach_waterfall")


#: The feature table scrolls past this height (px, about 14 rows); the sum is on the line above it and in the chart.
FEATURE_TABLE_HEIGHT = 528


def _prediction_formula(normalize: str | None) -> str:
    if normalize == "mean":
        return PREDICTION_LATEX
    if normalize == "biases":
        return r"\hat y^{(i,j)} = (x^{(i)})^T\theta^{(j)} + \mu + b_i + c_j"
    return r"\hat y^{(i,j)} = (x^{(i)})^T\theta^{(j)}"


def _vector(v: np.ndarray, shown: int = 6) -> str:
    head = ", ".join(f"{x:+.3g}" for x in v[:shown])
    return f"[{head}{', ...' if len(v) > shown else ''}]"


def _breakdown_latex(b: PredictionBreakdown, shown: int = 4) -> str:
    """The sum with its numbers; past ``shown`` features the middle terms are elided into a brace with the
    dot product's value (the table lists every term). The total is on a second line: with the offsets and
    a clipped result on the same line, the sum ran past the page's width at 100k ratings and k = 5."""
    terms = [rf"({x:.2f})({t:.2f})" for x, t in zip(b.x, b.theta, strict=True)]
    if len(terms) > shown:
        head = " + ".join(terms[: shown - 1]) + r" + \cdots + " + terms[-1]
        dot = rf"\underbrace{{{head}}}_{{{len(terms)}\ \text{{terms}}\ =\ {b.dot:.2f}}}"
    else:
        dot = " + ".join(terms)
    tail = ""
    if b.offset_name:
        under = r"\mu_i" if b.offset_name.startswith("item mean") else r"\mu"
        tail += rf" + \underbrace{{{b.offset:.2f}}}_{{{under}}}"
    if b.item_bias or b.user_bias:
        tail += rf" + \underbrace{{{b.item_bias:.2f}}}_{{b_i}} + \underbrace{{{b.user_bias:.2f}}}_{{c_j}}"
    clipped = "" if np.isclose(b.prediction, b.unclipped) else rf" \to {b.prediction:.2f}\ \text{{(clipped)}}"
    return rf"\begin{{aligned}} \hat y &= {dot}{tail} \\ &= {b.unclipped:.3f}{clipped} \end{{aligned}}"
