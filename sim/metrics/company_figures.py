"""Company-wide benchmark figures: gross and net retention, CAC payback, the magic number,
the average discount, and the CSM book (ARR and accounts per CSM seat). Each carries its
segment mix (each benchmark segment's share of bookings; of ARR for the CSM book), and is
read against the row that mix gives (:func:`sim.metrics.figure_kit.mix_row`): one segment's
own row when the others are sidelines, else the bookings-weighted blend of the rows."""

from __future__ import annotations

import numpy as np

from sim.benchmarks import Table
from sim.metrics.figure_kit import Driver, Figure, both, log_ratio, mix_row, mix_typical, segment_mix, typical
from sim.records.facts import Facts
from sim.scenario.routing import RoutingPlan
from sim.scenario.schema import Scenario


def company_figures(kpis: dict, scenario: Scenario, table: Table, sellers: list[Figure],
                    facts: Facts | None = None) -> list[Figure]:
    """GRR, NRR, CAC payback, magic number and discount (``sellers``: the closers' figures,
    whose bookings per seller-year drive payback and the magic number; ``facts``: the run's,
    for the cost of the roles that work no funnel step)."""
    out: list[Figure] = []
    mix = segment_mix(kpis.get("bookings_by_segment_usd") or {}, scenario)

    def seg(metric: str) -> str:
        return mix_row(mix, table, metric)[0]

    csm = scenario.post_sale.csm_role if scenario.post_sale.enabled else None
    csm_util = (kpis.get("roles", {}).get(csm) or {}).get("utilization") if csm else None
    renew = renewal_probability(scenario)
    for metric, key in (("grr", "grr_trailing_12m"), ("nrr", "nrr_trailing_12m")):
        v = kpis.get(key)
        if v is None:
            continue
        typ = mix_typical(mix, table, "grr")
        drivers = []
        if renew is not None and typ:
            drivers.append(Driver(f"renewal probability {renew:.0%} in the scenario (bookings-weighted)",
                                  log_ratio(renew, typ)))
        if csm_util is not None and csm_util > 1:
            drivers.append(Driver(overloaded_book_text(kpis, scenario, csm_util), -log_ratio(csm_util, 1.0)))
        if csm is None:
            drivers.append(Driver("no customer-success role: renewals run at the no-CSM multiplier", -0.1))
        out.append(Figure(metric, seg(metric), "company", float(v), drivers=tuple(drivers), mix=mix))
    productivity = [f for f in sellers if f.metric == "ae_bookings_per_year_usd"]
    prod_drivers = []
    for f in productivity:
        typ = typical(table, f.metric, f.segment)
        if typ:
            prod_drivers.append(Driver(f"{f.subject} bookings ${f.value:,.0f} a seller-year against about "
                                       f"${typ:,.0f}", log_ratio(f.value, typ)))
    v = kpis.get("cac_payback_months")
    if v is not None:
        payback = [Driver(x.text, -x.push) for x in prod_drivers]
        payback += cac_overhead_drivers(kpis, scenario, facts)
        out.append(Figure("cac_payback_months", seg("cac_payback_months"), "company", float(v),
                          drivers=tuple(payback), mix=mix))
    v = kpis.get("magic_number")
    if v is not None:
        magic = list(prod_drivers)
        nrr, nrr_typ = kpis.get("nrr_trailing_12m"), mix_typical(mix, table, "nrr")
        if nrr is not None and nrr_typ:
            # net new ARR is new ARR less what the base loses: a base that keeps less adds less
            magic.append(Driver(f"NRR {nrr:.0%} against about {nrr_typ:.0%}: the base's churn and contraction "
                                "come off the year's net new ARR", log_ratio(float(nrr), nrr_typ)))
        magic += [Driver(d.text, -d.push) for d in cac_overhead_drivers(kpis, scenario, facts)]
        out.append(Figure("magic_number", seg("magic_number"), "company", float(v), drivers=tuple(magic), mix=mix))
    v = kpis.get("average_discount_fraction")
    if v is not None and kpis.get("leads_won"):
        mean_disc = mean_discount(scenario)
        typ = mix_typical(mix, table, "discount_fraction")
        d = (Driver(f"the scenario's discount draws average {mean_disc:.0%} (bookings-weighted)",
                    log_ratio(mean_disc, typ)),) if mean_disc is not None and typ else ()
        out.append(Figure("discount_fraction", seg("discount_fraction"), "company", float(v), drivers=d, mix=mix))
    return out


def overloaded_book_text(kpis: dict, scenario: Scenario, load: float) -> str:
    """What an overloaded CSM book costs (it has no queue, so no wait): accounts a month without
    their check-in and ARR a year not renewed (:func:`sim.metrics.csm_book.book_cost`)."""
    from sim.metrics.csm_book import book_cost

    terms = [float(seg.customer.term_years) for seg in scenario.segments.values()
             if getattr(seg.customer, "term_years", None) is not None]
    c = book_cost(load, kpis.get("customers_end") or 0, kpis.get("arr_end_usd") or 0.0,
                  scenario.post_sale.csm_load_renewal_curve, renewal_probability(scenario) or 1.0,
                  sum(terms) / len(terms) if terms else 1.0)
    text = f"the CSM book needs {load:.0%} of the CSMs' hours"
    if c is None:
        return text
    return (f"{text}: about {c.accounts_untouched_per_month:,.0f} accounts a month go without their check-in, "
            f"renewal odds x {c.renewal_multiplier:.2f}, about ${c.arr_lost_per_year_usd:,.0f} of ARR a year not "
            "renewed that a book within its hours would keep")


def no_step_cost_by_role(facts: Facts) -> dict[str, float]:
    """Salary of each acquisition role that worked for no tier over the run: the roles that
    work no funnel step (managers, a VP), including managers with real work under
    ``work_model.managers`` (coaching, deal reviews, hiring serve the sellers, no one tier).
    Their sum is the KPI ``costs.unallocated_sales_marketing_usd``; all of it is acquisition
    cost, so it is in CAC (``sim.metrics.economics``)."""
    from sim.metrics.economics import cost_classes, salary_by_week

    salaries = salary_by_week(facts).sum(axis=0)
    idle = np.asarray(facts.busy_by_segment).sum(axis=1) <= 0
    acq = cost_classes(facts)["acquisition"]
    return {r: float(x) for r, x, i, a in zip(facts.layout.roles, salaries, idle, acq, strict=True)
            if i and a and x > 0}


def cac_overhead_drivers(kpis: dict, scenario: Scenario, facts: Facts | None) -> list[Driver]:
    """What CAC holds beyond the sellers' own cost, and what it leaves out, as drivers of CAC
    payback: the salaries of roles that work no funnel step are in CAC (they lengthen payback,
    by the log of acquisition cost over acquisition cost without them); a scenario with no
    marketing programmes leaves brand, events and tools out of CAC (it shortens payback)."""
    costs = kpis.get("costs") or {}
    acq = float(costs.get("acquisition_usd") or 0.0)
    out = []
    by_role = no_step_cost_by_role(facts) if facts is not None else {}
    overhead = sum(by_role.values())
    if overhead > 0 and acq > overhead:
        wm = scenario.work_model
        mg = wm.managers if wm is not None else None
        worked = {mg.role} | ({mg.second_line.role} if mg.second_line is not None else set()) if mg else set()
        parts = ", ".join(f"{r} ${x:,.0f}" + (" (coaching, deal reviews, hiring)" if r in worked else "")
                          for r, x in sorted(by_role.items(), key=lambda rx: -rx[1]))
        out.append(Driver(f"CAC includes ${overhead:,.0f} of salaries of roles that work no funnel step "
                          f"({parts}): {overhead / acq:.0%} of acquisition cost", log_ratio(acq, acq - overhead)))
    if not (costs.get("marketing_programmes_usd") or 0.0):
        out.append(Driver("no marketing programmes in the scenario (economics.marketing_programmes_usd_per_year): "
                          "CAC holds per-lead marketing only", -0.1))
    return out


def csm_book_figures(kpis: dict, facts: Facts, scenario: Scenario, plan: RoutingPlan,
                      table: Table) -> list[Figure]:
    """ARR and accounts per seat of a CSM role that does not also sell."""
    out: list[Figure] = []
    csm = scenario.post_sale.csm_role if scenario.post_sale.enabled else None
    csm_util = (kpis.get("roles", {}).get(csm) or {}).get("utilization") if csm else None
    if csm and csm in scenario.roles and csm not in plan.selling_roles:
        heads = (kpis.get("roles", {}).get(csm) or {}).get("headcount") or 0
        if heads:
            arr_mix = segment_mix(arr_by_segment(facts), scenario) or segment_mix(
                kpis.get("bookings_by_segment_usd") or {}, scenario)
            seg = mix_row(arr_mix, table, "csm_book_arr_usd")[0]
            util = f" ({csm_util:.0%} of their hours)" if csm_util is not None else ""
            if csm_util is not None and csm_util > 1:
                util = f" ({overloaded_book_text(kpis, scenario, csm_util)})"
            d = both(f"{heads} {csm} seat(s) for ${kpis.get('arr_end_usd', 0):,.0f} of ARR"
                      f"{util}, {kpis.get('customers_end', 0)} customers")
            out.append(Figure("csm_book_arr_usd", seg, csm, float(kpis.get("arr_end_usd") or 0) / heads, drivers=d,
                              mix=arr_mix))
            out.append(Figure("csm_book_accounts", mix_row(arr_mix, table, "csm_book_accounts")[0], csm,
                              float(kpis.get("customers_end") or 0) / heads, drivers=d, mix=arr_mix))
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
