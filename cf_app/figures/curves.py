"""Curves over the iterations of a fit: the cost, and training vs validation RMSE."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import AXIS_TITLE_PX, NUMERIC_AXIS_BELOW_PX, reserve_margins, text_px

__all__ = ["cost_figure", "rmse_figure"]


def cost_figure(costs: np.ndarray, *, log_y: bool = False) -> go.Figure:
    """Cost J per iteration (iteration 0 = the starting parameters)."""
    costs = np.asarray(costs, dtype=float)
    fig = go.Figure(
        go.Scatter(
            x=np.arange(len(costs)),
            y=costs,
            mode="lines+markers" if len(costs) <= 60 else "lines",
            name="cost J",
            hovertemplate="iteration %{x}<br>J = %{y:.6g}<extra></extra>",
        )
    )
    fig.update_layout(
        title="Cost per iteration",
        xaxis_title="iteration",
        yaxis_title="cost J" + (" (log scale)" if log_y else ""),
        yaxis_type="log" if log_y else "linear",
        height=380,
    )
    # Tick labels such as "150k" or "1.5M": six characters hold them (see reserve_margins).
    return reserve_margins(fig, left=text_px(["-1.55M"]) + AXIS_TITLE_PX, bottom=NUMERIC_AXIS_BELOW_PX)


def rmse_figure(train_rmse: np.ndarray, validation_rmse: np.ndarray) -> go.Figure:
    """Training and validation RMSE per iteration; ``validation_rmse[0]`` is the starting point,
    ``train_rmse`` covers iterations 1..n (it is recorded as training goes)."""
    train_rmse = np.asarray(train_rmse, dtype=float)
    validation_rmse = np.asarray(validation_rmse, dtype=float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.arange(1, len(train_rmse) + 1), y=train_rmse, mode="lines", name="training RMSE"))
    fig.add_trace(
        go.Scatter(x=np.arange(len(validation_rmse)), y=validation_rmse, mode="lines", name="validation RMSE")
    )
    fig.update_layout(
        title="RMSE per iteration",
        xaxis_title="iteration",
        yaxis_title="RMSE",
        height=380,
        hovermode="x unified",
    )
    return reserve_margins(
        fig,
        left=text_px(["0.0001"]) + AXIS_TITLE_PX,
        right=text_px(["validation RMSE"]) + 45,  # the legend
        bottom=NUMERIC_AXIS_BELOW_PX,
    )
