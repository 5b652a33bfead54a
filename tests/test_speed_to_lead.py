"""Speed to lead as an uncertain effect (``speed_to_lead.causal_share``,
docs/background.md#speed-to-lead): the curve a lead's conversion follows is the
cross-firm association raised to ``causal_share``; 1 gives the association as
it is (salesim's curve before the key), 0 no effect."""

from __future__ import annotations

import math

import pytest
from scipy import stats

import sim
from sim.experiments.study.study_file import load_study
from sim.scenario.schema import DEFAULT_SPEED_TO_LEAD_CURVE, SpeedToLead
from tests.conftest import SCENARIOS, build, chain


def test_the_default_is_the_milder_causal_reading():
    """By hand: 0.35 ** 0.15 = 0.854 after an hour, 0.0167 ** 0.15 = 0.541 after a day."""
    curve = dict(SpeedToLead().effective_curve())
    assert curve[1.0] == pytest.approx(math.exp(0.15 * math.log(0.35)))
    assert curve[1.0] == pytest.approx(0.854, abs=0.001)
    assert curve[24.0] == pytest.approx(0.541, abs=0.001)
    assert curve[0.0] == 1.0


def test_a_causal_share_of_one_is_the_old_curve_and_zero_no_effect():
    assert SpeedToLead(causal_share=1.0).effective_curve() == [(float(h), float(m))
                                                                for h, m in DEFAULT_SPEED_TO_LEAD_CURVE]
    assert all(m == 1.0 for _h, m in SpeedToLead(causal_share=0.0).effective_curve())


def _late_and_early(share: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """One overloaded rep (load 0.8) at s1 (p = 0.5): leads picked up within an hour convert at
    0.5, later ones at 0.5 x 0.25 ** share (a step curve at 1 h)."""
    data = chain([0.5, 0.6], rate_per_week=64, headcount=[1, None],
                 work_hours=[{"dist": "exponential", "mean": 0.5}, 0.0], hours_per_week=40)
    data["steps"]["s1"]["speed_to_lead"] = True
    data["speed_to_lead"] = {"curve_hours": [[0, 1.0], [1, 1.0], [1.01, 0.25]], "causal_share": share}
    result = sim.simulate(build(data, horizon_weeks=16), seed=2)
    ev = result.events
    work = ev[(ev.event == "work") & (ev.stage == "s1")].set_index("lead")
    leads = result.leads.set_index("lead").loc[work.index]
    moved = leads.outcome_stage.cat.codes >= 1
    late, early = work.wait_days * 24 > 1.01, work.wait_days * 24 < 1.0
    return (int((moved & late).sum()), int(late.sum())), (int((moved & early).sum()), int(early.sum()))


@pytest.mark.parametrize("share", [0.5, 1.0])
def test_the_share_sets_how_much_a_late_lead_loses(share):
    """Late leads convert at 0.5 x 0.25 ** share: 0.25 at a share of 0.5, 0.125 at 1 (the
    association taken whole). Fails if the share is ignored (0.125 for both) or applied to the
    early leads too."""
    (k_late, n_late), (k_early, n_early) = _late_and_early(share)
    assert n_late > 100 and n_early > 100
    assert stats.binomtest(k_late, n_late, 0.5 * 0.25 ** share).pvalue > 0.001
    assert stats.binomtest(k_early, n_early, 0.5).pvalue > 0.001
    other = 0.5 * 0.25 ** (1.5 - share)  # the other share's rate (0.125 vs 0.25) is rejected
    assert stats.binomtest(k_late, n_late, other).pvalue < 0.001


STUDIES = sorted(p for p in (SCENARIOS / "studies").rglob("*.yaml") if "factors:" in p.read_text())
# studies not yet on a working calendar, each to be moved by its owner (a list that may only shrink):
# org_design (the robust study) landed with the work-model variants of the triangles, which have no office-hours
# version yet
NOT_YET = {"org_design.yaml"}


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.name)
def test_every_shipped_study_runs_on_a_working_calendar(path):
    """Without a calendar a rep works around the clock and nobody waits for the morning: the
    speed-to-lead decay would act on queue waits only. (Fails on the study files before they had
    office hours: org_design, team_size, pod_split and star_departure.)"""
    if path.name in NOT_YET:
        pytest.xfail(f"{path.name}: not on a working calendar yet")
    cells = load_study(path).cells
    # a team without a capacity limit (the compound-effect claims' seven_steps) keeps no lead waiting
    waits = [c for c in cells if any(not r.unlimited_capacity for r in c.scenario.roles.values())]
    assert [c.label for c in waits if c.scenario.calendar is None] == []
