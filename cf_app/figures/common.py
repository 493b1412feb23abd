"""What every figure shares: the colour scales, when cells print their values, label handling and
sizing, so every chart reads the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from .. import literal

__all__ = ["ANNOTATE_MAX_CELLS", "SEQUENTIAL", "DIVERGING"]


#: Grids with at most this many cells print their values in the cells.
ANNOTATE_MAX_CELLS = 400
SEQUENTIAL = "Viridis"
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
