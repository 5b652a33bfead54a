"""Seats whose number follows the team: growing grants waiting requests at
once, shrinking never interrupts a task in progress."""

from __future__ import annotations

import simpy

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
        assert res.count == 0 and len(res.queue) == 1


def test_zero_seats_is_allowed():
    env = simpy.Environment()
    res = make_seats(Seats, env, 0)
    req = res.request()
    env.run(until=1.0)
    assert not req.triggered
    res.resize(1)
    env.run(until=2.0)
    assert req.triggered
