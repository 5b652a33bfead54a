"""Value exchange carried into the renewal (``value_exchange.discount_restored_at_renewal``): a buyer who
traded something for the signing discount got a one-time concession, so the account's first renewal gives
back that share of the discount, and the expansions priced on its ACV start from there."""

from __future__ import annotations

import pytest

import sim
from tests.conftest import build


def _accounts(restore: float | None, weeks: float = 60, renewal: float = 1.0) -> dict:
    """100 accounts called once, every call won at list $10,000 less a fixed 20% discount (kept whole by
    the value exchange: discount_multiplier 1, no walk-aways), renewing every year with no uplift."""
    ve = {"discount_multiplier": 1.0, "win_probability_multiplier": 1.0}
    if restore is not None:
        ve["discount_restored_at_renewal"] = restore
    data = {
        "name": "value_exchange", "horizon_weeks": weeks, "stages": ["target", "won"],
        "steps": {"won": {"role": "sdr"}},
        "roles": {"sdr": {"headcount": 50, "owns_leads": True, "max_open_per_rep": 100}},
        "segments": {"only": {"acv_usd": 10000, "discount_fraction": 0.2, "value_exchange": ve,
                              "steps": {"won": {"conversion_probability": 1.0}},
                              "customer": {"onboarding": {"elapsed_days": 0},
                                           "renewal": {"probability": renewal, "price_uplift_fraction": 0.0}}}},
        "sources": {"list": {"kind": "outbound", "accounts": {"only": 100}, "cooling_off_days": 10,
                             "attempts": {"max_attempts": 1, "connect_probability": 1.0,
                                          "days_between_attempts": 1}}},
    }
    return sim.simulate(build(data), seed=1, record="kpis").kpis


def test_the_first_renewal_gives_back_the_traded_share_of_the_discount():
    """By hand: booked at 10,000 x 0.8 = 8,000; the first renewal restores half the 2,000 discount:
    9,000 an account, 100 accounts = $900k of ARR after a year, and nothing more at the second
    renewal (110 weeks: still $900k). Without the key (or at 0) the discounted price stays: $800k."""
    before = _accounts(None)
    assert before["new_logos"] == 100 and before["arr_end_usd"] == pytest.approx(800_000)
    assert _accounts(0.0)["arr_end_usd"] == pytest.approx(800_000)
    after = _accounts(0.5)
    assert after["arr_end_usd"] == pytest.approx(900_000)
    assert _accounts(0.5, weeks=110)["arr_end_usd"] == pytest.approx(900_000)
    assert _accounts(1.0)["arr_end_usd"] == pytest.approx(1_000_000)  # back at list


def test_before_the_first_renewal_nothing_changes():
    assert _accounts(0.5, weeks=40)["arr_end_usd"] == pytest.approx(800_000)
