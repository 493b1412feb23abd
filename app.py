"""CF Lab: the page, top to bottom: sidebar (data, hyperparameters, Train), ratings grid, training, results.

The parts live in :mod:`cf_app`; this file is the router that puts them in order. Run with
``streamlit run app.py``.
"""

from __future__ import annotations

import streamlit as st

from cf_app import data, engine, grid, runtime, sidebar, state, training
from cf_app.views import render_results

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
render_results(ws, current, params)
