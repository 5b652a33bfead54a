"""The SimPy world: roles, sources and the life of a lead.

A lead is one SimPy process walking its route (see :mod:`sim.model.plan`).
For each step it may cross a hand-off (delay, leakage), wait for an owner rep
with room, wait in the role's queue (an SLA can expire there), take the work
time of a rep, take the customer's elapsed time, and then convert or not,
with speed-to-lead decay applied to the time it waited for the first touch.

The world reports what happens to a recorder (:mod:`sim.records`) and keeps
only live counters of its own (leads per stage, for daily pipeline samples).
"""

from __future__ import annotations

import math

import simpy

from sim.model.accounts import AccountBook
from sim.model.curves import Piecewise
from sim.model.people import Staff, odds_scale
from sim.model.plan import (
    Route,
    build_routes,
    closing_roles,
    post_sale_owned_roles,
    roles_with_several_steps,
    selling_roles,
)
from sim.model.pods import PodBook, initial_seat_pods
from sim.model.rng import Streams
from sim.model.roles import RoleRuntime
from sim.model.sources import InboundSource, OutboundSource
from sim.model.vocab import CostKind, Kind, Layout, TimelineKind
from sim.scenario.people import Playbooks
from sim.scenario.schema import Inbound, Outbound, Scenario

WON = int(Kind.WON)
LOST_CONVERSION = int(Kind.LOST_CONVERSION)
LOST_SLA = int(Kind.LOST_SLA)
LOST_HANDOFF = int(Kind.LOST_HANDOFF)
LOST_NO_CONTACT = int(Kind.LOST_NO_CONTACT)
LOST_OWNER_LEFT = int(Kind.LOST_OWNER_LEFT)
REP_LEFT, REP_HIRED = int(TimelineKind.REP_LEFT), int(TimelineKind.REP_HIRED)
MARKET_SHOCK, SHOCK_OVER = int(TimelineKind.MARKET_SHOCK), int(TimelineKind.SHOCK_OVER)
PLAYBOOKS, PRICE_CHANGE = int(TimelineKind.PLAYBOOKS), int(TimelineKind.PRICE_CHANGE)
PROCESS_LIFT = int(TimelineKind.PROCESS_LIFT)
COMMISSION, FEE, MARKETING = int(CostKind.COMMISSION), int(CostKind.FEE), int(CostKind.MARKETING)


def layout_of(scenario: Scenario, horizon_days: float) -> Layout:
    roles = list(scenario.roles)
    ps = scenario.post_sale
    return Layout(
        role_cost_per_year=[r.loaded_cost_per_year_usd for r in scenario.roles.values()],
        # cost of service: onboarding and CSM roles that do not also sell (a generalist sells)
        service_roles=[roles.index(r) for r in (ps.onboarding_role, ps.csm_role)
                       if r is not None and r not in selling_roles(scenario)],
        motions=[g.motion for g in scenario.segments.values()],
        gross_margin=scenario.economics.gross_margin,
        billing=scenario.economics.billing,
        collection_lag_days=scenario.economics.collection_lag_days,
        win_rate_stage=scenario.stages.index(scenario.win_rate_stage),
        closer_roles=sorted({roles.index(r) for r in closing_roles(scenario)}),
        stages=list(scenario.stages),
        roles=list(scenario.roles),
        headcount=[r.headcount for r in scenario.roles.values()],
        unlimited=[r.unlimited_capacity for r in scenario.roles.values()],
        segments=list(scenario.segments),
        sources=list(scenario.sources),
        horizon_days=horizon_days,
    )


class World:
    """One run's model: build it from a scenario, then :meth:`run` it."""

    def __init__(self, scenario: Scenario, streams: Streams, recorder, horizon_days: float):
        self.scenario = scenario
        self.horizon_days = horizon_days
        self.env = env = simpy.Environment()
        self.rec = recorder
        multi = roles_with_several_steps(scenario)
        n_pods = scenario.pods.fission.max_pods if scenario.pods is not None else 1
        self.layout = layout_of(scenario, horizon_days)
        ns = len(scenario.stages)
        self.roles = {
            name: RoleRuntime(env, i, name, spec, streams.generator(f"routing/{name}"),
                              prioritized=name in multi or name in post_sale_owned_roles(scenario),
                              staff=(Staff(name, spec.people, ns, streams, scenario.process)
                                     if spec.people is not None and not spec.unlimited_capacity else None),
                              seat_pods=initial_seat_pods(scenario, name), n_pods=n_pods)
            for i, (name, spec) in enumerate(scenario.roles.items())}
        # data-driven improvement: lift per stage (None when the loop is off: no work on the hot path)
        self.boost = [1.0] * ns if scenario.process.data_driven is not None else None
        self.moved = [0] * ns  # leads that converted into each stage
        self.rep_bookings: dict[tuple[int, int], float] = {}  # reps without a people model
        self.failed = [0] * ns  # leads lost while in each stage
        self.routes: dict[tuple[str, str], Route] = build_routes(scenario, streams, self.roles)
        self.decay = Piecewise(scenario.speed_to_lead.curve_hours)
        self.wip = [0] * len(scenario.stages)
        self._next_id = 0
        self.accounts = AccountBook(self, scenario, streams)
        self.pods = PodBook(self, scenario, streams) if scenario.pods is not None else None
        self.track_customers = scenario.post_sale.enabled
        self.sources = []
        for i, (name, src) in enumerate(scenario.sources.items()):
            if isinstance(src, Outbound):
                self.sources.append(OutboundSource(self, i, name, src, streams))
            elif isinstance(src, Inbound):
                self.sources.append(InboundSource(self, i, name, src, streams))
            # account-mining sources are driven by each live account (AccountBook)

    # -- lead lifecycle -------------------------------------------------------------
    def new_lead(self, source: int, route: Route, owner: int = -1, on_lost=None, account: int = -1,
                 owner_role=None, pod: int | None = None) -> None:
        """Create a lead now and start its process (``owner``: preset owner of the
        first step's role, for outbound cadences that reserved the slot;
        ``account``: the customer a mined lead came from)."""
        lid = self._next_id
        self._next_id = lid + 1
        if route.pql is not None and route.pql_draw() < route.pql_p:
            route = route.pql  # a product-qualified lead: routed to sales
        acv = route.acv() * route.price
        now = self.env.now
        self.rec.lead(lid, now, source, route.segment, route.entry, acv)
        if route.cost_per_lead:
            self.rec.cost(now, MARKETING, -1, route.segment, route.cost_per_lead)
        self.wip[route.entry] += 1
        if pod is None:
            pod = self.pods.pod_for(route.segment) if self.pods is not None else 0
        self.env.process(self._life(lid, route, acv, owner, on_lost, account, owner_role, pod))

    def _life(self, lid, route, acv, owner, on_lost, account, owner_role=None, pod=0):
        """One lead's walk along its route. Simple steps (a pooled queue, one
        attempt, no SLA, no hand-off cost, no decay) take a straight-line fast
        path; everything else goes through :meth:`_worked_step`."""
        env = self.env
        timeout = env.timeout
        rec = self.rec
        wip = self.wip
        boost = self.boost
        stage = route.entry
        seg = route.segment
        now = t_stage = env.now
        if owner < 0:
            owner_role = None  # (a preset owner is released on the role that reserved it)
        owner_occ = owner_role.occupant[owner] if owner_role is not None else -1
        if owner_role is not None and owner_role.owns:
            owner_role.open_value[owner] += acv
        prev_role = None
        last_role, last_rep = None, -1
        outcome = LOST_CONVERSION
        for simple, role, k, prio, work, elapsed, p, decay, conv, last, st in route.fast:
            wait = 0.0
            occ = -1
            if simple and owner_role is None:
                res = role.pools[pod]
                req = res.request(prio) if role.prioritized else res.request()
                yield req
                t0, now = now, env.now
                seat = role.frees[pod].pop()
                occ = role.occupant[seat]
                if occ < 0:
                    occ = role.left_rep[seat]
                svc = work() if work is not None else 0.0
                staff = role.staff
                if staff is not None:
                    svc /= staff.productivity(occ, now)
                rec.work(now, lid, k, role.idx, occ, now - t0, svc, seg)
                if svc:
                    yield timeout(svc)
                if role.vacating:
                    role.seat_freed(seat)
                else:
                    role.frees[pod].append(seat)
                res.release(req)
                prev_role = role
            elif role is not None:
                outcome, wait, prev_role, owner_role, owner, occ = yield from self._worked_step(
                    st, lid, seg, acv, prev_role, owner_role, owner, pod)
                if outcome >= 0:
                    break
                if owner_role is role:
                    owner_occ = occ
            if elapsed is not None:
                yield timeout(elapsed())
            if owner_role is not None and owner_role.occupant[owner] != owner_occ:
                # the owner left since: the lead may go with them
                staff = owner_role.staff
                if staff is not None and staff.u_lose() < staff.spec.lose_open_deals_probability:
                    outcome = LOST_OWNER_LEFT
                    break
                owner_occ = owner_role.occupant[owner]
            if boost is not None:
                p *= boost[k]
            if decay:
                p *= self.decay(wait * 24.0)
            if occ >= 0:
                last_role, last_rep = role, occ
                staff = role.staff
                if staff is not None:
                    p = odds_scale(p, staff.skill(occ, k, env.now))
                    staff.did(occ, k)
            if conv() >= p:
                outcome = LOST_CONVERSION
                break
            now = env.now
            rec.advance(now, lid, k, now - t_stage, acv)
            if boost is not None:
                self.moved[k] += 1
            wip[stage] -= 1
            stage = k
            wip[stage] += 1
            t_stage = now
            if last:
                outcome = WON
                break
        if owner_role is not None:
            if owner_role.owns:
                owner_role.open_value[owner] -= acv
            owner_role.release(owner)
        wip[stage] -= 1
        now = env.now
        ridx = last_role.idx if last_role is not None else -1
        if outcome == WON:
            booked = acv * (1.0 - route.discount() * route.discount_multiplier)
            rec.end(now, lid, stage, WON, 0.0, seg, booked, acv, ridx, last_rep)
            closer = route.closer
            if closer is not None and closer.commission_rate:
                rec.cost(now, COMMISSION, closer.idx, seg, booked * closer.commission_rate)
            if last_role is not None:
                if last_role.staff is not None:
                    last_role.staff.bookings[last_rep] += booked
                    last_role.staff.wins[last_rep] += 1
                else:
                    key = (last_role.idx, last_rep)
                    self.rep_bookings[key] = self.rep_bookings.get(key, 0.0) + booked
            if self.pods is not None:
                self.pods.won(pod, booked, now)
            if self.track_customers and account >= 0:
                self.accounts.mined_win(account, lid, seg, booked)
            elif self.track_customers:
                seat = last_role.staff.seat[last_rep] if last_role is not None and last_role.staff else -1
                self.accounts.open(lid, seg, booked, last_role, seat, pod)
        else:
            if boost is not None:
                self.failed[stage] += 1
            if self.pods is not None and stage >= self.pods.decided_from:
                self.pods.lost(pod)
            rec.end(now, lid, stage, outcome, now - t_stage, seg, 0.0, acv, ridx, last_rep)
            if on_lost is not None:
                on_lost()

    def _worked_step(self, st, lid, seg, acv, prev_role, owner_role, owner, pod=0):
        """The general case of a step worked by a role: hand-off, owner assignment,
        SLA, several attempts to connect. Returns ``(outcome, wait, prev_role,
        owner_role, owner, rep)`` with ``outcome`` -1 when the lead may go on to
        its conversion draw, and ``rep`` the rep who did the work."""
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
                return LOST_HANDOFF, 0.0, role, owner_role, owner, -1
            if st.fee_role is not None:  # e.g. an SDR's per-meeting fee
                self.rec.cost(env.now, FEE, st.fee_role.idx, seg, st.fee_role.fee)
            if st.handoff_delay is not None:
                yield env.timeout(st.handoff_delay())
        ready = env.now
        deadline = ready + st.sla_days if st.sla_days is not None else math.inf
        if role.owns and owner_role is not role:
            owner = role.try_assign(None, pod)
            if owner < 0:
                ev = role.wait_assign(pod)
                if deadline < math.inf:
                    yield ev | env.timeout(deadline - env.now)
                    if not ev.triggered:
                        role.cancel_wait(ev, pod)
                        return LOST_SLA, 0.0, role, None, -1, -1
                else:
                    yield ev
                owner = ev.value
            owner_role = role
            role.open_value[owner] += acv
        pooled = role.res is not None
        wait = 0.0
        occ = -1
        for attempt in range(st.attempts):
            if attempt:
                yield env.timeout(st.gap())
            res = role.pools[pod] if pooled else (role.rep_res[owner] if role.owns else None)
            t0 = env.now
            if res is None:  # unlimited capacity: no queue
                seat = 0
            else:
                req = res.request(st.prio) if role.prioritized else res.request()
                if deadline < math.inf and attempt == 0:
                    yield req | env.timeout(deadline - t0)
                    if not req.triggered:
                        req.cancel()
                        return LOST_SLA, 0.0, role, owner_role, owner, -1
                else:
                    yield req
                seat = role.frees[pod].pop() if pooled else owner
            now = env.now
            if attempt == 0:
                wait = now - ready
            occ = role.occupant_of(seat) if res is not None else 0
            svc = st.work() if st.work is not None else 0.0
            if role.staff is not None and res is not None:
                svc /= role.staff.productivity(occ, now)
            # the first attempt's wait includes waiting for an owner with room, so the
            # role's mean wait and queue length (which counts those leads) agree
            self.rec.work(now, lid, st.stage, role.idx, occ, now - (ready if attempt == 0 else t0), svc, seg)
            if svc:
                yield env.timeout(svc)
            if res is not None:
                if pooled:
                    role.seat_freed(seat)
                res.release(req)
            if st.connect is None or st.connect() < st.connect_p:
                if st.assist is not None:  # a second seller's time on the step
                    yield from st.assist.task(self.rec, lid, st.stage, seg, st.assist_work, pod=pod)
                return -1, wait, role, owner_role, owner, occ
        return LOST_NO_CONTACT, wait, role, owner_role, owner, occ

    # -- people and interventions ---------------------------------------------------------
    def _start_tenure(self, role, seat: int) -> None:
        staff = role.staff
        if staff is not None and staff.spec.attrition_per_year > 0:
            self.env.process(self._tenure(role, seat, role.occupant[seat], staff.tenure()))

    def _tenure(self, role, seat: int, rep: int, days: float):
        yield self.env.timeout(days)
        if role.occupant[seat] == rep:  # not already gone by a timeline event
            self.depart(role, seat)

    def depart(self, role, seat: int) -> int:
        """The rep in ``seat`` leaves now: record what they held, backfill if the
        role does."""
        arr = 0.0
        book = self.accounts
        if book.keeper is role:
            arr = sum(acv for acv, on, s in zip(book.acv, book.active, book.keeper_seat, strict=True)
                      if on and s == seat)
        pipeline = role.open_value[seat] if role.owns else 0.0
        rep = role.leave(seat)
        if rep < 0:
            return rep
        self.rec.timeline(self.env.now, REP_LEFT, role.idx, rep, pipeline, arr)
        staff = role.staff
        if staff is None or staff.spec.backfill:
            self.env.process(self._backfill(role, seat, staff.spec.hiring_lag_days if staff else 0.0))
        return rep

    def _backfill(self, role, seat: int, lag: float):
        yield self.env.timeout(lag)
        if role.occupant[seat] < 0:
            self.hire(role, seat)

    def hire(self, role, seat: int | None = None) -> int:
        """Fill ``seat`` (a backfill) or add a seat (a hiring plan)."""
        if seat is None:
            seat = role.add_seat()
        else:
            role.fill(seat)
        self.rec.timeline(self.env.now, REP_HIRED, role.idx, role.occupant[seat], 0.0, 0.0)
        self._start_tenure(role, seat)
        return seat

    def top_seat(self, role) -> int:
        """The present rep with the most bookings so far (-1 if none present)."""
        present = [i for i in range(role.headcount) if role.occupant[i] >= 0]
        if not present:
            return -1
        if role.staff is not None:
            return max(present, key=lambda i: role.staff.bookings[role.occupant[i]])
        return max(present, key=lambda i: self.rep_bookings.get((role.idx, role.occupant[i]), 0.0))

    def _timeline(self):
        env, rec = self.env, self.rec
        for ev in sorted(self.scenario.timeline, key=lambda e: e.week):
            yield env.timeout(max(ev.week * 7.0 - env.now, 0.0))
            role = self.roles.get(ev.role) if ev.role else None
            if ev.action == "rep_leaves":
                seat = self.top_seat(role) if ev.rep == "top" else ev.rep
                if 0 <= seat < role.headcount:
                    self.depart(role, seat)
            elif ev.action == "hire":
                for _ in range(ev.count):
                    self.hire(role)
            elif ev.action == "market_shock":
                src = next(s for s in self.sources if s.name == ev.source)
                src.active_shocks.append(ev.rate_multiplier)  # overlapping shocks multiply
                src.shock = math.prod(src.active_shocks)
                rec.timeline(env.now, MARKET_SHOCK, -1, src.idx, ev.rate_multiplier, 0.0)
                end = env.timeout(ev.weeks * 7.0)
                end.callbacks.append(lambda _e, src=src, m=ev.rate_multiplier: self._shock_over(src, m))
            elif ev.action == "playbooks":
                pb = self.scenario.process.playbooks or Playbooks()
                for r in self.roles.values():
                    if r.staff is not None:
                        r.staff.use_playbooks(pb)
                rec.timeline(env.now, PLAYBOOKS, -1, -1, 0.0, 0.0)
            elif ev.action == "price_change":
                seg = None if ev.segment is None else list(self.scenario.segments).index(ev.segment)
                for route in self.routes.values():
                    for r in (route, route.pql):
                        if r is not None and (seg is None or r.segment == seg):
                            r.price *= ev.price_multiplier
                rec.timeline(env.now, PRICE_CHANGE, -1, -1 if seg is None else seg, ev.price_multiplier, 0.0)

    def _shock_over(self, src, multiplier: float) -> None:
        src.active_shocks.remove(multiplier)
        src.shock = math.prod(src.active_shocks)
        self.rec.timeline(self.env.now, SHOCK_OVER, -1, src.idx, multiplier, 0.0)

    def _improve(self, dd):
        """Data-driven improvement: each period, lift the stage furthest below its
        benchmark a little (one KPI at a time), up to a cap."""
        env = self.env
        stages = self.scenario.stages
        configured = {}
        for route in self.routes.values():
            for st in route.steps:
                configured.setdefault(st.stage, []).append(st.p)
        bench = {k: dd.benchmark.get(stages[k], sum(ps) / len(ps)) for k, ps in configured.items()}
        while True:
            yield env.timeout(dd.period_days)
            worst, worst_ratio = -1, math.inf
            for k, target in bench.items():
                n = self.moved[k] + self.failed[k - 1]
                if n < dd.min_observations or target <= 0 or self.boost[k] >= 1 + dd.max_lift - 1e-12:
                    continue
                ratio = self.moved[k] / n / target
                if ratio < worst_ratio:
                    worst, worst_ratio = k, ratio
            if worst >= 0:
                self.boost[worst] = min(1 + dd.max_lift, self.boost[worst] * (1 + dd.lift_fraction))
                self.rec.timeline(env.now, PROCESS_LIFT, -1, worst, self.boost[worst], worst_ratio)

    # -- observation ---------------------------------------------------------------
    def _sampler(self):
        env = self.env
        roles = list(self.roles.values())
        while True:
            self.rec.sample(env.now, self.wip, [r.queue_length() for r in roles])
            yield env.timeout(1.0)

    def run(self) -> None:
        for src in self.sources:
            src.start()
        for role in self.roles.values():
            for seat in range(role.headcount):
                self._start_tenure(role, seat)
        if self.scenario.timeline:
            self.env.process(self._timeline())
        if self.scenario.process.data_driven is not None:
            self.env.process(self._improve(self.scenario.process.data_driven))
        if self.pods is not None and self.scenario.pods.fission.policy != "never":
            self.env.process(self.pods.run())
        self.env.process(self._sampler())
        self.env.run(until=self.horizon_days)
        people = {r.idx: r.staff.table() for r in self.roles.values() if r.staff is not None}
        if self.pods is not None:
            people["pods"] = self.pods.table(self.accounts)
        self.rec.finish(self.env.now, self.wip, self.accounts.book_busy(), people)
