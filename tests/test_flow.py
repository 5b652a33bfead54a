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


def test_a_parked_flow_goes_on_inside_the_call_that_wakes_it():
    """A Park (sim.model.engine): the flow waits for a direct call, not an event; it goes on
    with the value at that instant, inside the call, before the caller's next line, and
    schedules nothing of its own."""
    from sim.model.engine import Park

    env = simpy.Environment()
    seen, parks = [], []

    def life():
        park = Park()
        parks.append(park)
        v = yield park
        seen.append((v, env.now))
        v = yield env.timeout(1.0, "after")
        seen.append((v, env.now))

    Flow(life())
    assert seen == []
    timer = env.timeout(3.0)
    timer.callbacks.append(lambda _ev: (parks[0].wake("woken"), seen.append(("caller", env.now))))
    assert _count_steps(env) == 2  # the timer and the flow's own timeout: no event for the park
    assert seen == [("woken", 3.0), ("caller", 3.0), ("after", 4.0)]
    with pytest.raises(RuntimeError, match="no flow waits"):
        parks[0].wake("again")
