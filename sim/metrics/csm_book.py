"""What an overloaded CSM book costs, in the terms a CS leader reads.

A CSM's book has no queue: when the accounts need more hours than the CSMs
have (``roles.<csm>.utilization`` > 1, book hours needed / hours available),
nothing waits in line; the care is spread thin. So the cost of the overload is
not a wait but (1) the accounts that go without their monthly check-in --
with the CSMs' hours spread evenly, a book at load ``u`` gets ``1/u`` of the
care it needs, so about ``customers x (1 - 1/u)`` accounts a month go
untouched -- and (2) the renewals it loses: the model multiplies renewal odds
by ``post_sale.csm_load_renewal_curve`` at the load, so about
``ARR / term x renewal probability x (1 - multiplier)`` of ARR a year is not
renewed that a book within its hours would keep. Both are read from a run's
KPIs and its scenario, averaged over the CSMs (each CSM's own load varies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BookCost:
    load: float  # book hours needed / hours available
    accounts_untouched_per_month: float
    renewal_multiplier: float  # of renewal odds at this load
    arr_lost_per_year_usd: float


def curve_at(points: Sequence[Sequence[float]], x: float) -> float:
    """A piecewise-linear curve (flat beyond its ends), as the model evaluates it."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return float(np.interp(x, xs, ys))


def book_cost(load: float | None, customers: float, arr_usd: float, curve: Sequence[Sequence[float]],
              renewal_probability: float, term_years: float = 1.0) -> BookCost | None:
    """The cost of a book at ``load`` (None when the book is within its hours)."""
    if load is None or not load > 1.0:
        return None
    untouched = customers * (1.0 - 1.0 / load)
    m = min(1.0, curve_at(curve, load))
    lost = arr_usd / max(term_years, 1e-9) * renewal_probability * (1.0 - m)
    return BookCost(load, untouched, m, max(0.0, lost))
