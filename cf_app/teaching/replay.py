"""Training replay: the parameters after every iteration, so a slider can step through the fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st

from cf_core import CollaborativeFiltering, Ratings, rmse

from .. import figures
from .common import fit_params, recall, remember

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = ["REPLAY_MAX_CELLS", "REPLAY_MAX_ITER", "replay_limit_reason", "Replay", "record_replay", "render"]


#: Replay only grids a class can read as a heatmap; snapshots are small then too.
REPLAY_MAX_CELLS = 5_000
REPLAY_MAX_ITER = 500


def replay_limit_reason(ratings: Ratings, max_iter: int, normalize: str | None) -> str | None:
    """Why training cannot be replayed for this data and setting, or None when it can."""
    if ratings.n_items * ratings.n_users > REPLAY_MAX_CELLS:
        return (
            f"Training replay keeps a copy of X and Theta at every iteration and draws the whole predicted "
            f"matrix, so it is only offered for small data (at most {REPLAY_MAX_CELLS:,} cells); this data has "
            f"{ratings.n_items:,} x {ratings.n_users:,} cells."
        )
    if max_iter > REPLAY_MAX_ITER:
        return f"Training replay keeps at most {REPLAY_MAX_ITER} iterations; lower the iterations to replay."
    if normalize == "biases":
        return (
            "Training replay rebuilds predictions from X and Theta alone, and the learned biases of "
            "normalize='biases' are not among them: choose mean normalization or none to replay."
        )
    return None


@dataclass(frozen=True)
class Replay:
    """Parameters after every iteration of one fit (iteration 0 = the random start)."""

    iterations: np.ndarray
    costs: np.ndarray
    X: np.ndarray  # (snapshots, items, k)
    Theta: np.ndarray  # (snapshots, users, k)
    offsets: np.ndarray
    ratings: Ratings

    def predicted(self, step: int) -> np.ndarray:
        """The predicted items x users matrix at snapshot ``step``, clipped to the rating scale."""
        lo, hi = self.ratings.rating_scale
        return np.clip(self.X[step] @ self.Theta[step].T + self.offsets[:, None], lo, hi)

    def training_rmse(self, step: int) -> float:
        r = self.ratings
        return rmse(r.values, self.predicted(step)[r.item_idx, r.user_idx])


def record_replay(ratings: Ratings, **params: Any) -> Replay:
    """Fit a model with ``params`` and keep a copy of X and Theta after every iteration (small data only)."""
    reason = replay_limit_reason(ratings, int(params.get("max_iter", 100)), params.get("normalize", "mean"))
    if reason:
        raise ValueError(reason)
    model = CollaborativeFiltering(**params)
    xs: list[np.ndarray] = []
    thetas: list[np.ndarray] = []
    iters: list[int] = []
    costs: list[float] = []
    if isinstance(model.random_state, (int, np.integer)):
        # With a fixed seed, a zero-iteration fit is exactly the starting point the real fit leaves from.
        start = CollaborativeFiltering(**{**params, "max_iter": 0}).fit(ratings)
        xs.append(start.X_)
        thetas.append(start.Theta_)
        iters.append(0)
        costs.append(float(start.cost_history_[0]))

    def keep(progress) -> None:
        xs.append(np.array(progress.X))
        thetas.append(np.array(progress.Theta))
        iters.append(progress.iteration)
        costs.append(progress.cost)

    model.fit(ratings, callback=keep)
    if not iters:
        raise ValueError("training made no iterations to replay (max_iter is 0)")
    return Replay(np.array(iters), np.array(costs), np.stack(xs), np.stack(thetas), model.offsets_, ratings)


def render(ctx: ViewContext) -> None:
    params = fit_params(ctx)
    train = ctx.model.ratings_
    reason = replay_limit_reason(train, params["max_iter"], params["normalize"])
    if reason:
        st.info(reason)
        return
    key = ("replay", ctx.result.fingerprint, ctx.result.params)
    replay = recall(key)
    if replay is None:
        with st.spinner("Recording the parameters after every iteration…"):
            replay = record_replay(train, **params)
        remember(key, replay)
    last = len(replay.iterations) - 1
    step = st.slider(
        "Iteration",
        0,
        last,
        last,
        key=f"{ctx.key}_teach_replay_step",
        help="Drag to watch the factorization converge: iteration 0 is the random start.",
    )
    c = st.columns(3)
    c[0].metric("Iteration", f"{replay.iterations[step]} / {replay.iterations[-1]}")
    c[1].metric("Cost J", f"{replay.costs[step]:.5g}")
    c[2].metric("Training RMSE", f"{replay.training_rmse(step):.4f}")
    st.plotly_chart(figures.replay_figure(replay, step), width="stretch", key=f"{ctx.key}_teach_replay_fig")
    st.caption("Ringed cells are rated: watch their colours approach the ratings while the rest fill in.")
