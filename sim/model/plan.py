"""Compiling a validated scenario into per-(source, segment) routes.

The engine never looks at the scenario on the per-lead path: everything a lead
needs (which role works each step, the effective conversion probability, the
samplers of work and elapsed time, hand-off costs) is resolved here once, into
small slot objects. Each sampler owns a random stream named after its purpose,
so changing one step of one segment leaves every other stream untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.draws import Draw, is_zero, sampler, uniform01
from sim.model.rng import Streams
from sim.model.roles import RoleRuntime
from sim.scenario.checks import entry_stage, step_role
from sim.scenario.schema import Outbound, Scenario


class StepPlan:
    """One step of one route (source x segment)."""

    __slots__ = ("stage", "role", "p", "conv", "work", "elapsed", "handoff_leak", "handoff_delay",
                 "sla_days", "decay", "attempts", "connect_p", "connect", "gap", "leak", "last", "simple")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


@dataclass
class Route:
    segment: int  # index of the segment in the scenario
    entry: int  # stage index new leads start in
    steps: list[StepPlan]
    acv: Draw
    discount: Draw
    discount_multiplier: float


def roles_with_several_steps(scenario: Scenario) -> set[str]:
    """Roles that work more than one step for some lead (they get priority queues)."""
    steps_of: dict[str, set[str]] = {}
    for sname, src in scenario.sources.items():
        segs = src.accounts if isinstance(src, Outbound) else src.segment_mix
        entry = scenario.stages.index(entry_stage(scenario, sname))
        for g in segs:
            for stage in scenario.stages[entry + 1:]:
                r = step_role(scenario, sname, stage, g)
                if r is not None:
                    steps_of.setdefault(r, set()).add(stage)
    return {r for r, s in steps_of.items() if len(s) > 1}


def build_routes(scenario: Scenario, streams: Streams, roles: dict[str, RoleRuntime]
                 ) -> dict[tuple[str, str], Route]:
    """A route for every (source, segment) pair that can produce leads."""
    stages = scenario.stages
    routes: dict[tuple[str, str], Route] = {}
    for sname, src in scenario.sources.items():
        seg_names = src.accounts if isinstance(src, Outbound) else src.segment_mix
        entry = stages.index(entry_stage(scenario, sname))
        for gname in seg_names:
            seg = scenario.segments[gname]
            key = f"{sname}/{gname}"
            steps: list[StepPlan] = []
            prev_role: str | None = None
            for k in range(entry + 1, len(stages)):
                stage = stages[k]
                step = scenario.steps.get(stage)
                numbers = seg.steps[stage]
                rname = step_role(scenario, sname, stage, gname)
                role = roles[rname] if rname is not None else None
                scale = role.days_per_hour if role is not None else 0.0
                last = k == len(stages) - 1
                p = numbers.conversion_probability * src.conversion_multiplier.get(stage, 1.0)
                if last and seg.value_exchange is not None:
                    p *= seg.value_exchange.win_probability_multiplier
                handoff = None
                if role is not None and prev_role is not None and rname != prev_role:
                    handoff = (step.handoff if step and step.handoff else scenario.handoff)
                first_outbound = isinstance(src, Outbound) and k == entry + 1
                plan = StepPlan(
                    stage=k,
                    role=role,
                    p=min(p, 1.0),
                    conv=uniform01(streams.generator(f"conversion/{key}/{stage}")),
                    work=(sampler(numbers.work_hours, streams.generator(f"work/{key}/{stage}"), scale)
                          if role is not None and not is_zero(numbers.work_hours) else None),
                    elapsed=(None if is_zero(numbers.elapsed_days)
                             else sampler(numbers.elapsed_days, streams.generator(f"elapsed/{key}/{stage}"))),
                    handoff_leak=handoff.leakage_probability if handoff else 0.0,
                    leak=(uniform01(streams.generator(f"leak/{key}/{stage}"))
                          if handoff and handoff.leakage_probability > 0 else None),
                    handoff_delay=(None if handoff is None or is_zero(handoff.delay_days) else
                                   sampler(handoff.delay_days, streams.generator(f"handoff/{key}/{stage}"))),
                    sla_days=(step.sla_hours / 24.0 if step and step.sla_hours and role else None),
                    decay=bool(step and step.speed_to_lead),
                    attempts=src.attempts.max_attempts if first_outbound else 1,
                    connect_p=src.attempts.connect_probability if first_outbound else 1.0,
                    connect=(uniform01(streams.generator(f"connect/{key}/{stage}"))
                             if first_outbound else None),
                    gap=(sampler(src.attempts.days_between_attempts,
                                 streams.generator(f"attempt_gap/{key}/{stage}"))
                         if first_outbound else None),
                    last=last,
                )
                plan.simple = (role is not None and role.res is not None and plan.attempts == 1
                               and plan.sla_days is None and plan.leak is None
                               and plan.handoff_delay is None and not plan.decay)
                steps.append(plan)
                if rname is not None:
                    prev_role = rname
            routes[(sname, gname)] = Route(
                segment=list(scenario.segments).index(gname),
                entry=entry,
                steps=steps,
                acv=sampler(seg.acv_usd, streams.generator(f"acv/{key}")),
                discount=sampler(seg.discount_fraction, streams.generator(f"discount/{key}")),
                discount_multiplier=(seg.value_exchange.discount_multiplier
                                     if seg.value_exchange else 1.0),
            )
    return routes
