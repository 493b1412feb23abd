"""Training from the page: hyperparameters, the server's fit queue, live progress, Stop, and a bounded cache.

A fit reports every iteration through ``cf_core``'s ``callback``; :class:`LiveProgress` turns that into a
progress bar (iteration, cost, elapsed time). Results are cached by (data fingerprint, parameters) with
``st.cache_data``, but the cache is only a *store*: the fit itself runs outside the cached function,
because Streamlit replays elements drawn inside a cached function on a hit and cannot replay ones drawn
into a placeholder made outside it (it raises CacheReplayClosureError). So: look up (a miss raises and
is not cached), fit with live progress, then store.

A fit that is not in the cache goes through the server-wide :mod:`cf_app.fit_queue`: :func:`enqueue` takes
a ticket and keeps the request in session state (:class:`PendingFit`). While it waits, the page is not
blocked: :func:`queue_status` is a fragment that reruns itself every second to show the position (and
is the ticket's heartbeat), and when the turn comes it reruns the page, whose :func:`handle` then fits.

:func:`handle` is the page's whole training step: the warning after an interrupted fit, the Train press
(cache hit, or a place in the queue), and the fit itself when its turn has come.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cf_core import CollaborativeFiltering, Ratings, TrainingProgress, train_test_split
from cf_core.solvers import solver_labels

from . import data, fit_queue, literal, state, tuning

__all__ = [
    "Params",
    "TrainResult",
    "LiveProgress",
    "PendingFit",
    "train",
    "cached_result",
    "fit_pending",
    "enqueue",
    "pending_fit",
    "take_turn",
    "finish",
    "queue_status",
    "handle",
    "run_training",
    "show_trained",
    "NORMALIZATION_LABELS",
    "METHOD_LABELS",
    "REGULARIZATION_LABELS",
]

#: Seconds between two looks at the queue while a session waits (its status line and heartbeat).
QUEUE_POLL_SECONDS = 1.0

#: Sidebar label -> ``normalize`` value.
NORMALIZATION_LABELS: dict[str, str | None] = {
    "Item mean (course)": "mean",
    "None (seed)": None,
    "Learned biases": "biases",
}
#: Sidebar label -> ``method`` value.
METHOD_LABELS: dict[str, str] = solver_labels()
#: Sidebar label -> ``regularization`` value.
REGULARIZATION_LABELS: dict[str, str] = {"Plain (course)": "l2", "Weighted by ratings (ALS-WR)": "weighted"}


@dataclass(frozen=True)
class Params:
    """Everything the sidebar sets for one fit; hashable, so it is part of the cache key."""

    num_features: int = 2
    lambda_: float = 1.0
    max_iter: int = 100
    method: str = "L-BFGS-B"
    normalize: str | None = "mean"
    random_state: int = 0
    validation_share: float = 0.0
    bias_lambda: float | None = None  # None: the same as lambda_
    regularization: str = "l2"

    def estimator(self) -> CollaborativeFiltering:
        return CollaborativeFiltering(
            self.num_features,
            self.lambda_,
            self.max_iter,
            bias_lambda=self.bias_lambda,
            regularization=self.regularization,
            normalize=self.normalize,
            method=self.method,
            random_state=self.random_state,
        )

    def describe(self) -> str:
        norm = {v: k for k, v in NORMALIZATION_LABELS.items()}[self.normalize]
        method = {v: k for k, v in METHOD_LABELS.items()}[self.method]
        val = f", validation {self.validation_share:.0%}" if self.validation_share else ""
        bias = "" if self.bias_lambda is None or self.normalize != "biases" else f", bias lambda={self.bias_lambda:g}"
        weighted = ", weighted by ratings" if self.regularization == "weighted" else ""
        return (
            f"k={self.num_features}, lambda={self.lambda_:g}{weighted}{bias}, {self.max_iter} iterations, {method}, "
            f"normalization: {norm}, seed {self.random_state}{val}"
        )


@dataclass
class TrainResult:
    """A fitted model and what the views need beside it."""

    model: CollaborativeFiltering
    params: Params
    fingerprint: str
    validation: Ratings | None  # held-out ratings (None without a validation share)
    train_rmse_history: np.ndarray | None  # iterations 1..n_iter_, recorded when a validation share is set
    seconds: float
    ratings: Ratings | None = None  # all ratings (training + validation), attached after the cache
    from_cache: bool = False
    #: What the views derived from this result (figures, similarities): see :func:`cf_app.views.memo`.
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def train(self) -> Ratings:
        return self.model.ratings_


class LiveProgress:
    """A ``cf_core`` training callback that draws progress into Streamlit elements made by the caller.

    Updates are throttled (every ``interval`` seconds and on the last iteration): a small fit runs
    hundreds of iterations a second, and each update is a message to the browser. Each update is also
    where a Stop click interrupts the script.
    """

    def __init__(
        self, bar: st.delta_generator.DeltaGenerator, record: dict | None = None, interval: float = 0.15
    ) -> None:
        self.bar = bar
        self.record = record  # e.g. a session-state dict: the last iteration survives an interrupted run
        self.interval = interval
        self.calls = 0
        self.last: TrainingProgress | None = None
        self._shown_at = -np.inf

    def __call__(self, info: TrainingProgress) -> None:
        self.calls += 1
        self.last = info
        if self.record is not None:
            self.record["iteration"] = info.iteration
        now = time.perf_counter()
        if now - self._shown_at >= self.interval or info.iteration >= info.max_iter:
            self._shown_at = now
            self.bar.progress(min(info.iteration / max(info.max_iter, 1), 1.0), text=progress_text(info))


def progress_text(info: TrainingProgress) -> str:
    """'Iteration 12 / 100 · cost 3.2104 · 0.4 s' (plus validation RMSE when there is one)."""
    text = f"Iteration {info.iteration} / {info.max_iter} · cost {info.cost:.5g} · {info.elapsed:.1f} s"
    if info.validation_rmse is not None:
        text += f" · validation RMSE {info.validation_rmse:.4f}"
    return text


class _NotCached(LookupError):
    """Raised by the cache lookup on a miss; exceptions are never cached."""


@st.cache_data(max_entries=24, max_size="256MB", show_spinner=False)
def _result_store(fingerprint: str, params: Params, _value: TrainResult | None) -> TrainResult:
    """Bounded store of results keyed by (data fingerprint, params): returns ``_value``, or raises on a miss."""
    if _value is None:
        raise _NotCached(fingerprint)
    return _value


def _fit(
    ratings: Ratings, params: Params, fingerprint: str, callback: Callable[[TrainingProgress], None]
) -> TrainResult:
    model = params.estimator()
    validation = None
    train = ratings
    train_rmse: list[float] = []
    if params.validation_share > 0:
        train, validation = train_test_split(ratings, params.validation_share, random_state=params.random_state)

        def with_train_rmse(info: TrainingProgress) -> None:
            # With validation data every progress report carries the training RMSE of the same iteration.
            train_rmse.append(float(info.train_rmse))
            callback(info)

        fit_callback: Callable[[TrainingProgress], None] = with_train_rmse
    else:
        fit_callback = callback
    start = time.perf_counter()
    model.fit(train, callback=fit_callback, validation=validation)
    seconds = time.perf_counter() - start
    history = np.array(train_rmse) if validation is not None else None
    return TrainResult(model, params, fingerprint, validation, history, seconds)


def cached_result(ratings: Ratings, params: Params, fingerprint: str) -> TrainResult | None:
    """The stored result of this exact fit (same data and parameters), or None."""
    try:
        result = _result_store(fingerprint, params, None)
    except _NotCached:
        return None
    result.from_cache = True
    result.ratings = ratings
    return result


def train(
    ratings: Ratings, params: Params, fingerprint: str, progress: Callable[[TrainingProgress], None]
) -> TrainResult:
    """The result for ``ratings`` and ``params``: from the cache when this exact fit was done before.

    ``progress`` sees every iteration of a real fit and nothing on a cache hit (``from_cache`` says which).
    This is the direct path, without the server's queue (scripts and tests); the page uses :func:`enqueue`.
    """
    result = cached_result(ratings, params, fingerprint)
    if result is None:
        result = _fit(ratings, params, fingerprint, progress)
        _result_store(fingerprint, params, result)
        result.ratings = ratings
    return result


# ------------------------------------------------------------------------------------- the server's queue
@dataclass
class PendingFit:
    """A Train press waiting for (or holding) a slot in the server's queue: what to fit, for which dataset."""

    ticket: fit_queue.Ticket
    ratings: Ratings
    params: Params
    fingerprint: str
    source: str  # the workspace the result belongs to
    title: str
    engine: Any = None  # where it runs: a cf_app.engine.Engine (None: this process)


def fit_cost(ratings: Ratings, params: Params) -> int:
    """Estimated bytes the fit allocates (see :func:`cf_app.fit_queue.estimate_fit_bytes`)."""
    return fit_queue.estimate_fit_bytes(ratings.n_ratings, ratings.n_items, ratings.n_users, params.num_features)


def _session_alive() -> Callable[[], bool] | None:
    """A check that this browser session is still connected (None outside a Streamlit server, e.g. AppTest)."""
    ctx = get_script_run_ctx()
    if ctx is None or not st.runtime.exists():
        return None
    runtime, session_id = st.runtime.get_instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)


def pending_fit() -> PendingFit | None:
    """This session's fit request: waiting, admitted, running, or cancelled and not yet reported.

    A fit that has run to its end is no request any more. The run that ended it forgets it (:func:`finish`),
    but a run stopped by a click does so in its own thread, and with Streamlit's fast reruns that write can
    miss the run the click started; left in place, that run took it for a queued place that was "cancelled"
    and reran, hiding "Training was stopped" (about one Stop in eight in Chromium).
    """
    pending = st.session_state.get(state.QUEUED)
    if pending is not None and pending.ticket.state == fit_queue.DONE:
        st.session_state[state.QUEUED] = None
        return None
    return pending


def enqueue(
    ratings: Ratings, params: Params, fingerprint: str, source: str, title: str, engine: Any = None
) -> PendingFit:
    """Queue a fit of ``ratings`` with ``params`` for this session; raises FitRefused over the memory budget.

    Pressing Train again while queued changes what will be fitted and keeps the place in the line.
    """
    queue = fit_queue.shared_queue()
    cost = fit_cost(ratings, params)
    old = pending_fit()
    if old is not None and old.ticket.state in (fit_queue.WAITING, fit_queue.ADMITTED):
        try:
            queue.resize(old.ticket, cost)
        except fit_queue.FitRefused:
            finish(old, reason="replaced")
            raise
        ticket = old.ticket
    else:
        if old is not None:
            finish(old, reason="replaced")
        ticket = queue.submit(cost, alive=_session_alive())
    pending = PendingFit(ticket, ratings, params, fingerprint, source, title, engine)
    st.session_state[state.QUEUED] = pending
    return pending


def take_turn(pending: PendingFit) -> bool:
    """Start the fit if its turn has come (the slot is then held until :func:`finish`)."""
    queue = fit_queue.shared_queue()
    if queue.status(pending.ticket).state != fit_queue.ADMITTED:
        return False
    queue.start(pending.ticket)
    return True


def finish(pending: PendingFit, reason: str = "left") -> None:
    """Free the slot (or the place in the line) and forget the request. Safe to call more than once."""
    fit_queue.shared_queue().release(pending.ticket, reason)
    if st.session_state.get(state.QUEUED) is pending:
        st.session_state[state.QUEUED] = None


def fit_pending(pending: PendingFit, progress: Callable[[TrainingProgress], None]) -> TrainResult:
    """Fit a request whose turn has come (:func:`take_turn`), and store the result in the cache."""
    result = _fit(pending.ratings, pending.params, pending.fingerprint, progress)
    _result_store(pending.fingerprint, pending.params, result)
    result.ratings = pending.ratings
    return result


def queued_seconds(pending: PendingFit) -> float:
    """How long the fit waited for its slot (0 when it started at once)."""
    t = pending.ticket
    if t.started_at is None or t.admitted_at is None or t.admitted_at - t.queued_at < 0.05:  # admitted on arrival
        return 0.0
    return t.started_at - t.queued_at


def _leave_queue() -> None:
    pending = pending_fit()
    if pending is not None:
        finish(pending, reason="left")
        state.notify("info", "You left the queue; nothing was trained. Press **Train** to queue again.")


_CANCELLED_BECAUSE = {
    "gone": "this page was disconnected from the server",
    "stale": "this page stopped answering the server for a while",
    "replaced": "a newer Train press replaced it",
}


@st.fragment(run_every=QUEUE_POLL_SECONDS)
def queue_status() -> None:
    """The queued fit's status line and Stop button; reruns itself every second until the turn comes.

    A fragment, so waiting blocks nothing: the grid, the sidebar and the results stay usable, and a rerun
    of the page (an edit, a tab) keeps the place in the line.
    """
    pending = pending_fit()
    if pending is None:  # left the queue (Stop) in this fragment's run: redraw the page without the status
        st.rerun(scope="app")
    position = fit_queue.shared_queue().status(pending.ticket)
    if position.state == fit_queue.ADMITTED:
        st.rerun(scope="app")  # the page's handle() starts the fit
    if position.state != fit_queue.WAITING:
        st.session_state[state.QUEUED] = None
        why = _CANCELLED_BECAUSE.get(position.reason or "", "it was cancelled")
        state.notify("warning", f"Your queued fit left the queue because {why}. Press **Train** to queue again.")
        st.rerun(scope="app")
    with st.status(f"Queued: {position.describe()}", state="running", expanded=True):
        st.write(
            f"Waiting {position.waited:.0f} s. Your fit ({pending.params.describe()}) starts by itself when its "
            "turn comes; meanwhile you can edit the grid and look at results. It trains the grid as it was when "
            "you pressed Train: press **Train** again to queue the current grid and settings instead, keeping "
            "your place."
        )
        st.button("Stop: leave the queue", key=state.LEAVE_QUEUE, on_click=_leave_queue)


# ---------------------------------------------------------------------------------------- on the page
def show_trained(result: TrainResult, target: state.Workspace, on_screen: state.Workspace) -> None:
    """Give ``target`` its new result and log the run; say so when the person has switched datasets since."""
    target.result = result
    tuning.record_run(st.session_state, result.model, validation=result.validation, data_version=result.fingerprint[:8])
    if target is not on_screen:  # the person switched datasets while this fit waited in the queue
        st.info("This fit was queued for another dataset of this session; switch back to it to see the results.")


def run_training(pending: PendingFit, ws: state.Workspace) -> None:
    """Fit with live progress and a Stop button, holding a slot of the server's queue until it ends.

    Any click during the fit interrupts it (Streamlit reruns); the slot is freed however the fit ends.
    """
    from . import engine  # engine imports this module

    target = state.workspaces().get(pending.source)
    running = {"source": pending.source, "iteration": 0}  # this run's mark; the next run reads it after a Stop
    try:
        with st.status(f"Training ({pending.params.describe()})", expanded=True) as status:
            st.button("Stop training", key=state.STOP_TRAINING, help="Stops training and keeps the previous results.")
            bar = st.progress(0.0, text="Starting…")
            st.session_state[state.TRAINING] = running
            progress = LiveProgress(bar, running)
            try:
                if pending.engine is not None and pending.engine.is_spark:  # Spark's job progress; Stop cancels
                    result = engine.train_on_spark(
                        pending.ratings, pending.params, pending.fingerprint, pending.engine, bar
                    )
                else:
                    result = fit_pending(pending, progress)
            except Exception as exc:  # e.g. a validation share too large for the data: say so, keep results
                _clear_mark(running)
                status.update(label="Training failed", state="error")
                why = f"Training failed: {exc}" if isinstance(exc, ValueError) else f"Training failed ({exc!r})."
                st.error(literal.md(why))
                return
            if not _clear_mark(running):  # stopped at the very end: the next run has said so; keep what was
                return
            waited = queued_seconds(pending)
            queued = f" after {waited:.1f} s in the queue" if waited > 0 else ""
            model = result.model
            final = f"{model.n_iter_} iterations, final cost {model.cost_history_[-1]:.5g}"
            label = f"Trained in {result.seconds:.2f} s{queued}: {final}"
            if result.from_cache:  # a Spark fit done before (local ones are looked up before queueing)
                label = f"Same data and parameters as an earlier run: result from the cache ({final})"
            if target is not None:
                show_trained(result, target, ws)
            bar.progress(1.0, text=label)
            status.update(label=label, state="complete", expanded=False)
    finally:  # done, failed, or interrupted by a click: the next fit in the server's queue may start
        finish(pending, reason="done")


def _clear_mark(running: dict) -> bool:
    """Take this run's training mark off the session; False when a newer run took it already (a Stop)."""
    if st.session_state.get(state.TRAINING) is not running:
        return False
    st.session_state[state.TRAINING] = None
    return True


def _after_stop(ws: state.Workspace) -> None:
    """The run after a Stop click: say so, and free the stopped fit's slot.

    With Streamlit's fast reruns this run starts while the stopped one may still be unwinding in its own
    thread (a Spark fit cancels its jobs first), so the slot is freed here rather than left to that
    thread's ``finally``; the stopped run sees its mark gone and stores nothing.
    """
    interrupted = st.session_state[state.TRAINING]
    st.session_state[state.TRAINING] = None
    stopped = pending_fit()
    if stopped is not None and stopped.ticket.state == fit_queue.RUNNING:  # its thread has not freed it yet
        finish(stopped, reason="done")
    kept = "the previous results are kept" if ws.result is not None else "there are no earlier results yet"
    st.warning(f"Training was stopped after iteration {interrupted['iteration']}; {kept}.")


def handle(train_clicked: bool, current: Ratings | None, params: Params, where: Any, ws: state.Workspace) -> None:
    """The page's training step, between the grid and the results.

    ``current`` is the grid as edited (None while a cell is invalid), ``where`` the engine control's choice
    (a :class:`cf_app.engine.Engine`), ``ws`` the workspace on screen.
    """
    if st.session_state[state.TRAINING]:
        _after_stop(ws)

    if train_clicked:
        if current is None:
            st.error(f"Cannot train: {literal.md(ws.edit_error)}")
        elif current.n_ratings == 0:
            st.warning("Cannot train on an empty grid: rate at least one item first.")
        else:
            fp = ws.fingerprint if current is ws.working else data.fingerprint(current)
            # A local result is no Spark result (another engine, another model): Spark has its own cache.
            cached = None if where.is_spark else cached_result(current, params, fp)
            if cached is not None:  # no fit needed, so no queue either
                if (earlier := pending_fit()) is not None:
                    finish(earlier, reason="replaced")
                final = f"final cost {cached.model.cost_history_[-1]:.5g}"
                show_trained(cached, ws, ws)
                st.success(f"Same data and parameters as an earlier run: result from the cache ({final})")
            else:
                try:
                    enqueue(current, params, fp, ws.source, ws.title, engine=where)
                except fit_queue.FitRefused as exc:
                    st.error(f"Cannot train on this server: {exc}")

    if (pending := pending_fit()) is not None:
        if take_turn(pending):
            run_training(pending, ws)
        else:
            queue_status()
