"""The page under a busy server: Train waits in the server's fit queue, visibly, and can leave it.

The test holds the only slot of a one-fit queue itself (as another session's fit would), so the page's
Train has to wait; releasing the slot lets it through.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cf_app import fit_queue, state, training
from cf_app.fit_queue import FitQueue

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TRAIN = "FormSubmitter:hyperparameters-Train"


@pytest.fixture()
def queue() -> Iterator[FitQueue]:
    """A one-fit queue as the server's, and no stored results (a cache hit needs no queue)."""
    training._result_store.clear()
    q = FitQueue(max_fits=1)
    old = fit_queue.set_shared_queue(q)
    yield q
    fit_queue.set_shared_queue(old)


def hold_slot(q: FitQueue) -> fit_queue.Ticket:
    ticket = q.submit()
    q.start(ticket)
    return ticket


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def queue_lines(at: AppTest) -> list[str]:
    return [s.label for s in at.get("status") if s.label.startswith("Queued:")]


def train_labels(at: AppTest) -> list[str]:
    return [s.label for s in at.get("status") if s.label.startswith("Trained in")]


def test_a_queued_session_sees_its_position_then_its_results(queue):
    other = hold_slot(queue)
    at = new_app()
    at.button(key=TRAIN).click().run()
    assert not at.exception
    assert queue_lines(at) == ["Queued: 1 fit ahead of yours (1 running, 0 waiting; this server runs 1 fit at a time)"]
    assert at.button(key="leave_queue").label == "Stop: leave the queue"
    assert at.session_state[state.WORKSPACES]["lecture"].result is None

    third = queue.submit()  # someone queued after us does not change our position
    at.run()
    assert queue_lines(at)[0].startswith("Queued: 1 fit ahead of yours")

    queue.release(other)  # the other fit ends: our turn
    at.run()
    assert not at.exception and not queue_lines(at)
    [label] = train_labels(at)
    assert " s in the queue: " in label
    assert at.session_state[state.WORKSPACES]["lecture"].result is not None
    assert at.session_state[state.QUEUED] is None
    assert queue.status(third).state == "admitted"  # our slot went on to the next in line


def test_stop_while_queued_leaves_the_queue_and_says_so(queue):
    hold_slot(queue)
    at = new_app()
    at.button(key=TRAIN).click().run()
    ticket = at.session_state[state.QUEUED].ticket
    at.button(key="leave_queue").click().run()
    assert not at.exception
    assert ticket.state == "cancelled"
    assert queue.counts() == (1, 0)
    assert not queue_lines(at)
    assert any("You left the queue" in i.value for i in at.info)
    assert at.session_state[state.WORKSPACES]["lecture"].result is None


def test_other_interactions_keep_the_place_in_the_line(queue):
    hold_slot(queue)
    at = new_app()
    at.button(key=TRAIN).click().run()
    ticket = at.session_state[state.QUEUED].ticket
    behind = queue.submit()
    # An edit in the grid reruns the page: still queued, same ticket, still ahead of the later one.
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": {2: {"Dave": 3.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert at.session_state[state.QUEUED].ticket is ticket and ticket.state == "waiting"
    assert queue_lines(at)[0].startswith("Queued: 1 fit ahead of yours")
    assert queue.status(behind).ahead == 2


def test_train_again_while_queued_keeps_the_place_with_the_new_settings(queue):
    hold_slot(queue)
    at = new_app()
    at.button(key=TRAIN).click().run()
    ticket = at.session_state[state.QUEUED].ticket
    at.slider(key="p_features").set_value(3)
    at.button(key=TRAIN).click().run()
    pending = at.session_state[state.QUEUED]
    assert pending.ticket is ticket and pending.params.num_features == 3
    assert queue.counts() == (1, 1)


def test_a_fit_over_the_memory_budget_is_refused_with_a_message(queue):
    fit_queue.set_shared_queue(FitQueue(max_fits=1, memory_budget=1024))
    at = new_app()
    at.button(key=TRAIN).click().run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("Cannot train on this server: This fit needs about")
    assert "CF_LAB_FIT_MEMORY_MB" in error
    assert at.session_state[state.QUEUED] is None


def test_a_free_slot_trains_at_once_and_gives_the_slot_back(queue):
    at = new_app()
    at.button(key=TRAIN).click().run()
    [label] = train_labels(at)
    assert "in the queue" not in label
    assert queue.counts() == (0, 0)


@pytest.mark.parametrize("unwound", [False, True])
def test_the_run_after_a_stop_frees_the_slot_while_the_stopped_run_still_unwinds(queue, unwound):
    """Streamlit's fast reruns start the run after a Stop click while the stopped one may still be unwinding in
    its own thread (a Spark fit cancels its jobs first). That run must say the fit stopped, free the slot
    itself, and not report the ticket as a cancelled queue place (whose rerun hid the message).

    ``unwound``: the stopped thread has released its slot, but its clearing of the session's request did not
    reach the new run (it wrote while the run began): seen in Chromium, about one Stop in eight."""
    at = new_app()
    ws = at.session_state[state.WORKSPACES]["lecture"]
    ticket = hold_slot(queue)  # the stopped run's slot, not yet released by its thread
    if unwound:
        queue.release(ticket, "done")
    pending = training.PendingFit(ticket, ws.working, training.Params(), ws.fingerprint, "lecture", ws.title)
    at.session_state[state.QUEUED] = pending
    at.session_state[state.TRAINING] = {"source": "lecture", "iteration": 7}
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "Training was stopped after iteration 7; there are no earlier results yet."
    ]
    assert ticket.state == fit_queue.DONE
    assert queue.status(queue.submit()).state == fit_queue.ADMITTED  # the one slot is free again
    assert at.session_state[state.QUEUED] is None and not queue_lines(at)
