"""What a person does in the browser: edit a cell, train, read every result, upload, come back.

These run the real app (`streamlit run app.py`) in Debian's headless Chromium. The grid is a canvas, so a
cell is edited the way a person does it: click a cell, move with the arrow keys, type, press Enter. The
edit is then read back through the grid's own "Download grid (wide CSV)" button, which is also how we
check that it survives retraining.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from cf_core.io import load_ratings
from tools.browser import TRAINED, choose, exceptions, train, type_into_cell

pytestmark = pytest.mark.e2e


def _no_exception(page) -> None:
    assert not exceptions(page), exceptions(page)


def _download_grid(page, wait_idle) -> pd.DataFrame:
    with page.expect_download() as info:
        page.get_by_role("button", name="Download grid (wide CSV)").click()
    # Read it back with the project's own loader: the file starts with a "# rating_scale" comment line.
    frame = load_ratings(info.value.path(), format="wide").to_frame()
    wait_idle(page)  # the click reruns the script
    return frame


def _train(page) -> None:
    train(page)
    _no_exception(page)


def _open_tab(page, idle, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(300)
    idle(page)
    _no_exception(page)


def _ratings_uploader(page):
    return page.get_by_role("region", name="Ratings file").get_by_test_id("stFileUploaderDropzoneInput")


def test_edit_train_and_see_every_result(page, idle):
    # The lecture example opens first: Dave (user 3) has not rated "Cute puppies of love" (row 2).
    before = _download_grid(page, idle)
    assert pd.isna(before.loc["Cute puppies of love", "Dave"])

    type_into_cell(page, row=2, col=3, value="3")
    _no_exception(page)
    assert _download_grid(page, idle).loc["Cute puppies of love", "Dave"] == 3.0

    _train(page)
    assert page.get_by_text("Trained in").first.is_visible()

    _open_tab(page, idle, "Predictions")
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 1

    _open_tab(page, idle, "Cost curve")
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 1

    _open_tab(page, idle, "Recommendations")  # Alice, the first user, has one unrated item left
    assert page.get_by_text("Top 1 for Alice").first.is_visible()
    # Both tables (recommendations and what Alice rated) are grids drawn on a canvas: count them.
    assert page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']").count() >= 2

    _open_tab(page, idle, "Similarity")  # items first; users on request: one heatmap at a time
    assert page.locator("[data-testid='stPlotlyChart']").count() == 1
    page.get_by_role("radiogroup").get_by_text("Users (rows of Theta)", exact=True).click()
    page.wait_for_timeout(300)
    idle(page)
    title = page.locator(".js-plotly-plot").first.evaluate("e => e._fullLayout.title.text")
    assert "Users (rows of Theta)" in title  # Streamlit's theme sets titles in bold (<b>)

    # The edit survives retraining (and the tab changes before it).
    _train(page)
    after = _download_grid(page, idle)
    assert after.loc["Cute puppies of love", "Dave"] == 3.0
    pd.testing.assert_frame_equal(after.drop(columns="Dave"), before.drop(columns="Dave"))


def test_upload_a_long_csv_and_train(page, idle, tmp_path: Path):
    csv = tmp_path / "my_ratings.csv"
    rows = [("ann", "Alien", 5), ("ann", "Heat", 4), ("bo", "Alien", 1), ("bo", "Up", 5), ("cy", "Heat", 3)]
    pd.DataFrame(rows, columns=["user", "item", "rating"]).to_csv(csv, index=False)

    choose(page, "Dataset", "Upload a file…")
    _ratings_uploader(page).set_input_files(str(csv))
    page.wait_for_timeout(800)
    idle(page)
    _no_exception(page)
    assert page.get_by_text("my_ratings.csv").first.is_visible()

    grid = _download_grid(page, idle)
    assert sorted(grid.columns) == ["ann", "bo", "cy"]
    assert grid.loc["Alien", "bo"] == 1.0 and pd.isna(grid.loc["Up", "ann"])

    _train(page)
    _open_tab(page, idle, "Recommendations")
    assert page.get_by_text("for ann").first.is_visible()


def test_a_bad_upload_names_the_problem_and_keeps_the_grid(page, idle, tmp_path: Path):
    type_into_cell(page, row=2, col=0, value="2")
    assert _download_grid(page, idle).loc["Cute puppies of love", "Alice"] == 2.0
    bad = tmp_path / "broken.csv"
    bad.write_text("user,item,rating\nann,Alien,5\nbo,Alien,lots\n")

    choose(page, "Dataset", "Upload a file…")
    _ratings_uploader(page).set_input_files(str(bad))
    page.wait_for_timeout(800)
    idle(page)
    _no_exception(page)
    error = page.locator("[data-testid='stAlert']").filter(has_text="broken.csv").first
    assert "lots" in error.inner_text()

    choose(page, "Dataset", "Lecture example")
    assert _download_grid(page, idle).loc["Cute puppies of love", "Alice"] == 2.0


def test_sessions_do_not_share_data(browser, app_url, idle, tmp_path: Path):
    first, second = browser.new_page(), browser.new_page()
    try:
        for tab in (first, second):
            tab.set_default_timeout(60_000)
            tab.goto(app_url)
            idle(tab)
        type_into_cell(first, row=2, col=0, value="1")
        assert _download_grid(first, idle).loc["Cute puppies of love", "Alice"] == 1.0
        _train(first)
        second.reload()
        idle(second)
        assert pd.isna(_download_grid(second, idle).loc["Cute puppies of love", "Alice"])
        assert second.get_by_text("Trained in").count() == 0
        assert _download_grid(first, idle).loc["Cute puppies of love", "Alice"] == 1.0
    finally:
        first.close()
        second.close()


def test_ten_sessions_train_at_once(browser, app_url, idle):
    """Ten tabs, each with its own k and seed (set through the URL, as a shared link does), press Train at
    once; every one finishes and shows its own model, never another tab's."""
    tabs = [browser.new_page() for _ in range(10)]
    try:
        for n, tab in enumerate(tabs):
            tab.set_default_timeout(180_000)
            tab.goto(f"{app_url}/?p_features={n + 1}&p_seed={100 + n}&p_iter=50")
        for tab in tabs:
            idle(tab, timeout=180_000)
        started = time.monotonic()
        for tab in tabs:  # press Train in all ten before waiting for any
            tab.get_by_role("button", name="Train", exact=True).click()
        for n, tab in enumerate(tabs):
            tab.get_by_text(TRAINED).first.wait_for(timeout=180_000)
            idle(tab, timeout=180_000)
            _no_exception(tab)
            caption = tab.get_by_text(re.compile(r"^Model: k=")).first.inner_text()
            assert caption.startswith(f"Model: k={n + 1}, ") and f"seed {100 + n}" in caption, caption
        print(f"ten sessions trained at once in {time.monotonic() - started:.1f} s (lecture example)")
    finally:
        for tab in tabs:
            tab.close()


def test_grid_csv_download_reads_back_with_the_loader(page):
    with page.expect_download() as info:
        page.get_by_role("button", name="Download grid (wide CSV)").click()
    data = Path(info.value.path()).read_bytes()
    ratings = load_ratings(io.BytesIO(data), format="wide")
    assert ratings.n_items == 5 and ratings.n_users == 4 and ratings.n_ratings == 15


def test_stop_training_says_so_and_frees_the_slot(page, app_url, idle):
    """Stop during a local fit: the page says it stopped (Streamlit's fast reruns start the next run while the
    stopped one unwinds in its thread, which once hid the message), and the next Train runs at once."""
    page.goto(f"{app_url}/?p_features=50&p_iter=400&p_lambda=0.3&p_normalize=None+%28seed%29&p_seed=3")
    idle(page)
    choose(page, "Dataset", "Synthetic, MovieLens 1M shape", timeout=120_000)
    page.get_by_role("button", name="Train", exact=True).click()
    # Stop once the fit is well under way (the third iteration), as a person watching it would.
    page.get_by_text(re.compile(r"Iteration ([3-9]|\d\d+) / 400 · cost")).first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Stop training").click()
    stopped = page.get_by_text(re.compile(r"Training was stopped after iteration \d+")).first
    try:
        stopped.wait_for(timeout=60_000)
    except Exception as exc:  # say what the page showed instead
        shown = page.locator("[data-testid=stMain] [data-testid=stAlert], [data-testid=stExpander]").all_inner_texts()
        state = page.locator("[data-testid='stApp']").get_attribute("data-test-script-state")
        raise AssertionError(f"no 'stopped' message within 60 s; script {state}; page shows {shown}") from exc
    idle(page)
    assert page.get_by_text(TRAINED).count() == 0
    _no_exception(page)

    choose(page, "Dataset", "Lecture example")
    _train(page)  # not queued behind the stopped fit: its slot was freed
    assert page.get_by_text(re.compile("Queued:")).count() == 0
