"""Win-rate stability around its trend: a steady rise is not instability (issue 25)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.metrics.people_kpis import detrended_std
from tests.conftest import SCENARIOS


def test_detrended_spread_by_hand():
    rising = [0.1, 0.2, 0.3, 0.4]
    assert float(np.std(rising)) == pytest.approx(0.1118, abs=1e-4)  # what win_rate_stability reads
    assert detrended_std(rising) == pytest.approx(0.0, abs=1e-12)  # a straight rise: nothing around the line
    # 0.2, 0.3, 0.2, 0.3 at t = 0..3: line 0.22 + 0.02 t, residuals -0.02, +0.06, -0.06, +0.02 -> sqrt(0.008 / 4)
    assert detrended_std([0.2, 0.3, 0.2, 0.3]) == pytest.approx(math.sqrt(0.008 / 4))
    # a quarter without a decided deal keeps the others at their own place in time
    assert detrended_std([0.1, None, 0.3, 0.4]) == pytest.approx(
        float(np.std(np.array([0.1, 0.3, 0.4]) - np.polyval(np.polyfit([0, 2, 3], [0.1, 0.3, 0.4], 1), [0, 2, 3]))))
    assert detrended_std([0.1, 0.2]) is None and detrended_std([0.1, None, 0.3]) is None


def test_a_run_reports_it_from_its_own_quarterly_win_rates():
    k = sim.simulate(sim.load_scenario(SCENARIOS / "upright_triangle.yaml"), seed=3, weeks=78, record="kpis").kpis
    q = k["win_rate_by_quarter"]
    assert len([x for x in q if x is not None]) >= 3
    assert k["win_rate_stability_detrended"] == pytest.approx(detrended_std(q), abs=1e-4)
    assert k["win_rate_stability_detrended"] <= k["win_rate_stability"] + 1e-4  # the line fits at least the mean
