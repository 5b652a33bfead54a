"""A task with an SLA (``RoleRuntime.serve_job(..., expires=...)``) waits in line as a
:class:`~sim.model.tasks.SlaTask`: it must do what a seat request raced against a
timer in a SimPy ``AnyOf`` does (the way a task that may also be cancelled still
waits), in the same order at every instant, ties included - which lead is served,
by which rep, when its work is recorded and when it gives up."""

from __future__ import annotations

import numpy as np
import simpy

from sim.model.roles import RoleRuntime
from sim.model.tasks import Job, SlaTask
from sim.scenario.schema import Role


class _Rec:
    def __init__(self, env, log):
        self.env, self.log = env, log

    def work(self, start, lead, stage, role, rep, wait, hours, segment):
        self.log.append(("work", self.env.now, lead, rep, start, wait))

    def touch(self, *args):
        self.log.append(("touch", self.env.now, *args))


def _run(with_cancel: bool, seed: int) -> list:
    """Leads arriving in bursts at the same instants at a pooled role of three reps whose
    tasks all take whole days (so tasks end, seats free up and deadlines fall due together)."""
    env = simpy.Environment()
    log: list = []
    rec = _Rec(env, log)
    role = RoleRuntime(env, 0, "mdr", Role(headcount=3), np.random.default_rng(0), days_per_hour=1 / 24)
    rng = np.random.default_rng(seed)
    jobs = [Job(stage=1, work=lambda d=d: d) for d in (1.0, 2.0)]
    never = env.event() if with_cancel else None  # a cancel that never comes: the AnyOf way

    def lead(i, at, expires, job, may_return):
        yield env.timeout(at)
        wait, occ = yield from role.serve_job(rec, i, job, 0, touch=i % 2 - 1, may_return=may_return,
                                              expires=expires, cancel=never)
        log.append(("done", env.now, i, wait, occ))
        if may_return and wait >= 0:  # straight back to the same role, as an interested prospect does
            wait, occ = yield from role.serve_job(rec, i, jobs[0], 0, expires=1.0, cancel=never)
            log.append(("again", env.now, i, wait, occ))

    for i in range(60):
        at = float(rng.integers(0, 6))
        expires = float(rng.choice([0.0, 0.5, 1.0, 2.0, 3.0, rng.integers(1, 8) / 2]))
        env.process(lead(i, at, expires, jobs[int(rng.integers(0, 2))], bool(rng.integers(0, 2))))
    env.run()
    return log


def test_an_sla_wait_is_a_request_raced_against_its_timer_event_for_event():
    for seed in range(5):
        mine, anyof = _run(False, seed), _run(True, seed)
        assert mine == anyof
        lost = [e for e in mine if e[0] == "done" and e[3] < 0]
        assert lost and len(lost) < 60  # some give up, some are served
    # ties decide: a seat freed at the very instant of a deadline goes to the lead whose wait ends then
    log = _run(False, 0)
    assert any(e[0] == "work" and e[5] in (1.0, 2.0) for e in log)


def test_an_sla_task_is_what_waits_when_nothing_else_can_cancel():
    env = simpy.Environment()
    role = RoleRuntime(env, 0, "mdr", Role(headcount=1), np.random.default_rng(0), days_per_hour=1 / 24)
    assert role.res.take()  # the one rep is busy: a task must wait
    waits = role.serve_job(_Rec(env, []), 0, Job(stage=1, work=lambda: 1.0), 0, expires=0.5)
    assert type(next(waits)) is SlaTask
    gives_up = role.serve_job(_Rec(env, []), 1, Job(stage=1, work=lambda: 1.0), 0, expires=0.5,
                              cancel=env.event())
    assert type(next(gives_up)) is not SlaTask  # (a cancel: the AnyOf way the other test compares with)
