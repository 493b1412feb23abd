"""The Engine control and Spark's progress text, without starting Spark (the fits are in tests/test_spark.py
and the browser flow in tests/e2e/test_browser_spark.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cf_app import state
from cf_app.engine import SparkLiveProgress, spark_progress_text
from cf_core.spark import SparkProgress, spark_unavailable_reason

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def progress(phase: str, done: int, total: int) -> SparkProgress:
    return SparkProgress(phase, jobs_done=3, jobs_running=1, tasks_done=done, tasks_total=total, elapsed=12.34)


def test_progress_text_names_the_master_phase_jobs_and_tasks() -> None:
    text = spark_progress_text(progress("training", 71, 139), "local[2]")
    assert text == "Spark (local[2]) · training · 3 jobs done, 1 running · tasks 71/139 · 12.3 s"


class Bar:
    def __init__(self) -> None:
        self.values: list[float] = []

    def progress(self, value: float, text: str) -> None:
        self.values.append(value)


def test_the_bar_never_moves_back_while_spark_adds_stages() -> None:
    bar = Bar()
    live = SparkLiveProgress(bar, "local[*]")
    for p in [progress("indexing", 2, 4), progress("training", 30, 40), progress("training", 31, 90)]:
        live(p)
    assert bar.values == sorted(bar.values) and bar.values[-1] < 1


@pytest.mark.skipif(spark_unavailable_reason() is not None, reason="pyspark or Java missing: no Spark option shown")
def test_engine_is_local_by_default_and_spark_asks_for_a_master_url() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    engine = at.sidebar.radio(key="engine")
    assert engine.value == "Local" and not at.sidebar.text_input
    engine.set_value("Spark").run()
    assert at.sidebar.text_input(key="engine_master").value == "local[*]"
    assert not at.exception


@pytest.mark.skipif(spark_unavailable_reason() is not None, reason="pyspark or Java missing: no Spark option shown")
def test_spark_with_learned_biases_says_what_to_change_before_train() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.radio(key="engine").set_value("Spark").run()
    assert not any("learns no biases" in w.value for w in at.sidebar.warning)
    # MovieLens-size data starts with learned biases (cf_app.sidebar's size defaults).
    at.selectbox(key=state.SOURCE_PICKER).set_value("synthetic-100k").run()
    assert at.sidebar.radio(key="p_normalize").value == "Learned biases"
    assert any("learns no biases" in w.value for w in at.sidebar.warning)
    assert not at.exception
