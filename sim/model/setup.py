"""What a run is built from, made once per run: :class:`RunSetup`.

Before any SimPy object exists, a scenario is resolved into the pieces every
part of the model reads and none of them changes: who works which step
(:class:`~sim.scenario.routing.RoutingPlan`), the working-time tables
(:class:`~sim.model.worktime.Calendars`, only with a ``calendar`` section),
how many calendar days an hour of each role's work takes (over the deal share
of the week, :mod:`~sim.model.selling_time`), and the
:class:`~sim.model.vocab.Layout` the recorders and metrics read. ``simulate``
builds it, gives its layout to the recorder and the setup to the
:class:`~sim.model.world.World`; nothing is computed twice.

Work time has one scale (:meth:`RunSetup.work_scale`): a role's days per hour
times the tools' factor of the task (:func:`~sim.model.process.tools_factor`).
Every sampler of work time (funnel steps, a second seller's assist,
onboarding, expansion, account care) is scaled by it when the run is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model import selling_time
from sim.model.process import process_costs, tools_factor
from sim.model.vocab import Layout
from sim.model.worktime import Calendars
from sim.scenario.routing import RoutingPlan
from sim.scenario.schema import Role, Scenario
from sim.units import DAYS_PER_WEEK, WORK_DAYS_PER_YEAR


def around_the_clock_days_per_hour(spec: Role) -> float:
    """Without a calendar, the calendar days one hour of the role's work takes: a
    week of 7 days holds ``hours_per_week`` of work, less time off (holidays,
    vacation), which takes hours out of every week."""
    off = spec.people.time_off_days_per_year if spec.people else 0.0
    return DAYS_PER_WEEK / (spec.weekly_hours * max(1 - off / WORK_DAYS_PER_YEAR, 0.05))


@dataclass(frozen=True, eq=False)
class RunSetup:
    """A scenario resolved for one run of ``horizon_days`` (see the module text)."""

    scenario: Scenario
    horizon_days: float
    routing: RoutingPlan
    calendars: Calendars | None  # None: no calendar section, work is spread over the week
    days_per_hour: dict[str, float]  # per role: calendar days (or days of working time) one work hour takes
    layout: Layout

    @classmethod
    def of(cls, scenario: Scenario, horizon_days: float) -> RunSetup:
        """The setup of ``scenario`` (the scenario the model runs: with a work model,
        the tools act by moving time, :func:`~sim.model.selling_time.model_scenario`)."""
        scenario = selling_time.model_scenario(scenario)
        routing = RoutingPlan.compile(scenario)
        calendars = Calendars(scenario, horizon_days) if scenario.calendar is not None else None
        # only the deal share of a week works tasks (1 without a work model)
        deal = dict(zip(scenario.roles, selling_time.deal_shares(scenario), strict=True))
        dph = {}
        for name, spec in scenario.roles.items():
            d = calendars.days_per_hour(name) if calendars is not None else around_the_clock_days_per_hour(spec)
            dph[name] = d / deal[name] if deal[name] != 1.0 else d
        return cls(scenario, horizon_days, routing, calendars, dph,
                   _layout(scenario, horizon_days, routing, calendars, dph))

    def work_scale(self, role: str, stage: str | None) -> float:
        """Days one hour of ``role``'s work on a step into ``stage`` takes (``stage``
        None: post-sale work): the role's days per hour times the tools' factor."""
        return self.days_per_hour[role] * tools_factor(self.scenario.process, role, stage)

    @property
    def start_weekday(self) -> int:
        """Weekday of day 0 (Monday = 0; a Monday without a calendar)."""
        return self.calendars.start_weekday if self.calendars is not None else 0

    @property
    def month0(self) -> float:
        """Days from 1 January to day 0 (0 without a calendar)."""
        return self.calendars.month0 if self.calendars is not None else 0.0


def _layout(scenario: Scenario, horizon_days: float, routing: RoutingPlan, calendars: Calendars | None,
            days_per_hour: dict[str, float]) -> Layout:
    roles = list(scenario.roles)
    ps = scenario.post_sale
    return Layout(
        role_cost_per_year=[r.loaded_cost_per_year_usd for r in scenario.roles.values()],
        # cost of service: onboarding and CSM roles that do not also sell (a generalist sells)
        service_roles=[roles.index(r) for r in (ps.onboarding_role, ps.csm_role)
                       if r is not None and r not in routing.selling_roles],
        # cost of retention (not in CAC): account management and customer success that do not also sell
        retention_roles=[roles.index(r) for r in (ps.am_role, ps.csm_role)
                         if r is not None and r not in routing.selling_roles],
        days_per_hour=[days_per_hour[r] for r in roles],
        process_costs=process_costs(scenario),
        motions=[g.motion for g in scenario.segments.values()],
        gross_margin=scenario.economics.gross_margin,
        marketing_programmes_usd_per_year=scenario.economics.marketing_programmes_usd_per_year,
        recruiting_cost_usd=[r.recruiting_cost_usd for r in scenario.roles.values()],
        billing=scenario.economics.billing,
        collection_lag_days=scenario.economics.collection_lag_days,
        win_rate_stage=scenario.stages.index(scenario.win_rate_stage),
        closer_roles=sorted({roles.index(r) for r in routing.closing_roles}),
        quota_usd_per_year=[r.quota_usd_per_year for r in scenario.roles.values()],
        # share of calendar time a rep is at work (empty without a calendar)
        work_share=[calendars.available_share(r) for r in roles] if calendars is not None else [],
        time_use=[selling_time.week(scenario, r) for r in roles] if scenario.work_model is not None else [],
        customer_success=scenario.customer_success is not None,
        stages=list(scenario.stages),
        roles=roles,
        headcount=[r.headcount for r in scenario.roles.values()],
        unlimited=[r.unlimited_capacity for r in scenario.roles.values()],
        segments=list(scenario.segments),
        sources=list(scenario.sources),
        horizon_days=horizon_days,
    )
