"""Maps of the latent space: items and users as points, on two features or their first two principal
components.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .common import AXIS_TITLE_PX, LEGEND_PX, NUMERIC_AXIS_BELOW_PX, _labels, reserve_margins, text_px

__all__ = ["pca_2d", "LATENT_LABELS_MAX", "LATENT_WEBGL_FROM", "latent_map"]


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
#: Maps of more points than this are drawn with WebGL. Below it SVG is quicker to show: in headless Chromium
#: without a GPU the 100k sample's 2,625 points took ~1.5-1.9 s to switch to as SVG, ~2.2-2.3 s with WebGL,
#: whose start-up (a software GL context) dominates until points number in the many thousands.
LATENT_WEBGL_FROM = 5000


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
    big = len(item_xy) + len(user_xy) > 1000  # small markers
    scatter = go.Scattergl if len(item_xy) + len(user_xy) > LATENT_WEBGL_FROM else go.Scatter
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
    )
    ticks = text_px(["-0.55"]) + AXIS_TITLE_PX + 10
    return reserve_margins(fig, left=ticks, right=LEGEND_PX, bottom=NUMERIC_AXIS_BELOW_PX)
