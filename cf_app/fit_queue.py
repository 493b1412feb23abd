"""The server-wide admission queue for fits: at most ``max_fits`` at once, first come first served.

Streamlit runs every browser session's script in a thread of one server process, so twenty people
pressing Train at once would start twenty fits on a machine with two cores: each gets a tenth of a core,
all finish late, and the page loads of everyone else wait behind them. The queue admits as many fits as
the server has CPUs (a setting) and a memory budget allows, in arrival order; the others wait and can
see their place. Page loads, grid edits and tab switches never go through it: only fits do.

A session holds a :class:`Ticket`. The app does not block while it waits (a blocked script would hold
up the session's own tab clicks): it asks :meth:`FitQueue.status` about once a second, which is also the
ticket's heartbeat, and claims the slot with :meth:`FitQueue.start` once admitted. A ticket whose owner
stopped asking (tab closed, session gone) is dropped, and an admitted one not claimed in time gives its
slot to the next in line and keeps its place. :meth:`FitQueue.slot` is the blocking form for threads.

No Streamlit import: the app wires it (``cf_app/training.py``); tests drive it with plain threads.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "FitQueue",
    "FitRefused",
    "Position",
    "Ticket",
    "estimate_fit_bytes",
    "default_max_fits",
    "default_memory_budget",
    "shared_queue",
    "set_shared_queue",
    "MAX_FITS_ENV",
    "MEMORY_BUDGET_ENV",
]

#: Environment variables that set the server's limits (read once, when the first fit is queued).
MAX_FITS_ENV = "CF_LAB_MAX_FITS"
MEMORY_BUDGET_ENV = "CF_LAB_FIT_MEMORY_MB"

# What one fit allocates while it runs, measured with tracemalloc (numpy arrays included) around the app's
# own fit on the synthetic 1M set: 40 B per rating at k=10 without validation (L-BFGS-B, ALS, CG), 77 B with
# a 20% validation share and learned biases (the split copies the ratings); on top of that about 250 B
# per parameter ((items + users) x k: L-BFGS-B keeps 10 pairs of parameter-sized vectors), e.g. 159 MB in
# all for 1M ratings at k=50. The estimate rounds both up.
BYTES_PER_RATING = 80
BYTES_PER_PARAMETER = 256

WAITING, ADMITTED, RUNNING, DONE, CANCELLED = "waiting", "admitted", "running", "done", "cancelled"


def estimate_fit_bytes(n_ratings: int, n_items: int, n_users: int, num_features: int) -> int:
    """Memory one fit needs beyond the data it is given (bytes), from the measured constants above."""
    n_parameters = (n_items + n_users) * (num_features + 1)
    return BYTES_PER_RATING * n_ratings + BYTES_PER_PARAMETER * n_parameters


N = TypeVar("N", int, float)


def _positive_setting(name: str, parse: Callable[[str], N], expected: str, why_positive: str) -> N | None:
    """The environment variable ``name`` parsed as a positive number, None when unset.

    A server setting that is wrong must stop the server with a message naming the variable, not fall back.
    """
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        n = parse(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected {expected}") from None
    if n <= 0:
        raise ValueError(f"{name}={value!r}: {why_positive}")
    return n


def default_max_fits() -> int:
    """``CF_LAB_MAX_FITS`` if set, else the number of CPUs this process may use."""
    n = _positive_setting(
        MAX_FITS_ENV, int, "a whole number of fits, e.g. 2", "at least one fit must be allowed to run"
    )
    if n is not None:
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def available_memory() -> int | None:
    """Bytes of memory available to new allocations now (Linux ``MemAvailable``), or None if unknown."""
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    with contextlib.suppress(AttributeError, ValueError, OSError):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return None


def default_memory_budget() -> int | None:
    """``CF_LAB_FIT_MEMORY_MB`` if set, else half the memory available when the server queues its first fit.

    Half, because the sessions' own data, results and uploads live in the same process and grow too.
    None (no budget) only where the available memory cannot be read.
    """
    mb = _positive_setting(MEMORY_BUDGET_ENV, float, "megabytes, e.g. 2000", "the budget must be positive")
    if mb is not None:
        return int(mb * 2**20)
    available = available_memory()
    return available // 2 if available is not None else None


def megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.1f} GB" if n_bytes >= 2**30 else f"{max(n_bytes / 2**20, 0.1):.0f} MB"


class FitRefused(RuntimeError):
    """A fit that cannot run on this server (it alone needs more than the memory budget); the message says why."""


@dataclass(eq=False)
class Ticket:
    """One fit's place in the queue. ``state`` is waiting, admitted, running, done or cancelled."""

    number: int
    cost: int
    alive: Callable[[], bool] | None = None  # False once the owner (a browser session) is gone
    state: str = WAITING
    reason: str | None = None  # why it was cancelled: "left", "gone", "stale"
    queued_at: float = 0.0
    seen_at: float = 0.0
    admitted_at: float | None = None
    started_at: float | None = None
    dormant: bool = False  # its turn came and went unclaimed: skipped until its owner asks again

    @property
    def finished(self) -> bool:
        return self.state in (DONE, CANCELLED)


@dataclass(frozen=True)
class Position:
    """Where a ticket stands, for its status line."""

    state: str
    ahead: int  # fits that start or run before this one: the running ones plus those waiting in front
    running: int
    waiting_ahead: int
    max_fits: int
    memory_used: int
    memory_budget: int | None
    waited: float  # seconds since it was queued
    reason: str | None = None

    @property
    def waiting_for_memory(self) -> bool:
        """Next in line with a slot free, but the fits running leave too little of the memory budget."""
        return self.state == WAITING and self.waiting_ahead == 0 and self.running < self.max_fits

    def describe(self) -> str:
        """'2 fits ahead of yours (1 running, 1 waiting; this server runs 1 fit at a time)'."""
        fits = "1 fit" if self.ahead == 1 else f"{self.ahead} fits"
        at_once = "1 fit at a time" if self.max_fits == 1 else f"up to {self.max_fits} fits at a time"
        text = f"{fits} ahead of yours ({self.running} running, {self.waiting_ahead} waiting; "
        text += f"this server runs {at_once})"
        if self.waiting_for_memory and self.memory_budget is not None:
            text += (
                f"; yours is next and waits for memory: the running fits use {megabytes(self.memory_used)} "
                f"of the {megabytes(self.memory_budget)} budget"
            )
        return text


class FitQueue:
    """Admits at most ``max_fits`` fits at once whose estimated memory fits ``memory_budget``, in arrival order.

    Strictly first come, first served: a fit waiting for memory at the head of the line is not overtaken
    by a smaller one behind it. ``stale_after``: a waiting ticket whose owner has not asked for its status
    for this long is dropped. ``claim_within``: an admitted ticket not started this soon goes dormant (its
    slot goes to the next in line; it keeps its place and is admitted again once its owner asks). Starting
    takes a rerun of the owner's page, which took over 20 s on this machine at load 35: hence a minute.
    """

    def __init__(
        self,
        max_fits: int,
        memory_budget: int | None = None,
        *,
        stale_after: float = 120.0,
        claim_within: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_fits < 1:
            raise ValueError(f"max_fits must be at least 1, got {max_fits}")
        self.max_fits = max_fits
        self.memory_budget = memory_budget
        self.stale_after = stale_after
        self.claim_within = claim_within
        self._clock = clock
        self._cond = threading.Condition()
        self._numbers = itertools.count(1)
        self._waiting: list[Ticket] = []  # arrival order
        self._active: list[Ticket] = []  # admitted or running: each holds a slot and its memory

    # ------------------------------------------------------------------------------------ queueing
    def submit(self, cost: int = 0, alive: Callable[[], bool] | None = None) -> Ticket:
        """Queue a fit needing ``cost`` bytes; admitted at once when a slot and the memory are free.

        Raises :class:`FitRefused` when the fit alone needs more than the whole memory budget.
        """
        self._refuse_over_budget(cost)
        with self._cond:
            now = self._clock()
            ticket = Ticket(next(self._numbers), int(cost), alive, queued_at=now, seen_at=now)
            self._waiting.append(ticket)
            self._admit()
            return ticket

    def status(self, ticket: Ticket) -> Position:
        """Where ``ticket`` stands now. Asking is the owner's heartbeat: it keeps the ticket's place."""
        with self._cond:
            ticket.seen_at = self._clock()
            ticket.dormant = False
            self._admit()
            return self._position(ticket)

    def wait(self, ticket: Ticket, timeout: float | None = None) -> bool:
        """Block until ``ticket`` is admitted (True) or cancelled / ``timeout`` seconds passed (False)."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._cond:
            while True:
                ticket.seen_at = self._clock()
                ticket.dormant = False
                self._admit()
                if ticket.state in (ADMITTED, RUNNING):
                    return True
                if ticket.finished:
                    return False
                remaining = None if deadline is None else deadline - self._clock()
                if remaining is not None and remaining <= 0:
                    return False
                # Wake up now and then even without a notify: dropping stale tickets is done by whoever asks.
                self._cond.wait(1.0 if remaining is None else min(remaining, 1.0))

    def start(self, ticket: Ticket) -> None:
        """Claim an admitted ticket's slot for the fit that is starting now."""
        with self._cond:
            if ticket.state == WAITING and ticket.dormant:  # its turn passed while unclaimed: ask again
                ticket.dormant = False
                self._admit()
            if ticket.state != ADMITTED:
                raise RuntimeError(f"ticket {ticket.number} is {ticket.state}, not admitted: it cannot start")
            ticket.state = RUNNING
            ticket.started_at = self._clock()

    def resize(self, ticket: Ticket, cost: int) -> None:
        """A waiting fit's request changed (Train pressed again while queued): new estimate, same place."""
        self._refuse_over_budget(cost)
        with self._cond:
            ticket.cost = int(cost)
            self._admit()

    def release(self, ticket: Ticket, reason: str = "left") -> None:
        """The fit is over (running -> done) or its owner left the queue (-> cancelled). Idempotent."""
        with self._cond:
            if ticket.finished:
                return
            if ticket in self._active:
                self._active.remove(ticket)
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            if ticket.state == RUNNING:
                ticket.state = DONE
            else:
                ticket.state, ticket.reason = CANCELLED, reason
            self._admit()

    @contextlib.contextmanager
    def slot(self, cost: int = 0, timeout: float | None = None) -> Iterator[Ticket]:
        """Block until admitted, run the block as a fit, and free the slot however the block ends.

        Raises TimeoutError (after leaving the queue) when not admitted within ``timeout`` seconds.
        """
        ticket = self.submit(cost)
        try:
            if not self.wait(ticket, timeout):
                raise TimeoutError(f"no free fit slot within {timeout} s")
            self.start(ticket)
            yield ticket
        finally:
            self.release(ticket)

    # ------------------------------------------------------------------------------------ reading
    def counts(self) -> tuple[int, int]:
        """(fits holding a slot, fits waiting)."""
        with self._cond:
            self._admit()
            return len(self._active), len(self._waiting)

    def memory_used(self) -> int:
        with self._cond:
            return sum(t.cost for t in self._active)

    # ------------------------------------------------------------------------------------ internals
    def _position(self, ticket: Ticket) -> Position:
        waited = (self._clock() if ticket.started_at is None else ticket.started_at) - ticket.queued_at
        used = sum(t.cost for t in self._active)
        running = len(self._active)
        if ticket.state != WAITING:
            return Position(ticket.state, 0, running, 0, self.max_fits, used, self.memory_budget, waited, ticket.reason)
        waiting_ahead = self._waiting.index(ticket)
        return Position(
            WAITING, running + waiting_ahead, running, waiting_ahead, self.max_fits, used, self.memory_budget, waited
        )

    def _refuse_over_budget(self, cost: int) -> None:
        if self.memory_budget is not None and cost > self.memory_budget:
            raise FitRefused(
                f"This fit needs about {megabytes(cost)} of memory, more than the server's budget for fits "
                f"({megabytes(self.memory_budget)}, setting {MEMORY_BUDGET_ENV}). Use fewer features (k), "
                "a smaller dataset, or a server with a larger budget."
            )

    def _drop(self, ticket: Ticket, reason: str) -> None:
        (self._waiting if ticket in self._waiting else self._active).remove(ticket)
        ticket.state, ticket.reason = CANCELLED, reason

    def _admit(self) -> None:
        """Drop tickets whose owners are gone, recall unclaimed admissions, admit from the head. Lock held."""
        now = self._clock()
        for t in list(self._waiting) + [t for t in self._active if t.state == ADMITTED]:
            if t.alive is not None and not _is_alive(t.alive):
                self._drop(t, "gone")
            elif t.state == WAITING and now - t.seen_at > self.stale_after:
                self._drop(t, "stale")
        for t in [t for t in self._active if t.state == ADMITTED]:
            # Its owner did not come to start it: the next in line goes first.
            if t.admitted_at is not None and now - t.admitted_at > self.claim_within:
                self._active.remove(t)
                t.state, t.dormant, t.admitted_at = WAITING, True, None
                self._waiting.insert(0, t)
        used = sum(t.cost for t in self._active)
        admitted = False
        for t in list(self._waiting):
            if t.dormant:
                continue
            fits_memory = self.memory_budget is None or used + t.cost <= self.memory_budget
            if len(self._active) >= self.max_fits or not fits_memory:
                break  # first come, first served: nobody overtakes the head of the line
            self._waiting.remove(t)
            self._active.append(t)
            t.state, t.admitted_at = ADMITTED, now
            used += t.cost
            admitted = True
        if admitted:
            self._cond.notify_all()


def _is_alive(alive: Callable[[], bool]) -> bool:
    try:
        return bool(alive())
    except Exception:  # a broken liveness check must not take the queue down: assume the owner is there
        return True


_shared: FitQueue | None = None
_shared_lock = threading.Lock()


def shared_queue() -> FitQueue:
    """The one queue of this server process, created from the settings on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FitQueue(default_max_fits(), default_memory_budget())
        return _shared


def set_shared_queue(queue: FitQueue | None) -> FitQueue | None:
    """Replace the process's queue (tests; None: rebuild from the settings on next use); returns the old one."""
    global _shared
    with _shared_lock:
        old, _shared = _shared, queue
        return old
