"""Interventions over a run: the dated timeline and the data-driven loop.

* :class:`Timeline` applies the scenario's dated events (a rep leaves, hires,
  a market shock, a playbook roll-out, a price change) at their week.
* :class:`DataLoop` is the "data-driven" process of the upright triangle:
  each period it lifts the stage furthest below its benchmark a little (one
  KPI at a time), up to a cap, reading the conversions the leads counted.

Both record what they did to the timeline log, so results can show when an
intervention happened next to what it did. Each ``rec.timeline(t, kind, role,
who, x, y)`` call fills the fields :data:`~sim.model.vocab.TIMELINE_FIELDS`
names for its kind (commented at each call).
"""

from __future__ import annotations

import simpy

from sim.model.vocab import TimelineKind
from sim.scenario.people_spec import DataDriven, Playbooks
from sim.scenario.schema import Scenario

MARKET_SHOCK, SHOCK_OVER = int(TimelineKind.MARKET_SHOCK), int(TimelineKind.SHOCK_OVER)
PLAYBOOKS, PRICE_CHANGE = int(TimelineKind.PLAYBOOKS), int(TimelineKind.PRICE_CHANGE)
PROCESS_LIFT = int(TimelineKind.PROCESS_LIFT)


class Timeline:
    """The scenario's dated events, applied in week order."""

    def __init__(self, env: simpy.Environment, rec, scenario: Scenario, roles: dict, staffing, sources: list,
                 routes: dict):
        self.env, self.rec, self.scenario = env, rec, scenario
        self.roles, self.staffing, self.sources, self.routes = roles, staffing, sources, routes

    def run(self):
        env, rec, staffing = self.env, self.rec, self.staffing
        for ev in sorted(self.scenario.timeline, key=lambda e: e.week):
            yield env.timeout(max(ev.week * 7.0 - env.now, 0.0))
            role = self.roles.get(ev.role) if ev.role else None
            if ev.action == "rep_leaves":
                seat = staffing.top_seat(role) if ev.rep == "top" else ev.rep
                if 0 <= seat < role.headcount:
                    staffing.depart(role, seat)
            elif ev.action == "hire":
                for _ in range(ev.count):
                    staffing.hire(role)
            elif ev.action == "market_shock":
                src = next(s for s in self.sources if s.name == ev.source)
                src.shock_starts(ev.rate_multiplier)
                rec.timeline(env.now, MARKET_SHOCK, -1, src.idx, ev.rate_multiplier, 0.0)  # source, multiplier
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
                            r.change_price(ev.price_multiplier)
                rec.timeline(env.now, PRICE_CHANGE, -1, -1 if seg is None else seg,  # segment (-1: all)
                             ev.price_multiplier, 0.0)  # multiplier

    def _shock_over(self, src, multiplier: float) -> None:
        src.shock_ends(multiplier)
        self.rec.timeline(self.env.now, SHOCK_OVER, -1, src.idx, multiplier, 0.0)  # source, multiplier


class DataLoop:
    """Data-driven improvement over the lifts in ``leads.boost``. A step's observed
    conversion is its own: leads that moved on / (moved on + failed the step's
    conversion draw), counted in ``leads.moved`` and ``leads.not_converted``.
    Leads lost for other causes (SLA, hand-off, no contact, a leaver) are left
    out: counting them would charge, say, outbound no-contact losses to MQL
    conversion and spend every lift on a stage whose ratio can never reach 1."""

    def __init__(self, env: simpy.Environment, rec, dd: DataDriven, stages: list[str], routes: dict, leads):
        self.env, self.rec, self.dd, self.leads = env, rec, dd, leads
        configured: dict[int, list[float]] = {}
        for route in routes.values():
            for st in route.steps:
                configured.setdefault(st.stage, []).append(st.p)
        self.bench = {k: dd.benchmark.get(stages[k], sum(ps) / len(ps)) for k, ps in configured.items()}

    def run(self):
        env, dd, leads = self.env, self.dd, self.leads
        boosts, by_seg_moved, by_seg_failed = leads.boost, leads.moved, leads.not_converted
        boost = boosts[0]  # one lift per stage, the same for every segment
        while True:
            yield env.timeout(dd.period_days)
            worst, worst_ratio = -1, 1.0  # a stage at or above its benchmark needs no lift
            for k, target in self.bench.items():
                won = sum(m[k] for m in by_seg_moved)
                n = won + sum(f[k - 1] for f in by_seg_failed)
                if n < dd.min_observations or target <= 0 or boost[k] >= 1 + dd.max_lift - 1e-12:
                    continue
                ratio = won / n / target
                if ratio < worst_ratio:
                    worst, worst_ratio = k, ratio
            if worst >= 0:
                leads.lift(None, worst, min(1 + dd.max_lift, boost[worst] * (1 + dd.lift_fraction)))
                # stage, lift (its conversion multiplier now), conversion_vs_benchmark
                self.rec.timeline(env.now, PROCESS_LIFT, -1, worst, boost[worst], worst_ratio)
