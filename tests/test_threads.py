"""Tests for cf_core.threads: how passes are split between threads, and that every part runs once."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cf_core import threads


def test_n_jobs_follows_scikit_learn() -> None:
    cpus = threads.available_cpus()
    assert threads.resolve_n_jobs(None) == 1
    assert threads.resolve_n_jobs(3) == 3
    assert threads.resolve_n_jobs(-1) == cpus
    assert threads.resolve_n_jobs(-cpus - 5) == 1  # "all but more than there are" still leaves one


@given(st.lists(st.integers(0, 200), min_size=1, max_size=40), st.integers(1, 6))
def test_row_parts_cover_all_rows_in_order_with_balanced_entries(counts: list[int], n_threads: int) -> None:
    indptr = np.concatenate([[0], np.cumsum(counts)])
    parts = threads.row_parts(indptr, n_threads)
    assert parts[0] == 0 and parts[-1] == len(counts)
    assert np.all(np.diff(parts) >= 0)
    n_parts = len(parts) - 1
    assert 1 <= n_parts <= max(1, min(n_threads, indptr[-1] // threads.MIN_ENTRIES_PER_THREAD))


def test_row_parts_split_large_data_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "MIN_ENTRIES_PER_THREAD", 10)
    indptr = np.arange(0, 1001, 10)  # 100 rows of 10 entries
    parts = threads.row_parts(indptr, 4)
    np.testing.assert_array_equal(parts, [0, 25, 50, 75, 100])


def test_small_data_stays_on_one_thread() -> None:
    indptr = np.array([0, 5, 9])
    np.testing.assert_array_equal(threads.row_parts(indptr, 8), [0, 2])


def test_run_parts_returns_results_in_order_and_runs_part_zero_here() -> None:
    seen: dict[int, str] = {}

    def work(p: int) -> int:
        seen[p] = threading.current_thread().name
        return p * p

    assert threads.run_parts(work, 4) == [0, 1, 4, 9]
    assert seen[0] == threading.current_thread().name
    assert sorted(seen) == [0, 1, 2, 3]


def test_run_parts_passes_on_a_worker_error() -> None:
    def work(p: int) -> int:
        if p == 2:
            raise RuntimeError("part 2 failed")
        return p

    with pytest.raises(RuntimeError, match="part 2 failed"):
        threads.run_parts(work, 3)
