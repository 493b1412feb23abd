"""One prediction: a predicted rating taken apart feature by feature, plus what normalization adds, with
the model's own numbers (the sum, a table of its terms, a waterfall).
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

__all__ = ["PREDICTION_LATEX", "PredictionBreakdown", "prediction_breakdown", "render"]

PREDICTION_LATEX = r"\hat y^{(i,j)} = (x^{(i)})^T\theta^{(j)} + \mu_i = \sum_{k=1}^{n} x_k^{(i)}\theta_k^{(j)} + \mu_i"


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
    left, right = st.columns(2)
    with left:
        item = pick("Item i", r.items, r.item_counts(), f"{ctx.key}_teach_item")
    with right:
        user = pick("User j", r.users, r.user_counts(), f"{ctx.key}_teach_user")
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
