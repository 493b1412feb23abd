"""Two people, one server that runs one fit at a time (CF_LAB_MAX_FITS=1), in a real Chromium.

Session A starts a long fit (1M ratings, k=50, 300 iterations: tens of seconds here); session B presses
Train meanwhile, sees its place in the queue, and gets its own results when A's fit ends. Other rounds:
B leaves the queue with Stop; B closes its tab.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tools.browser import TRAINED, ServerFailed, exceptions, serve_app, wait_idle

pytestmark = pytest.mark.e2e

# Tens of seconds on the 1M set, even on a quiet machine: long enough to queue behind. lambda and normalization
# differ from the small-data defaults, so opening large data keeps them (only defaults follow the data size).
SLOW = "?p_features=50&p_iter=300&p_lambda=0.3&p_normalize=None+%28seed%29"
QUEUED = re.compile(r"Queued: 1 fit ahead of yours \(1 running, 0 waiting; this server runs 1 fit at a time\)")


@pytest.fixture(scope="module")
def one_fit_server(chromium_path: str) -> Iterator[str]:
    try:
        with serve_app(env={"CF_LAB_MAX_FITS": "1"}) as url:
            yield url
    except ServerFailed as exc:
        pytest.fail(str(exc))


def _open(browser, url: str):
    tab = browser.new_page()
    tab.set_default_timeout(120_000)
    tab.goto(url)
    wait_idle(tab)
    return tab


def _start_slow_fit(browser, url: str, seed: int):
    """Session A: open the 1M set and press Train; returns once its fit is running."""
    a = _open(browser, f"{url}/{SLOW}&p_seed={seed}")
    a.get_by_role("combobox", name="Dataset", exact=True).click()
    a.get_by_role("option", name="Synthetic, MovieLens 1M shape").first.click()
    wait_idle(a, timeout=120_000)
    a.get_by_role("button", name="Train", exact=True).click()
    a.get_by_text(re.compile(r"^Iteration \d+ / 300")).first.wait_for(timeout=120_000)
    return a


def _finish(a) -> None:
    """A's fit ends: its slot goes to the next in line."""
    a.get_by_text(TRAINED).first.wait_for(timeout=600_000)


def test_a_second_session_waits_its_turn_then_gets_its_results(browser, one_fit_server):
    a = _start_slow_fit(browser, one_fit_server, seed=1)
    b = _open(browser, one_fit_server)
    b.get_by_role("button", name="Train", exact=True).click()
    b.get_by_text(QUEUED).first.wait_for(timeout=120_000)
    assert a.get_by_text(TRAINED).count() == 0  # B really waited for A
    _finish(a)
    # When A's fit ends, B's starts by itself: B sees a trained model that says it waited.
    b.get_by_text(re.compile(r"Trained in [\d.]+ s after [\d.]+ s in the queue")).first.wait_for(timeout=600_000)
    wait_idle(b, timeout=60_000)
    assert b.get_by_text("Model: k=2,").first.is_visible()
    assert not exceptions(a) and not exceptions(b)
    a.close()
    b.close()


def test_stop_while_queued_leaves_the_queue(browser, one_fit_server):
    a = _start_slow_fit(browser, one_fit_server, seed=2)
    b = _open(browser, f"{one_fit_server}/?p_seed=7")
    b.get_by_role("button", name="Train", exact=True).click()
    b.get_by_text(QUEUED).first.wait_for(timeout=120_000)
    b.get_by_role("button", name="Stop: leave the queue").click()
    b.get_by_text("You left the queue").first.wait_for(timeout=120_000)
    wait_idle(b, timeout=60_000)
    assert b.get_by_text(QUEUED).count() == 0
    # B is really out of the line: A's fit ends, and B's page stays untrained.
    _finish(a)
    b.wait_for_timeout(2_500)  # two looks at the queue, had B still been in it
    assert b.get_by_text(TRAINED).count() == 0
    # And the slot is free: a new Train on B starts at once, without waiting in the queue.
    b.get_by_role("button", name="Train", exact=True).click()
    label = b.get_by_text(TRAINED).first
    label.wait_for(timeout=60_000)
    assert "in the queue" not in label.inner_text()
    assert not exceptions(a) and not exceptions(b)
    a.close()
    b.close()


def test_a_closed_tab_does_not_keep_its_place(browser, one_fit_server):
    a = _start_slow_fit(browser, one_fit_server, seed=3)
    b = _open(browser, f"{one_fit_server}/?p_seed=8")
    b.get_by_role("button", name="Train", exact=True).click()
    b.get_by_text(QUEUED).first.wait_for(timeout=120_000)
    b.close()  # B's session goes away while queued
    c = _open(browser, f"{one_fit_server}/?p_seed=9")
    c.get_by_role("button", name="Train", exact=True).click()
    # Only A's running fit is ahead of C (not B's queued one): B's place was given up when its page closed.
    c.get_by_text(QUEUED).first.wait_for(timeout=120_000)
    assert a.get_by_text(TRAINED).count() == 0  # still A's fit running, not B's turn come and gone
    _finish(a)
    c.get_by_text(re.compile(r"Trained in [\d.]+ s after [\d.]+ s in the queue")).first.wait_for(timeout=600_000)
    assert not exceptions(a) and not exceptions(c)
    a.close()
    c.close()
