"""The Spark engine (:mod:`cf_core.spark`) against a real local Spark: same model, same cost, same labels.

One SparkSession (``local[2]``, two shuffle partitions, no UI, quiet logs) serves the whole test run: a
JVM takes 10-40 s to start here. Without pyspark or Java these tests skip and say why; in CI (``CI=true``
or ``CF_LAB_REQUIRE_SPARK=1``, which ``.ci/run`` sets) that is a failure instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from cf_core import CollaborativeFiltering, Ratings, train_test_split
from cf_core.io import DataFormatError, load_model, load_ratings, save_model, save_ratings
from cf_core.objective import SparseObjective
from cf_core.spark import SparkFitCancelled, fit_spark, spark_unavailable_reason
from cf_core.synthetic import synthetic_ratings

LECTURE = os.path.join(os.path.dirname(__file__), "..", "data", "lecture.csv")

# pyspark 4.3 warns about pandas 3 on every conversion; the conversions used here are checked by the tests.
pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def spark_required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("CF_LAB_REQUIRE_SPARK") == "1"


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The run's one local Spark session, stopped at the end."""
    reason = spark_unavailable_reason()
    if reason:
        if spark_required():
            pytest.fail(f"the Spark tests are required here (CI) but {reason}")
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("cf-lab-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("spark-checkpoints")))
    yield session
    session.stop()


def weighted(k: int, lam: float, max_iter: int, **kw: object) -> CollaborativeFiltering:
    return CollaborativeFiltering(k, lam, max_iter, method="als", regularization="weighted", random_state=0, **kw)


def cost_of(model: CollaborativeFiltering, ratings: Ratings) -> float:
    """CF Lab's weighted cost of a fitted model's factors, on ``ratings`` minus the model's offsets."""
    targets = ratings.values - model.offsets_[ratings.item_idx]
    objective = SparseObjective(
        ratings.item_idx, ratings.user_idx, targets, ratings.shape, model.lambda_, regularization="weighted"
    )
    return objective.cost(model.X_, model.Theta_)


# ------------------------------------------------------------------------ refused before any Spark work
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "L-BFGS-B"}, "method='als'"),
        ({"normalize": "biases"}, "learns no biases"),
        ({"regularization": "l2"}, "regularization='weighted'"),
    ],
)
def test_options_spark_cannot_honour_are_refused(change: dict, message: str) -> None:
    model = weighted(2, 1.0, 5).set_params(**change)
    with pytest.raises(ValueError, match=message):
        fit_spark(model, load_ratings(LECTURE), spark="unused: refused before a session is made")
    assert not hasattr(model, "X_")


# ------------------------------------------------------------------------------------------ equivalence
def test_same_final_cost_and_held_out_rmse_as_local_weighted_als(spark) -> None:
    ratings = synthetic_ratings(300, 200, 12_000, random_state=1)
    train, test = train_test_split(ratings, 0.2, random_state=0)
    local = weighted(3, 0.3, 15).fit(train)
    remote = fit_spark(weighted(3, 0.3, 15), train, spark=spark)
    item_mean_rmse = np.sqrt(np.mean((test.values - local.offsets_[test.item_idx]) ** 2))

    assert remote._rmse(test) < item_mean_rmse - 0.03  # a model that learned something, not all-zero factors
    assert remote.cost_history_[-1] == pytest.approx(cost_of(remote, train))
    assert cost_of(remote, train) == pytest.approx(cost_of(local, train), rel=0.01)
    assert remote._rmse(test) == pytest.approx(local._rmse(test), abs=0.005)


# ------------------------------------------------------------------------- an ordinary model comes back
def test_data_spark_reads_itself_gives_an_ordinary_model(spark, tmp_path) -> None:
    """A long CSV read by Spark: the same labels and order as load_ratings, and every model method works."""
    path = tmp_path / "lecture_long.csv"
    save_ratings(load_ratings(LECTURE), path, format="long")
    here = load_ratings(path)
    model = fit_spark(weighted(2, 0.1, 10), str(path), spark=spark)

    assert model.ratings_.items.equals(here.items) and model.ratings_.users.equals(here.users)
    assert model.ratings_.n_ratings == 0  # the ratings stayed in Spark
    np.testing.assert_allclose(model.offsets_, here.item_means())
    assert model.cost_history_[-1] == pytest.approx(cost_of(model, here), rel=1e-5)  # Spark-side sum, float32
    assert model.predict_all().loc["Love at last", "Alice"] > 4  # the lecture's romance fan
    fold = model.fold_in({"Love at last": 5, "Nonstop car chases": 0})
    assert fold.recommendations(1)["item"].iloc[0] in {"Romance forever", "Cute puppies of love"}
    again = load_model(save_model(model))
    np.testing.assert_array_equal(again.predict_matrix(), model.predict_matrix())


def test_parquet_with_integer_ids_is_indexed_by_value(spark, tmp_path) -> None:
    long = pd.DataFrame(
        {"userId": [10, 2, 2, 10, 7, 7], "movieId": [5, 5, 30, 30, 5, 30], "rating": [4.0, 5, 1, 2, 4, 2]}
    )
    long.to_parquet(tmp_path / "r.parquet")
    model = fit_spark(weighted(2, 0.5, 5), str(tmp_path / "r.parquet"), spark=spark)

    assert model.ratings_.users.tolist() == [2, 7, 10]  # by value, as integers
    assert model.ratings_.items.tolist() == [5, 30]
    assert model.predict(0, 0) > model.predict(0, 1)  # user 2 rated movie 5 far above movie 30


def test_a_spark_dataframe_with_a_repeated_rating_is_refused(spark) -> None:
    frame = spark.createDataFrame([("ann", "x", 4.0), ("bob", "x", 3.0), ("ann", "x", 5.0)], ["user", "item", "rating"])
    model = weighted(2, 1.0, 3)
    with pytest.raises(DataFormatError, match="item 'x' is rated 2 times by user 'ann'"):
        fit_spark(model, frame, spark=spark)
    assert not hasattr(model, "X_")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("user,item,rating\nann,x,4\nbob,x,five\n", "'five', not a finite number"),
        ("user,film_name,rating\nann,x,4\n", "missing column"),
    ],
)
def test_bad_files_are_named_not_half_fitted(spark, tmp_path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    model = weighted(2, 1.0, 3)
    with pytest.raises(DataFormatError, match=message):
        fit_spark(model, str(path), spark=spark)
    assert not hasattr(model, "X_")


# ------------------------------------------------------------------------------- history and cancelling
def test_full_history_is_the_cost_of_each_prefix_and_never_rises(spark) -> None:
    ratings = load_ratings(LECTURE)
    model = fit_spark(weighted(2, 0.1, 3), ratings, spark=spark, history="full")
    costs = model.cost_history_
    assert len(costs) == 4 and costs[-1] == pytest.approx(cost_of(model, ratings))
    assert np.all(np.diff(costs) <= 1e-6 * costs[:-1])  # each ALS sweep can only lower J


def test_progress_returning_true_cancels_the_spark_jobs(spark) -> None:
    seen = []

    def stop_when_training(progress) -> bool:
        seen.append(progress)
        return progress.phase == "training"

    model = weighted(3, 0.5, 15)
    with pytest.raises(SparkFitCancelled):
        fit_spark(
            model, synthetic_ratings(200, 100, 4000), spark=spark, progress=stop_when_training, poll_interval=0.05
        )
    assert not hasattr(model, "X_") and seen[-1].phase == "training"
    assert spark.sparkContext.statusTracker().getActiveJobsIds() == []
