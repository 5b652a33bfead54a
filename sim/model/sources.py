"""Where leads come from.

* :class:`InboundSource` - marketing-created leads, a Poisson process with an
  optional month-of-year profile (non-homogeneous Poisson by thinning).
* :class:`OutboundSource` - a finite list of target accounts. A new account is
  taken into a cadence only when a rep of the prospecting role has room
  (``max_open_per_rep``), so outbound volume is set by SDR capacity, not by a
  rate. An account that said no (or never answered) goes back on the list
  after ``cooling_off_days``; a won account leaves the list for good.
  With PODs the list is kept per slice (an account's segment, or its industry,
  drawn once per account from ``pods/industry/<source>``), and a POD with room
  takes the longest-waiting account of the slices it owns: a full POD never
  makes the cadence spin over accounts it cannot take. Without PODs the list
  is one line, taken the same way.

With ``market.inbound_from_market`` an inbound lead is one of those accounts
(:meth:`~sim.model.market.MarketBook.inbound`): taken out of its outbound
line (its queued entry goes stale: ``entry`` keeps each account's valid
stamp, and a stale entry is dropped when it comes up), in its slice's POD,
and lined up again in its outbound source when the lead is lost.
"""

from __future__ import annotations

import math
from collections import deque
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.model.draws import block_draw, uniform01
from sim.model.engine import Alarm
from sim.model.rng import Streams
from sim.model.week_profile import WeekProfile
from sim.scenario.schema import Inbound, Outbound
from sim.units import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.model.lead import Leads
    from sim.model.market import MarketBook
    from sim.model.plan import Route
    from sim.model.pods import PodBook


def exact_delay(now: float, t: float) -> float | None:
    """A delay ``d`` with ``now + d == t`` in floating point (SimPy's clock adds a timeout's
    delay to now), or None when ``t - now`` does not land there (then a caller waits out the
    steps that led from now to ``t`` one by one)."""
    d = t - now
    return d if now + d == t else None


class InboundSource:
    """Inbound source ``idx`` (``name``): leads of the segments of its mix arrive
    at ``rate_per_week``, scaled by the trend (``trend_per_year``, compounding from day 0), the month,
    the hour of the week (local time:
    day 0 is a ``start_weekday``, ``month0`` days after 1 January) and the market
    shocks on it (``shocks``: every multiplier the timeline will apply, known up
    front so arrivals are thinned from the highest rate the run can reach); each
    lead is created by ``leads`` on its segment's route."""

    def __init__(self, idx: int, name: str, spec: Inbound, *, env: simpy.Environment, leads: Leads,
                 routes: dict[tuple[str, str], Route], segments: list[str], shocks: list[float],
                 start_weekday: int, month0: float, streams: Streams, horizon_days: float = 0.0,
                 market: MarketBook | None = None):
        self.idx, self.name, self.spec = idx, name, spec
        self.env, self.leads = env, leads
        # market.inbound_from_market: leads come from the market's accounts (None: a rate, as before)
        self.market: MarketBook | None = market if market is not None and market.inbound_on else None
        self.segments = [g for g in segments if spec.segment_mix.get(g, 0) > 0]
        shares = np.array([spec.segment_mix[g] for g in self.segments])
        self.cum = list(np.cumsum(shares / shares.sum())) if len(shares) else []
        self.routes = [routes[(name, g)] for g in self.segments]
        profile = spec.seasonality_monthly or [1.0] * 12
        self.profile = list(profile)
        # a shock below 1 leaves earlier arrivals as they were
        self.shock = 1.0
        self.active_shocks: list[float] = []
        self.horizon = horizon_days if horizon_days > 0 else math.inf  # the run's end (arrivals past it never come)
        # no shock in the timeline: the rate is a function of time alone (thinning draws ahead, _next_kept)
        self.steady = not shocks
        self.peak = max(profile) * max(1.0, math.prod(m for m in shocks if m > 1))
        self.week = (WeekProfile(spec.arrival_profile.weekday, spec.arrival_profile.hour, start_weekday)
                     if spec.arrival_profile is not None else None)
        if self.week is not None:
            self.peak *= self.week.peak
        # a trend: the rate times (1 + trend) ** years since day 0, thinned from its highest value in the run
        self.growth = math.log1p(spec.trend_per_year) / DAYS_PER_YEAR if spec.trend_per_year else 0.0
        if self.growth > 0:
            self.peak *= math.exp(self.growth * max(horizon_days, 0.0))
        self.month0 = month0
        rate_per_day = spec.rate_per_week / DAYS_PER_WEEK * self.peak
        gen = streams.generator(f"arrivals/{name}")
        self.gap = block_draw(lambda n: gen.exponential(1.0 / rate_per_day, n)) if rate_per_day else None
        self.thin = uniform01(streams.generator(f"thinning/{name}"))
        self.pick = uniform01(streams.generator(f"segment/{name}"))

    def start(self) -> None:
        if self.gap is not None and self.segments:
            self.env.process(self._arrivals())

    def shock_starts(self, multiplier: float) -> None:
        """A market shock scales the rate by ``multiplier`` (overlapping shocks multiply)."""
        self.active_shocks.append(multiplier)
        self.shock = math.prod(self.active_shocks)

    def shock_ends(self, multiplier: float) -> None:
        """The shock of ``multiplier`` is over."""
        self.active_shocks.remove(multiplier)
        self.shock = math.prod(self.active_shocks)

    def _arrivals(self):
        env = self.env
        seasonal = self.spec.seasonality_monthly is not None or self.peak != 1.0 or self.growth != 0.0
        while True:
            if not seasonal and self.shock == 1.0:  # a constant rate: every arrival is a lead
                yield env.timeout(self.gap())
            elif self.steady:  # the rate is a function of time alone: rejected arrivals cost no event
                yield from self._next_kept()
            else:
                yield env.timeout(self.gap())
                if self.thin() * self.peak >= self.rate(env.now):
                    continue
            self._arrive()

    def rate(self, t: float) -> float:
        """The rate at time ``t``, relative to the base rate: month x shocks now x hour of the week x trend."""
        month = int(((t + self.month0) % DAYS_PER_YEAR) // DAYS_PER_MONTH) % 12
        rate = self.profile[month] * self.shock
        if self.week is not None:
            rate *= self.week.factor(t)
        if self.growth:
            rate *= math.exp(self.growth * t)
        return rate

    def _next_kept(self):
        """Wait for the next arrival the thinning keeps, drawing the rejected ones first.

        Without shocks the rate depends on time alone, so the candidates a thinned
        Poisson process rejects (most of them when the hour-of-week profile is
        peaked) need no event of their own: their times are the same running sum
        of the same draws (each stream is this source's own, drawn in the same
        order), and only the kept one is waited for. A candidate at or past the
        run's end is never reached, so drawing stops there (a rate that falls
        towards zero would otherwise keep it drawing). When no single delay from
        now lands on the kept time exactly in floating point (:func:`exact_delay`),
        the chain of timeouts is waited out as before."""
        env = self.env
        now = t = env.now
        gaps = []
        peak, gap, thin, rate, horizon = self.peak, self.gap, self.thin, self.rate, self.horizon
        while True:
            g = gap()
            gaps.append(g)
            t = t + g
            if t >= horizon or thin() * peak < rate(t):
                break
        delay = gaps[0] if len(gaps) == 1 else exact_delay(now, t)
        if delay is not None:
            yield env.timeout(delay)
            return
        for g in gaps:  # (rare) the chain as SimPy would run it, one timeout per candidate
            yield env.timeout(g)

    def _arrive(self) -> None:
        """A lead arrives now, on the route of a segment drawn from the source's mix."""
        cum = self.cum
        last = len(cum) - 1
        u = self.pick()
        i = 0
        while i < last and u >= cum[i]:
            i += 1
        market = self.market
        if market is not None:
            self._from_market(market, self.routes[i], self.segments[i])
        else:
            self.leads.new(self.idx, self.routes[i])

    def _from_market(self, market: MarketBook, route, segment: str) -> None:
        """An inbound lead that is one of the market's accounts of ``segment``; none left: no lead."""
        got = market.inbound(segment)
        if got is None:
            if market.has_accounts(segment):  # the segment's accounts are all used up: nobody to arrive
                return
            self.leads.new(self.idx, route)  # a segment without accounts: inbound as before
            return
        s, a = got
        src = market.sources[s]
        src.taken_inbound(a)
        market.inbound_taken[s][a] += 1
        market.took(s, a, self.leads.created)
        value = src.slice[a]
        pods = self.leads.pods
        pod = pods.pod_of_slice(value) if pods is not None and value is not None else None
        self.leads.new(self.idx, route, on_lost=partial(src._lost, a), pod=pod)


class OutboundSource:
    """The outbound cadence: accounts wait in line (one line per POD slice) and a
    rep with room takes the longest-waiting one.

    No process runs it: the role calls :meth:`_fill` when a rep's book gets room
    (:meth:`~sim.model.roles.RoleRuntime.on_room`), so a release costs no SimPy
    event. A lost account goes back in its line at once, marked available from
    ``lost + cooling_off_days``: a POD that finds only accounts still cooling off
    is *hungry*, and one timer wakes the hungry PODs when the first of their
    accounts is back. A POD that stopped for lack of room is woken by its next
    room, and finds every account whose cooling-off has ended; so no Timeout per
    lost account, and no wake of PODs that have no room."""

    def __init__(self, idx: int, name: str, spec: Outbound, *, env: simpy.Environment, leads: Leads,
                 routes: dict[tuple[str, str], Route], segments: list[str], pods: PodBook | None,
                 market: MarketBook | None = None, streams: Streams):
        self.idx, self.name, self.spec = idx, name, spec
        self.env, self.leads = env, leads
        segs = [g for g in segments if spec.accounts.get(g, 0) > 0]
        self.segments = segs
        order = np.repeat(np.arange(len(segs)), [spec.accounts[g] for g in segs])
        streams.generator(f"accounts/{name}").shuffle(order)
        self.seg_of: list[int] = order.tolist()  # account -> index into self.routes
        self.routes = [routes[(name, g)] for g in segs]
        self.role = self.routes[0].steps[0].role if segs else None
        self.cap = spec.cadence_per_rep
        self.cool = spec.cooling_off_days
        self.pods = pods if self.role is not None and self.role.podded else None
        self.slice: list[str | None] = [None] * len(self.seg_of)  # without PODs: one line for all
        if self.pods is not None:
            u = (uniform01(streams.generator(f"pods/industry/{name}"))
                 if self.pods.spec.slice == "industry" else None)
            self.slice = [self.pods.slice_of(self.routes[g].segment, u) for g in self.seg_of]
        # per slice, (stamp, available from, account) in stamp order: accounts line up
        # in the order they were (last) lost, so the available ones are a prefix
        self.queues: dict[str | None, deque[tuple[int, float, int]]] = {v: deque() for v in set(self.slice)}
        for a, v in enumerate(self.slice):
            self.queues[v].append((a, -math.inf, a))
        self._stamp = len(self.slice)  # FIFO across slices
        self._owned: list[list[deque]] = []  # per POD, the lines of the slices it owns
        self._hungry: list[bool] = []  # per POD: found no account available when it last looked
        self._alarm = Alarm(env, self._woken)  # one wake-up for the hungry PODs, at the earliest time
        self._filling = False
        self._again: deque[int] = deque()  # PODs that got room while taking accounts
        self._pod_list = self.pods.pods if self.pods is not None else [None]  # grows with splits
        # the market section: accounts with a state (None: a lost account always comes back)
        self.market = market
        self.mi = self.market.register(self, len(self.seg_of)) if self.market is not None else -1
        # each account's valid line stamp when inbound leads take accounts out of the line (else None)
        self.entry: list[int] | None = (list(range(len(self.slice))) if market is not None and market.inbound_on
                                        else None)

    def start(self) -> None:
        if self.segments and self.role is not None:
            self.role.on_room(self._fill)
            self.env.process(self._first_accounts())

    def _first_accounts(self):
        """Every POD takes its first accounts (a process, so at the start of the
        run in the same order as before the other processes)."""
        self._sync()
        for pod in range(len(self._owned)):
            self._fill(pod)
        yield from ()

    def _sync(self) -> None:
        """(Re)build each POD's lines when the PODs changed (a split)."""
        n = len(self._pod_list)
        if n == len(self._owned):
            return
        if self.pods is None:
            self._owned = [list(self.queues.values())]
        else:
            queues = self.queues
            self._owned = [[q for v in p["owns"] if (q := queues.get(v)) is not None] for p in self.pods.pods]
        self._hungry += [False] * (n - len(self._hungry))  # a new POD is looked at when its seats fill

    def _fill(self, pod: int) -> None:
        """A rep of ``pod`` may have room: take the longest-waiting available
        accounts of the POD's slices while a rep has room (waiting leads go first).
        A lead's life starts inside :meth:`Leads.new` and may end there (lost at
        once) and give room back: that call only notes the POD, which is looked at
        again before this returns (a loop, not a recursion as deep as the list)."""
        role = self.role
        if role is None:  # (no segment has accounts: start() never asked)
            return
        if self._filling:
            self._again.append(pod)
            return
        if len(self._owned) != len(self._pod_list):
            self._sync()
        self._filling = True
        cap, new, again = self.cap, self.leads.new, self._again
        now = self.env.now
        podded = self.pods is not None
        entry = self.entry
        try:
            while True:
                owned = self._owned[pod]
                while True:
                    if len(owned) == 1:
                        best = owned[0] or None
                    else:
                        best = None
                        for q in owned:
                            if q and (best is None or q[0][0] < best[0][0]):
                                best = q
                    if entry is not None and best is not None and entry[best[0][2]] != best[0][0]:
                        best.popleft()  # an inbound lead took this account out of the line
                        continue
                    # stamps and availability rise together: if the oldest is cooling off, all are
                    if best is None or best[0][1] > now:
                        self._hungry[pod] = True
                        if best is not None:
                            self._alarm.set(best[0][1])
                        break
                    rep = role.try_assign(cap, pod)
                    if rep < 0:
                        self._hungry[pod] = False
                        break
                    account = best.popleft()[2]
                    if self.market is not None:
                        self.market.took(self.mi, account, self.leads.created)
                    new(self.idx, self.routes[self.seg_of[account]], owner=rep, owner_role=role,
                        on_lost=partial(self._lost, account), pod=pod if podded else None)
                if not again:
                    return
                pod = again.popleft()
        finally:
            self._filling = False

    def _lost(self, account: int) -> None:
        """A lead of ``account`` was lost: the account lines up again, available
        after the cooling-off (with a market section: if contact fatigue lets it)."""
        if self.market is not None and not self.market.comes_back(self.mi, account):
            return
        self.line_up(account)

    def line_up(self, account: int) -> None:
        """``account`` lines up again, available after the cooling-off; a hungry
        POD owning its slice needs a timer for it."""
        ready = self.env.now + self.cool
        value = self.slice[account]
        self.queues[value].append((self._stamp, ready, account))
        if self.entry is not None:
            self.entry[account] = self._stamp
        self._stamp += 1
        if ready < self._alarm.pending:
            self._sync()
            hungry = self._hungry
            pods = self.pods
            if any(hungry[p] for p in (pods.owners(value) if pods is not None and value is not None else (0,))):
                self._alarm.set(ready)

    def taken_inbound(self, account: int) -> None:
        """An inbound lead is ``account``: its place in the line (if any) goes stale."""
        entry = self.entry
        if entry is not None:  # (kept only when inbound leads take accounts: always, when this is asked)
            entry[account] = -1

    def _woken(self) -> None:
        """The wake-up for the hungry PODs: an account of theirs is back."""
        for pod in [p for p, h in enumerate(self._hungry) if h]:
            self._fill(pod)
