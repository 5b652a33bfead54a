"""Scenario section ``customer_success``: an account health state that grows
accounts as well as keeping them (docs/background.md#customer-success-that-grows-accounts).

Without the section (the default) renewal odds follow the CSM book load alone
(``post_sale.csm_load_renewal_curve``) and never rise above the tier's base,
and only an account manager expands accounts. With it, each live account has
a *health* in [0, 1]:

    health = onboarding_weight x onboarding score + (1 - onboarding_weight) x attention

* the **onboarding score** reads the account's time to value (days from
  signature to go-live, onboarding queue included) through
  ``time_to_value_curve``;
* **attention** is the CSM's: the time-average load of the account's CSM book
  over the term through ``attention_curve`` (coverage and book size), or, when
  the account's owner does the care as tasks (a generalist, a POD seller), the
  share of monthly check-ins done; accounts that need no CSM (tech touch) get
  ``tech_touch_attention``, accounts that need one when there is none
  ``no_csm_attention``.

Health acts both ways on renewal (``renewal_curve``: a well-served account
renews above the tier's base), on contraction (``contraction_curve``) and on
CSM-sourced expansion (``expansion``: opportunities a year at full health,
thinned by ``expansion.rate_curve``), closed by the CSM in the course of the
account's care hours or handed to the account-manager role's queue.

Defaults and their ranges (cited in docs/background.md):
satisfaction and relationship quality raise both retention and the share of
wallet a customer gives (Bolton 1998; Verhoef 2003: effects of a few points of
retention probability and of cross-buying, H for the direction, L-M for the
size); segment NRR of ~97-118% with GRR ~88% (Benchmarkit 2024, SaaS Capital;
M) bound what a healthy book may reach. The renewal multiplier at full health
(1.08, range 1.0-1.15) and at zero health (0.7, range 0.5-0.9) keep a tier's
renewal within the GRR bands of docs/background.md#funnel-people-and-money-figures.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.base import Share, StrictModel
from sim.scenario.customers import check_curve
from sim.scenario.distributions import Dist

Mult = Annotated[float, Field(ge=0, le=5)]


class _Model(StrictModel):
    """Strict numbers, unknown keys refused (see :mod:`sim.scenario.base`)."""


class AccountHealth(_Model):
    """How an account's health is made and what it does to renewal and contraction."""

    onboarding_weight: Share = Field(
        default=0.4, description="share of health from onboarding (time to value); the rest is CSM attention "
        "(0.2-0.6)")
    time_to_value_curve: list[tuple[Annotated[float, Field(ge=0)], Share]] = Field(
        default=[(0.0, 1.0), (30.0, 1.0), (90.0, 0.5), (180.0, 0.2)], min_length=1,
        description="[days from signature to go-live, onboarding score]")
    attention_curve: list[tuple[Annotated[float, Field(ge=0)], Share]] = Field(
        default=[(0.0, 1.0), (1.0, 1.0), (1.5, 0.5), (2.0, 0.2), (3.0, 0.0)], min_length=1,
        description="[CSM book load over the term (hours needed / hours available), attention]")
    tech_touch_attention: Share = Field(
        default=0.5, description="attention of accounts that need no CSM (csm_hours_per_month 0): product "
        "and digital touch only")
    no_csm_attention: Share = Field(
        default=0.0, description="attention of accounts that need a CSM when the scenario has none")
    renewal_curve: list[tuple[Share, Mult]] = Field(
        default=[(0.0, 0.7), (0.5, 0.95), (1.0, 1.08)], min_length=1,
        description="[health, renewal multiplier] (replaces csm_load_renewal_curve; odds capped at 1)")
    contraction_curve: list[tuple[Share, Mult]] = Field(
        default=[(0.0, 2.0), (0.5, 1.0), (1.0, 0.5)], min_length=1,
        description="[health, multiplier on the tier's contraction probability]")
    at_risk_below: Share = Field(default=0.4, description="health below this is reported at risk")
    healthy_from: Share = Field(default=0.7, description="health at or above this is reported healthy")

    _curves = field_validator("time_to_value_curve", "attention_curve", "renewal_curve", "contraction_curve")(
        classmethod(lambda cls, v: check_curve(v)))

    @model_validator(mode="after")
    def _bands(self):
        if self.at_risk_below > self.healthy_from:
            raise ValueError("at_risk_below must not exceed healthy_from")
        return self


class CsmExpansion(_Model):
    """Expansion the CSM finds in a healthy account (no account manager needed)."""

    opportunities_per_year: Annotated[float, Field(ge=0, le=52)] = Field(
        default=1.0, description="CSM-sourced expansion opportunities per live account per year at full "
        "health (Poisson; 0.5-2)")
    rate_curve: list[tuple[Share, Share]] = Field(
        default=[(0.0, 0.0), (0.5, 0.3), (1.0, 1.0)], min_length=1,
        description="[health, share of those opportunities that arise]")
    conversion_probability: Share = Field(default=0.4, description="share of opportunities won (0.2-0.6)")
    acv_increase_fraction: Dist = Field(default=0.15, description="ACV added, as a share of current ACV")
    elapsed_days: Dist = Field(default=30.0, description="customer's decision time")
    closed_by: Literal["csm", "am"] = Field(
        default="csm", description="csm: the CSM closes it within the account's care hours; am: handed to "
        "the account-manager role's queue (post_sale.am_role), with that tier's expansion work hours and expiry")

    _curves = field_validator("rate_curve")(classmethod(lambda cls, v: check_curve(v)))


class CustomerSuccess(_Model):
    """Customer success that grows accounts: health, and CSM-sourced expansion."""

    health: AccountHealth = Field(default_factory=AccountHealth)
    expansion: CsmExpansion = Field(default_factory=CsmExpansion)


class OnboardingPolicy(_Model):
    """When the reps who close also onboard their customers (generalists, POD
    sellers without a customer team): which comes first when they are busy.
    Absent, their ``people.time_policy`` ranks the work (default closing first).
    (docs/background.md#customer-success-that-grows-accounts)"""

    priority: Literal["close_first", "onboard_first", "reserved_share"] = Field(
        default="reserved_share", description="close_first: a signed customer waits while the rep has deals to "
        "work; onboard_first: a new customer is onboarded before any deal work; reserved_share: onboarding "
        "comes first while the rep's onboarding work so far is below reserved_share of their time, after "
        "closing otherwise")
    reserved_share: Share = Field(
        default=0.2, description="share of a seller's time kept for onboarding (0.1-0.3)")

