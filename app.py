"""CF Lab: the page, top to bottom: sidebar (data, hyperparameters, Train), ratings grid, training, results.

The parts live in :mod:`cf_app`; this file is the router that puts them in order. Run with
``streamlit run app.py``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cf_app import data, engine, grid, literal, runtime, sidebar, state, training
from cf_app.views import VIEWS, ViewContext
from cf_core import Ratings

#: Heatmaps of results larger than this (items x users cells) show a slice of the most active rows/columns.
HEATMAP_MAX_CELLS = 2_500

runtime.configure_process()  # BLAS threads, once per server process (cf_core leaves them to the app)
st.set_page_config(page_title="CF Lab", page_icon="🎬", layout="wide")
state.init()

with st.sidebar:
    request = sidebar.dataset_picker()
    params, train_clicked = sidebar.hyperparameters()
    where = engine.engine_control(params.normalize)

st.title("CF Lab")
st.caption("Collaborative filtering you can see: Y ≈ X Θᵀ, learned from the rated cells only.")
for kind, text in state.pop_notices():
    getattr(st, kind)(text)

ws = state.active()
if ws is None:  # first run of this session: open what the picker shows (the first sample)
    if request is not None and request.ratings is not None:
        ws = state.open_workspace(request.source, request.title, request.ratings)
    else:
        ws = state.open_workspace("blank:5x4:0-5", "Blank 5 x 4 grid", data.blank_ratings(5, 4, (0.0, 5.0)))
    request = None

# ----------------------------------------------------------------------------------------- the grid
current = grid.render(ws)

if request is not None and (request.source != ws.source or request.replace):
    if current is None:
        st.error("Fix the invalid cell(s) before opening another dataset: this grid is kept as typed.")
    else:
        ws.commit(current)  # the edits on screen, before this editor goes away
        state.open_workspace(request.source, request.title, request.ratings, replace=request.replace)
        st.rerun()


# ------------------------------------------------------------------------------------------ training
training.handle(train_clicked, current, params, where, ws)


# ------------------------------------------------------------------------------------------- results
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
