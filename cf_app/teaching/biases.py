"""Item mean vs learned biases: one user's top picks under each, with the items' numbers of ratings,
so the weakness of item means on rarely rated items shows as a lesson.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import CollaborativeFiltering, Ratings

from .. import evidence, pickers
from .common import MAX_OPTIONS, fit_params, recall, remember

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = ["MeanVsBiases", "mean_vs_biases", "render"]


@dataclass(frozen=True)
class MeanVsBiases:
    """One user's top-n under item-mean normalization and under learned biases, other settings equal."""

    user: Hashable
    n_rated: int
    table: pd.DataFrame  # rank, then item / predicted / ratings / mean rating for each model
    median_count_mean: float
    median_count_biases: float


def mean_vs_biases(ratings: Ratings, user: int, n: int = 5, min_ratings: int = 1, **params: Any) -> MeanVsBiases:
    """Train with ``normalize="mean"`` and ``"biases"`` (other params equal) and list ``user``'s top ``n``
    from each with the number of ratings behind every item.

    Item-mean normalization adds back each item's mean, and the mean of one 5 is 5: on large sparse data the
    top of the list fills with items rated by one to three people. Learned biases are regularized, so an
    item's bias only grows as far as its number of ratings supports.
    """
    params = {k: v for k, v in params.items() if k != "normalize"}
    counts, means = evidence.counts_and_means(ratings, "items")
    columns: dict[str, Any] = {}
    medians = []
    for name, norm in (("item mean", "mean"), ("learned biases", "biases")):
        model = CollaborativeFiltering(**params, normalize=norm).fit(ratings)
        top = evidence.top_items_for(model, ratings, user, n, min_ratings)
        pred = model.predict(np.full(len(top), int(user)), top) if len(top) else np.array([])
        part = {
            f"{name}: item": [str(x) for x in ratings.items[top]],
            f"{name}: predicted": pred,
            f"{name}: ratings": counts[top],
            f"{name}: mean": means[top],
        }
        columns.update({k: pd.Series(v) for k, v in part.items()})
        medians.append(float(np.median(counts[top])) if len(top) else float("nan"))
    table = pd.DataFrame(columns)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    n_rated = int(np.sum(ratings.user_idx == int(user)))
    return MeanVsBiases(ratings.users[int(user)], n_rated, table, medians[0], medians[1])


def render(ctx: ViewContext) -> None:
    train = ctx.model.ratings_
    st.markdown(
        "Item-mean normalization adds each item's mean back to the prediction, and the mean of a single 5 is "
        "5: on large, sparse data a user's top picks fill with items rated by one to three people, all "
        "predicted at the top of the scale. Learned biases are regularized, so an item's bias grows only as far "
        "as its number of ratings supports. Train both, with this run's other settings, and compare one user."
    )
    counts = train.user_counts()
    c1, c2, c3 = st.columns([3, 1, 1])
    user = pickers.pick(
        "User",
        train.users,
        counts,
        f"{ctx.key}_teach_mvb_user",
        at_most=MAX_OPTIONS,
        where=c1,
        help="Listed from the most active user: a heavy rater has seen the popular items, so their "
        "unrated items are the rarely rated ones.",
    )
    n = int(c2.number_input("How many", 1, 20, min(5, train.n_items), key=f"{ctx.key}_teach_mvb_n"))
    min_ratings = int(
        c3.number_input(
            "Min. ratings",
            0,
            max(1, int(train.item_counts().max())),
            1,
            key=f"{ctx.key}_teach_mvb_min",
            help="1 shows the weakness; raise it to see the filter's cure.",
        )
    )
    params = {k: v for k, v in fit_params(ctx).items() if k != "normalize"}
    key = ("mean_vs_biases", ctx.result.fingerprint, ctx.result.params, user, n, min_ratings)
    if st.button("Train both and compare", type="primary", key=f"{ctx.key}_teach_mvb_run"):
        with st.spinner("Training two models…"):
            remember(key, mean_vs_biases(train, user, n, min_ratings, **params))
    result = recall(key)
    if result is None:
        return
    c = st.columns(3)
    c[0].metric("Ratings by this user", f"{result.n_rated:,}")
    c[1].metric("Median ratings per pick, item mean", f"{result.median_count_mean:g}")
    c[2].metric("Median ratings per pick, learned biases", f"{result.median_count_biases:g}")
    fmt = {
        c: st.column_config.NumberColumn(format="%.2f")
        for c in result.table.columns
        if c.endswith(("predicted", "mean"))
    }
    st.dataframe(result.table, hide_index=True, column_config=fmt, key=f"{ctx.key}_teach_mvb_table")
    st.caption(
        f"Both with k={params['num_features']}, lambda={params['lambda_']:g}, {params['max_iter']} iterations. "
        '"ratings" is how many people rated the item, "mean" their average: a 5.00 on the strength of one '
        "or two ratings is a guess. The Recommendations tab's minimum-ratings filter is the other cure."
    )
