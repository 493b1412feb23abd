"""Mean normalization: the same fit with and without it, on a user with few ratings (or a new one)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import CollaborativeFiltering, Ratings, top_n

from .. import figures
from .common import MAX_OPTIONS, fit_params, recall, remember

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = ["with_new_user", "NormalizationEffect", "normalization_effect", "render"]


def _free_label(labels: pd.Index, wanted: str) -> str:
    existing = {str(x) for x in labels}
    label, n = wanted, 2
    while label in existing:
        label, n = f"{wanted} ({n})", n + 1
    return label


def with_new_user(
    ratings: Ratings, item_ratings: Mapping[Hashable, float] | None = None, label: str = "new user"
) -> tuple[Ratings, int]:
    """``ratings`` plus one more user (a fresh label) who rated ``item_ratings``; returns it and its position."""
    label = _free_label(ratings.users, label)
    item_ratings = dict(item_ratings or {})
    items = np.array([ratings.item_index(k) for k in item_ratings], dtype=np.int64)
    values = np.array(list(item_ratings.values()), dtype=np.float64)
    user = ratings.n_users
    users = pd.Index(list(ratings.users) + [label], dtype=object)
    extended = Ratings(
        np.concatenate([ratings.item_idx, items]),
        np.concatenate([ratings.user_idx, np.full(len(items), user)]),
        np.concatenate([ratings.values, values]),
        ratings.items,
        users,
        ratings.rating_scale,
    )
    return extended, user


@dataclass(frozen=True)
class NormalizationEffect:
    """One user's predictions from two fits that differ only in mean normalization."""

    user: Hashable
    n_rated: int
    table: pd.DataFrame  # per item: rating, item mean, without normalization, with mean normalization
    theta_norm_without: float
    theta_norm_with: float


def normalization_effect(ratings: Ratings, user: int, *, max_items: int = 30, **params: Any) -> NormalizationEffect:
    """Train with ``normalize=None`` and ``"mean"`` (other params equal) and compare ``user``'s predictions.

    With few or no ratings the regularization pulls theta_j towards 0, so without normalization every
    prediction tends to 0; with it, to each item's mean. Predictions are shown unclipped so the 0 shows.
    ``max_items`` limits the table to the most rated items on large data.
    """
    params = {k: v for k, v in params.items() if k != "normalize"}
    raw = CollaborativeFiltering(**params, normalize=None).fit(ratings)
    normed = CollaborativeFiltering(**params, normalize="mean").fit(ratings)
    counts = ratings.item_counts()
    shown = np.arange(ratings.n_items)
    if len(shown) > max_items:
        shown = np.sort(top_n(counts, max_items))
    mask = ratings.user_idx == user
    rated = np.full(ratings.n_items, np.nan)
    rated[ratings.item_idx[mask]] = ratings.values[mask]
    table = pd.DataFrame(
        {
            "item": ratings.items[shown],
            "this user's rating": rated[shown],
            "item mean": ratings.item_means()[shown],
            "predicted, no normalization": raw.predict_matrix(shown, [user], clip=False)[:, 0],
            "predicted, mean normalization": normed.predict_matrix(shown, [user], clip=False)[:, 0],
        }
    )
    return NormalizationEffect(
        user=ratings.users[user],
        n_rated=int(mask.sum()),
        table=table,
        theta_norm_without=float(np.linalg.norm(raw.Theta_[user])),
        theta_norm_with=float(np.linalg.norm(normed.Theta_[user])),
    )


def render(ctx: ViewContext) -> None:
    train = ctx.model.ratings_
    counts = train.user_counts()
    st.markdown(
        "Train twice, with and without mean normalization, and look at a user with few or no ratings. The "
        "regularization pulls such a user's theta towards zero; without normalization every prediction then "
        "tends to **0**, with it to **each item's mean**: the classic reason for the technique."
    )
    fewest = top_n(-counts, MAX_OPTIONS)
    options = [NEW_USER] + [int(u) for u in fewest]
    user = st.selectbox(
        "User",
        options,
        format_func=lambda u: (
            "a new user with no ratings" if u == NEW_USER else f"{train.users[u]} ({counts[u]} ratings)"
        ),
        key=f"{ctx.key}_teach_norm_user",
        help="Listed from the fewest ratings.",
    )
    params = {k: v for k, v in fit_params(ctx).items() if k != "normalize"}
    if params["lambda_"] == 0:
        st.warning(
            "With lambda = 0 nothing pulls an unrated user's theta anywhere: it stays at its random start, so "
            "this experiment shows the effect best with some regularization."
        )
    key = ("normalization", ctx.result.fingerprint, ctx.result.params, user)
    if st.button("Train with and without normalization", type="primary", key=f"{ctx.key}_teach_norm_run"):
        ratings, pos = with_new_user(train) if user == NEW_USER else (train, user)
        with st.spinner("Training two models…"):
            remember(key, normalization_effect(ratings, pos, **params))
    effect = recall(key)
    if effect is None:
        return
    c = st.columns(3)
    c[0].metric("Ratings by this user", effect.n_rated)
    c[1].metric("|theta_j| without normalization", f"{effect.theta_norm_without:.3f}")
    c[2].metric("|theta_j| with mean normalization", f"{effect.theta_norm_with:.3f}")
    t = effect.table
    st.caption(
        f"Average prediction for this user: {t['predicted, no normalization'].mean():.2f} without normalization, "
        f"{t['predicted, mean normalization'].mean():.2f} with it "
        f"(the items' average mean is {t['item mean'].mean():.2f})."
    )
    st.plotly_chart(figures.normalization_figure(effect), width="stretch", key=f"{ctx.key}_teach_norm_fig")
    st.dataframe(
        effect.table.astype({"item": str}),
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(format="%.2f") for c in effect.table.columns[1:]},
        placeholder="–",  # not "None", where the user has no rating
    )
    if len(effect.table) < ctx.model.ratings_.n_items:
        st.caption(f"Showing the {len(effect.table)} most rated items.")


NEW_USER = -1
