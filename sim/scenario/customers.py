"""Scenario sections for the bow-tie's right side and the money.

* :class:`Customer` (per segment): contract term, onboarding, renewal,
  contraction and AM-worked expansion of a tier's customers.
* :class:`PostSale` (scenario-wide): which roles onboard, look after and
  expand customers, when a contract starts, and the configurable curves by
  which capacity bites (an onboarding backlog raises early churn; an
  overloaded CSM book lowers renewal odds).
* :class:`Economics` (scenario-wide): gross margin, billing and collection.
  Per-role costs and commissions live on the role, marketing cost per lead on
  the source (see :mod:`sim.scenario.schema`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from sim.scenario.base import Share, StrictModel
from sim.scenario.distributions import Dist

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class _Model(StrictModel):
    """Strict numbers, unknown keys refused (see :mod:`sim.scenario.base`)."""


def check_curve(points: list[tuple[float, float]], unit: str = "") -> list[tuple[float, float]]:
    """A piecewise curve starts at 0 and its x values strictly increase."""
    xs = [x for x, _ in points]
    if xs[0] != 0:
        raise ValueError(f"the first point must be at 0{unit}")
    if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
        raise ValueError(f"{unit.strip() or 'x values'} must be strictly increasing, got {xs}")
    return points


class Onboarding(_Model):
    """From signature to go-live: the customer signs off go-live before paying."""

    work_hours: Dist = Field(default=0.0, description="hours of onboarding-role work per customer")
    elapsed_days: Dist = Field(default=14.0, description="calendar time to go-live beyond queue and work")
    churn_probability: Share = Field(
        default=0.0, description="chance a customer cancels before go-live when onboarded at once")


class Renewal(_Model):
    probability: Share = Field(default=0.85, description="renewal odds of a healthy account")
    price_uplift_fraction: Share = Field(
        default=0.0, description="list-price increase applied at renewal")
    contraction_probability: Share = Field(
        default=0.0, description="chance a renewing account renews smaller (downsell)")
    contraction_fraction: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.2, description="share of ACV lost when an account contracts")


class Expansion(_Model):
    """Upsell/cross-sell on live accounts, worked by the account-manager role."""

    opportunities_per_year: Annotated[float, Field(ge=0, le=52)] = Field(
        default=0.0, description="expansion opportunities per live account per year (Poisson)")
    conversion_probability: Share = Field(default=0.3, description="chance an expansion opportunity is won")
    acv_increase_fraction: Dist = Field(default=0.2, description="ACV added, as a share of current ACV")
    work_hours: Dist = Field(default=4.0, description="account-manager hours per opportunity")
    elapsed_days: Dist = Field(default=30.0, description="customer's decision time")
    expires_days: Annotated[float, Field(gt=0)] = Field(
        default=60.0, description="an opportunity nobody picks up within this many days is lost")


class Customer(_Model):
    """The right side of the bow-tie for one tier."""

    term_years: Annotated[int, Field(ge=1, le=10)] = Field(default=1, description="contract term")
    onboarding: Onboarding = Field(default_factory=Onboarding)
    renewal: Renewal = Field(default_factory=Renewal, description="what happens at the end of each term")
    expansion: Expansion = Field(default_factory=Expansion)
    csm_hours_per_month: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="customer-success time an account needs; 0 = tech-touch, no CSM")


class Pql(_Model):
    """Product-qualified leads: a share of self-serve sign-ups routed to sales."""

    probability: Share = Field(description="share of sign-ups routed to sales")
    roles: dict[Name, Name | None] = Field(description="step -> role for routed leads")


class Assist(_Model):
    """A second seller on a step (e.g. a solutions engineer on field deals)."""

    role: Name = Field(description="the assisting role (a shared pool: owns_leads false)")
    work_hours: Dist = Field(description="hours of the assisting role's time")


class PostSale(_Model):
    """Who looks after customers, and how capacity bites after the sale."""

    enabled: bool = Field(
        default=True, description="false: wins end the simulation of a lead (left-side-only studies, faster)")
    onboarding_role: Name | None = Field(default=None, description="null: customers onboard themselves")
    csm_role: Name | None = Field(default=None, description="null: no customer success team")
    am_role: Name | None = Field(default=None, description="null: nobody works expansion opportunities")
    contract_start: Literal["go_live", "signature"] = Field(
        default="go_live", description="when ARR starts and revenue is recognized from")
    onboarding_wait_churn_curve: list[tuple[Annotated[float, Field(ge=0)], Share]] = Field(
        default=[(0.0, 0.0), (14.0, 0.02), (45.0, 0.1), (90.0, 0.25)], min_length=1,
        description="[days waiting for onboarding, extra chance of cancelling before go-live]; it applies while "
        "the customer waits: one who would cancel at a wait cancels when the wait reaches it")
    onboarding_patience_days: Annotated[float, Field(ge=0, le=3650)] | None = Field(
        default=None, description="a signed customer still waiting for onboarding this many days may cancel "
        "(null: no limit beyond the onboarding-wait churn curve)")
    onboarding_patience_cancel_probability: Share = Field(
        default=1.0, description="the chance that a customer who reaches the patience cancels")
    csm_load_renewal_curve: list[tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0, le=2)]]] = Field(
        default=[(0.0, 1.0), (1.0, 1.0), (1.5, 0.9), (2.0, 0.75), (3.0, 0.55)], min_length=1,
        description="[CSM book load (hours needed / hours available), renewal multiplier]")
    no_csm_renewal_multiplier: Annotated[float, Field(ge=0, le=2)] = Field(
        default=0.85, description="renewal multiplier of accounts that need a CSM when there is none")
    missed_care_renewal_curve: list[tuple[Share, Annotated[float, Field(ge=0, le=2)]]] = (
        Field(default=[(0.0, 1.0), (0.25, 0.95), (0.5, 0.85), (1.0, 0.7)], min_length=1,
              description="when account care is a task of the account's owner (a generalist doing "
              "customer success): [share of monthly check-ins missed over the term, renewal multiplier]"))

    _curves = field_validator("onboarding_wait_churn_curve", "csm_load_renewal_curve", "missed_care_renewal_curve")(
        classmethod(lambda cls, v: check_curve(v)))


class Economics(_Model):
    gross_margin: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.8, description="share of revenue left after cost of service (for CAC payback)")
    marketing_programmes_usd_per_year: Annotated[float, Field(ge=0, le=1e12)] = Field(
        default=0.0, description="marketing spend not tied to a lead (brand, events, content, analyst "
        "relations, marketing tools), accrued day by day as acquisition cost, so in CAC "
        "(docs/background.md#recruiting-and-marketing-programmes)")
    billing: Literal["annual_in_advance", "monthly_in_arrears"] = Field(
        default="annual_in_advance", description="invoices a year ahead, or monthly after the month")
    collection_lag_days: Annotated[float, Field(ge=0, le=365)] = Field(
        default=30.0, description="days from invoice to cash")
