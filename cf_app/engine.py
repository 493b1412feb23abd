"""The "Engine" control: train locally (default) or on Apache Spark, with Spark's job progress and Stop.

Spark is optional: the control offers it only when pyspark is importable, and otherwise says how to
enable it. A Spark fit goes through :func:`cf_core.spark.fit_spark`, which returns an ordinary fitted
model, so the result joins the same run history and views as a local one. The fit reports Spark's job
progress to this script thread; a Stop click interrupts the next progress update, and ``fit_spark``
then cancels the fit's Spark job group before the rerun.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cf_core import Ratings, train_test_split

from . import state
from .training import Params, TrainResult

__all__ = ["Engine", "engine_control", "train_on_spark", "spark_progress_text"]

ENGINE_KEY = state.ENGINE  # the Local / Spark radio
MASTER_KEY = state.ENGINE_MASTER  # the Spark master URL
DEFAULT_MASTER = "local[*]"
LABELS = {"Local": "local", "Spark": "spark"}


@dataclass(frozen=True)
class Engine:
    """Where a fit runs: ``"local"`` (this process) or ``"spark"`` on ``master``."""

    name: str = "local"
    master: str = DEFAULT_MASTER

    @property
    def is_spark(self) -> bool:
        return self.name == "spark"

    def describe(self) -> str:
        return f"Spark ({self.master})" if self.is_spark else "local"


@st.cache_resource(show_spinner=False)
def _pyspark_missing() -> str | None:
    """Why the Spark engine cannot be offered (checked once per process: the import takes about a second)."""
    from cf_core.spark import spark_unavailable_reason

    return spark_unavailable_reason()


def engine_control(normalize: str | None = None) -> Engine:
    """The sidebar's Engine choice (below the model form; changing it does not retrain).

    ``normalize`` is the sidebar's normalization: Spark's ALS learns no biases, so with learned biases
    chosen the control says what to change before Train is pressed, not only after the fit fails.
    """
    st.subheader("Engine")
    missing = _pyspark_missing()
    if missing:
        st.caption(
            f"Training runs locally. To train on Apache Spark too: `pip install pyspark` and a Java 17+ runtime "
            f"(now: {missing.split(' (')[0]})."
        )
        return Engine()
    choice = st.radio(
        "Engine",
        list(LABELS),
        horizontal=True,
        key=ENGINE_KEY,
        label_visibility="collapsed",
        help="Local: CF Lab's own solvers in this process. Spark: MLlib's ALS on a Spark cluster (or a local one).",
    )
    if LABELS[choice] == "local":
        return Engine()
    master = st.text_input(
        "Spark master URL",
        DEFAULT_MASTER,
        key=MASTER_KEY,
        help="local[*] (all cores of this machine), spark://host:7077, yarn, k8s://... "
        "Spark allows one session per process: a new URL replaces the running session.",
    ).strip()
    st.caption(
        "Spark's ALS minimizes the weighted-λ cost (each row's penalty times its number of ratings), with "
        "item-mean or no normalization; the optimizer setting is not used, and the cost is known only at the end."
    )
    if normalize == "biases":
        st.warning(
            "Spark's ALS learns no biases: set Normalization to Item mean or None to train on Spark "
            "(with Learned biases, Train says so and trains nothing)."
        )
    return Engine("spark", master or DEFAULT_MASTER)


@st.cache_resource(show_spinner=False, max_entries=1)
def _session(master: str):
    """One Spark session for the app process; asking for another master stops the previous one."""
    from pyspark import SparkContext

    from cf_core.spark import spark_session

    # The process's running context, whichever thread made it (getActiveSession is per thread).
    running = SparkContext._active_spark_context
    if running is not None and running.master != master:
        running.stop()
    spark = spark_session(master, **{"spark.ui.showConsoleProgress": "false", "spark.sql.shuffle.partitions": "8"})
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_progress_text(progress, master: str) -> str:
    """'Spark (local[*]) · training · 14 jobs done, 1 running · tasks 71/139 · 12.3 s'."""
    jobs = f"{progress.jobs_done} jobs done" + (f", {progress.jobs_running} running" if progress.jobs_running else "")
    tasks = f" · tasks {progress.tasks_done}/{progress.tasks_total}" if progress.tasks_total else ""
    return f"Spark ({master}) · {progress.phase} · {jobs}{tasks} · {progress.elapsed:.1f} s"


#: Share of the bar each phase starts at (training fills most of it by its tasks).
_PHASE_START = {"reading": 0.02, "indexing": 0.05, "training": 0.1, "collecting": 0.9, "cost": 0.95}


class SparkLiveProgress:
    """Draws Spark's job progress into the training status' bar (a Stop click interrupts it here)."""

    def __init__(self, bar, master: str) -> None:
        self.bar = bar
        self.master = master
        self.shown = 0.0
        self.calls = 0

    def __call__(self, progress) -> None:
        self.calls += 1
        start = _PHASE_START.get(progress.phase, 0.0)
        value = start
        if progress.phase == "training" and progress.tasks_total:
            value = start + 0.8 * progress.tasks_done / progress.tasks_total
        self.shown = max(self.shown, min(value, 0.99))
        self.bar.progress(self.shown, text=spark_progress_text(progress, self.master))


@st.cache_data(max_entries=24, max_size="256MB", show_spinner=False)
def _spark_results(fingerprint: str, params: Params, master: str, _value: TrainResult | None) -> TrainResult:
    """Bounded store of Spark results, apart from the local ones (another engine, another model)."""
    if _value is None:
        raise LookupError(fingerprint)
    return _value


def train_on_spark(ratings: Ratings, params: Params, fingerprint: str, engine: Engine, bar) -> TrainResult:
    """Fit ``ratings`` with Spark's ALS for the sidebar's ``params`` (from the cache when done before)."""
    from cf_core.spark import fit_spark

    try:
        result = _spark_results(fingerprint, params, engine.master, None)
        result.from_cache = True
        result.ratings = ratings
        return result
    except LookupError:
        pass
    bar.progress(0.0, text=f"Starting Spark ({engine.master})… the first start takes a while")
    spark = _session(engine.master)
    model = params.estimator().set_params(method="als", regularization="weighted")
    train, validation = ratings, None
    if params.validation_share > 0:
        train, validation = train_test_split(ratings, params.validation_share, random_state=params.random_state)
    start = time.perf_counter()
    fit_spark(model, train, spark=spark, validation=validation, progress=SparkLiveProgress(bar, engine.master))
    seconds = time.perf_counter() - start
    history = None
    if validation is not None:  # Spark gives one point, the end: the training RMSE beside the validation one
        history = np.array([model._rmse(train)])
    result = TrainResult(model, params, fingerprint, validation, history, seconds)
    _spark_results(fingerprint, params, engine.master, result)
    result.ratings = ratings
    return result
