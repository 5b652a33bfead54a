"""Customers signed but not live: the backlog between the signature and go-live.

Why: closing always outranks onboarding for a busy team, so a company can
book many wins and still have few live customers. These KPIs make that
visible instead of leaving it between ``new_logos`` and ``customers_end``.

* **Signed, not live** at a time: accounts signed by then that had neither
  gone live nor cancelled; ``arr_signed_not_live_usd`` is their contract value
  (it counts in ARR only under ``contract_start: signature``).
* **Waiting for onboarding**: of those, the ones the onboarding role has not
  picked up yet (the rest are in implementation, the customer's own time).
* **Onboarding wait** of each signed customer: from signature until the
  onboarding role picked it up; for a customer still waiting at the end, or
  who cancelled while waiting, the wait so far (so the longest waits show even
  when they never end).
"""

from __future__ import annotations

import numpy as np

from sim.model.vocab import AccountKind
from sim.records.facts import Facts
from sim.units import week_index


def _first(a: dict, kind: AccountKind, n: int) -> np.ndarray:
    out = np.full(n, np.inf)
    m = a["kind"] == int(kind)
    np.minimum.at(out, a["account"][m].astype(np.int64), a["t"][m])
    return out


def onboarding_kpis(f: Facts) -> tuple[dict, dict[str, np.ndarray]]:
    """The KPIs above and their weekly series (at each week's end)."""
    a = f.accounts
    T, nw = f.layout.horizon_days, f.layout.n_weeks
    n = int(a["account"].max()) + 1 if len(a["account"]) else 0
    signed = _first(a, AccountKind.SIGNED, n)
    acv = np.zeros(n)
    m = a["kind"] == int(AccountKind.SIGNED)
    acv[a["account"][m].astype(np.int64)] = a["acv"][m]
    started = _first(a, AccountKind.ONBOARDING_STARTED, n)
    live = _first(a, AccountKind.LIVE, n)
    cancelled = _first(a, AccountKind.ONBOARDING_CHURN, n)
    new = np.isfinite(signed)
    not_live_until = np.minimum(live, cancelled)
    waiting_until = np.minimum(started, cancelled)
    pending = new & (not_live_until > T)
    waiting = new & (waiting_until > T)
    wait = np.minimum(waiting_until, T)[new] - signed[new]

    def open_at_week_end(until: np.ndarray, weights=None) -> np.ndarray:
        w = weights[new] if weights is not None else None
        up = np.bincount(week_index(signed[new], nw), weights=w, minlength=nw)
        ends = new & np.isfinite(until) & (until <= T)
        wd = weights[ends] if weights is not None else None
        down = np.bincount(week_index(until[ends], nw), weights=wd, minlength=nw)
        return np.cumsum(up - down)

    k = {
        "arr_signed_not_live_usd": round(float(acv[pending].sum()), 2),
        "customers_signed_not_live": int(pending.sum()),
        "customers_waiting_onboarding": int(waiting.sum()),
        "onboarding_cancelled_waiting": int((new & (cancelled < started)).sum()),
        "onboarding_wait_days": {
            "customers": int(new.sum()),
            "mean": round(float(wait.mean()), 2) if len(wait) else None,
            "median": round(float(np.median(wait)), 2) if len(wait) else None,
            "p90": round(float(np.quantile(wait, 0.9)), 2) if len(wait) else None,
            "max": round(float(wait.max()), 2) if len(wait) else None,
        },
    }
    weekly = {
        "arr_signed_not_live_usd": open_at_week_end(not_live_until, acv) + 0.0,
        "customers_waiting_onboarding": open_at_week_end(waiting_until).astype(np.int64),
    }
    return k, weekly
