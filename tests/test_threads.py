"""Tests for cf_core.threads: how passes are split between threads, and that every part runs once."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from threadpoolctl import threadpool_info, threadpool_limits

from cf_core import CollaborativeFiltering, threads
from cf_core.synthetic import synthetic_ratings


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


# ------------------------------------------------------------------ fits beside other fits (issue: isolation)
METHODS = ["L-BFGS-B", "CG", "als"]
NORMALIZATIONS = [None, "mean", "biases"]


def _fit(ratings, method: str, normalize, max_iter: int, n_jobs: int | None = None) -> CollaborativeFiltering:
    model = CollaborativeFiltering(
        4, 2.0, max_iter, method=method, normalize=normalize, tol=1e-14, random_state=3, n_jobs=n_jobs
    )
    return model.fit(ratings)


def _same(a: CollaborativeFiltering, b: CollaborativeFiltering) -> bool:
    return (
        np.array_equal(a.X_, b.X_)
        and np.array_equal(a.Theta_, b.Theta_)
        and np.array_equal(a.cost_history_, b.cost_history_)
        and np.array_equal(a.item_bias_, b.item_bias_)
    )


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_fits_in_threads_beside_other_fits_equal_the_fit_alone_bit_for_bit(split_everything, n_jobs) -> None:
    """A long fit with short fits of every method and normalization starting and ending around it."""
    long_data = synthetic_ratings(120, 200, 4_000, random_state=1)
    short_data = synthetic_ratings(30, 40, 500, random_state=2)
    combos = [(m, n) for m in METHODS for n in NORMALIZATIONS]
    alone_long = {c: _fit(long_data, *c, 60, n_jobs) for c in combos}
    alone_short = {c: _fit(short_data, *c, 5, n_jobs) for c in combos}

    results: dict[tuple, CollaborativeFiltering] = {}
    errors: list[BaseException] = []

    def run(key: tuple, data, combo, max_iter: int) -> None:
        try:
            results[key] = _fit(data, *combo, max_iter, n_jobs)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    for combo in combos:
        workers = [threading.Thread(target=run, args=(("long", combo), long_data, combo, 60))]
        workers += [
            threading.Thread(target=run, args=(("short", combo, n), short_data, other, 5))
            for n, other in enumerate(combos)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors, errors
        assert _same(results[("long", combo)], alone_long[combo]), combo
        for n, other in enumerate(combos):
            assert _same(results[("short", combo, n)], alone_short[other]), (combo, other)


def test_fit_leaves_blas_threads_as_the_caller_set_them(low_rank) -> None:
    """The estimator changes no process-wide setting: BLAS threads during and after a fit are the caller's."""
    with threadpool_limits(limits=2, user_api="blas"):
        before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        during: list[list[int]] = []

        def look(_info) -> None:
            during.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"])

        CollaborativeFiltering(2, 1.0, 3, random_state=0).fit(low_rank.train, callback=look)
        after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert during and all(d == before for d in during)
    assert after == before
