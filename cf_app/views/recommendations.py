"""Recommendations: one user's top-N unrated items, beside what they rated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from .. import data, literal
from . import ViewContext


def render(ctx: ViewContext) -> None:
    model, r = ctx.model, ctx.ratings
    counts = r.user_counts()
    order = data.top_positions(counts, r.n_users) if r.n_users > 50 else np.arange(r.n_users)
    c1, c2 = st.columns([3, 1])
    user = c1.selectbox(
        "User",
        order,
        format_func=lambda u: f"{r.users[u]} ({counts[u]} ratings)",  # options are plain text, not markdown
        key=f"{ctx.key}_rec_user",
        help="Listed from the most active user on large data.",
    )
    n = c2.number_input("How many", 1, 100, min(5, r.n_items), key=f"{ctx.key}_rec_n")
    user = int(user)
    rated_mask = r.user_idx == user
    rated_items = r.item_idx[rated_mask]
    # The model excludes what it was trained on; held-out (validation) ratings are rated too, so ask for more.
    extra = int(rated_mask.sum())
    candidates = model.recommended_items(user, int(n) + extra)
    top = candidates[~np.isin(candidates, rated_items)][: int(n)]
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Top {len(top)}** for {literal.md(r.users[user])} (items they have not rated)")
        if len(top):
            recs = pd.DataFrame(
                {
                    "item": [str(x) for x in r.items[top]],
                    "predicted rating": model.predict(np.full(len(top), user), top),
                }
            )
            st.dataframe(recs.style.format({"predicted rating": "{:.2f}"}), hide_index=True)
        else:
            st.info("This user has rated every item: nothing left to recommend.")
    with right:
        st.markdown(f"**What they rated**: {literal.md(r.users[user])}")
        if len(rated_items):
            values = r.values[rated_mask]
            order_r = np.lexsort((rated_items, -values))
            items = rated_items[order_r]
            table = pd.DataFrame(
                {
                    "item": [str(x) for x in r.items[items]],
                    "rating": values[order_r],
                    "predicted": model.predict(np.full(len(items), user), items),
                }
            )
            st.dataframe(table.style.format({"rating": "{:g}", "predicted": "{:.2f}"}), hide_index=True)
        else:
            st.warning(
                f"{literal.md(r.users[user])} has not rated anything: the recommendations are the items with the "
                "highest averages, the same for every such user."
            )
