"""Mechanisms that could once be broken with every test passing.

Each test has a hand-checkable expectation, so that switching the mechanism
off in the engine (practice not counted; contraction never drawn) fails it.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.people import odds_scale
from sim.model.vocab import AccountKind
from tests.conftest import build, chain
from tests.test_revenue import _customers, _world


def _conversion(k: dict, stage: str) -> float:
    return next(r for r in k["stages"] if r["stage"] == stage)["conversion"]


def test_learning_with_practice_raises_conversion_to_its_cap():
    """One rep works step s1 3,600 times in a year. At 1% a task and a cap of
    3x, practice reaches the cap after 200 tasks; from then on the step's odds
    are three times the base: 0.3 -> odds_scale(0.3, 3) = 0.5625. Over the
    year the mean lies between that and the first 200 tasks' slope."""
    data = chain([0.3, 0.5], headcount=[1, None], work_hours=[0.5, 0.0])
    data["roles"]["r1"]["people"] = {"learning_per_task": 0.01, "learning_cap": 3.0}
    k = sim.simulate(build(data), seed=1, record="kpis").kpis
    learned = _conversion(k, "s0")
    n = next(r for r in k["stages"] if r["stage"] == "s0")["entered"]
    capped = odds_scale(0.3, 3.0)
    # the first 200 tasks average at least the base rate; the rest sit at the cap
    low = (200 * 0.3 + (n - 200) * capped) / n
    se = np.sqrt(capped * (1 - capped) / n)
    assert low - 4 * se <= learned <= capped + 4 * se, (learned, low, capped)

    data["roles"]["r1"]["people"]["learning_per_task"] = 0.0
    base = _conversion(sim.simulate(build(data), seed=1, record="kpis").kpis, "s0")
    assert abs(base - 0.3) < 4 * np.sqrt(0.21 / n)
    assert learned - base > 0.2


@pytest.mark.parametrize("probability", [1.0, 0.4])
def test_contraction_at_renewal_takes_its_share_of_acv(probability):
    """Every renewal of an account is followed by a contraction with the
    configured probability, each taking ``contraction_fraction`` of its ACV."""
    data = _customers(renewal=1.0, onb_churn=0.0)
    seg = data["segments"]["only"]["customer"]
    seg["renewal"] = {"probability": 1.0, "contraction_probability": probability, "contraction_fraction": 0.25}
    seg["expansion"]["opportunities_per_year"] = 0.0
    _, f = _world(build(data), seed=3, weeks=150)
    kinds, delta, acv_after = f.accounts["kind"], f.accounts["arr_delta"], f.accounts["acv"]
    renewed = kinds == int(AccountKind.RENEWED)
    contracted = kinds == int(AccountKind.CONTRACTED)
    n = int(renewed.sum())
    assert n > 500
    share = contracted.sum() / n
    assert abs(share - probability) <= 4 * np.sqrt(probability * (1 - probability) / n) + 1e-9
    # each contraction removes a quarter of the ACV it found: -delta = 0.25 * (acv_after - delta)
    before = acv_after[contracted] - delta[contracted]
    assert np.allclose(-delta[contracted], 0.25 * before)
    k = sim.metrics.kpis(f)
    assert k["customers_end"] > 0
