"""The scenario format: pydantic models, one per section of a scenario file.

Every model forbids unknown keys (a typo is an error, never silently ignored)
and every quantity carries its unit in its name. Cross-references between
sections (a step naming a role, a source naming a segment) are checked in
:mod:`sim.scenario.checks`, so that each problem is reported at its own key.

Vocabulary (see ``docs/background.md#stages-steps-and-the-bow-tie-metrics``):

* **stage** - a state a lead can be in: ``target_account``, ``mql``, ``sql``,
  ``opportunity``, ``negotiation``, ``won``. The last stage is the win.
* **step** - the move *into* a stage; steps are keyed by the stage they lead
  to. A step may need a role's work (hours of a rep's time), takes calendar
  time (the customer's side) and converts with a probability.
* **segment** - a market tier (SMB, mid-market, enterprise) with its own deal
  sizes, conversion rates and durations.
* **source** - where leads come from: inbound (marketing-created, Poisson)
  or outbound (a finite list of target accounts prospected by a role).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from sim.scenario.base import MIN_PERIOD_DAYS, PERIOD, Share, StrictModel
from sim.scenario.calendar_spec import ArrivalProfile, Calendar, WorkWeek
from sim.scenario.customers import Assist, Customer, Economics, PostSale, Pql, check_curve
from sim.scenario.deals_spec import Deals
from sim.scenario.distributions import Dist, ValueDist
from sim.scenario.market_spec import Market
from sim.scenario.people_spec import Event, People, Process
from sim.scenario.pipeline_spec import InitialPipeline
from sim.scenario.pod_spec import Pods
from sim.scenario.success_spec import CustomerSuccess, OnboardingPolicy
from sim.scenario.work_model import WorkModel
from sim.units import MAX_HORIZON_WEEKS

Name = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40, description="lower_snake_case name"),
]
Multiplier = Annotated[float, Field(ge=0, le=100)]

DEFAULT_WEEKLY_HOURS = 40.0
DEFAULT_STAGES = ["target_account", "mql", "sql", "opportunity", "negotiation", "won"]

# Speed-to-lead: multiplier on the step's conversion probability as a function of
# the hours a lead waited before the first touch (docs/background.md#speed-to-lead).
# The curve below is the cross-firm ASSOCIATION of Oldroyd et al., HBR 2011: firms
# that tried within an hour were ~7x as likely to qualify the lead as those that
# tried an hour later, ~60x as likely as those that waited 24 h or more. We read
# "within an hour" as the 0-1 h average and put the 1-2 h level at 1/7 and 24 h+
# at 1/60 of the immediate response (the MIT/InsideSales figure, 21x from 5 to 30
# minutes, is steeper still). It compares firms, not the same lead answered
# faster, so the model takes only ``causal_share`` of its log-decay as the
# effect of waiting: multiplier = association ** causal_share. Range 0 (all of
# the association is firm quality: no effect) to 1 (all of it causal: the
# association as it is, salesim's curve before this key); default 0.15, an
# assumption (L): an hour's wait keeps ~85% of the odds, a day's ~54%.
DEFAULT_SPEED_TO_LEAD_CURVE = [
    (0.0, 1.0),
    (0.25, 0.9),
    (1.0, 0.35),
    (2.0, 0.143),
    (24.0, 0.0167),
]
DEFAULT_SPEED_TO_LEAD_CAUSAL_SHARE = 0.15


class _Model(StrictModel):
    """Strict numbers, unknown keys refused (see :mod:`sim.scenario.base`)."""


class Handoff(_Model):
    """What a hand-off between two roles costs: calendar delay and leakage."""

    delay_days: Dist = Field(default=0.0, description="calendar delay added at the hand-off")
    leakage_probability: Share = Field(
        default=0.0, description="chance the lead is dropped at the hand-off (no-show, lost note)"
    )


class SpeedToLead(_Model):
    """Conversion decay with waiting time, for steps that set ``speed_to_lead: true``:
    ``curve_hours ** causal_share`` (the share of an observed association taken as causal)."""

    curve_hours: list[tuple[Annotated[float, Field(ge=0)], Multiplier]] = Field(
        default=DEFAULT_SPEED_TO_LEAD_CURVE,
        min_length=1,
        description="[hours waited, conversion multiplier] points, linear in between, "
        "flat after the last point; by default the cross-firm association of HBR 2011",
    )
    causal_share: Share = Field(
        default=DEFAULT_SPEED_TO_LEAD_CAUSAL_SHARE,
        description="share of the curve's log-decay that acts on a lead: each point's multiplier is raised "
        "to this power (0: waiting costs nothing; 1: the curve as it is, salesim's default before; "
        "default 0.15, an assumption: a day's wait keeps ~54% of the odds instead of 1/60)")

    @field_validator("curve_hours")
    @classmethod
    def _ascending(cls, v):
        return check_curve(v, " hours")

    def effective_curve(self) -> list[tuple[float, float]]:
        """The curve that acts on a lead's conversion: each multiplier ** ``causal_share``."""
        s = self.causal_share
        if s == 1.0:
            return [(float(h), float(m)) for h, m in self.curve_hours]
        return [(float(h), float(m) ** s) for h, m in self.curve_hours]


class Step(_Model):
    """Segment-independent settings of the step into a stage."""

    role: Name | None = Field(
        default=None, description="role whose reps do the work; null: no sales work (marketing)"
    )
    sla_hours: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="a lead not picked up within this many hours is lost"
    )
    sla_clock: Literal["business_hours", "calendar_hours"] = Field(
        default="business_hours", description="how the SLA's hours count: working hours of the role's "
        "calendar, or every hour (without a calendar both are the same)")
    speed_to_lead: bool = Field(
        default=False, description="apply the speed-to-lead decay to the wait before first touch"
    )
    handoff: Handoff | None = Field(
        default=None, description="overrides the scenario-wide hand-off when the role changes here"
    )


class SegmentStep(_Model):
    """Per-segment numbers of one step."""

    conversion_probability: Share = Field(description="chance a lead that finishes the step moves on to the stage")
    elapsed_days: Dist = Field(
        default=0.0, description="calendar time beyond queueing and work (the customer's side)"
    )
    work_hours: Dist = Field(default=0.0, description="hours of a rep's time the step takes")
    lost_after_days: Dist | None = Field(
        default=None, description="calendar time before a lead that does not convert is lost: with it the "
        "conversion is drawn when the work is done and the customer's time is elapsed_days for a lead that "
        "converts and this for one that does not, so won and lost deals take their own times (a CRM's time to "
        "a win and to a loss); absent: every lead waits elapsed_days, then the conversion is drawn")
    assist: Assist | None = Field(default=None, description="a second seller's time on this step")


class ValueExchange(_Model):
    """Key moment in negotiation: when asked for a discount, ask for something back."""

    discount_multiplier: Share = Field(
        default=0.6, description="the discount granted shrinks by this factor"
    )
    win_probability_multiplier: Annotated[float, Field(gt=0, le=2)] = Field(
        default=0.97, description="some buyers walk away when asked for something back"
    )
    discount_restored_at_renewal: Share = Field(
        default=0.0, description="share of the signing discount the first renewal gives back: the buyer traded "
        "something for it, so it was a one-time concession and the account's renewal (and the expansions "
        "priced on its ACV after it) starts nearer list (0: the discounted price sets the renewal baseline "
        "for good, the behaviour without the key; an assumption, range 0-1)")


class Segment(_Model):
    """A market tier: deal sizes, conversion rates and durations of every step."""

    acv_usd: ValueDist = Field(description="annual contract value at list price (a distribution, or "
                               "{dist: lognormal_mixture, components: [{weight, median, sigma}, ...]} for a segment "
                               "of products of different sizes)")
    steps: dict[Name, SegmentStep] = Field(description="one entry per step (every stage but the first)")
    discount_fraction: Dist = Field(default=0.0, description="discount off list at signature, 0..1")
    roles: dict[Name, Name | None] = Field(
        default_factory=dict,
        description="step -> role overrides for this tier (e.g. enterprise deals to field AEs); "
        "a source's own overrides win")
    value_exchange: ValueExchange | None = None
    motion: Literal["plg", "inside", "two_stage", "field", "strategic"] | None = Field(
        default=None, description="label of the tier's sales motion (for reports, and the benchmark rows "
        "`salesim check` reads the tier against: plg, field and strategic outrank its name; the mechanics are in "
        "its roles, hours and durations)")
    pql: Pql | None = Field(default=None, description="self-serve tiers: route a share of sign-ups to sales")
    customer: Customer = Field(default_factory=Customer, description="the right side of the bow-tie")

    @field_validator("discount_fraction")
    @classmethod
    def _bounded(cls, v):
        upper = {"constant": "value", "uniform": "high", "triangular": "high"}
        if v.dist == "beta":
            return v
        if v.dist not in upper:
            raise ValueError(
                f"a discount needs a distribution bounded by 1 (constant, uniform, triangular, beta), "
                f"got {v.dist}"
            )
        if getattr(v, upper[v.dist]) > 1:
            raise ValueError("a discount is a fraction: it cannot exceed 1")
        return v


class Role(_Model):
    """A team of reps doing one kind of work (MDR, SDR, AE, ...)."""

    @property
    def weekly_hours(self) -> float:
        """Hours a week on the role's tasks without a calendar (40 unless set)."""
        return self.hours_per_week if self.hours_per_week is not None else DEFAULT_WEEKLY_HOURS

    headcount: Annotated[int, Field(ge=0, le=100_000)] = Field(default=1, description="reps (seats) at the start")
    unlimited_capacity: bool = Field(
        default=False, description="no queue at all (for what-if and validation runs)"
    )
    hours_per_week: Annotated[float, Field(ge=0.01, le=168)] | None = Field(
        default=None, description="hours per rep per week on the role's tasks (default 40; with a calendar: "
        "at most its working hours, which are the default; the rest is internal work)"
    )
    owns_leads: bool = Field(
        default=False, description="a lead gets one owner rep for all the role's steps"
    )
    max_open_per_rep: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="most leads a rep owns at once; others wait for a free rep"
    )
    routing: Literal["least_loaded", "round_robin", "random"] = Field(
        default="least_loaded", description="how an owner is chosen among reps with room"
    )
    loaded_cost_per_year_usd: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="salary, benefits, tools and overhead per rep per year")
    commission_rate: Share = Field(
        default=0.0, description="share of the bookings this role closes (new deals or expansions)")
    fee_per_handoff_usd: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="paid per lead the role passes on to the next role (e.g. an SDR's "
        "per-meeting fee)")
    people: People | None = Field(default=None, description="reps as individuals (skill, ramp, "
                                  "learning, attrition, time off); absent: a plain pool of capacity")
    calendar: WorkWeek | None = Field(default=None, description="this role's working time, over the "
                                      "scenario calendar (needs a scenario calendar)")
    quota_usd_per_year: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="bookings quota per rep per year, for roles that close deals: attainment "
        "is reported per year (pro rata for reps present part of it and for a shorter last period)")
    recruiting_cost_usd: Annotated[float, Field(ge=0, le=10_000_000)] = Field(
        default=0.0, description="cost of each hire into the role (a backfill or a new seat): agency or "
        "recruiter fees, job ads, interviews; in the role's cost class, so a seller's hires are in CAC "
        "(docs/background.md#recruiting-and-marketing-programmes)")


class _Source(_Model):
    entry_stage: Name | None = Field(default=None, description="stage new leads start in")
    roles: dict[Name, Name | None] = Field(
        default_factory=dict, description="step -> role overrides for leads of this source"
    )
    conversion_multiplier: dict[Name, Multiplier] = Field(
        default_factory=dict, description="step -> multiplier on its conversion for this source"
    )
    cost_per_lead_usd: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="marketing or list cost of each lead this source creates")


class Inbound(_Source):
    """Marketing-created leads arriving as a Poisson process."""

    kind: Literal["inbound"] = Field(description="the source's kind")
    rate_per_week: Annotated[float, Field(ge=0, le=1_000_000)] = Field(
        description="mean leads a week (a Poisson process, times the seasonality)")
    segment_mix: dict[Name, Annotated[float, Field(ge=0)]] = Field(
        description="share of leads per segment; must sum to 1"
    )
    seasonality_monthly: list[Annotated[float, Field(ge=0)]] | None = Field(
        default=None,
        min_length=12,
        max_length=12,
        description="rate multiplier per month of the year (Jan..Dec); average 1 keeps the volume",
    )
    arrival_profile: ArrivalProfile | None = Field(
        default=None, description="hour-of-week shape of arrivals (weekday x hour of day), on top of the "
        "monthly seasonality")
    trend_per_year: Annotated[float, Field(ge=-0.9, le=10)] = Field(
        default=0.0, description="growth of the rate a year, compounding from day 0 (0.2: 20% more leads a "
        "year later); rate_per_week is the rate at day 0. Written by `salesim calibrate` when a history of a "
        "year or more shows a trend beside its seasonality")


class Attempts(_Model):
    """Cold outreach: several touches to reach someone (TOPO: ~22.5 dials a conversation)."""

    max_attempts: Annotated[int, Field(ge=1, le=100)] = Field(
        default=6, description="touches before an account is given up")
    connect_probability: Share = Field(default=0.2, description="chance a touch reaches someone")
    days_between_attempts: Dist = Field(default=2.0, description="calendar days between two touches")


class Outbound(_Source):
    """A finite list of target accounts, prospected as fast as the owning role has room."""

    kind: Literal["outbound"] = Field(description="the source's kind")
    accounts: dict[Name, Annotated[int, Field(ge=0, le=10_000_000)]] = Field(
        description="number of target accounts per segment (the finite market)"
    )
    attempts: Attempts = Field(default_factory=Attempts)
    cooling_off_days: Annotated[float, Field(ge=MIN_PERIOD_DAYS)] = Field(
        default=90.0, description=f"an account that said no returns to the list after this long; {PERIOD}"
    )
    cadence_per_rep: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="a new account enters the cadence only while its rep owns fewer leads "
        "than this (default: the role's max_open_per_rep); lower keeps room for inbound and closing work")


class AccountMining(_Source):
    """Leads mined from existing customers (the ADR's job): new or higher-priced
    products. They enter the funnel like other leads; a win adds expansion ARR
    to the customer's account instead of creating a new logo."""

    kind: Literal["account_mining"] = Field(description="the source's kind")
    leads_per_account_per_year: Annotated[float, Field(ge=0, le=52)] = Field(
        description="leads per live customer account per year (Poisson)")
    segments: list[Name] | None = Field(default=None, min_length=1, description="tiers mined (default: all)")
    acv_multiplier: Annotated[float, Field(gt=0, le=100)] = Field(
        default=1.0, description="deal size relative to the tier's acv_usd (new products may cost more)")


Source = Annotated[Inbound | Outbound | AccountMining, Field(discriminator="kind")]


class Scenario(_Model):
    """A whole scenario: the market, the funnel and the organization."""

    name: Name
    description: str = Field(default="", description="free text shown in reports")
    horizon_weeks: Annotated[float, Field(gt=0, le=MAX_HORIZON_WEEKS)] = Field(
        default=52, description="length of a run in weeks")
    seed: Annotated[int, Field(ge=0)] = Field(
        default=0, description="root random seed of a run (salesim run --seed overrides it)")
    stages: list[Name] = Field(default_factory=lambda: list(DEFAULT_STAGES), min_length=2,
                               description="the funnel's stages in order; the first is where outbound accounts "
                               "start, the last is the win")
    steps: dict[Name, Step] = Field(default_factory=dict, description="stage -> the step into it: which role "
                                    "works it, SLA, speed-to-lead, hand-off")
    roles: dict[Name, Role] = Field(default_factory=dict, description="role name -> a team of reps")
    segments: dict[Name, Segment] = Field(min_length=1, description="segment (market tier) name -> its deal "
                                          "sizes, conversions, durations, customers")
    sources: dict[Name, Source] = Field(min_length=1, description="source name -> where leads come from "
                                        "(inbound, outbound, account mining)")
    win_rate_from: Name | None = Field(
        default=None, description="stage the win rate is counted from (default: sql if present, "
        "else the second stage)")
    handoff: Handoff = Field(default_factory=Handoff)
    speed_to_lead: SpeedToLead = Field(default_factory=SpeedToLead)
    post_sale: PostSale = Field(default_factory=PostSale)
    customer_success: CustomerSuccess | None = Field(
        default=None, description="account health and CSM-sourced expansion (absent: renewal follows CSM load only)")
    deals: Deals | None = Field(
        default=None, description="discount that buys wins, a deal-desk cap, quarter-end pressure (absent: the "
        "discount is drawn at the win, independent of it)")
    market: Market | None = Field(
        default=None, description="outbound accounts with a state: contact fatigue and win-back (absent: a "
        "lost account always comes back)")
    onboarding_policy: OnboardingPolicy | None = Field(
        default=None, description="reps who close and onboard: which comes first (absent: their time_policy)")
    economics: Economics = Field(default_factory=Economics, description="billing, cash collection and the "
                                 "costs that are not people (marketing programmes, recruiting)")
    process: Process = Field(default_factory=Process)
    timeline: list[Event] = Field(default_factory=list, description="dated interventions")
    pods: Pods | None = Field(default=None, description="vertical teams owning market slices (PODs)")
    calendar: Calendar | None = Field(default=None, description="working time: reps work only in it "
                                      "(absent: around the clock at hours_per_week / 168 speed)")
    work_model: WorkModel | None = Field(default=None, description="what a rep's week is made of: deal work "
                                         "and the rest (absent: all of it is deal work)")
    initial_pipeline: InitialPipeline | None = Field(
        default=None, description="open deals the run starts with, each in its stage with its age (a list of rows, "
        "or a CSV file relative to the scenario with the same column names); absent: an empty world")

    @field_validator("stages")
    @classmethod
    def _unique(cls, v):
        seen = [s for i, s in enumerate(v) if s in v[:i]]
        if seen:
            raise ValueError(f"stage names must be unique, repeated: {sorted(set(seen))}")
        return v

    @property
    def won_stage(self) -> str:
        return self.stages[-1]

    @property
    def win_rate_stage(self) -> str:
        if self.win_rate_from is not None:
            return self.win_rate_from
        return "sql" if "sql" in self.stages[:-1] else self.stages[1]
