"""An outbound first touch's attempts to connect (``sources.<name>.attempts``), the further
ones run as callbacks (:meth:`sim.model.roles.RoleRuntime.attempts`): a lead lost for no
contact was called exactly ``max_attempts`` times, and the number of calls per lead follows
the truncated geometric law of ``connect_probability``."""

from __future__ import annotations

from pathlib import Path

import sim

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "seed_worked_example.yaml"


def test_attempts_to_connect_follow_the_scenario():
    scenario = sim.load_scenario(SCENARIO)
    src = scenario.sources["target_accounts"].attempts
    n_max, p = src.max_attempts, src.connect_probability
    assert n_max > 2 and p < 0.5  # a case where the further attempts matter
    events, _ = sim.simulate(scenario, seed=3, weeks=52, record="events").log.frames()
    work = events[events.event == "work"]
    first = work.groupby("lead").stage.first().astype(str)
    calls = work[work.stage.astype(str) == work.lead.map(first)].groupby("lead").size()
    ends = (events[events.event.isin(["lost_no_contact", "lost_conversion", "advance"])]
            .groupby("lead").event.first().astype(str))
    ended = calls[ends.index.intersection(calls.index)]
    assert len(ended) > 500
    assert calls.max() == n_max
    no_contact = ends[ends == "lost_no_contact"].index
    assert len(no_contact) > 30 and (calls[no_contact] == n_max).all()
    expected_calls = (1 - (1 - p) ** n_max) / p  # mean of a geometric number of calls cut at n_max
    assert abs(ended.mean() - expected_calls) < 0.25
    assert abs(len(no_contact) / len(ended) - (1 - p) ** n_max) < 0.04


class _Step:
    """What a lead's attempts read of a step (a StepPlan's fields): whole-day work and gaps, so
    that attempts end, seats free up and gaps end at the same instants."""

    def __init__(self, rng, attempts=4, prio=0):
        self.stage, self.prio, self.may_return, self.attempts, self.connect_p = 1, prio, True, attempts, 0.3
        self.work = lambda: float(rng.integers(0, 3))
        self.gap = lambda: float(rng.integers(1, 3))
        self.connect = rng.random


def _attempts_log(first_as_callback: bool, seed: int) -> list:
    import numpy as np
    import simpy

    from sim.model.engine import Flow
    from sim.model.roles import RoleRuntime
    from sim.scenario.schema import Role

    env = simpy.Environment()
    log: list = []

    class Rec:
        def work(self, start, lead, stage, role, rep, wait, hours, segment):
            log.append(("work", env.now, lead, rep, wait))

        def touch(self, t, touch, role, wait, waited):
            log.append(("touch", env.now, t, touch, wait))

    rec = Rec()
    role = RoleRuntime(env, 0, "sdr", Role(headcount=2, owns_leads=True), np.random.default_rng(0),
                       days_per_hour=1 / 24, prioritized=True)
    rng = np.random.default_rng(seed)
    st = _Step(rng)

    def life(i, owner):
        ready = env.now
        if i % 3 == 0:  # waited for an owner: the first attempt's wait counts from ready
            yield env.timeout(1.0)
        connected = st.connect() < st.connect_p
        if not connected and first_as_callback:
            connected, occ, wait = yield role.attempts(rec, i, st, 0, 0, owner, ready, i % 2)
        else:
            wait, occ = yield from role.serve_job(rec, i, st, 0, 0, owner, touch=i % 2, since=ready,
                                                  may_return=connected and st.may_return)
            if not connected:
                connected, occ, _ = yield role.attempts(rec, i, st, 0, 0, owner)
        log.append(("woken", env.now, i, connected, occ, wait))

    def arrivals():
        for i in range(80):
            yield env.timeout(float(rng.integers(0, 2)))
            Flow(life(i, i % 2))

    env.process(arrivals())
    env.run()
    return log


def test_a_first_attempt_done_with_the_further_ones_changes_no_event():
    """The first call of a step that does not connect is done as one of the further attempts'
    callbacks (RoleRuntime.attempts with ``ready``): the same tasks, waits, first touches and
    wake-ups, in the same order at every instant, as when the lead does it and then asks for the
    further ones."""
    for seed in range(4):
        folded, apart = _attempts_log(True, seed), _attempts_log(False, seed)
        assert folded == apart
        assert sum(e[0] == "work" for e in folded) > 150
