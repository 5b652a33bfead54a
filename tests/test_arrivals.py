"""Inbound arrivals (:class:`sim.model.sources.InboundSource`): a non-homogeneous
Poisson process by thinning, whose rejected candidates cost no event when the
rate is a function of time alone."""

from __future__ import annotations

import pandas as pd

import sim
from tests.conftest import SCENARIOS


def test_thinning_ahead_gives_the_arrivals_of_one_event_per_candidate(monkeypatch):
    """An inbound source whose rate depends on time alone (no shock in the timeline) draws the
    candidates its thinning rejects ahead, without an event each (``InboundSource._next_kept``):
    the events of a run, lead by lead and to the last digit, are those of the event-per-candidate
    path (``steady`` off). mid_size thins by month and hour of the week."""
    from sim.model import sources

    scenario = sim.load_scenario(SCENARIOS / "mid_size.yaml")
    ahead = sim.simulate(scenario, seed=3, weeks=6, record="events").events
    calls = []
    original = sources.InboundSource._next_kept

    def counted(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(sources.InboundSource, "_next_kept", counted)
    sim.simulate(scenario, seed=3, weeks=6, record="kpis")
    assert calls  # (the path under test is the one taken)
    original_init = sources.InboundSource.__init__

    def one_event_each(self, *args, **kw):
        original_init(self, *args, **kw)
        self.steady = False

    monkeypatch.setattr(sources.InboundSource, "__init__", one_event_each)
    each = sim.simulate(scenario, seed=3, weeks=6, record="events").events
    assert (ahead["event"] == "created").sum() > 200
    pd.testing.assert_frame_equal(ahead, each)
