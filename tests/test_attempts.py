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
