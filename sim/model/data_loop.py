"""The data-driven loop against an outside benchmark (``process.data_driven.outside``,
:mod:`sim.scenario.data_loop_spec`).

Each period the loop's analysts look at the data: for every segment and stage
with a benchmark, the observed conversion of the step into it (leads that
moved on / moved on + failed the step's draw, as the legacy loop counts them)
once ``min_observations`` leads have passed. Of the KPIs whose rate today (the
configured rate times the lifts so far) is below the benchmark and that have
no lift on its way, the ``slots`` furthest below their benchmark in the data
are worked on. A lift of a KPI closes ``gap_closed_per_lift x diminishing^n``
of its gap (n: lifts of that KPI before), never more than ``max_lift`` in
all, and takes effect ``lag_days`` later. Today's rate never passes the
benchmark; a benchmark at or below it does nothing.
"""

from __future__ import annotations

import math

import simpy

from sim.model.vocab import TimelineKind
from sim.scenario.people_spec import DataDriven

PROCESS_LIFT = int(TimelineKind.PROCESS_LIFT)


class OutsideDataLoop:
    """Lifts ``leads.boost[segment][stage]`` toward a cited benchmark."""

    def __init__(self, env: simpy.Environment, rec, dd: DataDriven, stages: list[str], segments: list[str],
                 routes: dict, leads):
        self.env, self.rec, self.dd, self.leads = env, rec, dd, leads
        ob = dd.outside
        if ob is None:  # the caller builds the loop only for a data_driven section with an outside benchmark
            raise ValueError("a data loop against an outside benchmark needs process.data_driven.outside")
        self.ob = ob
        configured: dict[tuple[int, int], list[float]] = {}
        for route in routes.values():
            for st in route.steps:
                configured.setdefault((route.segment, st.stage), []).append(st.p)
        # (segment, stage, configured rate, benchmark), for each benchmark a route has
        self.kpis: list[tuple[int, int, float, float]] = []
        for gname, by_stage in ob.conversion.items():
            g = segments.index(gname)
            for sname, bench in by_stage.items():
                ps = configured.get((g, stages.index(sname)))
                if ps and bench > 0:
                    self.kpis.append((g, stages.index(sname), sum(ps) / len(ps), bench))
        self.slots = math.floor(dd.ops_headcount * ob.kpis_per_analyst + 1e-9)
        self.lifts: dict[tuple[int, int], int] = {}  # lifts decided per KPI
        self.pending: set[tuple[int, int]] = set()  # KPIs with a lift decided, not yet in effect

    def run(self):
        env, dd, leads = self.env, self.dd, self.leads
        boost, moved, failed = leads.boost, leads.moved, leads.not_converted
        cap = 1 + dd.max_lift
        while True:
            yield env.timeout(dd.period_days)
            candidates = []
            for g, k, p, bench in self.kpis:
                if (g, k) in self.pending or p * boost[g][k] >= bench - 1e-12 or boost[g][k] >= cap - 1e-12:
                    continue
                n = moved[g][k] + failed[g][k - 1]
                if n < dd.min_observations:
                    continue
                candidates.append((moved[g][k] / n / bench, g, k, p, bench))
            candidates.sort()
            for ratio, g, k, p, bench in candidates[:self.slots]:
                done = self.lifts.get((g, k), 0)
                self.lifts[(g, k)] = done + 1
                now_rate = p * boost[g][k]
                share = self.ob.gap_closed_per_lift * self.ob.diminishing ** done
                target = min(cap, (now_rate + share * (bench - now_rate)) / p)
                self.pending.add((g, k))
                t = env.timeout(self.ob.lag_days)
                t.callbacks.append(lambda _e, g=g, k=k, target=target, ratio=ratio: self._apply(g, k, target, ratio))

    def _apply(self, g: int, k: int, target: float, ratio: float) -> None:
        boost = self.leads.boost
        self.leads.lift(g, k, max(boost[g][k], target))
        self.pending.discard((g, k))
        # stage, lift (its conversion multiplier now), conversion_vs_benchmark (observed, when decided)
        self.rec.timeline(self.env.now, PROCESS_LIFT, -1, k, boost[g][k], ratio)
