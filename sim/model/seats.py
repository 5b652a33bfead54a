"""Seats: the queue in front of a role's reps, on SimPy's public API.

A role's reps are seats; a task requests one, waits in line if none is free,
and releases it when done. This does what ``simpy.Resource`` and
``simpy.PriorityResource`` do for a role, with two differences a role needs:

* the number of seats follows the team (:meth:`Seats.resize`): shrinking never
  interrupts a task in progress (the capacity only gates new grants); growing
  grants as many waiting requests as it can;
* the priority line is one line per priority (``PriorityResource`` re-sorts its
  whole queue on every request: with a 150-long queue that was most of a run's time).

Shortcuts save SimPy events: a task that finds a free seat with nobody
waiting takes it at once (:meth:`Seats.take`, no request event to wait for);
a release with nobody waiting schedules nothing; and a release whose caller
will not ask for a seat again at that instant hands it straight to the head
of the line (``defer=False``). Otherwise the order is SimPy's, which the
tests check against its own resources: a release hands the seat to the head
of the line through an event processed after what is already due now (as
SimPy's ``Release`` event does). Only the order of things that happen at the
same instant changes. Priority order is (priority, time of request, order of
request), lower first: the order of SimPy's stable sort.
"""

from __future__ import annotations

from bisect import insort
from collections import deque

import simpy

from sim.model.engine import TaskDone, after_now


class SeatRequest(simpy.Event):
    """A request for a seat; succeeds when granted. ``cancel()`` withdraws a
    request still waiting (a task that gave up)."""

    on_grant = None

    def __init__(self, seats: Seats):
        super().__init__(seats.env)
        self.seats = seats
        self.withdrawn = False

    def cancel(self) -> None:
        if not self.triggered and not self.withdrawn:
            self.withdrawn = True
            self.seats.waiting -= 1


class Seats:
    """Seats served first come, first served."""

    def __init__(self, env: simpy.Environment, capacity: int):
        self.env = env
        self.capacity = capacity
        self.count = 0  # seats in use
        self.waiting = 0  # requests in line (withdrawn ones excluded)
        self._line: deque[SeatRequest | TaskDone] = deque()

    def take(self) -> bool:
        """Take a free seat now if nobody is waiting (no event); False: request one."""
        if self.count < self.capacity and not self.waiting:
            self.count += 1
            return True
        return False

    def request(self, priority: int = 0) -> SeatRequest:
        return self._enter(SeatRequest(self), priority)

    def queue(self, priority: int, req: TaskDone) -> TaskDone:
        """Get in line with a :class:`~sim.model.engine.TaskDone` (returned): its
        ``on_grant(it)`` is called when a seat is granted, and schedules the event
        at the work's end."""
        self._line.append(req)  # (what _enter does, without the call: this is every queued task's path)
        self.waiting += 1
        if self.count < self.capacity:
            self._grant_head()
        return req

    def withdraw(self, req) -> None:
        """Take ``req`` (a place in line not granted yet, with a settable ``withdrawn``)
        out of the line: it is skipped when it comes up."""
        req.withdrawn = True
        self.waiting -= 1

    def _enter(self, req, priority: int):
        self._line.append(req)
        self.waiting += 1
        if self.count < self.capacity:  # a seat freed this instant, its hand-over still due
            self._grant_head()
        return req

    def _grant_head(self, _event=None) -> None:
        """Grant the head of the line a seat if one is free."""
        if self.count < self.capacity:
            line = self._line
            while line:
                req = line.popleft()
                if not req.withdrawn:
                    self._grant(req)
                    return

    def _grant(self, req) -> None:
        """The seat goes to ``req``: its event succeeds, or a task's ``on_grant`` starts it."""
        self.waiting -= 1
        self.count += 1
        on_grant = req.on_grant
        if on_grant is None:
            req.succeed()
        else:
            on_grant(req)

    def release(self, req: SeatRequest | None = None, defer: bool = True) -> None:
        """A task is done (``req``: its request, None if it took a free seat).

        With others waiting, the seat goes to the head of the line: with
        ``defer`` (SimPy's way) once what is already due now has run, so the
        process that released it may ask again at once and, if more urgent
        than the line, get it back (a rep going straight on with the same
        lead's next step); without, at once, which saves an event when the
        caller knows it will not ask again this instant. With nobody waiting
        there is nothing to schedule."""
        self.count -= 1
        if self.waiting:
            if defer:
                after_now(self.env, self._grant_head)
            else:
                self._grant_head()

    def resize(self, capacity: int) -> None:
        grow = capacity - self.capacity
        self.capacity = capacity
        for _ in range(max(grow, 0)):
            self._grant_head()


class PrioritySeats(Seats):
    """Seats served by priority (lower first), then by time and order of request.

    One first-come-first-served line per priority, and the priorities that have
    a line in ascending order: a role's tasks have a handful of priorities (the
    kind of work and the stage, :func:`~sim.model.plan.priority`), so taking the
    head is a look at the first line, where a heap over the whole line would
    compare keys all the way down (the prospecting line of a busy morning holds
    hundreds of tasks). Requests enter in time order, so each line's order is the
    order of (time of request, order of request): SimPy's stable sort."""

    def __init__(self, env: simpy.Environment, capacity: int):
        super().__init__(env, capacity)
        self._lines: dict[int, deque[SeatRequest | TaskDone]] = {}
        self._order: list[int] = []  # the priorities of self._lines, ascending

    def queue(self, priority: int, req: TaskDone) -> TaskDone:
        return self._enter(req, priority)

    def _enter(self, req, priority: int):
        line = self._lines.get(priority)
        if line is None:
            line = self._lines[priority] = deque()
            insort(self._order, priority)
        line.append(req)
        self.waiting += 1
        if self.count < self.capacity:
            self._grant_head()
        return req

    def _grant_head(self, _event=None) -> None:
        if self.count < self.capacity:
            order, lines = self._order, self._lines
            while order:
                prio = order[0]
                line = lines[prio]
                while line:
                    req = line.popleft()
                    if not req.withdrawn:
                        if not line:  # (the line goes before the grant, which may bring a new one)
                            del lines[prio]
                            order.pop(0)
                        self._grant(req)
                        return
                del lines[prio]
                order.pop(0)


def make_seats(kind, env: simpy.Environment, n: int) -> Seats:
    """Seats of ``kind`` with ``n`` seats (0 allowed: a seat not filled yet)."""
    return kind(env, n)
