"""Latent features: X and Theta as heatmaps, or items and users on one 2-D map."""

from __future__ import annotations

import numpy as np
import streamlit as st

from .. import figures
from . import Pictures, ViewContext, choose_picture, memo

#: The map or the learned numbers, one at a time (all three charts took 0.3-0.45 s to draw on 100k ratings, the
#: two heatmaps alone 0.27-0.31 s). The map first: it shows what the features mean, items and users in one space.
PICTURES = Pictures("latent_show", "Show", {"map": "Items and users on a map", "heatmaps": "X and Theta (heatmaps)"})


def render(ctx: ViewContext) -> None:
    if choose_picture(ctx, PICTURES) == "heatmaps":
        _heatmaps(ctx)
    else:
        _map(ctx)


def _heatmaps(ctx: ViewContext) -> None:
    model, r = ctx.model, ctx.ratings
    k = model.num_features
    if ctx.sliced:
        st.caption("The heatmaps show the slice chosen above the tabs.")
    left, right = st.columns(2)
    with left:
        fig = memo(
            ctx,
            ("feature figure", "X", ctx.item_pos.tobytes()),
            lambda: figures.feature_figure(model.X_[ctx.item_pos], r.items[ctx.item_pos], f"X: item features ({k})"),
        )
        st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_latent_X")
    with right:
        fig = memo(
            ctx,
            ("feature figure", "Theta", ctx.user_pos.tobytes()),
            lambda: figures.feature_figure(
                model.Theta_[ctx.user_pos], r.users[ctx.user_pos], f"Theta: user parameters ({k})"
            ),
        )
        st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_latent_Theta")


def _map(ctx: ViewContext) -> None:
    model, r = ctx.model, ctx.ratings
    k = model.num_features
    if k == 2:
        item_xy, user_xy = model.X_, model.Theta_
        axes = ("feature 1", "feature 2")
        st.caption("With k = 2 the map shows the two learned features directly.")
    else:
        # Projected from all vectors, whichever points are drawn: the axes do not move with the slice.
        coords, share = memo(ctx, "latent pca", lambda: figures.pca_2d(np.vstack([model.X_, model.Theta_])))
        item_xy, user_xy = coords[: r.n_items], coords[r.n_items :]
        axes = (f"PC 1 ({share[0]:.0%} of variance)", f"PC 2 ({share[1]:.0%} of variance)")
        st.caption(
            f"With k = {k} the map is a PCA projection of all item and user vectors together onto their two "
            "main directions; nearby points have similar vectors."
        )
    items, users = ctx.item_pos, ctx.user_pos
    if ctx.sliced:
        every_point = st.toggle(
            f"All {r.n_items:,} items and {r.n_users:,} users",
            key=f"{ctx.key}_latent_all",
            help="Off: the points of the slice chosen above the tabs, quick to draw and to hover. On: every "
            "item and user (a few thousand points take a second or more to draw).",
        )
        if every_point:
            items, users = np.arange(r.n_items), np.arange(r.n_users)
        else:
            st.caption(f"Showing the slice's {len(items)} most rated items and {len(users)} most active users.")
    fig = memo(
        ctx,
        ("latent map", items.tobytes(), users.tobytes()),
        lambda: figures.latent_map(item_xy[items], user_xy[users], r.items[items], r.users[users], axes),
    )
    st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_latent_map")
