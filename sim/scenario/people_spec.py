"""Scenario sections for people and organization (issue: inverted vs upright triangle).

* :class:`People` (per role): reps as individuals - skill drawn per rep (and
  per stage), ramp after hire, learning with practice, attrition, backfill
  with a hiring lag, time off, what happens to a leaver's deals and accounts,
  and (for generalists) how a rep splits their week between kinds of work.
* :class:`Process` (scenario-wide): the upright triangle's process layer -
  playbooks, tools, enablement and data-driven improvement - each switchable
  on its own, each an effect on parameters, never on outcomes.
* :class:`Event` (timeline): dated interventions applied during the run.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from sim.scenario.base import MIN_PERIOD_DAYS, PERIOD, Share, StrictModel
from sim.scenario.data_loop_spec import OutsideBenchmark
from sim.scenario.distributions import Dist
from sim.units import MAX_HORIZON_WEEKS

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
WorkKind = Literal["prospecting", "closing", "onboarding", "account_care"]


class _Model(StrictModel):
    """Strict numbers, unknown keys refused (see :mod:`sim.scenario.base`)."""


class People(_Model):
    """The reps of a role as individuals. All defaults are neutral (identical,
    fully ramped, never leaving reps), so a role without this section behaves
    as a plain pool of capacity."""

    skill: Dist = Field(default=1.0, description="per-rep skill: multiplies the odds of converting the "
                        "steps the rep works (1 = average; a pareto gives a power-law tail of stars)")
    stage_skill_sigma: Annotated[float, Field(ge=0, le=2)] = Field(
        default=0.0, description="per-stage spread around the rep's skill (lognormal sigma): a rep can be "
        "a strong closer and a weak prospector")
    ramp_days: Annotated[float, Field(ge=0, le=1000)] = Field(
        default=0.0, description="days from hire to full productivity and skill (SDR ~90, AE ~150: "
        "Bridge Group)")
    ramp_start: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.5, description="productivity and skill at hire, as a share of full; rises linearly")
    learning_per_task: Share = Field(
        default=0.0, description="skill gained per task done at a stage (share of the rep's skill)")
    learning_cap: Annotated[float, Field(ge=1, le=10)] = Field(
        default=1.3, description="most that practice can multiply a rep's skill by")
    attrition_per_year: Annotated[float, Field(ge=0, le=5)] = Field(
        default=0.0, description="chance per year a rep leaves (exponential tenure; 14-35%: Alexander "
        "Group, M)")
    backfill: bool = Field(default=True, description="hire a replacement when a rep leaves")
    hiring_lag_days: Annotated[float, Field(ge=0, le=730)] = Field(
        default=60.0, description="days from a departure to the replacement's first day")
    time_off_days_per_year: Annotated[float, Field(ge=0, le=200)] = Field(
        default=0.0, description="holidays plus vacation: takes working hours out of every week")
    lose_open_deals_probability: Share = Field(
        default=0.0, description="when a rep leaves, each lead they own is lost with this chance (work_model.leavers "
        "replaces it with a chance by the tasks they did on the lead)")
    orphan_renewal_multiplier: Share = Field(
        default=1.0, description="renewal odds of accounts whose owner left and is not yet replaced")
    time_policy: list[WorkKind] = Field(
        default=["closing", "onboarding", "account_care", "prospecting"], min_length=1,
        description="for reps who do several kinds of work: what comes first when they are busy")

    @field_validator("time_policy")
    @classmethod
    def _distinct(cls, v):
        if len(set(v)) != len(v):
            raise ValueError(f"each kind of work may appear once, got {v}")
        return v


class ProcessCost(_Model):
    """What a process lever costs (all optional, default free): a licence or
    programme price per year, per filled seat of the roles the lever covers or
    flat, plus enablement/ops staff who run it. It flows into costs, CAC (the
    share of the covered seats that acquire customers) and cost per ARR, so a
    process is not better by assumption only because it is free."""

    cost_per_year_usd: Annotated[float, Field(ge=0, le=1e9)] = Field(
        default=0.0, description="price per year: per filled seat of the covered roles, or flat (cost_basis)")
    cost_basis: Literal["per_seat", "flat"] = Field(
        default="per_seat", description="per_seat: x the covered roles' filled seats, day by day; flat: per year")
    ops_headcount: Annotated[float, Field(ge=0, le=1000)] = Field(
        default=0.0, description="enablement / RevOps staff who run the lever (full-time equivalents)")
    ops_loaded_cost_per_year_usd: Annotated[float, Field(ge=0, le=1e7)] = Field(
        default=0.0, description="loaded cost per year of each of those staff")


class Playbooks(ProcessCost):
    """Scripts and playbooks: new reps start from experienced reps' best practice."""

    skill_spread_multiplier: Share = Field(
        default=0.5, description="shrinks each rep's distance from the average skill")
    ramp_multiplier: Annotated[float, Field(gt=0, le=1)] = Field(default=0.6, description="shorter ramp")


class Tools(ProcessCost):
    """Tools (CRM, sequencing, CPQ) take hours out of the tasks of the roles and
    steps they name."""

    work_hours_multiplier: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.8, description="multiplies the work hours of every covered task")
    roles: list[Name] | None = Field(
        default=None, description="roles whose tasks the tools speed up (default: every role)")
    steps: list[Name] | None = Field(
        default=None, description="funnel steps (by destination stage) they speed up (default: every step, "
        "and post-sale work: onboarding, account care, expansion); a list leaves post-sale work out")


class Enablement(ProcessCost):
    learning_multiplier: Annotated[float, Field(ge=1, le=10)] = Field(
        default=2.0, description="coaching and training speed up learning")


class DataDriven(ProcessCost):
    """A learning loop: each period, find the stage furthest below its benchmark
    and lift its conversion a little (one skill a week, one KPI a month)."""

    period_days: Annotated[float, Field(ge=MIN_PERIOD_DAYS, le=365)] = Field(
        default=30.0, description=f"days between two lifts; {PERIOD}")
    lift_fraction: Share = Field(
        default=0.02, description="relative lift of the chosen stage's conversion per period")
    max_lift: Annotated[float, Field(ge=0, le=5)] = Field(
        default=0.3, description="most a stage's conversion can be lifted in total (relative)")
    benchmark: dict[Name, Share] = Field(
        default_factory=dict, description="stage -> benchmark conversion (industry average); "
        "stages without one are compared with their own configured rate (the legacy loop; not used with `outside`)")
    min_observations: Annotated[int, Field(ge=1)] = Field(
        default=30, description="leads a stage must have seen before it can be chosen for a lift")
    outside: OutsideBenchmark | None = Field(
        default=None, description="a cited benchmark per segment and stage the loop closes gaps to, with "
        "diminishing returns, a lag and analyst time (absent: the legacy loop over `benchmark`)")


class Process(_Model):
    """The upright triangle's process layer; each part is off unless present."""

    playbooks: Playbooks | None = None
    tools: Tools | None = None
    enablement: Enablement | None = Field(
        default=None, description="onboarding and coaching programmes that shorten ramp (absent: off)")
    data_driven: DataDriven | None = None

    def tools_factor(self, role: str | None, stage: str | None) -> float:
        """Multiplier of the work hours of a task of ``role`` (a funnel step into
        ``stage``, or post-sale work when ``stage`` is None). The one definition the
        model (its work samplers) and the lint (its capacity estimate) both use."""
        tools = self.tools
        if tools is None or role is None:
            return 1.0
        if tools.roles is not None and role not in tools.roles:
            return 1.0
        if tools.steps is not None and (stage is None or stage not in tools.steps):
            return 1.0
        return tools.work_hours_multiplier


class Event(_Model):
    """A dated intervention. ``action`` picks which other fields apply."""

    week: Annotated[float, Field(ge=0, le=MAX_HORIZON_WEEKS)] = Field(
        description="when the event happens (weeks from the start)")
    action: Literal["rep_leaves", "hire", "market_shock", "playbooks", "price_change"] = Field(
        description="what happens; the other keys say to whom and how much")
    role: Name | None = Field(default=None, description="rep_leaves, hire")
    rep: int | Literal["top"] | None = Field(
        default=None, description="rep_leaves: a seat number, or 'top' for the rep with the most bookings")
    count: Annotated[int, Field(ge=1, le=10_000)] = Field(default=1, description="hire: how many")
    source: Name | None = Field(default=None, description="market_shock: the inbound source")
    rate_multiplier: Annotated[float, Field(ge=0, le=100)] = Field(default=1.0, description="market_shock")
    weeks: Annotated[float, Field(gt=0, le=MAX_HORIZON_WEEKS)] = Field(
        default=8.0, description="market_shock: how long")
    segment: Name | None = Field(default=None, description="price_change: one tier (default: all)")
    price_multiplier: Annotated[float, Field(gt=0, le=100)] = Field(default=1.0, description="price_change")
