"""Selling time: the share of a rep's week left for deal work (issue 22).

With a ``work_model`` section, a role named in ``work_model.time_use`` spends
part of each week on administration and CRM entry, internal meetings,
training, research and preparation, and travel; only the rest, the *deal
share*, works the role's tasks. A task of ``h`` work hours therefore takes
``h / deal share`` hours of the rep's week: the role's days per hour is
divided by the deal share once when the run is built
(:class:`~sim.model.setup.RunSetup`; the hot path pays nothing).

The process layer acts by moving this time: tools (CRM automation) remove
``tools_admin_cut`` of the admin hours of the roles they cover, playbooks
remove ``playbooks_research_cut`` of research and preparation; the hours
freed go to deals. With a work model the tools' ``work_hours_multiplier`` on
task time is not applied (:func:`model_scenario`): the tools act through
time, and through their price (:mod:`sim.model.process`).

Without a ``work_model`` every share is 1 and nothing here changes a run.
"""

from __future__ import annotations

from sim.scenario.schema import Scenario
from sim.scenario.work_model import moves_time, week_shares


def week(scenario: Scenario, role: str) -> dict[str, float]:
    """The shares of ``role``'s working week, after the process layer's cuts
    (:func:`~sim.scenario.work_model.week_shares`)."""
    return week_shares(scenario, role)


def deal_shares(scenario: Scenario) -> list[float]:
    """Per role (scenario order), the share of the week that works deals."""
    return [week(scenario, r)["deal"] for r in scenario.roles]


def model_scenario(scenario: Scenario) -> Scenario:
    """The scenario the model runs: with a work model's time use, the tools act by moving
    time, so their multiplier on task hours is set to 1 (the scenario itself,
    unchanged, without a work model or without tools)."""
    tools = scenario.process.tools
    if not moves_time(scenario) or tools is None or tools.work_hours_multiplier == 1.0:
        return scenario
    process = scenario.process.model_copy(update={"tools": tools.model_copy(update={"work_hours_multiplier": 1.0})})
    return scenario.model_copy(update={"process": process})
