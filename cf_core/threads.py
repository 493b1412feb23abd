"""Splitting a pass over the rated entries between threads (the compiled kernels release the GIL).

The split is coarse on purpose: one contiguous row range per thread, balanced by entries, one hand-off
per evaluation. Fine-grained threading (BLAS threads on small products) measured 5x *slower* here, so
small problems stay on the calling thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

__all__ = ["resolve_n_jobs", "row_parts", "run_parts"]

T = TypeVar("T")

# Below this many entries per thread the hand-off (~50 us) costs more than the split saves.
MIN_ENTRIES_PER_THREAD = 40_000

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_n_jobs(n_jobs: int | None) -> int:
    """scikit-learn's convention: None -> 1, -1 -> every available CPU, -2 -> all but one, n -> n."""
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, available_cpus() + 1 + n_jobs)
    return int(n_jobs)


def row_parts(indptr: np.ndarray, n_threads: int) -> np.ndarray:
    """Row boundaries ``[0, ..., n_rows]`` of at most ``n_threads`` ranges with about equal entries."""
    n_rows, n_entries = len(indptr) - 1, int(indptr[-1])
    n = max(1, min(n_threads, n_entries // MIN_ENTRIES_PER_THREAD))
    bounds = np.searchsorted(indptr, np.linspace(0, n_entries, n + 1)[1:-1]).astype(np.int64)
    return np.concatenate([[0], bounds, [n_rows]]).astype(np.int64)


def run_parts(fn: Callable[[int], T], n_parts: int) -> list[T]:
    """``[fn(0), ..., fn(n_parts - 1)]``: part 0 on the calling thread, the others on a shared pool."""
    if n_parts == 1:
        return [fn(0)]
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(available_cpus() - 1, 1), thread_name_prefix="cf_core")
    futures = [_pool.submit(fn, p) for p in range(1, n_parts)]
    first = fn(0)
    return [first] + [f.result() for f in futures]
