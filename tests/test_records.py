"""Records: the event log and the KPI-only tally must tell the same story."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.records.facts import Kind


def _assert_facts_equal(a, b):
    assert np.array_equal(a.created_by_source, b.created_by_source)
    assert np.array_equal(a.entries, b.entries)
    assert a.lost.keys() == b.lost.keys()
    for k in a.lost:
        assert np.array_equal(a.lost[k], b.lost[k]), k
    for x, y in zip(a.dwell, b.dwell, strict=True):
        assert np.allclose(np.sort(x), np.sort(y))
    assert np.array_equal(a.won_by_segment, b.won_by_segment)
    assert np.allclose(a.bookings_by_segment, b.bookings_by_segment)
    assert a.list_value_won_usd == pytest.approx(b.list_value_won_usd)
    for x, y in zip(a.busy_days, b.busy_days, strict=True):
        assert np.allclose(x, y)
    assert np.allclose(a.wait_sum_days, b.wait_sum_days)
    assert np.array_equal(a.tasks, b.tasks)
    for k in a.weekly:
        assert np.allclose(a.weekly[k], b.weekly[k]), k
    assert np.array_equal(a.wip, b.wip)
    assert np.array_equal(a.final_wip, b.final_wip)


@pytest.mark.parametrize("fixture", ["small_team", "mid_size"])
def test_tally_equals_event_log(fixture, request):
    scenario = request.getfixturevalue(fixture)
    full = sim.simulate(scenario, seed=8, weeks=26, record="events")
    lean = sim.simulate(scenario, seed=8, weeks=26, record="kpis")
    _assert_facts_equal(full.facts, lean.facts)
    assert full.kpis == lean.kpis
    assert lean.log is None
    with pytest.raises(ValueError, match="KPIs only"):
        _ = lean.events


def test_event_log_is_columnar_and_compact(small_team):
    result = sim.simulate(small_team, seed=1, weeks=26)
    log = result.log
    cols = log.columns()
    assert {c.dtype.kind for c in cols.values()} <= {"f", "i"}
    assert len(log) == len(cols["t"]) + len(log.lead_columns()["t"]) == len(result.events) > 1000
    # about 40 bytes an event (8 typed columns), leads table included
    assert log.nbytes() / len(log) < 60


def test_event_frame_is_self_describing(small_team):
    result = sim.simulate(small_team, seed=2, weeks=12)
    ev, leads = result.events, result.leads
    assert set(ev.event.cat.categories) == {k.name.lower() for k in Kind}
    work = ev[ev.event == "work"]
    assert work.wait_days.notna().all() and work.work_days.notna().all()
    assert work.role.notna().all()
    assert ev[ev.event == "advance"].dwell_days.notna().all()
    won = leads[leads.outcome == "won"]
    assert (won.booked_usd > 0).all()
    assert (won.booked_usd <= won.acv_list_usd).all()  # a discount never raises the price
    assert (won.outcome_stage == "won").all()
    assert won.booked_usd.sum() == pytest.approx(result.kpis["bookings_usd"], abs=0.05)
    # events are in time order (the simulation clock never goes back)
    assert (np.diff(ev.t_days.to_numpy()) >= 0).all()


def test_weekly_series_adds_up(small_team):
    result = sim.simulate(small_team, seed=5, weeks=20)
    w = result.weekly
    k = result.kpis
    assert len(w) == 20
    assert w.created.sum() == k["leads_created"]
    assert w.won.sum() == k["leads_won"]
    assert w.lost.sum() == k["leads_lost"]
    assert w.bookings_usd.sum() == pytest.approx(k["bookings_usd"], abs=0.05)
    assert {"pipeline_sql", "queue_ae"} <= set(w.columns)


def test_result_tables_are_built_once(small_team):
    """Weekly series, timeline, events and leads are built on first access and
    kept (building the weekly table runs the revenue and economics metrics)."""
    result = sim.simulate(small_team, seed=1, weeks=8)
    for name in ("weekly", "timeline", "events", "leads"):
        assert getattr(result, name) is getattr(result, name), name
