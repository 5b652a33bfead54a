"""The life of a lead: a generator walking its route, driven on SimPy's event
API by :class:`~sim.model.engine.Flow` (no SimPy process of its own).

For each step a lead may cross a hand-off (the previous owner lets go, the lead
may leak, a delay), wait for an owner rep with room, be served by the step's
role (:meth:`~sim.model.roles.RoleRuntime.serve`: queue, work, free the seat;
an SLA can expire in the queue; outbound first touches take several attempts
to connect), take the customer's elapsed time, and then convert or not, with
speed-to-lead decay applied to the time it waited for the first touch.

:class:`Leads` also keeps the live counters the rest of the model reads: leads
per stage (pipeline samples), conversions and losses per stage (the
data-driven loop), and bookings per rep when reps are not individuals.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy

from sim.model.curves import Piecewise
from sim.model.engine import Flow
from sim.model.people import odds_scale
from sim.model.plan import Route
from sim.model.vocab import CostKind, Kind

if TYPE_CHECKING:
    from sim.model.deals import DealDesk
    from sim.model.pay import Pay

WON = int(Kind.WON)
LOST_CONVERSION = int(Kind.LOST_CONVERSION)
LOST_SLA = int(Kind.LOST_SLA)
LOST_HANDOFF = int(Kind.LOST_HANDOFF)
LOST_NO_CONTACT = int(Kind.LOST_NO_CONTACT)
LOST_OWNER_LEFT = int(Kind.LOST_OWNER_LEFT)
COMMISSION, FEE, MARKETING = int(CostKind.COMMISSION), int(CostKind.FEE), int(CostKind.MARKETING)


class Leads:
    """Creates leads and runs their lives.

    ``accounts`` receives won customers (when ``track_customers``), ``pods``
    (or None) is told about wins and losses and picks a new lead's POD.
    ``data_driven`` (the number of segments; 0: off) turns on the per-segment,
    per-stage counters a data-driven improvement loop reads, and its lifts
    (:meth:`lift`). ``customer_days`` (a calendar of whole days, or None: every
    day) counts the customer's elapsed time."""

    def __init__(self, env: simpy.Environment, rec, n_stages: int, speed_to_lead_curve, *, accounts, pods,
                 track_customers: bool, data_driven: int, customer_days=None):
        self.env = env
        # the customer's elapsed time in business days (a WorkCalendar of whole days), or None: every day
        self.customer_days = customer_days
        self.rec = rec
        self.accounts = accounts
        self.pods = pods
        self.track_customers = track_customers
        # data-driven improvement: lift per stage (None when the loop is off: no work on the hot path)
        # (per segment: ``data_driven`` is the number of segments, 0 when the loop is off)
        self.boost = [[1.0] * n_stages for _ in range(int(data_driven))] if data_driven else None
        self.moved = [[0] * n_stages for _ in range(max(int(data_driven), 1))]  # leads that converted into each stage
        # leads that failed the conversion draw out of each stage (losses of other causes -
        # SLA, hand-off, no contact, a leaver - say nothing about the step's conversion)
        self.not_converted = [[0] * n_stages for _ in range(max(int(data_driven), 1))]
        self.decay = Piecewise(speed_to_lead_curve)
        # the market section's odds from an account's past (None: no section, or both multipliers 1)
        market = getattr(accounts, "market", None)
        self.market = market if market is not None and (market.fatigue != 1.0 or market.winback_odds != 1.0) else None
        self.deals: DealDesk | None = None  # the deals section's (None: the discount is drawn at the win)
        self.wip = [0] * n_stages
        self.pay: Pay | None = None  # compensation plans (sim.model.pay), or None: flat commission rates
        self._next_id = 0
        # the initial pipeline's deals (sim.model.pipeline): how many entered, their list value,
        # won, lost and the bookings of the won ones
        self.initial = {"deals": 0, "value_usd": 0.0, "won": 0, "lost": 0, "bookings_usd": 0.0}

    def lift(self, segment: int | None, stage: int, lift: float) -> None:
        """A data-driven loop sets the conversion multiplier of the step into
        ``stage`` for leads of ``segment`` (None: of every segment)."""
        boost = self.boost
        if boost is None:
            raise RuntimeError("no conversion multipliers to lift: the scenario has no data-driven loop")
        for g in range(len(boost)) if segment is None else (segment,):
            boost[g][stage] = lift

    @property
    def created(self) -> int:
        """Leads created so far (the run's size guard counts them)."""
        return self._next_id

    def new(self, source: int, route: Route, owner: int = -1, on_lost=None, account: int = -1,
            owner_role=None, pod: int | None = None) -> None:
        """Create a lead now and start its life (a :class:`~sim.model.engine.Flow`:
        it runs until its first wait before this returns; ``owner``: preset owner of the
        first step's role, for outbound cadences that reserved the slot;
        ``account``: the customer a mined lead came from)."""
        lid = self._next_id
        self._next_id = lid + 1
        pql = route.pql
        if pql is not None:
            pql_draw = route.pql_draw
            if pql_draw is not None and pql_draw() < route.pql_p:
                route = pql  # a product-qualified lead: routed to sales
        acv = route.acv() * route.price
        now = self.env.now
        self.rec.lead(lid, now, source, route.segment, route.entry, acv)
        if route.cost_per_lead:
            self.rec.cost(now, MARKETING, -1, route.segment, route.cost_per_lead)
        self.wip[route.entry] += 1
        if pod is None:
            pod = self.pods.pod_for(route.segment) if self.pods is not None else 0
        Flow(self._life(lid, route, acv, owner, on_lost, account, owner_role, pod, source))

    def open_deal(self, source: int, route: Route, stage: int, rest, acv: float, owner: int = -1,
                  owner_role=None, pod: int = 0) -> None:
        """An open deal of the initial pipeline enters now in ``stage`` (an index, at or after
        the route's entry), worth ``acv``: it walks the route's steps after that stage, the
        customer's time of the first of them being ``rest`` days (drawn given the deal's age,
        :mod:`sim.model.pipeline`); ``owner``: a preset owner of ``owner_role``."""
        lid = self._next_id
        self._next_id = lid + 1
        self.rec.lead(lid, self.env.now, source, route.segment, stage, acv)
        self.wip[stage] += 1
        self.initial["deals"] += 1
        self.initial["value_usd"] += acv
        Flow(self._life(lid, route, acv, owner, None, -1, owner_role, pod, source, start=stage, rest=rest))

    def _life(self, lid, route, acv, owner, on_lost, account, owner_role=None, pod=0, source=0,
              start=-1, rest=None):
        """One lead's walk along its route. Simple steps (a pooled queue, one
        attempt, no SLA, no hand-off cost, no decay) go straight to the role;
        everything else goes through :meth:`_worked_step`. ``start`` >= 0: an open
        deal of the initial pipeline already in that stage, the customer's time of
        its first step ``rest`` days (a step with ``lost_after_days``: the survivals
        of its times to a win and to a loss at the deal's age and the time left to
        each, ``(S_win, S_loss, rest_win, rest_loss)``)."""
        env = self.env
        timeout = env.timeout
        rec = self.rec
        wip = self.wip
        stage = route.entry if start < 0 else start
        seg = route.segment
        boost = self.boost[seg] if self.boost is not None else None
        t_stage = env.now
        if owner < 0:
            owner_role = None  # (a preset owner is released on the role that reserved it)
        owner_occ = owner_role.occupant[owner] if owner_role is not None else -1
        ties = 0  # tasks the present owner did on this lead (what goes with them if they leave)
        past = self.market.first_step_multiplier(lid) if self.market is not None else 1.0
        if owner_role is not None and owner_role.owns:
            owner_role.open_value[owner] += acv
        prev_role = None
        last_role, last_rep = None, -1
        outcome = LOST_CONVERSION
        touch = source if start < 0 else -1  # the first task of a new lead is its first touch (reported, -1 once done)
        bdays = self.customer_days
        for st in (route.steps if start < 0 else route.steps[start - route.entry:]):
            role = st.role
            k = st.stage
            wait = 0.0
            occ = -1
            if st.simple and owner_role is None:
                _, occ = yield from role.serve_job(rec, lid, st, seg, pod, touch=touch)
                prev_role = role
                touch = -1
            elif role is not None:
                outcome, wait, owner_role, owner, occ = yield from self._worked_step(
                    st, lid, seg, acv, prev_role, owner_role, owner, pod, touch)
                prev_role = role
                touch = -1
                if outcome >= 0:
                    break
                if owner_role is role:
                    ties = ties + 1 if occ == owner_occ else 1  # tasks this owner did on the lead
                    owner_occ = occ
            if st.lost_after is not None:  # decided first, then the time to a win or to a loss
                p = self._odds(st, lid, route, wait, occ, role, boost, past)
                past = 1.0
                if occ >= 0:
                    last_role, last_rep = role, occ
                if rest is not None:  # an open deal: its chance given it is still open at its age
                    sw, sl, rest_w, rest_l = rest
                    rest = None
                    den = p * sw + (1.0 - p) * sl
                    if den > 0.0:
                        p = p * sw / den
                    converts = st.conv() < p
                    e = rest_w if converts else rest_l
                else:
                    converts = st.conv() < p
                    e = (st.elapsed() if st.elapsed is not None else 0.0) if converts else st.lost_after()
                if converts and self.deals is not None and k >= self.deals.pull_from:
                    e = self.deals.close_in(lid, e, env.now, last_role, last_rep)
                yield timeout(e if bdays is None else bdays.end(env.now, e) - env.now)
                if owner_role is not None and owner_role.occupant[owner] != owner_occ:
                    staff = owner_role.staff  # the owner left meanwhile: the lead may go with them
                    if staff is not None and staff.u_lose() < staff.lose_p(ties):
                        outcome = LOST_OWNER_LEFT
                        break
                    owner_occ = owner_role.occupant[owner]
                    ties = 0
                if not converts:
                    outcome = LOST_CONVERSION
                    break
                now = env.now
                rec.advance(now, lid, k, now - t_stage, acv)
                if boost is not None:
                    self.moved[seg][k] += 1
                wip[stage] -= 1
                stage = k
                wip[stage] += 1
                t_stage = now
                if st.last:
                    outcome = WON
                    break
                continue
            elapsed = st.elapsed
            if elapsed is not None or rest is not None:
                if rest is not None:  # an open deal's first step: the time left given its age
                    e, rest = rest, None
                else:
                    e = elapsed()
                if self.deals is not None and k >= self.deals.pull_from:  # a rep behind quota may pull it in
                    e = self.deals.close_in(lid, e, env.now, role if occ >= 0 else last_role,
                                            occ if occ >= 0 else last_rep)
                yield timeout(e if bdays is None else bdays.end(env.now, e) - env.now)
            if owner_role is not None and owner_role.occupant[owner] != owner_occ:
                # the owner left since: the lead may go with them
                staff = owner_role.staff
                if staff is not None and staff.u_lose() < staff.lose_p(ties):
                    outcome = LOST_OWNER_LEFT
                    break
                owner_occ = owner_role.occupant[owner]
                ties = 0
            p = st.p
            if boost is not None:
                p *= boost[k]
            if past != 1.0:  # the account's past acts on its first step only
                p *= past
                past = 1.0
            if st.decay:
                p *= self.decay(wait * 24.0)
            if occ >= 0:
                last_role, last_rep = role, occ
                staff = role.staff
                if staff is not None:
                    p = odds_scale(p, staff.skill(occ, k, env.now))
                    staff.did(occ, k)
            if st.last and self.deals is not None:
                p = self.deals.odds(lid, p, route)
            conv = st.conv  # (a draw held in a slot: read, then called, is quicker than st.conv())
            if conv() >= p:
                outcome = LOST_CONVERSION
                break
            now = env.now
            rec.advance(now, lid, k, now - t_stage, acv)
            if boost is not None:
                self.moved[seg][k] += 1
            wip[stage] -= 1
            stage = k
            wip[stage] += 1
            t_stage = now
            if st.last:
                outcome = WON
                break
        if owner_role is not None:
            if owner_role.owns:
                owner_role.open_value[owner] -= acv
            owner_role.release(owner)
        wip[stage] -= 1
        if outcome == WON:
            booked = self._won(lid, route, stage, acv, last_role, last_rep, account, pod)
            if start >= 0:
                self.initial["won"] += 1
                self.initial["bookings_usd"] += booked
        else:
            if start >= 0:
                self.initial["lost"] += 1
            now = env.now
            if boost is not None and outcome == LOST_CONVERSION:
                self.not_converted[seg][stage] += 1
            if self.pods is not None and stage >= self.pods.decided_from:
                self.pods.lost(pod)
            ridx = last_role.idx if last_role is not None else -1
            rec.end(now, lid, stage, outcome, now - t_stage, seg, 0.0, acv, ridx, last_rep)
            if on_lost is not None:
                on_lost()

    def _odds(self, st, lid, route, wait, occ, role, boost, past) -> float:
        """The conversion probability of a step decided before its customer's time (``lost_after_days``):
        the same factors, in the same order, as the inline computation of :meth:`_life`."""
        k = st.stage
        p = st.p
        if boost is not None:
            p *= boost[k]
        if past != 1.0:
            p *= past
        if st.decay:
            p *= self.decay(wait * 24.0)
        if occ >= 0:
            staff = role.staff
            if staff is not None:
                p = odds_scale(p, staff.skill(occ, k, self.env.now))
                staff.did(occ, k)
        if st.last and self.deals is not None:
            p = self.deals.odds(lid, p, route)
        return p

    def _won(self, lid, route, stage, acv, last_role, last_rep, account, pod) -> float:
        """Book the win: discount, commission, the rep's and the POD's tallies, the customer account;
        returns the booked value."""
        now = self.env.now
        seg = route.segment
        rec = self.rec
        ridx = last_role.idx if last_role is not None else -1
        booked = (acv * (1.0 - route.discount() * route.discount_multiplier) if self.deals is None
                  else self.deals.booked(acv, last_role, last_rep, now))
        rec.end(now, lid, stage, WON, 0.0, seg, booked, acv, ridx, last_rep)
        closer = route.closer
        paid = 0.0
        pay = self.pay
        if closer is not None and closer.commission_rate:
            rec.cost(now, COMMISSION, closer.idx, seg, booked * closer.commission_rate)
        elif pay is not None and closer is not None:  # a compensation plan (sim.model.pay)
            paid = pay.commission(closer, last_rep if last_role is closer else -1, booked, now) or 0.0
            if paid:
                rec.cost(now, COMMISSION, closer.idx, seg, paid)
        if last_role is not None:
            last_role.booked(last_rep, booked)
        if self.pods is not None:
            self.pods.won(pod, booked, now)
        if self.track_customers and account >= 0:
            self.accounts.mined_win(account, lid, seg, booked)
        elif self.track_customers:
            seat = last_role.staff.seat[last_rep] if last_role is not None and last_role.staff else -1
            a = self.accounts.open(lid, seg, booked, last_role, seat, pod, list_usd=acv)
            if paid and pay is not None:  # a plan's clawback window starts (sim.model.pay)
                pay.won_account(a, closer, last_rep if last_role is closer else -1, paid, seg, booked)
        return booked

    def _worked_step(self, st, lid, seg, acv, prev_role, owner_role, owner, pod=0, touch=-1):
        """The general case of a step worked by a role: hand-off, owner assignment,
        SLA, several attempts to connect. Returns ``(outcome, wait, owner_role,
        owner, rep)``: ``outcome`` -1 when the lead may go on to its conversion
        draw, the wait for the step's (first) attempt, the lead's owner after the step
        (``owner_role`` None: nobody owns it) and the rep who did the work."""
        env = self.env
        role = st.role
        if prev_role is not None and role is not prev_role:
            # hand-off to another role: the previous owner lets go, the lead may leak
            if owner_role is not None:
                if owner_role.owns:
                    owner_role.open_value[owner] -= acv
                owner_role.release(owner)
                owner_role, owner = None, -1
            if st.leak is not None and st.leak() < st.handoff_leak:
                return LOST_HANDOFF, 0.0, owner_role, owner, -1
            if st.fee_role is not None:  # e.g. an SDR's per-meeting fee
                self.rec.cost(env.now, FEE, st.fee_role.idx, seg, st.fee_role.fee)
            if st.handoff_delay is not None:
                yield env.timeout(st.handoff_delay())
        ready = env.now
        deadline = ready + st.sla_days if st.sla_days is not None else math.inf
        if st.sla_business:  # the SLA counts the working hours of the role's (POD's) calendar
            deadline = role.pod_cal[pod].end(ready, st.sla_days)
        if role.owns and owner_role is not role:
            owner = role.try_assign(None, pod)
            if owner < 0:
                ev = role.wait_assign(pod)
                if deadline < math.inf:
                    yield ev | env.timeout(deadline - env.now)
                    if not ev.triggered:
                        role.cancel_wait(ev, pod)
                        return LOST_SLA, 0.0, None, -1, -1
                else:
                    yield ev
                owner = ev.value
            owner_role = role
            role.open_value[owner] += acv
        # whether a call connects is drawn when it starts and acted on when the rep
        # hangs up: only then may the lead ask the same rep again at once
        connect, connect_p = st.connect, st.connect_p
        connected = connect is None or connect() < connect_p
        # the first attempt's wait includes waiting for an owner with room, so the
        # role's mean wait and queue length (which counts those leads) agree
        if not connected and st.attempts > 1 and deadline == math.inf:
            # a call that does not connect and others to follow: all of them as callbacks, the
            # first included (RoleRuntime.attempts), the lead woken once after the last
            connected, occ, wait = yield role.attempts(self.rec, lid, st, seg, pod, owner, ready, touch)
        else:
            wait, occ = yield from role.serve_job(
                self.rec, lid, st, seg, pod, owner, touch=touch, since=ready,
                expires=(deadline - env.now) if deadline < math.inf else None,
                may_return=connected and st.may_return)
            if wait < 0:
                return LOST_SLA, 0.0, owner_role, owner, -1
            if not connected and st.attempts > 1:  # the further attempts, as callbacks (RoleRuntime.attempts)
                connected, occ, _ = yield role.attempts(self.rec, lid, st, seg, pod, owner)
        if not connected:
            return LOST_NO_CONTACT, wait, owner_role, owner, occ
        if st.assist is not None:  # a second seller's time on the step
            yield from st.assist.serve_job(self.rec, lid, st.assist_job, seg, pod)
        return -1, wait, owner_role, owner, occ
