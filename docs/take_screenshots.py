"""Take the README's screenshots: the running app in headless Chromium, one PNG per view (light theme).

    python docs/take_screenshots.py            # writes docs/screenshots/*.png

Starts `streamlit run app.py` on a free port, opens it in Debian's Chromium through Playwright, trains
on a sample, and captures the grid and every results tab. Re-run it after changing what a view shows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.browser import IDLE, launch_chromium, serve_app  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
TABS = ["Predictions", "Cost curve", "Recommendations", "Similarity", "Latent features", "Tuning", "Teaching"]


def _idle(page: Page) -> None:
    page.wait_for_timeout(1200)
    page.wait_for_selector(IDLE, timeout=120_000)
    page.wait_for_timeout(800)  # let plotly finish drawing


def _shoot(page: Page, name: str) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset", default="Movies, small (30 movies x 20 users)", help="title of the sample whose results are shown"
    )
    parser.add_argument("--features", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    viewport = {"width": 1400, "height": 1100}
    with serve_app() as url, sync_playwright() as pw, launch_chromium(pw, viewport=viewport) as ctx:
        page = ctx.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        _idle(page)
        _shoot(page, "grid")
        page.goto(f"{url}/?p_features={args.features}")
        _idle(page)
        page.get_by_role("combobox", name="Dataset", exact=True).click()
        page.get_by_role("option", name=args.dataset).first.click()
        _idle(page)
        page.get_by_role("button", name="Train", exact=True).click()
        _idle(page)
        for tab in TABS:
            page.get_by_role("tab", name=tab).click()
            _idle(page)
            # The tab row at the top of the window, so the view's content fills the picture.
            page.get_by_role("tablist").first.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(500)
            _shoot(page, tab.lower().replace(" ", "_"))


if __name__ == "__main__":
    main()
