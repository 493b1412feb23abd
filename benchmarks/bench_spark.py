"""The same model fitted locally and on Spark (``local[2]``): fit time, driver peak memory, final cost.

For each size (synthetic MovieLens shapes from :func:`cf_core.synthetic.synthetic_ratings`: 1M and 10M
ratings) a fresh worker process per (engine, size) fits ``CollaborativeFiltering(k=10, lambda=0.05,
regularization="weighted", method="als", normalize="mean")`` for 10 sweeps:

- **local**: CF Lab's own ALS on the ratings in memory (``n_jobs=2``, both cores).
- **Spark local[2]**: :func:`cf_core.spark.fit_spark` on a Parquet copy of the same ratings, which Spark
  reads itself (the ratings never pass through the Python driver); the time covers reading, checking and
  indexing the labels, item means, the ALS sweeps, collecting the factors and the final cost (its data
  term summed in Spark). Starting the JVM and session is reported apart. Spark gets ``spark.driver.memory``
  (``--driver-memory``, default 4g): in local mode the driver JVM is also the executor.

CPU seconds: what the fit used of the machine's cores (for Spark, the driver's Python plus the JVM, which in
local mode is driver and executors): on a shared machine this is steadier than wall time, and it is the basis
of docs/scaling.md's projection. Peak memory: the Python process's peak resident size (VmHWM; the count
restarted after the data is made), and for Spark also the JVM's (driver + executors in local mode). Costs are
CF Lab's weighted cost of each result on the same data; the two engines start from different random factors,
so they agree closely, not exactly. On one 2-core machine Spark is slower than the local fit by design: it
shuffles the ratings between blocks every sweep and pays a scheduler per stage. Spark's point is that the same
model runs where data too large for one machine lives (see docs/scaling.md).

    python benchmarks/bench_spark.py [--sizes 1m,10m] [--timeout 1800] [--driver-memory 4g]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

K = 10
LAMBDA = 0.05
SWEEPS = 10
SEED = 0


def _vm(pid: int | str, field: str) -> float:
    """VmHWM / VmRSS of a process in MB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far: less at the mercy of other jobs than wall time."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _model():
    from cf_core import CollaborativeFiltering

    return CollaborativeFiltering(
        K, LAMBDA, SWEEPS, method="als", regularization="weighted", normalize="mean", random_state=SEED, n_jobs=2
    )


def _ratings(size: str):
    from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings

    users, items, n = MOVIELENS_SHAPES[size]
    return synthetic_ratings(users, items, n, random_state=SEED)


def run_one(engine: str, size: str, parquet: str, driver_memory: str) -> dict:
    """One fit in this (fresh) process; returns the measurements."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    ratings = _ratings(size)
    out: dict = {"engine": engine, "size": size, "ratings": ratings.n_ratings}
    if engine == "local":
        model = _model()
        _reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        model.fit(ratings)
        out["fit_s"] = time.perf_counter() - start
        out["cpu_s"] = time.process_time() - cpu
        out["cost"] = float(model.cost_history_[-1])
        out["py_peak_mb"] = _vm("self", "VmHWM")
        return out
    from cf_core.spark import fit_spark, spark_session

    del ratings  # Spark reads the Parquet copy: the driver never holds the ratings
    start = time.perf_counter()
    spark = spark_session(
        "local[2]",
        **{
            "spark.driver.memory": driver_memory,
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "4",
        },
    )
    spark.sparkContext.setLogLevel("ERROR")
    out["session_s"] = time.perf_counter() - start
    jvm_pid = spark.sparkContext._gateway.proc.pid
    _reset_peak()
    start, cpu, jvm_cpu = time.perf_counter(), time.process_time(), _cpu_s(jvm_pid)
    model = fit_spark(_model(), parquet, spark=spark)
    out["fit_s"] = time.perf_counter() - start
    out["cpu_s"] = time.process_time() - cpu + _cpu_s(jvm_pid) - jvm_cpu  # the driver's Python and the JVM
    out["cost"] = float(model.cost_history_[-1])
    out["py_peak_mb"] = _vm("self", "VmHWM")
    out["jvm_peak_mb"] = _vm(jvm_pid, "VmHWM")
    out["spark"] = spark.version
    spark.stop()
    return out


def write_parquet(size: str, folder: Path) -> str:
    import pandas as pd

    r = _ratings(size)
    path = folder / f"ratings-{size}.parquet"
    pd.DataFrame(
        {
            "userId": r.users.to_numpy()[r.user_idx],
            "movieId": r.items.to_numpy()[r.item_idx],
            "rating": r.values,
        }
    ).to_parquet(path)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1m,10m")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per fit before it is stopped")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--one", nargs=3, metavar=("ENGINE", "SIZE", "PARQUET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one, args.driver_memory)))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="cf-lab-bench-spark-") as tmp:
        for size in args.sizes.split(","):
            parquet = write_parquet(size, Path(tmp))
            for engine in ("local", "spark"):
                cmd = [sys.executable, __file__, "--one", engine, size, parquet, "--driver-memory", args.driver_memory]
                try:
                    done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, check=True)
                    rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
                except subprocess.TimeoutExpired:
                    rows.append({"engine": engine, "size": size, "error": f"stopped after {args.timeout:.0f} s"})
                except subprocess.CalledProcessError as exc:
                    rows.append({"engine": engine, "size": size, "error": exc.stderr.strip().splitlines()[-1]})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(f"k={K}, lambda={LAMBDA} (weighted), {SWEEPS} ALS sweeps, item-mean normalization; {os.cpu_count()} CPUs\n")
    print(
        "| data | engine | fit s | CPU s | session start s | CPU s per 1M ratings x sweep | Python peak MB | "
        "JVM peak MB | final cost |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        name = "CF Lab ALS, n_jobs=2" if r["engine"] == "local" else "Spark local[2] (reads Parquet)"
        if "error" in r:
            print(f"| {r['size']} | {name} | {r['error']} | | | | | | |")
            continue
        cpu = f"{r['cpu_s']:.1f}" if "cpu_s" in r else ""
        per = f"{r['cpu_s'] / (r['ratings'] / 1e6) / SWEEPS:.2f}" if "cpu_s" in r else ""
        session = f"{r['session_s']:.1f}" if "session_s" in r else ""
        jvm = f"{r['jvm_peak_mb']:.0f}" if "jvm_peak_mb" in r else ""
        print(
            f"| {r['size']} | {name} | {r['fit_s']:.1f} | {cpu} | {session} | {per} | {r['py_peak_mb']:.0f} | {jvm} | "
            f"{r['cost']:.6g} |"
        )


if __name__ == "__main__":
    main()
