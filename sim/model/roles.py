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

Without a calendar, an hour of work takes ``7 / hours_per_week`` days (less
time off); with one (:mod:`sim.model.worktime`), a task runs from the next
working instant in working time. The role is given its days per hour
(:class:`~sim.model.setup.RunSetup`); the work samplers are scaled once by it.

A role's seats follow the people: a rep leaves (a task in hand is finished
first), is away (a vacation), comes back, and new seats are added (hires, POD
fission); the owned leads of a leaver stay with the seat (each may be lost,
``lose_open_deals_probability``, the next time it is checked).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from functools import partial
from typing import cast

import numpy as np
import simpy

from sim.model.attempts import Attempts
from sim.model.attendance import Attendance
from sim.model.draws import uniform01
from sim.model.engine import Park
from sim.model.seats import PrioritySeats, Seats, make_seats
from sim.model.tasks import TOO_LATE, Job, SlaTask, Task
from sim.scenario.schema import Role


class RoleRuntime:
    __slots__ = ("idx", "name", "env", "unlimited", "owns", "days_per_hour", "headcount", "res",
                 "rep_res", "free", "open", "max_open", "routing", "prioritized", "_rr", "_u",
                 "commission_rate", "fee", "staff", "occupant", "vacating", "open_value", "_kind", "_on_room",
                 "podded", "seat_pod", "pod_seats", "pools", "frees", "waitq", "left_rep", "_next_rep",
                 "cal", "seat_cal", "pod_cal", "worktime", "absent", "held", "rep_bookings", "coord",
                 "attendance", "_until")

    def __init__(self, env: simpy.Environment, idx: int, name: str, spec: Role, rng: np.random.Generator, *,
                 days_per_hour: float, prioritized: bool = False, staff=None,
                 seat_pods: list[int] | None = None, n_pods: int = 1, worktime=None):
        """``days_per_hour``: days one hour of the role's work takes
        (:class:`~sim.model.setup.RunSetup`); ``worktime`` (with a calendar): the
        run's :class:`~sim.model.worktime.WorkTime`, which gives the role, its
        PODs and each rep a calendar (the starting reps' absences drawn here)."""
        self.env = env
        self.idx = idx
        self.name = name
        self.unlimited = spec.unlimited_capacity
        self.owns = spec.owns_leads and not self.unlimited
        self.days_per_hour = days_per_hour
        self.staff = staff
        n = self.headcount = spec.headcount
        # A role working several steps serves the step closest to the money first
        # (a rep follows up an interested prospect before the next cold touch).
        self.prioritized = prioritized
        kind = self._kind = PrioritySeats if prioritized else Seats
        # PODs: a podded role has one pool (and one free list, one owner queue) per POD;
        # a shared role has one of each, which every POD index maps to.
        self.podded = seat_pods is not None
        self.seat_pod = list(seat_pods) if seat_pods is not None else [0] * n
        # the seats of each POD, in seat order (a shared role: one list for every POD index)
        self.pod_seats = ([[i for i in range(n) if self.seat_pod[i] == p] for p in range(n_pods)]
                          if self.podded else [list(range(n))] * n_pods)
        self.res: Seats | None = None
        self.rep_res: list[Seats] = []
        self.free: list[int] = []
        self.pools: list[Seats | None] = [None] * n_pods
        self.frees: list[list[int]] = [self.free] * n_pods
        if not self.unlimited:
            if self.owns:
                self.rep_res = [make_seats(kind, env, 1) for _ in range(n)]
            elif self.podded:
                self.frees = [[i for i in range(n - 1, -1, -1) if self.seat_pod[i] == p] for p in range(n_pods)]
                self.pools = [make_seats(kind, env, len(f)) for f in self.frees]
                self.res, self.free = self.pools[0], self.frees[0]
            else:
                self.res = make_seats(kind, env, n)
                self.free = list(range(n - 1, -1, -1))
                self.pools = [self.res] * n_pods
                self.frees = [self.free] * n_pods
        self.open = [0] * n
        self.open_value = [0.0] * n  # list ACV of the leads each seat owns (key-person exposure)
        self.occupant = list(range(n)) if staff is None else [staff.hire(i, env.now, ramped=True) for i in range(n)]
        self.vacating: set[int] = set()  # seats whose leaver is finishing a task
        self.left_rep = [-1] * n  # who last left each seat (finishes a task in hand)
        self._next_rep = n
        self._on_room: list = []  # called with a POD when one of its reps gets room (on_room)
        self.max_open = spec.max_open_per_rep or math.inf
        self.waitq: list[deque[simpy.Event]] = ([deque() for _ in range(n_pods)] if self.podded
                                                 else [deque()] * n_pods)
        self.routing = spec.routing
        self.commission_rate = spec.commission_rate
        self.fee = spec.fee_per_handoff_usd
        self._rr = 0
        self._u = uniform01(rng, 256)
        self.rep_bookings: dict[int, float] = {}  # bookings per rep when reps are not individuals
        self.absent: set[int] = set()  # seats whose rep is away (vacation)
        self.held: list[float] = []  # start times of tasks picked up out of hours (a heap; still queued)
        self.coord = None  # coordination time per team (sim.model.coordination), or None
        # working time (None: around the clock at reduced speed)
        self.worktime = worktime
        self.cal = None
        self.seat_cal, self.pod_cal = [], []
        if worktime is not None:
            cals = worktime.calendars
            self.cal = cals.of_role(name)
            self.pod_cal = cals.of_pods(name, len(self.pools), self.podded)
            self.seat_cal = [self.pod_cal[p] for p in self.seat_pod]
            if not self.unlimited:
                for seat in range(n):
                    self.seat_cal[seat] = worktime.new_rep(self, seat, self.occupant[seat])
        # each rep's time at work, the denominator of utilization (sim.model.attendance)
        self.attendance = Attendance()
        self._until = self.attendance.until
        for seat in range(n):
            self.attendance.started(seat, env.now, self.seat_cal[seat] if self.cal is not None else None)

    # -- people coming and going --------------------------------------------------------
    # A seat leaving a pool while its rep is on a task stays until the task ends
    # (``vacating``); a seat whose rep is away (``absent``, a vacation) is already
    # out of its pool, so a departure then does not take it out twice.

    def leave(self, seat: int) -> int:
        """The rep in ``seat`` leaves now; returns who left (-1 if the seat was empty).
        A task in progress is finished; the seat then stays empty until filled."""
        rep = self.occupant[seat]
        if rep < 0:
            return -1
        self.occupant[seat] = -1
        self.left_rep[seat] = rep
        self.attendance.left(seat, self.env.now)
        if self.staff is not None:
            self.staff.left[rep] = self.env.now
        away = seat in self.absent  # away: already out of the pool (or leaving it after the task in hand)
        self.absent.discard(seat)
        if self.res is not None and not away:
            self.leave_pool(seat)
        elif self.rep_res:
            self.rep_res[seat].resize(0)
        return rep

    def leave_pool(self, seat: int) -> None:
        """A pooled seat leaves its pool: now if free and unclaimed, else after the task in hand."""
        pod = self.seat_pod[seat]
        free, res = self.frees[pod], self._pool(pod)
        # only take the seat out now if no granted request is about to claim it
        if seat in free and res.capacity - res.count > 0:
            free.remove(seat)
            res.resize(res.capacity - 1)
        else:
            self.vacating.add(seat)

    def seat_freed(self, seat: int) -> None:
        """A pooled rep finished a task: back to the free list, or gone if leaving.
        (Called before the resource is released, so the next grant sees it.)"""
        pod = self.seat_pod[seat]
        if seat in self.vacating:
            self.vacating.discard(seat)
            res = self._pool(pod)
            res.resize(res.capacity - 1)
        else:
            self.frees[pod].append(seat)

    def fill(self, seat: int, rep: int | None = None) -> int:
        """A new rep takes ``seat`` (a backfill or a new hire; ``rep``: someone
        already known, e.g. a promoted rep); returns their id."""
        now = self.env.now
        self.attendance.filling(seat, now)
        if rep is None:
            if self.staff is not None:
                rep = self.staff.hire(seat, now)
            else:
                rep, self._next_rep = self._next_rep, self._next_rep + 1
        elif self.staff is not None:
            self.staff.seat[rep] = seat
        self.occupant[seat] = rep
        pod = self.seat_pod[seat]
        if self.res is not None:
            if seat in self.vacating:  # the leaver is still busy: no capacity change
                self.vacating.discard(seat)
            else:
                res = self._pool(pod)
                self.frees[pod].append(seat)
                res.resize(res.capacity + 1)
        elif self.rep_res:
            self.rep_res[seat].resize(1)
        self._offer(seat)
        if self.worktime is not None:  # the new rep's calendar, with their absences
            cal = self.worktime.new_rep(self, seat, rep)
            self.seat_cal[seat] = cal
        self.attendance.started(seat, now, self.seat_cal[seat] if self.cal is not None else None)
        return rep

    def _offer(self, seat: int) -> None:  # a rep with room is (back) at work: waiting leads, then a cadence
        waiting = self.waitq[self.seat_pod[seat]]
        while waiting and self.open[seat] < self.max_open:  # leads waiting for an owner
            self.open[seat] += 1
            waiting.popleft().succeed(seat)
        if self.open[seat] < self.max_open and self._on_room:  # e.g. an outbound cadence (RoleRuntime.on_room)
            # told once what is due now has run: a hire is set up (calendar, ramp)
            # before a lead's first task starts (rare: no need to save this event)
            self.env.timeout(0).callbacks.append(partial(self._tell_room, self.seat_pod[seat]))

    def _tell_room(self, pod: int, _event: simpy.Event) -> None:
        for listener in self._on_room:
            listener(pod)

    def _pool(self, pod: int) -> Seats:
        """The seats of ``pod``'s pool: asked only of a pooled role."""
        res = self.pools[pod]
        if res is None:
            raise RuntimeError(f"role {self.name!r} has no pool of seats: its reps own their leads")
        return res

    def add_seat(self, pod: int = 0, rep: int | None = None) -> int:
        """A new seat (headcount + 1) in ``pod``, filled at once."""
        seat = self.headcount
        self.headcount += 1
        self.open.append(0)
        self.open_value.append(0.0)
        self.occupant.append(-1)
        self.left_rep.append(-1)
        self.seat_pod.append(pod if self.podded else 0)
        self.pod_seats[pod if self.podded else 0].append(seat)
        if self.rep_res or (self.owns and not self.unlimited):
            self.rep_res.append(make_seats(self._kind, self.env, 0))
        if self.cal is not None:  # the POD's calendar until the rep's own is drawn (in fill)
            self.seat_cal.append(self.pod_cal[pod if self.podded else 0])
        self.fill(seat, rep)
        return seat

    def booked(self, rep: int, usd: float) -> None:
        """``rep`` won a deal worth ``usd`` (their bookings and wins)."""
        staff = self.staff
        if staff is not None:
            staff.bookings[rep] += usd
            staff.wins[rep] += 1
        else:
            self.rep_bookings[rep] = self.rep_bookings.get(rep, 0.0) + usd

    def away(self, seat: int) -> None:
        """The rep in ``seat`` starts an absence: a pooled seat leaves the pool (after the
        task in hand); an owned seat takes no new leads (its own leads wait for the rep)."""
        self.absent.add(seat)
        if self.res is not None:
            self.leave_pool(seat)

    def back(self, seat: int) -> None:
        """The rep in ``seat`` is back from an absence."""
        self.absent.discard(seat)
        if self.res is not None:
            if seat in self.vacating:  # never left the pool: still on the task in hand
                self.vacating.discard(seat)
            else:
                pod = self.seat_pod[seat]
                res = self._pool(pod)
                self.frees[pod].append(seat)
                res.resize(res.capacity + 1)
        elif self.owns:
            self._offer(seat)

    # -- ownership -----------------------------------------------------------------
    def _pick(self, limit: float, pod: int = 0) -> int:
        """A rep with fewer than ``limit`` open leads by the routing rule, or -1
        (for a podded role, only the seats of ``pod``; never a seat whose rep is away).
        One pass over the POD's seats; round-robin walks on from where it stopped."""
        open_, occ, absent = self.open, self.occupant, self.absent
        rule = self.routing
        if rule == "round_robin":
            n = self.headcount
            start, podded, seat_pod = self._rr, self.podded, self.seat_pod
            for k in range(n):
                i = (start + k) % n
                if open_[i] < limit and occ[i] >= 0 and (not podded or seat_pod[i] == pod) and i not in absent:
                    self._rr = (i + 1) % n
                    return i
            return -1
        if rule == "least_loaded":
            best = -1
            for i in self.pod_seats[pod]:
                o = open_[i]
                if o < limit and occ[i] >= 0 and i not in absent and (best < 0 or o < open_[best]):
                    best = i
            return best
        room = [i for i in self.pod_seats[pod] if open_[i] < limit and occ[i] >= 0 and i not in absent]
        if not room:
            return -1
        return room[min(int(self._u() * len(room)), len(room) - 1)]

    def try_assign(self, limit: float | None = None, pod: int = 0) -> int:
        """Assign an owner now if one has room (and nobody is waiting ahead).
        ``limit`` below ``max_open_per_rep`` keeps room for other work (an
        outbound cadence that only fills a rep's book up to its own cap)."""
        if self.waitq[pod]:
            return -1
        rep = self._pick(self.max_open if limit is None else limit, pod)
        if rep >= 0:
            self.open[rep] += 1
        return rep

    def wait_assign(self, pod: int = 0) -> simpy.Event:
        """An event that succeeds with the rep index when one has room (FIFO)."""
        ev = self.env.event()
        self.waitq[pod].append(ev)
        return ev

    def cancel_wait(self, ev: simpy.Event, pod: int = 0) -> None:
        try:
            self.waitq[pod].remove(ev)
        except ValueError:  # already granted: give the slot back
            if ev.triggered:
                self.release(cast(int, ev.value))  # (the seat it was granted)

    def release(self, rep: int) -> None:
        """A lead leaves its owner: the slot goes to the first waiting lead, if any."""
        pod = self.seat_pod[rep]
        waiting = self.waitq[pod]
        if waiting and self.occupant[rep] < 0:  # a vacant seat takes no new leads
            self.open[rep] -= 1
            other = self._pick(self.max_open, pod)
            if other >= 0:
                self.open[other] += 1
                waiting.popleft().succeed(other)
        elif waiting:
            waiting.popleft().succeed(rep)
        else:
            self.open[rep] -= 1
            for listener in self._on_room:
                listener(pod)

    def on_room(self, listener) -> None:
        """Call ``listener(pod)`` each time a rep of ``pod`` gets room in their book:
        a lead let go with nobody waiting for an owner (at once, from inside
        :meth:`release`: an outbound cadence takes its next account without a SimPy
        event), or a rep (back) at work (once what is due now has run). The
        listener may assign owners and create leads, whose lives may end at once
        and let go again (a listener must not nest itself)."""
        self._on_room.append(listener)

    def serve_job(self, rec, lead: int, job: Job, segment: int, pod: int = 0, seat: int = -1,
                  touch: int = -1, may_return: bool | None = None, expires: float | None = None,
                  since: float | None = None, cancel: simpy.Event | None = None, on_start=None):
        """The one path of a task: request a seat -> work -> free the seat -> release.

        ``job`` says what the task is (its stage, work time, priority: a
        :class:`Job`, or a route's :class:`~sim.model.plan.StepPlan`), ``lead``
        and ``segment`` whom it is for (recorded with the work). The task waits
        in the shared queue of a pooled role (in ``pod``'s pool), in ``seat``'s
        own queue for an owned role, or nowhere for an unlimited role. A
        generator returning ``(wait, rep)``: the wait counted from ``since``
        (default: now) and who did the work; ``(-1.0, -1)`` if nobody started it
        within ``expires`` days, or before ``cancel`` fired (a customer gone:
        nobody works for an account that no longer exists). ``on_start(now)`` is
        called when work starts; ``touch`` >= 0: the lead's first touch.
        ``may_return`` (default: the job's): the caller may ask for a seat here
        again the instant this task ends (see :meth:`~sim.model.seats.Seats.release`).
        Pass the options from ``touch`` on by keyword. (They are not keyword-only:
        CPython looks up every keyword-only default left out in a dict, a cost on
        each task of a run.)"""
        env = self.env
        t0 = env.now
        ready = t0 if since is None else since
        if may_return is None:
            may_return = job.may_return
        pooled = self.res is not None
        res = self.pools[pod] if pooled else (self.rep_res[seat] if seat >= 0 and self.rep_res else None)
        if res is None:  # unlimited capacity: no queue, no seat
            seat = -1
        elif res.take():  # a free seat and nobody waiting
            if pooled:
                seat = self.frees[pod].pop()
        elif expires is None and cancel is None:
            # in line: the grant starts the work (:meth:`start_granted`), and this
            # task wakes once, when the work ends
            wait, occ, seat = yield res.queue(job.prio, Task(env, self.start_granted, rec, lead, job, segment, pod,
                                                             seat, ready, touch, on_start))
            if pooled:  # (_done written out: this is every queued task's path)
                self.seat_freed(seat)
            res.release(None, may_return)
            return wait, occ
        elif cancel is None and expires is not None:  # in line until a deadline (an SLA): see SlaTask
            deadline = t0 + expires
            task = SlaTask(env, self, res, rec, lead, job, segment, pod, seat, ready, touch, on_start, deadline)
            res.queue(job.prio, task)
            env.timeout(expires).callbacks.append(task.expire)
            wait, occ, seat = yield task
            if wait >= 0.0:  # done (_done written out)
                if pooled:
                    self.seat_freed(seat)
                res.release(None, may_return)
                return wait, occ
            if wait == TOO_LATE[0] or not task.granted:
                if not task.granted:
                    res.withdraw(task)
                return -1.0, -1
            # EXPIRED, but granted a seat at the deadline's very instant: start now, as below
            seat = task.seat
            if pooled:
                seat = self.frees[pod].pop()
        else:  # in line, and the task may give up first
            req = res.request(job.prio)
            ev: simpy.Event = req
            if expires is not None:
                ev = ev | env.timeout(expires)
            if cancel is not None:
                ev = ev | cancel
            yield ev
            if not req.triggered:
                req.cancel()
                return -1.0, -1
            if pooled:
                seat = self.frees[pod].pop()
        limit = t0 + expires if expires is not None else math.inf
        begun = self.begin(Task(env, None, rec, lead, job, segment, pod, seat, ready, touch, on_start), seat, limit)
        if begun is None:  # not started within the SLA (the working period begins too late)
            self._done(seat, res, True)
            yield env.timeout(limit - env.now)
            return -1.0, -1
        wait, end, occ = begun
        if end > env.now:
            yield env.timeout(end - env.now)
        if res is not None:  # (_done written out)
            if pooled:
                self.seat_freed(seat)
            res.release(None, may_return)
        return wait, occ

    def attempts(self, rec, lead: int, st, segment: int, pod: int = 0, seat: int = -1, ready: float = -1.0,
                 touch: int = -1) -> Park:
        """The attempts to connect of step ``st`` (a :class:`~sim.model.plan.StepPlan` with
        ``attempts``, ``gap``, ``connect``, ``connect_p``) after a first one that did not connect:
        a park the lead's flow waits on, woken with ``(connected, rep, wait)`` (see :class:`Attempts`).
        ``ready`` >= 0: that first attempt is done here too, as :meth:`serve_job` would (``since=ready``,
        ``touch``), and ``wait`` is its wait."""
        return Attempts(self, rec, lead, st, segment, pod, seat, ready, touch).park

    def start_granted(self, task: Task) -> None:
        """A seat is granted to a task in line: start its work now (or at the rep's
        next working instant) and end the task's event when the work ends, with
        ``(wait, rep, seat)``: one event for the whole task."""
        seat = self.frees[task.pod].pop() if self.res is not None else task.seat
        wait, end, occ = self.begin(task, seat, math.inf)
        task.end_at(end, (wait, occ, seat))

    def start_granted_sla(self, task: SlaTask) -> None:
        """A task with a deadline starts on the seat granted to it: as :meth:`start_granted`,
        but one whose working period starts after the deadline frees the seat at once
        and ends at the deadline with ``TOO_LATE``: nobody worked it."""
        seat = self.frees[task.pod].pop() if self.res is not None else task.seat
        begun = self.begin(task, seat, task.deadline)
        if begun is None:
            self._done(seat, task.res, True)
            task.end_at(task.deadline, TOO_LATE)
            return
        wait, end, occ = begun
        task.end_at(end, (wait, occ, seat))

    def begin(self, task: Task, seat: int, deadline: float):
        """Start ``task`` now in ``seat`` (-1: an unlimited role, no seat): draw its
        work, place it in working time, record it. Returns ``(wait, end, rep)``,
        or None (nothing drawn after, nothing recorded) when the working period
        starts after ``deadline``. With a calendar, a task picked up out of hours
        starts at the next working instant; until then it counts as queued
        (:meth:`queue_length`)."""
        now = self.env.now
        job = task.job
        draw = job.work
        svc = draw() if draw is not None else 0.0
        if seat >= 0:
            occ = self.occupant[seat]
            if occ < 0:  # a leaver finishing a last task
                occ = self.left_rep[seat]
            staff = self.staff
            if staff is not None:  # ramp, selling time, practice and switching (sim.model.people, practice)
                svc = staff.task_days(occ, job.stage, job.prio, svc, now, self.days_per_hour)
            coord = self.coord
            if coord is not None:  # time with teammates, out of deal time (sim.model.coordination)
                stretch = coord.stretch[self.seat_pod[seat]]
                if stretch != 1.0:
                    extra = svc * (stretch - 1.0)
                    svc += extra
                    coord.spent(occ, extra)
        else:
            occ = 0
        ready, touch = task.ready, task.touch
        cal = self.cal
        if cal is None:
            start, end, hours = now, now + svc, svc
        else:
            cal = self.seat_cal[seat] if seat >= 0 else self.pod_cal[task.pod]
            start, end, waited = cal.place(now, svc, ready if touch >= 0 else None)
            if start > deadline:
                return None
            horizon = self.worktime.horizon
            if start > now:
                heapq.heappush(self.held, start)
                if start >= horizon:  # never starts within the run
                    return start - ready, end, occ
            hours = svc if end <= horizon else cal.business(start, horizon)
        wait = start - ready
        if seat >= 0:
            self._until[seat] = end  # a leaver is at work until their last task ends (sim.model.attendance)
        task.rec.work(start, task.lead, job.stage, self.idx, occ, wait, hours, task.segment)
        on_start = task.on_start
        if on_start is not None:
            on_start(start)
        if touch >= 0:
            task.rec.touch(start, touch, self.idx, wait, math.nan if cal is None else waited)
        return wait, end, occ

    def _done(self, seat: int, res, defer) -> None:
        """Free the seat taken (``res`` None: an unlimited role took none); a pooled
        seat goes back to its free list first, so the next grant sees it."""
        if res is not None:
            if self.res is not None:
                self.seat_freed(seat)
            res.release(defer=defer)

    @property
    def waiting(self) -> list[simpy.Event]:
        """Leads waiting for an owner with room, in every POD."""
        queues = self.waitq if self.podded else self.waitq[:1]
        return [ev for q in queues for ev in q]

    def holding(self) -> int:
        """Tasks picked up out of hours that have not started yet."""
        held, now = self.held, self.env.now
        while held and held[0] <= now:
            heapq.heappop(held)
        return len(held)

    def queue_length(self) -> int:
        """Tasks waiting: in the queues, for an owner with room, or for the working period."""
        if self.res is not None:
            pools = self.pools[: (len(self.pools) if self.podded else 1)]
            return sum(r.waiting for r in pools if r is not None) + self.holding()
        return sum(r.waiting for r in self.rep_res) + len(self.waiting) + self.holding()
