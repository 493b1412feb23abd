"""Gradient check: the formula's gradient against central differences, one parameter at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import CollaborativeFiltering, GradientCheck, Ratings, check_fitted, check_gradient

from .common import recall, remember

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = ["GRADIENT_CRITERION", "FULL_CHECK_MAX_PARAMS", "AUTO_N_CHECKS", "suggested_eps", "gradient_check", "render"]


GRADIENT_CRITERION = 1e-9  # the course's threshold on the relative difference
#: Above this many parameters only AUTO_N_CHECKS sampled coordinates are checked (two cost evaluations each).
FULL_CHECK_MAX_PARAMS = 2_000
AUTO_N_CHECKS = 100


def suggested_eps(n_ratings: int) -> float:
    """The course's step 1e-4 on small data; 1e-2 on large data.

    J is a quadratic function of any single parameter, so a central difference has no truncation error
    whatever the step; what remains is rounding in J(p+eps) - J(p-eps), which grows with |J| / eps. On
    tens of thousands of ratings |J| is large enough that 1e-4 alone lands near 1e-9.
    """
    return 1e-4 if n_ratings <= 10_000 else 1e-2


def gradient_check(
    model: CollaborativeFiltering,
    *,
    at: str = "random",
    eps: float | None = None,
    n_checks: int | None = None,
    random_state: int = 0,
) -> GradientCheck:
    """:func:`cf_core.check_gradient` on the model's data, k and lambda.

    ``at="random"`` checks at random parameters, as the course does: at a trained optimum the gradient is
    nearly zero and the ratio mostly measures rounding. ``at="trained"`` checks at the fitted X and Theta.
    The targets are the values the model trains on (ratings minus item means or the global mean), the
    penalty is the model's (bias lambda, weighted rows), learned biases are checked with X and Theta, and
    ``n_checks`` defaults to sampling :data:`AUTO_N_CHECKS` coordinates on large models.
    """
    check_fitted(model)
    if at not in ("random", "trained"):
        raise ValueError(f"at must be 'random' or 'trained', got {at!r}")
    r = model.ratings_
    shifted = Ratings(r.item_idx, r.user_idx, r.values - model.offsets_[r.item_idx], r.items, r.users)
    biased = model.normalize == "biases"
    if at == "random":
        rng = np.random.default_rng(random_state)
        X = rng.normal(0.0, 1.0, model.X_.shape)
        Theta = rng.normal(0.0, 1.0, model.Theta_.shape)
        biases = {"b": rng.normal(0.0, 1.0, r.n_items), "c": rng.normal(0.0, 1.0, r.n_users)} if biased else {}
    else:
        X, Theta = model.X_, model.Theta_
        biases = {"b": model.item_bias_, "c": model.user_bias_} if biased else {}
    n_params = X.size + Theta.size + sum(v.size for v in biases.values())
    if n_checks is None and n_params > FULL_CHECK_MAX_PARAMS:
        n_checks = AUTO_N_CHECKS
    return check_gradient(
        X,
        Theta,
        shifted,
        model.lambda_,
        bias_lambda=model.bias_lambda,
        regularization=model.regularization,
        eps=suggested_eps(r.n_ratings) if eps is None else eps,
        n_checks=n_checks,
        random_state=random_state,
        **biases,
    )


def render(ctx: ViewContext) -> None:
    model, r = ctx.model, ctx.model.ratings_
    n_params = model.X_.size + model.Theta_.size + (r.n_items + r.n_users if model.normalize == "biases" else 0)
    st.markdown(
        "The numerical gradient, (J(p + eps) - J(p - eps)) / (2 eps) for one parameter p at a time, should match "
        "the formula's gradient. The course's criterion: a relative difference "
        r"$\lVert num - ana\rVert \,/\, \lVert num + ana\rVert$ below $10^{-9}$."
    )
    c1, c2, c3 = st.columns(3)
    at = c1.radio(
        "Check at",
        ["random", "trained"],
        format_func={"random": "random parameters (as the course)", "trained": "the trained X and Theta"}.get,
        key=f"{ctx.key}_teach_gc_at",
        help="At the trained optimum the gradient is nearly zero, so the ratio mostly measures rounding.",
    )
    eps_options = sorted({1e-4, 1e-3, 1e-2, suggested_eps(r.n_ratings)})
    eps = c2.select_slider(
        "Step eps",
        eps_options,
        value=suggested_eps(r.n_ratings),
        format_func=lambda v: f"{v:g}",
        key=f"{ctx.key}_teach_gc_eps",
        help="J is quadratic in any one parameter, so the central difference is exact up to rounding; on large "
        "data |J| is large and a bigger step keeps the rounding small.",
    )
    sampled = n_params > FULL_CHECK_MAX_PARAMS
    c3.metric("Parameters", f"{n_params:,}")
    c3.caption(
        f"Checks {AUTO_N_CHECKS} randomly sampled coordinates (each costs two cost evaluations)."
        if sampled
        else "Checks every coordinate."
    )
    key = ("gradient", ctx.result.fingerprint, ctx.result.params, at, eps)
    if st.button("Run gradient check", type="primary", key=f"{ctx.key}_teach_gc_run"):
        with st.spinner("Checking the gradient…"):
            remember(key, gradient_check(model, at=at, eps=eps))
    result = recall(key)
    if result is None:
        return
    passed = result.passed(GRADIENT_CRITERION)
    message = (
        f"Relative difference {result.relative_difference:.3e} over {len(result.coordinates):,} coordinates: "
        f"{'below' if passed else 'above'} the 1e-9 criterion."
    )
    (st.success if passed else st.warning)(message)
    if not passed and at == "trained":
        st.caption("At the optimum both gradients are tiny, so rounding dominates: try random parameters.")
    shown = min(len(result.coordinates), 12)
    st.dataframe(
        pd.DataFrame(
            {
                "parameter": [_param_name(model, p) for p in result.coordinates[:shown]],
                "numerical": result.numerical[:shown],
                "analytical": result.analytical[:shown],
                "difference": result.numerical[:shown] - result.analytical[:shown],
            }
        ),
        hide_index=True,
        column_config={
            "numerical": st.column_config.NumberColumn(format="%.9g"),
            "analytical": st.column_config.NumberColumn(format="%.9g"),
            "difference": st.column_config.NumberColumn(format="%.2e"),
        },
    )


def _param_name(model: Any, p: int) -> str:
    k = model.num_features
    n_x = model.X_.size
    if p < n_x:
        return f"x[{model.ratings_.items[p // k]}][{p % k + 1}]"
    q = p - n_x
    if q < model.Theta_.size:
        return f"theta[{model.ratings_.users[q // k]}][{q % k + 1}]"
    q -= model.Theta_.size  # learned biases follow X and Theta
    n_items = model.ratings_.n_items
    return f"b[{model.ratings_.items[q]}]" if q < n_items else f"c[{model.ratings_.users[q - n_items]}]"
