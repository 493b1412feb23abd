"""Harness for end-to-end tests: a real `streamlit run app.py` server and a real headless Chromium.

The browser is Debian's ``chromium`` driven by Playwright through ``executable_path`` (Playwright cannot
download its own browsers here). Without a browser the tests skip with the reason, except in CI
(``CF_LAB_REQUIRE_BROWSER=1``), where a missing browser must fail rather than pass silently.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unavailable(reason: str) -> None:
    if os.environ.get("CF_LAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"end-to-end tests required but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _find_chromium()
    if path is None:
        _unavailable("no Chromium found on PATH (install Debian's `chromium` package to run browser tests)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install -r requirements-dev.txt)")
    return path


@pytest.fixture(scope="session")
def app_url(chromium_path: str) -> Iterator[str]:
    """Start `streamlit run app.py` on a free port and wait until its health endpoint says ok."""
    port = _free_port()
    log_path = Path(tempfile.mkdtemp(prefix="cf-lab-streamlit-")) / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy; log:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="cf-lab-chromium-")
    with sync_playwright() as pw:
        # A persistent context is how Playwright takes a --user-data-dir; a fresh folder per run.
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


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


def wait_idle(page, timeout: float = 90_000, rerun_grace: float = 1_000) -> None:
    """Wait until the script has finished running (Streamlit marks the app root with its state).

    An interaction starts its rerun a little later, so first give it ``rerun_grace`` ms to begin; without
    that, a check right after a click can see the *previous* idle state.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # no rerun started (or it was already over): fine either way
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=rerun_grace)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
