"""A role at run time: reps, their work queue(s) and lead ownership.

Two ways a role's work is queued, chosen by ``owns_leads``:

* **pooled** (MDR/SDR call queues): one shared FIFO queue, any free rep takes
  the next task. With Poisson arrivals and exponential work this is exactly an
  M/M/c queue, which the test suite checks against Erlang C.
* **owned** (AEs running their own deals): a lead gets one owner rep for all
  of the role's steps, and waits in that rep's own queue. ``max_open_per_rep``
  caps how many leads a rep owns at once; beyond it, leads wait for a rep with
  room, in arrival order.

A role that works more than one step uses a priority queue: later steps
first, so follow-ups of interested prospects are not stuck behind cold touches.

Work hours become calendar time at ``7 / hours_per_week`` days per hour: a rep
working 40 h a week spreads one hour of work over 0.175 days.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import simpy

from sim.model.draws import uniform01
from sim.scenario.schema import Role


class RoleRuntime:
    __slots__ = ("idx", "name", "env", "unlimited", "owns", "days_per_hour", "headcount", "res",
                 "rep_res", "free", "open", "max_open", "waiting", "routing", "prioritized", "_rr", "_u",
                 "commission_rate", "fee")

    def __init__(self, env: simpy.Environment, idx: int, name: str, spec: Role,
                 rng: np.random.Generator, prioritized: bool = False):
        self.env = env
        self.idx = idx
        self.name = name
        self.unlimited = spec.unlimited_capacity
        self.owns = spec.owns_leads and not self.unlimited
        self.days_per_hour = 7.0 / spec.hours_per_week
        n = self.headcount = spec.headcount
        # A role working several steps serves the step closest to the money first
        # (a rep follows up an interested prospect before the next cold touch).
        self.prioritized = prioritized
        kind = simpy.PriorityResource if prioritized else simpy.Resource
        self.res: simpy.Resource | None = None
        self.rep_res: list[simpy.Resource] = []
        self.free: list[int] = []
        if not self.unlimited:
            if self.owns:
                self.rep_res = [kind(env, 1) for _ in range(n)]
            else:
                self.res = kind(env, n)
                self.free = list(range(n - 1, -1, -1))
        self.open = [0] * n
        self.max_open = spec.max_open_per_rep or math.inf
        self.waiting: deque[simpy.Event] = deque()
        self.routing = spec.routing
        self.commission_rate = spec.commission_rate
        self.fee = spec.fee_per_handoff_usd
        self._rr = 0
        self._u = uniform01(rng, 256)

    # -- ownership -----------------------------------------------------------------
    def _pick(self) -> int:
        """A rep with room by the routing rule, or -1 when all are full."""
        room = [i for i in range(self.headcount) if self.open[i] < self.max_open]
        if not room:
            return -1
        if self.routing == "least_loaded":
            return min(room, key=self.open.__getitem__)
        if self.routing == "round_robin":
            n = self.headcount
            start = self._rr
            for k in range(n):
                i = (start + k) % n
                if self.open[i] < self.max_open:
                    self._rr = (i + 1) % n
                    return i
        return room[min(int(self._u() * len(room)), len(room) - 1)]

    def try_assign(self) -> int:
        """Assign an owner now if one has room (and nobody is waiting ahead)."""
        if self.waiting:
            return -1
        rep = self._pick()
        if rep >= 0:
            self.open[rep] += 1
        return rep

    def wait_assign(self) -> simpy.Event:
        """An event that succeeds with the rep index when one has room (FIFO)."""
        ev = self.env.event()
        self.waiting.append(ev)
        return ev

    def cancel_wait(self, ev: simpy.Event) -> None:
        try:
            self.waiting.remove(ev)
        except ValueError:  # already granted: give the slot back
            if ev.triggered:
                self.release(ev.value)

    def release(self, rep: int) -> None:
        """A lead leaves its owner: the slot goes to the first waiting lead, if any."""
        if self.waiting:
            self.waiting.popleft().succeed(rep)
        else:
            self.open[rep] -= 1

    def task(self, rec, lead: int, stage: int, segment: int, draw, expires: float | None = None):
        """One task in the shared queue of a pooled role (post-sale work, a second
        seller's time): a generator returning the wait, or -1.0 if nobody picked
        the task up within ``expires`` days."""
        env = self.env
        t0 = env.now
        if self.res is None:  # unlimited capacity
            rep, req = 0, None
        else:
            req = self.res.request()
            if expires is not None:
                yield req | env.timeout(expires)
                if not req.triggered:
                    req.cancel()
                    return -1.0
            else:
                yield req
            rep = self.free.pop()
        now = env.now
        svc = draw() if draw is not None else 0.0
        rec.work(now, lead, stage, self.idx, rep, now - t0, svc, segment)
        if svc:
            yield env.timeout(svc)
        if req is not None:
            self.free.append(rep)
            self.res.release(req)
        return now - t0

    def queue_length(self) -> int:
        if self.res is not None:
            return len(self.res.queue)
        return sum(len(r.queue) for r in self.rep_res) + len(self.waiting)
