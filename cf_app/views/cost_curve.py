"""Cost curve: J per iteration, and training/validation RMSE when part of the data was held out."""

from __future__ import annotations

import streamlit as st

from .. import figures, solver_text
from . import ViewContext, memo


def render(ctx: ViewContext) -> None:
    model, result = ctx.model, ctx.result
    costs = model.cost_history_
    c = st.columns(4)
    c[0].metric("Final cost J", f"{costs[-1]:.5g}")
    c[1].metric("Iterations", f"{model.n_iter_}")
    c[2].metric(
        "Fit time",
        f"{model.fit_time_:.3g} s",
        help="Time spent inside fit, as in the run history (the training status line also counts drawing "
        "the live progress).",
    )
    if result.validation is not None:
        c[3].metric("Validation RMSE", f"{model.validation_history_[-1]:.4f}")
    st.caption(solver_text.in_words(model.message_), help=f"The solver's own words: {model.message_}")
    log_y = st.toggle("Log scale", key=f"{ctx.key}_cost_log", help="Shows the late, small improvements.")
    fig = memo(ctx, ("cost figure", log_y), lambda: figures.cost_figure(costs, log_y=log_y))
    st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_cost_fig")
    if result.validation is not None and result.train_rmse_history is not None:
        history = result.train_rmse_history
        fig = memo(ctx, "rmse figure", lambda: figures.rmse_figure(history, model.validation_history_))
        st.plotly_chart(fig, width="stretch", key=f"{ctx.key}_rmse_fig")
        st.caption(
            f"{result.validation.n_ratings:,} of {ctx.ratings.n_ratings:,} ratings held out "
            f"({result.params.validation_share:.0%}). A validation curve that turns up while the training curve "
            "keeps falling is overfitting: raise lambda or lower k."
        )
    else:
        st.caption("Set a validation share in the sidebar to see training and validation RMSE here.")
