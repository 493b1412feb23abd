"""Where a click's time goes, in Chromium: server run vs. browser drawing, and the browser's JavaScript.

For each tab switch (and Train) on a 100k upload this prints, from the click's input event: when the
server's first message arrived, when its ``script_finished`` arrived (the server's share), and when the
browser had drawn it (the rest is the browser's). With ``--js`` it also samples the page's JavaScript (the
DevTools profiler) and prints self time by script and by function, to show what to make lighter.

    python benchmarks/profile_clicks.py [--repeats 3] [--js] [--tabs Similarity "Latent features"]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_app import TABS, TimedPage, _upload  # noqa: E402

from cf_core.io import save_ratings  # noqa: E402
from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings  # noqa: E402
from tools.browser import IDLE, chart_margins, launch_chromium  # noqa: E402


def _split(tab: TimedPage, runs: int) -> tuple[float, float, float, float]:
    """(first message, run finished, drawn, input) in page-clock ms for the run after ``runs`` runs."""
    drawn = tab.drawn_after_run(runs)
    msgs = tab.page.evaluate("window.__cf.msgs.map(m => m[0])")
    start = tab.page.evaluate("window.__cf.input")
    first = next((t for t in msgs if t >= start), float("nan"))
    return first, msgs[tab.finished[runs]], drawn, start


def _profile_summary(profile: dict[str, Any], top: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Self time (ms) by script file and by function, from a DevTools CPU profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    counts = Counter(profile.get("samples", []))
    deltas = profile.get("timeDeltas", [])
    total_us = sum(deltas)
    per_sample = total_us / max(1, len(profile.get("samples", [])))
    by_file: Counter[str] = Counter()
    by_fn: Counter[str] = Counter()
    for node_id, n in counts.items():
        frame = nodes[node_id]["callFrame"]
        url = frame["url"].rsplit("/", 1)[-1] or frame["functionName"] or "(native)"
        ms = n * per_sample / 1000
        by_file[url] += ms
        by_fn[f"{frame['functionName'] or '(anon)'} @ {url}:{frame['lineNumber']}"] += ms
    parents = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    for node_id, n in counts.items():
        frame = nodes[node_id]["callFrame"]
        if frame["url"] == "" and frame["functionName"] in ("checkVisibility", "getBoundingClientRect"):
            chain, at = [], parents.get(node_id)
            while at is not None and len(chain) < 4:
                f = nodes[at]["callFrame"]
                chain.append(f"{f['functionName'] or '(anon)'}@{f['url'].rsplit('/', 1)[-1]}:{f['lineNumber']}")
                at = parents.get(at)
            by_fn[f"{frame['functionName']} <- " + " <- ".join(chain)] += n * per_sample / 1000
    return by_file.most_common(top), by_fn.most_common(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--js", action="store_true", help="also sample the page's JavaScript")
    parser.add_argument("--tabs", nargs="+", default=[*TABS, "Tuning", "Teaching"])
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--margins", action="store_true", help="print each chart's asked vs drawn margins")
    parser.add_argument("--hold", type=float, default=0, help="seconds to wait before the clicks (attach py-spy)")
    parser.add_argument("--shape", default="100k", choices=sorted(MOVIELENS_SHAPES))
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tools.browser import choose, start_app

    with start_app() as server, sync_playwright() as p, launch_chromium(p) as chromium:
        warm = chromium.new_page()
        warm.goto(server.url)
        warm.wait_for_selector(IDLE, timeout=120_000)
        warm.close()
        tab = TimedPage(chromium)
        page = tab.page
        page.goto(server.url)
        tab.settle()
        r = synthetic_ratings(*MOVIELENS_SHAPES[args.shape], random_state=0)
        path = Path(tempfile.mkdtemp()) / f"ml-{args.shape}.csv"
        path.write_bytes(save_ratings(r, None, format="long"))
        choose(page, "Dataset", "Upload a file…")
        _upload(page, path)
        page.locator("[data-testid='stDataFrame']").first.wait_for(state="visible")
        tab.settle()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 250})

        def measure(name: str, click: Any) -> None:
            rows = []
            profiles = []
            for i in range(args.repeats if name != "Train" else 1):
                if i and name != "Train":  # leave the tab, so each measured click is a real switch
                    other = "Cost curve" if name != "Cost curve" else "Predictions"
                    tab.click_to_idle(page.get_by_role("tab", name=other).click)
                    tab.settle()
                runs = len(tab.finished)
                page.evaluate("window.__cf.input = null")
                if args.js:
                    cdp.send("Profiler.start")
                click()
                first, done, drawn, start = _split(tab, runs)
                if args.js:
                    profiles.append(cdp.send("Profiler.stop")["profile"])
                rows.append((first - start, done - start, drawn - start))
                tab.settle()
            med = [statistics.median(x[i] for x in rows) for i in range(3)]
            print(
                f"{name:<18} first msg {med[0]:6.0f}  server done {med[1]:6.0f}  drawn {med[2]:6.0f} ms"
                f"  (browser after the run: {med[2] - med[1]:.0f} ms)",
                flush=True,
            )
            if args.margins:
                for m in chart_margins(page):
                    print(f"    {m['title'][:40]}: asked {m['asked']}, drawn {m['drawn']} (l, r, t, b)")
            if args.js and profiles:
                by_file, by_fn = _profile_summary(profiles[-1], args.top)
                print("   by script:", ", ".join(f"{f} {ms:.0f}" for f, ms in by_file))
                for fn, ms in by_fn:
                    print(f"     {ms:6.1f} ms  {fn}")

        if args.hold:
            print(f"server pid {server.pid}: clicks start in {args.hold:g} s", flush=True)
            time.sleep(args.hold)
        measure("Train", page.get_by_role("button", name="Train", exact=True).click)
        for name in args.tabs:
            button = page.get_by_role("tab", name=name)
            if button.get_attribute("aria-selected") == "true":  # a click on the open tab runs nothing
                other = "Cost curve" if name != "Cost curve" else "Predictions"
                tab.click_to_idle(page.get_by_role("tab", name=other).click)
                tab.settle()
            measure(name, button.click)


if __name__ == "__main__":
    main()
