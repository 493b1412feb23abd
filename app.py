"""CF Lab: the page, top to bottom: sidebar (data, hyperparameters, Train), ratings grid, training, results.

The parts live in :mod:`cf_app`; this file is the router that puts them in order. Run with
``streamlit run app.py``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cf_app import data, engine, fit_queue, grid, literal, runtime, sidebar, state, training, tuning
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
def show_trained(result: training.TrainResult, target: state.Workspace) -> None:
    target.result = result
    tuning.record_run(st.session_state, result.model, validation=result.validation, data_version=result.fingerprint[:8])
    if target is not ws:  # the person switched datasets while this fit waited in the queue
        st.info("This fit was queued for another dataset of this session; switch back to it to see the results.")


def run_training(pending: training.PendingFit) -> None:
    """Fit with live progress and a Stop button, holding a slot of the server's queue until it ends.

    Any click during the fit interrupts it (Streamlit reruns); the slot is freed however the fit ends.
    """
    target = state.workspaces().get(pending.source)
    try:
        with st.status(f"Training ({pending.params.describe()})", expanded=True) as status:
            st.button("Stop training", key="stop_training", help="Stops training and keeps the previous results.")
            bar = st.progress(0.0, text="Starting…")
            st.session_state[state.TRAINING] = {"source": pending.source, "iteration": 0}
            progress = training.LiveProgress(bar, st.session_state[state.TRAINING])
            try:
                if pending.engine is not None and pending.engine.is_spark:  # Spark's job progress; Stop cancels
                    result = engine.train_on_spark(
                        pending.ratings, pending.params, pending.fingerprint, pending.engine, bar
                    )
                else:
                    result = training.fit_pending(pending, progress)
            except Exception as exc:  # e.g. a validation share too large for the data: say so, keep results
                st.session_state[state.TRAINING] = None
                status.update(label="Training failed", state="error")
                why = f"Training failed: {exc}" if isinstance(exc, ValueError) else f"Training failed ({exc!r})."
                st.error(literal.md(why))
                return
            st.session_state[state.TRAINING] = None
            waited = training.queued_seconds(pending)
            queued = f" after {waited:.1f} s in the queue" if waited > 0 else ""
            model = result.model
            final = f"{model.n_iter_} iterations, final cost {model.cost_history_[-1]:.5g}"
            label = f"Trained in {result.seconds:.2f} s{queued}: {final}"
            if result.from_cache:  # a Spark fit done before (local ones are looked up before queueing)
                label = f"Same data and parameters as an earlier run: result from the cache ({final})"
            if target is not None:
                show_trained(result, target)
            bar.progress(1.0, text=label)
            status.update(label=label, state="complete", expanded=False)
    finally:  # done, failed, or interrupted by a click: the next fit in the server's queue may start
        training.finish(pending, reason="done")


interrupted = st.session_state[state.TRAINING]
if interrupted:
    st.session_state[state.TRAINING] = None
    kept = "the previous results are kept" if ws.result is not None else "there are no earlier results yet"
    st.warning(f"Training was stopped after iteration {interrupted['iteration']}; {kept}.")

if train_clicked:
    if current is None:
        st.error(f"Cannot train: {literal.md(ws.edit_error)}")
    elif current.n_ratings == 0:
        st.warning("Cannot train on an empty grid: rate at least one item first.")
    else:
        fp = ws.fingerprint if current is ws.working else data.fingerprint(current)
        # A local result is no Spark result (another engine, another model): Spark has its own cache.
        cached = None if where.is_spark else training.cached_result(current, params, fp)
        if cached is not None:  # no fit needed, so no queue either
            if (earlier := training.pending_fit()) is not None:
                training.finish(earlier, reason="replaced")
            final = f"final cost {cached.model.cost_history_[-1]:.5g}"
            show_trained(cached, ws)
            st.success(f"Same data and parameters as an earlier run: result from the cache ({final})")
        else:
            try:
                training.enqueue(current, params, fp, ws.source, ws.title, engine=where)
            except fit_queue.FitRefused as exc:
                st.error(f"Cannot train on this server: {exc}")

if (pending := training.pending_fit()) is not None:
    if training.take_turn(pending):
        run_training(pending)
    else:
        training.queue_status()


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
