"""How responsive the dashboard is on MovieLens-size data: time to the first trained view, and page latency.

Drives the real page (``app.py``) through Streamlit's AppTest, so the numbers are the server-side script
time of each interaction (what a person waits for before the browser starts drawing; browser rendering
is not included). For each synthetic set (100k: 943 x 1,682; 1M: 6,040 x 3,706):

* **upload -> first trained view**: upload the set as a long CSV (as a practitioner would), then press
  Train with the sidebar's defaults; the Predictions tab is the view that appears.
* **sample -> first trained view**: the same through the dataset picker.
* **interaction latency**: median rerun time of page interactions on the trained page (switch each
  results tab, pick another user, change the prediction display, edit a grid cell, change the slice).

With ``--browser`` it also drives a real headless Chromium against ``streamlit run app.py`` and times what a
person sees: picking the sample until the grid shows, Train until the first heatmap is drawn, and tab
switches until the tab's chart is drawn (browser rendering included).

Run: ``python benchmarks/bench_app.py [--sets 100k 1m] [--repeats 3] [--browser]``. Caches are cleared first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, like the other benchmarks

from cf_app import state  # noqa: E402
from cf_core.io import save_ratings  # noqa: E402
from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings  # noqa: E402
from tools.browser import IDLE, launch_chromium, serve_app  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TRAIN = "FormSubmitter:hyperparameters-Train"
SAMPLE_KEYS = {"100k": "synthetic-100k", "1m": "synthetic-1m"}
TABS = ["Predictions", "Cost curve", "Recommendations", "Similarity", "Latent features"]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def check(at: AppTest, what: str) -> None:
    if at.exception or at.error:
        raise SystemExit(f"{what}: {[e.message for e in at.exception]} {[e.value for e in at.error]}")


FEATURES = 2  # set from --features in main()


def set_params(at: AppTest) -> None:
    at.slider(key="p_features").set_value(FEATURES)


def first_view_via_upload(shape: str) -> dict[str, float]:
    r = synthetic_ratings(*MOVIELENS_SHAPES[shape], random_state=0)
    payload = save_ratings(r, None, format="long")
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.selectbox(key=state.SOURCE_PICKER).set_value("upload").run()
    upload = timed(lambda: at.get("file_uploader")[0].set_value((f"ml-{shape}.csv", payload, "text/csv")).run())
    check(at, "upload")
    set_params(at)
    train = timed(lambda: at.button(key=TRAIN).click().run())
    check(at, "train after upload")
    ws = at.session_state[state.WORKSPACES][at.session_state[state.ACTIVE]]
    return {
        "csv_mb": len(payload) / 2**20,
        "upload_s": upload,
        "train_s": train,
        "fit_s": ws.result.seconds,
        "n_iter": ws.result.model.n_iter_,
    }


def first_view_via_sample(shape: str, repeats: int) -> tuple[dict[str, float], AppTest]:
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    load = timed(lambda: at.selectbox(key=state.SOURCE_PICKER).set_value(SAMPLE_KEYS[shape]).run())
    check(at, "load sample")
    set_params(at)
    train = timed(lambda: at.button(key=TRAIN).click().run())
    check(at, "train")
    ws = at.session_state[state.WORKSPACES][SAMPLE_KEYS[shape]]
    cached = timed(lambda: at.button(key=TRAIN).click().run())
    assert at.session_state[state.WORKSPACES][SAMPLE_KEYS[shape]].result.from_cache
    return {"load_s": load, "train_s": train, "fit_s": ws.result.seconds, "train_again_cached_s": cached}, at


def interactions(at: AppTest, repeats: int) -> dict[str, float]:
    ws = at.session_state[state.WORKSPACES][at.session_state[state.ACTIVE]]
    key, uid = f"v{ws.uid}", ws.uid
    out: dict[str, list[float]] = {}

    def measure(name: str, prepare: Callable[[int], object]) -> None:
        for rep in range(repeats):
            prepare(rep)
            out.setdefault(name, []).append(timed(at.run))
            check(at, name)

    for tab in TABS:
        measure(f"switch to tab {tab!r}", lambda _r, t=tab: at.session_state.__setitem__(state.RESULTS_TAB, t))
    at.session_state[state.RESULTS_TAB] = "Recommendations"
    at.run()
    measure("pick another user (Recommendations)", lambda r: at.selectbox(key=f"{key}_rec_user").set_value(r + 1))
    at.session_state[state.RESULTS_TAB] = "Predictions"
    at.run()
    modes = ["side by side", "unrated only", "marked"]
    measure("change prediction display", lambda r: at.radio(key=f"{key}_pred_mode").set_value(modes[r % 3]))
    measure(
        "edit a grid cell",
        lambda r: at.session_state.__setitem__(
            at.data_editor[0].key, {"edited_rows": {0: {at.data_editor[0].value.columns[0]: 1.0 + r % 4}}}
        ),
    )
    measure("change the editor slice size", lambda r: at.number_input(key=f"grid_items_{uid}").set_value(40 + r))
    measure("change the heatmap slice size", lambda r: at.number_input(key=f"show_items_{uid}").set_value(30 + r))
    return {name: statistics.median(times) for name, times in out.items()}


TITLES = {"100k": "Synthetic, MovieLens 100k shape", "1m": "Synthetic, MovieLens 1M shape"}


def _until_idle(page: Any, action: Callable[[], object], then: str | None = None) -> float:
    """Seconds from ``action`` until the script has finished (and ``then`` is visible, if given)."""
    start = time.perf_counter()
    action()
    page.wait_for_timeout(100)  # let the click reach the server before waiting for "not running"
    page.wait_for_selector(IDLE, timeout=600_000)
    if then:
        page.locator(then).first.wait_for(state="visible", timeout=600_000)
    return time.perf_counter() - start


def _pick(page: Any, title: str) -> None:
    page.get_by_role("combobox", name="Dataset", exact=True).click()
    page.get_by_role("option", name=title).click()


def browser(shapes: list[str], repeats: int) -> None:
    """End-to-end timings in Chromium (server started here, on a free port, and stopped afterwards)."""
    from playwright.sync_api import sync_playwright

    with serve_app() as url, sync_playwright() as p, launch_chromium(p) as chromium:
        for shape in shapes:
            page = chromium.new_page()
            page.goto(url)
            page.wait_for_selector(IDLE, timeout=120_000)
            load = _until_idle(page, lambda pg=page, sh=shape: _pick(pg, TITLES[sh]), "[data-testid='stDataFrame']")
            train = _until_idle(
                page,
                lambda pg=page: pg.get_by_role("button", name="Train", exact=True).click(),
                "[data-testid='stPlotlyChart']",
            )
            print(
                f"\n== browser, synthetic {shape}: pick sample -> grid shown {load:.2f} s; "
                f"Train -> first heatmap drawn {train:.2f} s"
            )
            for tab in [*TABS[1:], TABS[0]]:
                times = []
                other = TABS[0] if tab != TABS[0] else TABS[1]
                for _ in range(repeats):
                    times.append(_until_idle(page, lambda pg=page, t=tab: pg.get_by_role("tab", name=t).click()))
                    _until_idle(page, lambda pg=page, o=other: pg.get_by_role("tab", name=o).click())
                print(f"  click tab {tab!r}: {statistics.median(times) * 1000:.0f} ms until the page is idle")
            page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["100k", "1m"], choices=sorted(SAMPLE_KEYS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    parser.add_argument("--features", type=int, default=2, help="k for the timed fits (sidebar default 2)")
    args = parser.parse_args()
    global FEATURES
    FEATURES = args.features
    print(
        f"Fits: k={FEATURES}, lambda=1, 100 iterations, L-BFGS-B, item-mean normalization, no validation "
        "(the sidebar's defaults apart from k)."
    )
    for shape in args.sets:
        st.cache_data.clear()
        print(f"\n== synthetic {shape} ({MOVIELENS_SHAPES[shape][0]:,} users x {MOVIELENS_SHAPES[shape][1]:,} items)")
        up = first_view_via_upload(shape)
        print(
            f"upload {up['csv_mb']:.1f} MB long CSV -> grid: {up['upload_s']:.2f} s; Train -> first trained view: "
            f"{up['train_s']:.2f} s (fit {up['fit_s']:.2f} s, {up['n_iter']} iterations); "
            f"total {up['upload_s'] + up['train_s']:.2f} s"
        )
        st.cache_data.clear()
        sample, at = first_view_via_sample(shape, args.repeats)
        print(
            f"sample -> grid: {sample['load_s']:.2f} s; Train -> first trained view: {sample['train_s']:.2f} s "
            f"(fit {sample['fit_s']:.2f} s); Train again (cache hit): {sample['train_again_cached_s']:.2f} s"
        )
        for name, seconds in interactions(at, args.repeats).items():
            print(f"  {name:<45} {seconds * 1000:7.0f} ms (median of {args.repeats})")
    if args.browser:
        browser(args.sets, args.repeats)


if __name__ == "__main__":
    main()
