"""Teaching aids: the model's math with live numbers, and small experiments that show *why* it behaves so.

Each function takes a fitted :class:`cf_core.CollaborativeFiltering` (or ratings plus hyperparameters)
and returns plain numbers, tables and plotly figures, so they are tested without Streamlit and the views
in ``cf_app.views.teaching_view`` only lay them out: the cost and gradients at the trained parameters, a
prediction taken apart feature by feature, the numerical gradient check, a replay of training, the effect
of mean normalization on a user with few ratings, fold-in for a new user, and dot product vs cosine.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cf_core import CollaborativeFiltering, FoldIn, GradientCheck, Ratings, check_gradient

from . import evidence, literal

__all__ = [
    "COST_LATEX",
    "GRAD_X_LATEX",
    "GRAD_THETA_LATEX",
    "PREDICTION_LATEX",
    "cost_latex",
    "gradient_latex",
    "CurrentMath",
    "current_math",
    "PredictionBreakdown",
    "prediction_breakdown",
    "breakdown_figure",
    "GRADIENT_CRITERION",
    "suggested_eps",
    "gradient_check",
    "Replay",
    "replay_limit_reason",
    "record_replay",
    "replay_figure",
    "with_new_user",
    "normalization_effect",
    "normalization_figure",
    "MeanVsBiases",
    "mean_vs_biases",
    "fold_in_recommendations",
    "retrain_with_user",
    "compare_fold_in_retrain",
    "neighbours",
    "neighbours_figure",
    "neighbours_note",
]

# ------------------------------------------------------------------------------------------ the math
COST_LATEX = (
    r"J(X,\Theta) = \frac{1}{2}\sum_{(i,j):\,r(i,j)=1}\Big((x^{(i)})^T\theta^{(j)} - y^{(i,j)}\Big)^2"
    r" + \frac{\lambda}{2}\sum_{i=1}^{n_m}\sum_{k=1}^{n}\big(x_k^{(i)}\big)^2"
    r" + \frac{\lambda}{2}\sum_{j=1}^{n_u}\sum_{k=1}^{n}\big(\theta_k^{(j)}\big)^2"
)
GRAD_X_LATEX = (
    r"\frac{\partial J}{\partial x_k^{(i)}} = \sum_{j:\,r(i,j)=1}\Big((\theta^{(j)})^T x^{(i)} - y^{(i,j)}\Big)"
    r"\,\theta_k^{(j)} + \lambda\, x_k^{(i)}"
)
GRAD_THETA_LATEX = (
    r"\frac{\partial J}{\partial \theta_k^{(j)}} = \sum_{i:\,r(i,j)=1}\Big((\theta^{(j)})^T x^{(i)} - y^{(i,j)}\Big)"
    r"\,x_k^{(i)} + \lambda\, \theta_k^{(j)}"
)
PREDICTION_LATEX = r"\hat y^{(i,j)} = (x^{(i)})^T\theta^{(j)} + \mu_i = \sum_{k=1}^{n} x_k^{(i)}\theta_k^{(j)} + \mu_i"


def _residual_latex(biased: bool) -> str:
    bias = r" + b_i + c_j" if biased else ""
    return r"\Big((x^{(i)})^T\theta^{(j)}" + bias + r" - y^{(i,j)}\Big)"


def cost_latex(model: CollaborativeFiltering) -> str:
    r"""The cost this model minimizes, in the course's notation: biases, bias lambda and weighting included.

    The textbook model gets exactly :data:`COST_LATEX`; ``n_i`` / ``n_j`` are the rating counts the
    weighted penalty multiplies by, ``\lambda_b`` the biases' own lambda.
    """
    biased = model.normalize == "biases"
    weighted = model.regularization == "weighted"
    if not biased and not weighted:
        return COST_LATEX
    n_i, n_j = (r"n_i\,", r"n_j\,") if weighted else ("", "")
    lam_b = r"\lambda" if model.bias_lambda is None else r"\lambda_b"
    latex = (
        r"J = \frac{1}{2}\sum_{(i,j):\,r(i,j)=1}" + _residual_latex(biased) + "^2"
        r" + \frac{\lambda}{2}\sum_{i}" + n_i + r"\lVert x^{(i)}\rVert^2"
        r" + \frac{\lambda}{2}\sum_{j}" + n_j + r"\lVert \theta^{(j)}\rVert^2"
    )
    if biased:
        latex += r" + \frac{" + lam_b + r"}{2}\Big(\sum_i " + n_i + r"b_i^2 + \sum_j " + n_j + r"c_j^2\Big)"
    return latex


def gradient_latex(model: CollaborativeFiltering, side: str) -> str:
    """dJ/dx (``side="items"``) or dJ/dtheta (``"users"``) for this model's cost, as :func:`cost_latex`."""
    biased = model.normalize == "biases"
    weighted = model.regularization == "weighted"
    if not biased and not weighted:
        return GRAD_X_LATEX if side == "items" else GRAD_THETA_LATEX
    residual = _residual_latex(biased)
    if side == "items":
        n = r"n_i\," if weighted else ""
        return (
            r"\frac{\partial J}{\partial x_k^{(i)}} = \sum_{j:\,r(i,j)=1}" + residual
            + r"\,\theta_k^{(j)} + \lambda\," + n + r"x_k^{(i)}"
        )  # fmt: skip
    n = r"n_j\," if weighted else ""
    return (
        r"\frac{\partial J}{\partial \theta_k^{(j)}} = \sum_{i:\,r(i,j)=1}" + residual
        + r"\,x_k^{(i)} + \lambda\," + n + r"\theta_k^{(j)}"
    )  # fmt: skip


def _check_fitted(model: CollaborativeFiltering) -> None:
    if not hasattr(model, "X_"):
        raise ValueError("the model is not trained yet: train it first")


@dataclass(frozen=True)
class CurrentMath:
    """The cost's two parts and both gradients at the model's current parameters."""

    cost: float
    squared_error: float  # 1/2 sum of squared errors on rated entries
    regularization: float  # lambda/2 (|X|^2 + |Theta|^2) (+ the biases' squares with biased MF)
    grad_X: np.ndarray
    grad_Theta: np.ndarray

    @property
    def grad_X_norm(self) -> float:
        return float(np.linalg.norm(self.grad_X))

    @property
    def grad_Theta_norm(self) -> float:
        return float(np.linalg.norm(self.grad_Theta))


def current_math(model: CollaborativeFiltering) -> CurrentMath:
    """J and dJ/dX, dJ/dTheta for the trained model, on the (normalized) targets it was trained on.

    Near a minimum both gradients are close to zero; seeing how close tells whether training converged.
    """
    _check_fitted(model)
    obj = model.objective()  # the cost the model minimized: its targets, lambdas and penalty
    if model.normalize == "biases":
        params = (model.X_, model.Theta_, model.item_bias_, model.user_bias_)
        J, dX, dTheta, _, _ = obj.biased(*params)
    else:
        params = (model.X_, model.Theta_)
        J, dX, dTheta = obj(*params)
    regularization = obj.penalty(params, None)
    return CurrentMath(float(J), float(J) - regularization, regularization, dX, dTheta)


@dataclass(frozen=True)
class PredictionBreakdown:
    """One predicted rating taken apart: x_i . theta_j feature by feature, plus what normalization adds."""

    item: Hashable
    user: Hashable
    x: np.ndarray
    theta: np.ndarray
    offset: float  # the item mean (normalize="mean") or the global mean (normalize="biases"); else 0
    offset_name: str
    item_bias: float
    user_bias: float
    prediction: float  # clipped to the rating scale, as the model reports it
    rating: float | None  # the actual rating, when (item, user) is rated

    @property
    def contributions(self) -> np.ndarray:
        return self.x * self.theta

    @property
    def dot(self) -> float:
        return float(self.x @ self.theta)

    @property
    def unclipped(self) -> float:
        return self.dot + self.offset + self.item_bias + self.user_bias

    def frame(self) -> pd.DataFrame:
        """Rows: each feature's x_ik, theta_jk and product, then the added terms and the total."""
        k = len(self.x)
        rows = [
            {"term": f"feature {f + 1}", "x_i": self.x[f], "theta_j": self.theta[f], "contribution": c}
            for f, c in enumerate(self.contributions)
        ]
        rows.append({"term": f"x_i . theta_j (sum of {k})", "contribution": self.dot})
        if self.offset_name:
            rows.append({"term": self.offset_name, "contribution": self.offset})
        if self.item_bias or self.user_bias:
            rows.append({"term": "item bias", "contribution": self.item_bias})
            rows.append({"term": "user bias", "contribution": self.user_bias})
        rows.append({"term": "prediction (before clipping)", "contribution": self.unclipped})
        rows.append({"term": "prediction (clipped to the scale)", "contribution": self.prediction})
        return pd.DataFrame(rows, columns=["term", "x_i", "theta_j", "contribution"])


def prediction_breakdown(model: CollaborativeFiltering, item: int, user: int) -> PredictionBreakdown:
    """The prediction for (item, user) positions as the dot product of x_i and theta_j plus the offsets."""
    _check_fitted(model)
    r = model.ratings_
    if not (0 <= item < r.n_items and 0 <= user < r.n_users):
        raise ValueError(f"cell (item {item}, user {user}) is outside the {r.n_items} x {r.n_users} grid")
    names = {"mean": "item mean mu_i (mean normalization)", "biases": "global mean"}
    hit = np.flatnonzero((r.item_idx == item) & (r.user_idx == user))
    return PredictionBreakdown(
        item=r.items[item],
        user=r.users[user],
        x=np.array(model.X_[item]),
        theta=np.array(model.Theta_[user]),
        offset=float(model.offsets_[item]),
        offset_name=names.get(model.normalize, ""),
        item_bias=float(model.item_bias_[item]),
        user_bias=float(model.user_bias_[user]),
        prediction=float(model.predict(user, item)),
        rating=float(r.values[hit[0]]) if len(hit) else None,
    )


#: The waterfall draws every feature up to this many; beyond, the largest ones and "the other n" as one bar.
WATERFALL_FEATURES = 10
#: Bars are labelled with their values up to this many bars (more and the labels run into each other).
WATERFALL_LABELLED = 8


def breakdown_figure(b: PredictionBreakdown) -> go.Figure:
    """A waterfall: each feature's x_ik * theta_jk, then the mean added back, ending at the prediction.

    With many features the bars keep readable: short names (f1, f2, ...), values on hover instead of over
    each bar, and past :data:`WATERFALL_FEATURES` the largest contributions plus one bar for the rest.
    """
    k = len(b.x)
    contributions = b.contributions
    short = k > 5
    if k <= WATERFALL_FEATURES:
        shown = np.arange(k)
    else:
        keep = WATERFALL_FEATURES - 2
        shown = np.sort(np.argsort(-np.abs(contributions), kind="stable")[:keep])
    labels = [f"f{f + 1}" if short else f"feature {f + 1}" for f in shown]
    values = [float(contributions[f]) for f in shown]
    if len(shown) < k:
        labels.append(f"other {k - len(shown)} features")
        values.append(float(contributions.sum() - contributions[shown].sum()))
    if b.offset_name:
        labels.append(b.offset_name.split(" (")[0])
        values.append(b.offset)
    if b.item_bias or b.user_bias:
        labels += ["item bias", "user bias"]
        values += [b.item_bias, b.user_bias]
    labelled = len(values) + 1 <= WATERFALL_LABELLED
    fig = go.Figure(
        go.Waterfall(
            x=labels + ["prediction"],
            y=values + [0.0],
            measure=["relative"] * len(values) + ["total"],
            text=[f"{v:+.3f}" if labelled else "" for v in values] + [f"{b.unclipped:.3f}"],
            textposition="outside",
            hovertemplate="%{x}: %{y:+.3f}<extra></extra>",
        )
    )
    if b.rating is not None:
        fig.add_hline(
            y=b.rating,
            line_dash="dash",
            line_color="green",
            annotation_text=f"actual rating {b.rating:g}",
            annotation_position="top left",
        )
    title = "x_i . theta_j term by term" if len(shown) == k else f"the {len(shown)} largest of {k} terms"
    fig.update_layout(
        title={"text": f"Adding up the prediction: {title}", "font": {"size": 13}},
        yaxis_title="rating",
        showlegend=False,
        margin={"t": 50},
    )
    fig.update_xaxes(tickangle=-45 if len(labels) > 8 else 0)
    return fig


# ------------------------------------------------------------------------------------ gradient check
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
    _check_fitted(model)
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


# ---------------------------------------------------------------------------------------------- replay
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
        err = self.predicted(step)[r.item_idx, r.user_idx] - r.values
        return float(np.sqrt(np.mean(err**2)))


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


def replay_figure(replay: Replay, step: int) -> go.Figure:
    """Predicted matrix at ``step`` (rated cells ringed) beside the cost curve with ``step`` marked."""
    r = replay.ratings
    lo, hi = r.rating_scale
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.62, 0.38],
        horizontal_spacing=0.16,
        subplot_titles=(f"predicted ratings at iteration {replay.iterations[step]}", "cost J"),
    )
    users = literal.plot_labels(r.users)
    items = literal.plot_labels(r.items)
    fig.add_heatmap(
        z=replay.predicted(step),
        x=users,
        y=items,
        zmin=lo,
        zmax=hi,
        colorscale="RdYlGn",
        colorbar={"x": 0.54, "title": "rating", "len": 0.9},
        hovertemplate="item %{y}<br>user %{x}<br>predicted %{z:.2f}<extra></extra>",
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=[users[j] for j in r.user_idx],
        y=[items[i] for i in r.item_idx],
        mode="markers",
        marker={"symbol": "circle-open", "size": 9, "color": "black"},
        text=[f"rated {v:g}" for v in r.values],
        hovertemplate="item %{y}<br>user %{x}<br>%{text}<extra></extra>",
        name="rated cell",
        row=1,
        col=1,
    )
    fig.add_scatter(x=replay.iterations, y=replay.costs, mode="lines", name="cost", row=1, col=2)
    fig.add_scatter(
        x=[replay.iterations[step]],
        y=[replay.costs[step]],
        mode="markers",
        marker={"size": 12, "color": "red"},
        name="this iteration",
        row=1,
        col=2,
    )
    fig.update_xaxes(type="category", tickmode="linear", row=1, col=1)
    fig.update_yaxes(type="category", tickmode="linear", autorange="reversed", row=1, col=1)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_xaxes(title="iteration", row=1, col=2)
    # Every item gets a readable row (ticks on every label), within the bounds of a screen.
    fig.update_layout(showlegend=False, margin={"t": 40}, height=int(min(max(160 + 20 * r.n_items, 380), 1400)))
    return fig


# ------------------------------------------------------------------------------- mean normalization
def _free_label(labels: pd.Index, wanted: str) -> str:
    existing = {str(x) for x in labels}
    label, n = wanted, 2
    while label in existing:
        label, n = f"{wanted} ({n})", n + 1
    return label


def with_new_user(
    ratings: Ratings, item_ratings: Mapping[Hashable, float] | None = None, label: str = "new user"
) -> tuple[Ratings, int]:
    """``ratings`` plus one more user (a fresh label) who rated ``item_ratings``; returns it and its position."""
    label = _free_label(ratings.users, label)
    item_ratings = dict(item_ratings or {})
    items = np.array([ratings.item_index(k) for k in item_ratings], dtype=np.int64)
    values = np.array(list(item_ratings.values()), dtype=np.float64)
    user = ratings.n_users
    users = pd.Index(list(ratings.users) + [label], dtype=object)
    extended = Ratings(
        np.concatenate([ratings.item_idx, items]),
        np.concatenate([ratings.user_idx, np.full(len(items), user)]),
        np.concatenate([ratings.values, values]),
        ratings.items,
        users,
        ratings.rating_scale,
    )
    return extended, user


@dataclass(frozen=True)
class NormalizationEffect:
    """One user's predictions from two fits that differ only in mean normalization."""

    user: Hashable
    n_rated: int
    table: pd.DataFrame  # per item: rating, item mean, without normalization, with mean normalization
    theta_norm_without: float
    theta_norm_with: float


def normalization_effect(ratings: Ratings, user: int, *, max_items: int = 30, **params: Any) -> NormalizationEffect:
    """Train with ``normalize=None`` and ``"mean"`` (other params equal) and compare ``user``'s predictions.

    With few or no ratings the regularization pulls theta_j towards 0, so without normalization every
    prediction tends to 0; with it, to each item's mean. Predictions are shown unclipped so the 0 shows.
    ``max_items`` limits the table to the most rated items on large data.
    """
    params = {k: v for k, v in params.items() if k != "normalize"}
    raw = CollaborativeFiltering(**params, normalize=None).fit(ratings)
    normed = CollaborativeFiltering(**params, normalize="mean").fit(ratings)
    counts = ratings.item_counts()
    shown = np.arange(ratings.n_items)
    if len(shown) > max_items:
        shown = np.sort(np.lexsort((shown, -counts))[:max_items])
    mask = ratings.user_idx == user
    rated = np.full(ratings.n_items, np.nan)
    rated[ratings.item_idx[mask]] = ratings.values[mask]
    table = pd.DataFrame(
        {
            "item": ratings.items[shown],
            "this user's rating": rated[shown],
            "item mean": ratings.item_means()[shown],
            "predicted, no normalization": raw.predict_matrix(shown, [user], clip=False)[:, 0],
            "predicted, mean normalization": normed.predict_matrix(shown, [user], clip=False)[:, 0],
        }
    )
    return NormalizationEffect(
        user=ratings.users[user],
        n_rated=int(mask.sum()),
        table=table,
        theta_norm_without=float(np.linalg.norm(raw.Theta_[user])),
        theta_norm_with=float(np.linalg.norm(normed.Theta_[user])),
    )


def normalization_figure(effect: NormalizationEffect) -> go.Figure:
    """Both fits' predictions per item for the user, with item means as markers."""
    t = effect.table
    items = literal.plot_labels(t["item"])
    fig = go.Figure()
    fig.add_bar(x=items, y=t["predicted, no normalization"], name="no normalization")
    fig.add_bar(x=items, y=t["predicted, mean normalization"], name="mean normalization")
    fig.add_scatter(
        x=items, y=t["item mean"], mode="markers", marker={"symbol": "line-ew-open", "size": 18}, name="item mean"
    )
    if t["this user's rating"].notna().any():
        fig.add_scatter(
            x=items,
            y=t["this user's rating"],
            mode="markers",
            marker={"symbol": "star", "size": 12},
            name="this user's rating",
        )
    fig.update_layout(barmode="group", yaxis_title="predicted rating (unclipped)", margin={"t": 30})
    fig.update_xaxes(type="category", title="item")
    return fig


# ------------------------------------------------------------------------------- item mean vs biases
@dataclass(frozen=True)
class MeanVsBiases:
    """One user's top-n under item-mean normalization and under learned biases, other settings equal."""

    user: Hashable
    n_rated: int
    table: pd.DataFrame  # rank, then item / predicted / ratings / mean rating for each model
    median_count_mean: float
    median_count_biases: float


def mean_vs_biases(ratings: Ratings, user: int, n: int = 5, min_ratings: int = 1, **params: Any) -> MeanVsBiases:
    """Train with ``normalize="mean"`` and ``"biases"`` (other params equal) and list ``user``'s top ``n``
    from each with the number of ratings behind every item.

    Item-mean normalization adds back each item's mean, and the mean of one 5 is 5: on large sparse data the
    top of the list fills with items rated by one to three people. Learned biases are regularized, so an
    item's bias only grows as far as its number of ratings supports.
    """
    params = {k: v for k, v in params.items() if k != "normalize"}
    counts, means = evidence.counts_and_means(ratings, "items")
    columns: dict[str, Any] = {}
    medians = []
    for name, norm in (("item mean", "mean"), ("learned biases", "biases")):
        model = CollaborativeFiltering(**params, normalize=norm).fit(ratings)
        top = evidence.top_items_for(model, ratings, user, n, min_ratings)
        pred = model.predict(np.full(len(top), int(user)), top) if len(top) else np.array([])
        part = {
            f"{name}: item": [str(x) for x in ratings.items[top]],
            f"{name}: predicted": pred,
            f"{name}: ratings": counts[top],
            f"{name}: mean": means[top],
        }
        columns.update({k: pd.Series(v) for k, v in part.items()})
        medians.append(float(np.median(counts[top])) if len(top) else float("nan"))
    table = pd.DataFrame(columns)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    n_rated = int(np.sum(ratings.user_idx == int(user)))
    return MeanVsBiases(ratings.users[int(user)], n_rated, table, medians[0], medians[1])


# ------------------------------------------------------------------------------------ rate it yourself
def fold_in_recommendations(model: CollaborativeFiltering, my_ratings: Mapping[Hashable, float], n: int = 10) -> FoldIn:
    """A new user's parameters from ``my_ratings`` (item label -> rating) with X fixed: instant, no retrain."""
    if not my_ratings:
        raise ValueError("rate at least one item to get recommendations")
    return model.fold_in(dict(my_ratings))


def retrain_with_user(
    ratings: Ratings, my_ratings: Mapping[Hashable, float], label: str = "me", **params: Any
) -> tuple[CollaborativeFiltering, int]:
    """Retrain from scratch with the person added as a user; returns the model and their position."""
    extended, user = with_new_user(ratings, my_ratings, label)
    return CollaborativeFiltering(**params).fit(extended), user


def compare_fold_in_retrain(fold: FoldIn, model: CollaborativeFiltering, user: int, n: int = 10) -> pd.DataFrame:
    """Top-``n`` under fold-in and under full retraining side by side, with each one's predicted rating."""
    fold_top = fold.recommended_items(n)
    full_top = model.recommended_items(user, n)
    full_pred = model.predict_matrix(users=[user])[:, 0]
    fold_pred = fold.predictions.to_numpy()
    items = model.ratings_.items
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(fold_top) + 1),
            "fold-in item": items[fold_top],
            "fold-in predicted": fold_pred[fold_top],
            "retrained item": items[full_top],
            "retrained predicted": full_pred[full_top],
        }
    )


# ------------------------------------------------------------------------------ dot product vs cosine
def neighbours(model: CollaborativeFiltering, item: int, n: int = 5, min_ratings: int = 1) -> pd.DataFrame:
    """Nearest items to ``item`` by dot product and by cosine of their feature vectors, rank by rank, each
    with its number of ratings; only items with at least ``min_ratings`` ratings are candidates."""
    _check_fitted(model)
    X = model.X_
    if not 0 <= item < len(X):
        raise ValueError(f"item position {item} is outside 0..{len(X) - 1}")
    r = model.ratings_
    counts, _ = evidence.counts_and_means(r, "items")
    norms = np.linalg.norm(X, axis=1)
    dots = X @ X[item]
    others = np.flatnonzero((np.arange(len(X)) != item) & (counts >= int(min_ratings)))
    by_dot = others[np.lexsort((others, -dots[others]))][:n]  # ties to the lower position, as most_similar
    by_cosine = evidence.most_similar(model, r, "items", item, n, min_ratings)
    by_cos = by_cosine["position"].to_numpy()[: len(by_dot)]
    cosines = by_cosine["similarity"].to_numpy()[: len(by_dot)]
    labels = r.items
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(by_dot) + 1),
            "by dot product": labels[by_dot],
            "dot": dots[by_dot],
            "|x| (dot)": norms[by_dot],
            "ratings (dot)": counts[by_dot],
            "by cosine": labels[by_cos],
            "cosine": cosines,
            "|x| (cosine)": norms[by_cos],
            "ratings (cosine)": counts[by_cos],
        }
    )


def neighbours_note(model: CollaborativeFiltering, item: int, table: pd.DataFrame) -> str:
    """Why the two lists differ here, in numbers: dot = |x_i| |x_l| cos, so length counts as much as angle."""
    only_dot = set(table["by dot product"]) - set(table["by cosine"])
    mean_dot, mean_cos = table["|x| (dot)"].mean(), table["|x| (cosine)"].mean()
    all_mean = float(np.linalg.norm(model.X_, axis=1).mean())
    head = (
        "The dot product x_i . x_l = |x_i| |x_l| cos(angle): it grows with the *length* of x_l as much as with "
        "its direction, so items with long feature vectors rise in its list (strongly characterised items, and "
        "often much-rated ones: regularization shrinks the vectors of rarely rated items towards 0). Cosine "
        "keeps only the direction: items that vary the same way, however strongly. "
    )
    if not only_dot:
        return head + "Here both lists hold the same items."
    return head + (
        f"Here {len(only_dot)} of {len(table)} neighbours differ; the dot-product neighbours' vectors average "
        f"length {mean_dot:.2f}, the cosine neighbours' {mean_cos:.2f} (all items: {all_mean:.2f})."
    )


def _short(label: str, at_most: int = 24) -> str:
    """A label short enough to print beside a point (the hover shows it whole)."""
    return label if len(label) <= at_most else label[: at_most - 1] + "…"


def neighbours_figure(model: CollaborativeFiltering, item: int, table: pd.DataFrame) -> go.Figure:
    """Every item as (vector length, cosine to the chosen item); each list's picks highlighted.

    Dot product = |x_i| * length * cosine, so its top picks sit towards the right, cosine's towards the top.
    """
    X = model.X_
    norms = np.linalg.norm(X, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    cos = np.clip((X / safe[:, None]) @ (X[item] / (safe[item])), -1, 1)
    labels = [str(x) for x in model.ratings_.items]
    pos_of = {lab: p for p, lab in enumerate(labels)}
    shown = literal.plot_labels(model.ratings_.items)
    others = np.flatnonzero(np.arange(len(X)) != item)
    fig = go.Figure()
    fig.add_scattergl(
        x=norms[others],
        y=cos[others],
        mode="markers",
        marker={"color": "lightgray", "size": 6},
        text=[shown[p] for p in others],
        hovertemplate="%{text}<br>|x|=%{x:.2f}<br>cos=%{y:.2f}<extra></extra>",
        name="other items",
    )
    named: set[int] = set()  # each pick is labelled once, even when both lists hold it
    for column, color, symbol, where in (
        ("by dot product", "#d62728", "circle", "top center"),
        ("by cosine", "#1f77b4", "diamond-open", "bottom center"),
    ):
        picks = [pos_of[str(lab)] for lab in table[column]]
        fig.add_scatter(
            x=norms[picks],
            y=cos[picks],
            mode="markers+text",
            marker={"color": color, "size": 12, "symbol": symbol},
            text=["" if p in named else literal.plot(_short(labels[p])) for p in picks],
            textposition=where,
            hovertext=[literal.plot(labels[p]) for p in picks],
            hovertemplate="%{hovertext}<br>|x|=%{x:.2f}<br>cos=%{y:.2f}<extra></extra>",
            name=f"top {len(picks)} {column}",
        )
        named.update(picks)
    fig.update_layout(
        xaxis_title="length of the item's feature vector |x_l|",
        yaxis_title=f"cosine to {shown[item]}",
        margin={"t": 30},
    )
    return fig
