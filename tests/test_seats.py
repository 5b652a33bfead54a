"""Seats whose number follows the team: growing grants waiting requests at
once, shrinking never interrupts a task in progress."""

from __future__ import annotations

import pytest
import simpy

from sim.model.engine import TaskDone
from sim.model.seats import PrioritySeats, Seats, make_seats


def _grants(kind):
    env = simpy.Environment()
    res = make_seats(kind, env, 1)
    granted = []

    def user(name, hold):
        req = res.request()
        yield req
        granted.append((name, env.now))
        yield env.timeout(hold)
        res.release(req)

    for name in "abc":
        env.process(user(name, 10.0))

    def manager():
        yield env.timeout(1.0)
        res.resize(2)  # a hire: one waiting request is granted now
        yield env.timeout(1.0)
        res.resize(0)  # everyone leaves: tasks in progress finish, nothing new starts

    env.process(manager())
    env.run(until=100.0)
    return granted, res


def test_growing_grants_a_waiting_request_at_once():
    for kind in (Seats, PrioritySeats):
        granted, _ = _grants(kind)
        assert granted[:2] == [("a", 0.0), ("b", 1.0)]


def test_shrinking_lets_tasks_in_progress_finish_and_starts_nothing_new():
    for kind in (Seats, PrioritySeats):
        granted, res = _grants(kind)
        assert [g[0] for g in granted] == ["a", "b"]  # c never served: no seat left
        assert res.count == 0 and res.waiting == 1


def test_zero_seats_is_allowed():
    env = simpy.Environment()
    res = make_seats(Seats, env, 0)
    req = res.request()
    env.run(until=1.0)
    assert not req.triggered
    res.resize(1)
    env.run(until=2.0)
    assert req.triggered


def _workload(make, seed: int, priorities: bool):
    """Tasks arriving at random with random priorities and holds, some giving up
    after a patience; returns who was granted when, in order."""
    import random

    rng = random.Random(seed)
    env = simpy.Environment()
    res = make(env)
    log = []

    def task(i, prio, hold, patience):
        req = res.request(priority=prio) if priorities else res.request()
        if patience is not None:
            yield req | env.timeout(patience)
            if not req.triggered:
                req.cancel()
                log.append((i, "gave up", env.now))
                return
        else:
            yield req
        log.append((i, "granted", env.now))
        yield env.timeout(hold)
        res.release(req)

    def arrivals():
        for i in range(400):
            yield env.timeout(rng.choice([0.0, rng.expovariate(2.0)]))  # ties on purpose
            patience = rng.choice([None, None, rng.uniform(0.1, 3.0)])
            env.process(task(i, rng.randrange(4), rng.choice([0.5, rng.expovariate(0.8)]), patience))

    env.process(arrivals())
    env.run()
    return log


def test_seats_serve_in_the_order_of_simpys_own_resources():
    """Same grants at the same times as simpy.PriorityResource / simpy.Resource
    (with ties and requests that give up), but from a heap."""
    for seed in range(5):
        assert (_workload(lambda env: PrioritySeats(env, 3), seed, True)
                == _workload(lambda env: simpy.PriorityResource(env, 3), seed, True))
        assert (_workload(lambda env: Seats(env, 2), seed, False)
                == _workload(lambda env: simpy.Resource(env, 2), seed, False))


@pytest.mark.parametrize("kind", [Seats, PrioritySeats])
def test_a_grant_hook_starts_the_task_and_wakes_its_requester_once_at_the_end(kind):
    """A task's ``on_grant`` replaces the grant's own event: the hook runs the instant a
    seat is granted (in line order) and schedules the task's event at the end of
    its work, so the requester is woken once, when the work ends."""
    env = simpy.Environment()
    res = make_seats(kind, env, 1)
    log, woken, reqs = [], [], []

    def hook(req):
        log.append((req.task, env.now))
        req.end_at(env.now + 2.0, req.task)

    def user(name, prio):
        if res.take():
            yield env.timeout(2.0)
            woken.append((name, env.now))
        else:
            req = res.queue(prio, TaskDone(env, hook, name))
            reqs.append(req)
            got = yield req
            woken.append((got, env.now))
        res.release(defer=False)

    for name, prio in (("a", 0), ("b", 1), ("c", 0)):
        env.process(user(name, prio))
    events = [0]
    while env.peek() < float("inf"):
        env.step()
        events[0] += 1
    first, second = ("c", "b") if kind is PrioritySeats else ("b", "c")
    assert log == [(first, 2.0), (second, 4.0)]
    assert woken == [("a", 2.0), (first, 4.0), (second, 6.0)]
    assert all(isinstance(r, TaskDone) for r in reqs)
    # each process starts and ends (3 + 3) and each task is one timeout (3):
    # the two grants schedule nothing (a plain request would add one event each)
    assert events[0] == 3 + 3 + 3
