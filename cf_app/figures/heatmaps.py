"""Heatmaps: predicted ratings (with the rated cells marked), similarities, and the feature matrices."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import literal
from .common import (
    ANNOTATE_MAX_CELLS,
    AXIS_TITLE_PX,
    COLORBAR_PX,
    DIVERGING,
    FLAT_LABEL_HEIGHT_PX,
    SEQUENTIAL,
    TICK_PAD_PX,
    _categorical,
    _height,
    _labels,
    png_data_uri,
    reserve_margins,
    text_px,
)

__all__ = ["TICK_LABELS_MAX", "RATED_BOX", "rated_dots", "prediction_figure", "similarity_figure", "feature_figure"]


#: Square heatmaps in a half-width column label their axes up to this many rows; beyond, names are on hover.
TICK_LABELS_MAX = 40
#: Half-width of a rated cell's outline, in cells (0.5 = the cell's edge, shared with its neighbour).
RATED_BOX = 0.4
#: The rated-cell dots of large prediction heatmaps: radius as a share of the cell, and the image's size.
DOT_RADIUS = 0.2
DOTS_MAX_PIXELS = 1200


#: Feature heatmaps print their values up to this many rows: a slice of 50 items printed 250 numbers nobody
#: reads at that size (hover shows each), and drawing them took ~30-60 ms of each visit to the tab.
ANNOTATE_MAX_ROWS = 30
#: Column labels lie flat while they fit in this many pixels side by side; more stand upright.
FLAT_ROW_PX = 300
#: Tick labels on a heatmap's axes end in "…" past this many characters (whole on hover): a half-width chart
#: with 48-character MovieLens titles beside it had ~40 px left for the cells.
TICK_CHARS = 22
#: At most this many tick labels per axis (every n-th beyond): plotly draws every label it is given.
TICKS_MAX = 60


def _ticks(values: list[str], raw: Sequence[object]) -> tuple[list[str], list[str]]:
    """(tickvals, ticktext) for a categorical axis: every n-th category, its label shortened."""
    step = max(1, -(-len(values) // TICKS_MAX))
    short = literal.plot_labels(list(raw)[::step], TICK_CHARS)
    return values[::step], short


def _label_margins(
    fig: go.Figure,
    rows: Sequence[object],
    cols: Sequence[object],
    *,
    x_title: bool,
    y_ticks: bool = True,
    x_ticks: bool = True,
) -> go.Figure:
    """A categorical heatmap's tick labels (shortened, at most :data:`TICKS_MAX`) and margins reserved from
    them (see :func:`.common.reserve_margins`), with the column labels' angle fixed (flat or upright) so that
    the reserve is known. ``rows`` and ``cols`` are the raw labels; the axes' categories are their
    :func:`._labels`. The paddings are what Streamlit's chart theme draws (measured in Chromium:
    ``benchmarks/profile_clicks.py --margins``)."""
    y_vals, y_text = _ticks(_labels(rows), rows)
    x_vals, x_text = _ticks(_labels(cols), cols)
    if y_ticks:
        fig.update_yaxes(tickmode="array", tickvals=y_vals, ticktext=y_text)
    upright = x_ticks and len(x_text) * (text_px(x_text) + 10) > FLAT_ROW_PX
    if x_ticks:
        fig.update_xaxes(tickmode="array", tickvals=x_vals, ticktext=x_text, tickangle=-90 if upright else 0)
    below = ((text_px(x_text) if upright else FLAT_LABEL_HEIGHT_PX) + TICK_PAD_PX) if x_ticks else 2
    return reserve_margins(
        fig,
        left=(text_px(y_text) + TICK_PAD_PX) if y_ticks else 17,
        right=COLORBAR_PX,
        bottom=below + (AXIS_TITLE_PX if x_title else 0),
    )


def rated_dots(rated: np.ndarray, colour: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """An RGBA image with a round dot at the centre of each ``True`` cell of ``rated`` and nothing elsewhere,
    ``px`` pixels per cell (fewer for big grids, so the image stays under ``DOTS_MAX_PIXELS`` a side)."""
    rated = np.asarray(rated, dtype=bool)
    n, m = rated.shape
    px = int(max(2, min(16, DOTS_MAX_PIXELS // max(n, m, 1))))
    centre = (px - 1) / 2
    yy, xx = np.mgrid[:px, :px]
    distance = np.hypot(yy - centre, xx - centre)
    alpha = np.clip(DOT_RADIUS * px - distance + 0.5, 0.0, 1.0)  # anti-aliased edge
    if alpha.max() < 1.0:  # a cell of two pixels: a solid centre still shows
        alpha = np.ones_like(alpha)
    tile = np.kron(rated.astype(np.uint8), np.round(alpha * 255).astype(np.uint8))  # one cell's dot, repeated
    image = np.empty((*tile.shape, 4), np.uint8)
    image[..., :3] = colour
    image[..., 3] = tile
    return image


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
                # Large grids: a dot per rated cell, drawn as one image over the plot area (its cells fill the
                # axes exactly). As scatter markers, 2,300 dots of a 50 x 50 slice took ~0.9 s to draw in
                # Chromium; WebGL is slow to start (or missing) in GPU-less browsers. Hover stays on the heatmap.
                fig.add_layout_image(
                    source=png_data_uri(rated_dots(rated)),
                    xref="x domain",
                    yref="y domain",
                    x=0,
                    y=1,
                    sizex=1,
                    sizey=1,
                    xanchor="left",
                    yanchor="top",
                    sizing="stretch",
                    layer="above",
                )
                fig.update_layout(title={"text": "Predicted ratings (white dots: rated cells)", "font": {"size": 14}})
        fig.update_yaxes(autorange="reversed")
        if not fig.layout.title.text:
            title = "Predicted ratings" if mode == "marked" else "Predicted ratings of the unrated cells (rated: blank)"
            fig.update_layout(title={"text": title, "font": {"size": 14}})
    fig.update_layout(height=_height(len(y)))
    fig.update_xaxes(title_text="user")
    _label_margins(fig, predicted.index, predicted.columns, x_title=True)
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
    fig.update_layout(height=_height(len(names), lo=320, hi=560))
    shown = len(names) <= TICK_LABELS_MAX
    if not shown:
        # Past this many, labels in a half-width chart overlap into a smear: names are on hover.
        fig.update_xaxes(showticklabels=False, title_text=f"{len(names)} (hover for names)")
        fig.update_yaxes(showticklabels=False)
    _label_margins(fig, labels, labels, x_title=not shown, y_ticks=shown, x_ticks=shown)
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
        text_auto=".2f" if M.size <= ANNOTATE_MAX_CELLS and M.shape[0] <= ANNOTATE_MAX_ROWS else False,
        aspect="auto",
        labels={"color": "value"},
        title=title,
    )
    fig.update_layout(height=_height(M.shape[0]))
    _label_margins(fig, labels, features, x_title=False)
    return _categorical(fig)
