"""Hyperparameter tuning by hand: the run history, grid sweeps and shareable settings, without Streamlit.

Every training run the dashboard makes is logged as a :class:`RunRecord` (data version, hyperparameters,
final cost, training and validation RMSE, iterations, time), so a person can sort, compare and export
what they tried. Sweeps wrap :func:`cf_core.sweep` and turn its table into a validation-RMSE heatmap and
validation curves with the best cell marked. The views in ``cf_app.views.tuning_view`` only lay these out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cf_core import CollaborativeFiltering, Ratings, check_fitted, rmse, sweep

from . import data
from .state import RUN_HISTORY

__all__ = [
    "RunRecord",
    "data_fingerprint",
    "make_record",
    "record_run",
    "run_history",
    "history_frame",
    "history_csv",
    "history_display",
    "HISTORY_FORMATS",
    "HISTORY_LABELS",
    "compare_runs",
    "cost_curves_figure",
    "run_sweep",
    "best_cell",
    "sweep_heatmap",
    "validation_curves",
]

#: The run history (at ``cf_app.state.RUN_HISTORY``, oldest first) drops its oldest runs past this many,
#: so a long session's memory stays bounded (cost curves are kept).
MAX_RUNS = 200


def data_fingerprint(ratings: Ratings) -> str:
    """A short id of the ratings' content (the dashboard's cache key, shortened): runs on different data differ."""
    return data.fingerprint(ratings)[:8]


@dataclass(frozen=True)
class RunRecord:
    """One training run: what was trained on, with which settings, and how well it did."""

    run: int
    started: str
    data_version: str
    num_features: int
    lambda_: float
    max_iter: int
    normalize: str | None
    method: str
    init: str
    random_state: int | None
    final_cost: float
    train_rmse: float
    validation_rmse: float | None
    n_iter: int
    fit_seconds: float
    cost_history: np.ndarray = field(repr=False, compare=False)
    validation_history: np.ndarray | None = field(default=None, repr=False, compare=False)
    bias_lambda: float | None = None  # None: the biases used lambda
    regularization: str = "l2"

    @property
    def label(self) -> str:
        """How a person names this run in pickers: number and its two main knobs."""
        return f"#{self.run}: k={self.num_features}, lambda={self.lambda_:g} ({self.data_version})"


#: Scalar columns of the history table (everything but the curves), in display order.
HISTORY_COLUMNS = [f.name for f in fields(RunRecord) if f.name not in ("cost_history", "validation_history")]


def make_record(
    model: CollaborativeFiltering,
    run: int,
    *,
    validation: Ratings | None = None,
    data_version: str | None = None,
    started: str | None = None,
) -> RunRecord:
    """A RunRecord from a fitted model (training data = ``model.ratings_``); validation RMSE if given."""
    check_fitted(model, "before recording a run")
    params = model.get_params()
    rs = params["random_state"]
    val_hist = getattr(model, "validation_history_", None)
    return RunRecord(
        run=int(run),
        started=started or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        data_version=data_version or data_fingerprint(model.ratings_),
        num_features=int(params["num_features"]),
        lambda_=float(params["lambda_"]),
        max_iter=int(params["max_iter"]),
        normalize=params["normalize"],
        method=str(params["method"]),
        init=str(params["init"]),
        random_state=int(rs) if isinstance(rs, (int, np.integer)) else None,
        final_cost=float(model.cost_history_[-1]),
        train_rmse=rmse(model.ratings_.values, model.predict_ratings(model.ratings_)),
        validation_rmse=None if validation is None else rmse(validation.values, model.predict_ratings(validation)),
        n_iter=int(model.n_iter_),
        fit_seconds=float(model.fit_time_),
        cost_history=np.array(model.cost_history_),
        validation_history=None if val_hist is None else np.array(val_hist),
        bias_lambda=None if params.get("bias_lambda") is None else float(params["bias_lambda"]),
        regularization=str(params.get("regularization", "l2")),
    )


def run_history(state: Mapping[str, Any]) -> list[RunRecord]:
    """The session's runs, oldest first (empty before the first training)."""
    return list(state.get(RUN_HISTORY, []))


def record_run(
    state: MutableMapping[str, Any],
    model: CollaborativeFiltering,
    *,
    validation: Ratings | None = None,
    data_version: str | None = None,
) -> RunRecord:
    """Log a finished run in ``state`` (``st.session_state`` in the app, any dict in tests) and return it.

    This is the one call the dashboard makes where a training run finishes, cached result or not (the
    result cache is shared by all sessions, so a cache hit can be this person's first run of a setup).
    Pressing Train again on the same data and settings as the latest run logs nothing new: fits are
    seeded, so it would be an identical row.
    """
    history = list(state.get(RUN_HISTORY, []))
    number = history[-1].run + 1 if history else 1
    record = make_record(model, number, validation=validation, data_version=data_version)
    if history and _same_setup(history[-1], record):
        return history[-1]
    history.append(record)
    state[RUN_HISTORY] = history[-MAX_RUNS:]
    return record


def _same_setup(a: RunRecord, b: RunRecord) -> bool:
    keys = ["validation_rmse", *_SETTINGS]
    return all(getattr(a, k) == getattr(b, k) for k in keys) and a.random_state is not None


def history_frame(runs: Iterable[RunRecord]) -> pd.DataFrame:
    """The run history as a table, one row per run (the sortable table and the CSV export)."""
    rows = [{k: v for k, v in asdict(r).items() if k in HISTORY_COLUMNS} for r in runs]
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    frame["validation_rmse"] = frame["validation_rmse"].astype(float)  # None (no validation share) -> NaN
    frame["normalize"] = frame["normalize"].astype(object).where(frame["normalize"].notna(), "none")
    return frame


#: Column headers a person reads, in the order the on-screen history shows them (results before settings, so
#: a narrow screen cuts off the least needed columns). The CSV export keeps the field names.
HISTORY_LABELS = {
    "run": "run",
    "num_features": "k",
    "lambda_": "lambda",
    "normalize": "normalization",
    "method": "optimizer",
    "validation_rmse": "validation RMSE",
    "train_rmse": "training RMSE",
    "final_cost": "final cost",
    "n_iter": "iterations run",
    "fit_seconds": "fit time (s)",
    "max_iter": "iteration limit",
    "random_state": "seed",
    "init": "start",
    "data_version": "data version",
    "started": "started (UTC)",
}
#: Shown in a table cell that has no value (no validation share, no seed), instead of "None".
MISSING = "–"


#: printf-style number formats of the on-screen history's columns, applied by the browser (a pandas Styler
#: formatted every cell on the server on each run of the tab). Empty cells show :data:`MISSING`.
HISTORY_FORMATS = {
    "lambda": "%g",
    "validation RMSE": "%.4f",
    "training RMSE": "%.4f",
    "final cost": "%.5g",
    "fit time (s)": "%.3g",
    "seed": "%d",
}


def history_display(runs: Iterable[RunRecord]) -> pd.DataFrame:
    """The run history as shown on screen: readable headers, results first; numbers stay numbers (sortable),
    to be formatted with :data:`HISTORY_FORMATS`, and a run without a seed has an empty seed, not "None"."""
    frame = history_frame(runs)[list(HISTORY_LABELS)].rename(columns=HISTORY_LABELS)
    frame["seed"] = pd.array([None if v is None or v != v else int(v) for v in frame["seed"]], dtype="Int64")
    return frame


def history_csv(runs: Iterable[RunRecord]) -> bytes:
    """The history table as UTF-8 CSV bytes, ready for a download button."""
    return history_frame(runs).to_csv(index=False).encode("utf-8")


_COMPARED = ["final_cost", "train_rmse", "validation_rmse", "n_iter", "fit_seconds"]
_SETTINGS = [
    "data_version",
    "num_features",
    "lambda_",
    "bias_lambda",
    "regularization",
    "max_iter",
    "normalize",
    "method",
    "init",
    "random_state",
]


def compare_runs(a: RunRecord, b: RunRecord) -> pd.DataFrame:
    """Two runs side by side: settings, then metrics with the change from A to B (negative = B lower)."""
    rows = []
    for name in _SETTINGS + _COMPARED:
        va, vb = getattr(a, name), getattr(b, name)
        delta = None
        if name in _COMPARED and va is not None and vb is not None:
            delta = float(vb) - float(va)
        rows.append({"": HISTORY_LABELS.get(name, name), "run A": va, "run B": vb, "B - A": delta})
    frame = pd.DataFrame(rows).set_index("")
    # Mixed settings (text and numbers) display as text; the delta column stays numeric.
    frame["run A"] = frame["run A"].map(_fmt)
    frame["run B"] = frame["run B"].map(_fmt)
    return frame


def _fmt(v: Any) -> str:
    if v is None:
        return MISSING
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def cost_curves_figure(runs: Iterable[RunRecord]) -> go.Figure:
    """Cost per iteration of each run, overlaid on a log axis (costs span orders of magnitude)."""
    fig = go.Figure()
    for r in runs:
        fig.add_scatter(x=np.arange(len(r.cost_history)), y=r.cost_history, mode="lines", name=r.label)
    fig.update_layout(
        xaxis_title="iteration",
        yaxis_title="cost J",
        yaxis_type="log",
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 30},
    )
    return fig


# ----------------------------------------------------------------------------------------------- sweeps
def run_sweep(
    ratings: Ratings,
    num_features: Iterable[int],
    lambdas: Iterable[float],
    *,
    validation: Ratings | None = None,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    **fit_params: Any,
) -> pd.DataFrame:
    """:func:`cf_core.sweep` with a progress hook that never stops it early (a UI only reports)."""

    def callback(done: int, total: int, row: dict[str, Any]) -> bool:
        if progress is not None:
            progress(done, total, row)
        return False

    return sweep(ratings, num_features, lambdas, validation=validation, callback=callback, **fit_params)


def best_cell(results: pd.DataFrame) -> pd.Series:
    """The sweep row with the lowest validation RMSE (the first such row on ties)."""
    valid = results.dropna(subset=["validation_rmse"])
    if valid.empty:
        raise ValueError("the sweep has no validation RMSE to pick a best cell from")
    return valid.loc[valid["validation_rmse"].idxmin()]


def _lambda_label(lam: float) -> str:
    return f"{lam:g}"


def best_over_bias_lambda(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (k, lambda): the bias lambda with the lowest validation RMSE (all rows if it was not swept)."""
    ordered = results.sort_values("validation_rmse", kind="stable", na_position="last")
    return ordered.drop_duplicates(["num_features", "lambda_"]).sort_index()


def sweep_heatmap(results: pd.DataFrame) -> go.Figure:
    """Validation RMSE over k (rows) and lambda (columns), values written in, the best cell outlined.

    When bias lambda was swept too, each cell shows the RMSE of its best bias lambda.
    """
    results = best_over_bias_lambda(results)
    grid = results.pivot_table(index="num_features", columns="lambda_", values="validation_rmse", aggfunc="first")
    x = [_lambda_label(v) for v in grid.columns]
    y = [str(v) for v in grid.index]
    z = grid.to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=y,
            colorscale="Viridis_r",
            text=np.vectorize(lambda v: "" if np.isnan(v) else f"{v:.4f}")(z),
            texttemplate="%{text}",
            colorbar={"title": "val. RMSE"},
            hovertemplate="k=%{y}<br>lambda=%{x}<br>validation RMSE=%{z:.4f}<extra></extra>",
        )
    )
    best = best_cell(results)
    bx = list(grid.columns).index(best["lambda_"])
    by = list(grid.index).index(best["num_features"])
    fig.add_shape(
        type="rect",
        x0=bx - 0.5,
        x1=bx + 0.5,
        y0=by - 0.5,
        y1=by + 0.5,
        line={"color": "red", "width": 4},
    )
    fig.update_xaxes(type="category", title="lambda")
    fig.update_yaxes(type="category", title="number of features k")
    fig.update_layout(margin={"t": 30})
    return fig


def validation_curves(results: pd.DataFrame) -> go.Figure:
    """RMSE against lambda, one validation line (solid) and training line (dotted) per k; best starred.

    The gap between the two is overfitting, which is what lambda trades off. With bias lambda swept too,
    each point is the best bias lambda for its (k, lambda).
    """
    results = best_over_bias_lambda(results)
    fig = go.Figure()
    log_x = bool((results["lambda_"] > 0).all()) and results["lambda_"].nunique() > 1
    for i, (k, part) in enumerate(results.sort_values("lambda_").groupby("num_features", sort=True)):
        color = _PALETTE[i % len(_PALETTE)]
        fig.add_scatter(
            x=part["lambda_"],
            y=part["validation_rmse"],
            mode="lines+markers",
            name=f"k={k} validation",
            line={"color": color},
        )
        fig.add_scatter(
            x=part["lambda_"],
            y=part["train_rmse"],
            mode="lines",
            name=f"k={k} training",
            line={"color": color, "dash": "dot"},
            opacity=0.6,
        )
    best = best_cell(results)
    fig.add_scatter(
        x=[best["lambda_"]],
        y=[best["validation_rmse"]],
        mode="markers",
        marker={"symbol": "star", "size": 18, "color": "red"},
        name=f"best: k={int(best['num_features'])}, lambda={best['lambda_']:g}",
    )
    fig.update_layout(
        xaxis_title="lambda" + (" (log scale)" if log_x else ""),
        yaxis_title="RMSE",
        xaxis_type="log" if log_x else "linear",
        margin={"t": 30},
    )
    return fig


_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
