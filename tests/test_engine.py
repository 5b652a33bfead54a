"""The engine's own scheduling (:mod:`sim.model.engine`): a task's place in line that is
also its end (:class:`TaskDone`), and one wake-up at the earliest time asked
(:class:`Alarm`). :class:`Flow` has its own tests (``test_flow.py``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from sim.model.engine import Alarm, Flow, TaskDone


def _run(env: simpy.Environment) -> int:
    n = 0
    while env.peek() < math.inf:
        env.step()
        n += 1
    return n


def test_a_task_done_is_a_simpy_event_a_process_and_a_flow_wait_on():
    """A TaskDone is an ordinary SimPy event: pending until its grant ends it at a
    time, then processed then with its value, for a process and a flow alike."""
    env = simpy.Environment()
    seen = []
    a = TaskDone(env, on_grant=None, task="a")
    b = TaskDone(env, on_grant=None, task="b")
    assert isinstance(a, simpy.Event) and not a.triggered and not a.processed

    def proc():
        v = yield a
        seen.append(("process", v, env.now))

    def life():
        v = yield b
        seen.append(("flow", v, env.now))

    env.process(proc())
    Flow(life())
    env.run(until=1.0)
    assert seen == []
    a.end_at(3.5, (0.5, 7))  # granted at t=1, the work ends at 3.5
    b.end_at(1.0, "now")
    assert a.triggered and not a.processed
    _run(env)
    assert seen == [("flow", "now", 1.0), ("process", (0.5, 7), 3.5)]


def test_a_task_done_never_ends_before_now():
    """As SimPy refuses a Timeout with a negative delay."""
    env = simpy.Environment()
    env.run(until=2.0)
    with pytest.raises(ValueError, match="before now"):
        TaskDone(env, on_grant=None, task=None).end_at(1.0, None)


def test_an_alarm_fires_once_at_the_earliest_time_asked():
    env = simpy.Environment()
    fired = []
    alarm = Alarm(env, lambda: fired.append(env.now))
    alarm.set(5.0)
    alarm.set(7.0)  # later than the pending one: nothing changes
    alarm.set(3.0)  # earlier: supersedes it
    assert alarm.pending == 3.0
    env.run()
    assert fired == [3.0] and env.now == 5.0  # the superseded timer fired too, and was ignored
    assert alarm.pending == math.inf
    alarm.set(6.0)  # after a wake-up a new one may be asked for
    env.run()
    assert fired == [3.0, 6.0]


def test_an_alarm_is_never_late_in_floating_point():
    """The clock adds the delay to now: for times where ``now + (t - now)``
    rounds above ``t`` the alarm still fires at ``t`` or just before, never after."""
    rng = np.random.default_rng(1)
    late = 0
    for _ in range(300):
        env = simpy.Environment()
        start, t = sorted(rng.uniform(0.0, 500.0, 2))
        env.run(until=start)
        fired = []
        Alarm(env, lambda env=env, fired=fired: fired.append(env.now)).set(t)
        env.run()
        assert fired and fired[0] <= t and t - fired[0] < 1e-9
        late += start + (t - start) > t  # the plain delay would have been late
    assert late > 0  # the rounding case does occur among these times
