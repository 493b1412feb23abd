"""Many browser sessions training at once against one server: who waits, how long, and can a newcomer get in?

    python benchmarks/bench_load.py                              # 10 sessions on 100k, then 5 on 1M
    python benchmarks/bench_load.py --scenario 4:lecture         # N:sample key, repeatable
    python benchmarks/bench_load.py --env CF_LAB_MAX_FITS=1      # server settings
    python benchmarks/bench_load.py --app-root OTHER_CHECKOUT    # the same measurement of another version

For each scenario a fresh `streamlit run app.py` (loopback only) and one headless Chromium: N tabs, each
with its own k and seed in the URL (as a shared link does), load the dataset, then all press Train before
any is waited for. Reported per session: seconds waiting in the server's fit queue and fitting (both read
from the session's own "Trained in F s after W s in the queue" line; an app without a queue shows no wait)
and when the trained model appeared; then the wall time until the last one, and a newcomer: a fresh tab
opened 1 s after the Train presses, timed to first paint (the title) and to a usable grid, as a ratio to
the same newcomer on the idle server just before. Server memory: resident size after the N sessions loaded
their data (per session, over the idle server) and the peak (VmHWM) over the whole scenario.

Bounded: at most 20 sessions, and every wait gives up after --timeout seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.browser import ROOT, TRAINED, launch_chromium, start_app, wait_idle  # noqa: E402

MAX_SESSIONS = 20
SAMPLE_TITLES = {
    "lecture": "Lecture example",
    "movies-small": "Movies, small",
    "synthetic-100k": "Synthetic, MovieLens 100k shape",
    "synthetic-1m": "Synthetic, MovieLens 1M shape",
}
#: Installed in each tab before Train: records (epoch ms) when the trained status line first appears.
WATCH_TRAINED = """() => {
  window.__trainedAt = null;
  const seen = () => /Trained in|from the cache/.test(document.body.textContent);
  const observer = new MutationObserver(() => {
    if (window.__trainedAt === null && seen()) { window.__trainedAt = Date.now(); observer.disconnect(); }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
LABEL = re.compile(r"Trained in ([\d.]+) s(?: after ([\d.]+) s in the queue)?")


@dataclass
class Session:
    n: int
    k: int
    seed: int
    done: float | None = None
    fit: float | None = None
    wait: float | None = None
    own: bool = False
    note: str = ""


def memory_mb(pid: int, field: str) -> float:
    """VmRSS / VmHWM of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def newcomer(context, url: str, timeout_ms: float) -> tuple[float, float]:
    """Seconds from navigation to the title, and to the ratings grid, for a fresh session."""
    tab = context.new_page()
    try:
        start = time.monotonic()
        tab.goto(url, wait_until="commit", timeout=timeout_ms)
        tab.get_by_role("heading", name="CF Lab").first.wait_for(timeout=timeout_ms)
        title = time.monotonic() - start
        tab.locator("[data-testid='stDataFrame']").first.wait_for(state="visible", timeout=timeout_ms)
        grid = time.monotonic() - start
        return title, grid
    finally:
        tab.close()


def run_scenario(pw, n_sessions: int, sample: str, args) -> None:
    title = SAMPLE_TITLES[sample]
    env = dict(item.split("=", 1) for item in args.env)
    timeout_ms = args.timeout * 1000
    with start_app(env=env, root=Path(args.app_root)) as server, launch_chromium(pw) as context:
        rss_idle = memory_mb(server.pid, "VmRSS")
        sessions = [Session(n + 1, 2 + n % 9, n) for n in range(n_sessions)]
        tabs = []
        for s in sessions:
            tab = context.new_page()
            tab.set_default_timeout(timeout_ms)
            tab.goto(f"{server.url}/?p_features={s.k}&p_seed={s.seed}&p_iter={args.iterations}")
            tabs.append(tab)
        for tab in tabs:
            wait_idle(tab, timeout=timeout_ms)
        rss_pages = memory_mb(server.pid, "VmRSS")
        for tab in tabs:
            tab.get_by_role("combobox", name="Dataset", exact=True).click()
            tab.get_by_role("option", name=title).first.click()
        for tab in tabs:
            wait_idle(tab, timeout=timeout_ms)
        rss_loaded = memory_mb(server.pid, "VmRSS")
        idle = newcomer(context, server.url, timeout_ms)

        for tab in tabs:  # each tab notes the moment its trained line appears, while we time the newcomer
            tab.evaluate(WATCH_TRAINED)
        started, started_epoch = time.monotonic(), time.time()
        for tab in tabs:
            tab.get_by_role("button", name="Train", exact=True).click()
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        loaded = newcomer(context, server.url, timeout_ms)

        deadline = started + args.timeout
        pending = list(zip(sessions, tabs, strict=True))
        while pending and time.monotonic() < deadline:
            for s, tab in list(pending):
                if (at := tab.evaluate("window.__trainedAt")) is not None:
                    s.done = at / 1000 - started_epoch
                    pending.remove((s, tab))
            time.sleep(0.2)
        for s, tab in zip(sessions, tabs, strict=True):
            if s.done is None:
                s.note = "did not finish in time"
                continue
            wait_idle(tab, timeout=timeout_ms)
            text = tab.get_by_text(TRAINED).first.inner_text()
            if m := LABEL.search(text):
                s.fit, s.wait = float(m.group(1)), float(m.group(2) or 0.0)
            caption = tab.get_by_text(re.compile(r"^Model: k=")).first.inner_text()
            s.own = caption.startswith(f"Model: k={s.k}, ") and f"seed {s.seed}" in caption
            s.own = s.own and tab.locator("[data-testid='stException']").count() == 0
            s.note = "own model" if s.own else f"WRONG: {caption}"
        peak = memory_mb(server.pid, "VmHWM")
    wall = max((s.done for s in sessions if s.done is not None), default=float("nan"))

    settings = ", ".join(args.env) or "defaults"
    print(f"\n### {n_sessions} sessions x {title} ({args.iterations} iterations; server: {settings})\n")
    print("| session | k | seed | wait in queue s | fit s | trained after s | |\n|---|---|---|---|---|---|---|")
    for s in sessions:
        cells = [f"{v:.1f}" if v is not None else "-" for v in (s.wait, s.fit, s.done)]
        print(f"| {s.n} | {s.k} | {s.seed} | {' | '.join(cells)} | {s.note} |")
    finished = [s for s in sessions if s.done is not None]
    fits = [s.fit for s in finished if s.fit is not None]
    waits = [s.wait for s in finished if s.wait is not None]
    print(
        f"\n- {sum(s.own for s in sessions)}/{n_sessions} finished with their own model; wall time "
        f"{wall:.1f} s; fit s median {statistics.median(fits) if fits else float('nan'):.1f} "
        f"(max {max(fits, default=float('nan')):.1f}); wait s max {max(waits, default=float('nan')):.1f}"
    )
    print(
        f"- newcomer 1 s into the load: title {loaded[0]:.1f} s ({loaded[0] / idle[0]:.1f}x idle {idle[0]:.1f} s), "
        f"usable grid {loaded[1]:.1f} s ({loaded[1] / idle[1]:.1f}x idle {idle[1]:.1f} s)"
    )
    print(
        f"- server memory: {rss_idle:.0f} MB before any page, {rss_pages:.0f} MB with {n_sessions} pages open, "
        f"{rss_loaded:.0f} MB with their data loaded ({(rss_loaded - rss_pages) / n_sessions:.0f} MB per session), "
        f"peak {peak:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario",
        action="append",
        help="SESSIONS:SAMPLE_KEY (default: 10:synthetic-100k and 5:synthetic-1m)",
    )
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds any one wait may take")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server (repeatable)")
    parser.add_argument("--app-root", default=str(ROOT), help="checkout whose app.py to serve")
    args = parser.parse_args()
    scenarios = args.scenario or ["10:synthetic-100k", "5:synthetic-1m"]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    with sync_playwright() as pw:
        for spec in scenarios:
            n, _, sample = spec.partition(":")
            if not 1 <= int(n) <= MAX_SESSIONS or sample not in SAMPLE_TITLES:
                parser.error(f"--scenario {spec!r}: 1-{MAX_SESSIONS} sessions and one of {', '.join(SAMPLE_TITLES)}")
            run_scenario(pw, int(n), sample, args)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
