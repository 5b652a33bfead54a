"""Scenario section for PODs: small cross-functional teams that each own a slice
of the market, mature, and split (docs/background.md#pods-vertical-teams-and-fission).

A POD is a set of seats of the podded roles (e.g. 2 SDR seats + 1 AE seat);
roles not listed stay horizontal pools shared by every POD (e.g. onboarding).
A lead belongs to the POD that owns its slice: a segment (ACV tier), an
industry drawn per lead, or - for outbound lists - the account's segment.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.base import MIN_PERIOD_DAYS, PERIOD, Share, StrictModel
from sim.scenario.calendar_spec import WorkWeek

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class _Model(StrictModel):
    """Strict numbers, unknown keys refused (see :mod:`sim.scenario.base`)."""


class Pod(_Model):
    name: Name = Field(description="the POD's name (reports)")
    owns: list[Name] = Field(min_length=1, description="segments or industries this POD owns")
    headcount: dict[Name, Annotated[int, Field(ge=0, le=1000)]] = Field(
        description="seats per podded role, e.g. {sdr: 2, ae: 1}")
    calendar: WorkWeek | None = Field(default=None, description="working time of this POD's podded seats, "
                                      "over the role's (e.g. a POD in another time zone's hours)")


class Maturity(_Model):
    """When a POD counts as mature enough to split (all set conditions must hold)."""

    min_age_days: Annotated[float, Field(ge=0)] = Field(default=365.0, description="days since the POD formed")
    min_member_tenure_days: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="average tenure of the POD's present members (reps with a people model)")
    min_bookings_usd: Annotated[float, Field(ge=0)] = Field(default=0.0, description="bookings since it formed")
    min_win_rate: Share = Field(default=0.0, description="win rate since it formed")
    min_queue_per_seat: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="demand exceeds capacity: mean tasks waiting per seat over the last period")


class Fission(_Model):
    policy: Literal["never", "mature_and_demand", "by_slice"] = Field(
        default="never", description="never split; split when mature and demand exceeds capacity; or split "
        "when mature by handing half of the POD's slices (ACV tiers or industries) to the new POD")
    check_every_days: Annotated[float, Field(ge=MIN_PERIOD_DAYS, le=365)] = Field(
        default=30.0, description=f"days between two maturity checks; {PERIOD}")
    maturity: Maturity = Field(default_factory=Maturity)
    max_pods: Annotated[int, Field(ge=1, le=64)] = Field(default=8, description="most PODs there can be")
    new_pod_headcount: dict[Name, Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=dict, description="seats per podded role in a new POD, the promoted lead included")
    promote_role: Name | None = Field(default=None, description="role the new POD's lead comes from "
                                      "(default: the last podded role, e.g. the AE)")
    lead_selling_share: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.5, description="a POD lead sells less and coaches more: their work takes 1/share as long")
    coaching_ramp_multiplier: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.6, description="a coached new member ramps faster")
    grow_in_place: bool = Field(
        default=False, description="when a POD would split, hire the new POD's seats (new_pod_headcount) into "
        "it instead: no new POD, no promoted lead, no coaching -- the same hires at the same trigger, to "
        "compare splitting a POD with growing it (at most max_pods - initial PODs growths)")

    @model_validator(mode="after")
    def _grow_needs_a_trigger(self):
        if self.grow_in_place and self.policy != "mature_and_demand":
            raise ValueError("grow_in_place grows a POD when it would split for demand: it needs policy "
                             "mature_and_demand")
        return self


class Pods(_Model):
    roles: list[Name] = Field(min_length=1, description="roles split into PODs; others are shared pools")
    slice: Literal["segment", "industry"] = Field(
        default="segment", description="what a POD owns: segments, or industries drawn per lead")
    industries: dict[Name, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, description="slice: industry - share of leads per industry (sums to 1)")
    initial: list[Pod] = Field(min_length=1, description="the PODs at the start")
    inside_handoff_delay_days: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="hand-off delay between roles of the same POD (cheaper than horizontal)")
    inside_handoff_leakage: Share | None = Field(
        default=None, description="hand-off leakage between roles of the same POD")
    fission: Fission = Field(default_factory=Fission, description="when and how a POD splits in two (or "
                             "grows in place)")
    without_customer_team: Literal["sellers", "none"] = Field(
        default="sellers", description="PODs without a customer organization (no post_sale onboarding or CSM "
        "role): 'sellers' - the rep who closes onboards and looks after the account in their own queue "
        "(selling time goes to customers; care missed when busy lowers renewals); 'none' - nobody does: "
        "customers go live on their own and renew at post_sale.no_csm_renewal_multiplier")
    missing_capability_ramp_multiplier: Annotated[float, Field(ge=1, le=5)] = Field(
        default=1.0, description="without a customer organization, new POD members ramp this much slower: an "
        "assumption with no published figure, off by default (the cost of the missing organization comes from "
        "the mechanism instead: sellers onboard and look after accounts in their own queues, ranked by "
        "onboarding_policy or their time_policy); for sensitivity studies only")


def customer_work(scenario):
    """The scenario the model runs when PODs have no customer organization and
    their sellers carry it (``without_customer_team: sellers``): the role that
    closes becomes the onboarding and CSM role, so the rep who wins an account
    onboards it and does its monthly care as tasks in their own queue, like a
    generalist (``post_sale.missed_care_renewal_curve``). Anything else is
    returned unchanged. Why here: the model, the layout and the cost split all
    read ``post_sale``; resolving once keeps them consistent."""
    pods, ps = scenario.pods, scenario.post_sale
    if pods is None or pods.without_customer_team != "sellers" or ps.onboarding_role or ps.csm_role:
        return scenario
    step = scenario.steps.get(scenario.won_stage)
    closer = step.role if step is not None else None
    if closer is None or not scenario.roles[closer].owns_leads:
        return scenario
    return scenario.model_copy(update={"post_sale": ps.model_copy(
        update={"onboarding_role": closer, "csm_role": closer})})


def has_customer_team(scenario) -> bool:
    """An onboarding or CSM role that is not also a seller (a role of a funnel step)."""
    ps = scenario.post_sale
    sellers = {st.role for st in scenario.steps.values()}
    return any(r is not None and r not in sellers for r in (ps.onboarding_role, ps.csm_role))
