"""What only a browser shows: cells typed into the grid, and text cut off on screen.

Cut-off text is checked the way a person would notice it: an element whose content is wider than its
box (``scrollWidth > clientWidth``) while its overflow is hidden.
"""

from __future__ import annotations

import pytest

from tools.browser import exceptions, train

pytestmark = pytest.mark.e2e

ROW_HEIGHT = 35  # px: Streamlit's data grid rows and header row


def _select_cell(page, row: int, col: int) -> None:
    page.bring_to_front()
    grid = page.locator("[data-testid='stDataFrame']").first
    other = row + 1 if row == 0 else row - 1
    for r in (other, row):
        grid.click(position={"x": 20, "y": ROW_HEIGHT + ROW_HEIGHT * r + ROW_HEIGHT // 2})
        page.wait_for_timeout(250)
    for _ in range(col + 1):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(100)


def _type_into(page, idle, row: int, col: int, value: str) -> None:
    _select_cell(page, row, col)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(value, delay=50)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    idle(page)


def _cell_text(page, row: int, col: int) -> str:
    """What the cell holds, read from the grid's cell editor (the canvas has no text to read)."""
    _select_cell(page, row, col)
    page.keyboard.press("Enter")
    editor = page.locator("#portal textarea, #portal input").first
    editor.wait_for(timeout=5_000)
    value = editor.input_value()
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)
    return value


def test_seven_and_text_are_named_and_stay_as_typed(page, idle):
    _type_into(page, idle, row=3, col=0, value="7")  # Nonstop car chases, Alice (0-5 scale)
    _type_into(page, idle, row=1, col=2, value="abc")  # Romance forever, Carol
    assert not exceptions(page)
    error = page.get_by_test_id("stAlert").filter(has_text="cannot be used as ratings").inner_text()
    assert "item 'Nonstop car chases', user 'Alice': 7 is outside the scale 0 to 5" in error
    assert "item 'Romance forever', user 'Carol': 'abc' is not a number" in error
    assert _cell_text(page, 3, 0) == "7"
    assert _cell_text(page, 1, 2) == "abc"


def test_counts_follow_a_typed_rating(page, idle):
    caption = page.get_by_text("items (rows) x").first
    assert "15 ratings" in caption.inner_text()
    _type_into(page, idle, row=2, col=3, value="4")  # Cute puppies of love, Dave
    assert "16 ratings" in page.get_by_text("items (rows) x").first.inner_text()
    train(page)
    assert not exceptions(page)


#: Elements whose content is wider than their box while the box clips or scrolls it (a person sees it cut
#: off). Data grids and charts scroll or draw on a canvas by design, and KaTeX's MathML copy is hidden for
#: screen readers; they are left out.
CUT_OFF = """() => {
  const out = [];
  for (const e of document.querySelectorAll('[data-testid=stMain] *')) {
    if (!e.clientWidth || e.closest('[data-testid=stDataFrame], [data-testid=stPlotlyChart], .katex-mathml')) continue;
    const s = getComputedStyle(e);
    const clips = ['hidden', 'auto', 'scroll', 'clip'].includes(s.overflowX) || s.textOverflow === 'ellipsis';
    // KaTeX blocks report 2 px more than their box even when a short formula fits with room to spare.
    if (clips && e.scrollWidth > e.clientWidth + 4 && e.innerText.trim())
      out.push(e.getAttribute('data-testid') + ' ' + e.className.toString().slice(0, 40) + ': '
               + e.innerText.trim().slice(0, 80));
  }
  return out;
}"""


def _open(page, idle, locator) -> None:
    locator.click()
    page.wait_for_timeout(300)
    idle(page)
    assert not exceptions(page), exceptions(page)


@pytest.mark.parametrize("k", [10])  # the case: the prediction sum was cut off at k=10
def test_no_view_cuts_text_off_on_the_lecture_grid(browser, app_url, idle, k):
    page = browser.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{app_url}/?p_features={k}")
        idle(page)
        train(page)
        cut: dict[str, list[str]] = {}
        for tab in ["Predictions", "Cost curve", "Recommendations", "Similarity", "Latent features", "Tuning"]:
            _open(page, idle, page.get_by_role("tab", name=tab))
            cut[tab] = page.evaluate(CUT_OFF)
        _open(page, idle, page.get_by_role("tab", name="Teaching"))
        topics = page.get_by_role("radiogroup").filter(has_text="The math, live")
        for topic in ["The math, live", "Dot product vs cosine", "Mean normalization"]:
            _open(page, idle, topics.get_by_text(topic, exact=True))
            cut[topic] = page.evaluate(CUT_OFF)
        assert not any(cut.values()), cut
    finally:
        page.close()
