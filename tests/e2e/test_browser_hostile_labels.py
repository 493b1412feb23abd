"""In Chromium, a file whose every item and user name (and its own name) is markup shows them as text.

The file is uploaded as a person would; the test then reads what the browser *rendered*: the text of the
page (``**bold**`` with its asterisks, ``$x^2$`` as typed), plotly's tick labels, and the elements that must
not exist (KaTeX, images or links to the corpus's outside host, bold tspans in charts). Every request the
page makes to a host other than this machine is recorded and refused: a label that became an image
would show up there.
"""

from __future__ import annotations

import html
import io
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from cf_app.figures.heatmaps import TICK_CHARS
from cf_app.literal import WORD_JOINER, plot_labels
from cf_core.io import load_ratings
from tests.hostile_labels import LABELS, OUTSIDE, visible
from tools.browser import every_view_picture, exceptions, open_view, train, wait_idle

pytestmark = pytest.mark.e2e

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
FILE_NAME = f"**evil** $x^2$ :smile: <b>b</b> ![t](https:{OUTSIDE}) [l](https:{OUTSIDE}).csv"
ZERO_WIDTH = dict.fromkeys(map(ord, WORD_JOINER + "\u200b"))  # the invisible marks the escapes may add


def hostile_csv() -> bytes:
    """A wide CSV: every non-blank corpus label as an item and as a user (a blank name is refused by the
    reader with a message, which is its own test)."""
    import csv

    labels = [x for x in LABELS if x.strip()]
    rng = np.random.default_rng(1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["item", *labels])
    for item in labels:
        writer.writerow([item, *(str(int(v)) if v > 1 else "" for v in rng.integers(0, 6, len(labels)))])
    return out.getvalue().encode("utf-8")


def shown(text: str) -> str:
    """Rendered text compared as a person reads it: without the invisible marks, white space collapsed."""
    return visible(text.translate(ZERO_WIDTH))


def is_outside(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme not in ("data", "blob", "about") and parsed.hostname not in LOCAL_HOSTS


@pytest.fixture()
def guarded(browser, app_url):
    """A fresh tab whose requests to other hosts are recorded and refused (returned with the record)."""
    tab = browser.new_page()
    tab.set_default_timeout(60_000)
    outside: list[str] = []

    def refuse(route) -> None:
        outside.append(route.request.url)
        route.abort()

    tab.route(is_outside, refuse)
    tab.on("websocket", lambda ws: outside.append(ws.url) if is_outside(ws.url) else None)
    tab.goto(app_url)
    wait_idle(tab)
    yield tab, outside
    tab.close()


def _no_exception(page) -> None:
    assert not exceptions(page), exceptions(page)


def _body(page) -> str:
    return shown(page.locator("[data-testid='stMain']").inner_text())


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_timeout(300)
    wait_idle(page)
    _no_exception(page)


def _pick(page, label: str, option: str) -> None:
    """Choose the first option starting with ``option``, typed into the box (long lists are virtualized)."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option).first.click()
    page.wait_for_timeout(300)
    wait_idle(page)


def _screenshot(page, tmp_path: Path, name: str) -> None:
    """The viewport (Streamlit scrolls inside the page) into tmp_path, and into $CF_LAB_SCREENSHOTS if set."""
    for folder in filter(None, [tmp_path, os.environ.get("CF_LAB_SCREENSHOTS")]):
        page.screenshot(path=str(Path(folder) / f"hostile_labels_{name}.png"))


def _assert_no_markup_rendered(page, scope: str = "[data-testid='stMain']") -> None:
    root = page.locator(scope)
    linked = root.locator(f"img[src*='{OUTSIDE}'], a[href*='{OUTSIDE}']")
    found = [linked.nth(i).evaluate("e => e.parentElement.outerHTML") for i in range(linked.count())]
    assert not found, found
    assert root.locator("img[alt='Streamlit logo']").count() == 0
    assert "😄" not in root.inner_text()  # :smile:
    charts = root.locator(".js-plotly-plot")
    assert charts.locator("a").count() == 0  # plotly draws <a href> as a link
    # Chart titles are bold by theme; a label's <b>bold</b> or <a>anchor</a> must not become a tag's content.
    tagged = [t for t in charts.locator("tspan[style*='bold'], tspan[style*='italic']").all_text_contents()]
    assert not {"bold", "anchor"} & {t.strip() for t in tagged}, tagged


def test_hostile_labels_show_literally_and_no_request_leaves_the_machine(guarded, tmp_path: Path):
    page, outside = guarded
    content = hostile_csv()
    upload = io.BytesIO(content)
    upload.name = FILE_NAME
    ratings = load_ratings(upload)
    items, users = [str(x) for x in ratings.items], [str(x) for x in ratings.users]
    assert len(items) > 30

    _pick(page, "Dataset", "Upload a file…")
    dropzone = page.get_by_role("region", name="Ratings file").get_by_test_id("stFileUploaderDropzoneInput")
    dropzone.set_input_files({"name": FILE_NAME, "mimeType": "text/csv", "buffer": content})
    page.wait_for_timeout(800)
    wait_idle(page)
    _no_exception(page)

    # The grid's caption names the file as it is, in bold as a whole (its own ** are text).
    caption = page.locator("[data-testid='stCaptionContainer']").filter(has_text="items (rows)").first
    assert shown(caption.inner_text()).startswith(shown(FILE_NAME) + ":")
    assert shown(caption.locator("strong").first.inner_text()) == shown(FILE_NAME)
    assert page.locator(".katex").count() == 0
    _assert_no_markup_rendered(page)
    # A user named "_index" (reserved by the grid) and one named like the grid's index column both load.
    assert page.locator("[data-testid='stDataFrame']").count() >= 1
    _screenshot(page, tmp_path, "grid")

    train(page)
    _no_exception(page)
    for tab, picture in every_view_picture():
        if tab == "Teaching":  # its formulas are KaTeX on purpose: checked on its own below
            continue
        open_view(page, tab, picture)
        _no_exception(page)
        assert page.locator(".katex").count() == 0, (tab, picture)
        _assert_no_markup_rendered(page)

    _open_tab(page, "Predictions")
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    ticks = page.locator(".js-plotly-plot").first.locator(".xtick text, .ytick text").all_text_contents()
    # Heatmap tick labels are shortened (whole on hover): compare with the labels at the axis' length.
    wanted = {shown(html.unescape(x)) for x in plot_labels(items, TICK_CHARS) + plot_labels(users, TICK_CHARS)}
    assert ticks and {shown(t) for t in ticks} <= wanted, sorted({shown(t) for t in ticks} - wanted)
    _screenshot(page, tmp_path, "predictions")
    assert {"<b>bold</b>", "$x^2$", "**bold**", ":red[red text]"} <= {shown(t) for t in ticks}

    _open_tab(page, "Recommendations")
    first = users[0]
    assert re.search(rf"Top \d+ for {re.escape(shown(first))} \(items they have not rated\)", _body(page))
    for label in ("$x^2$", "<b>bold</b>", ":smile:", "![x](http://example.invalid/x.png)"):
        _pick(page, "User", f"{label} (")
        _no_exception(page)
        body = _body(page)
        assert f"for {label} (items they have not rated)" in body and f"What they rated: {label}" in body
        assert page.locator(".katex").count() == 0
        _assert_no_markup_rendered(page)
    _screenshot(page, tmp_path, "recommendations")

    _open_tab(page, "Teaching")
    body = _body(page)
    assert any(f"Largest, dJ/dx for item {shown(x)}: [" in body for x in items)
    page.get_by_role("radiogroup").get_by_text("One prediction", exact=True).click()
    page.wait_for_timeout(300)
    wait_idle(page)
    _no_exception(page)
    body = _body(page)
    assert f"One prediction: item {shown(items[0])} for user {shown(users[0])}" in body
    one = (
        page.locator("[data-testid='stMarkdownContainer']").filter(has_text=re.compile(r"^One prediction: item")).first
    )
    assert one.locator(".katex").count() == 0 and one.locator("strong").all_inner_texts() == ["One prediction"]
    _assert_no_markup_rendered(page)

    one.scroll_into_view_if_needed()
    _screenshot(page, tmp_path, "teaching")
    assert outside == [], outside
