"""How responsive the dashboard is on MovieLens-size data: time to the first trained view, and page latency.

Drives the real page (``app.py``) through Streamlit's AppTest, so the numbers are the server-side script
time of each interaction (what a person waits for before the browser starts drawing; browser rendering
is not included). For each synthetic set (100k: 943 x 1,682; 1M: 6,040 x 3,706):

* **upload -> first trained view**: upload the set as a long CSV (as a practitioner would), then press
  Train with the sidebar's defaults; the Predictions tab is the view that appears.
* **sample -> first trained view**: the same through the dataset picker.
* **interaction latency**: median rerun time of page interactions on the trained page (switch each
  results tab, pick another user, change the prediction display, edit a grid cell, change the slice).

With ``--browser`` it also drives a real headless Chromium against ``streamlit run app.py`` (``--browser-only``:
just that) and times what a person waits for, each from the click's input event until the browser has drawn
the end of the script run it caused (the server's ``script_finished`` message, two animation frames later):
a new visitor's first page with the grid, uploading a 100k long CSV, Train (and how much of it is beyond the
fit), every results tab, and four controls inside the tabs; medians of ``--repeats`` clicks. ``--app-root``
times another checkout (a "before" commit) the same way.

Run: ``python benchmarks/bench_app.py [--sets 100k 1m] [--repeats 3] [--browser | --browser-only]
[--app-root DIR]``. Caches are cleared first.
"""

from __future__ import annotations

import argparse
import re
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
from cf_app.teaching import labels as teaching_labels  # noqa: E402
from cf_core.io import save_ratings  # noqa: E402
from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings  # noqa: E402
from tools.browser import IDLE, launch_chromium, view_pictures  # noqa: E402

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

# ------------------------------------------------------------------------------------------ in Chromium
#: In the page's own clock: the last click or key press, and for every message from the server its arrival
#: and the second animation frame after it (the browser has drawn what it said). A run that ends within one
#: frame never shows as "running" in the page's script-state attribute, so the end of a run is read from the
#: server's own ``script_finished`` message instead (matched by its index on the socket).
CLOCK = """
window.__cf = {input: null, msgs: []};
for (const kind of ['pointerdown', 'keydown'])
  window.addEventListener(kind, () => { window.__cf.input = performance.now(); }, true);
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  if (String(args[0]).includes('_stcore/stream')) {
    ws.addEventListener('message', () => {
      const entry = [performance.now(), null];
      window.__cf.msgs.push(entry);
      requestAnimationFrame(() => requestAnimationFrame(() => { entry[1] = performance.now(); }));
    });
  }
  return ws;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
"""
DRAWN = "(i) => { const m = window.__cf.msgs[i]; return m && m[1]; }"


class TimedPage:
    """A tab that knows when each script run ended: the server's ``script_finished`` messages, in order."""

    def __init__(self, context: Any) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self.page = context.new_page()
        self.page.set_default_timeout(600_000)
        self.page.add_init_script(CLOCK)
        self.frames = 0
        self.finished: list[int] = []  # socket indices of run ends (not counting runs cut short for a rerun)
        self.page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        if "_stcore/stream" in ws.url:
            ws.on("framereceived", self._frame)

    def _frame(self, payload: Any) -> None:
        index, self.frames = self.frames, self.frames + 1
        if isinstance(payload, bytes):
            msg = self._msg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished != msg.FINISHED_EARLY_FOR_RERUN:
                self.finished.append(index)

    def drawn_after_run(self, runs_before: int, timeout: float = 600.0) -> float:
        """Page-clock ms when the browser had drawn the end of the first run after ``runs_before`` runs."""
        deadline = time.monotonic() + timeout
        while len(self.finished) <= runs_before:  # lets Playwright deliver the socket's events
            if time.monotonic() > deadline:
                raise TimeoutError("no script run ended")
            self.page.wait_for_timeout(5)
        return self.page.wait_for_function(DRAWN, arg=self.finished[runs_before]).json_value()

    def click_to_idle(self, click: Callable[[], object]) -> float:
        """Seconds from the click's input event until the run it caused has ended and been drawn."""
        runs = len(self.finished)
        self.page.evaluate("window.__cf.input = null")
        click()
        drawn = self.drawn_after_run(runs)
        return (drawn - self.page.evaluate("window.__cf.input")) / 1000

    def settle(self) -> None:
        """Wait out any run still going (e.g. the page's own second run after opening a dataset)."""
        from tools.browser import wait_idle

        wait_idle(self.page, timeout=600_000)


GRID_SHOWN = """() => {
  const g = document.querySelector("[data-testid='stDataFrame']");
  if (!g || g.getBoundingClientRect().height === 0) return false;
  window.__cf.grid = window.__cf.grid || performance.now();
  return true;
}"""


def first_visit(context: Any, url: str) -> float:
    """Seconds from navigation start until the first run has ended, been drawn, and the grid is on screen."""
    tab = TimedPage(context)
    tab.page.goto(url)
    drawn = tab.drawn_after_run(0)
    tab.page.wait_for_function(GRID_SHOWN, polling="raf")
    seconds = max(drawn, tab.page.evaluate("window.__cf.grid")) / 1000  # page clock: 0 = navigation start
    tab.page.close()
    return seconds


def _step_up(page: Any, label: str) -> Callable[[], object]:
    box = page.get_by_test_id("stNumberInput").filter(has=page.get_by_text(label, exact=True)).first
    return lambda: box.get_by_test_id("stNumberInputStepUp").click()


def _upload(page: Any, path: Path) -> None:
    region = page.get_by_role("region", name="Ratings file").get_by_test_id("stFileUploaderDropzoneInput")
    region.set_input_files(str(path))


def _median_ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.0f}"


def browser(shapes: list[str], repeats: int, root: Path | None) -> None:
    """What a person waits for in Chromium, from each click until the page has drawn the run's end."""
    import tempfile

    from playwright.sync_api import sync_playwright

    from tools.browser import ROOT, choose, start_app

    rows: list[tuple[str, str, str]] = []  # (interaction, median ms, note)

    def record(name: str, ms: str, note: str) -> None:
        print(" ", name, ms, note, sep="  ", flush=True)  # as it goes: a long run shows progress
        rows.append((name, ms, note))

    with start_app(root=root or ROOT) as server, sync_playwright() as p, launch_chromium(p) as chromium:
        url = server.url
        warm = chromium.new_page()  # the server's first session pays its imports: not what a visitor meets
        warm.goto(url)
        warm.wait_for_selector(IDLE, timeout=120_000)
        warm.close()
        visits = [first_visit(chromium, url) for _ in range(repeats)]
        record("new visitor: open the page -> grid drawn", _median_ms(visits), f"median of {repeats}")
        for shape in shapes:
            tab = TimedPage(chromium)
            page = tab.page
            page.goto(url)
            tab.settle()
            r = synthetic_ratings(*MOVIELENS_SHAPES[shape], random_state=0)
            path = Path(tempfile.mkdtemp()) / f"ml-{shape}.csv"
            path.write_bytes(save_ratings(r, None, format="long"))
            choose(page, "Dataset", "Upload a file…")
            runs = len(tab.finished)
            start = page.evaluate("performance.now()")
            _upload(page, path)
            page.locator("[data-testid='stDataFrame']").first.wait_for(state="visible")
            tab.settle()
            up = (tab.drawn_after_run(len(tab.finished) - 1) - start) / 1000 if len(tab.finished) > runs else 0.0
            size = f"{path.stat().st_size / 2**20:.1f} MB"
            record(f"{shape}: upload a {size} long CSV -> grid drawn", f"{up * 1000:.0f}", "once")
            train = tab.click_to_idle(lambda pg=page: pg.get_by_role("button", name="Train", exact=True).click())
            tab.settle()
            fit = float(TRAINED_AT.search(page.get_by_text(TRAINED_AT).first.inner_text()).group(1))
            note = f"fit {fit:.2f} s; {train - fit:.2f} s beyond the fit"
            record(f"{shape}: Train -> trained page drawn", f"{train * 1000:.0f}", note)
            tabs = [*TABS, "Tuning", "Teaching"]
            times: dict[str, list[float]] = {t: [] for t in tabs}
            for _ in range(repeats):
                for name in [*tabs[1:], tabs[0]]:
                    times[name].append(tab.click_to_idle(page.get_by_role("tab", name=name).click))
            for name in tabs:
                record(f"{shape}: switch to tab {name}", _median_ms(times[name]), f"median of {repeats}")
            controls = [
                ("Predictions", "Heatmap rows: most rated items", "heatmap rows +10 (Predictions)"),
                ("Recommendations", "Min. ratings", "min. ratings +1 (Recommendations)"),
                ("Recommendations", "How many", "how many +1 (Recommendations)"),
                ("Similarity", "How many", "how many +1 (Similarity)"),
            ]
            for name, label_text, what in controls:
                button = page.get_by_role("tab", name=name)
                if button.get_attribute("aria-selected") != "true":
                    tab.click_to_idle(button.click)
                step = _step_up(page, label_text)  # only the open tab is drawn (lazy tabs)
                ts = [tab.click_to_idle(step) for _ in range(repeats)]
                record(f"{shape}: {what}", _median_ms(ts), f"median of {repeats}")
            # Tabs that show one picture (or teaching topic) at a time: the radio's other one, and back.
            others_then_first = []
            for view_tab, options in view_pictures().items():
                texts = list(options.values())
                others_then_first.append((view_tab, texts[1:] + texts[:1]))
            topics = teaching_labels()  # the two live topics: "One prediction", then back to "The cost, live"
            for name, pictures in [*others_then_first, ("Teaching", [topics[1], topics[0]])]:
                button = page.get_by_role("tab", name=name)
                if button.get_attribute("aria-selected") != "true":  # a click on the open tab runs nothing
                    tab.click_to_idle(button.click)
                radios = [page.get_by_role("radiogroup").get_by_text(x, exact=True) for x in pictures]
                if not radios[0].count():  # a checkout from before the pictures
                    continue
                ts = {x: [] for x in pictures}
                for _ in range(repeats):
                    for text, radio in zip(pictures, radios, strict=True):
                        ts[text].append(tab.click_to_idle(radio.click))
                for text in pictures:
                    record(f"{shape}: {name}: show {text}", _median_ms(ts[text]), f"median of {repeats}")
            page.close()
    width = max(len(r[0]) for r in rows)
    print(f"\n== Chromium, click -> the run's end drawn ({'this checkout' if root is None else root})")
    print(f"| {'interaction'.ljust(width)} | ms | note |")
    print(f"|{'-' * (width + 2)}|---:|---|")
    for name, ms, note in rows:
        print(f"| {name.ljust(width)} | {ms} | {note} |")


TRAINED_AT = re.compile(r"Trained in ([0-9.]+) s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["100k", "1m"], choices=sorted(SAMPLE_KEYS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    parser.add_argument("--features", type=int, default=2, help="k for the timed fits (sidebar default 2)")
    parser.add_argument("--browser-only", action="store_true", help="only the Chromium timings")
    parser.add_argument("--app-root", type=Path, help="time another checkout's app.py (e.g. a 'before' commit)")
    args = parser.parse_args()
    global FEATURES
    FEATURES = args.features
    print(
        f"Fits: k={FEATURES}, lambda=1, 100 iterations, L-BFGS-B, item-mean normalization, no validation "
        "(the sidebar's defaults apart from k)."
    )
    for shape in [] if args.browser_only else args.sets:
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
    if args.browser or args.browser_only:
        browser(args.sets, args.repeats, args.app_root)


if __name__ == "__main__":
    main()
