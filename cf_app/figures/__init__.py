"""Pure figure builders: arrays and DataFrames in, plotly Figures out (no Streamlit, no model fitting).

Grouped by what they draw: :mod:`.heatmaps` (predictions, similarities, features), :mod:`.curves` (cost and
RMSE over iterations), :mod:`.maps` (the latent space), :mod:`.teaching` (the Teaching tab's figures), with
what they share in :mod:`.common`. Every builder is importable from here, as ``figures.<name>``.

Shared conventions, so every chart reads the same way: items are rows (top to bottom, as in the grid)
and users are columns; axes are categorical, so ids like 1, 2, 10 stay labels in data order instead
of becoming a numeric axis; labels go through :func:`cf_app.literal.plot_labels`, so a label is text,
never plotly markup; cells carry their values as text when the grid is small enough to read;
similarities use a diverging scale fixed to [-1, 1] so colours mean the same in every picture.
"""

from __future__ import annotations

from .common import ANNOTATE_MAX_CELLS, DIVERGING, SEQUENTIAL
from .curves import cost_figure, rmse_figure
from .heatmaps import RATED_BOX, TICK_LABELS_MAX, feature_figure, prediction_figure, rated_dots, similarity_figure
from .maps import LATENT_LABELS_MAX, LATENT_WEBGL_FROM, latent_map, pca_2d
from .teaching import (
    WATERFALL_FEATURES,
    WATERFALL_FLAT_BARS,
    WATERFALL_LABELLED,
    breakdown_figure,
    neighbours_figure,
    normalization_figure,
    replay_figure,
)

__all__ = [
    "ANNOTATE_MAX_CELLS",
    "DIVERGING",
    "SEQUENTIAL",
    "RATED_BOX",
    "TICK_LABELS_MAX",
    "LATENT_LABELS_MAX",
    "LATENT_WEBGL_FROM",
    "WATERFALL_FEATURES",
    "WATERFALL_LABELLED",
    "WATERFALL_FLAT_BARS",
    "prediction_figure",
    "rated_dots",
    "similarity_figure",
    "feature_figure",
    "cost_figure",
    "rmse_figure",
    "latent_map",
    "pca_2d",
    "breakdown_figure",
    "replay_figure",
    "normalization_figure",
    "neighbours_figure",
]
