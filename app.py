"""CF Lab: the page, top to bottom: sidebar (data, hyperparameters, Train), ratings grid, training, results.

The parts live in :mod:`cf_app`; this file is the router that puts them in order. Run with
``streamlit run app.py``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cf_app import data, engine, grid, sidebar, state, training, tuning
from cf_app.views import VIEWS, ViewContext
from cf_core import Ratings

#: Heatmaps of results larger than this (items x users cells) show a slice of the most active rows/columns.
HEATMAP_MAX_CELLS = 2_500

st.set_page_config(page_title="CF Lab", page_icon="🎬", layout="wide")
state.init()

with st.sidebar:
    request = sidebar.dataset_picker()
    params, train_clicked = sidebar.hyperparameters()
    where = engine.engine_control()

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
def run_training(ratings: Ratings) -> None:
    """Fit with live progress and a Stop button; any click during the fit interrupts it (Streamlit reruns)."""
    fp = ws.fingerprint if ratings is ws.working else data.fingerprint(ratings)
    with st.status(f"Training ({params.describe()})", expanded=True) as status:
        st.button("Stop training", key="stop_training", help="Stops training and keeps the previous results.")
        bar = st.progress(0.0, text="Starting…")
        st.session_state[state.TRAINING] = {"source": ws.source, "iteration": 0}
        progress = training.LiveProgress(bar, st.session_state[state.TRAINING])
        try:
            if where.is_spark:  # Spark's job progress in the same bar; Stop cancels its job group
                result = engine.train_on_spark(ratings, params, fp, where, bar)
            else:
                result = training.train(ratings, params, fp, progress)
        except Exception as exc:  # e.g. a validation share too large for the data: say so, keep results
            st.session_state[state.TRAINING] = None
            status.update(label="Training failed", state="error")
            st.error(f"Training failed: {exc}" if isinstance(exc, ValueError) else f"Training failed ({exc!r}).")
            return
        st.session_state[state.TRAINING] = None
        ws.result = result
        tuning.record_run(
            st.session_state, result.model, validation=result.validation, data_version=result.fingerprint[:8]
        )
        model = result.model
        final = f"final cost {model.cost_history_[-1]:.5g}"
        if result.from_cache:
            label = f"Same data and parameters as an earlier run: result from the cache ({final})"
        else:
            label = f"Trained in {result.seconds:.2f} s: {model.n_iter_} iterations, {final}"
        bar.progress(1.0, text=label)
        status.update(label=label, state="complete", expanded=False)


interrupted = st.session_state[state.TRAINING]
if interrupted:
    st.session_state[state.TRAINING] = None
    kept = "the previous results are kept" if ws.result is not None else "there are no earlier results yet"
    st.warning(f"Training was stopped after iteration {interrupted['iteration']}; {kept}.")

if train_clicked:
    if current is None:
        st.error(f"Cannot train: {ws.edit_error}")
    elif current.n_ratings == 0:
        st.warning("Cannot train on an empty grid: rate at least one item first.")
    else:
        run_training(current)


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
                    st.error(f"The {view.label} view failed: {exc!r}")


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
