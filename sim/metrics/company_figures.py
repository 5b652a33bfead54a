"""Company-wide benchmark figures, read against the row of the segment holding most
bookings: gross and net retention, CAC payback, the magic number, the average discount,
and the CSM book (ARR and accounts per CSM seat)."""

from __future__ import annotations

import numpy as np

from sim.benchmarks import Table
from sim.metrics.figure_kit import Driver, Figure, both, dominant, log_ratio, typical
from sim.records.facts import Facts
from sim.scenario.routing import RoutingPlan
from sim.scenario.schema import Scenario


def company_figures(kpis: dict, scenario: Scenario, table: Table, sellers: list[Figure]) -> list[Figure]:
    """GRR, NRR, CAC payback, magic number and discount (``sellers``: the closers' figures,
    whose bookings per seller-year drive payback and the magic number)."""
    out: list[Figure] = []
    main = dominant(kpis.get("bookings_by_segment_usd") or {}, scenario) or "all"
    csm = scenario.post_sale.csm_role if scenario.post_sale.enabled else None
    csm_util = (kpis.get("roles", {}).get(csm) or {}).get("utilization") if csm else None
    renew = renewal_probability(scenario)
    for metric, key in (("grr", "grr_trailing_12m"), ("nrr", "nrr_trailing_12m")):
        v = kpis.get(key)
        if v is None:
            continue
        typ = typical(table, "grr", main)
        drivers = []
        if renew is not None and typ:
            drivers.append(Driver(f"renewal probability {renew:.0%} in the scenario (bookings-weighted)",
                                  log_ratio(renew, typ)))
        if csm_util is not None and csm_util > 1:
            drivers.append(Driver(f"the CSM book needs {csm_util:.0%} of the CSMs' hours: accounts go untouched "
                                  "and renew less", -log_ratio(csm_util, 1.0)))
        if csm is None:
            drivers.append(Driver("no customer-success role: renewals run at the no-CSM multiplier", -0.1))
        out.append(Figure(metric, main, "company", float(v), drivers=tuple(drivers)))
    productivity = [f for f in sellers if f.metric == "ae_bookings_per_year_usd"]
    prod_drivers = []
    for f in productivity:
        typ = typical(table, f.metric, f.segment)
        if typ:
            prod_drivers.append(Driver(f"{f.subject} bookings ${f.value:,.0f} a seller-year against about "
                                       f"${typ:,.0f}", log_ratio(f.value, typ)))
    unalloc = (kpis.get("costs") or {}).get("unallocated_sales_marketing_usd") or 0.0
    v = kpis.get("cac_payback_months")
    if v is not None:
        payback = [Driver(x.text, -x.push) for x in prod_drivers]
        if unalloc:
            payback.append(Driver(f"${unalloc:,.0f} of sales and marketing cost (managers and others who work "
                                  "no funnel step) is not in CAC", -0.2))
        out.append(Figure("cac_payback_months", main, "company", float(v), drivers=tuple(payback)))
    v = kpis.get("magic_number")
    if v is not None:
        out.append(Figure("magic_number", "all", "company", float(v), drivers=tuple(prod_drivers)))
    v = kpis.get("average_discount_fraction")
    if v is not None and kpis.get("leads_won"):
        mean_disc = mean_discount(scenario)
        typ = typical(table, "discount_fraction", main)
        d = (Driver(f"the scenario's discount draws average {mean_disc:.0%} (bookings-weighted)",
                    log_ratio(mean_disc, typ)),) if mean_disc is not None and typ else ()
        out.append(Figure("discount_fraction", main, "company", float(v), drivers=d))
    return out


def csm_book_figures(kpis: dict, facts: Facts, scenario: Scenario, plan: RoutingPlan) -> list[Figure]:
    """ARR and accounts per seat of a CSM role that does not also sell."""
    out: list[Figure] = []
    main = dominant(kpis.get("bookings_by_segment_usd") or {}, scenario) or "all"
    csm = scenario.post_sale.csm_role if scenario.post_sale.enabled else None
    csm_util = (kpis.get("roles", {}).get(csm) or {}).get("utilization") if csm else None
    if csm and csm in scenario.roles and csm not in plan.selling_roles:
        heads = (kpis.get("roles", {}).get(csm) or {}).get("headcount") or 0
        if heads:
            seg = dominant(arr_by_segment(facts), scenario) or main
            util = f" ({csm_util:.0%} of their hours)" if csm_util is not None else ""
            d = both(f"{heads} {csm} seat(s) for ${kpis.get('arr_end_usd', 0):,.0f} of ARR"
                      f"{util}, {kpis.get('customers_end', 0)} customers")
            out.append(Figure("csm_book_arr_usd", seg, csm, float(kpis.get("arr_end_usd") or 0) / heads, drivers=d))
            out.append(Figure("csm_book_accounts", seg, csm, float(kpis.get("customers_end") or 0) / heads,
                              drivers=d))
    return out


def renewal_probability(scenario: Scenario) -> float | None:
    ps = []
    for seg in scenario.segments.values():
        r = getattr(seg.customer, "renewal", None)
        p = getattr(r, "probability", None)
        if p is not None:
            ps.append(float(p))
    return float(np.mean(ps)) if ps else None


def mean_discount(scenario: Scenario) -> float | None:
    ds = [float(seg.discount_fraction.mean()) for seg in scenario.segments.values()]
    return float(np.mean(ds)) if ds else None


def arr_by_segment(facts: Facts) -> dict[str, float]:
    a = facts.accounts
    segs = facts.layout.segments
    out: dict[str, float] = {}
    if len(a.get("segment", [])):
        for g, d in zip(np.asarray(a["segment"], dtype=np.int64), np.asarray(a["arr_delta"], dtype=float),
                        strict=True):
            out[segs[g]] = out.get(segs[g], 0.0) + float(d)
    return out
