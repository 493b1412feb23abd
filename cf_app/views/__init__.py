"""The results views: one module per tab, each with ``render(ctx: ViewContext)``.

Adding a view is adding a module here and a line to :data:`VIEWS`; the page draws the tabs from that list
and runs only the open tab's ``render`` (lazy tabs), so a heavy view costs nothing while hidden. The
Teaching tab is the package :mod:`cf_app.teaching`, whose topics have a registry of their own.
:func:`render_results` is the page's Results section: the slice controls of large results and the tabs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import streamlit as st

from cf_core import CollaborativeFiltering, Ratings

from .. import data, literal, state
from ..training import Params, TrainResult

__all__ = [
    "ViewContext",
    "View",
    "Pictures",
    "VIEWS",
    "labels",
    "every_picture",
    "choose_picture",
    "memo",
    "render_results",
]

T = TypeVar("T")


@dataclass(frozen=True)
class ViewContext:
    """What every view gets: the trained result, its data, and the slice of it that heatmaps show."""

    result: TrainResult
    item_pos: np.ndarray  # items shown in heatmaps (all of them for small data), in display order
    user_pos: np.ndarray  # users shown in heatmaps
    key: str  # prefix for widget keys, unique per workspace

    @property
    def model(self) -> CollaborativeFiltering:
        return self.result.model

    @property
    def ratings(self) -> Ratings:
        """All ratings the result was trained from (training and validation entries)."""
        return self.result.ratings if self.result.ratings is not None else self.result.model.ratings_

    @property
    def slice_key(self) -> bytes:
        """The heatmaps' slice as a hashable key (for :func:`memo`)."""
        return self.item_pos.tobytes() + b"|" + self.user_pos.tobytes()

    @property
    def sliced(self) -> bool:
        r = self.ratings
        return len(self.item_pos) < r.n_items or len(self.user_pos) < r.n_users


#: Derived values kept per trained result (a few per view and slice; older ones are dropped first).
MEMO_MAX_ENTRIES = 32


def memo(ctx: ViewContext, key: Hashable, build: Callable[[], T]) -> T:
    """``build()``, computed once per trained result and ``key``, then kept on the result.

    A view's figures depend only on the model and the view's own controls, and the page reruns on every
    click: rebuilding a plotly heatmap costs 50-100 ms (plotly validates every property), two of them on the
    Similarity tab. Kept on the :class:`TrainResult` (this session's object), so a new training starts empty
    and a returned figure is only ever read (``st.plotly_chart`` copies it).
    """
    store = ctx.result.derived
    if key in store:
        return store[key]
    value = build()
    while len(store) >= MEMO_MAX_ENTRIES:
        store.pop(next(iter(store)))
    store[key] = value
    return value


@dataclass(frozen=True)
class Pictures:
    """A tab that shows one of several pictures at a time, chosen by a radio (see :func:`choose_picture`).

    Every chart, picker, formula and table costs the browser 15-60 ms to draw on each visit to a tab; tabs
    that drew all their pictures at once took 0.3-0.45 s to open on 100k ratings.
    """

    key: str  # the radio's key, after the workspace's prefix
    label: str
    options: dict[str, str]  # value -> what the radio says


@dataclass(frozen=True)
class View:
    label: str
    render: Callable[[ViewContext], None]
    pictures: Pictures | None = None


def choose_picture(ctx: ViewContext, pictures: Pictures) -> str:
    """The radio at the top of a tab with :class:`Pictures`; returns the chosen value."""
    return st.radio(
        pictures.label,
        list(pictures.options),
        format_func=pictures.options.__getitem__,
        horizontal=True,
        key=f"{ctx.key}_{pictures.key}",
    )


def _views() -> list[View]:
    from .. import teaching
    from . import cost_curve, latent, predictions, recommendations, similarity, tuning_view

    return [
        View("Predictions", predictions.render),
        View("Cost curve", cost_curve.render),
        View("Recommendations", recommendations.render),
        View("Similarity", similarity.render, similarity.PICTURES),
        View("Latent features", latent.render, latent.PICTURES),
        View("Tuning", tuning_view.render),
        View("Teaching", teaching.render),
    ]


VIEWS: list[View] = _views()


def labels() -> list[str]:
    return [v.label for v in VIEWS]


def every_picture() -> list[tuple[str, str | None, str | None]]:
    """(tab, radio key suffix, value) for every picture of every tab, for tests that visit them all."""
    return [
        (v.label, v.pictures.key, value) if v.pictures else (v.label, None, None)
        for v in VIEWS
        for value in (v.pictures.options if v.pictures else [None])
    ]


# ------------------------------------------------------------------------------------- on the page
#: Heatmaps of results larger than this (items x users cells) show a slice of the most active rows/columns.
HEATMAP_MAX_CELLS = 2_500


def display_slice(ratings: Ratings, uid: int) -> tuple[np.ndarray, np.ndarray]:
    """All items and users for small results; for large ones, the most rated / most active (a control)."""
    if ratings.n_items * ratings.n_users <= HEATMAP_MAX_CELLS:
        return np.arange(ratings.n_items), np.arange(ratings.n_users)
    c1, c2, _ = st.columns([1, 1, 2])
    n_items = c1.number_input(
        "Heatmap rows: most rated items",
        2,
        min(ratings.n_items, 300),
        min(50, ratings.n_items),
        10,
        key=f"show_items_{uid}",
    )
    n_users = c2.number_input(
        "Heatmap columns: most active users",
        2,
        min(ratings.n_users, 300),
        min(50, ratings.n_users),
        10,
        key=f"show_users_{uid}",
    )
    items = data.top_positions(ratings.item_counts(), int(n_items))
    users = data.top_positions(ratings.user_counts(), int(n_users))
    return items, users


@st.fragment
def results(ws: state.Workspace) -> None:
    """Slice controls and result tabs. A fragment: switching tabs or picking a user reruns only this part,
    not the grid and the sidebar (whose state it reads but never changes)."""
    result = ws.result
    if result is None:  # the workspace was reset or replaced since the last full run
        return
    item_pos, user_pos = display_slice(result.ratings, ws.uid)
    ctx = ViewContext(result, item_pos, user_pos, key=f"v{ws.uid}")
    tabs = st.tabs([v.label for v in VIEWS], key=state.RESULTS_TAB, on_change="rerun")
    for view, tab in zip(VIEWS, tabs, strict=True):
        if tab.open:
            with tab:
                try:
                    view.render(ctx)
                except Exception as exc:  # one broken view must not take the grid and results with it
                    st.error(f"The {view.label} view failed: {literal.md(repr(exc))}")


def render_results(ws: state.Workspace, current: Ratings | None, params: Params) -> None:
    """The page's Results section: what the last training was, whether it is stale, and the tabs."""
    st.subheader("Results")
    result = ws.result
    if result is None:
        st.info("Press **Train** in the sidebar to fit the model; the results appear here.")
    else:
        stale = []
        if current is not None and result.fingerprint != (
            ws.fingerprint if current is ws.working else data.fingerprint(current)
        ):
            stale.append("the grid has changed since")
        if result.params != params:
            stale.append("the sidebar parameters differ")
        st.caption(f"Model: {result.params.describe()}.")
        if stale:
            st.info(f"These results are from the last training; {' and '.join(stale)}. Press **Train** to update.")
        results(ws)
