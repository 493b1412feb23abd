"""What every figure shares: the colour scales, when cells print their values, label handling and
sizing, so every chart reads the same way.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import literal

__all__ = ["ANNOTATE_MAX_CELLS", "SEQUENTIAL", "DIVERGING", "png_data_uri"]


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
