"""Who works which step: the scenario's routing rules, resolved once.

A lead's route depends on its source, its segment and whether it is a
product-qualified lead (PQL). The rules (source override > PQL roles >
segment override > the step's role) are written here once; the validation
(:mod:`sim.scenario.checks`) applies them to report problems, and the model
builds its runtime routes from the compiled :class:`RoutingPlan`. This module
is pure data resolution: no randomness, no SimPy.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.schema import Inbound, Outbound, Scenario


def step_role(scenario: Scenario, source_name: str, stage: str, segment: str | None = None,
              pql: bool = False) -> str | None:
    """The role that works the step into ``stage`` for leads of ``source_name`` in
    ``segment``: the source's override, else (for product-qualified leads) the
    segment's PQL roles, else the segment's roles, else the step's role."""
    src = scenario.sources[source_name]
    if stage in src.roles:
        return src.roles[stage]
    seg = scenario.segments[segment] if segment is not None else None
    if pql and seg is not None and seg.pql is not None and stage in seg.pql.roles:
        return seg.pql.roles[stage]
    if seg is not None and stage in seg.roles:
        return seg.roles[stage]
    step = scenario.steps.get(stage)
    return step.role if step else None


def source_segments(scenario: Scenario, source_name: str) -> list[str]:
    """The segments a source can produce leads in."""
    src = scenario.sources[source_name]
    if isinstance(src, Inbound):
        return list(src.segment_mix)
    if isinstance(src, Outbound):
        return list(src.accounts)
    return list(src.segments) if src.segments is not None else list(scenario.segments)


def entry_stage(scenario: Scenario, source_name: str) -> str:
    """The stage a source's new leads start in."""
    src = scenario.sources[source_name]
    if src.entry_stage is not None:
        return src.entry_stage
    if isinstance(src, Outbound) or len(scenario.stages) == 2:
        return scenario.stages[0]
    return scenario.stages[1]


@dataclass(frozen=True)
class RouteRoles:
    """One (source, segment, PQL or not) route: where it starts and who works each step."""

    source: str
    segment: str
    pql: bool
    entry: int  # index of the entry stage
    roles: tuple[str | None, ...]  # role of the step into stage entry+1, entry+2, ... (None: no role)

    def steps(self) -> list[tuple[int, str | None]]:
        """``(stage index, role)`` of every step of the route."""
        return [(self.entry + 1 + i, r) for i, r in enumerate(self.roles)]


@dataclass(frozen=True)
class RoutingPlan:
    """Every route of a validated scenario, and the role sets derived from them."""

    routes: dict[tuple[str, str, bool], RouteRoles]
    closing_roles: frozenset[str]  # work the last step (the win) for some lead
    selling_roles: frozenset[str]  # work some funnel step for some lead (assists included)
    roles_with_several_steps: frozenset[str]  # work more than one step for some lead
    post_sale_owned_roles: frozenset[str]  # owned roles that also do post-sale work (generalists)

    @classmethod
    def compile(cls, scenario: Scenario) -> RoutingPlan:
        stages = scenario.stages
        routes: dict[tuple[str, str, bool], RouteRoles] = {}
        for sname in scenario.sources:
            entry = stages.index(entry_stage(scenario, sname))
            for g in source_segments(scenario, sname):
                for pql in (False, True):
                    roles = tuple(step_role(scenario, sname, st, g, pql) for st in stages[entry + 1:])
                    routes[(sname, g, pql)] = RouteRoles(sname, g, pql, entry, roles)
        last = len(stages) - 1
        closing: set[str] = set()
        selling: set[str] = set()
        steps_of: dict[str, set[int]] = {}
        for r in routes.values():
            for k, role in r.steps():
                if role is None:
                    continue
                selling.add(role)
                steps_of.setdefault(role, set()).add(k)
                if k == last:
                    closing.add(role)
        for sname in scenario.sources:
            for g in source_segments(scenario, sname):
                selling.update(n.assist.role for n in scenario.segments[g].steps.values() if n.assist is not None)
        ps = scenario.post_sale
        owned_post = {r for r in (ps.onboarding_role, ps.csm_role, ps.am_role)
                      if r is not None and scenario.roles[r].owns_leads}
        return cls(routes=routes, closing_roles=frozenset(closing), selling_roles=frozenset(selling),
                   roles_with_several_steps=frozenset(r for r, s in steps_of.items() if len(s) > 1),
                   post_sale_owned_roles=frozenset(owned_post))

    def role_of(self, source: str, segment: str, stage: int, pql: bool = False) -> str | None:
        """The role that works the step into stage index ``stage`` on that route."""
        r = self.routes[(source, segment, pql)]
        return r.roles[stage - r.entry - 1]
