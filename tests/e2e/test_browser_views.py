"""What only a browser shows: cells typed into the grid, and text cut off on screen.

Cut-off text is checked the way a person would notice it: an element whose content is wider than its
box (``scrollWidth > clientWidth``) while its overflow is hidden.
"""

from __future__ import annotations

import pytest

from tools.browser import (
    chart_margins,
    choose,
    cut_off,
    every_view_picture,
    exceptions,
    open_view,
    select_cell,
    train,
    type_into_cell,
)

pytestmark = pytest.mark.e2e


def _cell_text(page, row: int, col: int) -> str:
    """What the cell holds, read from the grid's cell editor (the canvas has no text to read)."""
    select_cell(page, row, col)
    page.keyboard.press("Enter")
    editor = page.locator("#portal textarea, #portal input").first
    editor.wait_for(timeout=5_000)
    value = editor.input_value()
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)
    return value


def test_seven_and_text_are_named_and_stay_as_typed(page, idle):
    type_into_cell(page, row=3, col=0, value="7")  # Nonstop car chases, Alice (0-5 scale)
    type_into_cell(page, row=1, col=2, value="abc")  # Romance forever, Carol
    assert not exceptions(page)
    error = page.get_by_test_id("stAlert").filter(has_text="cannot be used as ratings").inner_text()
    assert "item 'Nonstop car chases', user 'Alice': 7 is outside the scale 0 to 5" in error
    assert "item 'Romance forever', user 'Carol': 'abc' is not a number" in error
    assert _cell_text(page, 3, 0) == "7"
    assert _cell_text(page, 1, 2) == "abc"


def test_counts_follow_a_typed_rating(page, idle):
    caption = page.get_by_text("items (rows) x").first
    assert "15 ratings" in caption.inner_text()
    type_into_cell(page, row=2, col=3, value="4")  # Cute puppies of love, Dave
    assert "16 ratings" in page.get_by_text("items (rows) x").first.inner_text()
    train(page)
    assert not exceptions(page)


def _open(page, idle, locator) -> None:
    locator.click()
    page.wait_for_timeout(300)
    idle(page)
    assert not exceptions(page), exceptions(page)


def _pictures(page):
    """Open each result tab but Tuning and Teaching, and each picture of the tabs that show one at a time;
    yields a name for each."""
    for tab, picture in every_view_picture():
        if tab not in ("Tuning", "Teaching"):
            open_view(page, tab, picture)
            assert not exceptions(page), exceptions(page)
            yield f"{tab}: {picture}" if picture else tab


@pytest.mark.parametrize(
    "query",
    [
        "p_features=10",  # the case: the prediction sum was cut off at k=10
        "p_features=10&p_normalize=Learned+biases",  # the cost with biases ran past its column
    ],
)
def test_no_view_cuts_text_off_on_the_lecture_grid(browser, app_url, idle, query):
    page = browser.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{app_url}/?{query}")
        idle(page)
        train(page)
        cut: dict[str, list[str]] = {}
        for name in _pictures(page):
            cut[name] = cut_off(page)
        _open(page, idle, page.get_by_role("tab", name="Tuning"))
        cut["Tuning"] = cut_off(page)
        _open(page, idle, page.get_by_role("tab", name="Teaching"))
        topics = page.get_by_role("radiogroup").filter(has_text="The cost, live")
        for topic in ["The cost, live", "One prediction", "Dot product vs cosine", "Mean normalization"]:
            _open(page, idle, topics.get_by_text(topic, exact=True))
            cut[topic] = cut_off(page)
        assert not any(cut.values()), cut
    finally:
        page.close()


SIDEBAR = "[data-testid=stSidebar]"
#: Each "Min. ratings" label on the page: whether its text overflows, and how many lines it takes.
MIN_RATINGS_LABELS = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stWidgetLabel]')]
  .filter(e => e.innerText.trim() === 'Min. ratings')
  .map(e => {
    const p = e.querySelector('p');
    return {overflows: e.scrollWidth > e.clientWidth || p.scrollWidth > p.clientWidth,
            lines: Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight))};
  })"""


def test_the_sidebar_and_the_min_ratings_label_show_their_text_whole(page, idle):
    """The issue saw the Dataset box cut "Lecture example (5 movies x 4 us" and "Min. ratings" wrap."""
    page.get_by_role("button", name="Train", exact=True).wait_for()  # the form is drawn
    assert page.get_by_role("combobox", name="Dataset", exact=True).input_value() == "Lecture example"
    assert page.locator(SIDEBAR).get_by_text("Lecture example (5 movies x 4 users)").is_visible()
    assert cut_off(page, SIDEBAR) == []

    train(page)
    for tab in ["Recommendations", "Similarity"]:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(300)
        idle(page)
        labels = page.evaluate(MIN_RATINGS_LABELS)
        assert labels and all(not x["overflows"] and x["lines"] == 1 for x in labels), (tab, labels)

    for name, title in [("Movies, small", "Movies, small (30 movies x 20 users)"), ("Synthetic, MovieLens 100k", "")]:
        choose(page, "Dataset", name, timeout=180_000)
        assert not exceptions(page)
        if title:
            assert page.locator(SIDEBAR).get_by_text(title).is_visible()
        assert cut_off(page, SIDEBAR) == [], name


def _pushed(page) -> list[dict]:
    """Charts whose drawn margins are wider than their layout asked for (plotly drew them twice)."""
    return [c for c in chart_margins(page) if any(d > a + 0.5 for d, a in zip(c["drawn"], c["asked"], strict=True))]


def test_every_chart_is_drawn_once_with_the_margins_it_reserved(page, idle):
    """Each chart reserves room for its labels, colour bar and legend; when it did not, plotly drew it, pushed
    the margins out and drew it again (about half of a chart's time in the browser). Lecture grid and 100k."""
    pushed: dict[str, list[dict]] = {}
    for sample in [None, "Synthetic, MovieLens 100k"]:
        if sample:
            choose(page, "Dataset", sample, timeout=180_000)
        train(page)
        for name in _pictures(page):
            if name == "Recommendations":
                continue  # tables only
            assert chart_margins(page), name  # every other picture draws at least one chart
            pushed[f"{sample or 'lecture'}: {name}"] = _pushed(page)
        _open(page, idle, page.get_by_role("tab", name="Teaching"))
        _open(page, idle, page.get_by_role("radiogroup").get_by_text("One prediction", exact=True))
        assert chart_margins(page), "One prediction"  # the waterfall
        pushed[f"{sample or 'lecture'}: Teaching, One prediction"] = _pushed(page)
    assert not any(pushed.values()), {k: v for k, v in pushed.items() if v}


def test_one_prediction_fits_the_page_on_100k_ratings(page, idle):
    """On the 100k sample with its defaults (k = 5, learned biases) the first cell's prediction is clipped:
    the sum with its offsets and "-> 5.00 (clipped)" ran past the page on one line."""
    choose(page, "Dataset", "Synthetic, MovieLens 100k", timeout=180_000)
    train(page)
    _open(page, idle, page.get_by_role("tab", name="Teaching"))
    _open(page, idle, page.get_by_role("radiogroup").get_by_text("One prediction", exact=True))
    shown = page.locator(".katex").filter(has_text="clipped")
    assert shown.count() == 1, "the sample's first cell is no longer clipped: pick one that is"
    assert cut_off(page) == []
