"""The layout of a run: the names behind the integer codes the model reports
in, and the per-role and per-segment numbers the metrics need (costs, who
closes, who serves customers)."""

from __future__ import annotations

from sim.model.process import process_costs
from sim.model.roles import days_per_hour
from sim.model.selling_time import deal_shares, week
from sim.model.vocab import Layout
from sim.model.worktime import work_shares
from sim.scenario.routing import RoutingPlan
from sim.scenario.schema import Scenario


def layout_of(scenario: Scenario, horizon_days: float, routing: RoutingPlan | None = None) -> Layout:
    routing = routing if routing is not None else RoutingPlan.compile(scenario)
    roles = list(scenario.roles)
    ps = scenario.post_sale
    share, calendar_dph = work_shares(scenario, horizon_days)  # empty lists without a calendar
    return Layout(
        role_cost_per_year=[r.loaded_cost_per_year_usd for r in scenario.roles.values()],
        # cost of service: onboarding and CSM roles that do not also sell (a generalist sells)
        service_roles=[roles.index(r) for r in (ps.onboarding_role, ps.csm_role)
                       if r is not None and r not in routing.selling_roles],
        # cost of retention (not in CAC): account management and customer success that do not also sell
        retention_roles=[roles.index(r) for r in (ps.am_role, ps.csm_role)
                         if r is not None and r not in routing.selling_roles],
        days_per_hour=[d / s for d, s in zip(calendar_dph or [days_per_hour(r) for r in scenario.roles.values()],
                                             deal_shares(scenario), strict=True)],
        time_use=[week(scenario, r) for r in scenario.roles] if scenario.work_model is not None else [],
        process_costs=process_costs(scenario),
        motions=[g.motion for g in scenario.segments.values()],
        gross_margin=scenario.economics.gross_margin,
        billing=scenario.economics.billing,
        collection_lag_days=scenario.economics.collection_lag_days,
        win_rate_stage=scenario.stages.index(scenario.win_rate_stage),
        closer_roles=sorted({roles.index(r) for r in routing.closing_roles}),
        quota_usd_per_year=[r.quota_usd_per_year for r in scenario.roles.values()],
        work_share=share,
        customer_success=scenario.customer_success is not None,
        stages=list(scenario.stages),
        roles=list(scenario.roles),
        headcount=[r.headcount for r in scenario.roles.values()],
        unlimited=[r.unlimited_capacity for r in scenario.roles.values()],
        segments=list(scenario.segments),
        sources=list(scenario.sources),
        horizon_days=horizon_days,
    )
