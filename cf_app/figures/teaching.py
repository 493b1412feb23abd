"""The Teaching tab's figures: a prediction's waterfall, the training replay, normalization's effect
per item, and neighbours by dot product vs cosine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cf_core import CollaborativeFiltering

from .. import literal
from .common import FLAT_LABEL_HEIGHT_PX, TICK_PAD_PX, reserve_margins, text_px

if TYPE_CHECKING:
    from ..teaching.normalization import NormalizationEffect
    from ..teaching.prediction_live import PredictionBreakdown
    from ..teaching.replay import Replay

__all__ = [
    "WATERFALL_FEATURES",
    "WATERFALL_LABELLED",
    "WATERFALL_FLAT_BARS",
    "breakdown_figure",
    "replay_figure",
    "normalization_figure",
    "neighbours_figure",
]


#: The waterfall draws every feature up to this many; beyond, the largest ones and "the other n" as one bar.
WATERFALL_FEATURES = 10
#: Bars are labelled with their values up to this many bars (more and the labels run into each other).
WATERFALL_LABELLED = 8
#: Up to this many bars their names are set flat; more are slanted.
WATERFALL_FLAT_BARS = 5


def breakdown_figure(b: PredictionBreakdown) -> go.Figure:
    """A waterfall: each feature's x_ik * theta_jk, then the mean added back, ending at the prediction.

    With many features the bars keep readable: short names (f1, f2, ...), values on hover instead of over
    each bar, and past :data:`WATERFALL_FEATURES` the largest contributions plus one bar for the rest.
    """
    k = len(b.x)
    contributions = b.contributions
    short = k > 5
    if k <= WATERFALL_FEATURES:
        shown = np.arange(k)
    else:
        keep = WATERFALL_FEATURES - 2
        shown = np.sort(np.argsort(-np.abs(contributions), kind="stable")[:keep])
    labels = [f"f{f + 1}" if short else f"feature {f + 1}" for f in shown]
    values = [float(contributions[f]) for f in shown]
    if len(shown) < k:
        labels.append(f"other {k - len(shown)} features")
        values.append(float(contributions.sum() - contributions[shown].sum()))
    if b.offset_name:
        labels.append(b.offset_name.split(" (")[0])
        values.append(b.offset)
    if b.item_bias or b.user_bias:
        labels += ["item bias", "user bias"]
        values += [b.item_bias, b.user_bias]
    labelled = len(values) + 1 <= WATERFALL_LABELLED
    fig = go.Figure(
        go.Waterfall(
            x=labels + ["prediction"],
            y=values + [0.0],
            measure=["relative"] * len(values) + ["total"],
            text=[f"{v:+.3f}" if labelled else "" for v in values] + [f"{b.unclipped:.3f}"],
            textposition="outside",
            hovertemplate="%{x}: %{y:+.3f}<extra></extra>",
        )
    )
    if b.rating is not None:
        fig.add_hline(
            y=b.rating,
            line_dash="dash",
            line_color="green",
            annotation_text=f"actual rating {b.rating:g}",
            annotation_position="top left",
        )
    title = "x_i . theta_j term by term" if len(shown) == k else f"the {len(shown)} largest of {k} terms"
    fig.update_layout(
        title={"text": f"Adding up the prediction: {title}", "font": {"size": 13}},
        yaxis_title="rating",
        showlegend=False,
    )
    # Side by side, a half-width chart holds about five bars' names ("feature 1", "global mean"): with the
    # biases at k = 5, nine names ran into each other.
    slanted = len(labels) + 1 > WATERFALL_FLAT_BARS
    fig.update_xaxes(tickangle=-45 if slanted else 0)
    below = int(text_px(labels) * 0.71) + 10 if slanted else FLAT_LABEL_HEIGHT_PX
    return reserve_margins(fig, left=66, right=18, bottom=below + TICK_PAD_PX)  # "-0.5" ticks, "rating"


def replay_figure(replay: Replay, step: int) -> go.Figure:
    """Predicted matrix at ``step`` (rated cells ringed) beside the cost curve with ``step`` marked."""
    r = replay.ratings
    lo, hi = r.rating_scale
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.62, 0.38],
        horizontal_spacing=0.16,
        subplot_titles=(f"predicted ratings at iteration {replay.iterations[step]}", "cost J"),
    )
    users = literal.plot_labels(r.users)
    items = literal.plot_labels(r.items)
    fig.add_heatmap(
        z=replay.predicted(step),
        x=users,
        y=items,
        zmin=lo,
        zmax=hi,
        colorscale="RdYlGn",
        colorbar={"x": 0.54, "title": "rating", "len": 0.9},
        hovertemplate="item %{y}<br>user %{x}<br>predicted %{z:.2f}<extra></extra>",
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=[users[j] for j in r.user_idx],
        y=[items[i] for i in r.item_idx],
        mode="markers",
        marker={"symbol": "circle-open", "size": 9, "color": "black"},
        text=[f"rated {v:g}" for v in r.values],
        hovertemplate="item %{y}<br>user %{x}<br>%{text}<extra></extra>",
        name="rated cell",
        row=1,
        col=1,
    )
    fig.add_scatter(x=replay.iterations, y=replay.costs, mode="lines", name="cost", row=1, col=2)
    fig.add_scatter(
        x=[replay.iterations[step]],
        y=[replay.costs[step]],
        mode="markers",
        marker={"size": 12, "color": "red"},
        name="this iteration",
        row=1,
        col=2,
    )
    fig.update_xaxes(type="category", tickmode="linear", row=1, col=1)
    fig.update_yaxes(type="category", tickmode="linear", autorange="reversed", row=1, col=1)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_xaxes(title="iteration", row=1, col=2)
    # Every item gets a readable row (ticks on every label), within the bounds of a screen.
    fig.update_layout(showlegend=False, margin={"t": 40}, height=int(min(max(160 + 20 * r.n_items, 380), 1400)))
    return fig


def normalization_figure(effect: NormalizationEffect) -> go.Figure:
    """Both fits' predictions per item for the user, with item means as markers."""
    t = effect.table
    items = literal.plot_labels(t["item"])
    fig = go.Figure()
    fig.add_bar(x=items, y=t["predicted, no normalization"], name="no normalization")
    fig.add_bar(x=items, y=t["predicted, mean normalization"], name="mean normalization")
    fig.add_scatter(
        x=items, y=t["item mean"], mode="markers", marker={"symbol": "line-ew-open", "size": 18}, name="item mean"
    )
    if t["this user's rating"].notna().any():
        fig.add_scatter(
            x=items,
            y=t["this user's rating"],
            mode="markers",
            marker={"symbol": "star", "size": 12},
            name="this user's rating",
        )
    fig.update_layout(barmode="group", yaxis_title="predicted rating (unclipped)", margin={"t": 30})
    fig.update_xaxes(type="category", title="item")
    return fig


def _short(label: str, at_most: int = 24) -> str:
    """A label short enough to print beside a point (the hover shows it whole)."""
    return label if len(label) <= at_most else label[: at_most - 1] + "…"


def neighbours_figure(model: CollaborativeFiltering, item: int, table: pd.DataFrame) -> go.Figure:
    """Every item as (vector length, cosine to the chosen item); each list's picks highlighted.

    Dot product = |x_i| * length * cosine, so its top picks sit towards the right, cosine's towards the top.
    """
    X = model.X_
    norms = np.linalg.norm(X, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    cos = np.clip((X / safe[:, None]) @ (X[item] / (safe[item])), -1, 1)
    labels = [str(x) for x in model.ratings_.items]
    pos_of = {lab: p for p, lab in enumerate(labels)}
    shown = literal.plot_labels(model.ratings_.items)
    others = np.flatnonzero(np.arange(len(X)) != item)
    fig = go.Figure()
    fig.add_scattergl(
        x=norms[others],
        y=cos[others],
        mode="markers",
        marker={"color": "lightgray", "size": 6},
        text=[shown[p] for p in others],
        hovertemplate="%{text}<br>|x|=%{x:.2f}<br>cos=%{y:.2f}<extra></extra>",
        name="other items",
    )
    named: set[int] = set()  # each pick is labelled once, even when both lists hold it
    for column, color, symbol, where in (
        ("by dot product", "#d62728", "circle", "top center"),
        ("by cosine", "#1f77b4", "diamond-open", "bottom center"),
    ):
        picks = [pos_of[str(lab)] for lab in table[column]]
        fig.add_scatter(
            x=norms[picks],
            y=cos[picks],
            mode="markers+text",
            marker={"color": color, "size": 12, "symbol": symbol},
            text=["" if p in named else literal.plot(_short(labels[p])) for p in picks],
            textposition=where,
            hovertext=[literal.plot(labels[p]) for p in picks],
            hovertemplate="%{hovertext}<br>|x|=%{x:.2f}<br>cos=%{y:.2f}<extra></extra>",
            name=f"top {len(picks)} {column}",
        )
        named.update(picks)
    fig.update_layout(
        xaxis_title="length of the item's feature vector |x_l|",
        yaxis_title=f"cosine to {shown[item]}",
        margin={"t": 30},
    )
    return fig
