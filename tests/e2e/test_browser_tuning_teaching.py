"""The Tuning and Teaching tabs as a person uses them in the browser (lecture example, real Chromium)."""

from __future__ import annotations

import re

import pytest

from tools.browser import exceptions, train

pytestmark = pytest.mark.e2e


def _no_exception(page) -> None:
    assert not exceptions(page), exceptions(page)


def _train(page) -> None:
    train(page)
    _no_exception(page)


def _click(page, idle, locator) -> None:
    locator.click()
    idle(page)
    _no_exception(page)


def _topic(page, idle, name: str) -> None:
    _click(page, idle, page.get_by_role("radiogroup").filter(has_text="The cost, live").get_by_text(name, exact=True))


def test_sweep_loads_the_best_into_the_controls_and_runs_compare(browser, app_url, idle):
    from playwright.sync_api import expect

    page = browser.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{app_url}/?p_features=1")
        idle(page)
        # The lecture grid would hold out 3 ratings, too few for a sweep to mean anything (it is refused).
        page.get_by_role("combobox", name="Dataset", exact=True).click()
        page.get_by_role("option", name="Movies, small").first.click()
        idle(page)
        _train(page)
        _click(page, idle, page.get_by_role("tab", name="Tuning"))
        assert page.get_by_text("Run history").first.is_visible()
        assert page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']").count() >= 1

        _click(page, idle, page.get_by_role("button", name="Run sweep"))
        page.get_by_text(re.compile(r"^Sweep of \d+ fits")).first.wait_for()
        assert page.get_by_role("tabpanel").locator("[data-testid='stPlotlyChart']").count() >= 2

        load = page.get_by_role("button", name=re.compile(r"^Load k=\d+, lambda="))
        k = int(re.search(r"k=(\d+)", load.inner_text()).group(1))
        _click(page, idle, load)
        # The sidebar takes it in the full rerun that follows the results fragment's run: wait for that one too.
        expect(page.get_by_role("slider", name="Number of features k")).to_have_value(str(k), timeout=60_000)
        idle(page)
        if k != 2:  # and the link carries it (a value equal to the widget's default is left out of the URL)
            assert f"p_features={k}" in page.url
        _train(page)
        assert page.get_by_text(re.compile(rf"^Model: k={k}, ")).first.is_visible()

        # Two runs in this session now: the comparison appears beside the history.
        assert page.get_by_role("combobox", name="Run A").count() == 1
        assert page.get_by_role("combobox", name="Run B").count() == 1
    finally:
        page.close()


def test_every_teaching_topic(page, idle):
    _train(page)
    _click(page, idle, page.get_by_role("tab", name="Teaching"))

    # The cost, live: formulas typeset next to the current values.
    assert page.locator(".katex").count() >= 3
    assert page.get_by_text("J now").first.is_visible()

    _topic(page, idle, "One prediction")
    assert page.get_by_role("tabpanel").locator("[data-testid='stPlotlyChart']").count() == 1
    assert page.get_by_text("This cell is").first.is_visible()

    _topic(page, idle, "Gradient check")
    _click(page, idle, page.get_by_role("button", name="Run gradient check"))
    assert page.get_by_text(re.compile(r"Relative difference .* below the 1e-9 criterion")).first.is_visible()

    _topic(page, idle, "Training replay")
    assert page.get_by_role("tabpanel").locator("[data-testid='stSlider']").count() >= 1
    assert page.get_by_role("tabpanel").locator("[data-testid='stPlotlyChart']").count() >= 1

    _topic(page, idle, "Mean normalization")
    _click(page, idle, page.get_by_role("button", name="Train with and without normalization"))
    assert page.get_by_role("tabpanel").locator("[data-testid='stPlotlyChart']").count() >= 1

    _topic(page, idle, "Rate it yourself")
    _click(page, idle, page.get_by_role("combobox", name="Items you want to rate"))
    _click(page, idle, page.get_by_role("option", name="Swords vs. karate").first)
    page.keyboard.press("Escape")
    idle(page)
    assert page.get_by_text("Your recommendations (fold-in, instant)").first.is_visible()

    _topic(page, idle, "Dot product vs cosine")
    assert page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']").count() >= 1
