"""The Spark engine in the browser: choose it, train the lecture grid and a 100k set with progress, Stop.

The app server starts its own local Spark (``local[*]``) on the first Spark fit, which takes up to a
minute on a busy 2-core machine, hence the long timeouts. Without pyspark or Java these tests skip; in CI
(``CI=true`` or ``CF_LAB_REQUIRE_SPARK=1``) that is a failure.
"""

from __future__ import annotations

import os
import re

import pytest

from cf_core.spark import spark_unavailable_reason
from tools.browser import TRAINED, choose, exceptions

pytestmark = pytest.mark.e2e

SPARK_PROGRESS = re.compile(r"Spark \(local\[\*\]\) · (reading|indexing|training|collecting|cost) ·")
FIT_TIMEOUT = 420_000  # ms: with the server's first Spark start, on a busy machine (a fit: ~1.5 min)


@pytest.fixture(autouse=True)
def _spark_available() -> None:
    reason = spark_unavailable_reason()
    if reason:
        if os.environ.get("CI") == "true" or os.environ.get("CF_LAB_REQUIRE_SPARK") == "1":
            pytest.fail(f"the Spark browser tests are required here (CI) but {reason}")
        pytest.skip(reason)


def _choose_spark(page, idle) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Spark", exact=True).click()
    idle(page)
    assert sidebar.get_by_role("textbox", name="Spark master URL").input_value() == "local[*]"


def _pick_dataset(page, idle, option: str) -> None:
    """Choose a dataset (:func:`tools.browser.choose` clicks again when a busy machine does not open the list)."""
    idle(page)
    choose(page, "Dataset", option)


def _item_mean_normalization(page, idle) -> None:
    """Large data starts with learned biases, which Spark's ALS cannot fit (the sidebar says so, checked in
    tests/app/test_engine.py): item means."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Item mean (course)", exact=True).click()  # in the model form: Train submits it
    idle(page)


def _train_showing_progress(page, idle) -> None:
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(SPARK_PROGRESS).first.wait_for(timeout=FIT_TIMEOUT)
    page.get_by_text(TRAINED).first.wait_for(timeout=FIT_TIMEOUT)
    idle(page, timeout=FIT_TIMEOUT)
    assert not exceptions(page), exceptions(page)


def test_spark_trains_the_lecture_grid_and_a_100k_set(page, app_url, idle) -> None:
    page.goto(f"{app_url}/?p_iter=5&p_seed=7")
    idle(page)
    _choose_spark(page, idle)

    _train_showing_progress(page, idle)
    page.get_by_role("tab", name="Cost curve").click()
    idle(page)
    assert page.get_by_text(re.compile("Spark ALS ran 5 sweeps")).first.is_visible()

    _pick_dataset(page, idle, "Synthetic, MovieLens 100k shape")
    _item_mean_normalization(page, idle)
    _train_showing_progress(page, idle)
    page.get_by_role("tab", name="Recommendations").click()
    idle(page)
    assert not exceptions(page), exceptions(page)


def test_stop_cancels_a_spark_fit_and_spark_is_free_again(page, app_url, idle) -> None:
    page.goto(f"{app_url}/?p_iter=20&p_seed=11")
    idle(page)
    _choose_spark(page, idle)
    _pick_dataset(page, idle, "Synthetic, MovieLens 100k shape")
    _item_mean_normalization(page, idle)

    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"Spark \(local\[\*\]\) · training ·")).first.wait_for(timeout=FIT_TIMEOUT)
    page.get_by_role("button", name="Stop training").click()
    page.get_by_text(re.compile("Training was stopped")).first.wait_for(timeout=FIT_TIMEOUT)
    idle(page)
    assert page.get_by_text(TRAINED).count() == 0

    # The cancelled jobs are gone: the next fit on the same session runs to the end.
    _pick_dataset(page, idle, "Lecture example")
    _train_showing_progress(page, idle)
