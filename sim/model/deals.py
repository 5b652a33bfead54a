"""Deals that respond (``deals`` section, :mod:`sim.scenario.deals_spec`): the
discount moves the last step's odds and is capped by a deal desk; reps behind
quota pull deals into the quarter's last weeks and discount more.

Called by :class:`~sim.model.lead.Leads` at a lead's last step:
:meth:`close_in` when the customer's decision time is drawn, :meth:`odds`
right before the decision (it draws the discount), :meth:`booked` at the win
(the discount drawn for it, and the rep's quarter-to-date bookings).
"""

from __future__ import annotations

import math

from sim.model.draws import uniform01
from sim.model.people import odds_scale
from sim.model.rng import Streams
from sim.scenario.deals_spec import Deals
from sim.scenario.schema import Scenario
from sim.units import DAYS_PER_WEEK

QUARTER_DAYS = 13 * DAYS_PER_WEEK


class DealDesk:
    def __init__(self, spec: Deals, scenario: Scenario, streams: Streams):
        self.spec = spec
        segs = list(scenario.segments.values())
        mult = [g.value_exchange.discount_multiplier if g.value_exchange else 1.0 for g in segs]
        self.mean = [g.discount_fraction.mean() * m for g, m in zip(segs, mult, strict=True)]
        self.cap = [spec.deal_desk_cap.get(name, 1.0) for name in scenario.segments]
        self.e = spec.discount_elasticity
        self.qe = spec.quarter_end
        # the decisions a rep can pull in: the last two steps' (negotiation and the win, say)
        self.pull_from = len(scenario.stages) - 2 if self.qe is not None else len(scenario.stages)
        self.quota = [r.quota_usd_per_year / 4 if r.quota_usd_per_year is not None else None
                      for r in scenario.roles.values()]
        self.u_pull = uniform01(streams.generator("deals/pull"))
        self.pulled: set[int] = set()
        self.qtd: dict[tuple[int, int], tuple[int, float]] = {}  # (role, rep) -> (quarter, bookings so far)
        self.d = 0.0  # the discount of the decision in hand (read at the win, in the same instant)
        self.list_by_wq = [0.0] * 13  # list value of the wins by week of quarter
        self.booked_by_wq = [0.0] * 13
        self.pulled_wins = 0
        self._pulled_now = False

    def _behind(self, role, rep: int, now: float) -> bool:
        if role is None or rep < 0:
            return False
        quota = self.quota[role.idx]
        if quota is None:
            return True
        q, done = self.qtd.get((role.idx, rep), (-1, 0.0))
        return q != int(now // QUARTER_DAYS) or done < quota

    def close_in(self, lead: int, days: float, now: float, role, rep: int) -> float:
        """The customer's decision time of one of a lead's last two steps, pulled into the
        quarter if its rep pushes."""
        qe = self.qe
        if qe is None:
            return days
        end = (math.floor(now / QUARTER_DAYS) + 1) * QUARTER_DAYS
        if (now < end - qe.last_weeks * DAYS_PER_WEEK or now + days <= end or now + days > end + qe.window_days
                or not self._behind(role, rep, now)):
            return days
        if self.u_pull() >= qe.pull_probability:
            return days
        self.pulled.add(lead)
        return max(0.0, min(days, end - now - 0.5))  # decided on the quarter's last day

    def odds(self, lead: int, p: float, route) -> float:
        """Draw the deal's discount (deal desk cap, quarter-end extra) and scale the decision's odds by it."""
        g = route.segment
        d = route.discount() * route.discount_multiplier
        self._pulled_now = lead in self.pulled
        if self._pulled_now and self.qe is not None:
            self.pulled.discard(lead)
            d += self.qe.extra_discount
        d = min(d, self.cap[g])
        self.d = d
        return odds_scale(p, math.exp(self.e * (d - self.mean[g]))) if self.e else p

    def booked(self, acv: float, role, rep: int, now: float) -> float:
        """The booked value of a win at list ``acv`` (its discount drawn in :meth:`odds`)."""
        booked = acv * (1.0 - self.d)
        self.pulled_wins += self._pulled_now
        wq = min(int((now % QUARTER_DAYS) // DAYS_PER_WEEK), 12)
        self.list_by_wq[wq] += acv
        self.booked_by_wq[wq] += booked
        if role is not None and rep >= 0:
            q = int(now // QUARTER_DAYS)
            old_q, done = self.qtd.get((role.idx, rep), (q, 0.0))
            self.qtd[(role.idx, rep)] = (q, (done if old_q == q else 0.0) + booked)
        return booked

    def table(self) -> dict:
        return {"list_by_week_of_quarter": list(self.list_by_wq),
                "booked_by_week_of_quarter": list(self.booked_by_wq), "pulled_wins": self.pulled_wins}
