"""Scenario section ``deals``: deals that respond to discount and to the
quarter's end (docs/background.md#deals-that-respond).

Without the section a deal's discount is drawn at the win, independent of
whether it wins, of the rep and of the date. With it:

* **Discount elasticity.** The discount is drawn before the last step's
  decision and moves its odds: x exp(``discount_elasticity`` x (discount -
  the tier's mean discount)), so a deal at the mean discount closes as
  before, a deeper discount closes more often and books less. A deal desk
  caps the discount per segment (``deal_desk_cap``).
* **Quarter-end pressure.** In the last ``quarter_end.last_weeks`` weeks of
  each 13-week quarter (from the run's start), a rep behind their quarterly
  quota (a quarter of ``quota_usd_per_year``; every rep of a role without a
  quota) pulls a deal whose decision would fall within
  ``quarter_end.window_days`` after the quarter's end into the quarter, with
  ``quarter_end.pull_probability``, and gives ``quarter_end.extra_discount``
  more to do so (Oyer 1998; Larkin 2014), so bookings bunch at quarter ends.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario.base import Share, StrictModel

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class QuarterEnd(StrictModel):
    """Reps behind quota pull deals into the quarter and discount more to do so."""

    last_weeks: Annotated[float, Field(ge=0, le=13)] = Field(
        default=3.0, description="weeks before a quarter's end in which reps behind quota push (1-4)")
    window_days: Annotated[float, Field(ge=0, le=365)] = Field(
        default=30.0, description="a decision due this many days after the quarter's end can be pulled in (14-45)")
    pull_probability: Share = Field(
        default=0.5, description="chance such a deal is pulled into the quarter (0.2-0.8)")
    extra_discount: Share = Field(
        default=0.05, description="extra discount given on a pulled deal (Larkin 2014: gaming cost the vendor "
        "6-8% of revenue; 0.02-0.1)")


class Deals(StrictModel):
    """Discount that buys wins, a deal-desk cap, and quarter-end pressure."""

    discount_elasticity: Annotated[float, Field(ge=0, le=20)] = Field(
        default=1.0, description="log-odds of closing gained per unit of discount above the tier's mean (0-3)")
    deal_desk_cap: dict[Name, Share] = Field(
        default_factory=dict, description="segment -> the deepest discount the deal desk approves")
    quarter_end: QuarterEnd | None = Field(
        default=None, description="quarter-end pressure (absent: deals close when the customer decides)")
