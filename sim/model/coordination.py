"""Coordination: time that grows with the number of colleagues (issue 22).

With ``work_model.coordination``, each rep spends ``h`` hours a week with each
colleague they must coordinate with (``hours_per_colleague_per_week``): the
pairwise channels of a team of ``n`` number n(n-1)/2 (Brooks 1975), so each
member spends ``h (n - 1)`` hours a week on them. A rep's team is their POD
(every filled seat of the podded roles in it) for a podded role, and their
role's filled seats, in teams of at most ``max_team_size``, for a horizontal
role (docs/background.md#coordination-and-team-size).

Coordination comes out of the deal time of the week: a rep with ``D`` hours
of deal time a week (after the work model's time use) has ``D - h (n - 1)``
left, so each task takes ``D / (D - h (n - 1))`` as long (at most
:data:`MAX_STRETCH`). Team sizes change with hires, departures and POD
splits; the stretch per team is refreshed once a day (:meth:`Coordination.run`),
so the hot path reads one number per task.

The hours each rep spent coordinating (the stretch of their tasks) are kept
per rep and per role for the results (``coordination_hours`` in the per-rep
table, the ``coordination`` share in ``time_use``).
"""

from __future__ import annotations

from sim.model.selling_time import deal_shares
from sim.scenario.schema import Scenario
from sim.scenario.work_model import Coordination as CoordinationSpec
from sim.units import WORK_DAYS_PER_YEAR

MAX_STRETCH = 20.0  # a team so large coordination takes (nearly) all deal time: 5% of it is left


class TeamTime:
    """One role's coordination at run time: the stretch of a task per team
    (indexed like the role's ``seat_pod``) and the hours spent, per rep."""

    __slots__ = ("stretch", "hours", "days_per_hour")

    def __init__(self, n_teams: int):
        self.stretch = [1.0] * n_teams
        self.hours: list[float] = []  # per rep id
        self.days_per_hour = 1.0

    def spent(self, rep: int, extra_days: float) -> None:
        hours = self.hours
        if rep >= len(hours):
            hours.extend([0.0] * (rep + 1 - len(hours)))
        hours[rep] += extra_days / self.days_per_hour


class Coordination:
    """Team sizes and the stretch of each team's tasks, for every staffed role."""

    def __init__(self, env, spec: CoordinationSpec, scenario: Scenario, roles: dict, worktime=None):
        self.env = env
        self.h = spec.hours_per_colleague_per_week
        self.cap = spec.max_team_size
        pods = scenario.pods
        self.podded = [roles[n] for n in pods.roles] if pods is not None else []
        self.roles = [r for r in roles.values() if not r.unlimited]
        self.deal_hours: dict[str, float] = {}
        for (name, spec_r), share in zip(scenario.roles.items(), deal_shares(scenario), strict=True):
            role = roles[name]
            if role.unlimited:
                continue
            if worktime is not None:
                week = worktime.calendars.task_hours(name)
            else:
                off = spec_r.people.time_off_days_per_year if spec_r.people else 0.0
                week = spec_r.weekly_hours * max(1 - off / WORK_DAYS_PER_YEAR, 0.05)
            self.deal_hours[name] = week * share
            role.coord = TeamTime(len(role.pools) if role.podded else 1)
            role.coord.days_per_hour = role.days_per_hour
        self.refresh()

    def team_sizes(self, role) -> list[int]:
        """Filled seats of each of the role's teams (a POD's over every podded role)."""
        if role.podded:
            sizes = [0] * len(role.pools)
            for r in self.podded:
                for s, p in enumerate(r.seat_pod):
                    if r.occupant[s] >= 0:
                        sizes[p] += 1
            return sizes
        filled = sum(1 for o in role.occupant if o >= 0)
        return [min(filled, self.cap)]

    def refresh(self) -> None:
        for role in self.roles:
            d = self.deal_hours[role.name]
            stretch = role.coord.stretch
            for i, n in enumerate(self.team_sizes(role)):
                c = self.h * max(n - 1, 0)
                stretch[i] = d / (d - c) if d - c > d / MAX_STRETCH else MAX_STRETCH

    def run(self):
        """Refresh the stretch once a day (team sizes change with staffing and splits)."""
        while True:
            yield self.env.timeout(1.0)
            self.refresh()

    def report(self, people: dict, roles) -> None:
        """Add the hours spent coordinating to the run's people tables: per rep
        (``work.coordination_hours`` of a role with individuals) and per role
        (``people["coordination_hours"]``, by role index)."""
        people["coordination_hours"] = {role.idx: sum(role.coord.hours) for role in self.roles}
        for role in roles:
            table = people.get(role.idx)
            if table is None or role.coord is None:
                continue
            hours = role.coord.hours
            n = len(table["seat"])
            table.setdefault("work", {})["coordination_hours"] = [
                round(hours[i], 2) if i < len(hours) else 0.0 for i in range(n)]


def build(env, scenario: Scenario, roles: dict, worktime=None) -> Coordination | None:
    """The run's coordination model, or None (no ``work_model.coordination``)."""
    wm = scenario.work_model
    if wm is None or wm.coordination is None:
        return None
    return Coordination(env, wm.coordination, scenario, roles, worktime)
