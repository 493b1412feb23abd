"""Teaching: the model's math with live numbers, and experiments that show why it behaves as it does.

A topic picker keeps the tab light: only the chosen topic runs (two of them train extra models). Numbers,
tables and figures come from :mod:`cf_app.teaching`; this module lays them out and keeps results of the
button-driven experiments in session state so they survive reruns.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import Ratings

from .. import data, evidence, literal, teaching
from . import ViewContext

__all__ = ["render", "TOPICS", "RESULTS_KEY"]

TOPICS = [
    "The math, live",
    "Gradient check",
    "Training replay",
    "Mean normalization",
    "Item mean vs biases",
    "Rate it yourself",
    "Dot product vs cosine",
]
#: Session-state key of a dict holding the experiments' results, keyed by (topic, data, settings).
RESULTS_KEY = "teaching_results"
#: Pickers list at most this many items or users (the most rated first) on large data.
MAX_OPTIONS = 200


def render(ctx: ViewContext) -> None:
    topic = st.radio("Topic", TOPICS, horizontal=True, key=f"{ctx.key}_teach_topic")
    {
        "The math, live": _math,
        "Gradient check": _gradient_check,
        "Training replay": _replay,
        "Mean normalization": _normalization,
        "Item mean vs biases": _mean_vs_biases,
        "Rate it yourself": _rate_yourself,
        "Dot product vs cosine": _dot_vs_cosine,
    }[topic](ctx)


# ---------------------------------------------------------------------------------------------- helpers
def _fit_params(ctx: ViewContext) -> dict[str, Any]:
    """The trained model's constructor arguments, to fit more models exactly like it."""
    return ctx.model.get_params()


def _stored(key: tuple) -> Any:
    return st.session_state.setdefault(RESULTS_KEY, {}).get(key)


def _store(key: tuple, value: Any) -> None:
    results = st.session_state.setdefault(RESULTS_KEY, {})
    if len(results) > 20:  # keep only recent experiments: each may hold a model
        results.pop(next(iter(results)))
    results[key] = value


def _positions(labels: pd.Index, counts: np.ndarray) -> np.ndarray:
    """Positions for a picker: all in data order when few, else the most rated first (capped)."""
    if len(labels) <= MAX_OPTIONS:
        return np.arange(len(labels))
    return data.top_positions(counts, MAX_OPTIONS)


def _pick(label: str, labels: pd.Index, counts: np.ndarray, key: str, **kwargs: Any) -> int:
    options = _positions(labels, counts)
    return int(
        st.selectbox(label, options, format_func=lambda p: f"{labels[p]} ({counts[p]} ratings)", key=key, **kwargs)
    )


# --------------------------------------------------------------------------------------------- the math
def _math(ctx: ViewContext) -> None:
    model, r = ctx.model, ctx.model.ratings_
    cm = teaching.current_math(model)
    norm_note = {
        "mean": "Here y is each rating minus its item's mean (mean normalization), as the model was trained.",
        None: "Here y is the raw rating (no normalization).",
        "biases": "Here y is the rating minus the global mean, and the model also learns a bias per item and "
        "per user (their squares are regularized too).",
    }[model.normalize]
    penalty_note = f" lambda = {model.lambda_:g}"
    if model.normalize == "biases" and model.bias_lambda is not None:
        penalty_note += f", bias lambda = {model.bias_lambda:g}"
    if model.regularization == "weighted":
        penalty_note += "; each row's penalty is multiplied by its number of ratings n (ALS-WR)"
    held = ctx.result.validation
    held_note = f" used for training ({held.n_ratings:,} more are held out for validation)" if held is not None else ""
    st.markdown(f"**The cost**, summed over the {r.n_ratings:,} rated entries{held_note}. {norm_note}{penalty_note}.")
    left, right = st.columns([3, 1])
    left.latex(teaching.cost_latex(model))
    right.metric("J now", f"{cm.cost:.6g}")
    right.caption(f"= {cm.squared_error:.6g} (squared errors) + {cm.regularization:.6g} (regularization)")
    st.markdown("**The gradients** (what the optimizer follows; near a minimum both are close to zero)")
    item = _pick("Item i", r.items, r.item_counts(), f"{ctx.key}_teach_item")
    user = _pick("User j", r.users, r.user_counts(), f"{ctx.key}_teach_user")
    left, right = st.columns([3, 1])
    left.latex(teaching.gradient_latex(model, "items"))
    right.metric("|dJ/dX| (all items)", f"{cm.grad_X_norm:.3g}")
    right.caption(f"dJ/dx for item {literal.md(r.items[item])}: " + _vector(cm.grad_X[item]))
    left, right = st.columns([3, 1])
    left.latex(teaching.gradient_latex(model, "users"))
    right.metric("|dJ/dTheta| (all users)", f"{cm.grad_Theta_norm:.3g}")
    right.caption(f"dJ/dtheta for user {literal.md(r.users[user])}: " + _vector(cm.grad_Theta[user]))

    st.markdown(f"**One prediction**: item {literal.md(r.items[item])} for user {literal.md(r.users[user])}")
    b = teaching.prediction_breakdown(model, item, user)
    st.latex(_prediction_formula(model.normalize))
    st.latex(_breakdown_latex(b))
    left, right = st.columns(2)
    with left:
        frame = b.frame()
        is_feature = frame["term"].str.match(r"feature \d+$")
        st.dataframe(
            frame[is_feature],
            hide_index=True,
            height=min(38 + 35 * int(is_feature.sum()), FEATURE_TABLE_HEIGHT),
            column_config={
                c: st.column_config.NumberColumn(format="%+.4f") for c in ("x_i", "theta_j", "contribution")
            },
            key=f"{ctx.key}_teach_features",
        )
        if is_feature.sum() * 35 + 38 > FEATURE_TABLE_HEIGHT:
            st.caption(f"Scroll the table for all {int(is_feature.sum())} features.")
        st.dataframe(
            frame.loc[~is_feature, ["term", "contribution"]],
            hide_index=True,
            column_config={"contribution": st.column_config.NumberColumn("value", format="%+.4f")},
            key=f"{ctx.key}_teach_sum",
        )
        if model.normalize == "mean":
            st.caption(
                f"The model learned x_i . theta_j = {b.dot:+.3f} as this user's *deviation* from the item's mean "
                f"{b.offset:.3f}; adding the mean back gives the rating."
            )
        elif model.normalize is None:
            st.caption("No normalization: the dot product alone is the prediction.")
        actual = "not rated" if b.rating is None else f"rated {b.rating:g}"
        st.caption(f"This cell is {actual}.")
    with right:
        st.plotly_chart(teaching.breakdown_figure(b), width="stretch", key=f"{ctx.key}_teach_waterfall")


#: The feature table scrolls past this height (px, about 14 rows); the sum and prediction stay in view below it.
FEATURE_TABLE_HEIGHT = 528


def _prediction_formula(normalize: str | None) -> str:
    if normalize == "mean":
        return teaching.PREDICTION_LATEX
    if normalize == "biases":
        return r"\hat y^{(i,j)} = (x^{(i)})^T\theta^{(j)} + \mu + b_i + b_j"
    return r"\hat y^{(i,j)} = (x^{(i)})^T\theta^{(j)}"


def _vector(v: np.ndarray, shown: int = 6) -> str:
    head = ", ".join(f"{x:+.3g}" for x in v[:shown])
    return f"[{head}{', ...' if len(v) > shown else ''}]"


def _breakdown_latex(b: teaching.PredictionBreakdown, shown: int = 4) -> str:
    """The sum with its numbers; past ``shown`` features the middle terms are elided into a brace with the
    dot product's value (the table lists every term), so the line fits any k."""
    terms = [rf"({x:.2f})({t:.2f})" for x, t in zip(b.x, b.theta, strict=True)]
    if len(terms) > shown:
        head = " + ".join(terms[: shown - 1]) + r" + \cdots + " + terms[-1]
        dot = rf"\underbrace{{{head}}}_{{{len(terms)}\ \text{{terms}}\ =\ {b.dot:.2f}}}"
    else:
        dot = " + ".join(terms)
    tail = ""
    if b.offset_name:
        under = r"\mu_i" if b.offset_name.startswith("item mean") else r"\mu"
        tail += rf" + \underbrace{{{b.offset:.2f}}}_{{{under}}}"
    if b.item_bias or b.user_bias:
        tail += rf" + \underbrace{{{b.item_bias:.2f}}}_{{b_i}} + \underbrace{{{b.user_bias:.2f}}}_{{b_j}}"
    clipped = "" if np.isclose(b.prediction, b.unclipped) else rf" \to {b.prediction:.2f}\ \text{{(clipped)}}"
    return rf"\hat y = {dot}{tail} = {b.unclipped:.3f}{clipped}"


# ------------------------------------------------------------------------------------------ gradient check
def _gradient_check(ctx: ViewContext) -> None:
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
    eps_options = sorted({1e-4, 1e-3, 1e-2, teaching.suggested_eps(r.n_ratings)})
    eps = c2.select_slider(
        "Step eps",
        eps_options,
        value=teaching.suggested_eps(r.n_ratings),
        format_func=lambda v: f"{v:g}",
        key=f"{ctx.key}_teach_gc_eps",
        help="J is quadratic in any one parameter, so the central difference is exact up to rounding; on large "
        "data |J| is large and a bigger step keeps the rounding small.",
    )
    sampled = n_params > teaching.FULL_CHECK_MAX_PARAMS
    c3.metric("Parameters", f"{n_params:,}")
    c3.caption(
        f"Checks {teaching.AUTO_N_CHECKS} randomly sampled coordinates (each costs two cost evaluations)."
        if sampled
        else "Checks every coordinate."
    )
    key = ("gradient", ctx.result.fingerprint, ctx.result.params, at, eps)
    if st.button("Run gradient check", type="primary", key=f"{ctx.key}_teach_gc_run"):
        with st.spinner("Checking the gradient…"):
            _store(key, teaching.gradient_check(model, at=at, eps=eps))
    result = _stored(key)
    if result is None:
        return
    passed = result.passed(teaching.GRADIENT_CRITERION)
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


# ------------------------------------------------------------------------------------------------ replay
def _replay(ctx: ViewContext) -> None:
    params = _fit_params(ctx)
    train = ctx.model.ratings_
    reason = teaching.replay_limit_reason(train, params["max_iter"], params["normalize"])
    if reason:
        st.info(reason)
        return
    key = ("replay", ctx.result.fingerprint, ctx.result.params)
    replay = _stored(key)
    if replay is None:
        with st.spinner("Recording the parameters after every iteration…"):
            replay = teaching.record_replay(train, **params)
        _store(key, replay)
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
    st.plotly_chart(teaching.replay_figure(replay, step), width="stretch", key=f"{ctx.key}_teach_replay_fig")
    st.caption("Ringed cells are rated: watch their colours approach the ratings while the rest fill in.")


# ------------------------------------------------------------------------------------- mean normalization
NEW_USER = -1


def _normalization(ctx: ViewContext) -> None:
    train = ctx.model.ratings_
    counts = train.user_counts()
    st.markdown(
        "Train twice, with and without mean normalization, and look at a user with few or no ratings. The "
        "regularization pulls such a user's theta towards zero; without normalization every prediction then "
        "tends to **0**, with it to **each item's mean**: the classic reason for the technique."
    )
    fewest = np.lexsort((np.arange(len(counts)), counts))[:MAX_OPTIONS]
    options = [NEW_USER] + [int(u) for u in fewest]
    user = st.selectbox(
        "User",
        options,
        format_func=lambda u: (
            "a new user with no ratings" if u == NEW_USER else f"{train.users[u]} ({counts[u]} ratings)"
        ),
        key=f"{ctx.key}_teach_norm_user",
        help="Listed from the fewest ratings.",
    )
    params = {k: v for k, v in _fit_params(ctx).items() if k != "normalize"}
    if params["lambda_"] == 0:
        st.warning(
            "With lambda = 0 nothing pulls an unrated user's theta anywhere: it stays at its random start, so "
            "this experiment shows the effect best with some regularization."
        )
    key = ("normalization", ctx.result.fingerprint, ctx.result.params, user)
    if st.button("Train with and without normalization", type="primary", key=f"{ctx.key}_teach_norm_run"):
        ratings, pos = teaching.with_new_user(train) if user == NEW_USER else (train, user)
        with st.spinner("Training two models…"):
            _store(key, teaching.normalization_effect(ratings, pos, **params))
    effect = _stored(key)
    if effect is None:
        return
    c = st.columns(3)
    c[0].metric("Ratings by this user", effect.n_rated)
    c[1].metric("|theta_j| without normalization", f"{effect.theta_norm_without:.3f}")
    c[2].metric("|theta_j| with mean normalization", f"{effect.theta_norm_with:.3f}")
    t = effect.table
    st.caption(
        f"Average prediction for this user: {t['predicted, no normalization'].mean():.2f} without normalization, "
        f"{t['predicted, mean normalization'].mean():.2f} with it "
        f"(the items' average mean is {t['item mean'].mean():.2f})."
    )
    st.plotly_chart(teaching.normalization_figure(effect), width="stretch", key=f"{ctx.key}_teach_norm_fig")
    st.dataframe(
        effect.table.astype({"item": str}).style.format(
            dict.fromkeys(effect.table.columns[1:], "{:.2f}"), na_rep="–"
        ),  # "–", not "None", where the user has no rating
        hide_index=True,
    )
    if len(effect.table) < ctx.model.ratings_.n_items:
        st.caption(f"Showing the {len(effect.table)} most rated items.")


# ------------------------------------------------------------------------------------ item mean vs biases
def _mean_vs_biases(ctx: ViewContext) -> None:
    train = ctx.model.ratings_
    st.markdown(
        "Item-mean normalization adds each item's mean back to the prediction, and the mean of a single 5 is "
        "5: on large, sparse data a user's top picks fill with items rated by one to three people, all "
        "predicted at the top of the scale. Learned biases are regularized, so an item's bias grows only as far "
        "as its number of ratings supports. Train both, with this run's other settings, and compare one user."
    )
    counts = train.user_counts()
    order = data.top_positions(counts, min(train.n_users, MAX_OPTIONS))
    c1, c2, c3 = st.columns([3, 1, 1])
    user = int(
        c1.selectbox(
            "User",
            order,
            format_func=lambda u: f"{train.users[u]} ({counts[u]} ratings)",
            key=f"{ctx.key}_teach_mvb_user",
            help="Listed from the most active user: a heavy rater has seen the popular items, so their "
            "unrated items are the rarely rated ones.",
        )
    )
    n = int(c2.number_input("How many", 1, 20, min(5, train.n_items), key=f"{ctx.key}_teach_mvb_n"))
    min_ratings = int(
        c3.number_input(
            "Min. ratings",
            0,
            max(1, int(train.item_counts().max())),
            1,
            key=f"{ctx.key}_teach_mvb_min",
            help="1 shows the weakness; raise it to see the filter's cure.",
        )
    )
    params = {k: v for k, v in _fit_params(ctx).items() if k != "normalize"}
    key = ("mean_vs_biases", ctx.result.fingerprint, ctx.result.params, user, n, min_ratings)
    if st.button("Train both and compare", type="primary", key=f"{ctx.key}_teach_mvb_run"):
        with st.spinner("Training two models…"):
            _store(key, teaching.mean_vs_biases(train, user, n, min_ratings, **params))
    result = _stored(key)
    if result is None:
        return
    c = st.columns(3)
    c[0].metric("Ratings by this user", f"{result.n_rated:,}")
    c[1].metric("Median ratings per pick, item mean", f"{result.median_count_mean:g}")
    c[2].metric("Median ratings per pick, learned biases", f"{result.median_count_biases:g}")
    fmt = {
        c: st.column_config.NumberColumn(format="%.2f")
        for c in result.table.columns
        if c.endswith(("predicted", "mean"))
    }
    st.dataframe(result.table, hide_index=True, column_config=fmt, key=f"{ctx.key}_teach_mvb_table")
    st.caption(
        f"Both with k={params['num_features']}, lambda={params['lambda_']:g}, {params['max_iter']} iterations. "
        '"ratings" is how many people rated the item, "mean" their average: a 5.00 on the strength of one '
        "or two ratings is a guess. The Recommendations tab's minimum-ratings filter is the other cure."
    )


# -------------------------------------------------------------------------------------- rate it yourself
def _rate_yourself(ctx: ViewContext) -> None:
    model = ctx.model
    r = model.ratings_
    lo, hi = r.rating_scale
    st.markdown(
        "Add yourself as a new user: rate a few items and get recommendations at once. *Fold-in* keeps the "
        "item features X fixed and solves for your theta in closed form, so nothing is retrained."
    )
    counts = r.item_counts()
    options = _positions(r.items, counts)
    chosen = st.multiselect(
        "Items you want to rate",
        options,
        format_func=lambda p: str(r.items[p]),
        key=f"{ctx.key}_teach_me_items",
        max_selections=30,
    )
    mine: dict[Hashable, float] = {}
    cols = st.columns(3)
    step = 1.0 if float(lo).is_integer() and float(hi).is_integer() else 0.5
    for n, p in enumerate(chosen):
        mine[r.items[p]] = cols[n % 3].slider(
            literal.md(r.items[p]), float(lo), float(hi), float((lo + hi) / 2), step, key=f"{ctx.key}_teach_me_{p}"
        )
    if not mine:
        st.info("Pick a few items above and rate them.")
        return
    n = int(st.columns([1, 3])[0].number_input("How many recommendations", 1, 50, 5, key=f"{ctx.key}_teach_me_n"))
    fold = teaching.fold_in_recommendations(model, mine)
    left, right = st.columns(2)
    with left:
        st.markdown("**Your recommendations (fold-in, instant)**")
        recs = fold.recommendations(n)
        recs["item"] = recs["item"].astype(str)
        st.dataframe(
            recs,
            hide_index=True,
            column_config={"predicted_rating": st.column_config.NumberColumn("predicted rating", format="%.2f")},
        )
    with right:
        st.markdown("**Your theta** (your taste in the learned features)")
        st.dataframe(
            pd.DataFrame({"feature": np.arange(1, len(fold.theta) + 1), "theta": fold.theta}),
            hide_index=True,
            column_config={"theta": st.column_config.NumberColumn(format="%+.3f")},
        )
    key = ("retrain", ctx.result.fingerprint, ctx.result.params, tuple(sorted((str(k), v) for k, v in mine.items())))
    if st.button("Retrain fully with me and compare", key=f"{ctx.key}_teach_me_retrain"):
        with st.spinner("Retraining with you added…"):
            _store(key, teaching.retrain_with_user(r, mine, **_fit_params(ctx)))
    stored = _stored(key)
    if stored is None:
        st.caption("Fold-in is an approximation: retraining also moves X and (with normalization) the item means.")
        return
    full, user = stored
    table = teaching.compare_fold_in_retrain(fold, full, user, n)
    for col in ("fold-in item", "retrained item"):
        table[col] = table[col].astype(str)
    st.markdown("**Fold-in vs full retraining**")
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "fold-in predicted": st.column_config.NumberColumn(format="%.2f"),
            "retrained predicted": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    same = len(set(table["fold-in item"]) & set(table["retrained item"]))
    st.caption(f"{same} of {len(table)} items are in both top lists. Retraining took {full.fit_time_:.2f} s.")


# --------------------------------------------------------------------------------- dot product vs cosine
def _dot_vs_cosine(ctx: ViewContext) -> None:
    model = ctx.model
    r: Ratings = model.ratings_
    if r.n_items < 3:
        st.info("Comparing neighbour lists needs at least three items.")
        return
    c1, c2, c3 = st.columns([3, 1, 1])
    with c1:
        item = _pick("Item", r.items, r.item_counts(), f"{ctx.key}_teach_nb_item")
    n = int(
        c2.number_input(
            "Neighbours", 1, max(1, min(20, r.n_items - 1)), min(5, r.n_items - 1), key=f"{ctx.key}_teach_nb_n"
        )
    )
    min_ratings = int(
        c3.number_input(
            "Min. ratings",
            0,
            max(1, int(r.item_counts().max())),
            evidence.default_min_ratings(r),
            key=f"{ctx.key}_teach_nb_min",
            help="Only items with at least this many ratings are candidate neighbours.",
        )
    )
    table = teaching.neighbours(model, item, n, min_ratings)
    if table.empty:
        st.info(f"No other item has {min_ratings} or more ratings: lower the minimum.")
        return
    shown = table.astype({"by dot product": str, "by cosine": str})
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="%.3f") for c in ("dot", "cosine", "|x| (dot)", "|x| (cosine)")
        },
    )
    st.info(teaching.neighbours_note(model, item, table))
    note = evidence.saturation_note(table["cosine"].to_numpy(), model.num_features)
    if note:
        st.caption(note)
    st.plotly_chart(teaching.neighbours_figure(model, item, table), width="stretch", key=f"{ctx.key}_teach_nb_fig")
