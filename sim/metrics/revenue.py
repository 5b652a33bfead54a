"""Recurring revenue from the account event log: ARR and its bridge, recognized
revenue, invoices and cash, retention (NRR, GRR, churn) and growth.

Definitions (the ones the domain brief asks for):

* **ARR** is the sum of the annual contract value of counted contracts; it
  steps at the contract start (go-live or signature, per scenario).
* **ARR bridge**, every week: ``ARR_end = ARR_start + new + expansion -
  churn - contraction`` (churn and contraction are reported as positive
  amounts).
* **Recognized revenue** is ratable: a contract of value V over T years
  recognizes V/T a year, i.e. ARR/365.25 per day from the contract start.
* **Invoices and cash**: annual billing in advance (at the contract start and
  each anniversary, plus a prorated invoice for a mid-year expansion) or
  monthly billing in arrears; cash arrives ``collection_lag_days`` later.
* **NRR / GRR (trailing 12 months)**: of the ARR held by accounts a year
  before the end, the share they hold at the end (NRR), and the share left
  after every decrease in the window - churn and contraction, each account's
  loss capped at its starting ARR - with increases ignored (GRR), so an
  expansion can hide neither a churn nor a contraction that follows it.
* **Growth**: ARR at the end of each 52-week reporting year (see
  :mod:`sim.units`), year-over-year growth from the second year, and the
  standard deviation of those growth rates (from two of them).
"""

from __future__ import annotations

import numpy as np

from sim.model.vocab import ARR_BRIDGE, AccountKind
from sim.records.facts import Facts
from sim.units import DAYS_PER_MONTH, DAYS_PER_YEAR, WEEKS_PER_REPORTING_YEAR, reporting_years, week_index

YEAR_DAYS = DAYS_PER_YEAR
MONTH_DAYS = DAYS_PER_MONTH


_week_index = week_index


def arr_bridge(f: Facts) -> dict[str, np.ndarray]:
    """Weekly ARR bridge: start, new, expansion, contraction, churn, end (USD)."""
    nw = f.layout.n_weeks
    a = f.accounts
    w = _week_index(a["t"], nw)
    out: dict[str, np.ndarray] = {}
    for name, kinds in ARR_BRIDGE.items():
        m = np.isin(a["kind"], [int(k) for k in kinds])
        out[name] = np.bincount(w[m], weights=a["arr_delta"][m], minlength=nw)
    out["churn"] = -out["churn"] + 0.0  # reported as positive amounts (and no -0.0)
    out["contraction"] = -out["contraction"] + 0.0
    net = out["new"] + out["expansion"] - out["contraction"] - out["churn"]
    out["end"] = np.cumsum(net)
    out["start"] = np.concatenate([[0.0], out["end"][:-1]])
    return out


def account_arr_by_week(f: Facts) -> np.ndarray:
    """[account, week] counted ARR of each account at the end of each week."""
    a = f.accounts
    nw = f.layout.n_weeks
    n = int(a["account"].max()) + 1 if len(a["account"]) else 0
    m = np.zeros((n, nw))
    np.add.at(m, (a["account"].astype(np.int64), _week_index(a["t"], nw)), a["arr_delta"])
    return np.cumsum(m, axis=1)


def account_arr_at(f: Facts, x: float) -> np.ndarray:
    """[account] counted ARR of each account at time ``x`` (events at ``x`` included)."""
    a = f.accounts
    n = int(a["account"].max()) + 1 if len(a["account"]) else 0
    upto = a["t"] <= x
    return np.bincount(a["account"][upto].astype(np.int64), weights=a["arr_delta"][upto], minlength=n)


def arr_at(f: Facts, x: float) -> float:
    a = f.accounts
    return float(a["arr_delta"][a["t"] <= x].sum())


def revenue_through(f: Facts, x: np.ndarray) -> np.ndarray:
    """Revenue recognized from the start to each time in ``x``: the integral of
    ARR / 365.25. ARR is constant between account events, so the integral is
    exactly piecewise linear between them and interpolation is exact."""
    T = f.layout.horizon_days
    a = f.accounts
    order = np.argsort(a["t"], kind="stable")
    t, d = a["t"][order], a["arr_delta"][order]
    knots = np.concatenate([[0.0], t, [max(T, t[-1] if len(t) else 0.0)]])
    levels = np.concatenate([[0.0], np.cumsum(d)])
    integral = np.concatenate([[0.0], np.cumsum(levels * np.diff(knots))])
    return np.interp(x, knots, integral) / YEAR_DAYS


def revenue_by_week(f: Facts) -> np.ndarray:
    """Recognized revenue per week."""
    bounds = np.minimum(np.arange(f.layout.n_weeks + 1) * 7.0, f.layout.horizon_days)
    return np.diff(revenue_through(f, bounds))


def invoices(f: Facts) -> tuple[np.ndarray, np.ndarray]:
    """(invoice times, amounts) under the scenario's billing terms."""
    L = f.layout
    a = f.accounts
    T = L.horizon_days
    if L.billing == "monthly_in_arrears":
        # each month's recognized revenue is invoiced at the month's end
        ends = np.arange(MONTH_DAYS, T + 1e-9, MONTH_DAYS)
        return ends, np.diff(revenue_through(f, np.concatenate([[0.0], ends])))
    if not len(a["t"]):
        return np.zeros(0), np.zeros(0)
    order = np.lexsort((a["t"], a["account"]))
    acc, t, kind, delta = (a["account"][order].astype(np.int64), a["t"][order], a["kind"][order],
                           a["arr_delta"][order])
    n = int(acc.max()) + 1
    # counted ARR of the account after each of its events (cumsum within account)
    cum = np.cumsum(delta)
    first = np.r_[True, acc[1:] != acc[:-1]]
    base = np.maximum.accumulate(np.where(first, np.arange(len(acc)), 0))
    level = cum - (cum[base] - delta[base])
    # billing starts when the account's ARR first counts, stops at churn (or the horizon)
    pos = delta > 0
    start = np.full(n, np.inf)
    np.minimum.at(start, acc[pos], t[pos])
    stop = np.full(n, T)
    ends = np.isin(kind, [int(AccountKind.CHURNED), int(AccountKind.ONBOARDING_CHURN)])
    np.minimum.at(stop, acc[ends], t[ends])
    billed = np.flatnonzero(np.isfinite(start) & (start < stop))
    # anniversaries strictly before the stop (a churn on an anniversary is not billed,
    # whatever the rounding of the day it falls on)
    count = np.ceil((stop[billed] - start[billed] - 1e-6) / YEAR_DAYS).astype(np.int64)
    who = np.repeat(billed, count)
    k = np.arange(len(who)) - np.repeat(np.cumsum(count) - count, count)
    when = start[who] + k * YEAR_DAYS
    # ARR level at each anniversary: the last event of that account at or before it
    span = T + 10 * YEAR_DAYS
    keys = acc * span + t
    idx = np.searchsorted(keys, who * span + when + 1e-9, side="right") - 1
    amounts = level[idx]
    mid = np.isin(kind, [int(AccountKind.EXPANDED), int(AccountKind.MINED), int(AccountKind.EXPANDED_CSM)]) & (
        t < stop[acc])
    into_year = np.mod(t[mid] - start[acc[mid]], YEAR_DAYS)
    times = np.concatenate([when, t[mid]])
    amounts = np.concatenate([amounts, delta[mid] * (1 - into_year / YEAR_DAYS)])
    return times, amounts


def revenue_kpis(f: Facts) -> tuple[dict, dict[str, np.ndarray]]:
    """Revenue KPIs and the weekly revenue series."""
    L = f.layout
    nw = L.n_weeks
    T = L.horizon_days
    a = f.accounts
    bridge = arr_bridge(f)
    per_account = account_arr_by_week(f)
    revenue = revenue_by_week(f)
    inv_t, inv_usd = invoices(f)
    cash_t = inv_t + L.collection_lag_days
    in_h = inv_t < T
    paid = cash_t < T
    weekly = {
        "arr_usd": bridge["end"],
        "mrr_usd": bridge["end"] / 12,
        "arr_new_usd": bridge["new"],
        "arr_expansion_usd": bridge["expansion"],
        "arr_contraction_usd": bridge["contraction"],
        "arr_churned_usd": bridge["churn"],
        "customers": (per_account > 1e-9).sum(axis=0) if len(per_account) else np.zeros(nw, dtype=np.int64),
        "revenue_usd": revenue,
        "invoiced_usd": np.bincount(_week_index(inv_t[in_h], nw), weights=inv_usd[in_h], minlength=nw),
        "cash_usd": np.bincount(_week_index(cash_t[paid], nw), weights=inv_usd[paid], minlength=nw),
    }
    kinds = a["kind"]

    def count(kind):
        return int((kinds == int(kind)).sum())

    k = {
        "arr_end_usd": float(bridge["end"][-1]) if nw else 0.0,
        "mrr_end_usd": float(bridge["end"][-1] / 12) if nw else 0.0,
        "arr_new_usd": float(bridge["new"].sum()),
        "arr_expansion_usd": float(bridge["expansion"].sum()),
        "arr_contraction_usd": float(bridge["contraction"].sum()),
        "arr_churned_usd": float(bridge["churn"].sum()),
        "customers_end": int(weekly["customers"][-1]),
        "new_logos": count(AccountKind.SIGNED),
        "churned_logos": count(AccountKind.CHURNED),
        "onboarding_churned": count(AccountKind.ONBOARDING_CHURN),
        "recognized_revenue_usd": float(revenue.sum()),
        "invoiced_usd": float(inv_usd[in_h].sum()) if len(inv_usd) else 0.0,
        "cash_collected_usd": float(inv_usd[paid].sum()) if len(inv_usd) else 0.0,
    }
    k.update(_retention(f))
    k.update(_growth(f, bridge["end"]))
    return k, weekly


def _retention(f: Facts) -> dict:
    """Trailing twelve months: accounts holding ARR exactly one year (365.25 days)
    before the end, and what they hold at the end."""
    out: dict[str, float | None] = {"nrr_trailing_12m": None, "grr_trailing_12m": None, "logo_churn_trailing_12m": None,
           "revenue_churn_trailing_12m": None}
    T = f.layout.horizon_days
    if T <= YEAR_DAYS or not len(f.accounts["account"]):
        return out
    then = account_arr_at(f, T - YEAR_DAYS)
    now = account_arr_at(f, T)
    base = then > 1e-9
    if not base.any():
        return out
    start = then[base].sum()
    a = f.accounts
    window = (a["t"] > T - YEAR_DAYS) & (a["arr_delta"] < 0)
    down = np.bincount(a["account"][window].astype(np.int64), weights=-a["arr_delta"][window],
                       minlength=len(then))
    grr = (then[base] - np.minimum(down[base], then[base])).sum() / start
    out.update(
        nrr_trailing_12m=float(now[base].sum() / start),
        grr_trailing_12m=float(grr),
        logo_churn_trailing_12m=float((now[base] <= 1e-9).mean()),
        revenue_churn_trailing_12m=float(1 - grr),
    )
    return out


def _growth(f: Facts, arr_end_by_week: np.ndarray) -> dict:
    """Year-over-year ARR growth for each full reporting year of the horizon after
    the first (52-week years from the start: a 104-week run has two)."""
    years = reporting_years(f.layout.horizon_days)
    at_year_end = [float(arr_end_by_week[(y + 1) * WEEKS_PER_REPORTING_YEAR - 1]) for y in range(years)]
    growth = [float(at_year_end[y] / at_year_end[y - 1] - 1) if at_year_end[y - 1] > 0 else None
              for y in range(1, years)]
    known = [g for g in growth if g is not None]
    return {
        "arr_by_year_end_usd": [round(float(x), 2) for x in at_year_end],
        "arr_growth_by_year": [None if g is None else round(g, 4) for g in growth],
        "arr_growth_volatility": round(float(np.std(known)), 4) if len(known) >= 2 else None,
    }


def customer_stages(f: Facts) -> list[dict]:
    """The bow-tie's right side as table rows: new logos, go-live, renewal, expansion."""
    a = f.accounts
    kind, t, acv, delta = a["kind"], a["t"], a["acv"], a["arr_delta"]
    acc = a["account"].astype(np.int64)
    signed_at = np.full(int(acc.max()) + 1 if len(acc) else 0, np.nan)
    is_signed = kind == int(AccountKind.SIGNED)
    signed_at[acc[is_signed]] = t[is_signed]

    def since_signed(mask):
        d = t[mask] - signed_at[acc[mask]]
        return float(np.median(d)) if len(d) else None

    def row(stage, entered, moved, resolved, days, arr):
        return {"stage": stage, "entered": int(entered), "moved_on": int(moved),
                "lost": int(resolved - moved) if resolved is not None else None,
                "conversion": round(moved / resolved, 6) if resolved else None,
                "median_days": round(days, 3) if days is not None else None, "arr_usd": round(float(arr), 2)}

    def m(*kinds):
        return np.isin(kind, [int(k) for k in kinds])

    signed, live, onb = m(AccountKind.SIGNED), m(AccountKind.LIVE), m(AccountKind.ONBOARDING_CHURN)
    renewed, churned = m(AccountKind.RENEWED), m(AccountKind.CHURNED)
    expanded = m(AccountKind.EXPANDED)
    exp_all = m(AccountKind.EXPANDED, AccountKind.EXPANSION_LOST, AccountKind.EXPANSION_EXPIRED)
    mined = m(AccountKind.MINED)
    return [
        row("new_logo", signed.sum(), signed.sum(), None, None, acv[signed].sum()),
        row("go_live", live.sum() + onb.sum(), live.sum(), live.sum() + onb.sum(),
            since_signed(live | onb), acv[live].sum()),
        row("renewal", renewed.sum() + churned.sum(), renewed.sum(), renewed.sum() + churned.sum(),
            since_signed(renewed | churned), acv[renewed].sum()),
        row("expansion", exp_all.sum(), expanded.sum(), exp_all.sum(), None, delta[expanded].sum()),
        row("mined_expansion", mined.sum(), mined.sum(), None, None, delta[mined].sum()),
    ]
