"""Inbound arrivals (:class:`sim.model.sources.InboundSource`): a non-homogeneous
Poisson process by thinning, whose rejected candidates cost no event when the
rate is a function of time alone."""

from __future__ import annotations

import signal

import pandas as pd
import pytest

import sim
from sim.model import sources
from tests.conftest import SCENARIOS, chain


def _events(monkeypatch, scenario, *, steady: bool = True, seed: int = 3, weeks: float = 6):
    """The event log of a run, with the sources' thinning ahead (``steady``) or one event per candidate."""
    with monkeypatch.context() as m:
        if not steady:
            original_init = sources.InboundSource.__init__

            def one_event_each(self, *args, **kw):
                original_init(self, *args, **kw)
                self.steady = False

            m.setattr(sources.InboundSource, "__init__", one_event_each)
        return sim.simulate(scenario, seed=seed, weeks=weeks, record="events").events


def test_thinning_ahead_gives_the_arrivals_of_one_event_per_candidate(monkeypatch):
    """An inbound source whose rate depends on time alone (no shock in the timeline) draws the
    candidates its thinning rejects ahead, without an event each (``InboundSource._next_kept``):
    the events of a run, lead by lead and to the last digit, are those of the event-per-candidate
    path (``steady`` off). mid_size thins by month and hour of the week."""
    scenario = sim.load_scenario(SCENARIOS / "mid_size.yaml")
    calls = []
    original = sources.InboundSource._next_kept

    def counted(self):
        calls.append(1)
        return original(self)

    with monkeypatch.context() as m:
        m.setattr(sources.InboundSource, "_next_kept", counted)
        ahead = _events(monkeypatch, scenario)
    assert len(calls) > 200  # (the path under test is the one taken)
    each = _events(monkeypatch, scenario, steady=False)
    assert (ahead["event"] == "created").sum() > 200
    pd.testing.assert_frame_equal(ahead, each, check_exact=True)


def test_a_kept_arrival_no_single_delay_reaches_is_waited_for_step_by_step(monkeypatch):
    """When ``now + (t - now)`` is not ``t`` in floating point, the kept arrival is reached by
    the chain of timeouts SimPy would have run (:func:`sources.exact_delay` says None); forced on
    every arrival here, the run is still the event-per-candidate one, to the last digit."""
    assert sources.exact_delay(0.0, 0.3) == 0.3
    assert sources.exact_delay(0.47560254216960085, 3.4685793929774493) is None  # now + (t - now) lands one step off
    scenario = sim.load_scenario(SCENARIOS / "mid_size.yaml")
    with monkeypatch.context() as m:
        m.setattr(sources, "exact_delay", lambda now, t: None)
        chained = _events(monkeypatch, scenario)
    each = _events(monkeypatch, scenario, steady=False)
    pd.testing.assert_frame_equal(chained, each, check_exact=True)


def _alarm(signum, frame):
    raise TimeoutError("an inbound source kept drawing candidates")


def test_a_rate_falling_towards_zero_stops_drawing_at_the_end_of_the_run():
    """A trend of -90% a year takes the rate below what a double holds long after the run ends:
    drawing ahead stops at the horizon (a candidate past it is never reached), so every run ends,
    and the leads that arrive follow the falling rate (the first half year has most of them)."""
    data = chain([1.0], rate_per_week=2.0)
    data["horizon_weeks"] = 104
    data["sources"]["web"]["trend_per_year"] = -0.9
    scenario = sim.validate_data(data)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    try:
        early = late = 0
        for seed in range(1, 21):
            created = sim.simulate(scenario, seed=seed, record="events").events
            t = created.loc[created["event"] == "created", "t_days"]
            early += int((t < 182).sum())
            late += int((t >= 546).sum())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    # expected leads a run: 2/7 per day x integral of 0.1**(t/365): ~152 in [0, 182), ~5 in [546, 728)
    assert early > 10 * late
    assert early == pytest.approx(20 * 2 / 7 * 365 / 2.302585 * (1 - 0.1 ** (182 / 365)), rel=0.1)
