"""Tests for cf_app.runtime: the app's one process-wide setting, made once."""

from __future__ import annotations

import gc

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from cf_app import runtime


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_configure_process_sets_blas_threads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with threadpool_limits(limits=2, user_api="blas"):  # restores the test process's setting afterwards
        monkeypatch.setattr(runtime, "_done", False)
        monkeypatch.setenv(runtime.BLAS_THREADS_ENV, "1")
        assert runtime.configure_process() == 1
        assert set(_blas_threads()) == {1}
        assert gc.get_freeze_count() > 0  # the loaded modules are out of every full collection's walk
        threadpool_limits(limits=2, user_api="blas")
        runtime.configure_process()  # a second session's run changes nothing
        assert set(_blas_threads()) == {2}


def test_a_bad_thread_count_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_done", False)
    monkeypatch.setenv(runtime.BLAS_THREADS_ENV, "many")
    with pytest.raises(ValueError, match="CF_LAB_BLAS_THREADS must be a whole number"):
        runtime.configure_process()
