"""Harness for end-to-end tests: a real `streamlit run app.py` server and a real headless Chromium.

The browser is Debian's ``chromium`` driven by Playwright through ``executable_path`` (Playwright cannot
download its own browsers here); the server and browser plumbing is :mod:`tools.browser`. Without a
browser the tests skip with the reason, except in CI (``CF_LAB_REQUIRE_BROWSER=1``), where a missing
browser must fail rather than pass silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tools.browser import ServerFailed, find_chromium, launch_chromium, serve_app, wait_idle


def _unavailable(reason: str) -> None:
    if os.environ.get("CF_LAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"end-to-end tests required but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _unavailable("no Chromium found on PATH (install Debian's `chromium` package to run browser tests)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install -r requirements-dev.txt)")
    return path


@pytest.fixture(scope="session")
def app_url(chromium_path: str) -> Iterator[str]:
    """`streamlit run app.py` on a free port, healthy, for the whole session."""
    try:
        with serve_app() as url:
            yield url
    except ServerFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, launch_chromium(pw) as context:
        yield context


@pytest.fixture()
def page(browser, app_url: str):
    """A new tab on a fresh app session, loaded and idle."""
    tab = browser.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(app_url)
    wait_idle(tab)
    yield tab
    tab.close()


@pytest.fixture()
def idle():
    """The wait-until-idle helper, as a fixture so test modules need not import the conftest."""
    return wait_idle
