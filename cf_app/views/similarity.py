"""Similarity: cosine similarity of the learned item or user vectors, and "most similar to ..." lists."""

from __future__ import annotations

import streamlit as st

from .. import evidence, figures, pickers
from . import Pictures, ViewContext, choose_picture, memo
from .recommendations import COLUMNS, NA_TEXT, min_ratings_input

#: Items or users, one at a time (with both, the tab took 0.4-0.5 s to open on 100k ratings, and each
#: heatmap had half the page's width for a 50 x 50 slice).
PICTURES = Pictures("sim_kind", "Similarity of", {"items": "Items (rows of X)", "users": "Users (rows of Theta)"})


def _most_similar(ctx: ViewContext, kind: str) -> None:
    model, r = ctx.model, ctx.ratings
    labels = r.items if kind == "items" else r.users
    counts = r.item_counts() if kind == "items" else r.user_counts()
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
    kind = choose_picture(ctx, PICTURES)
    st.caption(
        "Cosine similarity of learned vectors: +1 = same taste direction, 0 = unrelated, -1 = opposite. "
        "Colours are fixed to [-1, 1]." + (" The heatmap shows the slice chosen above the tabs." if ctx.sliced else "")
    )
    pos = ctx.item_pos if kind == "items" else ctx.user_pos
    names = r.items if kind == "items" else r.users
    # The list beside the heatmap keeps the picker next to what it explains; its table needs half the page.
    left, right = st.columns(2)
    with left:
        fig = memo(
            ctx,
            ("similarity figure", kind, pos.tobytes()),
            lambda: figures.similarity_figure(
                model.compute_similarities(kind, pos), names[pos], PICTURES.options[kind]
            ),
        )
        st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_sim_{kind}")
    with right:
        _most_similar(ctx, kind)
