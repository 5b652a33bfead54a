"""A lead's further attempts to connect on a step, as callbacks of their own
events (:class:`Attempts`, made by :meth:`~sim.model.roles.RoleRuntime.attempts`):
an outbound lead whose first call did not connect tries again after the step's
gap, up to the step's attempts, each a task of the role done as
:meth:`~sim.model.roles.RoleRuntime.serve_job` does one, without resuming the
lead's generator per event.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.model.engine import Park
from sim.model.tasks import Task

if TYPE_CHECKING:
    from sim.model.roles import RoleRuntime


class Attempts:
    """A lead's attempts to connect on a step (:meth:`~sim.model.roles.RoleRuntime.attempts`): each
    after the first waits the step's gap and draws whether the call connects; each
    is a task of the role for the same seat, done the way
    :meth:`~sim.model.roles.RoleRuntime.serve_job` does a task; up to ``left`` of them after the
    first, until one connects. With ``ready`` >= 0 the first attempt, known not to
    connect, is one of them too (its wait counted from ``ready``, ``touch`` >= 0:
    the lead's first touch); else it was done before. They run as callbacks of
    their own events (the gap, the task's end), so the lead's generator is not
    resumed per event: it waits on ``park`` (:class:`~sim.model.engine.Park`),
    woken with ``(connected, rep, wait)`` (the rep of the last attempt, the wait
    of the first one done here: -1.0 if none) the instant the last task is done."""

    __slots__ = ("role", "env", "rec", "lead", "st", "segment", "pod", "seat", "left", "connected", "occ", "park",
                 "wait", "_res", "_pooled", "_seat", "_may_return")

    def __init__(self, role: RoleRuntime, rec, lead: int, st, segment: int, pod: int, seat: int,
                 ready: float = -1.0, touch: int = -1) -> None:
        self.role = role
        self.env = role.env
        self.rec = rec
        self.lead = lead
        self.st = st
        self.segment = segment
        self.pod = pod
        self.seat = seat  # the owner's seat (-1: none), as serve_job's ``seat``
        self.left = st.attempts - 1
        self.connected = False
        self.occ = -1
        self.wait = -1.0
        self.park = Park()
        # the seats every attempt asks (fixed for the lead's pool or owner; None: an unlimited role)
        pooled = self._pooled = role.res is not None
        self._res = role.pools[pod] if pooled else (role.rep_res[seat] if seat >= 0 and role.rep_res else None)
        self._seat = -1
        self._may_return = False
        if ready >= 0.0:
            self._try(False, ready, touch)
        else:
            self._next()

    def _next(self) -> None:
        self.left -= 1
        self.env.timeout(self.st.gap()).callbacks.append(self._attempt)

    def _attempt(self, _event) -> None:
        """The gap is over: draw the connect, then take the seat or get in line."""
        st = self.st
        self._try(st.connect() < st.connect_p, self.env.now, -1)

    def _try(self, connected: bool, ready: float, touch: int) -> None:
        st, role, env = self.st, self.role, self.env
        self.connected = connected
        may_return = self._may_return = connected and st.may_return
        pod, seat = self.pod, self.seat
        res = self._res
        if res is None:  # unlimited capacity: no queue, no seat
            seat = -1
        elif res.take():
            if self._pooled:
                seat = role.frees[pod].pop()
        else:  # in line: the grant starts the work, the task's end comes back here
            task = Task(env, role.start_granted, self.rec, self.lead, st, self.segment, pod, seat, ready, touch, None)
            res.queue(st.prio, task)
            task.callbacks.append(self._queued_done)
            return
        now = env.now
        wait, end, occ = role.begin(Task(env, None, self.rec, self.lead, st, self.segment, pod, seat, ready,
                                          touch, None), seat, math.inf)
        self.occ = occ
        if self.wait < 0.0:
            self.wait = wait
        if end > now:
            self._seat = seat
            env.timeout(end - now).callbacks.append(self._taken_done)
            return
        self._free(seat, may_return)

    def _queued_done(self, event) -> None:
        wait, self.occ, seat = event.value
        if self.wait < 0.0:
            self.wait = wait
        self._free(seat, self._may_return)

    def _taken_done(self, _event) -> None:
        self._free(self._seat, self._may_return)

    def _free(self, seat: int, may_return: bool) -> None:
        """The attempt's task is done: free its seat, then the next attempt or the lead's wake-up."""
        res = self._res
        if res is not None:
            if self._pooled:
                self.role.seat_freed(seat)
            res.release(None, may_return)
        if self.connected or self.left <= 0:
            self.park.wake((self.connected, self.occ, self.wait))
        else:
            self._next()
