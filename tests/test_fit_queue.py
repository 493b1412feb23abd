"""The server-wide fit queue, driven by plain threads: order, limit, cancelling, failures, positions, memory."""

from __future__ import annotations

import threading
import time

import pytest

from cf_app import fit_queue
from cf_app.fit_queue import FitQueue, FitRefused


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_threads(targets: list, timeout: float = 20.0) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread is still waiting for the queue"


def test_fits_start_in_arrival_order():
    queue = FitQueue(max_fits=1)
    holder = queue.submit()
    queue.start(holder)
    tickets = [queue.submit() for _ in range(6)]  # queued in this order while the slot is taken
    started: list[int] = []

    def fit(ticket):
        def run():
            assert queue.wait(ticket, timeout=20)
            queue.start(ticket)
            started.append(ticket.number)
            time.sleep(0.01)
            queue.release(ticket)

        return run

    threads = [threading.Thread(target=fit(t)) for t in reversed(tickets)]  # threads start in reverse order
    for t in threads:
        t.start()
    time.sleep(0.05)
    queue.release(holder)
    for t in threads:
        t.join(20)
    assert started == [t.number for t in tickets]


def test_never_more_fits_than_the_limit():
    queue = FitQueue(max_fits=2)
    running = 0
    most = 0
    lock = threading.Lock()

    def fit():
        nonlocal running, most
        with queue.slot():
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.02)
            with lock:
                running -= 1

    run_threads([fit] * 12)
    assert most == 2
    assert queue.counts() == (0, 0)


def test_cancel_while_waiting_frees_the_place_for_the_next():
    queue = FitQueue(max_fits=1)
    holder = queue.submit()
    queue.start(holder)
    leaving, staying = queue.submit(), queue.submit()
    result: dict[str, bool] = {}

    def wait_leaving():
        result["leaving"] = queue.wait(leaving, timeout=20)

    thread = threading.Thread(target=wait_leaving)
    thread.start()
    time.sleep(0.05)
    queue.release(leaving)  # Stop while queued
    thread.join(5)
    assert result == {"leaving": False}
    assert leaving.state == "cancelled" and leaving.reason == "left"
    assert queue.status(staying).ahead == 1  # only the running fit is ahead now
    queue.release(holder)
    assert queue.status(staying).state == "admitted"


def test_a_failing_fit_gives_its_slot_back():
    queue = FitQueue(max_fits=1)
    with pytest.raises(ValueError, match="diverged"), queue.slot():
        raise ValueError("the fit diverged")
    assert queue.counts() == (0, 0)
    with queue.slot(timeout=1) as ticket:  # the slot is free again
        assert ticket.state == "running"


def test_slot_timeout_leaves_the_queue():
    queue = FitQueue(max_fits=1)
    holder = queue.submit()
    with pytest.raises(TimeoutError), queue.slot(timeout=0.05):
        pass
    assert queue.counts() == (1, 0)
    queue.release(holder)


def test_positions_count_running_and_waiting_fits_ahead():
    queue = FitQueue(max_fits=1)
    first = queue.submit()
    queue.start(first)
    waiting = [queue.submit() for _ in range(3)]
    assert [queue.status(t).ahead for t in waiting] == [1, 2, 3]
    position = queue.status(waiting[2])
    assert (position.running, position.waiting_ahead) == (1, 2)
    assert position.describe().startswith("3 fits ahead of yours (1 running, 2 waiting; this server runs 1 fit")
    queue.release(first)
    assert [queue.status(t).state for t in waiting] == ["admitted", "waiting", "waiting"]
    assert [queue.status(t).ahead for t in waiting[1:]] == [1, 2]
    assert queue.status(waiting[1]).describe().startswith("1 fit ahead of yours")


def test_release_is_idempotent_and_a_finished_fit_cannot_restart():
    queue = FitQueue(max_fits=1)
    ticket = queue.submit()
    queue.start(ticket)
    queue.release(ticket)
    queue.release(ticket)
    assert ticket.state == "done" and queue.counts() == (0, 0)
    with pytest.raises(RuntimeError, match="not admitted"):
        queue.start(ticket)


def test_a_fit_larger_than_the_budget_is_refused_with_its_size():
    queue = FitQueue(max_fits=4, memory_budget=100 * 2**20)
    with pytest.raises(FitRefused, match=r"about 200 MB .* budget for fits \(100 MB"):
        queue.submit(200 * 2**20)
    assert queue.counts() == (0, 0)


def test_a_fit_waits_for_memory_and_nobody_overtakes_it():
    queue = FitQueue(max_fits=4, memory_budget=100)
    big_running = queue.submit(70)
    queue.start(big_running)
    big_waiting = queue.submit(50)  # 70 + 50 > 100: waits although slots are free
    small = queue.submit(10)  # would fit, but arrived later
    assert queue.status(big_waiting).state == "waiting"
    assert queue.status(big_waiting).waiting_for_memory
    assert "waits for memory" in queue.status(big_waiting).describe()
    assert queue.status(small).state == "waiting"
    queue.release(big_running)
    assert queue.status(big_waiting).state == "admitted" and queue.status(small).state == "admitted"
    assert queue.memory_used() == 60


def test_tickets_of_sessions_that_are_gone_are_dropped():
    queue = FitQueue(max_fits=1)
    holder = queue.submit()
    queue.start(holder)
    present = {"yes": True}
    gone = queue.submit(alive=lambda: present["yes"])
    behind = queue.submit()
    assert queue.status(behind).ahead == 2
    present["yes"] = False
    assert queue.status(behind).ahead == 1
    assert gone.state == "cancelled" and gone.reason == "gone"


def test_a_waiting_ticket_nobody_asks_about_goes_stale():
    clock = FakeClock()
    queue = FitQueue(max_fits=1, stale_after=60, clock=clock)
    holder = queue.submit()
    queue.start(holder)
    quiet, asking = queue.submit(), queue.submit()
    clock.now = 30
    queue.status(asking)
    clock.now = 61
    assert queue.status(asking).ahead == 1
    assert quiet.state == "cancelled" and quiet.reason == "stale"


def test_an_unclaimed_turn_goes_to_the_next_and_comes_back():
    clock = FakeClock()
    queue = FitQueue(max_fits=1, claim_within=10, clock=clock)
    away, next_one = queue.submit(), queue.submit()
    assert away.state == "admitted"  # its owner never comes to start it (a tab in the background)
    clock.now = 11
    assert queue.status(next_one).state == "admitted"
    assert away.state == "waiting" and away.dormant
    queue.start(next_one)
    assert queue.status(away).ahead == 1  # back, first in line
    queue.release(next_one)
    queue.start(away)
    assert away.state == "running"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(fit_queue.MAX_FITS_ENV, "3")
    monkeypatch.setenv(fit_queue.MEMORY_BUDGET_ENV, "512")
    assert fit_queue.default_max_fits() == 3
    assert fit_queue.default_memory_budget() == 512 * 2**20
    monkeypatch.setenv(fit_queue.MAX_FITS_ENV, "0")
    with pytest.raises(ValueError, match="CF_LAB_MAX_FITS='0'"):
        fit_queue.default_max_fits()
    monkeypatch.delenv(fit_queue.MAX_FITS_ENV)
    monkeypatch.delenv(fit_queue.MEMORY_BUDGET_ENV)
    assert fit_queue.default_max_fits() >= 1
    budget = fit_queue.default_memory_budget()
    assert budget is None or budget > 0


def test_the_estimate_grows_with_ratings_and_features():
    small = fit_queue.estimate_fit_bytes(100_000, 1_682, 943, 10)
    assert 5 * 2**20 < small < 20 * 2**20  # measured: 9 MB traced for the 100k fit at k=10
    assert fit_queue.estimate_fit_bytes(1_000_000, 3_706, 6_040, 50) > 150 * 2**20  # measured 159 MB
