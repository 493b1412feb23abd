"""Rate it yourself: fold a new user into the trained model (X fixed, instant) and compare with a
full retrain that includes them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import CollaborativeFiltering, FoldIn, Ratings

from .. import literal
from .common import fit_params, positions, recall, remember
from .normalization import with_new_user

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = ["fold_in_recommendations", "retrain_with_user", "compare_fold_in_retrain", "render"]


def fold_in_recommendations(model: CollaborativeFiltering, my_ratings: Mapping[Hashable, float], n: int = 10) -> FoldIn:
    """A new user's parameters from ``my_ratings`` (item label -> rating) with X fixed: instant, no retrain."""
    if not my_ratings:
        raise ValueError("rate at least one item to get recommendations")
    return model.fold_in(dict(my_ratings))


def retrain_with_user(
    ratings: Ratings, my_ratings: Mapping[Hashable, float], label: str = "me", **params: Any
) -> tuple[CollaborativeFiltering, int]:
    """Retrain from scratch with the person added as a user; returns the model and their position."""
    extended, user = with_new_user(ratings, my_ratings, label)
    return CollaborativeFiltering(**params).fit(extended), user


def compare_fold_in_retrain(fold: FoldIn, model: CollaborativeFiltering, user: int, n: int = 10) -> pd.DataFrame:
    """Top-``n`` under fold-in and under full retraining side by side, with each one's predicted rating."""
    fold_top = fold.recommended_items(n)
    full_top = model.recommended_items(user, n)
    full_pred = model.predict_matrix(users=[user])[:, 0]
    fold_pred = fold.predictions.to_numpy()
    items = model.ratings_.items
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(fold_top) + 1),
            "fold-in item": items[fold_top],
            "fold-in predicted": fold_pred[fold_top],
            "retrained item": items[full_top],
            "retrained predicted": full_pred[full_top],
        }
    )


def render(ctx: ViewContext) -> None:
    model = ctx.model
    r = model.ratings_
    lo, hi = r.rating_scale
    st.markdown(
        "Add yourself as a new user: rate a few items and get recommendations at once. *Fold-in* keeps the "
        "item features X fixed and solves for your theta in closed form, so nothing is retrained."
    )
    counts = r.item_counts()
    options = positions(counts)
    chosen = st.multiselect(
        "Items you want to rate",
        options,
        format_func=lambda p: str(r.items[p]),
        key=f"{ctx.key}_teach_me_items",
        max_selections=30,
    )
    mine: dict[Hashable, float] = {}
    cols = st.columns(3)
    step = 1.0 if float(lo).is_integer() and float(hi).is_integer() else 0.5
    for n, p in enumerate(chosen):
        mine[r.items[p]] = cols[n % 3].slider(
            literal.md(r.items[p]), float(lo), float(hi), float((lo + hi) / 2), step, key=f"{ctx.key}_teach_me_{p}"
        )
    if not mine:
        st.info("Pick a few items above and rate them.")
        return
    n = int(st.columns([1, 3])[0].number_input("How many recommendations", 1, 50, 5, key=f"{ctx.key}_teach_me_n"))
    fold = fold_in_recommendations(model, mine)
    left, right = st.columns(2)
    with left:
        st.markdown("**Your recommendations (fold-in, instant)**")
        recs = fold.recommendations(n)
        recs["item"] = recs["item"].astype(str)
        st.dataframe(
            recs,
            hide_index=True,
            column_config={"predicted_rating": st.column_config.NumberColumn("predicted rating", format="%.2f")},
        )
    with right:
        st.markdown("**Your theta** (your taste in the learned features)")
        st.dataframe(
            pd.DataFrame({"feature": np.arange(1, len(fold.theta) + 1), "theta": fold.theta}),
            hide_index=True,
            column_config={"theta": st.column_config.NumberColumn(format="%+.3f")},
        )
    key = ("retrain", ctx.result.fingerprint, ctx.result.params, tuple(sorted((str(k), v) for k, v in mine.items())))
    if st.button("Retrain fully with me and compare", key=f"{ctx.key}_teach_me_retrain"):
        with st.spinner("Retraining with you added…"):
            remember(key, retrain_with_user(r, mine, **fit_params(ctx)))
    stored = recall(key)
    if stored is None:
        st.caption("Fold-in is an approximation: retraining also moves X and (with normalization) the item means.")
        return
    full, user = stored
    table = compare_fold_in_retrain(fold, full, user, n)
    for col in ("fold-in item", "retrained item"):
        table[col] = table[col].astype(str)
    st.markdown("**Fold-in vs full retraining**")
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "fold-in predicted": st.column_config.NumberColumn(format="%.2f"),
            "retrained predicted": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    same = len(set(table["fold-in item"]) & set(table["retrained item"]))
    st.caption(f"{same} of {len(table)} items are in both top lists. Retraining took {full.fit_time_:.2f} s.")
