"""The bow-tie's right side: customer accounts after the win.

Every new logo becomes an account with its own SimPy process:

1. **Onboarding.** The onboarding role's work waits in its queue (a backlog),
   then the customer's own time to go-live. The wait raises the chance of
   cancelling before go-live along ``post_sale.onboarding_wait_churn_curve``.
2. **Contract.** ARR counts from the contract start (go-live or signature).
   Renewal falls due every ``term_years``; the renewal odds are the tier's
   probability times a health multiplier: the time-average load of the
   account's CSM book over the term, read through
   ``post_sale.csm_load_renewal_curve`` (accounts that need a CSM when there
   is none take ``no_csm_renewal_multiplier``). A renewal may raise the price
   and may contract the contract.
3. **Expansion.** Opportunities arrive as a Poisson process per live account;
   each waits for the account-manager role and expires if nobody picks it up
   in time, so AM capacity limits expansion. Leads mined by the ADR source
   (see :class:`~sim.scenario.schema.AccountMining`) go through the funnel and,
   when won, add ARR here.

Capacity effects are curves in the scenario, never constants in this code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.model.csm_books import CsmBooks
from sim.model.curves import Piecewise
from sim.model.draws import Draw, exponential_gaps, is_zero, sampler, uniform01
from sim.model.health import HealthModel, assess, csm_expansions
from sim.model.onboarding import SellerOnboarding
from sim.model.orphans import Orphans
from sim.model.plan import priority
from sim.model.rng import Streams
from sim.model.setup import RunSetup
from sim.model.tasks import Job
from sim.model.vocab import ACCOUNT_WORK, ONBOARDING_WORK, AccountKind, CostKind
from sim.scenario.schema import AccountMining
from sim.units import DAYS_PER_MONTH, DAYS_PER_YEAR, WEEKS_PER_MONTH

if TYPE_CHECKING:
    import simpy

    from sim.model.lead import Leads
    from sim.model.plan import Route
    from sim.model.roles import RoleRuntime

YEAR_DAYS = DAYS_PER_YEAR

SIGNED, LIVE, ONB_CHURN = int(AccountKind.SIGNED), int(AccountKind.LIVE), int(AccountKind.ONBOARDING_CHURN)
RENEWED, CHURNED, EXPANDED = int(AccountKind.RENEWED), int(AccountKind.CHURNED), int(AccountKind.EXPANDED)
MINED, CONTRACTED = int(AccountKind.MINED), int(AccountKind.CONTRACTED)
EXP_LOST, EXP_EXPIRED = int(AccountKind.EXPANSION_LOST), int(AccountKind.EXPANSION_EXPIRED)
ONB_STARTED = int(AccountKind.ONBOARDING_STARTED)


class TierPlan:
    """Samplers and numbers of one segment's customers (resolved once)."""

    def __init__(self, setup: RunSetup, gname: str, streams: Streams, onb: RoleRuntime | None,
                 am: RoleRuntime | None):
        scenario = setup.scenario
        c = scenario.segments[gname].customer
        key = f"customers/{gname}"
        self.term_days = c.term_years * YEAR_DAYS
        self.onb_work = (sampler(c.onboarding.work_hours, streams.generator(f"{key}/onboarding_work"),
                                 setup.work_scale(onb.name, None))
                         if onb is not None and not is_zero(c.onboarding.work_hours) else None)
        # the onboarding task (None: no work to wait for)
        self.onb_job = (Job(ONBOARDING_WORK, self.onb_work, priority(scenario, onb.name, "onboarding"))
                        if self.onb_work is not None and onb is not None else None)
        self.onb_elapsed = (None if is_zero(c.onboarding.elapsed_days) else
                            sampler(c.onboarding.elapsed_days, streams.generator(f"{key}/onboarding_days")))
        self.onb_churn_p = c.onboarding.churn_probability
        self.u_onb = uniform01(streams.generator(f"{key}/onboarding_churn"))
        ps = scenario.post_sale
        self.patience = ps.onboarding_patience_days
        self.patience_p = ps.onboarding_patience_cancel_probability
        self.u_patience = (uniform01(streams.generator(f"{key}/onboarding_patience"))
                           if self.patience is not None else None)
        ve = scenario.segments[gname].value_exchange
        # share of the signing discount the first renewal restores (0: none; value_exchange)
        self.restore = ve.discount_restored_at_renewal if ve is not None else 0.0
        r = c.renewal
        self.renew_p, self.uplift, self.contract_p, self.contract_frac = (
            r.probability, r.price_uplift_fraction, r.contraction_probability, r.contraction_fraction)
        self.u_renew = uniform01(streams.generator(f"{key}/renewal"))
        self.u_contract = uniform01(streams.generator(f"{key}/contraction"))
        e = c.expansion
        self.exp_rate = e.opportunities_per_year if am is not None else 0.0
        gen = streams.generator(f"{key}/expansion_gap")
        self.exp_gap = exponential_gaps(gen, YEAR_DAYS / self.exp_rate, 64) if self.exp_rate > 0 else None
        self.exp_p = e.conversion_probability
        self.u_exp = uniform01(streams.generator(f"{key}/expansion"))
        self.exp_frac = sampler(e.acv_increase_fraction, streams.generator(f"{key}/expansion_size"))
        self.exp_work = (sampler(e.work_hours, streams.generator(f"{key}/expansion_work"),
                                 setup.work_scale(am.name, None))
                         if am is not None and not is_zero(e.work_hours) else None)
        self.exp_job: Job | None = (Job(ACCOUNT_WORK, self.exp_work, priority(scenario, am.name, "account_care"))
                                    if am is not None else None)
        self.exp_elapsed = (None if is_zero(e.elapsed_days) else
                            sampler(e.elapsed_days, streams.generator(f"{key}/expansion_days")))
        self.exp_expires = e.expires_days
        self.csm_hours_per_week = c.csm_hours_per_month / WEEKS_PER_MONTH


class AccountBook:
    """All customer accounts of a run, and the CSM books. ``roles`` are the run's
    roles by name, ``routes`` the compiled routes (mined leads take them),
    ``market`` the outbound market (:mod:`~sim.model.market`, or None); the
    leads mined from live accounts go to the :class:`~sim.model.lead.Leads` given
    to :meth:`mine_into`."""

    def __init__(self, env: simpy.Environment, rec, setup: RunSetup, streams: Streams,
                 roles: dict[str, RoleRuntime], routes: dict[tuple[str, str], Route], market=None):
        scenario = setup.scenario
        self.env = env
        self.rec = rec
        self.leads: Leads | None = None
        ps = scenario.post_sale
        self.onb = roles[ps.onboarding_role] if ps.onboarding_role else None
        self.am = roles[ps.am_role] if ps.am_role else None
        csm = None
        cals = setup.calendars
        # with a calendar: the hours a week a CSM works on its tasks, and the share of the week at work
        csm_hours, csm_share = 0.0, 1.0
        self.csm_rt: RoleRuntime | None = None
        if ps.csm_role:
            csm = scenario.roles[ps.csm_role]
            csm_hours = cals.task_hours(ps.csm_role) if cals is not None else csm.weekly_hours
            csm_share = cals.available_share(ps.csm_role) if cals is not None else 1.0
            self.csm_rt = roles[ps.csm_role]
        # generalists: an owned role that does post-sale work looks after its own accounts
        owned = [roles[r] for r in (ps.onboarding_role, ps.csm_role, ps.am_role)
                 if r is not None and roles[r].owns]
        self.keeper = owned[0] if owned else None
        self.care_by_task = self.csm_rt is not None and self.csm_rt.owns
        if self.care_by_task:
            csm = None  # no book-load model: care is tasks in the owner's queue
        n_csm = 0 if csm is None else (1 if csm.unlimited_capacity else csm.headcount)
        self.books = CsmBooks(env, self.csm_rt, n_csm, bool(csm and csm.unlimited_capacity), csm_hours, csm_share,
                              ps.no_csm_renewal_multiplier, ps.csm_load_renewal_curve)
        self.care_prio = priority(scenario, ps.csm_role, "account_care")
        self.care_curve = Piecewise(ps.missed_care_renewal_curve)
        # the days a month's care takes (account care is post-sale work: no stage)
        self.care_scale = setup.work_scale(ps.csm_role, None) if ps.csm_role else 0.0
        self.signature_start = ps.contract_start == "signature"
        self.onb_curve = Piecewise(ps.onboarding_wait_churn_curve)
        self.tiers = [TierPlan(setup, g, streams, self.onb, self.am) for g in scenario.segments]
        # account health (customer_success section; None: renewal follows the CSM book load only)
        self.market = market  # the market section (None: churned customers are not approached again)
        self.hm = (HealthModel(scenario.customer_success, list(scenario.segments), streams)
                   if scenario.customer_success is not None else None)
        self.health: list[float] = []  # per account, its last assessed health
        self.onb_score: list[float] = []  # per account, the onboarding score fixed at go-live
        self.am_rate = self.am.commission_rate if self.am is not None else 0.0
        # a seller who onboards their own customers: onboarding_policy (None: their time_policy)
        self.onb_policy = (SellerOnboarding(scenario, self.onb.name, self.env)
                           if scenario.onboarding_policy is not None and self.onb is not None and self.onb.owns
                           else None)
        # mining sources: (source index, tiers mined, rate per account per day)
        self.mining = []
        for i, (sname, src) in enumerate(scenario.sources.items()):
            if isinstance(src, AccountMining) and src.leads_per_account_per_year > 0:
                tiers = {list(scenario.segments).index(g): routes[(sname, g)]
                         for g in (src.segments if src.segments is not None else scenario.segments)}
                gen = streams.generator(f"mining/{sname}")
                mean = YEAR_DAYS / src.leads_per_account_per_year
                self.mining.append((i, tiers, exponential_gaps(gen, mean, 64)))
        self.acv: list[float] = []
        self.discount_usd: list[float] = []  # the signing discount a first renewal may restore (value exchange)
        self.segment: list[int] = []
        self.active: list[bool] = []  # counted in ARR right now
        self.closed: list = []  # per account, a SimPy event that fires when it churns or cancels
        self.on_end: Callable[[int], None] | None = None  # told of an account that ends (clawbacks)
        self.lead: list[int] = []  # the lead whose win opened the account
        self.keeper_seat: list[int] = []  # the generalist seat that owns the account (-1: none)
        self.pod: list[int] = []  # the POD that won the account
        self.care_missed: list[int] = []
        self.care_done: list[int] = []
        self.csm_of: list[int] = []  # the CSM book each account is on (-1: none)
        self.term_from: list[tuple[float, float]] = []  # (book load integral, time) its renewal term counts from
        # work_model.orphans: accounts of a caretaker who left get no attention (None: the constant multiplier)
        wm = scenario.work_model
        self.orphans = (Orphans(self, wm.orphans.reassign_after_days) if wm is not None and wm.orphans is not None
                        else None)

    def mine_into(self, leads: Leads) -> None:
        """Leads mined from live accounts are created by ``leads`` (the bow-tie's
        loop: wins open accounts, live accounts mine leads)."""
        self.leads = leads

    def book_busy(self) -> dict[int, list[float]]:
        """Days of CSM time the books needed over the run, per CSM (for utilization)."""
        return self.books.busy()

    def arr_kept_by(self, role, seat: int) -> float:
        """ARR of the live accounts ``seat`` of ``role`` looks after (0 unless the
        role is the generalists' keeper of accounts)."""
        if self.keeper is not role:
            return 0.0
        return sum(acv for acv, on, s in zip(self.acv, self.active, self.keeper_seat, strict=True)
                   if on and s == seat)

    def _orphan(self, a: int, csm: int) -> float:
        """Renewal multiplier for an account whose caretaker has left and is not replaced."""
        for role, seat in ((self.keeper, self.keeper_seat[a]), (self.csm_rt, csm)):
            if role is not None and seat >= 0 and role.staff is not None and role.occupant[seat] < 0:
                return role.staff.spec.orphan_renewal_multiplier
        return 1.0

    # -- the account's life ------------------------------------------------------------
    def open(self, lead: int, segment: int, acv: float, closer=None, closer_seat: int = -1, pod: int = 0,
             list_usd: float | None = None) -> int:
        """A new logo signed: create the account and start its life. A generalist
        who closed the deal keeps the account. ``list_usd``: the deal's list value (the
        signing discount is list_usd - acv; what the first renewal may restore of it)."""
        a = len(self.acv)
        self.acv.append(acv)
        self.discount_usd.append(list_usd - acv if list_usd is not None and list_usd > acv else 0.0)
        self.segment.append(segment)
        self.active.append(False)
        self.closed.append(self.env.event())  # fires when the account ends: its open work is withdrawn
        self.lead.append(lead)
        self.pod.append(pod)
        keeper = self.keeper
        if keeper is None:
            seat = -1
        elif closer is keeper and closer_seat >= 0:
            seat = closer_seat
        else:
            present = [i for i in range(keeper.headcount) if keeper.occupant[i] >= 0
                       and (not keeper.podded or keeper.seat_pod[i] == pod)] or [0]
            seat = min(present, key=keeper.open.__getitem__)
        self.keeper_seat.append(seat)
        self.care_missed.append(0)
        self.care_done.append(0)
        self.csm_of.append(-1)
        self.term_from.append((0.0, 0.0))
        if self.orphans is not None:
            self.orphans.opened()
        self.health.append(1.0)
        self.onb_score.append(1.0)
        if self.market is not None:
            self.market.won(lead)
        self.env.process(self._life(a, self.tiers[segment]))
        return a

    def mined_win(self, account: int, lead: int, segment: int, booked: float) -> None:
        """A lead mined from ``account`` was won: more ARR for a live account, or
        a new contract (a returning customer) if it has churned since."""
        if self.active[account]:
            self.acv[account] += booked
            self.rec.account(self.env.now, account, segment, MINED, booked, self.acv[account])
        else:
            self.open(lead, segment, booked, pod=self.pod[account])

    def _life(self, a: int, tp: TierPlan):
        env, rec, seg = self.env, self.rec, self.segment[a]
        counted = self.acv[a] if self.signature_start else 0.0
        rec.account(env.now, a, seg, SIGNED, counted, self.acv[a])
        self.active[a] = self.signature_start
        start = signed = env.now
        wait = 0.0
        u = tp.u_onb()
        onb = self.onb
        if tp.onb_job is not None and onb is not None:  # (an onboarding task needs the role: TierPlan)
            job = tp.onb_job if self.onb_policy is None else self.onb_policy.job(self.keeper_seat[a], tp.onb_job)
            wait, _ = yield from onb.serve_job(
                rec, self.lead[a], job, seg, self.pod[a], self.keeper_seat[a], expires=self._patience(u, tp),
                on_start=lambda now: rec.account(now, a, seg, ONB_STARTED, 0.0, self.acv[a]))
            if wait < 0:  # gave up waiting for onboarding
                self._end(a, ONB_CHURN, -counted)
                return
        else:
            rec.account(start, a, seg, ONB_STARTED, 0.0, self.acv[a])  # nobody to wait for
        if tp.onb_elapsed is not None:
            yield env.timeout(tp.onb_elapsed())
        if u < tp.onb_churn_p + self.onb_curve(wait):
            self._end(a, ONB_CHURN, -counted)
            return
        rec.account(env.now, a, seg, LIVE, self.acv[a] - counted, self.acv[a])
        self.active[a] = True
        if not self.signature_start:
            start = env.now
        needs_csm = tp.csm_hours_per_week > 0
        books = self.books
        csm = books.assign(tp.csm_hours_per_week) if needs_csm and not self.care_by_task else -1
        self.csm_of[a] = csm
        orphans = self.orphans
        if needs_csm and self.care_by_task and self.csm_rt is not None:
            env.process(self._care(a, tp, self.csm_rt))
        hm = self.hm
        if hm is not None:
            self.onb_score[a] = hm.onboarding_score(env.now - signed)
            load = books.load(csm) if csm >= 0 else 0.0
            self.health[a] = hm.health(self.onb_score[a], hm.attention(needs_csm, csm >= 0 or self.care_by_task,
                                                                       load))
            if hm.exp_rate > 0:
                env.process(csm_expansions(self, a, tp, hm))
        am, exp_gap, exp_job = self.am, tp.exp_gap, tp.exp_job
        if exp_gap is not None and am is not None and exp_job is not None:  # (a gap needs an AM role: TierPlan)
            env.process(self._expansions(a, tp, am, exp_gap, exp_job))
        for source, tiers, gap in self.mining:
            if seg in tiers:
                env.process(self._mining(a, source, tiers[seg], gap))
        renewal = start + tp.term_days
        while True:
            since_i = 0.0
            if csm >= 0:
                since_i = books.touch(csm)
            since_t = env.now
            self.term_from[a] = (since_i, since_t)
            yield env.timeout(max(renewal - env.now, 0.0))  # overdue if onboarding outlasted the term
            orphaned = 0.0
            if orphans is not None:  # the share of the term nobody looked after it (sim.model.orphans)
                orphaned = orphans.share(a, since_t)
                csm = self.csm_of[a]  # reassigned to a colleague's book, counted from then
                since_i, since_t = self.term_from[a]
            shrink = 1.0
            if hm is not None:
                health, shrink = assess(self, a, csm, needs_csm, since_i, since_t, orphaned)
            elif self.care_by_task and needs_csm:
                checks = self.care_missed[a] + self.care_done[a]
                health = self.care_curve(self.care_missed[a] / checks) if checks else 1.0
                self.care_missed[a] = self.care_done[a] = 0
            else:
                health = books.health(csm, needs_csm, since_i, since_t)
                if orphaned and needs_csm:  # no CSM for that share of the term
                    health = (1.0 - orphaned) * health + orphaned * books.no_csm
            p = tp.renew_p * health * (self._orphan(a, csm) if orphans is None else 1.0)
            if tp.u_renew() >= p:
                self._end(a, CHURNED, -self.acv[a])
                if self.market is not None:
                    self.market.churned(self.lead[a])
                books.release(csm, tp.csm_hours_per_week)
                return
            up = self.acv[a] * tp.uplift
            if tp.restore and self.discount_usd[a]:  # value exchange: the one-time concession ends
                up += tp.restore * self.discount_usd[a]
                self.discount_usd[a] = 0.0
            self.acv[a] += up
            rec.account(env.now, a, seg, RENEWED, up, self.acv[a])
            if tp.u_contract() < tp.contract_p * shrink:
                down = self.acv[a] * tp.contract_frac
                self.acv[a] -= down
                rec.account(env.now, a, seg, CONTRACTED, -down, self.acv[a])
            renewal += tp.term_days

    def _patience(self, u: float, tp: TierPlan) -> float | None:
        """How long this customer waits for onboarding before cancelling: the wait
        at which the onboarding-wait churn curve passes its draw (so the curve
        acts while it waits), capped by the patience if it gives up there."""
        limit = self.onb_curve.first_above(u - tp.onb_churn_p) if u >= tp.onb_churn_p else math.inf
        if tp.patience is not None and tp.u_patience is not None and tp.u_patience() < tp.patience_p:
            limit = min(limit, tp.patience)
        return None if limit == math.inf else limit

    def _end(self, a: int, kind: int, arr_delta: float) -> None:
        """The account churns or cancels: no ARR, no ACV, no open work from now on."""
        self.active[a] = False
        self.rec.account(self.env.now, a, self.segment[a], kind, arr_delta, 0.0)
        self.closed[a].succeed()
        if self.on_end is not None:  # a pay plan's clawback (sim.model.pay)
            self.on_end(a)

    def _expansions(self, a: int, tp: TierPlan, am: RoleRuntime, gap: Draw, job: Job):
        """AM-sourced expansion of account ``a``: chances every ``gap()`` days, each
        the task ``job`` of the account-manager role ``am`` if picked up in time."""
        env, rec, seg = self.env, self.rec, self.segment[a]
        while True:
            yield env.timeout(gap())
            if not self.active[a]:
                return
            wait, _ = yield from am.serve_job(rec, self.lead[a], job, seg, self.pod[a], self.keeper_seat[a],
                                              expires=tp.exp_expires, cancel=self.closed[a])
            if not self.active[a]:  # the account ended while the opportunity waited or was worked
                return
            if wait < 0:
                rec.account(env.now, a, seg, EXP_EXPIRED, 0.0, self.acv[a])
                continue
            if tp.exp_elapsed is not None:
                yield env.timeout(tp.exp_elapsed())
            if not self.active[a]:
                return
            if tp.u_exp() < tp.exp_p:
                inc = self.acv[a] * tp.exp_frac()
                self.acv[a] += inc
                rec.account(env.now, a, seg, EXPANDED, inc, self.acv[a])
                if self.am_rate:
                    rec.cost(env.now, int(CostKind.COMMISSION), am.idx, seg, inc * self.am_rate)
            else:
                rec.account(env.now, a, seg, EXP_LOST, 0.0, self.acv[a])

    def _care(self, a: int, tp: TierPlan, role: RoleRuntime):
        """Account care as monthly check-ins in the owner's queue (``role``'s): a check-in not
        done within the month is missed (a busy generalist sells first)."""
        env = self.env
        month = DAYS_PER_MONTH
        hours = tp.csm_hours_per_week * WEEKS_PER_MONTH * self.care_scale
        job = Job(ACCOUNT_WORK, lambda: hours, self.care_prio)
        while True:
            yield env.timeout(month)
            if not self.active[a]:
                return
            wait, _ = yield from role.serve_job(self.rec, self.lead[a], job, self.segment[a], self.pod[a],
                                                self.keeper_seat[a], expires=month, cancel=self.closed[a])
            if not self.active[a]:
                return
            if wait < 0:
                self.care_missed[a] += 1
            else:
                self.care_done[a] += 1

    def _mining(self, a: int, source: int, route, gap):
        env = self.env
        leads = self.leads
        if leads is None:
            raise RuntimeError("accounts are mined only into the run's leads (mine_into)")
        while True:
            yield env.timeout(gap())
            if not self.active[a]:
                return
            leads.new(source, route, account=a, pod=self.pod[a])
