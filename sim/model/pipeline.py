"""The open deals a run starts with (scenario key ``initial_pipeline``,
:mod:`sim.scenario.pipeline_spec`).

Each open deal becomes a lead at time 0 in its stage, on its source and
segment's route, and walks the steps after its stage like any other lead: the
step into the next stage is still to be worked (by its preset owner when the
row names a rep of a role that owns leads), then the customer's time in the
stage runs out, then the conversion is drawn. The customer's time still to
come is drawn *given the age already spent*: for an elapsed-time distribution
with survival S, the total time X given X > age is ``S^-1(U S(age))`` with U
uniform on (0, 1], and the lead waits ``X - age`` (0 when the age is already
past every time the distribution allows). An exponential time is memoryless:
the age changes nothing. Deal values are the row's amount, else a draw of
the segment's ``acv_usd`` on a stream of its own.

Every random number here comes from streams named ``initial_pipeline/...``,
issued only when the key is set: a scenario without it draws exactly what it
drew before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.model.draws import sampler
from sim.model.rng import Streams
from sim.scenario import distributions as d
from sim.scenario.pipeline_spec import frozen, survival
from sim.scenario.pipeline_spec import resolved as resolve_deal

if TYPE_CHECKING:
    from sim.model.lead import Leads
    from sim.model.plan import Route
    from sim.model.pods import PodBook
    from sim.model.roles import RoleRuntime


def remaining(spec, ages: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The customer's time still to come in a stage whose elapsed time is ``spec``, for deals
    already ``ages`` days in it, from uniforms ``u`` in [0, 1): ``X - age`` with X drawn from
    ``spec`` given X > age (0 where no time beyond the age is possible)."""
    ages = np.asarray(ages, dtype=float)
    if isinstance(spec, d.Constant):
        return np.maximum(spec.value - ages, 0.0)
    dist = frozen(spec)
    s = dist.sf(ages)
    x = dist.isf((1.0 - np.asarray(u, dtype=float)) * s)  # 1 - u in (0, 1]: X given X > age
    out = np.where((s > 0) & np.isfinite(x), x - ages, 0.0)
    return np.maximum(out, 0.0)


class InitialPipeline:
    """The scenario's open deals, resolved to routes, ready to enter the world at time 0."""

    def __init__(self, scenario, routes: dict[tuple[str, str], Route], roles: dict[str, RoleRuntime],
                 streams: Streams):
        self.scenario = scenario
        self.routes, self.roles = routes, roles
        stages = scenario.stages
        segments = list(scenario.segments)
        sources = list(scenario.sources)
        deals = scenario.initial_pipeline or []
        gen = streams.generator("initial_pipeline/remaining")
        u = gen.random(len(deals))
        u_loss = streams.generator("initial_pipeline/remaining_loss").random(len(deals))
        self.rows: list[tuple] = []  # (source index, route, stage index, rest days, list value, rep)
        acv_draw: dict[str, Callable[[], float]] = {}
        rest: list = [0.0] * len(deals)
        groups: dict[tuple[str, str, int], list[int]] = {}
        resolved = []
        for i, deal in enumerate(deals):
            source, segment = resolve_deal(scenario, deal)
            k = stages.index(deal.stage)
            resolved.append((source, segment, k))
            groups.setdefault((source, segment, k), []).append(i)
        for (_source, segment, k), idx in groups.items():
            step = scenario.segments[segment].steps[stages[k + 1]]
            ages = np.array([deals[i].age_days for i in idx])
            left = remaining(step.elapsed_days, ages, u[idx])
            if step.lost_after_days is None:
                for i, x in zip(idx, left, strict=True):
                    rest[i] = float(x)
                continue
            # decided first: the chance of a win weighed by both times' survival at the age (in Leads)
            sw, sl = survival(step.elapsed_days, ages), survival(step.lost_after_days, ages)
            left_l = remaining(step.lost_after_days, ages, u_loss[idx])
            for j, i in enumerate(idx):
                rest[i] = (float(sw[j]), float(sl[j]), float(left[j]), float(left_l[j]))
        for i, deal in enumerate(deals):
            source, segment, k = resolved[i]
            if deal.amount_usd is not None:
                value = float(deal.amount_usd)
            else:
                if segment not in acv_draw:
                    acv_draw[segment] = sampler(scenario.segments[segment].acv_usd,
                                                streams.generator(f"initial_pipeline/acv/{segment}"))
                value = float(acv_draw[segment]())
            self.rows.append((sources.index(source), routes[(source, segment)], k, rest[i], value,
                              deal.owner, deal.rep))
        self.segments = segments

    @property
    def value_usd(self) -> float:
        return math.fsum(r[4] for r in self.rows)

    def enter(self, leads: Leads, pods: PodBook | None):
        """Put every open deal into the world (a process started before the sources, so the
        deals are the run's first leads)."""
        for source, route, k, rest, value, owner, rep in self.rows:
            role = self.roles[owner] if owner is not None and rep is not None else None
            if role is not None:
                role.open[rep] += 1  # the deal's owner (a book may start above max_open_per_rep)
                pod = role.seat_pod[rep]
            else:
                pod = pods.pod_for(route.segment) if pods is not None else 0
            leads.open_deal(source, route, k, rest, value, owner=rep if role is not None else -1,
                            owner_role=role, pod=pod)
        yield from ()
