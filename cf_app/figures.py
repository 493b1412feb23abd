"""Pure figure builders: arrays and DataFrames in, plotly Figures out (no Streamlit, no model fitting).

Shared conventions, so every chart reads the same way: items are rows (top to bottom, as in the grid)
and users are columns; axes are categorical, so ids like 1, 2, 10 stay labels in data order instead
of becoming a numeric axis; labels go through :func:`cf_app.literal.plot_labels`, so a label is text,
never plotly markup; cells carry their values as text when the grid is small enough to read;
similarities use a diverging scale fixed to [-1, 1] so colours mean the same in every picture.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import literal

__all__ = [
    "ANNOTATE_MAX_CELLS",
    "prediction_figure",
    "similarity_figure",
    "feature_figure",
    "cost_figure",
    "rmse_figure",
    "latent_map",
    "pca_2d",
]

#: Grids with at most this many cells print their values in the cells.
ANNOTATE_MAX_CELLS = 400
SEQUENTIAL = "Viridis"
#: Square heatmaps in a half-width column label their axes up to this many rows; beyond, names are on hover.
TICK_LABELS_MAX = 40
#: Half-width of a rated cell's outline, in cells (0.5 = the cell's edge, shared with its neighbour).
RATED_BOX = 0.4
DIVERGING = "RdBu"


def _labels(values: Sequence[object] | pd.Index) -> list[str]:
    """Data labels as plotly text: escaped (never markup) and distinct (never merged on an axis)."""
    return literal.plot_labels(values)


def _height(n_rows: int, per_row: int = 24, base: int = 160, lo: int = 280, hi: int = 900) -> int:
    return int(min(max(base + per_row * n_rows, lo), hi))


def _categorical(fig: go.Figure) -> go.Figure:
    """Keep label order and stop numeric-looking labels (MovieLens ids) from turning an axis numeric."""
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return fig


def _heatmap_trace(
    z: np.ndarray,
    x: list[str],
    y: list[str],
    zrange: tuple[float, float],
    colorscale: str,
    annotate: bool,
    hover: str,
    colorbar_title: str,
    showscale: bool = True,
    customdata: np.ndarray | None = None,
) -> go.Heatmap:
    return go.Heatmap(
        z=z,
        x=x,
        y=y,
        zmin=zrange[0],
        zmax=zrange[1],
        colorscale=colorscale,
        texttemplate="%{z:.1f}" if annotate else None,
        hovertemplate=hover + "<extra></extra>",
        colorbar={"title": {"text": colorbar_title}},
        showscale=showscale,
        customdata=customdata,
        hoverongaps=False,
        xgap=1 if annotate else 0,
        ygap=1 if annotate else 0,
    )


def prediction_figure(
    predicted: pd.DataFrame,
    original: pd.DataFrame,
    rating_scale: tuple[float, float],
    *,
    mode: str = "marked",
    annotate: bool | None = None,
) -> go.Figure:
    """Predicted ratings (items x users) against the ratings they were trained from.

    ``mode``: "marked" outlines the rated cells on the prediction heatmap (hover shows both numbers);
    "side by side" shows the original grid next to the predictions; "unrated only" blanks the rated
    cells so only the filled-in predictions remain. ``original`` has NaN where not rated and the same
    shape and labels as ``predicted``.
    """
    if predicted.shape != original.shape:
        raise ValueError(f"predicted {predicted.shape} and original {original.shape} grids differ in shape")
    if mode not in ("marked", "side by side", "unrated only"):
        raise ValueError(f"mode must be 'marked', 'side by side' or 'unrated only', got {mode!r}")
    x, y = _labels(predicted.columns), _labels(predicted.index)
    pred = predicted.to_numpy(dtype=float)
    orig = original.to_numpy(dtype=float)
    rated = ~np.isnan(orig)
    annotate = pred.size <= ANNOTATE_MAX_CELLS if annotate is None else annotate
    zrange = (float(rating_scale[0]), float(rating_scale[1]))
    hover = "item %{y}<br>user %{x}<br>predicted %{z:.2f}"

    if mode == "side by side":
        fig = make_subplots(
            rows=1, cols=2, subplot_titles=("Ratings (empty = not rated)", "Predicted"), horizontal_spacing=0.08
        )
        fig.add_trace(
            _heatmap_trace(orig, x, y, zrange, SEQUENTIAL, annotate, "item %{y}<br>user %{x}<br>rated %{z}", "rating"),
            row=1,
            col=1,
        )
        fig.add_trace(_heatmap_trace(pred, x, y, zrange, SEQUENTIAL, annotate, hover, "rating", False), row=1, col=2)
        fig.update_yaxes(autorange="reversed")
        fig.update_yaxes(showticklabels=False, row=1, col=2)
    else:
        z = np.where(rated, np.nan, pred) if mode == "unrated only" else pred
        custom = np.where(rated, orig, np.nan)
        hover_marked = hover + "<br>rated %{customdata}" if mode == "marked" else hover
        fig = go.Figure(
            _heatmap_trace(z, x, y, zrange, SEQUENTIAL, annotate, hover_marked, "rating", customdata=custom)
        )
        if mode == "marked" and rated.any():
            r, c = np.nonzero(rated)
            if annotate:
                # Small grids: outline each rated cell, leaving its printed number readable. Inset, so two
                # rated neighbours get two boxes and an unrated cell between rated ones is never enclosed.
                for i, j in zip(r, c, strict=True):
                    fig.add_shape(
                        type="rect",
                        x0=j - RATED_BOX,
                        x1=j + RATED_BOX,
                        y0=i - RATED_BOX,
                        y1=i + RATED_BOX,
                        line={"color": "#ff4b4b", "width": 2.5},
                    )
                fig.update_layout(title={"text": "Predicted ratings (rated cells outlined)", "font": {"size": 14}})
            else:
                # Large grids: a dot per rated cell (thousands of outlines would slow the browser).
                # SVG up to a few thousand dots: WebGL is slow to start (or missing) in GPU-less browsers.
                scatter = go.Scatter if len(r) <= 5000 else go.Scattergl
                fig.add_trace(
                    scatter(
                        x=[x[j] for j in c],
                        y=[y[i] for i in r],
                        mode="markers",
                        marker={"symbol": "circle", "size": 4, "color": "white", "line": {"width": 0}},
                        name="rated",
                        hoverinfo="skip",
                        showlegend=False,  # the title says what the dots are; a lone legend word read as stray
                    )
                )
                fig.update_layout(title={"text": "Predicted ratings (white dots: rated cells)", "font": {"size": 14}})
        fig.update_yaxes(autorange="reversed")
        if not fig.layout.title.text:
            title = "Predicted ratings" if mode == "marked" else "Predicted ratings of the unrated cells (rated: blank)"
            fig.update_layout(title={"text": title, "font": {"size": 14}})
    fig.update_layout(height=_height(len(y)), margin={"l": 10, "r": 10, "t": 50, "b": 10})
    fig.update_xaxes(title_text="user")
    return _categorical(fig)


def similarity_figure(S: np.ndarray, labels: Sequence[object] | pd.Index, title: str) -> go.Figure:
    """Cosine similarities among items (or users) on a diverging scale fixed to [-1, 1]."""
    S = np.asarray(S, dtype=float)
    if S.ndim != 2 or S.shape[0] != S.shape[1] or S.shape[0] != len(labels):
        raise ValueError(f"similarities must be a square matrix with one label per row, got {S.shape}, {len(labels)}")
    names = _labels(labels)
    fig = px.imshow(
        S,
        x=names,
        y=names,
        color_continuous_scale=DIVERGING,
        range_color=[-1, 1],
        text_auto=".2f" if S.size <= ANNOTATE_MAX_CELLS else False,
        # Square cells: a similarity matrix is square, and in a half-width column "auto" stretched 50 x 50
        # into a tall narrow strip. The height bounds it; the width follows.
        aspect="equal",
        labels={"color": "cosine"},
        title=title,
    )
    fig.update_traces(hovertemplate="%{y} vs %{x}<br>cosine %{z:.3f}<extra></extra>")
    fig.update_layout(height=_height(len(names), lo=320, hi=560), margin={"l": 10, "r": 10, "t": 50, "b": 10})
    if len(names) > TICK_LABELS_MAX:
        # Past this many, labels in a half-width chart overlap into a smear: names are on hover.
        fig.update_xaxes(showticklabels=False, title_text=f"{len(names)} (hover for names)")
        fig.update_yaxes(showticklabels=False)
    return _categorical(fig)


def feature_figure(M: np.ndarray, labels: Sequence[object] | pd.Index, title: str) -> go.Figure:
    """Learned vectors (rows of X or Theta) as a heatmap, centred on 0 with a symmetric diverging scale."""
    M = np.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape[0] != len(labels):
        raise ValueError(f"features must be a 2-D array with one label per row, got {M.shape}, {len(labels)}")
    bound = float(np.max(np.abs(M))) if M.size else 1.0
    bound = bound if bound > 0 else 1.0
    features = [f"feature {k + 1}" for k in range(M.shape[1])]
    fig = px.imshow(
        M,
        x=features,
        y=_labels(labels),
        color_continuous_scale=DIVERGING,
        range_color=[-bound, bound],
        text_auto=".2f" if M.size <= ANNOTATE_MAX_CELLS else False,
        aspect="auto",
        labels={"color": "value"},
        title=title,
    )
    fig.update_layout(height=_height(M.shape[0]), margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return _categorical(fig)


def cost_figure(costs: np.ndarray, *, log_y: bool = False) -> go.Figure:
    """Cost J per iteration (iteration 0 = the starting parameters)."""
    costs = np.asarray(costs, dtype=float)
    fig = go.Figure(
        go.Scatter(
            x=np.arange(len(costs)),
            y=costs,
            mode="lines+markers" if len(costs) <= 60 else "lines",
            name="cost J",
            hovertemplate="iteration %{x}<br>J = %{y:.6g}<extra></extra>",
        )
    )
    fig.update_layout(
        title="Cost per iteration",
        xaxis_title="iteration",
        yaxis_title="cost J" + (" (log scale)" if log_y else ""),
        yaxis_type="log" if log_y else "linear",
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


def rmse_figure(train_rmse: np.ndarray, validation_rmse: np.ndarray) -> go.Figure:
    """Training and validation RMSE per iteration; ``validation_rmse[0]`` is the starting point,
    ``train_rmse`` covers iterations 1..n (it is recorded as training goes)."""
    train_rmse = np.asarray(train_rmse, dtype=float)
    validation_rmse = np.asarray(validation_rmse, dtype=float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.arange(1, len(train_rmse) + 1), y=train_rmse, mode="lines", name="training RMSE"))
    fig.add_trace(
        go.Scatter(x=np.arange(len(validation_rmse)), y=validation_rmse, mode="lines", name="validation RMSE")
    )
    fig.update_layout(
        title="RMSE per iteration",
        xaxis_title="iteration",
        yaxis_title="RMSE",
        height=380,
        hovermode="x unified",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


def pca_2d(V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project rows of ``V`` onto their two main directions; also returns the share of variance each keeps.

    Fewer than two columns are padded with zeros, so a one-feature model still gets a map.
    """
    V = np.asarray(V, dtype=float)
    if V.ndim != 2 or len(V) == 0:
        raise ValueError(f"need a non-empty 2-D array of vectors, got shape {V.shape}")
    centred = V - V.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    var = s**2
    share = var[:2] / var.sum() if var.sum() > 0 else np.zeros(min(2, len(var)))
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
        share = np.concatenate([share, np.zeros(2 - len(share))])
    return coords, share


#: The latent map prints names beside the points up to this many points (more, and they pile up).
LATENT_LABELS_MAX = 40


def _spread_labels(xy: np.ndarray, names: list[str], min_gap: float = 0.04) -> list[str]:
    """Names for a scatter, blank for a point that sits (within ``min_gap`` of the plot's extent) on an
    earlier labelled one, so overlapping points show one readable name instead of a smear."""
    extent = float(np.ptp(xy, axis=0).max()) if len(xy) else 0.0
    gap = max(extent * min_gap, 1e-12)
    placed: list[np.ndarray] = []
    out = []
    for p, name in zip(xy, names, strict=True):
        if any(np.all(np.abs(p - q) < gap) for q in placed):
            out.append("")
        else:
            placed.append(p)
            out.append(name)
    return out


def latent_map(
    item_xy: np.ndarray,
    user_xy: np.ndarray,
    item_labels: Sequence[object] | pd.Index,
    user_labels: Sequence[object] | pd.Index,
    axis_titles: tuple[str, str] = ("feature 1", "feature 2"),
) -> go.Figure:
    """Items and users as points in one 2-D latent space, labelled on hover."""
    item_xy = np.asarray(item_xy, dtype=float)
    user_xy = np.asarray(user_xy, dtype=float)
    if item_xy.shape != (len(item_labels), 2) or user_xy.shape != (len(user_labels), 2):
        raise ValueError(
            f"need (n, 2) coordinates with one label per point, got items {item_xy.shape} for {len(item_labels)} "
            f"labels and users {user_xy.shape} for {len(user_labels)} labels"
        )
    big = len(item_xy) + len(user_xy) > 1000
    scatter = go.Scattergl if big else go.Scatter
    show_text = not big and len(item_xy) + len(user_xy) <= LATENT_LABELS_MAX
    fig = go.Figure()
    for xy, labels, name, symbol, colour, where in (
        (item_xy, item_labels, "items", "circle", "#1f77b4", "top center"),
        (user_xy, user_labels, "users", "diamond", "#ff7f0e", "bottom center"),
    ):
        names = _labels(labels)
        fig.add_trace(
            scatter(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="markers+text" if show_text else "markers",
                text=_spread_labels(xy, names) if show_text else None,
                textposition=where,  # items above their points, users below: the two sets do not collide
                hovertext=names,
                hovertemplate=f"{name[:-1]} %{{hovertext}}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
                name=name,
                marker={"symbol": symbol, "size": 9 if not big else 5, "opacity": 0.85, "color": colour},
            )
        )
    fig.update_layout(
        title="Items and users in the latent space",
        xaxis_title=axis_titles[0],
        yaxis_title=axis_titles[1],
        # Equal units on both axes: angles between points are the angles cosine similarity measures.
        yaxis={"scaleanchor": "x", "scaleratio": 1},
        height=520,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig
