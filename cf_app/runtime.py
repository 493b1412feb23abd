"""Process-wide settings the app owns: set once, at start-up, before any fit runs.

The library (:mod:`cf_core`) changes no process-wide state, so concurrent fits in one server never see a
setting change under them. The app is the owner of its process and decides here: one BLAS thread. The
fits' products are small, a thread hand-off costs more than it gives (with 2 BLAS threads small
L-BFGS-B fits measured ~5x slower), and an OpenBLAS worker woken by one call spins ~0.1 s of CPU after
it. ``CF_LAB_BLAS_THREADS`` overrides the count.

It also freezes the garbage collector's view of what is loaded by then (:func:`gc.freeze`): the modules,
numba's compiled kernels, plotly's validators and streamlit make ~225k tracked objects, and every full
collection walked them all, ~180 ms on this 2-core machine (~270 ms when busy). Streamlit runs one after each
script run (``runner.postScriptGC``), holding the GIL while the page waits for its "finished" message, so every
click paid it. Frozen objects are never collected; they are the process's code and live for its lifetime anyway.
"""

from __future__ import annotations

import gc
import os
import threading

from threadpoolctl import threadpool_limits

__all__ = ["configure_process", "BLAS_THREADS_ENV"]

BLAS_THREADS_ENV = "CF_LAB_BLAS_THREADS"

_done = False
_lock = threading.Lock()


def configure_process() -> int:
    """Limit BLAS to ``CF_LAB_BLAS_THREADS`` (default 1) threads and freeze what is loaded so far out of the
    garbage collector's full passes, once per process; returns the limit."""
    global _done
    value = os.environ.get(BLAS_THREADS_ENV, "1")
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"{BLAS_THREADS_ENV} must be a whole number >= 1, got {value!r}")
    limit = int(value)
    with _lock:
        if not _done:
            threadpool_limits(limits=limit, user_api="blas")  # not a context manager: it stays set
            gc.collect()  # garbage of the imports goes first: what is frozen is never freed
            gc.freeze()
            _done = True
    return limit
