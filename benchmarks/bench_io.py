"""How fast ``cf_core.io.load_ratings`` reads big rating files (targets: 1M ratings < 3 s, 10M < 30 s).

Writes MovieLens-shaped synthetic data to a temporary folder in the forms people bring (generic long CSVs
with numeric ids or with text labels, MovieLens ``ratings.csv`` and ``u.data``, a wide CSV) and times
loading each. Generation and writing are not timed. Prints one table row per file, with wall-clock and
CPU seconds: on a shared machine the CPU time is the steadier number.

    python benchmarks/bench_io.py            # 1M-rating files (and a 100k-shaped wide grid)
    python benchmarks/bench_io.py --10m      # also the 10M-rating files (needs ~4 GB RAM, a few minutes)
    python benchmarks/bench_io.py --declared # only the worst declared-size files (each loaded in a subprocess)

The declared-size rows are files that are small on disk but declare huge arrays: a .mat whose dense Y and
R are 15,000 x 15,000 (3.6 GB as doubles) and a model .npz with a 1.6 GB member. Each is loaded in a fresh
subprocess that reports its own peak RSS and the time to the refusal (writing the .mat, 3.6 GB of
zeros through zlib, takes one to two minutes; it is not timed); ``--tree DIR`` loads them with the
``cf_core`` of another checkout (e.g. an older commit, to compare), ``--cap-gb N`` bounds that
subprocess's address space so an unbounded reader fails instead of exhausting the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cf_core.io import load_ratings, save_ratings  # noqa: E402
from cf_core.ratings import Ratings  # noqa: E402
from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings  # noqa: E402

TARGETS = {"1m": 3.0, "10m": 30.0}  # seconds, from the issue


def _long_frame(r: Ratings, seed: int = 0) -> pd.DataFrame:
    """The ratings as rows in a shuffled order with timestamps, as real exports come."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(r.n_ratings)
    return pd.DataFrame(
        {
            "user": np.asarray(r.users)[r.user_idx[order]],
            "item": np.asarray(r.items)[r.item_idx[order]],
            "rating": r.values[order],
            "timestamp": rng.integers(874_724_710, 893_286_638, r.n_ratings),
        }
    )


def write_files(folder: Path, shape: str) -> list[tuple[str, Path, int]]:
    """(description, path, number of ratings) for each file written for one MovieLens shape."""
    n_users, n_items, n_ratings = MOVIELENS_SHAPES[shape]
    r = synthetic_ratings(n_users, n_items, n_ratings, random_state=0)
    frame = _long_frame(r)
    long_path = folder / f"long_{shape}.csv"
    frame.to_csv(long_path, index=False)
    text_path = folder / f"long_text_{shape}.csv"
    frame.assign(user="user" + frame["user"].astype(str), item="movie " + frame["item"].astype(str)).to_csv(
        text_path, index=False
    )
    ml_path = folder / f"ratings_{shape}.csv"
    frame.rename(columns={"user": "userId", "item": "movieId"}).to_csv(ml_path, index=False)
    udata = folder / f"u_{shape}.data"
    frame.assign(rating=frame["rating"].astype(int)).to_csv(udata, sep="\t", header=False, index=False)
    return [
        ("long CSV, numeric ids", long_path, n_ratings),
        ("long CSV, text labels", text_path, n_ratings),
        ("MovieLens ratings.csv", ml_path, n_ratings),
        ("MovieLens u.data", udata, n_ratings),
    ]


def write_wide(folder: Path) -> tuple[str, Path, int]:
    n_users, n_items, n_ratings = MOVIELENS_SHAPES["100k"]
    r = synthetic_ratings(n_users, n_items, n_ratings, random_state=0)
    path = folder / "wide_100k.csv"
    save_ratings(r, path, format="wide")
    return (f"wide CSV {n_items:,} x {n_users:,}", path, n_ratings)


def write_declared(folder: Path) -> list[tuple[str, Path, str]]:
    """(description, path, loader) of files that declare far more memory than they take on disk."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "bad_files"))
    import make_corpus

    mat = folder / "huge_declared.mat"
    mat.write_bytes(make_corpus.dense_mat((15_000, 15_000), ("Y", "R")))
    npz = folder / "huge_member.npz"
    members = make_corpus.model_members()
    with zipfile.ZipFile(npz, "w", zipfile.ZIP_DEFLATED) as z:
        for key, value in members.items():
            if key == "X":
                continue
            z.writestr(f"{key}.npy", _npy(value))
        n = 200_000_000  # 1.6 GB of float64, written in chunks: about 1.5 MB compressed
        with z.open("X.npy", "w", force_zip64=True) as member:
            member.write(make_corpus.npy_header((n,)))
            zeros = bytes(1 << 24)
            left = 8 * n
            while left:
                member.write(zeros[: min(left, len(zeros))])
                left -= min(left, len(zeros))
    return [
        ("mat, Y and R 15,000 x 15,000", mat, "load_ratings"),
        ("model .npz, 1.6 GB member", npz, "load_model"),
    ]


def _npy(value: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, value, allow_pickle=False)
    return buffer.getvalue()


_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
cap = float(sys.argv[4])
if cap > 0:
    resource.setrlimit(resource.RLIMIT_AS, (int(cap * 2**30), int(cap * 2**30)))
import cf_core.io as cio
start = time.perf_counter()
try:
    getattr(cio, sys.argv[3])(sys.argv[2])
    outcome = "loaded"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mib": peak, "outcome": outcome}))
"""


def measure_declared(path: Path, loader: str, tree: Path, cap_gb: float) -> dict:
    """Peak RSS (MiB) and seconds of one load in a fresh subprocess, and how it ended."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tree), str(path), loader, str(cap_gb)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0 or not done.stdout.strip():
        return {"seconds": float("nan"), "peak_mib": float("nan"), "outcome": f"crashed: {done.stderr.strip()[-200:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def declared_rows(tree: Path, cap_gb: float) -> None:
    with tempfile.TemporaryDirectory(prefix="cf-bench-io-declared-") as tmp:
        cases = write_declared(Path(tmp))
        baseline = measure_declared(Path(tmp) / "missing", "load_ratings", tree, 0)
        print(f"\nWorst declared sizes (fresh subprocess each; import alone peaks at {baseline['peak_mib']:.0f} MiB)")
        print(f"{'file':<30} {'MiB on disk':>11} {'peak RSS MiB':>12} {'seconds':>8}  outcome")
        for desc, path, loader in cases:
            m = measure_declared(path, loader, tree, cap_gb)
            outcome = m["outcome"] if len(m["outcome"]) < 110 else m["outcome"][:107] + "..."
            size = path.stat().st_size / 2**20
            print(f"{desc:<30} {size:>11.1f} {m['peak_mib']:>12.0f} {m['seconds']:>8.2f}  {outcome}")


def time_call(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--10m", dest="ten_m", action="store_true", help="also time 10M-rating files")
    parser.add_argument("--repeat", type=int, default=3, help="timed loads per file (default 3)")
    parser.add_argument("--declared", action="store_true", help="only the worst declared-size files")
    parser.add_argument(
        "--tree", type=Path, default=Path(__file__).resolve().parent.parent, help="cf_core to load with"
    )
    parser.add_argument("--cap-gb", type=float, default=0, help="address-space cap of each declared-size load")
    args = parser.parse_args(argv)
    if args.declared:
        declared_rows(args.tree, args.cap_gb)
        return 0

    shapes = ["1m", "10m"] if args.ten_m else ["1m"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="cf-bench-io-") as tmp:
        folder = Path(tmp)
        cases = [write_wide(folder)]
        for shape in shapes:
            cases += [(desc, path, n) for desc, path, n in write_files(folder, shape)]
        for desc, path, n in cases:
            fmt = "movielens" if path.suffix == ".data" else "auto"  # u_1m.data is not named like MovieLens
            times, cpu = time_call(lambda path=path, fmt=fmt: load_ratings(path, format=fmt), args.repeat)
            loaded = load_ratings(path, format=fmt)
            assert loaded.n_ratings == n, (desc, loaded)
            target = TARGETS["10m"] if n > 5_000_000 else TARGETS["1m"] if n > 500_000 else None
            rows.append((desc, n, path.stat().st_size, min(times), statistics.median(times), min(cpu), target))
            print(f"  measured {desc} ({n:,} ratings)", file=sys.stderr)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{os.cpu_count()} CPUs, load average {load:.1f} at the end; best/median of {args.repeat} loads")
    print(f"{'file':<26} {'ratings':>11} {'MiB':>6} {'best s':>7} {'median s':>8} {'cpu s':>6} {'target s':>8}  ok")
    for desc, n, size, best, median, cpu_best, target in rows:
        ok = "" if target is None else ("yes" if best < target else "NO")
        target_text = "" if target is None else f"{target:.0f}"
        print(
            f"{desc:<26} {n:>11,} {size / 2**20:>6.1f} {best:>7.2f} {median:>8.2f} {cpu_best:>6.2f} "
            f"{target_text:>8}  {ok}"
        )
    declared_rows(args.tree, args.cap_gb)
    return 0 if all(t is None or b < t for _, _, _, b, _, _, t in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
