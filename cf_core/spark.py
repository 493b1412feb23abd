"""Training CF Lab's model on Apache Spark: MLlib's ALS does the fit, the result is an ordinary fitted model.

Spark MLlib's ALS (explicit feedback) minimizes the weighted-lambda cost of ALS-WR (Zhou et al. 2008)::

    J = 1/2 sum_rated (x_i . theta_j - y_ij)^2 + lambda/2 (sum_i n_i |x_i|^2 + sum_j n_j |theta_j|^2)

where n_i (n_j) is the number of ratings of item i (user j): it adds ``regParam * n`` to each row's normal
equations. That is ``CollaborativeFiltering(regularization="weighted")``, so :func:`fit_spark` takes such an
unfitted estimator, trains it with ``pyspark.ml.recommendation.ALS`` (rank = k, regParam = lambda, maxIter,
seed) and writes the usual fitted attributes (``X_``, ``Theta_``, ``offsets_``, labels in ``ratings_``,
``cost_history_`` from CF Lab's own objective), so ``predict``, ``recommendations``, ``fold_in`` and
``save_model`` work unchanged.

The data may live in Spark only: a Spark DataFrame or a path (Parquet, or a long CSV/TSV) that Spark reads
itself, with the column conventions of :func:`cf_core.io.load_ratings` (user, item, rating[, timestamp];
header names such as ``userId``/``movieId``/``rating``). Labels are indexed in Spark against the sorted
distinct labels; what comes back to the driver is the labels, per-row counts and means, and the factors
(items x k + users x k), never the ratings.

pyspark is optional (a dev requirement): it is imported only when a Spark function runs.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .estimator import CollaborativeFiltering
from .io import DataFormatError
from .io.long import header_roles
from .objective import Penalty, SparseObjective
from .ratings import Ratings, natural_order

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "fit_spark",
    "spark_session",
    "spark_unavailable_reason",
    "SparkProgress",
    "SparkFitCancelled",
    "read_ratings",
]

#: Spark's ALS grows its lineage by a few RDDs per sweep; past about this many sweeps without a checkpoint
#: directory the task closures overflow the JVM stack (measured: 100 sweeps fail on local[2], Spark 4.3).
CHECKPOINT_NEEDED_AFTER = 20
#: Seconds to wait for a cancelled fit's worker thread to see its jobs end.
_CANCEL_WAIT = 30.0
_INT_TEXT = re.compile(r"0|-?[1-9][0-9]{0,17}")


class SparkFitCancelled(RuntimeError):
    """The Spark jobs of a fit were cancelled (Stop): Spark's ALS keeps nothing until it finishes."""


@dataclass(frozen=True)
class SparkProgress:
    """What ``progress`` gets while Spark works; return True from it to cancel the fit's jobs."""

    phase: str  # "reading", "indexing", "training", "collecting", "cost"
    jobs_done: int
    jobs_running: int
    tasks_done: int
    tasks_total: int  # tasks of the stages submitted so far (later stages are not known in advance)
    elapsed: float
    iteration: int | None = None  # with history="full": which re-fit is running (0..max_iter)
    max_iter: int = 0


def spark_unavailable_reason() -> str | None:
    """Why Spark cannot run here (no pyspark, no Java), or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -r requirements-dev.txt, or pip install pyspark)"
    java_home = os.environ.get("JAVA_HOME")
    has_java = bool(java_home and os.path.exists(os.path.join(java_home, "bin", "java")))
    if not has_java:
        import shutil

        has_java = shutil.which("java") is not None
    if not has_java:
        return "no Java runtime found (Spark needs Java 17+: install e.g. Debian's default-jre-headless)"
    return None


def spark_session(master: str = "local[*]", *, app_name: str = "CF Lab", **config: str) -> SparkSession:
    """Get or create the process's SparkSession for ``master`` (``local[*]``, ``spark://host:7077``, ``yarn``...).

    Spark allows one session per process, so an existing one is returned (its master wins; Spark applies
    what it can of ``config`` to it).
    A session created here gets a temporary checkpoint directory, which Spark's ALS needs beyond
    ~20 sweeps; ``config`` adds any other Spark settings (e.g. ``spark.driver.memory``).
    """
    reason = spark_unavailable_reason()
    if reason:
        raise RuntimeError(f"Spark is not available: {reason}")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name).master(master)
    for key, value in config.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if spark.sparkContext.getCheckpointDir() is None:
        spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="cf-lab-spark-checkpoints-"))
    return spark


def _session(spark: SparkSession | str | None) -> SparkSession:
    if spark is None or isinstance(spark, str):
        return spark_session(spark or "local[*]")
    return spark


# ------------------------------------------------------------------------------------------- reading
def _csv_layout(spark: SparkSession, path: str) -> tuple[str, bool]:
    """(separator, has header) from the first line, which Spark reads (the path may be on HDFS or S3)."""
    from pyspark.sql import functions as F

    first = spark.read.text(path).filter(~F.col("value").startswith("#")).head(1)
    if not first:
        raise DataFormatError("no ratings: the file is empty", source=path)
    line = first[0][0].lstrip("\ufeff")
    sep = max(("::", "\t", ";", "|", ","), key=lambda s: (line.count(s), s == ","))
    if line.count(sep) == 0:
        sep = ","
    fields = [f.strip().strip('"') for f in line.split(sep)]
    roles = header_roles(fields)
    third = fields[2] if len(fields) > 2 else ""
    try:
        float(third)
        numeric_third = True
    except ValueError:
        numeric_third = False
    has_header = sum(r in roles for r in ("user", "item", "rating")) >= 2 or not numeric_third
    return sep, has_header


def read_ratings(spark: SparkSession, source: DataFrame | str | os.PathLike) -> DataFrame:
    """Ratings as a Spark DataFrame with columns ``user``, ``item``, ``rating`` (double) and ``raw_rating``.

    ``source`` is a DataFrame or a path: Parquet (a ``.parquet`` file or a directory of them), otherwise
    a long CSV/TSV read by Spark. Columns are found by header name as :func:`cf_core.io.load_ratings`
    does (userId, movieId, rating, ...); a file without a header is user, item, rating[, timestamp].
    """
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F

    name = "the DataFrame"
    if isinstance(source, DataFrame):
        df = source
    else:
        path = os.fspath(source)
        name = path
        if path.endswith(".parquet") or (os.path.isdir(path) and any(f.endswith(".parquet") for f in os.listdir(path))):
            df = spark.read.parquet(path)
        else:
            sep, has_header = _csv_layout(spark, path)
            df = spark.read.csv(
                path, sep=sep, header=has_header, inferSchema=False, ignoreLeadingWhiteSpace=True, comment="#"
            )
            if not has_header:
                n = len(df.columns)
                if n not in (3, 4):
                    raise DataFormatError(
                        f"a long CSV without a header has 3 or 4 columns (user, item, rating[, timestamp]); "
                        f"this one has {n} (Spark reads long files only: load a wide grid with load_ratings)",
                        source=path,
                        line=1,
                    )
                df = df.toDF(*["user", "item", "rating", "timestamp"][:n])
    roles = header_roles(list(df.columns))
    missing = [r for r in ("user", "item", "rating") if r not in roles]
    if missing:
        raise DataFormatError(
            f"missing column(s) {', '.join(missing)}: ratings need user, item and rating columns, "
            f"but the columns are {', '.join(df.columns)} (Spark reads long data only: load a wide grid with "
            "cf_core.io.load_ratings and pass the Ratings)",
            source=name,
            column=missing[0],
        )
    cols = {r: df.columns[roles[r]] for r in ("user", "item", "rating")}
    return df.select(
        F.col(f"`{cols['user']}`").alias("user"),
        F.col(f"`{cols['item']}`").alias("item"),
        F.col(f"`{cols['rating']}`").cast("string").alias("raw_rating"),
        F.col(f"`{cols['rating']}`").try_cast("double").alias("rating"),  # bad text -> null, named below
    ).withMetadata("rating", {"source_column": cols["rating"], "source": name})


def _check_values(df: DataFrame, source: str) -> dict[str, float]:
    """Count, min, max, mean; refuse missing labels and ratings that are not finite numbers (naming one)."""
    from pyspark.sql import functions as F

    bad_rating = F.col("rating").isNull() | F.isnan("rating") | (F.abs("rating") == float("inf"))
    row = df.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(bad_rating.cast("long")).alias("bad_rating"),
        F.sum(F.col("user").isNull().cast("long")).alias("no_user"),
        F.sum(F.col("item").isNull().cast("long")).alias("no_item"),
        F.min("rating").alias("lo"),
        F.max("rating").alias("hi"),
        F.avg("rating").alias("mean"),
    ).head()
    column = df.schema["rating"].metadata.get("source_column", "rating")
    if not row["n"]:
        raise DataFormatError("no ratings: the data has no rows", source=source)
    if row["bad_rating"]:
        bad = df.filter(bad_rating).head()
        raise DataFormatError(
            f"the rating of user {bad['user']!r} for item {bad['item']!r} is {bad['raw_rating']!r}, "
            f"not a finite number ({row['bad_rating']} such rows)",
            source=source,
            column=column,
            value=bad["raw_rating"],
        )
    for kind in ("user", "item"):
        if row[f"no_{kind}"]:
            raise DataFormatError(f"{row[f'no_{kind}']} rows have no {kind}", source=source, column=kind)
    return {"n": row["n"], "lo": row["lo"], "hi": row["hi"], "mean": row["mean"]}


def _label_index(values: pd.Series) -> tuple[pd.Index, pd.Index]:
    """(labels in CF Lab's order, the same values as Spark holds them): numbers by value, text naturally,
    and text that is all plain integers becomes integer labels, as load_ratings makes them."""
    codes, labels = pd.factorize(values, sort=True)
    codes, labels = natural_order(codes, pd.Index(labels))
    spark_values = pd.Index(labels)
    if labels.dtype == object and len(labels) and all(isinstance(v, str) and _INT_TEXT.fullmatch(v) for v in labels):
        labels = pd.Index(labels.astype(np.int64))
    return labels, spark_values


def _index_labels(spark: SparkSession, df: DataFrame, kind: str) -> tuple[pd.Index, DataFrame]:
    """Sorted distinct labels of ``kind`` (collected: one per row of X or Theta) and a (label, pos) DataFrame."""
    distinct = df.select(kind).distinct().toPandas()[kind]
    labels, spark_values = _label_index(distinct)
    mapping = pd.DataFrame({kind: spark_values, f"{kind}_pos": np.arange(len(labels), dtype=np.int32)})
    schema = f"`{kind}` {df.schema[kind].dataType.simpleString()}, `{kind}_pos` int"
    return labels, spark.createDataFrame(mapping, schema=schema)


# -------------------------------------------------------------------------------------------- fitting
def _check_model(model: CollaborativeFiltering) -> None:
    """Refuse what Spark's ALS cannot do, instead of fitting something else under the same name."""
    model._validate_params()
    if model.method != "als":
        raise ValueError(f"Spark trains with alternating least squares only: use method='als' (got {model.method!r})")
    if model.normalize == "biases":
        raise ValueError("Spark's ALS learns no biases: use normalize='mean' (item means subtracted in Spark) or None")
    regularization = getattr(model, "regularization", None)
    if regularization is not None and regularization != "weighted":
        raise ValueError(
            "Spark's ALS minimizes the weighted-lambda cost (each row's penalty times its number of ratings): "
            f"use regularization='weighted' (got {regularization!r})"
        )


def _seed(random_state: Any) -> int:
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    try:
        rng = np.random.default_rng(random_state)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"random_state must be None, a non-negative integer or a numpy Generator, got {random_state!r}"
        ) from exc
    return int(rng.integers(0, 2**31 - 1))


def _factors(frame: DataFrame, n: int, k: int) -> np.ndarray:
    """Spark's (id, features) factor rows as an n x k float64 array in position order."""
    pdf = frame.toPandas()
    out = np.zeros((n, k))
    if len(pdf):
        out[pdf["id"].to_numpy()] = np.stack(pdf["features"].to_numpy()).astype(np.float64)
    return out


@dataclass
class _Fitted:
    """Everything the worker thread brings back; written onto the model only when the fit succeeded."""

    X: np.ndarray
    Theta: np.ndarray
    offsets: np.ndarray
    item_means: np.ndarray
    global_mean: float
    ratings: Ratings
    costs: list[float]


class _Job:
    """One fit's Spark job group: progress from the status tracker, and cancellation."""

    def __init__(self, spark: SparkSession, group: str) -> None:
        self.sc = spark.sparkContext
        self.group = group
        self.phase = "reading"
        self.iteration: int | None = None

    def enter(self) -> None:
        """Tag this thread's Spark jobs (job groups are per thread with pyspark's pinned threads)."""
        self.sc.setJobGroup(self.group, "CF Lab fit", interruptOnCancel=True)

    def snapshot(self, start: float, max_iter: int) -> SparkProgress:
        tracker = self.sc.statusTracker()
        done = running = tasks_done = tasks_total = 0
        for job_id in tracker.getJobIdsForGroup(self.group):
            info = tracker.getJobInfo(job_id)
            if info is None:
                continue
            if info.status == "SUCCEEDED":
                done += 1
            elif info.status == "RUNNING":
                running += 1
            for stage_id in info.stageIds:
                stage = tracker.getStageInfo(stage_id)
                if stage is not None and stage.numTasks:
                    tasks_total += stage.numTasks
                    tasks_done += stage.numCompletedTasks
        return SparkProgress(
            self.phase, done, running, tasks_done, tasks_total, time.perf_counter() - start, self.iteration, max_iter
        )

    def cancel(self) -> None:
        self.sc.cancelJobGroup(self.group)


def fit_spark(
    model: CollaborativeFiltering,
    data: Ratings | DataFrame | str | os.PathLike,
    *,
    spark: SparkSession | str | None = None,
    validation: Ratings | None = None,
    progress: Callable[[SparkProgress], bool | None] | None = None,
    history: str = "final",
    num_blocks: int | None = None,
    poll_interval: float = 0.25,
) -> CollaborativeFiltering:
    """Fit ``model`` (an unfitted ``CollaborativeFiltering``) with Spark MLlib's ALS and return it, fitted.

    ``data``: a :class:`Ratings` (sent to Spark), a Spark DataFrame, or a path Spark reads (Parquet, long
    CSV). ``spark``: a SparkSession, or a master URL for :func:`spark_session` (default ``local[*]``).

    From the model: ``num_features`` -> rank, ``lambda_`` -> regParam, ``max_iter`` -> maxIter (Spark runs
    exactly that many sweeps: it has no stopping rule, so ``tol`` is unused and ``converged_`` is False),
    ``random_state`` -> seed. Spark starts from its own random factors (``init`` is unused) and splits the
    work by its own partitions (``n_jobs`` is unused). Refused with a ValueError: ``method`` other than
    "als", ``normalize="biases"`` (Spark learns no biases), ``regularization`` other than "weighted".
    ``normalize="mean"`` is done around Spark: item means are computed and subtracted in Spark, and kept
    as the model's offsets.

    ``cost_history_``: Spark reports no per-iteration cost. ``history="final"`` (default) gives one entry,
    CF Lab's weighted cost of the final factors; ``history="full"`` re-fits with maxIter = 0, 1, ...,
    max_iter (same seed, so each is a prefix of the full run) for the whole curve: O(max_iter^2) sweeps,
    for teaching-sized data. The cost uses :class:`cf_core.objective.SparseObjective` on the driver when
    ``data`` is a Ratings; for data that lives in Spark, the squared errors are summed in Spark and the
    penalty is added from the collected factors and counts.

    For data that lives in Spark, ``ratings_`` holds the labels and rating scale but no entries (the
    ratings never come to the driver), so ``recommendations`` cannot skip what a user already rated.

    ``progress(SparkProgress)`` is called from this thread every ``poll_interval`` seconds while Spark
    works; returning True (or raising, as a Streamlit Stop does) cancels the fit's Spark job group, and
    the fit raises :class:`SparkFitCancelled` (or re-raises) leaving ``model`` unchanged.
    """
    _check_model(model)
    if history not in ("final", "full"):
        raise ValueError(f"history must be 'final' or 'full', got {history!r}")
    if validation is not None and not isinstance(data, Ratings):
        raise ValueError("validation ratings are only supported when the training data is a Ratings")
    seed = _seed(model.random_state)
    session = _session(spark)
    max_iter = int(model.max_iter)
    if max_iter > CHECKPOINT_NEEDED_AFTER and session.sparkContext.getCheckpointDir() is None:
        raise ValueError(
            f"Spark's ALS needs a checkpoint directory for more than {CHECKPOINT_NEEDED_AFTER} iterations (its "
            "lineage grows each sweep and overflows the stack): call spark.sparkContext.setCheckpointDir(path) "
            "first, or pass a master URL so cf_core.spark.spark_session sets one"
        )
    job = _Job(session, f"cf-lab-{uuid.uuid4().hex[:12]}")
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            job.enter()
            outcome["fitted"] = _fit_in_spark(session, model, data, seed, num_blocks, history, job)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    start = time.perf_counter()
    worker = threading.Thread(target=work, name=job.group, daemon=True)
    worker.start()
    cancelled = False
    try:
        while worker.is_alive():
            worker.join(poll_interval)
            alive = worker.is_alive() and not cancelled
            if progress is not None and alive and progress(job.snapshot(start, max_iter)):
                cancelled = True
                job.cancel()
    except BaseException:  # e.g. a Stop in the dashboard interrupting the progress callback
        job.cancel()
        worker.join(_CANCEL_WAIT)
        raise
    if cancelled:
        worker.join(_CANCEL_WAIT)  # the cancelled jobs end with the worker; the session is free again after
        raise SparkFitCancelled("training stopped: the Spark jobs were cancelled and the model is unchanged")
    if "error" in outcome:
        raise outcome["error"]
    fitted: _Fitted = outcome["fitted"]
    model.ratings_ = fitted.ratings
    model.X_, model.Theta_ = fitted.X, fitted.Theta
    model.item_bias_ = np.zeros(len(fitted.X))
    model.user_bias_ = np.zeros(len(fitted.Theta))
    model.offsets_, model.item_means_, model.global_mean_ = fitted.offsets, fitted.item_means, fitted.global_mean
    model.cost_history_ = np.asarray(fitted.costs)
    model.n_iter_ = max_iter
    model.converged_ = False
    model.message_ = f"Spark ALS ran {max_iter} sweeps (Spark {session.version}; it has no stopping rule)"
    model.fit_time_ = time.perf_counter() - start
    if validation is not None:
        model.validation_history_ = np.array([model._rmse(validation)])
    elif hasattr(model, "validation_history_"):
        del model.validation_history_
    return model


@dataclass
class _Prepared:
    """The training targets in Spark (item_pos, user_pos, target) and what the driver knows about them."""

    train: DataFrame
    items: pd.Index
    users: pd.Index
    offsets: np.ndarray
    item_means: np.ndarray
    global_mean: float
    ratings: Ratings
    cost: Callable[[np.ndarray, np.ndarray, Any], float]  # (X, Theta, Spark's ALS model) -> J


def _prepare_local(spark: SparkSession, model: CollaborativeFiltering, ratings: Ratings) -> _Prepared:
    """Ratings already on the driver: offsets as the estimator computes them, the cost by SparseObjective."""
    offsets, global_mean = model._offsets(ratings)
    targets = np.asarray(ratings.values) - offsets[ratings.item_idx]
    frame = pd.DataFrame(
        {
            "item_pos": np.asarray(ratings.item_idx, dtype=np.int32),
            "user_pos": np.asarray(ratings.user_idx, dtype=np.int32),
            "target": targets,
        }
    )
    train = spark.createDataFrame(frame, schema="item_pos int, user_pos int, target double")
    objective = SparseObjective(
        ratings.item_idx, ratings.user_idx, targets, ratings.shape, model.lambda_, regularization="weighted"
    )
    return _Prepared(
        train,
        ratings.items,
        ratings.users,
        offsets,
        ratings.item_means(),
        global_mean,
        ratings,
        lambda X, Theta, _: objective.cost(X, Theta),
    )


def _prepare_in_spark(
    spark: SparkSession, model: CollaborativeFiltering, data: DataFrame | str | os.PathLike, job: _Job
) -> _Prepared:
    """Ratings that stay in Spark: checked, indexed and centred there; labels, counts and means come back."""
    from pyspark.sql import functions as F

    source = "the DataFrame" if not isinstance(data, (str, os.PathLike)) else os.fspath(data)
    df = read_ratings(spark, data)
    job.phase = "indexing"
    stats = _check_values(df, source)
    items, item_map = _index_labels(spark, df, "item")
    users, user_map = _index_labels(spark, df, "user")
    indexed = df.join(F.broadcast(item_map) if len(items) < 1_000_000 else item_map, "item").join(
        F.broadcast(user_map) if len(users) < 1_000_000 else user_map, "user"
    )
    dup = indexed.groupBy("item_pos", "user_pos").count().filter("count > 1").head()
    if dup is not None:
        raise DataFormatError(
            f"item {items[dup['item_pos']]!r} is rated {dup['count']} times by user {users[dup['user_pos']]!r}: "
            "each (item, user) pair may be rated once",
            source=source,
        )
    per_item = indexed.groupBy("item_pos").agg(F.count(F.lit(1)).alias("n"), F.avg("rating").alias("mean")).toPandas()
    n_item = np.zeros(len(items))
    item_means = np.zeros(len(items))
    n_item[per_item["item_pos"].to_numpy()] = per_item["n"].to_numpy()
    item_means[per_item["item_pos"].to_numpy()] = per_item["mean"].to_numpy()
    per_user = indexed.groupBy("user_pos").count().toPandas()
    n_user = np.zeros(len(users))
    n_user[per_user["user_pos"].to_numpy()] = per_user["count"].to_numpy()
    if model.normalize == "mean":
        offsets = item_means.copy()
        means = spark.createDataFrame(
            pd.DataFrame({"item_pos": np.arange(len(items), dtype=np.int32), "offset": offsets}),
            schema="item_pos int, offset double",
        )
        train = indexed.join(F.broadcast(means), "item_pos").select(
            "item_pos", "user_pos", (F.col("rating") - F.col("offset")).alias("target")
        )
    else:
        offsets = np.zeros(len(items))
        train = indexed.select("item_pos", "user_pos", F.col("rating").alias("target"))
    # Every row here has ratings, so the counts are exactly the weighted penalty's weights.
    penalty = Penalty(float(model.lambda_), float(model.lambda_), n_item, n_user)

    def cost(X: np.ndarray, Theta: np.ndarray, fitted: Any) -> float:
        """The same J, its data term summed where the ratings are (Spark's float32 predictions)."""
        sse = fitted.transform(train).agg(F.sum((F.col("prediction") - F.col("target")) ** 2)).head()[0]
        return 0.5 * float(sse) + penalty((X, Theta), None)

    empty = np.zeros(0, dtype=np.int32)
    ratings = Ratings(empty, empty, np.zeros(0), items, users, (stats["lo"], stats["hi"]), allow_empty=True)
    return _Prepared(train, items, users, offsets, item_means, float(stats["mean"]), ratings, cost)


def _fit_in_spark(
    spark: SparkSession,
    model: CollaborativeFiltering,
    data: Ratings | DataFrame | str | os.PathLike,
    seed: int,
    num_blocks: int | None,
    history: str,
    job: _Job,
) -> _Fitted:
    """The Spark side of :func:`fit_spark`, run in the worker thread under the fit's job group."""
    from pyspark import StorageLevel
    from pyspark.ml.recommendation import ALS

    if isinstance(data, Ratings):
        prep = _prepare_local(spark, model, data)
    else:
        prep = _prepare_in_spark(spark, model, data, job)
    k = int(model.num_features)
    train = prep.train.persist(StorageLevel.MEMORY_AND_DISK)
    blocks = int(num_blocks or spark.sparkContext.defaultParallelism)
    try:

        def fit_once(n_sweeps: int) -> tuple[np.ndarray, np.ndarray, float]:
            als = ALS(
                rank=k,
                maxIter=n_sweeps,
                regParam=float(model.lambda_),
                userCol="user_pos",
                itemCol="item_pos",
                ratingCol="target",
                seed=seed,
                implicitPrefs=False,
                nonnegative=False,
                numUserBlocks=blocks,
                numItemBlocks=blocks,
                coldStartStrategy="nan",  # every item and user is in the training data: no cold start here
            )
            job.phase = "training"
            fitted = als.fit(train)
            job.phase = "collecting"
            X = _factors(fitted.itemFactors, len(prep.items), k)
            Theta = _factors(fitted.userFactors, len(prep.users), k)
            job.phase = "cost"
            return X, Theta, prep.cost(X, Theta, fitted)

        costs: list[float] = []
        for t in range(int(model.max_iter) + 1) if history == "full" else [int(model.max_iter)]:
            job.iteration = t if history == "full" else None
            X, Theta, cost = fit_once(t)
            costs.append(cost)
    finally:
        train.unpersist()
    return _Fitted(X, Theta, prep.offsets, prep.item_means, prep.global_mean, prep.ratings, costs)
