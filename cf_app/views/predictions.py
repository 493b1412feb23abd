"""Predictions: the filled-in grid, against the ratings it was learned from."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import data, figures, literal
from . import ViewContext, memo

MODES = {
    "marked": "Rated cells marked",
    "side by side": "Side by side with the ratings",
    "unrated only": "Only the filled-in (unrated) cells",
}


def _frames(ctx: ViewContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predicted and rated grids of the slice, with the same labels."""
    predicted = ctx.model.predict_all(ctx.item_pos, ctx.user_pos)
    original = data.slice_frame(ctx.ratings, ctx.item_pos, ctx.user_pos)
    predicted.index, predicted.columns = original.index, original.columns
    return predicted, original


def render(ctx: ViewContext) -> None:
    r = ctx.ratings
    predicted, original = memo(ctx, ("predictions", ctx.slice_key), lambda: _frames(ctx))
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
        # Users may be named "_index", or alike once printed: the table gets keys of its own, headed by the labels.
        keys = literal.column_keys(shown.columns, shown.index.name)
        st.dataframe(
            shown.set_axis(keys, axis=1),
            height=min(38 + 35 * len(shown), 520),
            column_config={  # formatted by the browser: a Styler took ~100 ms a run for a 50 x 50 slice
                k: st.column_config.NumberColumn(literal.as_text(c), format="%.2f")
                for k, c in zip(keys, shown.columns, strict=True)
            },
            placeholder="",  # a rated cell in "unrated only", not "None"
        )
        st.download_button(
            "Download predictions (wide CSV)",
            lambda: data.table_csv(shown.round(4)),
            file_name="predictions.csv",
            mime="text/csv",
            on_click="ignore",  # a download changes nothing on the page: no rerun
            key=f"{ctx.key}_pred_download",
        )
    else:
        fig = memo(
            ctx,
            ("prediction figure", ctx.slice_key, mode),
            lambda: figures.prediction_figure(predicted, original, r.rating_scale, mode=mode),
        )
        st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_pred_fig")
