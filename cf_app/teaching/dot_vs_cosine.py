"""Dot product vs cosine: an item's nearest neighbours by each, and why vector length decides the
difference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import CollaborativeFiltering, Ratings, check_fitted, top_n

from .. import evidence, figures
from .common import pick

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = ["neighbours", "neighbours_note", "render"]


def neighbours(model: CollaborativeFiltering, item: int, n: int = 5, min_ratings: int = 1) -> pd.DataFrame:
    """Nearest items to ``item`` by dot product and by cosine of their feature vectors, rank by rank, each
    with its number of ratings; only items with at least ``min_ratings`` ratings are candidates."""
    check_fitted(model)
    X = model.X_
    if not 0 <= item < len(X):
        raise ValueError(f"item position {item} is outside 0..{len(X) - 1}")
    r = model.ratings_
    counts, _ = evidence.counts_and_means(r, "items")
    norms = np.linalg.norm(X, axis=1)
    dots = X @ X[item]
    candidates = (np.arange(len(X)) != item) & (counts >= int(min_ratings))
    by_dot = top_n(dots, n, exclude=~candidates)  # ties to the lower position, as most_similar
    by_cosine = evidence.most_similar(model, r, "items", item, n, min_ratings)
    by_cos = by_cosine["position"].to_numpy()[: len(by_dot)]
    cosines = by_cosine["similarity"].to_numpy()[: len(by_dot)]
    labels = r.items
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(by_dot) + 1),
            "by dot product": labels[by_dot],
            "dot": dots[by_dot],
            "|x| (dot)": norms[by_dot],
            "ratings (dot)": counts[by_dot],
            "by cosine": labels[by_cos],
            "cosine": cosines,
            "|x| (cosine)": norms[by_cos],
            "ratings (cosine)": counts[by_cos],
        }
    )


def neighbours_note(model: CollaborativeFiltering, item: int, table: pd.DataFrame) -> str:
    """Why the two lists differ here, in numbers: dot = |x_i| |x_l| cos, so length counts as much as angle."""
    only_dot = set(table["by dot product"]) - set(table["by cosine"])
    mean_dot, mean_cos = table["|x| (dot)"].mean(), table["|x| (cosine)"].mean()
    all_mean = float(np.linalg.norm(model.X_, axis=1).mean())
    head = (
        "The dot product x_i . x_l = |x_i| |x_l| cos(angle): it grows with the *length* of x_l as much as with "
        "its direction, so items with long feature vectors rise in its list (strongly characterised items, and "
        "often much-rated ones: regularization shrinks the vectors of rarely rated items towards 0). Cosine "
        "keeps only the direction: items that vary the same way, however strongly. "
    )
    if not only_dot:
        return head + "Here both lists hold the same items."
    return head + (
        f"Here {len(only_dot)} of {len(table)} neighbours differ; the dot-product neighbours' vectors average "
        f"length {mean_dot:.2f}, the cosine neighbours' {mean_cos:.2f} (all items: {all_mean:.2f})."
    )


def render(ctx: ViewContext) -> None:
    model = ctx.model
    r: Ratings = model.ratings_
    if r.n_items < 3:
        st.info("Comparing neighbour lists needs at least three items.")
        return
    c1, c2, c3 = st.columns([3, 1, 1])
    with c1:
        item = pick("Item", r.items, r.item_counts(), f"{ctx.key}_teach_nb_item")
    n = int(
        c2.number_input(
            "Neighbours", 1, max(1, min(20, r.n_items - 1)), min(5, r.n_items - 1), key=f"{ctx.key}_teach_nb_n"
        )
    )
    min_ratings = int(
        c3.number_input(
            "Min. ratings",
            0,
            max(1, int(r.item_counts().max())),
            evidence.default_min_ratings(r),
            key=f"{ctx.key}_teach_nb_min",
            help="Only items with at least this many ratings are candidate neighbours.",
        )
    )
    table = neighbours(model, item, n, min_ratings)
    if table.empty:
        st.info(f"No other item has {min_ratings} or more ratings: lower the minimum.")
        return
    shown = table.astype({"by dot product": str, "by cosine": str})
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="%.3f") for c in ("dot", "cosine", "|x| (dot)", "|x| (cosine)")
        },
    )
    st.info(neighbours_note(model, item, table))
    note = evidence.saturation_note(table["cosine"].to_numpy(), model.num_features)
    if note:
        st.caption(note)
    st.plotly_chart(figures.neighbours_figure(model, item, table), width="stretch", key=f"{ctx.key}_teach_nb_fig")
