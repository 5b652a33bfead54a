"""Benchmark figures the scenario sets rather than the run measures: each selling role's
selling time, ramp, attrition or tenure, a closer's quota over the on-target earnings of
its pay plan, and the span of control."""

from __future__ import annotations

from sim.metrics.figure_kit import Figure, both, selling_fraction, selling_said
from sim.scenario.routing import RoutingPlan
from sim.scenario.schema import Scenario


def inputs(scenario: Scenario, plan: RoutingPlan | None = None) -> list[Figure]:
    """Figures the scenario sets rather than the run measures: selling time, ramp,
    attrition and tenure per selling role, and span of control."""
    plan = plan or RoutingPlan.compile(scenario)
    out: list[Figure] = []
    selling = [r for r in scenario.roles if r in plan.selling_roles and not scenario.roles[r].unlimited_capacity]
    for role in selling:
        frac = selling_fraction(scenario, role)
        out.append(Figure("selling_time_fraction", "all", role, frac, "input",
                          both(f"{role}: {selling_said(scenario, role)}: {frac:.0%} of the working week goes "
                                "to deals")))
        ratio = quota_to_ote(scenario, role)
        if ratio is not None and role in plan.closing_roles and scenario.work_model is not None:
            plan_ = scenario.work_model.pay[role]
            out.append(Figure("quota_to_ote_ratio", "all", role, ratio, "input",
                              both(f"{role}: quota_usd_per_year {scenario.roles[role].quota_usd_per_year:,.0f} / "
                                   f"(pay plan base {plan_.base_usd_per_year:,.0f} + variable at target "
                                   f"{plan_.variable_at_target_usd:,.0f})")))
        people = scenario.roles[role].people
        if people is None:
            continue
        ramp = "ae_ramp_days" if role in plan.closing_roles else "sdr_ramp_days"
        out.append(Figure(ramp, "all", role, float(people.ramp_days), "input",
                          both(f"{role}: people.ramp_days {people.ramp_days:g}")))
        att = float(people.attrition_per_year)
        if role in plan.closing_roles:  # the attrition row is of quota carriers; a setter's is its tenure
            out.append(Figure("rep_attrition_per_year", "all", role, att, "input",
                              both(f"{role}: people.attrition_per_year {att:g}")))
        elif att > 0:
            out.append(Figure("sdr_tenure_years", "all", role, 1.0 / att, "input",
                              both(f"{role}: mean tenure 1 / attrition_per_year {att:g}")))
    managers = [r for r, spec in scenario.roles.items() if "manager" in r and r not in plan.selling_roles
                and r not in {scenario.post_sale.am_role, scenario.post_sale.csm_role}
                and not r.startswith(("account_", "am")) and spec.headcount > 0]
    if managers:
        sellers = sum(scenario.roles[r].headcount for r in selling)
        heads = sum(scenario.roles[r].headcount for r in managers)
        span = sellers / heads
        out.append(Figure("span_of_control", "all", "+".join(managers), span, "input",
                          both(f"{sellers} sellers for {heads} first-line manager(s)")))
    return out


def quota_to_ote(scenario: Scenario, role: str) -> float | None:
    """``role``'s yearly quota over the on-target earnings of its pay plan (base + variable
    at 100% of quota); None without a quota or a pay plan stating its base."""
    wm = scenario.work_model
    pay = wm.pay.get(role) if wm is not None else None
    quota = scenario.roles[role].quota_usd_per_year
    if pay is None or pay.base_usd_per_year is None or not quota:
        return None
    return float(quota) / (pay.base_usd_per_year + pay.variable_at_target_usd)
