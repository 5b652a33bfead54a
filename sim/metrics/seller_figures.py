"""Benchmark figures of the sellers: bookings per seller-year and the share of reps at
quota for each closing role, and the win rate of each benchmark segment, each with the
drivers that push it (selling time, deal size, win rate, utilization; the scenario's own
step conversions, capacity losses)."""

from __future__ import annotations

import math

import numpy as np

from sim.benchmarks import Table
from sim.metrics.figure_kit import (
    BENCHMARK_ASP,
    CAPACITY_LOSSES,
    Driver,
    Figure,
    log_ratio,
    selling_fraction,
    typical,
)
from sim.records.facts import Facts
from sim.scenario.routing import RoutingPlan
from sim.scenario.schema import Scenario


def closer_figures(kpis: dict, facts: Facts, scenario: Scenario, table: Table, plan: RoutingPlan,
                   years: dict[str, float], classes: dict[str, str]) -> list[Figure]:
    """Per closing role: bookings per seat-year (its motion by the class of most of its bookings)
    and, with a quota, the share of reps at quota over the run's full years."""
    L = facts.layout
    out: list[Figure] = []
    seller_stats: dict[str, list[float]] = {}
    for (ri, _rep), (wins, losses, usd) in facts.rep_outcomes.items():
        s = seller_stats.setdefault(L.roles[ri], [0.0, 0.0, 0.0])
        s[0] += wins
        s[1] += losses
        s[2] += usd
    by_role_class = wins_by_role_class(facts, scenario, plan, classes)
    for role in sorted(plan.closing_roles):
        if role not in scenario.roles or scenario.roles[role].unlimited_capacity or years.get(role, 0) <= 0:
            continue
        wins, losses, usd = seller_stats.get(role, [0.0, 0.0, 0.0])
        mix = by_role_class.get(role, {})
        if mix and max(mix, key=mix.get) == "plg":
            continue  # a self-serve "seller" books sign-ups, not deals
        motion = "field" if mix and max(mix, key=mix.get) == "enterprise" else "inside"
        value = usd / years[role]
        drivers = [Driver(f"deal work is {selling_fraction(scenario, role):.0%} of {role} hours (benchmark "
                          f"{typical(table, 'selling_time_fraction', 'all') or 0.28:.0%})",
                          log_ratio(selling_fraction(scenario, role), typical(table, "selling_time_fraction", "all")
                               or 0.28))]
        if wins:
            asp = usd / wins
            drivers.append(Driver(f"{role} average deal ${asp:,.0f} against an ASP of about "
                                  f"${BENCHMARK_ASP[motion]:,.0f}", log_ratio(asp, BENCHMARK_ASP[motion])))
        if wins + losses:
            wr = wins / (wins + losses)
            seg = "enterprise" if motion == "field" else "mid_market"
            typ = typical(table, "win_rate", seg)
            if typ:
                drivers.append(Driver(f"{role} win rate {wr:.0%} (benchmark about {typ:.0%})", log_ratio(wr, typ)))
        util = (kpis.get("roles", {}).get(role) or {}).get("utilization")
        if util is not None:
            drivers.append(Driver(f"{role}s are busy {util:.0%} of their selling hours: too few deals reach them",
                                  min(0.0, log_ratio(util, 0.7))))
        out.append(Figure("ae_bookings_per_year_usd", motion, role, value, drivers=tuple(drivers)))
        quota = scenario.roles[role].quota_usd_per_year
        periods = [p for p in (kpis.get("quota_attainment") or {}).get(role, []) if p.get("weeks", 0) >= 52
                   and p.get("reps")]
        if quota and periods:
            share = float(np.mean([p["share_at_quota"] for p in periods]))
            typ = typical(table, "ae_bookings_per_year_usd", motion) or quota
            med = float(np.mean([p["median"] for p in periods]))
            qd = [Driver(f"{role} quota ${quota:,.0f} against typical bookings of ${typ:,.0f} a seller-year "
                         f"(median attainment {med:.0%})", -log_ratio(quota, typ)),
                  Driver(f"{role} bookings ${value:,.0f} a seller-year against about ${typ:,.0f}",
                         log_ratio(value, typ)),
                  Driver(f"{role} attainment is spread (median {med:.0%} of quota): ramping hires, vacancies and "
                         "the skill spread leave many reps below quota", log_ratio(med, 1.0))]
            out.append(Figure("share_at_quota", "all", role, share, drivers=tuple(qd)))
    return out


def win_rate_figures(kpis: dict, facts: Facts, scenario: Scenario, table: Table,
                     classes: dict[str, str]) -> list[Figure]:
    """The win rate of each benchmark segment the scenario's segments read as."""
    L = facts.layout
    out: list[Figure] = []
    won = np.asarray(facts.won_by_segment, dtype=float)
    lost = np.asarray(facts.lost_decided_by_segment, dtype=float)
    cap_share = capacity_loss_share(kpis)
    for c in sorted(set(classes.values())):
        idx = [i for i, s in enumerate(L.segments) if classes[s] == c]
        w, lo = float(won[idx].sum()), float(lost[idx].sum()) if len(lost) else 0.0
        if w + lo <= 0:
            continue
        typ = typical(table, "win_rate", c)
        drivers = []
        nominal = nominal_win_rate(scenario, [L.segments[i] for i in idx], L.win_rate_stage, L.stages)
        if typ and nominal:
            drivers.append(Driver(f"the scenario's step conversions from {L.stages[L.win_rate_stage]} multiply "
                                  f"to {nominal:.0%} for {c}", log_ratio(nominal, typ)))
        measured = w / (w + lo)
        if nominal:
            drivers.append(Driver(f"the run's {c} win rate {measured:.0%} departs from that product ({nominal:.0%}): "
                                  "seller skill and learning, speed to lead, capacity", log_ratio(measured, nominal)))
        if cap_share > 0:
            drivers.append(Driver(f"{cap_share:.0%} of lost leads were lost to capacity or people (SLA, "
                                  "hand-off, a leaving owner)", math.log(max(1e-9, 1 - cap_share))))
        out.append(Figure("win_rate", c, c, measured, drivers=tuple(drivers)))
    return out


def wins_by_role_class(facts: Facts, scenario: Scenario, plan: RoutingPlan, classes: dict) -> dict:
    """[closing role][segment class] -> bookings of the segments whose win the role works."""
    L = facts.layout
    bookings = dict(zip(L.segments, np.asarray(facts.bookings_by_segment, dtype=float), strict=False))
    out: dict[str, dict[str, float]] = {}
    seen = set()
    for (_src, seg, _pql), rr in plan.routes.items():
        closer = rr.roles[-1] if rr.roles else None
        if closer is None or (closer, seg) in seen:
            continue
        seen.add((closer, seg))
        c = out.setdefault(closer, {})
        c[classes[seg]] = c.get(classes[seg], 0.0) + bookings.get(seg, 0.0) + 1e-9
    return out


def capacity_loss_share(kpis: dict) -> float:
    lost = kpis.get("leads_lost_by_reason") or {}
    total = sum(float(v) for v in lost.values())
    cap = sum(float(lost.get(k, 0)) for k in CAPACITY_LOSSES)
    return cap / total if total else 0.0


def nominal_win_rate(scenario: Scenario, segments: list[str], wr_stage: int, stages: list[str]) -> float | None:
    """The product of the step conversions from the win-rate stage to the win, averaged over
    ``segments`` (unweighted): what the win rate would be with no capacity losses."""
    vals = []
    for s in segments:
        steps = scenario.segments[s].steps
        p = 1.0
        for st in stages[wr_stage + 1:]:
            if st in steps:
                p *= float(steps[st].conversion_probability)
        vals.append(p)
    return float(np.mean(vals)) if vals else None
