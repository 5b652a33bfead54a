"""Compiling a validated scenario into per-(source, segment) routes.

The engine never looks at the scenario on the per-lead path: everything a lead
needs (which role works each step, the effective conversion probability, the
samplers of work and elapsed time, hand-off costs) is resolved here once, into
small slot objects. Each sampler owns a random stream named after its purpose,
so changing one step of one segment leaves every other stream untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sim.model.draws import Draw, is_zero, sampler, uniform01
from sim.model.rng import Streams
from sim.model.roles import RoleRuntime
from sim.model.setup import RunSetup
from sim.model.tasks import Job
from sim.scenario.distributions import Constant
from sim.scenario.schema import AccountMining, Outbound, Scenario


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class StepPlan:
    """One step of one route (source x segment), resolved once: who works it, what
    it draws, what it may cost on the way. Fields are given by name (a misspelt or
    missing one is a TypeError, not a None) and never change; the lead's life reads
    them as attributes (on a slotted object, about as fast as unpacking a tuple)."""

    stage: int  # index of the stage the step moves a lead into
    role: RoleRuntime | None  # who works the step (None: the customer's time only)
    prio: int  # the task's queue priority (:func:`priority`: lower first)
    p: float  # conversion probability of the step
    conv: Draw  # uniform draw against ``p``
    work: Draw | None  # work time in days of the role (None: no work)
    elapsed: Draw | None  # the customer's elapsed days after the work (None: none)
    # with ``lost_after_days``: the conversion is drawn before the customer's time, which is then
    # ``elapsed`` for a lead that converts and this for one that does not (None: off)
    lost_after: Draw | None = None
    last: bool  # the step into the last stage: the win
    # a hand-off from the previous role: leakage, delay, the previous role's fee
    handoff_leak: float = 0.0
    leak: Draw | None = None  # uniform draw against ``handoff_leak`` (None: no leakage)
    handoff_delay: Draw | None = None
    fee_role: RoleRuntime | None = None  # the role paid per hand-off (e.g. an SDR agency)
    # an SLA on the wait for the step's work, in days (None: none); business hours of the role's calendar
    sla_days: float | None = None
    sla_business: bool = False
    decay: bool = False  # speed-to-lead: conversion decays with the wait for the first touch
    # outbound first touch: attempts to connect, each connecting with ``connect_p``
    attempts: int = 1
    connect_p: float = 1.0
    connect: Draw | None = None
    gap: Draw | None = None  # days between attempts
    assist: RoleRuntime | None = None  # a second seller's time on the step,
    assist_job: Job | None = None  # what it does
    # the lead may ask the same role again the instant this step's work ends (see :func:`_may_return`)
    may_return: bool = False
    # a pooled role, one attempt, no SLA, no hand-off cost, no speed-to-lead: the
    # lead's life goes straight to the role (derived from the fields above)
    simple: bool = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "simple", (
            self.role is not None and self.role.res is not None and self.attempts == 1 and self.sla_days is None
            and self.leak is None and self.handoff_delay is None and not self.decay and self.fee_role is None
            and self.assist is None))


@dataclass
class Route:
    segment: int  # index of the segment in the scenario
    entry: int  # stage index new leads start in
    steps: list[StepPlan]
    acv: Draw
    discount: Draw
    discount_multiplier: float
    cost_per_lead: float = 0.0
    price: float = 1.0  # list-price multiplier (timeline price changes)
    closer: RoleRuntime | None = None  # role of the last step (earns the commission)
    pql: Route | None = None  # product-qualified variant (routed to sales)
    pql_p: float = 0.0
    pql_draw: Draw | None = field(default=None, repr=False)

    def change_price(self, multiplier: float) -> None:
        """A price change: list prices of new leads times ``multiplier``."""
        self.price *= multiplier


WORK_KINDS = ("closing", "onboarding", "account_care", "prospecting")


def priority(scenario: Scenario, role: str | None, kind: str, stage: int = 0) -> int:
    """Queue priority of a task (lower first): the role's time policy ranks the
    kind of work; within a kind, later stages first (closest to the money)."""
    spec = scenario.roles.get(role) if role else None
    policy: list[str] = list(spec.people.time_policy) if spec is not None and spec.people else list(WORK_KINDS)
    rank = policy.index(kind) if kind in policy else len(policy)
    return rank * 100 - stage


def _may_return(steps: list[StepPlan], i: int) -> bool:
    """Whether a lead may ask the role of step ``i`` for a seat again at the very
    instant it finishes that step's work (no customer time, and the next step
    worked is the same role's): then a freed seat must wait for the instant's
    own work before going to the head of the line (see :mod:`sim.model.seats`)."""
    role = steps[i].role
    for j in range(i, len(steps)):
        if steps[j].elapsed is not None or steps[j].last:
            return False
        nxt = steps[j + 1]
        if nxt.role is not None:
            return nxt.role is role
    return False


def _const(days):
    return None if days is None else Constant(value=days)


def _route(setup: RunSetup, streams: Streams, roles: dict[str, RoleRuntime], sname: str, gname: str,
           pql: bool) -> Route:
    scenario, routing = setup.scenario, setup.routing
    stages = scenario.stages
    src = scenario.sources[sname]
    seg = scenario.segments[gname]
    entry = routing.routes[(sname, gname, pql)].entry
    key = f"{sname}/{gname}" + ("/pql" if pql else "")
    steps: list[StepPlan] = []
    prev_role: str | None = None
    win_from = stages.index(scenario.win_rate_stage)
    for k in range(entry + 1, len(stages)):
        stage = stages[k]
        step = scenario.steps.get(stage)
        numbers = seg.steps[stage]
        rname = routing.role_of(sname, gname, k, pql)
        role = roles[rname] if rname is not None else None
        scale = setup.work_scale(rname, stage) if rname is not None else 0.0
        last = k == len(stages) - 1
        p = numbers.conversion_probability * src.conversion_multiplier.get(stage, 1.0)
        if last and seg.value_exchange is not None:
            p *= seg.value_exchange.win_probability_multiplier
        handoff = None
        if role is not None and prev_role is not None and rname != prev_role:
            handoff = step.handoff if step and step.handoff else scenario.handoff
            pods = scenario.pods
            if pods is not None and rname in pods.roles and prev_role in pods.roles:
                # inside a POD the hand-off is to a teammate: cheaper (when configured)
                handoff = handoff.model_copy(update={
                    k: v for k, v in (("delay_days", _const(pods.inside_handoff_delay_days)),
                                      ("leakage_probability", pods.inside_handoff_leakage)) if v is not None})
        # the connect attempts of an outbound source's first step (None: one attempt, always connected)
        cadence = src.attempts if isinstance(src, Outbound) and k == entry + 1 else None
        assist_spec = numbers.assist
        assist = roles[assist_spec.role] if assist_spec is not None else None
        steps.append(StepPlan(
            stage=k,
            role=role,
            prio=priority(scenario, rname, "closing" if k > win_from else "prospecting", k),
            p=min(p, 1.0),
            conv=uniform01(streams.generator(f"conversion/{key}/{stage}")),
            work=(sampler(numbers.work_hours, streams.generator(f"work/{key}/{stage}"), scale)
                  if role is not None and not is_zero(numbers.work_hours) else None),
            elapsed=(None if is_zero(numbers.elapsed_days)
                     else sampler(numbers.elapsed_days, streams.generator(f"elapsed/{key}/{stage}"))),
            lost_after=(None if numbers.lost_after_days is None
                        else sampler(numbers.lost_after_days, streams.generator(f"lost_after/{key}/{stage}"))),
            last=last,
            handoff_leak=handoff.leakage_probability if handoff else 0.0,
            leak=(uniform01(streams.generator(f"leak/{key}/{stage}"))
                  if handoff and handoff.leakage_probability > 0 else None),
            handoff_delay=(None if handoff is None or is_zero(handoff.delay_days) else
                           sampler(handoff.delay_days, streams.generator(f"handoff/{key}/{stage}"))),
            fee_role=(roles[prev_role] if handoff is not None and prev_role is not None and
                      scenario.roles[prev_role].fee_per_handoff_usd > 0 else None),
            sla_days=(step.sla_hours / 24.0 if step and step.sla_hours and role else None),
            sla_business=bool(step and step.sla_hours and step.sla_clock == "business_hours" and role is not None
                              and role.cal is not None),
            decay=bool(step and step.speed_to_lead),
            attempts=cadence.max_attempts if cadence is not None else 1,
            connect_p=cadence.connect_probability if cadence is not None else 1.0,
            connect=(uniform01(streams.generator(f"connect/{key}/{stage}")) if cadence is not None else None),
            gap=(sampler(cadence.days_between_attempts, streams.generator(f"attempt_gap/{key}/{stage}"))
                 if cadence is not None else None),
            assist=assist,
            assist_job=(Job(k, sampler(assist_spec.work_hours, streams.generator(f"assist/{key}/{stage}"),
                                       setup.work_scale(assist.name, stage)))
                        if assist is not None and assist_spec is not None else None),
        ))
        if rname is not None:
            prev_role = rname
    steps = [replace(st, may_return=_may_return(steps, i)) for i, st in enumerate(steps)]
    acv_scale = src.acv_multiplier if isinstance(src, AccountMining) else 1.0
    route = Route(
        segment=list(scenario.segments).index(gname),
        entry=entry,
        steps=steps,
        acv=sampler(seg.acv_usd, streams.generator(f"acv/{key}"), acv_scale),
        discount=sampler(seg.discount_fraction, streams.generator(f"discount/{key}")),
        discount_multiplier=seg.value_exchange.discount_multiplier if seg.value_exchange else 1.0,
        cost_per_lead=src.cost_per_lead_usd,
        closer=steps[-1].role if steps else None,
    )
    if seg.pql is not None and not pql and seg.pql.probability > 0:
        route.pql = _route(setup, streams, roles, sname, gname, pql=True)
        route.pql_p = seg.pql.probability
        route.pql_draw = uniform01(streams.generator(f"pql/{key}"))
    return route


def build_routes(setup: RunSetup, streams: Streams, roles: dict[str, RoleRuntime]) -> dict[tuple[str, str], Route]:
    """A route for every (source, segment) pair that can produce leads."""
    return {(sname, gname): _route(setup, streams, roles, sname, gname, pql=False)
            for (sname, gname, pql) in setup.routing.routes if not pql}
