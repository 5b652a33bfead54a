"""Scenario section ``work_model``: what a rep's week is made of (issue 22).

Without this section (the default) every hour a rep works goes to deal tasks,
as in every scenario written before it, and results are unchanged.

* ``time_use`` (per role): the week splits into deal work and the rest --
  administration and CRM entry, internal meetings, training, research and
  preparation, travel for field roles. Only the deal share works the role's
  tasks, so a task of ``work_hours`` takes ``1 / deal share`` as long in the
  rep's week. Sales surveys put selling at about 30% of a rep's week
  (Salesforce, State of Sales 5th ed. 2022: 28%; CSO Insights about 35%; a
  range of 20-40%): docs/background.md#what-a-reps-week-is-made-of.
* ``tools_admin_cut`` / ``playbooks_research_cut``: with the work model the
  process layer acts by moving time -- tools (CRM automation) remove admin
  hours, playbooks shorten research and preparation -- instead of the tools'
  ``work_hours_multiplier`` on task time, which the work model replaces.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.scenario.base import StrictModel

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Share = Annotated[float, Field(ge=0, le=1)]

# the parts of a week that are not deal work, in the order reports show them
NON_DEAL = ("admin", "meetings", "training", "research", "travel")
MIN_DEAL_SHARE = 0.05  # a rep who never works a deal is not a seller


class _Model(StrictModel):
    """Strict numbers, unknown keys refused (see :mod:`sim.scenario.base`)."""


class TimeUse(_Model):
    """Shares of a rep's working week that are *not* deal work; the deal share
    is what is left. Defaults leave 30% for deals (Salesforce State of Sales
    2022: 28%; range 20-40%): admin and CRM entry 25%, internal meetings 15%,
    training 10%, research and preparation 20%, travel 0% (inside sales; field
    roles 10-20%)."""

    admin: Share = Field(default=0.25, description="administration and CRM entry (range 0.15-0.35)")
    meetings: Share = Field(default=0.15, description="internal meetings (range 0.05-0.25)")
    training: Share = Field(default=0.10, description="training and coaching received (range 0.03-0.15)")
    research: Share = Field(default=0.20, description="research and preparation of deals (range 0.1-0.3)")
    travel: Share = Field(default=0.0, description="travel (field roles 0.1-0.2, inside roles 0)")

    @model_validator(mode="after")
    def _room_for_deals(self):
        rest = sum(getattr(self, k) for k in NON_DEAL)
        if rest > 1 - MIN_DEAL_SHARE + 1e-12:
            raise ValueError(f"the non-deal shares add up to {rest:.3g}; at least {MIN_DEAL_SHARE:.0%} of the "
                             "week must be left for deal work")
        return self


class WorkModel(_Model):
    """What a rep's week is made of (absent: all of it is deal work)."""

    time_use: dict[Name, TimeUse] = Field(
        default_factory=dict, description="role -> shares of the week spent on admin, meetings, training, "
        "research, travel; the rest is deal work (roles not named: all deal work)")
    tools_admin_cut: Share = Field(
        default=0.3, description="with process.tools: share of the covered roles' admin hours the tools "
        "remove (CRM automation; about a third of sales tasks automatable, McKinsey 2020; range 0.1-0.5); "
        "with a work model it replaces tools.work_hours_multiplier")
    playbooks_research_cut: Share = Field(
        default=0.3, description="with process.playbooks: share of research and preparation hours the "
        "playbooks remove (range 0.1-0.5)")


def problems(scenario) -> list[tuple[tuple, str]]:
    """Cross-references of the ``work_model`` section, as ``(path, message)``
    (:mod:`sim.scenario.checks` reports them)."""
    wm = scenario.work_model
    if wm is None:
        return []
    out: list[tuple[tuple, str]] = []
    roles = list(scenario.roles)
    for rname in wm.time_use:
        if rname not in roles:
            out.append((("work_model", "time_use", rname), f"unknown role {rname!r}; expected one of {roles}"))
    tools = scenario.process.tools
    if tools is not None:
        if tools.steps is not None:
            out.append((("process", "tools", "steps"), "with a work_model the tools act on admin time "
                        "(work_model.tools_admin_cut), not on the hours of chosen steps: leave steps out"))
        covered = tools.roles if tools.roles is not None else [r for r in roles
                                                               if not scenario.roles[r].unlimited_capacity]
        bare = [r for r in covered if r in roles and r not in wm.time_use]
        if bare:
            out.append((("work_model", "time_use"), f"process.tools covers {bare}, whose week has no admin "
                        "time to cut: give them a time_use (or name the covered roles in process.tools.roles)"))
    return out
