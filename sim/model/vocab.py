"""The vocabulary the model uses to report to recorders: event kinds and the
layout (names behind integer codes). It lives in the model layer so that the
model never imports the records layer; recorders import it from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from sim.units import n_weeks


class Kind(IntEnum):
    """Event kinds of the event log (stored as int8)."""

    CREATED = 0
    ADVANCE = 1  # entered ``stage``; v1 = days spent in the previous stage
    WORK = 2  # a rep's task started; v1 = queue wait (days), v2 = work time (days)
    WON = 3  # v1 = days in the stage before, v2 = booked ACV (USD)
    LOST_CONVERSION = 4  # failed the step out of ``stage``; v1 = days in stage
    LOST_SLA = 5  # not picked up within the SLA
    LOST_HANDOFF = 6  # dropped at a hand-off between roles
    LOST_NO_CONTACT = 7  # outbound: no connect after the last attempt
    LOST_OWNER_LEFT = 8  # the rep who owned the lead left and the lead went with them


# The ``stage`` a task of customer work is recorded under (funnel steps are stages 0, 1, ...), so
# that the hours a role spends on each kind of work can be told apart (costs split by them:
# sim.metrics.economics): onboarding, and account work (care check-ins, expansion).
ONBOARDING_WORK = -1
ACCOUNT_WORK = -2
WORK_CLASSES = ("acquisition", "onboarding", "retention")  # [role, class] columns of Facts.busy_by_kind

LOST_KINDS = (Kind.LOST_CONVERSION, Kind.LOST_SLA, Kind.LOST_HANDOFF, Kind.LOST_NO_CONTACT, Kind.LOST_OWNER_LEFT)
LOSS_NAMES = {
    Kind.LOST_CONVERSION: "not_converted",
    Kind.LOST_SLA: "sla",
    Kind.LOST_HANDOFF: "handoff",
    Kind.LOST_NO_CONTACT: "no_contact",
    Kind.LOST_OWNER_LEFT: "owner_left",
}


@dataclass(frozen=True)
class ProcessCostLine:
    """The price of one process lever: USD a year per filled seat of ``roles``,
    plus a flat USD a year (licences, enablement/ops staff)."""

    lever: str
    roles: list[int]
    per_seat_usd_per_year: float
    flat_usd_per_year: float


@dataclass
class Layout:
    """Names behind the integer codes used in records."""

    stages: list[str]
    roles: list[str]
    headcount: list[int]
    unlimited: list[bool]
    segments: list[str]
    sources: list[str]
    horizon_days: float
    role_cost_per_year: list[float] = field(default_factory=list)  # loaded cost per rep
    service_roles: list[int] = field(default_factory=list)  # onboarding and CSM: cost of service, not S&M
    retention_roles: list[int] = field(default_factory=list)  # AM and CSM that do not also sell: not in CAC
    days_per_hour: list[float] = field(default_factory=list)  # calendar days per hour of work, per role
    process_costs: list[ProcessCostLine] = field(default_factory=list)  # priced process levers
    motions: list[str | None] = field(default_factory=list)  # per segment
    gross_margin: float = 0.8
    marketing_programmes_usd_per_year: float = 0.0  # acquisition cost not tied to a lead, accrued daily
    recruiting_cost_usd: list[float] = field(default_factory=list)  # per role: cost of each hire
    billing: str = "annual_in_advance"
    collection_lag_days: float = 30.0
    win_rate_stage: int = 1  # losses from this stage on count against the win rate
    closer_roles: list[int] = field(default_factory=list)  # roles that work a route's last step
    quota_usd_per_year: list[float | None] = field(default_factory=list)  # per role (None: no quota)
    # per role: share of calendar time a rep is at work (1 without a calendar: work is spread over the week)
    work_share: list[float] = field(default_factory=list)
    # per role with a work model: shares of the working week (deal work and the rest; empty without one)
    time_use: list[dict[str, float]] = field(default_factory=list)
    customer_success: bool = False  # the scenario has a customer_success section (account health reported)

    @property
    def n_weeks(self) -> int:
        return n_weeks(self.horizon_days)


class AccountKind(IntEnum):
    """Events in a customer account's life (the bow-tie's right side).

    Each carries ``arr_delta``: the change in counted ARR (contracts count from
    their start, at go-live or signature as the scenario says) and ``acv``: the
    contract's annual value after the event.
    """

    SIGNED = 0  # a new logo signed its first contract
    LIVE = 1  # went live (the customer signed off go-live)
    ONBOARDING_CHURN = 2  # cancelled before go-live
    RENEWED = 3  # renewed at term end; arr_delta = price uplift
    CHURNED = 4  # did not renew
    EXPANDED = 5  # account-manager expansion won
    MINED = 6  # a lead mined from the account (ADR) was won
    CONTRACTED = 7  # renewed smaller
    EXPANSION_LOST = 8  # an expansion opportunity was worked and lost
    EXPANSION_EXPIRED = 9  # nobody picked an expansion opportunity up in time
    ONBOARDING_STARTED = 10  # the onboarding role picked the new customer up (at signature without one)
    EXPANDED_CSM = 11  # customer-success-sourced expansion won (closed by the CSM or the AM it went to)
    HEALTHY = 12  # health assessed at a renewal: healthy (arr_delta 0)
    NEUTRAL = 13  # ... neither healthy nor at risk
    AT_RISK = 14  # ... at risk


ARR_BRIDGE = {
    "new": (AccountKind.SIGNED, AccountKind.LIVE),
    "expansion": (AccountKind.RENEWED, AccountKind.EXPANDED, AccountKind.MINED, AccountKind.EXPANDED_CSM),
    "contraction": (AccountKind.CONTRACTED,),
    "churn": (AccountKind.CHURNED, AccountKind.ONBOARDING_CHURN),
}


class CostKind(IntEnum):
    """Variable costs booked as they occur (salaries are computed from headcount)."""

    COMMISSION = 0
    FEE = 1
    MARKETING = 2


class TimelineKind(IntEnum):
    """Interventions and people events. The model reports each with
    ``rec.timeline(t, kind, role, who, x, y)``; what ``who``, ``x`` and ``y``
    are depends on the kind (:data:`TIMELINE_FIELDS`), and recorders store them
    under those names (:data:`TIMELINE_COLUMNS`)."""

    REP_LEFT = 0  # attrition or a timeline rep_leaves; who: the rep, x: pipeline_usd, y: arr_usd they held
    REP_HIRED = 1  # backfill, a timeline hire or a new POD's seat; who: the rep
    MARKET_SHOCK = 2  # who: the inbound source, x: its rate multiplier
    SHOCK_OVER = 3  # who: the source, x: the multiplier that ended
    PLAYBOOKS = 4  # a playbook roll-out
    PRICE_CHANGE = 5  # who: the segment (-1: every segment), x: the list-price multiplier
    PROCESS_LIFT = 6  # data-driven loop; who: the stage, x: its conversion lift now, y: conversion / benchmark
    POD_SPLIT = 7  # role/who: the promoted lead rep; x: the parent POD, y: the new POD (indices)
    REP_AWAY = 8  # a dated absence (vacation) starts; who: the rep
    REP_BACK = 9  # ... and ends


# (who, x, y) of each timeline kind: the column each lands in, None if unused
# (the POD indices of a split come as x and y and are stored as indices).
TIMELINE_FIELDS: dict[TimelineKind, tuple[str | None, str | None, str | None]] = {
    TimelineKind.REP_LEFT: ("rep", "pipeline_usd", "arr_usd"),
    TimelineKind.REP_HIRED: ("rep", None, None),
    TimelineKind.MARKET_SHOCK: ("source", "multiplier", None),
    TimelineKind.SHOCK_OVER: ("source", "multiplier", None),
    TimelineKind.PLAYBOOKS: (None, None, None),
    TimelineKind.PRICE_CHANGE: ("segment", "multiplier", None),
    TimelineKind.PROCESS_LIFT: ("stage", "lift", "conversion_vs_benchmark"),
    TimelineKind.POD_SPLIT: ("rep", "pod", "new_pod"),
    TimelineKind.REP_AWAY: ("rep", None, None),
    TimelineKind.REP_BACK: ("rep", None, None),
}

# The typed timeline columns besides ``t``, ``kind`` and ``role``: index columns
# (int, -1 where a kind has none) and value columns (float, NaN where it has none).
TIMELINE_INDEX_COLUMNS = ("rep", "source", "segment", "stage", "pod", "new_pod")
TIMELINE_VALUE_COLUMNS = ("pipeline_usd", "arr_usd", "multiplier", "lift", "conversion_vs_benchmark")
TIMELINE_COLUMNS = ("t", "kind", "role", *TIMELINE_INDEX_COLUMNS, *TIMELINE_VALUE_COLUMNS)
