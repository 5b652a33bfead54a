"""How big a run will be, estimated from the scenario alone, before it starts.

Why: every input may be legal and the run still hopeless -- 100,000 inbound
leads a week for a year is 5 million lead processes, tens of millions of
events and gigabytes of memory. Saying so up front (and refusing beyond a
limit the user can raise) beats a run that is killed after an hour.

The estimate is the expected number of leads each source creates over the
horizon, from the parameters that drive it:

* inbound: ``rate_per_week`` x weeks x the mean seasonality, times the
  market shocks that raise the rate (an upper reading: as if every shock
  lasted the whole run);
* outbound: every account on the list, again after each ``cooling_off_days``,
  but no faster than the prospecting reps can hold them (``headcount`` x
  their open-lead cap, each held at least for the attempts' gaps);
* account mining depends on how many customers the run wins, which no
  formula knows; it is left out here, and the run's own guard counts it.

Events are leads x :data:`EVENTS_PER_LEAD` (the shipped scenarios record 3
to 10 events per lead: creation, work and moves per step, the outcome).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.scenario.schema import Inbound, Outbound, Scenario
from sim.units import DAYS_PER_YEAR

EVENTS_PER_LEAD = 10


@dataclass(frozen=True)
class Size:
    """Expected leads and events of a run, and the leads by the key that drives them."""

    leads: float
    events: float
    by_key: dict[str, float] = field(default_factory=dict)

    @property
    def biggest(self) -> str | None:
        """The scenario key behind most of the leads."""
        return max(self.by_key, key=self.by_key.__getitem__) if self.by_key else None


def trend_mean(src: Inbound, weeks: float) -> float:
    """The mean over ``weeks`` of an inbound source's trend factor, (1 + trend) ** years since day 0."""
    g = math.log1p(src.trend_per_year) if src.trend_per_year else 0.0
    years = weeks * 7.0 / DAYS_PER_YEAR
    if g == 0.0 or years <= 0:
        return 1.0
    return math.expm1(g * years) / (g * years)


def _inbound(scenario: Scenario, name: str, src: Inbound, weeks: float) -> float:
    profile = src.seasonality_monthly or [1.0] * 12
    shocks = math.prod(ev.rate_multiplier for ev in scenario.timeline
                       if ev.action == "market_shock" and ev.source == name and ev.rate_multiplier > 1)
    return src.rate_per_week * weeks * (sum(profile) / len(profile)) * shocks * trend_mean(src, weeks)


def _outbound(scenario: Scenario, src: Outbound, weeks: float) -> float:
    days = weeks * 7.0
    listed = sum(src.accounts.values()) * (1.0 + days / src.cooling_off_days)
    entry = src.entry_stage or scenario.stages[0]
    k = scenario.stages.index(entry) if entry in scenario.stages else 0
    if k + 1 >= len(scenario.stages):
        return 0.0
    stage = scenario.stages[k + 1]
    step = scenario.steps.get(stage)
    role_name = src.roles.get(stage, step.role if step is not None else None)
    role = scenario.roles.get(role_name) if role_name else None
    cap = src.cadence_per_rep or (role.max_open_per_rep if role is not None else None)
    if role is None or role.unlimited_capacity or cap is None:
        return listed
    held_days = max(1 / 24, (src.attempts.max_attempts - 1) * src.attempts.days_between_attempts.mean())
    return min(listed, role.headcount * cap * (1.0 + days / held_days))


def estimate(scenario: Scenario, weeks: float | None = None) -> Size:
    """The expected size of one run of ``scenario`` over ``weeks`` (default: its horizon)."""
    horizon = float(scenario.horizon_weeks if weeks is None else weeks)
    by_key: dict[str, float] = {}
    for name, src in scenario.sources.items():
        if isinstance(src, Inbound):
            by_key[f"sources.{name}.rate_per_week"] = _inbound(scenario, name, src, horizon)
        elif isinstance(src, Outbound):
            by_key[f"sources.{name}.accounts"] = _outbound(scenario, src, horizon)
    leads = sum(by_key.values())
    return Size(leads, leads * EVENTS_PER_LEAD, by_key)
