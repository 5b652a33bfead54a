"""Learning and switching by kind of work (issue 22), checked by hand on one rep.

One pooled role ``r1`` with one rep works both steps of a two-step funnel:
the step into ``s1`` is prospecting, the step into ``s2`` a demo. Each task
is 1 work hour on a 40-hour week: 7 / 40 = 0.175 days, before learning and
set-ups; the prospect takes about a day between the two, so the rep's tasks
mix the kinds.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from tests.conftest import build, chain

BASE = 7 / 40


def _data(work_model=None, p=(1.0, 0.5), rate=20.0, **people):
    d = chain(list(p), work_hours=1.0, headcount=1, hours_per_week=40.0, rate_per_week=rate)
    d["steps"]["s2"]["role"] = "r1"
    del d["roles"]["r2"]
    d["roles"]["r1"]["people"] = dict(people)
    d["segments"]["only"]["steps"]["s1"]["elapsed_days"] = {"dist": "exponential", "mean": 1.0}  # the prospect's time
    if work_model is not None:
        d["work_model"] = {"task_kinds": {"s1": "prospecting", "s2": "demo"}, **work_model}
    return d


def _tasks(result):
    ev = result.events
    w = ev[ev.event == "work"].sort_values("t_days", kind="stable")
    return w["stage"].to_numpy(), w["work_days"].to_numpy()


def _run(data, weeks=6, seed=2):
    return sim.simulate(build(data, horizon_weeks=weeks), seed=seed)


def test_a_switch_between_kinds_costs_its_set_up():
    res = _run(_data({"switching": {"setup_hours": 0.5}}, rate=14.0))  # busy enough for runs of one kind
    stages, days = _tasks(res)
    switched = np.r_[False, stages[1:] != stages[:-1]]
    assert 20 < switched.sum() < len(stages) - 20
    # a task of another kind than the previous one: 1 hour + 0.5 hours of set-up
    assert np.allclose(days[switched], 1.5 * BASE) and np.allclose(days[~switched], BASE)
    rep = res.kpis["reps"][0]
    assert rep["switches"] == switched.sum() and rep["switching_hours"] == pytest.approx(0.5 * switched.sum())
    assert rep["hours_prospecting"] + rep["hours_demo"] == pytest.approx(len(stages) + 0.5 * switched.sum(),
                                                                         abs=0.05)
    # one kind of work only: nothing to switch between; and without the section, no set-up at all
    same = _run(_data({"switching": {"setup_hours": 0.5}, "task_kinds": {"s1": "demo", "s2": "demo"}}))
    assert np.allclose(_tasks(same)[1], BASE) and same.kpis["reps"][0]["switches"] == 0
    assert np.allclose(_tasks(_run(_data()))[1], BASE)


def test_switching_shows_in_where_the_hours_went():
    res = _run(_data({"switching": {"setup_hours": 0.5}, "time_use": {"r1": {}}}))
    tu = res.kpis["time_use"]["r1"]
    rep = res.kpis["reps"][0]
    # working hours of the seat: 6 weeks x 40 hours; set-ups over them
    assert tu["switching_share"] == pytest.approx(rep["switching_hours"] / (6 * 40), abs=1e-4)
    assert tu["deal_work_share"] > 0 and sum(v for k, v in tu.items() if k.endswith("_share")) == pytest.approx(
        1.0, abs=1e-3)


def test_practice_speeds_each_kind_along_a_power_law_up_to_the_ceiling():
    """exponent 0.5, prior 10 tasks, ceiling 2: the (n+1)-th task of a kind takes
    0.175 / min(2, sqrt((n + 10) / 10)) days: 30 tasks of practice reach the ceiling."""
    res = _run(_data({"learning": {"exponent": 0.5, "prior_tasks": 10, "ceiling": 2.0}}), weeks=10)
    stages, days = _tasks(res)
    for stage in ("s1", "s2"):
        got = days[stages == stage]
        n = np.arange(len(got))
        assert len(got) > 40
        assert np.allclose(got, BASE / np.minimum(2.0, np.sqrt((n + 10) / 10))), stage
    rep = res.kpis["reps"][0]
    assert rep["practice_prospecting"] == (stages == "s1").sum() and rep["practice_demo"] == (stages == "s2").sum()
    assert rep["learning_ceiling"] == 2.0
    # switched off: every task takes its hour
    assert np.allclose(_tasks(_run(_data(), weeks=10))[1], BASE)


def test_enablement_counts_coached_practice_double():
    res = _run(_data({"learning": {"exponent": 0.5, "prior_tasks": 10, "ceiling": 2.0}}) | {
        "process": {"enablement": {"learning_multiplier": 2.0}}}, weeks=10)
    stages, days = _tasks(res)
    got = days[stages == "s1"]
    n = np.arange(len(got))
    assert np.allclose(got, BASE / np.minimum(2.0, np.sqrt((2 * n + 10) / 10)))


@pytest.mark.parametrize("learning, odds", [(True, 2.0), (False, 1.0)])
def test_practice_lifts_the_odds_of_the_kind_practised(learning, odds):
    """After 30 demos a rep is at the ceiling of 2: a 50% demo converts at
    0.5 x 2 / (0.5 + 0.5 x 2) = 2/3 (binomial check over several hundred later demos; without learning, 1/2)."""
    wm = {"learning": {"exponent": 0.5, "prior_tasks": 10, "ceiling": 2.0}} if learning else {"switching": {
        "setup_hours": 0.0}}
    res = _run(_data(wm, rate=100.0), weeks=20, seed=5)
    ev = res.events
    demos = ev[(ev.event == "work") & (ev.stage == "s2")].sort_values("t_days")["lead"].to_numpy()[40:]
    won = set(ev[ev.event == "won"]["lead"])
    ended = won | set(ev[ev.event.astype(str).str.startswith("lost")]["lead"])
    demos = [lead for lead in demos if lead in ended]
    rate = np.mean([lead in won for lead in demos])
    p = 0.5 * odds / (0.5 + 0.5 * odds)
    assert len(demos) > 300
    assert abs(rate - p) < 4 * np.sqrt(p * (1 - p) / len(demos))


def test_a_ceiling_per_person():
    d = _data({"learning": {}})
    d["roles"]["r1"]["headcount"] = 6
    res = _run(d, weeks=2)
    ceilings = [r["learning_ceiling"] for r in res.kpis["reps"]]
    assert len(set(ceilings)) == 6 and all(c >= 1 for c in ceilings)
    assert 1.0 < np.median(ceilings) < 1.7


def test_learning_checks():
    with pytest.raises(ScenarioError, match="learning_per_task"):
        build(_data({"learning": {}}, learning_per_task=0.01))
    d = _data({"learning": {}})
    d["work_model"]["task_kinds"] = {"s1": "demo"}
    with pytest.raises(ScenarioError, match="kind of work"):
        build(d)
    d["work_model"]["task_kinds"] = {"s1": "demo", "s2": "demo", "s9": "demo"}
    with pytest.raises(ScenarioError, match="unknown step"):
        build(d)


def test_learning_hours_are_the_hours_beyond_full_practice():
    """Learning hours = the hours the rep's tasks took beyond what the same tasks
    take at their ceiling: every task is 1 hour at full speed of an average rep,
    the ceiling 2, so fully practised each takes half an hour, and the learning
    hours are the tasks' hours less half an hour each (from the event log). They
    are counted inside deal work and shown apart in where the hours went."""
    res = _run(_data({"learning": {"exponent": 0.5, "prior_tasks": 10, "ceiling": 2.0}, "time_use": {"r1": {}}}),
               weeks=10)
    _, days = _tasks(res)
    hours = days / days[0]  # the first task (no practice yet) takes its 1 hour: in deal time, which the
    rep = res.kpis["reps"][0]  # time use makes a share of the week, so an hour is more than BASE days
    assert rep["learning_hours"] == pytest.approx(hours.sum() - 0.5 * len(hours), abs=0.01)
    assert 10 < rep["learning_hours"] < 0.5 * len(hours)
    tu = res.kpis["time_use"]["r1"]
    assert tu["learning_share"] == pytest.approx(rep["learning_hours"] / (10 * 40), abs=1e-4)
    assert sum(v for k, v in tu.items() if k.endswith("_share")) == pytest.approx(1.0, abs=1e-3)
    # without learning (switching only) and a team that starts ramped: nothing to learn
    off = _run(_data({"switching": {"setup_hours": 0.0}, "time_use": {"r1": {}}}), weeks=10).kpis
    assert off["reps"][0]["learning_hours"] == 0 and off["time_use"]["r1"]["learning_share"] == 0


def test_learning_hours_count_the_ramp():
    """A hire at week 1 ramps linearly from half speed to full over 20 days
    (ramp_start 0.5): a task of 1 hour at full speed started on day t after the hire
    takes 1 / (0.5 + 0.5 t / 20) hours, of which 1 / ramp - 1 are learning. The
    starting rep (ramped) learns nothing."""
    d = _data({"time_use": {"r1": {}}}, ramp_days=20.0, ramp_start=0.5, rate=40.0)
    d["timeline"] = [{"week": 1, "action": "hire", "role": "r1"}]
    res = _run(d, weeks=6)
    ev = res.events
    w = ev[(ev.event == "work") & (ev.rep == 1)]
    assert len(w) > 20
    hours = w["work_days"].to_numpy() / ev[(ev.event == "work") & (ev.rep == 0)]["work_days"].iloc[0]  # ramped: 1 h
    reps = {r["rep"]: r for r in res.kpis["reps"]}
    assert reps[0]["learning_hours"] == 0
    assert reps[1]["learning_hours"] == pytest.approx((hours - 1.0).sum(), abs=0.01)
    assert reps[1]["learning_hours"] > 2
