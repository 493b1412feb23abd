"""Tuning: the session's run history (table, compare two runs, CSV) and a k x lambda sweep.

The logic and figures are in :mod:`cf_app.tuning`; this module lays them out. The sweep's best cell can be
loaded into the sidebar's hyperparameter controls with one click (:func:`cf_app.sidebar.load_hyperparameters`
is the button's callback), and those controls are bound to the URL, so a link shares a setup.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import Ratings, train_test_split

from .. import fit_queue, sidebar, state, tuning
from ..sidebar import LAMBDAS
from . import ViewContext

__all__ = ["render"]

K_CHOICES = list(range(1, 51))
DEFAULT_KS = [2, 5, 10, 20]
DEFAULT_LAMBDAS = [0.1, 1.0, 3.0, 10.0]
#: Fewest held-out ratings a sweep validates on. With 20, one rating's error moves the RMSE by about 5%
#: of itself; with the lecture grid's 3, a single rating decides the winner.
MIN_HOLDOUT = 20


def render(ctx: ViewContext) -> None:
    st.subheader("Run history")
    _history(ctx)
    st.divider()
    st.subheader("Sweep: number of features x lambda")
    _sweep(ctx)
    st.divider()
    st.caption(
        "Shareable settings: the sidebar's hyperparameters are kept in this page's address (its query "
        "parameters), so copying the link from the address bar reproduces this setup for someone else."
    )


# ---------------------------------------------------------------------------------------------- history
def _history(ctx: ViewContext) -> None:
    runs = tuning.run_history(st.session_state)
    if not runs:
        st.info("No runs logged yet in this session: every press of **Train** adds one here.")
        return
    st.dataframe(
        tuning.history_display(runs),
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(format=f) for c, f in tuning.HISTORY_FORMATS.items()},
        placeholder=tuning.MISSING,
        key=f"{ctx.key}_history_table",
    )
    st.caption("Click a column header to sort. The data version is a fingerprint of the ratings each run used.")
    st.download_button(
        "Download history (CSV)",
        tuning.history_csv(runs),
        file_name="cf_lab_runs.csv",
        mime="text/csv",
        key=f"{ctx.key}_history_csv",
    )
    if len(runs) < 2:
        st.caption("Train again with other settings to compare two runs side by side.")
        return
    by_number = {r.run: r for r in runs}
    numbers = list(by_number)
    c1, c2 = st.columns(2)
    a = c1.selectbox(
        "Run A",
        numbers,
        index=len(numbers) - 2,
        format_func=lambda n: by_number[n].label,
        key=f"{ctx.key}_cmp_a",
    )
    b = c2.selectbox(
        "Run B",
        numbers,
        index=len(numbers) - 1,
        format_func=lambda n: by_number[n].label,
        key=f"{ctx.key}_cmp_b",
    )
    run_a, run_b = by_number[a], by_number[b]
    left, right = st.columns([2, 3])
    with left:
        table = tuning.compare_runs(run_a, run_b)
        st.dataframe(
            table,
            column_config={"B - A": st.column_config.NumberColumn(format="%+.4g")},
            placeholder="",
            height=36 * (len(table) + 1),
            key=f"{ctx.key}_compare_table",
        )
        if run_a.data_version != run_b.data_version:
            st.warning("These runs used different data: their costs and RMSEs are not directly comparable.")
    with right:
        st.plotly_chart(tuning.cost_curves_figure([run_a, run_b]), width="stretch", key=f"{ctx.key}_cmp_fig")


# ------------------------------------------------------------------------------------------------ sweep
def _sweep_data(ctx: ViewContext) -> tuple[Ratings, Ratings, str]:
    """Training and validation ratings for the sweep: the trained run's split, or a 20% hold-out."""
    result = ctx.result
    if result.validation is not None:
        return result.train, result.validation, f"the run's {result.params.validation_share:.0%} validation split"
    train, val = train_test_split(ctx.ratings, 0.2, random_state=result.params.random_state)
    return train, val, "a 20% hold-out (set a validation share in the sidebar to use your own split)"


def _holdout_too_small(ctx: ViewContext) -> str | None:
    """Why a sweep on this data would mean nothing, or None: its best cell would be chosen by a handful
    of held-out ratings (the lecture grid holds out 3), i.e. by luck, and then loaded into the controls."""
    _, val, split = _sweep_data(ctx)
    if val.n_ratings >= MIN_HOLDOUT:
        return None
    return (
        f"A sweep here would validate on {val.n_ratings} held-out rating(s) ({split}): which k and lambda "
        f"win on so few is luck, not a finding, so the sweep is not run. It needs at least {MIN_HOLDOUT} "
        f"held-out ratings, about {int(MIN_HOLDOUT / 0.2)} ratings in all at a 20% share (the Movies, small "
        "sample has 250)."
    )


def _sweep(ctx: ViewContext) -> None:
    params = ctx.result.params
    with st.form(f"{ctx.key}_sweep_form", border=False):
        c1, c2, c3 = st.columns([3, 3, 1])
        ks = c1.multiselect("Numbers of features k", K_CHOICES, default=DEFAULT_KS, key=f"{ctx.key}_sweep_k")
        lambdas = c2.multiselect(
            "Lambdas", LAMBDAS, default=DEFAULT_LAMBDAS, format_func=lambda v: f"{v:g}", key=f"{ctx.key}_sweep_lam"
        )
        iters = c3.number_input("Iterations", 1, 1000, 50, key=f"{ctx.key}_sweep_iter")
        bias_lambdas: list[float] = []
        if params.normalize == "biases":
            bias_lambdas = st.multiselect(
                "Bias lambdas (a third dimension; none: the sidebar's)",
                [v for v in LAMBDAS if v > 0],
                default=[],
                format_func=lambda v: f"{v:g}",
                key=f"{ctx.key}_sweep_bias_lam",
                help="Each cell then shows its best bias lambda; the sweep takes this many times longer.",
            )
        submitted = st.form_submit_button("Run sweep", type="primary")
    st.caption(
        f"Each cell is one fit with the sidebar's other settings ({_other_settings(params)}); "
        "validation RMSE is measured on held-out ratings."
    )
    if submitted:
        too_small = _holdout_too_small(ctx)
        if not ks or not lambdas:
            st.error("Pick at least one k and one lambda to sweep.")
        elif too_small:
            st.error(too_small)
        else:
            _run_sweep(ctx, sorted(ks), sorted(lambdas), int(iters), sorted(bias_lambdas))
    stored = st.session_state.get(state.SWEEP)
    if stored is None:
        return
    if stored["fingerprint"] != ctx.result.fingerprint:
        st.info("The last sweep was on other data; run the sweep again for this data.")
        return
    results = stored["results"]
    best = tuning.best_cell(results)
    k, lam = int(best["num_features"]), float(best["lambda_"])
    bias_lam = None if pd.isna(best.get("bias_lambda", np.nan)) else float(best["bias_lambda"])
    bias_text = "" if bias_lam is None else f", bias lambda={bias_lam:g}"
    st.success(
        f"Sweep of {len(results)} fits ({stored['max_iter']} iterations each, {stored['settings']}) on "
        f"{stored['split']} took "
        f"{stored['seconds']:.1f} s. Best: k={k}, lambda={lam:g}{bias_text}, "
        f"validation RMSE {best['validation_rmse']:.4f}."
    )
    if st.button(
        f"Load k={k}, lambda={lam:g}{bias_text} into the controls",
        on_click=sidebar.load_hyperparameters,
        args=(k, lam, bias_lam),
        key=f"{ctx.key}_sweep_load",
        help="Sets the sidebar's k and lambda; press Train to fit with them.",
    ):
        # The results pane is a fragment: its rerun would leave the sidebar showing (and, on the next
        # Train, sending back) the old values. A full rerun redraws the controls with the loaded ones.
        st.rerun()
    left, right = st.columns(2)
    with left:
        st.markdown("**Validation RMSE** (best cell outlined)")
        st.plotly_chart(tuning.sweep_heatmap(results), width="stretch", key=f"{ctx.key}_sweep_heat")
    with right:
        st.markdown("**Validation curves** (solid: validation, dotted: training)")
        st.plotly_chart(tuning.validation_curves(results), width="stretch", key=f"{ctx.key}_sweep_curves")
    with st.expander("Sweep table"):
        st.dataframe(results, hide_index=True)


def _other_settings(params: Any) -> str:
    norm = {"mean": "item mean", None: "no normalization", "biases": "learned biases"}[params.normalize]
    extra = ", weighted by ratings" if params.regularization == "weighted" else ""
    if params.normalize == "biases" and params.bias_lambda is not None:
        extra += f", bias lambda {params.bias_lambda:g}"
    return f"{params.method}, {norm}{extra}, seed {params.random_state}"


def _run_sweep(
    ctx: ViewContext, ks: list[int], lambdas: list[float], iters: int, bias_lambdas: list[float] | None = None
) -> None:
    train, val, split = _sweep_data(ctx)
    total = len(ks) * len(lambdas) * max(len(bias_lambdas or []), 1)
    bar = st.progress(0.0, text=f"Sweep: 0 / {total} fits")
    # A sweep is fits too: it holds one slot of the server's fit queue while its fits run one by one.
    queue = fit_queue.shared_queue()
    try:
        ticket = queue.submit(fit_queue.estimate_fit_bytes(train.n_ratings, train.n_items, train.n_users, max(ks)))
    except fit_queue.FitRefused as exc:
        bar.empty()
        st.error(f"Cannot run the sweep on this server: {exc}")
        return
    try:
        while not queue.wait(ticket, 1.0):
            position = queue.status(ticket)
            if position.state != fit_queue.WAITING:
                bar.empty()
                st.warning("The sweep left the server's fit queue before its turn; run it again.")
                return
            bar.progress(0.0, text=f"Sweep: waiting for a free fit slot, {position.describe()}")  # Stop point
        queue.start(ticket)
        _sweep_in_slot(ctx, train, val, split, ks, lambdas, iters, bias_lambdas, bar, total)
    finally:
        queue.release(ticket, "done")


def _sweep_in_slot(
    ctx: ViewContext,
    train: Ratings,
    val: Ratings,
    split: str,
    ks: list[int],
    lambdas: list[float],
    iters: int,
    bias_lambdas: list[float] | None,
    bar: Any,
    total: int,
) -> None:
    params = ctx.result.params
    start = time.perf_counter()

    def progress(done: int, total: int, row: dict) -> None:
        bar.progress(
            done / total,
            text=f"Sweep: {done} / {total} fits · last k={row['num_features']}, lambda={row['lambda_']:g}: "
            f"validation RMSE {row['validation_rmse']:.4f} · {time.perf_counter() - start:.1f} s",
        )

    results = tuning.run_sweep(
        train,
        ks,
        lambdas,
        validation=val,
        progress=progress,
        max_iter=iters,
        method=params.method,
        normalize=params.normalize,
        random_state=params.random_state,
        regularization=params.regularization,
        **({"bias_lambdas": bias_lambdas} if bias_lambdas else {"bias_lambda": params.bias_lambda}),
    )
    seconds = time.perf_counter() - start
    bar.empty()
    st.session_state[state.SWEEP] = {
        "fingerprint": ctx.result.fingerprint,
        "results": results,
        "seconds": seconds,
        "max_iter": iters,
        "split": split,
        "settings": _other_settings(params),
    }
