"""``CollaborativeFiltering``: the textbook low-rank model as a scikit-learn style estimator.

It keeps the seed's structure (``_initialize_thetas``, ``_reshape_thetas``, ``_cost``, ``_gradient``,
``fit``, ``predict``, ``recommended_items``, ``compute_similarities``) so a learner can follow the blog
post, while the math lives in :mod:`cf_core.objective` and :mod:`cf_core.als` and runs on the rated
entries only. The optimizer is looked up in :data:`cf_core.solvers.SOLVERS` by ``method``; the fitted
attributes are written once, when the solver returns.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .als import ridge_solve
from .evaluation import rmse
from .objective import REGULARIZATIONS, SparseObjective, predict_entries
from .ratings import Ratings
from .solvers import SOLVERS, Problem, SolverResult
from .threads import resolve_n_jobs

__all__ = [
    "CollaborativeFiltering",
    "NotFittedError",
    "TrainingProgress",
    "FoldIn",
    "as_ratings",
    "check_fitted",
    "top_n",
]

NORMALIZATIONS = (None, "mean", "biases")
METHODS = tuple(SOLVERS)
INITS = ("uniform", "normal")


class NotFittedError(ValueError, AttributeError):
    """Raised when a model is used before ``fit`` (same bases as scikit-learn's)."""


def check_fitted(model: Any, then: str = "first") -> None:
    """Raise :class:`NotFittedError` unless ``model`` was fitted: the one check before using a model."""
    if not hasattr(model, "X_"):
        raise NotFittedError(f"this {type(model).__name__} is not fitted yet: call fit(ratings) {then}")


@dataclass(frozen=True)
class TrainingProgress:
    """What a ``callback`` gets after every iteration; return True from the callback to stop early."""

    iteration: int
    cost: float
    elapsed: float
    max_iter: int
    validation_rmse: float | None = None
    #: RMSE on the training ratings (clipped predictions, as ``predict_ratings``); only with validation data.
    train_rmse: float | None = None
    #: Parameters reached at this iteration (read-only views; copy to keep them, e.g. for a replay).
    X: np.ndarray | None = field(default=None, repr=False)
    Theta: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FoldIn:
    """A new user's fitted parameters and predictions, found with the item features held fixed."""

    theta: np.ndarray
    bias: float
    predictions: pd.Series
    rated: np.ndarray
    #: Unclipped predictions: ranking on clipped ones would tie every item above the scale's top.
    scores: np.ndarray | None = field(default=None, repr=False)

    def recommended_items(self, n: int = 10) -> np.ndarray:
        """Positions of the ``n`` best predicted items the user has not rated (same order as the model's)."""
        scores = self.predictions.to_numpy() if self.scores is None else self.scores
        return top_n(scores, n, self.rated)

    def recommendations(self, n: int = 10) -> pd.DataFrame:
        top = self.recommended_items(n)
        return pd.DataFrame({"item": self.predictions.index[top], "predicted_rating": self.predictions.to_numpy()[top]})


def as_ratings(Y: Any, R: Any = None) -> Ratings:
    """Accept what the textbook and notebooks pass: a Ratings, a wide DataFrame, or Y (and R) arrays."""
    if isinstance(Y, Ratings):
        if R is not None:
            raise ValueError("R is only for the textbook call fit(Y, R) with arrays, not with a Ratings")
        return Y
    if isinstance(Y, pd.DataFrame) and R is None:
        return Ratings.from_frame(Y)
    return Ratings.from_dense(Y, R)


def top_n(scores: np.ndarray, n: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Positions of the n highest scores, ties broken by lower position, excluded positions skipped.

    The one ranking of CF Lab: recommendations, neighbours, and the app's "most rated first" lists use it.
    """
    candidates = np.arange(len(scores)) if exclude is None else np.flatnonzero(~exclude)
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order[: max(int(n), 0)]]


def _cosine(V: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    norms = np.linalg.norm(V, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    U = V / safe[:, None]  # zero vectors stay zero, so their similarities are 0, not NaN
    S = (U if rows is None else U[rows]) @ U.T
    return np.clip(S, -1.0, 1.0)


def _raw_entries(X, Theta, b, c, offsets, item_idx, user_idx) -> np.ndarray:
    """Unclipped predictions for the given (item, user) positions; ``b``/``c`` may be None (no biases)."""
    pred = predict_entries(X, Theta, item_idx, user_idx)
    pred += offsets[item_idx]
    if b is not None:
        pred += b[item_idx] + c[user_idx]
    return pred


def _clipped_rmse(X, Theta, b, c, offsets, ratings: Ratings, scale: tuple[float, float]) -> float:
    """RMSE of clipped predictions on ``ratings``, from parameters (during a fit, before any attribute is set)."""
    pred = _raw_entries(X, Theta, b, c, offsets, ratings.item_idx, ratings.user_idx)
    np.clip(pred, *scale, out=pred)
    return rmse(ratings.values, pred)


class CollaborativeFiltering:
    """Low-rank matrix factorization ``Y ~ X Theta^T`` fitted on the rated entries.

    Parameters
    ----------
    num_features : int
        k, the number of latent features per item and per user.
    lambda_ : float
        Regularization strength lambda (>= 0).
    bias_lambda : float or None
        With ``normalize="biases"``, the biases' own regularization strength; None: the same as
        ``lambda_`` (the textbook single lambda). Biases usually want less shrinking than the factors.
    regularization : {"l2", "weighted"}
        "l2": the textbook ``lambda/2 (|X|^2 + |Theta|^2)``. "weighted": each item's and each user's
        penalty multiplied by its number of ratings (ALS-WR, Zhou et al. 2008; what Spark MLlib's ALS
        minimizes), so rows with many ratings are shrunk as much, relative to their data, as rows with few.
        Biases are weighted like their row. See :mod:`cf_core.objective`.
    max_iter : int
        Solver iterations (ALS: sweeps over items then users).
    normalize : {"mean", None, "biases"}
        "mean": subtract each item's mean rating before training and add it back when predicting (the
        course). None: the seed's raw model. "biases": global mean plus learned, regularized item and
        user biases (biased MF).
    method : {"L-BFGS-B", "CG", "als", "als-cg"}
        scipy.optimize's L-BFGS-B or conjugate gradient, alternating least squares, or ALS with three
        conjugate-gradient steps per row and sweep (faster at large k); all minimize the same cost, so
        their cost curves compare directly. Any key of :data:`cf_core.solvers.SOLVERS`.
    init : {"uniform", "normal"}
        Starting parameters: uniform on [0, 1) as in the seed, or N(0, 0.1^2).
    tol : float or None
        Passed to scipy.optimize as ``tol``; for ALS, stop when the relative cost decrease is below it.
        None: the solver's default (ALS: 1e-9).
    random_state : int, numpy Generator or None
        Seed of the initial parameters; the same seed (and ``n_jobs``) gives identical fits.
    n_jobs : int or None
        Threads for the passes over the ratings (scikit-learn's convention: None is 1, -1 every CPU).
        Only data large enough to gain is split (about 40k ratings per thread); a different count
        sums in a different order, so results agree to rounding, not bit for bit.
    """

    def __init__(
        self,
        num_features: int = 10,
        lambda_: float = 1.0,
        max_iter: int = 100,
        *,
        bias_lambda: float | None = None,
        regularization: str = "l2",
        normalize: str | None = "mean",
        method: str = "L-BFGS-B",
        init: str = "uniform",
        tol: float | None = None,
        random_state: int | np.random.Generator | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.num_features = num_features
        self.lambda_ = lambda_
        self.max_iter = max_iter
        self.bias_lambda = bias_lambda
        self.regularization = regularization
        self.normalize = normalize
        self.method = method
        self.init = init
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------------- scikit-learn protocol
    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> CollaborativeFiltering:
        for name, value in params.items():
            if name not in self._param_names():
                raise ValueError(f"unknown parameter {name!r}; parameters are {self._param_names()}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {n: p.default for n, p in inspect.signature(type(self).__init__).parameters.items()}
        changed = [f"{n}={v!r}" for n, v in self.get_params().items() if defaults.get(n) != v]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _validate_params(self) -> None:
        k = self.num_features
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"num_features must be an integer >= 1, got {k!r}")
        lam = self.lambda_
        if isinstance(lam, bool) or not isinstance(lam, (int, float, np.number)) or not np.isfinite(lam) or lam < 0:
            raise ValueError(f"lambda_ must be a finite number >= 0, got {lam!r}")
        blam = self.bias_lambda
        if blam is not None and (
            isinstance(blam, bool) or not isinstance(blam, (int, float, np.number)) or not np.isfinite(blam) or blam < 0
        ):
            raise ValueError(f"bias_lambda must be None (same as lambda_) or a finite number >= 0, got {blam!r}")
        if self.regularization not in REGULARIZATIONS:
            raise ValueError(f"regularization must be one of {REGULARIZATIONS}, got {self.regularization!r}")
        it = self.max_iter
        if isinstance(it, bool) or not isinstance(it, (int, np.integer)) or it < 0:
            raise ValueError(f"max_iter must be an integer >= 0, got {it!r}")
        if self.normalize not in NORMALIZATIONS:
            raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {self.normalize!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        tol = self.tol
        if tol is not None and (isinstance(tol, bool) or not isinstance(tol, (int, float, np.number)) or not tol > 0):
            raise ValueError(f"tol must be None or a number > 0, got {self.tol!r}")
        jobs = self.n_jobs
        if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)) or jobs == 0):
            raise ValueError(f"n_jobs must be None, an integer >= 1, or negative (-1 = every CPU), got {jobs!r}")

    # --------------------------------------------------------------------------- the seed's pieces
    def _initialize_thetas(self, n_items: int, n_users: int, rng: np.random.Generator) -> np.ndarray:
        """Flat starting vector [X, Theta (, item biases, user biases)]; biases start at zero."""
        n = (n_items + n_users) * self.num_features
        start = rng.random(n) if self.init == "uniform" else rng.normal(0.0, 0.1, n)
        if self.normalize == "biases":
            start = np.concatenate([start, np.zeros(n_items + n_users)])
        return start

    def _reshape_thetas(
        self, params: np.ndarray, n_items: int, n_users: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Flat vector -> (X, Theta, item biases, user biases); views, no copies."""
        k = self.num_features
        nx, nt = n_items * k, n_users * k
        X = params[:nx].reshape(n_items, k)
        Theta = params[nx : nx + nt].reshape(n_users, k)
        if self.normalize != "biases":
            return X, Theta, None, None
        return X, Theta, params[nx + nt : nx + nt + n_items], params[nx + nt + n_items :]

    def _problem(self, objective: SparseObjective) -> Problem:
        tol = None if self.tol is None else float(self.tol)
        return Problem(objective, int(self.num_features), self.normalize == "biases", int(self.max_iter), tol)

    def _cost_and_gradient(self, params: np.ndarray, objective: SparseObjective) -> tuple[float, np.ndarray]:
        """J and the flat gradient (what the gradient solvers minimize)."""
        return self._problem(objective).cost_and_gradient(params)

    def _cost(self, params: np.ndarray, objective: SparseObjective) -> float:
        """J for a flat parameter vector."""
        return self._problem(objective).cost(params)

    def _gradient(self, params: np.ndarray, objective: SparseObjective) -> np.ndarray:
        """dJ/dparams for a flat parameter vector."""
        return self._cost_and_gradient(params, objective)[1]

    # ------------------------------------------------------------------------------------- fitting
    def _offsets(self, ratings: Ratings) -> tuple[np.ndarray, float]:
        """Per-item offset subtracted before training and added back in predictions, and the global mean."""
        global_mean = float(ratings.values.mean())
        if self.normalize == "mean":
            return ratings.item_means(), global_mean
        if self.normalize == "biases":
            return np.full(ratings.n_items, global_mean), global_mean
        return np.zeros(ratings.n_items), global_mean

    def fit(
        self,
        Y: Ratings | np.ndarray | pd.DataFrame,
        R: np.ndarray | None = None,
        *,
        callback: Callable[[TrainingProgress], bool | None] | None = None,
        validation: Ratings | None = None,
    ) -> CollaborativeFiltering:
        """Learn X and Theta from ``Y`` (a Ratings, a wide DataFrame, or the textbook's ``Y, R``).

        ``callback(progress)`` runs after every iteration; returning True stops training and keeps the
        parameters reached so far. ``validation`` (a Ratings over the same items and users) adds a
        validation RMSE to every progress report and to ``validation_history_``.
        """
        # BLAS threads are the caller's to set (as in scikit-learn and implicit): a limit set here would be
        # process-wide, and fits in other threads would see it change under them. The app sets it once.
        self._validate_params()
        return self._fit(as_ratings(Y, R), callback, validation)

    def _fit(
        self,
        ratings: Ratings,
        callback: Callable[[TrainingProgress], bool | None] | None,
        validation: Ratings | None,
    ) -> CollaborativeFiltering:
        if validation is not None and (
            validation.shape != ratings.shape
            or not validation.items.equals(ratings.items)
            or not validation.users.equals(ratings.users)
        ):
            raise ValueError(
                f"validation ratings must cover the same items and users as the training ratings "
                f"({ratings.n_items} x {ratings.n_users}), got {validation.n_items} x {validation.n_users}"
            )
        try:
            rng = np.random.default_rng(self.random_state)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"random_state must be None, a non-negative integer or a numpy Generator, got {self.random_state!r}"
            ) from exc
        offsets, global_mean = self._offsets(ratings)
        objective = self._objective_for(ratings, offsets)
        problem = self._problem(objective)
        solver = SOLVERS[self.method]
        start_params = self._initialize_thetas(ratings.n_items, ratings.n_users, rng)
        scale = ratings.rating_scale

        def rmse_at(params: np.ndarray, data: Ratings) -> float:
            p = problem.unpack(params)
            return _clipped_rmse(p.X, p.Theta, p.b, p.c, offsets, data, scale)

        costs = [problem.cost(start_params)]
        val_hist = [] if validation is None else [rmse_at(start_params, validation)]
        start = time.perf_counter()

        def on_iteration(params: np.ndarray, cost: float) -> bool:
            """Log one iteration; True when the callback asked to stop. No fitted attribute is touched."""
            costs.append(float(cost))
            val = train = None
            if validation is not None:
                val = rmse_at(params, validation)
                val_hist.append(val)
            if callback is None:
                return False
            if validation is not None:
                train = rmse_at(params, ratings)
            p = problem.unpack(params)
            p.X.flags.writeable = p.Theta.flags.writeable = False
            info = TrainingProgress(
                len(costs) - 1, float(cost), time.perf_counter() - start, int(self.max_iter), val, train, p.X, p.Theta
            )
            return bool(callback(info))

        if self.max_iter == 0:
            result = SolverResult(start_params, 0, False, "max_iter is 0: parameters are the initial ones")
        else:
            result = solver.solve(problem, start_params, on_iteration)

        # The fitted state, written once: a model is either fitted by one whole fit or not changed.
        self.ratings_ = ratings
        self.item_means_ = offsets if self.normalize == "mean" else ratings.item_means()
        self.offsets_ = offsets
        self.global_mean_ = global_mean
        self._set_params_from(result.params, ratings.shape)
        self.cost_history_ = np.asarray(costs)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.message_ = result.message
        self.fit_time_ = time.perf_counter() - start
        if validation is not None:
            self.validation_history_ = np.asarray(val_hist)
        elif hasattr(self, "validation_history_"):
            del self.validation_history_
        return self

    def _objective_for(self, ratings: Ratings, offsets: np.ndarray) -> SparseObjective:
        return SparseObjective(
            ratings.item_idx,
            ratings.user_idx,
            ratings.values - offsets[ratings.item_idx],
            ratings.shape,
            self.lambda_,
            bias_lambda=self.bias_lambda,
            regularization=self.regularization,
            n_threads=resolve_n_jobs(self.n_jobs),
        )

    def objective(self) -> SparseObjective:
        """The cost this fitted model minimized (its targets, lambdas and penalty), for inspecting its math.

        Call it with the fitted parameters, e.g. ``model.objective().cost(model.X_, model.Theta_,
        model.item_bias_, model.user_bias_)`` (biases only with ``normalize="biases"``), or give it to
        :func:`cf_core.objective.check_gradient`-style checks.
        """
        check_fitted(self)
        return self._objective_for(self.ratings_, self.offsets_)

    def _set_params_from(self, params: np.ndarray, shape: tuple[int, int]) -> None:
        X, Theta, b, c = self._reshape_thetas(np.asarray(params), *shape)
        self.X_ = np.array(X)
        self.Theta_ = np.array(Theta)
        self.item_bias_ = np.zeros(shape[0]) if b is None else np.array(b)
        self.user_bias_ = np.zeros(shape[1]) if c is None else np.array(c)

    # ----------------------------------------------------------------------------------- predicting
    def _raw_entries(self, item_idx: np.ndarray, user_idx: np.ndarray) -> np.ndarray:
        return _raw_entries(self.X_, self.Theta_, self.item_bias_, self.user_bias_, self.offsets_, item_idx, user_idx)

    def _clip(self, pred: np.ndarray, clip: bool) -> np.ndarray:
        if clip:
            lo, hi = self.ratings_.rating_scale
            np.clip(pred, lo, hi, out=pred)
        return pred

    def _positions(self, idx: Any, n: int, kind: str) -> np.ndarray:
        arr = np.asarray(idx)
        if arr.size == 0 and arr.dtype != bool:
            arr = arr.astype(np.intp)  # an empty selection ([] is float to numpy) selects nothing
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(
                f"{kind} must be given by integer position (0 to {n - 1}); for a label use "
                f"model.ratings_.{kind}_index(label). Got {idx!r}"
            )
        if arr.size and (arr.min() < -n or arr.max() >= n):
            raise ValueError(f"{kind} position out of range: {idx!r} for {n} {kind}s")
        return arr % n

    def predict(self, user: Any, item: Any, *, clip: bool = True) -> float | np.ndarray:
        """Predicted rating of ``item`` by ``user`` (positions; scalars or broadcastable arrays)."""
        check_fitted(self)
        u = self._positions(user, self.ratings_.n_users, "user")
        i = self._positions(item, self.ratings_.n_items, "item")
        i, u = np.broadcast_arrays(i, u)
        pred = self._clip(self._raw_entries(i.ravel(), u.ravel()), clip).reshape(i.shape)
        return float(pred) if pred.ndim == 0 else pred

    def predict_ratings(self, ratings: Ratings, *, clip: bool = True) -> np.ndarray:
        """Predictions for every entry of ``ratings`` (same grid), in its entry order; O(entries) memory."""
        check_fitted(self)
        fitted = self.ratings_
        same_labels = ratings.items.equals(fitted.items) and ratings.users.equals(fitted.users)
        if ratings.shape != fitted.shape or not same_labels:
            raise ValueError(
                f"ratings must be over the fitted grid ({fitted.n_items} items x {fitted.n_users} users, same labels "
                f"in the same order); got {ratings.n_items} x {ratings.n_users}"
                + (" with other labels" if ratings.shape == fitted.shape else "")
            )
        return self._clip(self._raw_entries(ratings.item_idx, ratings.user_idx), clip)

    def _rmse(self, ratings: Ratings) -> float:
        return rmse(ratings.values, self.predict_ratings(ratings))

    def predict_matrix(self, items: Any = None, users: Any = None, *, clip: bool = True) -> np.ndarray:
        """Dense predictions for the chosen item and user positions (all by default), items x users."""
        check_fitted(self)
        ii = (
            np.arange(self.ratings_.n_items) if items is None else self._positions(items, self.ratings_.n_items, "item")
        )
        uu = (
            np.arange(self.ratings_.n_users) if users is None else self._positions(users, self.ratings_.n_users, "user")
        )
        pred = self.X_[ii] @ self.Theta_[uu].T
        pred += (self.offsets_[ii] + self.item_bias_[ii])[:, None] + self.user_bias_[uu][None, :]
        return self._clip(pred, clip)

    def predict_all(self, items: Any = None, users: Any = None, *, clip: bool = True) -> pd.DataFrame:
        """Predicted ratings as a wide DataFrame (items x users) with the data's labels."""
        pred = self.predict_matrix(items, users, clip=clip)
        r = self.ratings_
        index = r.items if items is None else r.items[self._positions(items, r.n_items, "item")]
        columns = r.users if users is None else r.users[self._positions(users, r.n_users, "user")]
        return pd.DataFrame(pred, index=index, columns=columns)

    def _rated_mask(self, user: int) -> np.ndarray:
        r = self.ratings_
        mask = np.zeros(r.n_items, dtype=bool)
        mask[r.item_idx[r.user_idx == user]] = True
        return mask

    def recommended_items(self, user: int, n: int = 10, exclude_rated: bool = True) -> np.ndarray:
        """Item positions for ``user`` (a position), best predicted first; ties go to the lower position."""
        check_fitted(self)
        u = int(self._positions(user, self.ratings_.n_users, "user"))
        scores = self.predict_matrix(users=[u], clip=False)[:, 0]
        return top_n(scores, n, self._rated_mask(u) if exclude_rated else None)

    def recommendations(self, user: int, n: int = 10, exclude_rated: bool = True) -> pd.DataFrame:
        """Top-``n`` items for ``user`` (a position) as a table of item label and predicted rating."""
        top = self.recommended_items(user, n, exclude_rated)
        return pd.DataFrame(
            {"item": self.ratings_.items[top], "predicted_rating": self.predict(np.full(len(top), int(user)), top)}
        )

    # --------------------------------------------------------------------------------- similarities
    def _vectors(self, kind: str) -> tuple[np.ndarray, pd.Index]:
        check_fitted(self)
        if kind == "items":
            return self.X_, self.ratings_.items
        if kind == "users":
            return self.Theta_, self.ratings_.users
        raise ValueError(f"kind must be 'items' or 'users', got {kind!r}")

    def compute_similarities(self, kind: str = "items", indices: Any = None) -> np.ndarray:
        """Cosine similarity of learned feature vectors (rows of X or Theta), in [-1, 1]; 0 for zero vectors.

        ``indices`` restricts the result to those positions (a square matrix among them), so large data
        never needs an n x n matrix.
        """
        V, _ = self._vectors(kind)
        if indices is not None:
            V = V[self._positions(indices, len(V), kind[:-1])]
        return _cosine(V)

    def most_similar(self, kind: str, key: int, n: int = 5) -> pd.DataFrame:
        """The ``n`` items (or users) whose feature vectors point most like that of position ``key``."""
        V, labels = self._vectors(kind)
        pos = int(self._positions(key, len(V), kind[:-1]))
        sims = _cosine(V, np.array([pos]))[0]
        exclude = np.zeros(len(V), dtype=bool)
        exclude[pos] = True
        top = top_n(sims, n, exclude)
        return pd.DataFrame({kind[:-1]: labels[top], "position": top, "similarity": sims[top]})

    # ------------------------------------------------------------------------------------- fold-in
    def fold_in(self, item_ratings: np.ndarray | Mapping[Hashable, float]) -> FoldIn:
        """Parameters and predictions for a new user from a few ratings, without retraining.

        ``item_ratings`` is an array of length n_items (NaN = unrated) or a mapping item label -> rating.
        With X fixed, the user's regularized least-squares optimum has a closed form, so this is instant.
        """
        check_fitted(self)
        r = self.ratings_
        if isinstance(item_ratings, Mapping):
            y = np.full(r.n_items, np.nan)
            for label, value in item_ratings.items():
                y[r.item_index(label)] = float(value)
        else:
            y = np.asarray(item_ratings, dtype=np.float64)
            if y.shape != (r.n_items,):
                raise ValueError(f"item_ratings must have one entry per item ({r.n_items}), got shape {y.shape}")
        if np.isinf(y).any():
            raise ValueError("item_ratings contains an infinite value")
        rated = ~np.isnan(y)
        lo, hi = r.rating_scale
        if np.any((y[rated] < lo) | (y[rated] > hi)):
            raise ValueError(f"ratings must lie on the scale {lo:g} to {hi:g}")
        biased = self.normalize == "biases"
        items = np.flatnonzero(rated)
        target = y[items] - self.offsets_[items]
        # The ALS user step for one row (same kernel, jitter and penalty), so fold-in of a known user is that step.
        weight = float(max(len(items), 1)) if self.regularization == "weighted" else 1.0
        bias_lambda = self.lambda_ if self.bias_lambda is None else self.bias_lambda
        solution = ridge_solve(
            self.X_, items, target, self.item_bias_ if biased else None, float(self.lambda_), float(bias_lambda), weight
        )
        theta, bias = (solution[:-1], float(solution[-1])) if biased else (solution, 0.0)
        scores = self.X_ @ theta + self.offsets_ + self.item_bias_ + bias
        pred = self._clip(scores.copy(), True)
        return FoldIn(theta, bias, pd.Series(pred, index=r.items, name="predicted_rating"), rated, scores)
