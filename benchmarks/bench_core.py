"""Speed and memory of the cf_core fits on synthetic MovieLens-shaped data, next to the dense textbook version.

For each size (943 users x 1,682 items x 100k ratings, 6,040 x 3,706 x 1M, 69,878 x 10,677 x 10M, with
power-law item and user popularity from :func:`cf_core.synthetic.synthetic_ratings`) it reports:

- fit time of ``CollaborativeFiltering`` (k=10, lambda=10, 100 L-BFGS-B iterations; and ALS, 20 sweeps),
  and how much of the L-BFGS-B time was spent inside the objective (the rest is scipy's optimizer);
- the same L-BFGS-B fit of the dense textbook formulas (dense Y and R, ``dense_cost_and_gradient``) from
  the same starting point, where Y and R fit in memory (not at 10M: 746M cells, 6 GB per array);
- time per cost+gradient evaluation, and its memory-traffic bound: the bytes one evaluation must read
  (16 B per rating: two int32 indices and a float64 value, plus X, Theta and their gradients; dense:
  Y and R) divided by the copy bandwidth measured with a large ``np.copyto`` (read + write bytes / s);
- peak memory: the peak resident size (VmHWM) of a fresh worker process per row while it fits (interpreter,
  numpy/scipy, the ratings and everything the fit allocates; the count is restarted after loading the
  data), and how much the fit added over the worker's resident size just before fitting.

Every fit runs with one BLAS thread (each worker process sets it once at start, as the app does: the
estimator leaves BLAS threads to its caller; the dense baseline gets the same), and both models use
``normalize=None`` so they minimize the identical cost: their final costs should agree. ``--threads N`` adds
the sparse rows again with ``n_jobs=N``. ``--c-reference`` times the same fused pass written in C
(``reference_kernel.c``, gcc -O3 -march=native, k fixed at compile time) on the same data: a yardstick for
what one core does for this pass at all. Held-out accuracy is ``bench_quality.py``'s.

    python benchmarks/bench_core.py [--sizes 100k,1m,10m] [--threads 2] [--c-reference] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from cf_core.estimator import CollaborativeFiltering  # noqa: E402
from cf_core.objective import SparseObjective, dense_cost_and_gradient  # noqa: E402
from cf_core.ratings import Ratings  # noqa: E402
from cf_core.solvers import Problem  # noqa: E402
from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings  # noqa: E402

K = 10
LAMBDA = 10.0
LBFGS_ITERATIONS = 100
ALS_SWEEPS = 20
SEED = 0
# Dense Y and R (plus the textbook's cell-sized temporaries) are tried only below this many cells.
DENSE_MAX_CELLS = 50_000_000
METHODS = ("sparse L-BFGS-B", "ALS", "dense L-BFGS-B")
C_REFERENCE = "C reference pass (gcc)"

# Targets from the issue, checked at the end of a run.
TARGET_DENSE_SPEEDUP_100K = 5.0
TARGET_ALS_100K_S = 0.2
TARGET_FIT_S = {"1m": 3.0, "10m": 60.0}
TARGET_PEAK_MB = {"1m": 500.0, "10m": 2000.0}
TARGET_BOUND_RATIO = 10.0


# --------------------------------------------------------------------------------------------- measuring
def copy_bandwidth(n_bytes: int = 256 * 2**20, repeats: int = 5) -> float:
    """Bytes per second one core moves in a large ``np.copyto`` (bytes read + bytes written; best of N)."""
    src = np.ones(n_bytes // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch the pages first
    best = min(_timed(lambda: np.copyto(dst, src)) for _ in range(repeats))
    return 2 * src.nbytes / best


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Clock:
    """Wall and CPU seconds of a block. CPU time (this process, all threads) leaves out the time spent
    waiting for a core, which on a shared machine is most of the noise; fits here use one thread."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def median_time(fn: Any, min_repeats: int = 5, budget_s: float = 2.0, max_repeats: int = 50) -> tuple[float, float]:
    """Median wall and CPU seconds per call after one warm-up call, until the budget or ``max_repeats``."""
    fn()
    walls: list[float] = []
    cpus: list[float] = []
    while len(walls) < min_repeats or (sum(walls) < budget_s and len(walls) < max_repeats):
        with Clock() as clock:
            fn()
        walls.append(clock.wall)
        cpus.append(clock.cpu)
    return float(np.median(walls)), float(np.median(cpus))


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak_rss() -> None:
    """Restart this process's peak-RSS count at its current size (Linux >= 4.0), so loading is not counted."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # then the peak below also covers loading the data


def peak_rss_mb() -> float:
    """Peak resident size of this process (VmHWM). Not ru_maxrss: Linux carries that over from the parent
    across fork + exec, so a worker would report the parent's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sparse_bytes(ratings: Ratings, k: int) -> int:
    """What one sparse evaluation must read and write at least: each rating once, parameters and gradients."""
    return 16 * ratings.n_ratings + 2 * 8 * k * (ratings.n_items + ratings.n_users)


def dense_bytes(ratings: Ratings, k: int) -> int:
    cells = ratings.n_items * ratings.n_users
    return 16 * cells + 2 * 8 * k * (ratings.n_items + ratings.n_users)


# ------------------------------------------------------------------------------------------ the workers
def _starting_point(ratings: Ratings) -> np.ndarray:
    """The estimator's own uniform start for ``random_state=SEED``, so every method starts alike."""
    return np.random.default_rng(SEED).random((ratings.n_items + ratings.n_users) * K)


def _unpack(params: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    n_items, n_users = shape
    return params[: n_items * K].reshape(n_items, K), params[n_items * K :].reshape(n_users, K)


def threads_of(method: str) -> int:
    """'ALS, 2 threads' -> 2; plain names run on one thread."""
    return int(method.split(", ")[1].split()[0]) if ", " in method else 1


def run_sparse(ratings: Ratings, method: str) -> dict[str, Any]:
    als = method.startswith("ALS")
    n_threads = threads_of(method)
    model = CollaborativeFiltering(
        K,
        LAMBDA,
        ALS_SWEEPS if als else LBFGS_ITERATIONS,
        normalize=None,
        method="als" if als else "L-BFGS-B",
        n_jobs=n_threads,
    )
    model.set_params(random_state=SEED)
    in_objective = 0.0
    if not als:
        # Time spent inside the objective; the rest of the fit is scipy's L-BFGS-B and bookkeeping.
        # (This worker process fits once, so wrapping the solvers' Problem class here affects nothing else.)
        flat = Problem.cost_and_gradient

        def timed_flat(problem: Problem, params: np.ndarray) -> tuple[float, np.ndarray]:
            nonlocal in_objective
            start = time.perf_counter()
            out = flat(problem, params)
            in_objective += time.perf_counter() - start
            return out

        Problem.cost_and_gradient = timed_flat  # type: ignore[method-assign]
    reset_peak_rss()
    rss_before = current_rss_mb()
    with Clock() as clock:
        model.fit(ratings)
    peak = peak_rss_mb()
    result = {
        "fit_s": clock.wall,
        "fit_cpu_s": clock.cpu,
        "n_iter": int(model.n_iter_),
        "final_cost": float(model.cost_history_[-1]),
        "peak_mb": peak,
        "fit_adds_mb": peak - rss_before,
        "in_objective_s": None if als else in_objective,
    }
    if not als:
        objective = SparseObjective(
            ratings.item_idx, ratings.user_idx, ratings.values, ratings.shape, LAMBDA, n_threads=n_threads
        )
        X, Theta = _unpack(_starting_point(ratings), ratings.shape)
        with threadpool_limits(limits=1, user_api="blas"):
            result["eval_s"], result["eval_cpu_s"] = median_time(lambda: objective(X, Theta))
        result["bytes"] = sparse_bytes(ratings, K)
    return result


def run_dense(ratings: Ratings) -> dict[str, Any]:
    reset_peak_rss()
    rss_before = current_rss_mb()
    Y, R = ratings.to_dense()
    lam = LAMBDA

    def flat(params: np.ndarray) -> tuple[float, np.ndarray]:
        X, Theta = _unpack(params, ratings.shape)
        J, dX, dTheta = dense_cost_and_gradient(X, Theta, Y, R, lam)
        return J, np.concatenate([dX.ravel(), dTheta.ravel()])

    with Clock() as clock, threadpool_limits(limits=1, user_api="blas"):
        res = scipy.optimize.minimize(
            flat, _starting_point(ratings), jac=True, method="L-BFGS-B", options={"maxiter": LBFGS_ITERATIONS}
        )
    peak = peak_rss_mb()
    X, Theta = _unpack(_starting_point(ratings), ratings.shape)
    with threadpool_limits(limits=1, user_api="blas"):
        eval_s, eval_cpu_s = median_time(lambda: dense_cost_and_gradient(X, Theta, Y, R, lam), budget_s=3.0)
    return {
        "fit_s": clock.wall,
        "fit_cpu_s": clock.cpu,
        "n_iter": int(res.nit),
        "final_cost": float(res.fun),
        "peak_mb": peak,
        "fit_adds_mb": peak - rss_before,
        "eval_s": eval_s,
        "eval_cpu_s": eval_cpu_s,
        "bytes": dense_bytes(ratings, K),
    }


def run_c_reference(ratings: Ratings) -> dict[str, Any]:
    """One evaluation of ``reference_kernel.c`` on the objective's own CSR arrays (no fit), via ctypes."""
    import ctypes
    import shutil

    if shutil.which("gcc") is None:
        return {"skipped": "skipped: no gcc on PATH"}
    with tempfile.TemporaryDirectory() as directory:
        library = os.path.join(directory, "reference_kernel.so")
        source = Path(__file__).with_name("reference_kernel.c")
        flags = ["-O3", "-march=native", "-ffast-math", "-shared", "-fPIC", f"-DK={K}"]
        subprocess.run(["gcc", *flags, "-o", library, str(source)], check=True)
        fused = ctypes.CDLL(library).fused
    fused.restype = ctypes.c_double
    objective = SparseObjective(ratings.item_idx, ratings.user_idx, ratings.values, ratings.shape, LAMBDA)
    X, Theta = _unpack(_starting_point(ratings), ratings.shape)
    A, B = (X, Theta) if objective.items_major else (Theta, X)
    A, B = np.ascontiguousarray(A), np.ascontiguousarray(B)
    dA, dB = np.empty_like(A), np.empty_like(B)
    arrays = (A, B, objective.indptr, objective.indices, objective.values, dA, dB)
    pointers = [ctypes.c_void_p(a.ctypes.data) for a in arrays]

    def evaluate() -> float:
        return fused(ctypes.c_int64(A.shape[0]), ctypes.c_int64(B.shape[0]), *pointers)

    # Same numbers as the real kernel (cost and both data-term gradients), so both time the same work.
    _, dX, dTheta = objective(X, Theta)
    expected = objective.cost(X, Theta) - 0.5 * LAMBDA * (np.vdot(X, X) + np.vdot(Theta, Theta))
    assert abs(0.5 * evaluate() - expected) <= 1e-9 * expected
    grad_A, grad_B = (dX - LAMBDA * X, dTheta - LAMBDA * Theta)[:: 1 if objective.items_major else -1]
    np.testing.assert_allclose(dA, grad_A, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dB, grad_B, rtol=1e-9, atol=1e-9)
    eval_s, eval_cpu_s = median_time(evaluate)
    return {"eval_s": eval_s, "eval_cpu_s": eval_cpu_s, "bytes": sparse_bytes(ratings, K)}


def worker(data_path: str, method: str) -> None:
    """One table row in a fresh process, so the peak memory is this row's own. Prints a JSON line."""
    threadpool_limits(limits=1, user_api="blas")  # the process's setting, as the app's start-up sets it
    with np.load(data_path) as data:
        ratings = Ratings(
            data["item_idx"], data["user_idx"], data["values"], int(data["n_items"]), int(data["n_users"]), (1.0, 5.0)
        )
    if method == "dense L-BFGS-B":
        result = run_dense(ratings)
    elif method == C_REFERENCE:
        result = run_c_reference(ratings)
    else:
        result = run_sparse(ratings, method)
    print(json.dumps(result))


# ------------------------------------------------------------------------------------------ the parent
def make_data(size: str, directory: str) -> tuple[str, Ratings, float]:
    n_users, n_items, n_ratings = MOVIELENS_SHAPES[size]
    start = time.perf_counter()
    ratings = synthetic_ratings(n_users, n_items, n_ratings, random_state=SEED)
    seconds = time.perf_counter() - start
    path = os.path.join(directory, f"{size}.npz")
    np.savez(
        path,
        item_idx=ratings.item_idx,
        user_idx=ratings.user_idx,
        values=ratings.values,
        n_items=ratings.n_items,
        n_users=ratings.n_users,
    )
    return path, ratings, seconds


def run_row(data_path: str, method: str, repeat: int = 1) -> dict[str, Any]:
    """The fastest of ``repeat`` fresh worker runs (the machine is shared; the minimum is least disturbed)."""
    runs = [_run_worker(data_path, method) for _ in range(repeat)]
    ok = [r for r in runs if "fit_s" in r]
    if not ok:
        return runs[-1]
    best = min(ok, key=lambda r: r["fit_s"])
    if repeat > 1:
        best["fit_s_all"] = [round(r["fit_s"], 3) for r in ok]
    return best


def _run_worker(data_path: str, method: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", data_path, method], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["worker failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def print_table(rows: list[dict[str, Any]], bandwidth: float) -> None:
    header = (
        "| data | method | fit s (CPU s) | iters | ms/iter | in objective s | final cost | ms/eval (CPU) | "
        "bound ms | eval/bound (CPU) | peak RSS MB | fit adds MB | fit speedup vs dense (CPU) |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for row in rows:
        r = row["result"]
        label = f"{row['size']} ({row['n_ratings']:,} ratings)"
        if "skipped" in r or "error" in r:
            print(f"| {label} | {row['method']} | {r.get('skipped') or r.get('error')} |" + " |" * 10)
            continue
        bound = r["bytes"] / bandwidth if "bytes" in r else None
        eval_s, eval_cpu = r.get("eval_s"), r.get("eval_cpu_s")
        speedup, speedup_cpu = row.get("speedup"), row.get("speedup_cpu")
        evals = "—" if eval_s is None else f"{1e3 * eval_s:.2f} ({1e3 * eval_cpu:.2f})"
        ratio = "—" if bound is None else f"{eval_s / bound:.1f} ({eval_cpu / bound:.1f})"
        speed = "—" if speedup is None else f"{speedup:.1f} ({speedup_cpu:.1f})"
        if "fit_s" not in r:  # the C reference times one evaluation, no fit
            no_fit = " — |" * 5
            print(f"| {label} | {row['method']} |{no_fit} {evals} | {1e3 * bound:.2f} | {ratio} |" + " — |" * 3)
            continue
        print(
            f"| {label} | {row['method']} | {r['fit_s']:.2f} ({r['fit_cpu_s']:.2f}) | {r['n_iter']} | "
            f"{1e3 * r['fit_s'] / max(r['n_iter'], 1):.1f} | {_fmt(r.get('in_objective_s'), '.2f')} | "
            f"{r['final_cost']:.6g} | {evals} | {_fmt(None if bound is None else 1e3 * bound, '.2f')} | "
            f"{ratio} | {r['peak_mb']:.0f} | {r['fit_adds_mb']:.0f} | {speed} |"
        )


def check_targets(rows: list[dict[str, Any]], bandwidth: float) -> list[str]:
    """PASS/FAIL lines for the issue's targets, for the sizes that ran: on wall time, and on CPU time."""
    by = {(row["size"], row["method"]): row["result"] for row in rows}
    lines = []

    def verdict(ok: bool, ok_cpu: bool | None = None) -> str:
        text = "PASS" if ok else "FAIL"
        return text if ok_cpu is None else f"{text} (CPU: {'PASS' if ok_cpu else 'FAIL'})"

    sparse, als, dense = (by.get(("100k", m), {}) for m in METHODS)
    if "fit_s" in sparse and "fit_s" in dense:
        speedup = dense["fit_s"] / sparse["fit_s"]
        speedup_cpu = dense["fit_cpu_s"] / sparse["fit_cpu_s"]
        lines.append(
            f"{verdict(speedup >= TARGET_DENSE_SPEEDUP_100K, speedup_cpu >= TARGET_DENSE_SPEEDUP_100K)} "
            f"100k: sparse fit {speedup:.1f}x (CPU {speedup_cpu:.1f}x) faster than dense (>= 5x)"
        )
    if "fit_s" in als:
        lines.append(
            f"{verdict(als['fit_s'] < TARGET_ALS_100K_S, als['fit_cpu_s'] < TARGET_ALS_100K_S)} "
            f"100k: ALS 20 sweeps {als['fit_s']:.3f} s (CPU {als['fit_cpu_s']:.3f} s) (< 0.2 s)"
        )
    for size in ("1m", "10m"):
        for method in METHODS[:2]:
            r = by.get((size, method), {})
            if "fit_s" in r:
                limit = TARGET_FIT_S[size]
                lines.append(
                    f"{verdict(r['fit_s'] < limit, r['fit_cpu_s'] < limit)} {size}: {method} fit "
                    f"{r['fit_s']:.2f} s (CPU {r['fit_cpu_s']:.2f} s) (< {limit:g} s)"
                )
                lines.append(
                    f"{verdict(r['peak_mb'] < TARGET_PEAK_MB[size])} {size}: {method} peak RSS {r['peak_mb']:.0f} MB "
                    f"(< {TARGET_PEAK_MB[size]:g} MB)"
                )
    for (size, method), r in by.items():
        if method.startswith("sparse L-BFGS-B") and "eval_s" in r:
            bound = r["bytes"] / bandwidth
            ratio, ratio_cpu = r["eval_s"] / bound, r["eval_cpu_s"] / bound
            lines.append(
                f"{verdict(ratio <= TARGET_BOUND_RATIO, ratio_cpu <= TARGET_BOUND_RATIO)} {size}: {method} evaluation "
                f"{1e3 * r['eval_s']:.2f} ms (CPU {1e3 * r['eval_cpu_s']:.2f} ms) is {ratio:.1f}x "
                f"(CPU {ratio_cpu:.1f}x) its memory-traffic bound of {1e3 * bound:.2f} ms (<= 10x)"
            )
        if method == C_REFERENCE and "eval_s" in r:
            lines.append(
                f"INFO {size}: the same pass in C takes {1e3 * r['eval_s']:.2f} ms, "
                f"{r['eval_s'] / (r['bytes'] / bandwidth):.1f}x the bound"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m", help="comma-separated from 100k, 1m, 10m (default 100k,1m)")
    parser.add_argument("--threads", type=int, default=1, help="also run the sparse rows with n_jobs=N (N > 1)")
    parser.add_argument("--c-reference", action="store_true", help="also time the pass in C (needs gcc)")
    parser.add_argument("--no-dense", action="store_true", help="skip the dense textbook rows")
    parser.add_argument("--repeat", type=int, default=1, help="fresh runs per row; the fastest is shown")
    parser.add_argument("--worker", nargs=2, metavar=("DATA", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in MOVIELENS_SHAPES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {list(MOVIELENS_SHAPES)}")

    import scipy

    print(
        f"CF Lab core benchmark — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
        f"k={K}, lambda={LAMBDA:g}, L-BFGS-B {LBFGS_ITERATIONS} iterations, ALS {ALS_SWEEPS} sweeps, 1 BLAS thread"
    )
    bandwidth = copy_bandwidth()
    print(f"copy bandwidth (np.copyto of 256 MB, read+write bytes): {bandwidth / 1e9:.1f} GB/s\n")
    methods = [m for m in METHODS if not (args.no_dense and m == "dense L-BFGS-B")]
    if args.threads > 1:
        methods += [f"sparse L-BFGS-B, {args.threads} threads", f"ALS, {args.threads} threads"]
    if args.c_reference:
        methods.append(C_REFERENCE)

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as directory:
        for size in sizes:
            path, ratings, gen_s = make_data(size, directory)
            print(
                f"{size}: {ratings.n_users:,} users x {ratings.n_items:,} items x {ratings.n_ratings:,} ratings "
                f"(density {ratings.n_ratings / (ratings.n_items * ratings.n_users):.2%}), generated in {gen_s:.1f} s",
                flush=True,
            )
            size_rows = []
            for method in methods:
                if method == "dense L-BFGS-B" and ratings.n_items * ratings.n_users > DENSE_MAX_CELLS:
                    cells = ratings.n_items * ratings.n_users
                    result: dict[str, Any] = {"skipped": f"skipped: dense Y and R need {16 * cells / 2**30:.0f} GiB"}
                else:
                    result = run_row(path, method, max(args.repeat, 1))
                print(f"  {method}: {json.dumps(result)}", flush=True)
                size_rows.append({"size": size, "n_ratings": ratings.n_ratings, "method": method, "result": result})
            dense = next((r["result"] for r in size_rows if r["method"] == "dense L-BFGS-B"), {})
            for row in size_rows:
                if "fit_s" in dense and "fit_s" in row["result"] and not row["method"].startswith("ALS"):
                    row["speedup"] = dense["fit_s"] / row["result"]["fit_s"]
                    row["speedup_cpu"] = dense["fit_cpu_s"] / row["result"]["fit_cpu_s"]
            rows.extend(size_rows)
            del ratings

    print()
    print_table(rows, bandwidth)
    print(
        "\nTimes are wall clock, CPU seconds of the worker process in parentheses (they leave out waiting for "
        "a core on a shared machine). ms/iter: fit time / iterations (L-BFGS-B time includes scipy's "
        "optimizer; 'in objective' is the part spent computing cost and gradient). ms/eval: median of one "
        "cost+gradient evaluation at the start point. bound: bytes one evaluation must move / copy bandwidth. "
        "peak RSS: VmHWM of a fresh worker process per row while fitting; fit adds: that peak minus the "
        "worker's RSS right before fitting. With --repeat N, the fastest of N runs is shown."
    )
    print()
    for line in check_targets(rows, bandwidth):
        print(line)


if __name__ == "__main__":
    main()
