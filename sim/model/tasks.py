"""A task of a role: what it asks (a :class:`Job`, or a route's
:class:`~sim.model.plan.StepPlan`, which has the same fields) and whom it is for
(a :class:`Task`); a task that waits in line is also the event of its end
(:class:`~sim.model.engine.TaskDone`), and one that waits with an SLA is an
:class:`SlaTask`, the same event plus a timer at its deadline.

The role that serves them is :class:`~sim.model.roles.RoleRuntime`: the grant
starts a waiting task's work (:meth:`~sim.model.roles.RoleRuntime.start_granted`,
:meth:`~sim.model.roles.RoleRuntime.start_granted_sla`), which ends its event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import simpy

from sim.model.draws import Draw
from sim.model.engine import TaskDone, after_now

if TYPE_CHECKING:
    from sim.model.roles import RoleRuntime
    from sim.model.seats import Seats


@dataclass(frozen=True, slots=True)
class Job:
    """What a task asks of a role, the same for every task of its kind: the
    ``stage`` its work is recorded under (customer work: ``vocab.ONBOARDING_WORK``
    or ``ACCOUNT_WORK``), the draw of its ``work`` time in days (None: no work), its queue priority ``prio`` (lower
    first) and whether the caller ``may_return`` for a seat here the instant the
    task ends (see :meth:`~sim.model.seats.Seats.release`). A route's steps
    (:class:`~sim.model.plan.StepPlan`) have these fields too."""

    stage: int
    work: Draw | None
    prio: int = 0
    may_return: bool = False




class Task(TaskDone):
    """One task of a role, as :meth:`~sim.model.roles.RoleRuntime.serve_job` was asked for it:
    whom it is for (``rec``, the recorder; ``lead``, ``segment``, ``pod``; the
    owner's ``seat`` for an owned role), what it asks (``job``), when its wait is
    counted from (``ready``), whether it is the lead's first touch (``touch`` >=
    0) and what to call when the work starts (``on_start(t)``). A task that waits
    in line is also the event of its end (a :class:`~sim.model.engine.TaskDone`):
    the grant starts it (:meth:`~sim.model.roles.RoleRuntime.start_granted`) and schedules it at the
    work's end; a task that finds a free seat is started at once and its event
    is never used."""

    __slots__ = ("rec", "lead", "job", "segment", "pod", "seat", "ready", "touch", "on_start")

    def __init__(self, env: simpy.Environment, on_grant, rec, lead: int, job: Job, segment: int, pod: int,
                 seat: int, ready: float, touch: int, on_start) -> None:
        simpy.Event.__init__(self, env)
        self.on_grant = on_grant
        self.rec = rec
        self.lead = lead
        self.job = job
        self.segment = segment
        self.pod = pod
        self.seat = seat
        self.ready = ready
        self.touch = touch
        self.on_start = on_start


EXPIRED = (-1.0, -1, -1)  # an SlaTask's value when its deadline came first (the lead checks it was not granted)
TOO_LATE = (-2.0, -1, -1)  # its value when granted, but the working period starts after the deadline


class SlaTask(Task):
    """A task in line that gives up if no seat is granted by its deadline (an
    SLA, ``expires`` days after it asked), and the event of its end.

    Its steps are the order of events of a request raced against a timer (a
    SimPy ``AnyOf`` of the two, which it replaces at a fraction of the cost):
    the grant (``granted``) is heard one event later (``_heard``), and the work
    starts one event after that (``_start``, :meth:`~sim.model.roles.RoleRuntime.start_granted_sla`),
    unless the deadline's timer was heard first (``fired``: :meth:`expire` ends
    this event at once with ``EXPIRED``). The waiting lead then finds either the
    work done, or ``TOO_LATE`` (granted, but the working period began after the
    deadline: the seat was freed at once), or ``EXPIRED``: if a seat was granted
    meanwhile, at that same instant, it goes on with it; else it leaves the line
    (:meth:`~sim.model.seats.Seats.withdraw`)."""

    __slots__ = ("role", "res", "deadline", "granted", "fired", "withdrawn")

    def __init__(self, env: simpy.Environment, role: RoleRuntime, res: Seats, rec, lead: int, job: Job,
                 segment: int, pod: int, seat: int, ready: float, touch: int, on_start, deadline: float) -> None:
        Task.__init__(self, env, _sla_granted, rec, lead, job, segment, pod, seat, ready, touch, on_start)
        self.role = role
        self.res = res
        self.deadline = deadline
        self.granted = False
        self.fired = False
        self.withdrawn = False

    def _heard(self, _event) -> None:
        if not self.fired:  # (the timer heard first: the lead decides, :meth:`expire`)
            self.fired = True
            after_now(self.env, self._start)

    def _start(self, _event) -> None:
        self.role.start_granted_sla(self)

    def expire(self, _event) -> None:
        """The deadline's timer."""
        if not self.fired:
            self.fired = True
            self.end_at(self.env.now, EXPIRED)


def _sla_granted(task: SlaTask) -> None:
    """A seat is granted to ``task`` (its ``on_grant``): heard one event later."""
    task.granted = True
    after_now(task.env, task._heard)


