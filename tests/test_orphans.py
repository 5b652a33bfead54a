"""Accounts whose caretaker left (``work_model.orphans``), checked by hand.

Every lead is won at once (an unlimited funnel, 10 a week) and goes live at
signature; every account renews for sure (probability 1) unless it had no
CSM: ``post_sale.no_csm_renewal_multiplier`` 0. One CSM (a light book, so
its load multiplier is 1) leaves on day 98; the backfill comes 73 days later.
With the mechanism an account on that book renews with 1 - f, f the share of
its year-long term inside the vacancy [98, 171]; so the expected churn is the
sum of those shares over the accounts that came up for renewal. Without it
(the constant orphan multiplier at 1, as before) nobody churns."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.model.vocab import AccountKind
from tests.conftest import build, chain

LEAVE, LAG, YEAR = 98.0, 73.0, 365.25


def _data(orphans=None, csms=1, reassign=None):
    d = chain([1.0], rate_per_week=10.0)
    d["horizon_weeks"] = 100
    d["segments"]["only"]["customer"] = {"onboarding": {"elapsed_days": 0}, "renewal": {"probability": 1.0},
                                         "csm_hours_per_month": 0.1}
    d["roles"]["csm"] = {"headcount": csms, "people": {"attrition_per_year": 0.0, "hiring_lag_days": LAG}}
    d["post_sale"] = {"csm_role": "csm", "no_csm_renewal_multiplier": 0.0}
    d["timeline"] = [{"week": LEAVE / 7, "action": "rep_leaves", "role": "csm", "rep": 0}]
    if orphans is not None:
        d["work_model"] = {"orphans": orphans}
    return d


def _terms(a):
    """Go-live day per account, the accounts that churned, those that came up for renewal."""
    live = a[a["kind"] == int(AccountKind.LIVE)].groupby("account")["t"].min()
    churned = set(a[a["kind"] == int(AccountKind.CHURNED)]["account"])
    renewed = set(a[a["kind"] == int(AccountKind.RENEWED)]["account"])
    decided = [x for x in live.index if x in churned or x in renewed]
    return live, churned, decided


def _accounts(res):
    import pandas as pd

    acc = res.facts.accounts
    return pd.DataFrame({"t": acc["t"], "account": acc["account"], "kind": acc["kind"]})


def _overlap(t0: float, a: float, b: float) -> float:
    return max(0.0, min(t0 + YEAR, b) - max(t0, a)) / YEAR


def test_an_orphaned_book_renews_by_the_share_of_its_term_with_a_csm():
    res = sim.simulate(build(_data({})), seed=3)
    live, churned, decided = _terms(_accounts(res))
    assert len(decided) > 150
    expected = sum(_overlap(live[x], LEAVE, LEAVE + LAG) for x in decided)
    var = sum(f * (1 - f) for f in (_overlap(live[x], LEAVE, LEAVE + LAG) for x in decided))
    assert expected > 20
    assert abs(len(churned) - expected) < 4 * np.sqrt(var), (len(churned), expected)
    # switched off: the orphan multiplier (1 by default) and the book as if served: nobody churns
    off = sim.simulate(build(_data()), seed=3)
    assert not _terms(_accounts(off))[1]


def test_reassignment_to_a_colleague_shortens_the_orphan_spell():
    """Two CSMs; the one who leaves had about half the book. Reassigned after 20
    days, an orphaned account misses at most 20 days of its term, so churn is at
    most the sum over all accounts of their overlap with [98, 118] (about half of
    it, the leaver's half), far below waiting 73 days for the backfill."""
    late = sim.simulate(build(_data({}, csms=2)), seed=4)
    soon = sim.simulate(build(_data({"reassign_after_days": 20.0}, csms=2)), seed=4)
    live, churned_late, decided = _terms(_accounts(late))
    live_s, churned_soon, decided_s = _terms(_accounts(soon))
    bound = sum(_overlap(live_s[x], LEAVE, LEAVE + 20.0) for x in decided_s)
    full = sum(_overlap(live[x], LEAVE, LEAVE + LAG) for x in decided)
    assert 0.25 * bound < len(churned_soon) < 0.75 * bound + 4 * np.sqrt(bound)
    assert 0.25 * full < len(churned_late) < 0.75 * full + 4 * np.sqrt(full)
    assert len(churned_soon) < 0.5 * len(churned_late)


def test_orphans_replace_the_constant():
    d = _data({})
    d["roles"]["csm"]["people"]["orphan_renewal_multiplier"] = 0.9
    with pytest.raises(ScenarioError, match="orphan_renewal_multiplier"):
        build(d)
