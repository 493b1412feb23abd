"""Recommendations: one user's top-N unrated items, beside what they rated, each with its evidence.

Every list shows how many ratings each item has and their mean, and offers a minimum number of ratings:
on MovieLens-size data an item rated once by a 5 otherwise tops every list (see :mod:`cf_app.evidence`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from .. import evidence, literal, pickers
from . import ViewContext

#: Column settings of the evidence tables: widths that keep every column in a half-width table beside long
#: titles (MovieLens titles run to 80 characters; they show whole on hover), and number formats that the
#: browser applies. A pandas Styler formatted on the server instead, cell by cell on every run of the tab:
#: ~130 ms for the 737 ratings of the 100k sample's most active user, most of the Similarity tab's run.
COLUMNS = {
    "item": st.column_config.TextColumn(width=180),
    "user": st.column_config.TextColumn(width=180),
    "ratings": st.column_config.NumberColumn(width=64, format="%,d"),
    "mean rating": st.column_config.NumberColumn("mean", width=64, help="Mean of its ratings", format="%.2f"),
    "rating": st.column_config.NumberColumn(width=64, format="%g"),
    "predicted": st.column_config.NumberColumn(width=72, format="%.2f"),
    "predicted rating": st.column_config.NumberColumn("predicted", width=72, format="%.2f"),
    "similarity": st.column_config.NumberColumn(width=72, format="%+.3f"),
}
#: Shown in an empty cell (an item nobody rated has no mean) instead of Streamlit's "None".
NA_TEXT = "–"


def min_ratings_input(ctx: ViewContext, key: str, kind: str = "items") -> int:
    """The minimum-number-of-ratings control every list shares (default by data size)."""
    r = ctx.ratings
    counts = r.item_counts() if kind == "items" else r.user_counts()
    top = max(1, int(counts.max()) if len(counts) else 1)
    default = min(evidence.default_min_ratings(r), top)
    return int(
        st.number_input(
            "Min. ratings",
            0,
            top,
            default,
            key=key,
            help=f"Only {kind} with at least this many ratings. A mean of one or two ratings is one person's "
            f"opinion; the default is {default} for data of this size ({r.n_ratings:,} ratings).",
        )
    )


def render(ctx: ViewContext) -> None:
    model, r = ctx.model, ctx.ratings
    counts = r.user_counts()
    c1, c2, c3 = st.columns([3, 1, 1])
    user = pickers.pick(
        "User",
        r.users,
        counts,
        f"{ctx.key}_rec_user",
        data_order_up_to=50,
        where=c1,
        help="Listed from the most active user on large data.",
    )
    n = c2.number_input("How many", 1, 100, min(5, r.n_items), key=f"{ctx.key}_rec_n")
    with c3:
        min_ratings = min_ratings_input(ctx, f"{ctx.key}_rec_min")
    user = int(user)
    rated_mask = r.user_idx == user
    rated_items = r.item_idx[rated_mask]
    top = evidence.top_items_for(model, r, user, int(n), min_ratings)
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
            recs = evidence.with_evidence(recs, top, r)
            st.dataframe(recs, hide_index=True, column_config=COLUMNS, placeholder=NA_TEXT, key=f"{ctx.key}_rec_table")
            hidden = evidence.hidden_count(r, min_ratings, user)
            if hidden:
                st.caption(
                    f"{hidden:,} unrated item(s) with fewer than {min_ratings} rating(s) are not offered; "
                    "lower the minimum to include them."
                )
        elif evidence.hidden_count(r, min_ratings, user):
            st.info(f"No unrated item has {min_ratings} or more ratings: lower the minimum.")
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
            table = evidence.with_evidence(table, items, r)  # rated items: every count and mean is there
            st.dataframe(table, hide_index=True, column_config=COLUMNS, placeholder=NA_TEXT)
        else:
            st.warning(
                f"{literal.md(r.users[user])} has not rated anything: the recommendations are the items with the "
                "highest averages, the same for every such user."
            )
