"""Take the README's screenshots: the running app in headless Chromium, one PNG per view (light theme).

    python docs/take_screenshots.py            # writes docs/screenshots/*.png
    python docs/take_screenshots.py --large    # also the large-data views (docs/screenshots/large_*.png)

Starts `streamlit run app.py` on a free port, opens it in Debian's Chromium through Playwright, trains
on a sample, and captures the grid and every results tab. ``--large`` then opens the synthetic MovieLens
100k sample (1,682 items) and uploads a generated 100k half-star set with 9,700 titled items (MovieLens
``ratings.csv`` + ``movies.csv`` layout), trains each with the defaults the sidebar picks for large data
(and k=10), and captures the views that change most with size. Re-run it after changing what a view shows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from cf_app.teaching import labels as teaching_labels  # noqa: E402
from cf_core.synthetic import synthetic_ratings  # noqa: E402
from tools.browser import IDLE, choose, launch_chromium, serve_app, view_pictures  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
TABS = ["Predictions", "Cost curve", "Recommendations", "Similarity", "Latent features", "Tuning", "Teaching"]
LARGE_TABS = ["Predictions", "Recommendations", "Similarity", "Latent features", "Teaching"]


def _idle(page: Page) -> None:
    page.wait_for_timeout(1200)
    page.wait_for_selector(IDLE, timeout=180_000)
    page.wait_for_timeout(800)  # let plotly finish drawing


def _shoot(page: Page, name: str) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def _pick_dataset(page: Page, title: str) -> None:
    choose(page, "Dataset", title, timeout=180_000)  # retries when the list does not open on a busy machine
    _idle(page)


def _set_features(page: Page, k: int) -> None:
    """Move the k slider with the keyboard (the URL only sets it on a session's first load)."""
    slider = page.get_by_role("slider", name="Number of features k")
    slider.focus()
    for _ in range(60):
        now = int(slider.input_value())
        if now == k:
            return
        page.keyboard.press("ArrowRight" if now < k else "ArrowLeft")
        page.wait_for_timeout(60)
    raise RuntimeError(f"could not set k to {k}")


def _more_pictures() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Tabs with more than one picture: the radio option a visit opens on, then the others with the suffix
    of their file's name (a view's picture by its value; Teaching's second live topic)."""
    more = {}
    for tab, options in view_pictures().items():
        (_, first), *others = options.items()
        more[tab] = (first, [(text, value) for value, text in others])
    topics = teaching_labels()
    more["Teaching"] = (topics[0], [(topics[1], "prediction")])
    return more


MORE_PICTURES = _more_pictures()


def _train_and_shoot(page: Page, tabs: list[str], prefix: str) -> None:
    page.get_by_role("button", name="Train", exact=True).click()
    _idle(page)
    for tab in tabs:
        name = prefix + tab.lower().replace(" ", "_")
        page.get_by_role("tab", name=tab).click()
        _idle(page)
        _shoot_view(page, name)
        if tab in MORE_PICTURES:
            first, others = MORE_PICTURES[tab]
            for option, suffix in others:
                page.get_by_role("radiogroup").get_by_text(option, exact=True).click()
                _idle(page)
                _shoot_view(page, f"{name}_{suffix}")
            page.get_by_role("radiogroup").get_by_text(first, exact=True).click()  # as the next visit meets it
            _idle(page)


def _shoot_view(page: Page, name: str) -> None:
    # The tab row at the top of the window, so the view's content fills the picture.
    page.get_by_role("tablist").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    _shoot(page, name)


def _half_star_upload(folder: Path) -> tuple[Path, Path]:
    """A MovieLens-latest-like upload: 610 users x 9,700 items, 100k half-star ratings, titles of any length."""
    r = synthetic_ratings(610, 9_700, 100_000, random_state=3)
    rng = np.random.default_rng(0)
    stars = np.clip(np.round((r.values + rng.normal(0, 0.3, r.n_ratings)) * 2) / 2, 0.5, 5.0)
    ratings = folder / "ratings.csv"
    pd.DataFrame(
        {
            "userId": np.asarray(r.users)[r.user_idx],
            "movieId": np.asarray(r.items)[r.item_idx],
            "rating": stars,
            "timestamp": 964982703,
        }
    ).to_csv(ratings, index=False)
    words = [
        "Return",
        "Night",
        "Shadow",
        "Love",
        "City",
        "Last",
        "Star",
        "Dream",
        "Winter",
        "Secret",
        "Garden",
        "Wild",
        "Empire",
        "River",
        "Story",
    ]
    titles = [
        "The " + " ".join(rng.choice(words, rng.integers(1, 7))) + f" ({1920 + m % 100})" for m in np.asarray(r.items)
    ]
    movies = folder / "movies.csv"
    pd.DataFrame({"movieId": np.asarray(r.items), "title": titles, "genres": "Drama"}).to_csv(movies, index=False)
    return ratings, movies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="Movies, small", help="name of the sample whose results are shown")
    parser.add_argument("--features", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="also capture the large-data views")
    parser.add_argument("--only-large", action="store_true", help="capture only the large-data views")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    viewport = {"width": 1400, "height": 1100}
    with serve_app() as url, sync_playwright() as pw, launch_chromium(pw, viewport=viewport) as ctx:
        page = ctx.new_page()
        page.set_default_timeout(180_000)
        if not args.only_large:
            page.goto(url)
            _idle(page)
            _shoot(page, "grid")
            page.goto(f"{url}/?p_features={args.features}")
            _idle(page)
            _pick_dataset(page, args.dataset)
            _train_and_shoot(page, TABS, "")
        if args.large or args.only_large:
            page.goto(url)
            _idle(page)
            _pick_dataset(page, "Synthetic, MovieLens 100k shape")
            _shoot(page, "large_100k_grid")
            _train_and_shoot(page, LARGE_TABS, "large_100k_")
            with tempfile.TemporaryDirectory() as tmp:
                ratings, movies = _half_star_upload(Path(tmp))
                _pick_dataset(page, "Upload a file…")
                region = page.get_by_role("region", name="Ratings file")
                region.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(ratings))
                _idle(page)
                region = page.get_by_role("region", name="Item titles (optional)")
                region.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(movies))
                _idle(page)
                _set_features(page, 10)
                _shoot(page, "large_9k_grid")
                _train_and_shoot(page, LARGE_TABS, "large_9k_k10_")


if __name__ == "__main__":
    main()
