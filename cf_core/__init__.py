"""CF Lab's collaborative-filtering core: a plain library, usable from scripts, notebooks and the app.

>>> from cf_core import CollaborativeFiltering, Ratings
>>> model = CollaborativeFiltering(num_features=2, lambda_=1.0, max_iter=50, random_state=0)
>>> model.fit(Ratings.from_dense([[5, 4, 0], [1, 0, 5]], [[1, 1, 0], [1, 0, 1]]))  # doctest: +ELLIPSIS
CollaborativeFiltering(...)
"""

from .estimator import CollaborativeFiltering, FoldIn, NotFittedError, TrainingProgress, as_ratings, check_fitted, top_n
from .evaluation import mae, rmse, sweep, train_test_split
from .objective import GradientCheck, check_gradient, cost_and_gradient, dense_cost_and_gradient
from .ratings import Ratings

__all__ = [
    "CollaborativeFiltering",
    "FoldIn",
    "GradientCheck",
    "NotFittedError",
    "Ratings",
    "TrainingProgress",
    "as_ratings",
    "check_fitted",
    "check_gradient",
    "cost_and_gradient",
    "dense_cost_and_gradient",
    "mae",
    "rmse",
    "sweep",
    "top_n",
    "train_test_split",
]
