"""Scenario section for PODs: small cross-functional teams that each own a slice
of the market, mature, and split (domain.md, the PODs paragraph).

A POD is a set of seats of the podded roles (e.g. 2 SDR seats + 1 AE seat);
roles not listed stay horizontal pools shared by every POD (e.g. onboarding).
A lead belongs to the POD that owns its slice: a segment (ACV tier), an
industry drawn per lead, or - for outbound lists - the account's segment.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sim.scenario.customers import Probability

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


class Pod(_Model):
    name: Name
    owns: list[Name] = Field(min_length=1, description="segments or industries this POD owns")
    headcount: dict[Name, Annotated[int, Field(ge=0, le=1000)]] = Field(
        description="seats per podded role, e.g. {sdr: 2, ae: 1}")


class Maturity(_Model):
    """When a POD counts as mature enough to split (all set conditions must hold)."""

    min_age_days: Annotated[float, Field(ge=0)] = Field(default=365.0, description="days since the POD formed")
    min_member_tenure_days: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="average tenure of the POD's present members (reps with a people model)")
    min_bookings_usd: Annotated[float, Field(ge=0)] = Field(default=0.0, description="bookings since it formed")
    min_win_rate: Probability = Field(default=0.0, description="win rate since it formed")
    min_queue_per_seat: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="demand exceeds capacity: mean tasks waiting per seat over the last period")


class Fission(_Model):
    policy: Literal["never", "mature_and_demand", "by_slice"] = Field(
        default="never", description="never split; split when mature and demand exceeds capacity; or split "
        "when mature by handing half of the POD's slices (ACV tiers or industries) to the new POD")
    check_every_days: Annotated[float, Field(gt=0, le=365)] = 30.0
    maturity: Maturity = Field(default_factory=Maturity)
    max_pods: Annotated[int, Field(ge=1, le=64)] = 8
    new_pod_headcount: dict[Name, Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=dict, description="seats per podded role in a new POD, the promoted lead included")
    promote_role: Name | None = Field(default=None, description="role the new POD's lead comes from "
                                      "(default: the last podded role, e.g. the AE)")
    lead_selling_share: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.5, description="a POD lead sells less and coaches more: their work takes 1/share as long")
    coaching_ramp_multiplier: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.6, description="a coached new member ramps faster")


class Pods(_Model):
    roles: list[Name] = Field(min_length=1, description="roles split into PODs; others are shared pools")
    slice: Literal["segment", "industry"] = "segment"
    industries: dict[Name, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, description="slice: industry - share of leads per industry (sums to 1)")
    initial: list[Pod] = Field(min_length=1)
    inside_handoff_delay_days: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="hand-off delay between roles of the same POD (cheaper than horizontal)")
    inside_handoff_leakage: Probability | None = Field(
        default=None, description="hand-off leakage between roles of the same POD")
    fission: Fission = Field(default_factory=Fission)
    missing_capability_renewal_multiplier: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.85, description="PODs without onboarding/CSM coverage (no post_sale onboarding or CSM "
        "role): renewal odds multiplied by this")
    missing_capability_ramp_multiplier: Annotated[float, Field(ge=1, le=5)] = Field(
        default=1.5, description="... and new members ramp this much slower")
