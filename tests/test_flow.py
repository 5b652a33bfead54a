"""A lead's life without a SimPy process (:class:`sim.model.engine.Flow`): it
sees what a process would see (values, already-processed events, failures
thrown in), and schedules no events of its own."""

from __future__ import annotations

import pytest
import simpy

from sim.model.engine import Flow


def _count_steps(env: simpy.Environment) -> int:
    n = 0
    while env.peek() < float("inf"):
        env.step()
        n += 1
    return n


def _life(env, seen, done_event):
    seen.append(("start", env.now))
    v = yield env.timeout(2.0, "a")
    seen.append((v, env.now))
    v = yield done_event  # processed long ago: goes on at once
    seen.append((v, env.now))
    bad = env.event()
    bad.fail(ValueError("no room"))
    try:
        yield bad
    except ValueError as exc:
        seen.append((str(exc), env.now))
    v = yield env.timeout(1.0, "b") | env.timeout(5.0, "c")
    seen.append((sorted(v.values()), env.now))


@pytest.mark.parametrize("driver", ["flow", "process"])
def test_a_flow_sees_what_a_process_sees(driver):
    env = simpy.Environment()
    done = env.timeout(0.0, "old")
    env.run(until=0.5)
    seen = []
    if driver == "flow":
        Flow(_life(env, seen, done))
        assert seen == [("start", 0.5)]  # started inside the call
    else:
        env.process(_life(env, seen, done))
        assert seen == []  # a process starts once what is due now has run
    env.run()
    assert seen == [("start", 0.5), ("a", 2.5), ("old", 2.5), ("no room", 2.5), (["b"], 3.5)]


def test_a_flow_schedules_no_start_and_no_end_event():
    counts = {}
    for driver in ("flow", "process"):
        env = simpy.Environment()

        def life(env=env):
            yield env.timeout(1.0)
            yield env.timeout(1.0)

        for _ in range(10):
            Flow(life()) if driver == "flow" else env.process(life())
        counts[driver] = _count_steps(env)
    assert counts == {"flow": 20, "process": 20 + 10 + 10}


def test_an_error_in_a_flow_reaches_whoever_runs_the_environment():
    env = simpy.Environment()

    def life():
        yield env.timeout(1.0)
        raise RuntimeError("boom")

    Flow(life())
    with pytest.raises(RuntimeError, match="boom"):
        env.run()
