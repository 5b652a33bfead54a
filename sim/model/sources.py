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
  makes the cadence spin over accounts it cannot take.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from sim.model.draws import block_draw, uniform01
from sim.model.rng import Streams
from sim.model.week_profile import WeekProfile
from sim.model.worktime import month_offset_days
from sim.scenario.schema import Inbound, Outbound
from sim.units import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.model.world import World



class InboundSource:
    def __init__(self, world: World, idx: int, name: str, spec: Inbound, streams: Streams):
        self.world, self.idx, self.name, self.spec = world, idx, name, spec
        self.segments = [g for g in world.scenario.segments if spec.segment_mix.get(g, 0) > 0]
        shares = np.array([spec.segment_mix[g] for g in self.segments])
        self.cum = list(np.cumsum(shares / shares.sum())) if len(shares) else []
        self.routes = [world.routes[(name, g)] for g in self.segments]
        profile = spec.seasonality_monthly or [1.0] * 12
        self.profile = list(profile)
        # market shocks from the timeline scale the rate; arrivals are thinned from the
        # highest rate the run can reach (a shock below 1 leaves earlier arrivals as they were)
        shocks = [ev.rate_multiplier for ev in world.scenario.timeline
                  if ev.action == "market_shock" and ev.source == name]
        self.shock = 1.0
        self.active_shocks: list[float] = []
        self.peak = max(profile) * max(1.0, math.prod(m for m in shocks if m > 1))
        wt = world.worktime
        # the hour-of-week profile (local time of the scenario calendar; day 0 a Monday without one)
        self.week = (WeekProfile(spec.arrival_profile.weekday, spec.arrival_profile.hour,
                                 wt.start_weekday if wt is not None else 0)
                     if spec.arrival_profile is not None else None)
        if self.week is not None:
            self.peak *= self.week.peak
        self.month0 = month_offset_days(wt.base.start_date) if wt is not None else 0.0
        rate_per_day = spec.rate_per_week / DAYS_PER_WEEK * self.peak
        gen = streams.generator(f"arrivals/{name}")
        self.gap = block_draw(lambda n: gen.exponential(1.0 / rate_per_day, n)) if rate_per_day else None
        self.thin = uniform01(streams.generator(f"thinning/{name}"))
        self.pick = uniform01(streams.generator(f"segment/{name}"))

    def start(self) -> None:
        if self.gap is not None and self.segments:
            self.world.env.process(self._arrivals())

    def _arrivals(self):
        env, world = self.world.env, self.world
        seasonal = self.spec.seasonality_monthly is not None or self.peak != 1.0
        cum, routes = self.cum, self.routes
        last = len(cum) - 1
        week, month0 = self.week, self.month0
        while True:
            yield env.timeout(self.gap())
            if seasonal or self.shock != 1.0:
                now = env.now
                month = int(((now + month0) % DAYS_PER_YEAR) // DAYS_PER_MONTH) % 12
                rate = self.profile[month] * self.shock
                if week is not None:
                    rate *= week.factor(now)
                if self.thin() * self.peak >= rate:
                    continue
            u = self.pick()
            i = 0
            while i < last and u >= cum[i]:
                i += 1
            world.leads.new(self.idx, routes[i])


class OutboundSource:
    def __init__(self, world: World, idx: int, name: str, spec: Outbound, streams: Streams):
        self.world, self.idx, self.name, self.spec = world, idx, name, spec
        segs = [g for g in world.scenario.segments if spec.accounts.get(g, 0) > 0]
        self.segments = segs
        order = np.repeat(np.arange(len(segs)), [spec.accounts[g] for g in segs])
        streams.generator(f"accounts/{name}").shuffle(order)
        self.available: deque[int] = deque(order.tolist())
        self.routes = [world.routes[(name, g)] for g in segs]
        self.role = self.routes[0].steps[0].role if segs else None
        self._returned = None
        self.pods = world.pods if self.role is not None and self.role.podded else None
        if self.pods is not None:
            self.seg_of = list(self.available)  # account -> index into self.routes
            u = (uniform01(streams.generator(f"pods/industry/{name}"))
                 if self.pods.spec.slice == "industry" else None)
            self.slice = [self.pods.slice_of(self.routes[g].segment, u) for g in self.seg_of]
            self.queues: dict[str, deque[tuple[int, int]]] = {v: deque() for v in set(self.slice)}
            self._stamp = 0  # accounts queue in arrival order across slices
            for a in range(len(self.seg_of)):
                self._queue(a)

    def start(self) -> None:
        if self.segments:
            self.world.env.process(self._cadence() if self.pods is None else self._pod_cadence())

    def _queue(self, account: int) -> None:
        self.queues[self.slice[account]].append((self._stamp, account))
        self._stamp += 1

    def _cooled(self, seg: int) -> None:
        self.available.append(seg)
        if self._returned is not None and not self._returned.triggered:
            self._returned.succeed()

    def _lost_callback(self, seg: int):
        env, cool = self.world.env, self.spec.cooling_off_days

        def on_lost():
            ev = env.timeout(cool)
            ev.callbacks.append(lambda _ev: self._cooled(seg))
        return on_lost

    def _account_back(self, account: int):
        """Callback of a lost lead of a PODded cadence: the account rejoins its slice after the cooling-off."""
        env, cool = self.world.env, self.spec.cooling_off_days

        def back(_ev):
            self._queue(account)
            self.role.nudge()

        def on_lost():
            env.timeout(cool).callbacks.append(back)
        return on_lost

    def _cadence(self):
        env, world, role = self.world.env, self.world, self.role
        cap = self.spec.cadence_per_rep
        while True:
            if not self.available:
                self._returned = env.event()
                yield self._returned
            seg = self.available[0]
            rep = role.try_assign(cap, 0)
            if rep < 0:
                yield role.next_release()  # every book is full (or at the cadence cap): wait for room
                continue
            self.available.popleft()
            world.leads.new(self.idx, self.routes[seg], owner=rep, owner_role=role,
                            on_lost=self._lost_callback(seg))

    def _pod_cadence(self):
        """Every POD with room takes the longest-waiting account of its slices;
        then the cadence sleeps until a book gets room or an account comes back."""
        world, role, pods, queues = self.world, self.role, self.pods, self.queues
        cap = self.spec.cadence_per_rep
        while True:
            for pod in range(len(pods.pods)):
                owned = [q for v in pods.pods[pod]["owns"] if (q := queues.get(v)) is not None]
                while True:
                    best = None
                    for q in owned:
                        if q and (best is None or q[0][0] < best[0][0]):
                            best = q
                    if best is None:
                        break
                    rep = role.try_assign(cap, pod)
                    if rep < 0:
                        break
                    _, account = best.popleft()
                    world.leads.new(self.idx, self.routes[self.seg_of[account]], owner=rep, owner_role=role,
                                    on_lost=self._account_back(account), pod=pod)
            yield role.next_release()
