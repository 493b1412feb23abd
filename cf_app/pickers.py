"""Picking an item or a user from a list shown as "label (n ratings)": the one picker of the page.

Short lists keep the data's order; long ones list the most rated items (most active users) first, and may
be capped, so a 9.7k-item set still gives a short list whose first entries have ratings to talk about.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from . import data

__all__ = ["options", "pick"]


def options(counts: np.ndarray, data_order_up_to: int = 0, at_most: int | None = None) -> np.ndarray:
    """Positions to offer: all in data order when there are at most ``data_order_up_to``, else the most
    rated first (at most ``at_most`` of them)."""
    n = len(counts)
    if n <= data_order_up_to:
        return np.arange(n)
    return data.top_positions(counts, n if at_most is None else at_most)


def pick(
    label: str,
    labels: pd.Index,
    counts: np.ndarray,
    key: str,
    *,
    data_order_up_to: int = 0,
    at_most: int | None = None,
    where: Any = st,
    **kwargs: Any,
) -> int:
    """A selectbox of positions (see :func:`options`) in ``where`` (a column, say); returns the position."""
    return int(
        where.selectbox(
            label,
            options(counts, data_order_up_to, at_most),
            format_func=lambda p: f"{labels[p]} ({counts[p]} ratings)",  # options are plain text, not markdown
            key=key,
            **kwargs,
        )
    )
