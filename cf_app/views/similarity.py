"""Similarity: cosine similarity of the learned item and user vectors, and "most similar to ..." lists."""

from __future__ import annotations

import streamlit as st

from .. import evidence, figures, pickers
from . import ViewContext, memo
from .recommendations import COLUMNS, NA_TEXT, min_ratings_input


def _most_similar(ctx: ViewContext, kind: str) -> None:
    model, r = ctx.model, ctx.ratings
    labels = r.items if kind == "items" else r.users
    counts = r.item_counts() if kind == "items" else r.user_counts()
    # The picker gets the half-page column's whole width (titles run long); the two numbers share a row
    # below: three across left "Min. ratings" about 80 px, and its label wrapped onto two lines.
    pos = pickers.pick(
        f"Most similar to the {kind[:-1]}", labels, counts, f"{ctx.key}_sim_pick_{kind}", data_order_up_to=50
    )
    c2, c3 = st.columns(2)
    n = c2.number_input(
        "How many", 1, max(1, len(labels) - 1), min(5, max(1, len(labels) - 1)), key=f"{ctx.key}_sim_n_{kind}"
    )
    with c3:
        min_ratings = min_ratings_input(ctx, f"{ctx.key}_sim_min_{kind}", kind)
    if len(labels) < 2:
        st.info(f"There is only one {kind[:-1]}.")
        return
    table = evidence.most_similar(model, r, kind, int(pos), int(n), min_ratings)
    if table.empty:
        st.info(f"No other {kind[:-1]} has {min_ratings} or more ratings: lower the minimum.")
        return
    st.dataframe(
        table.drop(columns="position"),
        hide_index=True,
        column_config=COLUMNS,
        placeholder=NA_TEXT,
        key=f"{ctx.key}_sim_table_{kind}",
    )
    note = evidence.saturation_note(table["similarity"].to_numpy(), model.num_features)
    if note:
        st.caption(note)


def render(ctx: ViewContext) -> None:
    model, r = ctx.model, ctx.ratings
    st.caption(
        "Cosine similarity of learned vectors: +1 = same taste direction, 0 = unrelated, -1 = opposite. "
        "Colours are fixed to [-1, 1]." + (" Heatmaps show the slice chosen above the tabs." if ctx.sliced else "")
    )
    left, right = st.columns(2)
    with left:
        fig = memo(
            ctx,
            ("similarity figure", "items", ctx.item_pos.tobytes()),
            lambda: figures.similarity_figure(
                model.compute_similarities("items", ctx.item_pos), r.items[ctx.item_pos], "Items (rows of X)"
            ),
        )
        st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_sim_items")
        _most_similar(ctx, "items")
    with right:
        fig = memo(
            ctx,
            ("similarity figure", "users", ctx.user_pos.tobytes()),
            lambda: figures.similarity_figure(
                model.compute_similarities("users", ctx.user_pos), r.users[ctx.user_pos], "Users (rows of Theta)"
            ),
        )
        st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_sim_users")
        _most_similar(ctx, "users")
