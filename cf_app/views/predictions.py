"""Predictions: the filled-in grid, against the ratings it was learned from."""

from __future__ import annotations

import streamlit as st

from .. import data, figures
from . import ViewContext

MODES = {
    "marked": "Rated cells marked",
    "side by side": "Side by side with the ratings",
    "unrated only": "Only the filled-in (unrated) cells",
}


def render(ctx: ViewContext) -> None:
    r = ctx.ratings
    predicted = ctx.model.predict_all(ctx.item_pos, ctx.user_pos)
    original = data.slice_frame(r, ctx.item_pos, ctx.user_pos)
    predicted.index, predicted.columns = original.index, original.columns
    c1, c2 = st.columns([3, 1])
    mode = c1.radio("Show", list(MODES), format_func=MODES.get, horizontal=True, key=f"{ctx.key}_pred_mode")
    as_table = c2.toggle("Table view", key=f"{ctx.key}_pred_table")
    if ctx.sliced:
        st.caption(
            f"Showing the {len(ctx.item_pos)} most rated items x {len(ctx.user_pos)} most active users "
            f"of {r.n_items:,} x {r.n_users:,}; change the slice above the tabs."
        )
    if as_table:
        shown = predicted.where(original.isna()) if mode == "unrated only" else predicted
        st.dataframe(shown.style.format("{:.2f}", na_rep=""), height=min(38 + 35 * len(shown), 520))
        st.download_button(
            "Download predictions (wide CSV)",
            lambda: data.table_csv(shown.round(4)),
            file_name="predictions.csv",
            mime="text/csv",
            on_click="ignore",  # a download changes nothing on the page: no rerun
            key=f"{ctx.key}_pred_download",
        )
    else:
        fig = figures.prediction_figure(predicted, original, r.rating_scale, mode=mode)
        st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_pred_fig")
