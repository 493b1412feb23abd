"""Ten browser sessions training at once against one server: does every one finish, and how long does it take?

    python benchmarks/bench_load.py                 # ten sessions on the 100k synthetic set
    python benchmarks/bench_load.py --sessions 4 --dataset "Lecture example (5 movies x 4 users)"

Starts `streamlit run app.py`, opens N tabs in one headless Chromium, gives each its own k and seed through
the URL (as a shared link does), loads the dataset in each, presses Train in all of them before waiting for
any, and prints when each tab showed its own trained model, plus the wall time until the last one did.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.browser import TRAINED, launch_chromium, serve_app, wait_idle  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--dataset", default="Synthetic, MovieLens 100k shape")
    parser.add_argument("--iterations", type=int, default=100)
    args = parser.parse_args()
    with serve_app() as url, sync_playwright() as pw, launch_chromium(pw) as context:
        tabs = [context.new_page() for _ in range(args.sessions)]
        for n, tab in enumerate(tabs):
            tab.set_default_timeout(600_000)
            tab.goto(f"{url}/?p_features={2 + n % 9}&p_seed={n}&p_iter={args.iterations}")
        for tab in tabs:
            wait_idle(tab, timeout=600_000)
            tab.get_by_role("combobox", name="Dataset", exact=True).click()
            tab.get_by_role("option", name=args.dataset).first.click()
        for tab in tabs:
            wait_idle(tab, timeout=600_000)
        started = time.monotonic()
        for tab in tabs:
            tab.get_by_role("button", name="Train", exact=True).click()
        print("| session | k | seed | done after s | model shown |\n|---|---|---|---|---|")
        ok = 0
        for n, tab in enumerate(tabs):
            tab.get_by_text(TRAINED).first.wait_for(timeout=600_000)
            done = time.monotonic() - started
            wait_idle(tab, timeout=600_000)
            caption = tab.get_by_text(re.compile(r"^Model: k=")).first.inner_text()
            own = caption.startswith(f"Model: k={2 + n % 9}, ") and f"seed {n}" in caption
            ok += own and tab.locator("[data-testid='stException']").count() == 0
            print(f"| {n + 1} | {2 + n % 9} | {n} | {done:.1f} | {'own' if own else 'WRONG: ' + caption} |")
        wall = time.monotonic() - started
    print(f"\n{ok}/{args.sessions} sessions finished with their own model; wall time {wall:.1f} s ({args.dataset}).")


if __name__ == "__main__":
    main()
