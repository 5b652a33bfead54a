"""The process layer's effects on work time, and its price.

* Tools take hours out of the tasks of the roles and steps they name
  (:func:`tools_factor`): the work-time samplers of those tasks are scaled once
  when the run is built, so the hot path pays nothing.
* Every lever (playbooks, tools, enablement, the data-driven loop) may carry a
  price (:class:`~sim.scenario.people_spec.ProcessCost`); :func:`process_costs`
  turns it into cost lines the metrics date and classify.
"""

from __future__ import annotations

from sim.model.vocab import ProcessCostLine
from sim.scenario.people_spec import Process
from sim.scenario.schema import Scenario

LEVERS = ("playbooks", "tools", "enablement", "data_driven")


def tools_factor(process: Process, role: str | None, stage: str | None) -> float:
    """Multiplier of the work hours of a task of ``role`` (a funnel step into
    ``stage``, or post-sale work when ``stage`` is None): :meth:`Process.tools_factor`."""
    return process.tools_factor(role, stage)


def process_costs(scenario: Scenario) -> list[ProcessCostLine]:
    """One cost line per priced lever: the roles whose seats it covers (tools: the
    roles it names; the others: every role with seats), per-seat and flat USD a year."""
    roles = list(scenario.roles)
    staffed = [i for i, r in enumerate(scenario.roles.values()) if not r.unlimited_capacity]
    out = []
    for name in LEVERS:
        lever = getattr(scenario.process, name)
        if lever is None:
            continue
        covered = staffed
        if name == "tools" and lever.roles is not None:
            covered = [roles.index(r) for r in lever.roles if roles.index(r) in staffed]
        per_seat = lever.cost_per_year_usd if lever.cost_basis == "per_seat" else 0.0
        flat = (lever.cost_per_year_usd if lever.cost_basis == "flat" else 0.0) + (
            lever.ops_headcount * lever.ops_loaded_cost_per_year_usd)
        if per_seat or flat:
            out.append(ProcessCostLine(name, covered or list(range(len(roles))), per_seat, flat))
    return out
