"""What every figure shares: the colour scales, when cells print their values, label handling and
sizing, so every chart reads the same way.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import literal

__all__ = ["ANNOTATE_MAX_CELLS", "SEQUENTIAL", "DIVERGING", "png_data_uri", "reserve_margins", "text_px"]


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


#: A generous width of one character of plotly's 12 px tick labels (digits and most letters are narrower).
CHAR_PX = 7
#: Height of a row of flat tick labels, and the gap from tick labels to the plot and the paper's edge, as
#: Streamlit's chart theme draws them (measured in Chromium: ``benchmarks/profile_clicks.py --margins``).
FLAT_LABEL_HEIGHT_PX = 20
TICK_PAD_PX = 28
#: Room that an axis title (14 px, with the theme's stand-off) takes beside its tick labels.
AXIS_TITLE_PX = 36
#: Room below a numeric x axis: its flat tick labels and its title (drawn 65-67 px in Streamlit's theme).
NUMERIC_AXIS_BELOW_PX = 70
#: Room a vertical colour bar with its tick labels and title takes right of the plot (drawn 111-113 px,
#: depending on the chart's width: a few px spare).
COLORBAR_PX = 116
#: Room the legend of two traces ("items", "users") takes right of the plot.
LEGEND_PX = 100
_ENTITY = re.compile(r"&#?\w+;")


def text_px(labels: Sequence[str]) -> int:
    """A generous estimate of the widest label's width in the tick font, in pixels (escaped labels: an
    entity such as ``&lt;`` is one character, zero-width spaces none)."""
    widest = max((len(_ENTITY.sub("x", s).replace("\u200b", "")) for s in labels), default=0)
    return CHAR_PX * widest


def reserve_margins(
    fig: go.Figure,
    *,
    left: int = 10,
    right: int = 10,
    top: int = 50,
    bottom: int = 10,
) -> go.Figure:
    """Margins that already hold the tick labels, axis titles, colour bar and legend.

    Plotly's automargin (on in the default template) draws a chart with the margins it is given, measures
    what sticks out, and then draws it all again: two full draws per chart, about half of each chart's
    time in the browser (a tab with three charts took ~0.2 s longer). With room reserved from the labels'
    lengths, the first draw is the last. Automargin stays on, so a label wider than estimated still fits,
    at the old cost. Builders compute the sides with :func:`text_px` and the ``*_PX`` constants.
    """
    fig.update_layout(margin={"l": int(left), "r": int(right), "t": int(top), "b": int(bottom)})
    return fig


def png_data_uri(rgba: np.ndarray) -> str:
    """An (h, w, 4) uint8 RGBA array as a ``data:image/png`` URI: one compact image instead of thousands of
    SVG marks (plotly draws each scatter point as a DOM node; 2,300 of them took ~0.9 s to draw in Chromium)."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w, channels = rgba.shape
    if channels != 4:
        raise ValueError(f"need an (h, w, 4) RGBA array, got shape {rgba.shape}")
    rows = np.hstack([np.zeros((h, 1), np.uint8), rgba.reshape(h, w * 4)])  # filter byte 0 (none) per row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
