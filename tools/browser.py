"""One way to run the real app and a real browser, shared by the e2e tests, benchmarks and screenshot script.

`serve_app()` starts `streamlit run app.py` on a free localhost port and waits for its health endpoint
(`start_app()` does the same and also gives the server's process id, e.g. to read its memory; both take
extra environment variables for the server, e.g. ``{"CF_LAB_MAX_FITS": "1"}``);
`launch_chromium()` opens Debian's Chromium through Playwright with `executable_path` (Playwright's own
browser downloads do not work here) and the flags that work on these machines; `wait_idle()` waits for
the page's script run to finish; `select_cell()` and `type_into_cell()` work the rating grid's canvas as a
person does; `cut_off()` lists text that is clipped on screen.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
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
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
RUNNING = "[data-testid='stApp'][data-test-script-state='running']"
#: The training status line once a fit is done (fresh, or the same data and parameters from the cache).
TRAINED = re.compile("Trained in|from the cache")


def find_chromium() -> str | None:
    """Path of a Chromium on PATH, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerFailed(RuntimeError):
    """The app server exited or never became healthy; the message ends with its log."""


@dataclass(frozen=True)
class AppServer:
    url: str
    pid: int
    log: Path


@contextlib.contextmanager
def serve_app(timeout: float = 60.0, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run `streamlit run app.py` on a free port for the duration of the block; yields its URL."""
    with start_app(timeout, env) as server:
        yield server.url


@contextlib.contextmanager
def start_app(timeout: float = 60.0, env: Mapping[str, str] | None = None, root: Path = ROOT) -> Iterator[AppServer]:
    """Like :func:`serve_app`, yielding the URL, the server's process id and its log file.

    ``root``: the checkout whose app.py to run (benchmarks compare against another version this way).
    """
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="cf-lab-streamlit-")) / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
            + ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=root,
            env=os.environ | dict(env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp,
                ):
                    if resp.read().decode().strip() == "ok":
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise ServerFailed(f"streamlit did not become healthy; log:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.3)
            yield AppServer(url, proc.pid, log_path)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def launch_chromium(playwright: Any, **context_options: Any) -> Iterator[Any]:
    """A Chromium browser context with a fresh, temporary --user-data-dir (Playwright's persistent context)."""
    profile = tempfile.mkdtemp(prefix="cf-lab-chromium-")
    options = {"viewport": {"width": 1400, "height": 1000}, "color_scheme": "light"} | context_options
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS, **options
    )
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def wait_idle(page: Any, timeout: float = 90_000, rerun_grace: float = 1_000) -> None:
    """Wait until the page's script run has finished.

    An interaction starts its rerun a little later, so first give it ``rerun_grace`` ms to begin; without
    that, a check right after a click can see the *previous* idle state.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # no rerun started (or it was already over): fine either way
        page.wait_for_selector(RUNNING, timeout=rerun_grace)
    page.wait_for_selector(IDLE, timeout=timeout)


def choose(page: Any, label: str, option: str, timeout: float = 90_000, list_timeout: float = 20_000) -> None:
    """Choose ``option`` (its text, or part of it) in the selectbox labelled ``label``, and wait for the rerun.

    On a busy machine the list sometimes does not open on the first click: close it and click again.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        page.get_by_role("combobox", name=label, exact=True).click()
        try:
            page.get_by_role("option", name=option).first.click(timeout=list_timeout)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    wait_idle(page, timeout=timeout)


def open_view(page: Any, tab: str, picture: str | None = None) -> None:
    """Open the results tab ``tab`` and, for a tab that shows one picture at a time, the radio option with
    the text ``picture``; waits for each rerun."""
    for target in [page.get_by_role("tab", name=tab, exact=True)] + (
        [page.get_by_role("radiogroup").get_by_text(picture, exact=True)] if picture else []
    ):
        target.click()
        page.wait_for_timeout(300)
        wait_idle(page)


def view_pictures() -> dict[str, dict[str, str]]:
    """Each results tab that shows one picture at a time: its radio's options (value -> text), the one a
    visit opens on first."""
    from cf_app.views import VIEWS

    return {view.label: view.pictures.options for view in VIEWS if view.pictures}


def every_view_picture() -> Iterator[tuple[str, str | None]]:
    """(tab, picture text or None) for every results picture, as :func:`open_view` takes them."""
    from cf_app.views import labels

    pictures = view_pictures()
    for tab in labels():
        for text in pictures[tab].values() if tab in pictures else [None]:
            yield tab, text


def exceptions(page: Any) -> list[str]:
    """Texts of the Streamlit exception boxes on the page (empty when the script ran cleanly)."""
    return page.locator("[data-testid='stException']").all_inner_texts()


def train(page: Any, timeout: float = 120_000) -> None:
    """Press the sidebar's Train and wait until the status line says the fit is done and the page is idle."""
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(TRAINED).first.wait_for(timeout=timeout)
    wait_idle(page, timeout=timeout)


GRID_ROW_HEIGHT = 35  # px: Streamlit's data grid rows and header row


def select_cell(page: Any, row: int, col: int) -> None:
    """Select the rating grid's cell at (data row ``row``, user column ``col``, both 0-based).

    The grid is a canvas: select the row's label cell (first column), then step right into the user's
    column. When a button (e.g. a download) had the focus, the first click on the canvas only takes it
    back; clicking another row first makes the second click a plain selection either way (a second click
    on an already selected cell would open its editor instead).
    """
    page.bring_to_front()  # keystrokes go to the focused tab
    grid = page.locator("[data-testid='stDataFrame']").first
    other = row + 1 if row == 0 else row - 1
    for r in (other, row):
        grid.click(position={"x": 20, "y": GRID_ROW_HEIGHT * (r + 1) + GRID_ROW_HEIGHT // 2})
        page.wait_for_timeout(250)
    for _ in range(col + 1):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(100)


def type_into_cell(page: Any, row: int, col: int, value: str) -> None:
    """Type ``value`` into a grid cell (see :func:`select_cell`), commit it, and wait for the rerun."""
    select_cell(page, row, col)
    # Enter opens the cell editor (typing straight away can be lost while the grid settles), then
    # replace whatever is there and commit.
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(value, delay=50)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    wait_idle(page)


#: Elements whose content is wider than their box while the box clips or scrolls it (a person sees it cut
#: off), text boxes included (a selectbox shows its choice in an <input>). Data grids and charts scroll or
#: draw on a canvas by design, and KaTeX's MathML copy is hidden for screen readers; they are left out.
_CUT_OFF = """(root) => {
  const out = [];
  for (const e of document.querySelectorAll(root + ' *')) {
    // Screen-reader text sits in a 1 px box on purpose (an icon button's "add icon").
    if (e.clientWidth <= 1) continue;
    if (e.closest('[data-testid=stDataFrame], [data-testid=stPlotlyChart], .katex-mathml')) continue;
    const s = getComputedStyle(e);
    const clips = ['hidden', 'auto', 'scroll', 'clip'].includes(s.overflowX) || s.textOverflow === 'ellipsis';
    // KaTeX blocks report 2 px more than their box even when a short formula fits with room to spare.
    const text = (e.innerText || e.value || '').trim();  // a selectbox shows its choice in an <input>
    if (clips && e.scrollWidth > e.clientWidth + 4 && text)
      out.push(e.getAttribute('data-testid') + ' ' + e.className.toString().slice(0, 40) + ': ' + text.slice(0, 80));
  }
  return out;
}"""


def cut_off(page: Any, root: str = "[data-testid=stMain]") -> list[str]:
    """Text cut off on screen below the CSS selector ``root``: one line per clipping element, with its text."""
    return page.evaluate(_CUT_OFF, root)


_CHART_MARGINS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => {
  const want = el.layout.margin || {}, got = el._fullLayout._size;
  const title = (el._fullLayout.title && el._fullLayout.title.text) || '';
  return {title: title.replace(/<[^>]*>/g, ''), asked: [want.l, want.r, want.t, want.b],
          drawn: [got.l, got.r, got.t, got.b].map(Math.round)};
})"""


def chart_margins(page: Any) -> list[dict[str, Any]]:
    """Each plotly chart on the page: its title, the margins its layout asks for (l, r, t, b) and the
    margins it was drawn with. A side drawn wider than asked is one that plotly's automargin pushed out,
    which costs the chart a second full draw (see ``cf_app.figures.common.reserve_margins``)."""
    return page.evaluate(_CHART_MARGINS)
