"""Picking an item or a user from a list shown as "label (n ratings)": the one picker of the page.

Short lists keep the data's order; long ones list the most rated items (most active users) first, and may
be capped, so a 9.7k-item set still gives a short list whose first entries have ratings to talk about.
Past :data:`LIST_MAX` entries the list shows the most rated ones and a search box reaches all the others:
every entry is sent to the browser on every run of the page, and the Similarity tab's two lists of 1,682
items and 943 users took ~90 ms of each visit to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from . import data

__all__ = ["LIST_MAX", "options", "matching", "pick"]

#: A picker lists at most this many entries; longer lists get a search box over all of them.
LIST_MAX = 200


def options(counts: np.ndarray, data_order_up_to: int = 0, at_most: int | None = None) -> np.ndarray:
    """Positions to offer: all in data order when there are at most ``data_order_up_to``, else the most
    rated first (at most ``at_most`` of them)."""
    n = len(counts)
    if n <= data_order_up_to:
        return np.arange(n)
    return data.top_positions(counts, n if at_most is None else at_most)


def matching(labels: pd.Index, counts: np.ndarray, query: str, limit: int = LIST_MAX) -> np.ndarray:
    """Positions whose label contains ``query`` (any case, as plain text), the most rated first."""
    found = np.flatnonzero(pd.Index(labels).astype(str).str.contains(query, case=False, regex=False))
    return found[data.top_positions(counts[found], limit)]


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
    """A selectbox of positions (see :func:`options`) in ``where`` (a column, say); returns the position.

    More than :data:`LIST_MAX` to offer: the list has the most rated ones, and a search box below it (empty
    by default) lists the ones whose names contain the text instead. The current pick stays in the list
    while a search looks for another, so typing never changes it behind the person's back.
    """
    offered = options(counts, data_order_up_to, at_most)
    query: str | None = None
    found = offered
    if len(offered) > LIST_MAX:
        query = st.session_state.get(f"{key}_find", "").strip()
        found = matching(labels, counts, query) if query else offered[:LIST_MAX]
        current = st.session_state.get(key)
        shown = found
        if current is not None and int(current) not in set(found.tolist()):
            shown = np.concatenate([[int(current)], found])
        kwargs.setdefault("help", f"The {LIST_MAX} with most ratings; search below for any of all {len(offered):,}.")
        offered = shown
    position = int(
        where.selectbox(
            label,
            offered,
            format_func=lambda p: f"{labels[p]} ({counts[p]} ratings)",  # options are plain text, not markdown
            key=key,
            **kwargs,
        )
    )
    if query is not None:
        where.text_input(
            f"Search by name: {label}",  # the accessible name; on screen the box shows its placeholder
            key=f"{key}_find",
            placeholder=f"Search all {len(labels):,} by name…",
            help="Lists the names that contain this text (any case) in the box above, the most rated first.",
            label_visibility="collapsed",
        )
        if query and not len(found):
            where.caption(f"No name contains “{query}”.")
    return position
