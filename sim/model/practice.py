"""Learning and switching by kind of work (issue 22).

A rep's tasks are of six kinds (:data:`~sim.scenario.work_model.KINDS`:
prospecting, discovery, demo, proposal, onboarding, account care); a funnel
step's kind comes from ``work_model.task_kinds`` (defaults by stage name), a
customer task's from its place in the rep's time policy (onboarding or
account care).

* **Learning** (``work_model.learning``): after ``n`` tasks of a kind, that
  kind's work goes ``m = min(ceiling, ((n + prior) / prior) ** exponent)``
  times faster and its conversion odds are multiplied by ``m`` -- the power
  law of practice (Newell & Rosenbloom 1981) up to the rep's own ceiling,
  drawn at hire. Enablement counts each task as ``learning_multiplier`` tasks
  of practice (coached practice teaches more).
* **Switching** (``work_model.switching``): a task of another kind than the
  rep's previous task takes ``setup_hours`` more (Monsell 2003).

:class:`Practice` holds the per-rep state of one role; the role's
:class:`~sim.model.people.Staff` owns it and calls :meth:`Practice.task` once
per task (from :meth:`~sim.model.roles.RoleRuntime.begin`), so the work a
rep does and what it teaches them are counted where the work is placed. The
per-rep columns (:meth:`Practice.columns`) go into the per-rep results
(``reps.parquet``).
"""

from __future__ import annotations

from sim.model.draws import sampler
from sim.model.rng import Streams
from sim.scenario.schema import Scenario
from sim.scenario.work_model import KINDS

ONBOARDING, ACCOUNT_CARE = KINDS.index("onboarding"), KINDS.index("account_care")
NK = len(KINDS)


class Practice:
    """Experience, hours and switches per rep and kind of work, for one role."""

    __slots__ = ("kind_of", "customer_kind", "learn", "alpha", "prior", "credit", "setup", "_ceiling",
                 "tasks", "hours", "mult", "ceiling", "last", "switches", "switch_hours")

    def __init__(self, scenario: Scenario, role: str, streams: Streams):
        wm = scenario.work_model
        spec = scenario.roles[role].people
        if wm is None or spec is None:  # the caller builds one only for a role with people under a work model
            raise ValueError(f"practice of role {role!r} needs a work_model and the role's people section")
        self.kind_of = [KINDS.index(wm.kind_of(s) or "prospecting") for s in scenario.stages]
        # customer work is queued at priority (rank in the time policy) x 100: its kind by rank
        self.customer_kind = [ONBOARDING if k == "onboarding" else ACCOUNT_CARE for k in spec.time_policy]
        learning = wm.learning
        self.learn = learning is not None
        self.alpha = learning.exponent if learning else 0.0
        self.prior = learning.prior_tasks if learning else 1.0
        enablement = scenario.process.enablement
        self.credit = enablement.learning_multiplier if enablement is not None and learning else 1.0
        self._ceiling = (sampler(learning.ceiling, streams.generator(f"people/{role}/learning_ceiling"))
                         if learning else None)
        self.setup = wm.switching.setup_hours if wm.switching is not None else 0.0
        # per rep
        self.tasks: list[list[float]] = []  # practice of each kind (tasks, times the enablement credit)
        self.hours: list[list[float]] = []  # hours worked on each kind (set-ups included)
        self.mult: list[list[float]] = []  # what practice multiplies speed and odds by, per kind
        self.ceiling: list[float] = []
        self.last: list[int] = []  # kind of the rep's previous task (-1: none yet)
        self.switches: list[int] = []
        self.switch_hours: list[float] = []

    def hire(self) -> None:
        """A new rep (appended, in step with :class:`~sim.model.people.Staff`)."""
        self.tasks.append([0.0] * NK)
        self.hours.append([0.0] * NK)
        self.mult.append([1.0] * NK)
        self.ceiling.append(max(1.0, self._ceiling()) if self._ceiling is not None else 1.0)
        self.last.append(-1)
        self.switches.append(0)
        self.switch_hours.append(0.0)

    def promote(self, rep: int) -> None:
        """The same person in a new seat: same experience and ceiling, counts from zero."""
        self.tasks.append(list(self.tasks[rep]))
        self.hours.append([0.0] * NK)
        self.mult.append(list(self.mult[rep]))
        self.ceiling.append(self.ceiling[rep])
        self.last.append(-1)
        self.switches.append(0)
        self.switch_hours.append(0.0)

    def kind(self, stage: int, prio: int) -> int:
        if stage >= 0:
            return self.kind_of[stage]
        rank = prio // 100
        ck = self.customer_kind
        return ck[rank] if 0 <= rank < len(ck) else ACCOUNT_CARE

    def task(self, rep: int, stage: int, prio: int, days: float, days_per_hour: float) -> float:
        """Rep ``rep`` starts a task of ``days`` (at their ramp): the time it takes
        after practice and any set-up; counts the practice, hours and switch.
        (Once a kind's multiplier is at the rep's ceiling it stays there: the
        power law only grows, so it is not computed again.)"""
        k = self.kind_of[stage] if stage >= 0 else self.kind(stage, prio)
        learn = self.learn
        if learn:
            mult = self.mult[rep]
            days /= mult[k]
        if self.setup:
            last = self.last[rep]
            if last != k:
                if last >= 0:
                    days += self.setup * days_per_hour
                    self.switches[rep] += 1
                    self.switch_hours[rep] += self.setup
                self.last[rep] = k
        self.hours[rep][k] += days / days_per_hour
        tasks = self.tasks[rep]
        n = tasks[k] + self.credit
        tasks[k] = n
        if learn:
            c = self.ceiling[rep]
            if mult[k] != c:
                prior = self.prior
                m = ((n + prior) / prior) ** self.alpha
                mult[k] = m if m < c else c
        return days

    def odds(self, rep: int, stage: int) -> float:
        """What practice multiplies the rep's conversion odds by at the step into ``stage``."""
        return self.mult[rep][self.kind_of[stage]] if self.learn else 1.0

    def columns(self) -> dict[str, list]:
        """Per-rep columns for the results: practice and hours by kind, switches, the learning ceiling."""
        out: dict[str, list] = {}
        for k, name in enumerate(KINDS):
            out[f"practice_{name}"] = [round(t[k], 2) for t in self.tasks]
            out[f"hours_{name}"] = [round(h[k], 2) for h in self.hours]
        out["switches"] = list(self.switches)
        out["switching_hours"] = [round(h, 2) for h in self.switch_hours]
        if self.learn:
            out["learning_ceiling"] = [round(c, 4) for c in self.ceiling]
        return out


def for_role(scenario: Scenario, role: str, streams: Streams) -> Practice | None:
    """The role's practice model, or None (no work model learning or switching,
    or a role without a people section)."""
    wm = scenario.work_model
    if wm is None or (wm.learning is None and wm.switching is None) or scenario.roles[role].people is None:
        return None
    return Practice(scenario, role, streams)
