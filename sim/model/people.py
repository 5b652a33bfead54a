"""Reps as individuals: skill, ramp, learning, tenure.

A role has *seats*; a seat is filled by one rep at a time. A rep's skill is
drawn at hire (the role's ``people.skill`` distribution, times a per-stage
lognormal spread), scaled by the ramp (linear from ``ramp_start`` to 1 over
``ramp_days`` after hire) and by what practice has taught them (``1 +
learning_per_task x tasks done at that stage``, capped). Skill multiplies the
*odds* of converting a step the rep works, so a star lifts a 30% step towards
(not past) 100%: p' = p s / (1 - p + p s).

The process layer acts here: playbooks pull every rep's skill towards the
average and shorten the ramp; enablement speeds up learning. Both are
parameters of the mechanism, never a change to outcomes.

**Learning hours** (with a ``work_model``): the hours of a rep's tasks beyond
what the same tasks take the same rep fully ramped and fully practised -- at
ramp 1 and, with ``work_model.learning``, at their own ceiling. A task of
``d`` days at an average rep's full speed takes ``d / (speed x ramp x m)``
(``m`` the practice multiplier of its kind when it starts); fully learned,
``d / (speed x ceiling)``; the difference is time the rep spends learning on
the job. It is counted inside deal work (the task took it) and shown apart,
per rep as ``learning_hours`` and per role in ``time_use``'s ``learning``.
"""

from __future__ import annotations

import math

from sim.model.draws import block_draw, sampler, uniform01
from sim.model.rng import Streams
from sim.scenario.people_spec import People, Process
from sim.units import DAYS_PER_YEAR


class Staff:
    """The individual reps of one role (only built when the role has ``people``)."""

    def __init__(self, role_name: str, spec: People, n_stages: int, streams: Streams, process: Process,
                 work=None, learning_hours: bool = False):
        self.spec = spec
        self.work = work  # learning and switching by kind of work (sim.model.practice), or None
        # hours lost to ramp and practice per rep (with a work model), or None: not counted
        self.lost: list[float] | None = [] if learning_hours else None
        self.managed = None  # the managers' factors per seat (sim.model.managers), or None
        self.loss_per_task: float | None = None  # work_model.leavers: a leaver takes what they worked on
        key = f"people/{role_name}"
        self._skill = sampler(spec.skill, streams.generator(f"{key}/skill"))
        self._skill_mean = spec.skill.mean()
        sg = streams.generator(f"{key}/stage_skill")
        sigma = spec.stage_skill_sigma
        self._stage = block_draw(lambda n: sg.lognormal(-sigma * sigma / 2, sigma, n), 256) if sigma > 0 else None
        self.u_lose = uniform01(streams.generator(f"{key}/lose_open_deals"))
        tg = streams.generator(f"{key}/tenure")
        rate = spec.attrition_per_year
        self._tenure = block_draw(lambda n: tg.exponential(DAYS_PER_YEAR / rate, n), 64) if rate > 0 else None
        self.n_stages = n_stages
        self.spread = 1.0  # playbooks shrink it
        self.ramp_days = spec.ramp_days
        self.ramp_start = spec.ramp_start
        self.learn = spec.learning_per_task * (process.enablement.learning_multiplier if process.enablement else 1)
        self.cap = spec.learning_cap
        if process.playbooks is not None:
            self.use_playbooks(process.playbooks)
        # per rep
        self.seat: list[int] = []
        self.hired: list[float] = []
        self.left: list[float] = []
        self.raw: list[list[float]] = []  # drawn skill per stage, before playbooks
        self.practice: list[list[int]] = []
        self.bookings: list[float] = []
        self.wins: list[int] = []
        self.speed: list[float] = []  # share of a rep's hours spent on their own tasks (a POD lead coaches)
        self.ramp_scale: list[float] = []  # coached hires ramp faster

    def use_playbooks(self, pb) -> None:
        """Scripts: a shorter ramp, and skills pulled towards the average (for
        reps already on board too: the script helps the weak ones most)."""
        self.spread = pb.skill_spread_multiplier
        self.ramp_days = self.spec.ramp_days * pb.ramp_multiplier

    def slow_ramp(self, multiplier: float) -> None:
        """Ramps take ``multiplier`` times as long (e.g. PODs before the company
        can organize around the customer)."""
        self.ramp_days *= multiplier

    def coached(self, rep: int, multiplier: float) -> None:
        """``rep`` is coached (a new POD's member): their ramp takes ``multiplier`` times as long."""
        self.ramp_scale[rep] *= multiplier

    def hire(self, seat: int, now: float, ramped: bool = False) -> int:
        """A new rep in ``seat``; the initial team starts fully ramped."""
        rep = len(self.seat)
        base = self._skill()
        self.seat.append(seat)
        self.hired.append(now - (self.ramp_days if ramped else 0.0) - (1e-9 if ramped else 0.0))
        self.left.append(math.inf)
        self.raw.append([base * (self._stage() if self._stage else 1.0) for _ in range(self.n_stages)])
        self.practice.append([0] * self.n_stages)
        self.bookings.append(0.0)
        self.wins.append(0)
        self.speed.append(1.0)
        # a manager over their span coaches a new hire less: a longer ramp (sim.model.managers)
        self.ramp_scale.append(self.managed.ramp_factor(seat) if self.managed is not None and not ramped else 1.0)
        if self.work is not None:
            self.work.hire()
        if self.lost is not None:
            self.lost.append(0.0)
        return rep

    def promote(self, rep: int, selling_share: float) -> int:
        """The same person in a new seat (a POD lead): same skills, practice and
        hire date, selling only part of their time."""
        new = len(self.seat)
        self.seat.append(-1)
        self.hired.append(self.hired[rep])
        self.left.append(math.inf)
        self.raw.append(list(self.raw[rep]))
        self.practice.append(list(self.practice[rep]))
        self.bookings.append(0.0)
        self.wins.append(0)
        self.speed.append(selling_share)
        self.ramp_scale.append(1.0)
        if self.work is not None:
            self.work.promote(rep)
        if self.lost is not None:
            self.lost.append(0.0)
        return new

    def lose_p(self, ties: int) -> float:
        """The chance an open lead goes with its owner who left, having done
        ``ties`` of its tasks: ``1 - (1 - loss_per_task) ** ties`` with
        ``work_model.leavers``, else the role's ``lose_open_deals_probability``."""
        q = self.loss_per_task
        if q is None:
            return self.spec.lose_open_deals_probability
        return 1.0 - (1.0 - q) ** ties

    def tenure(self, seat: int = -1) -> float:
        """A tenure drawn for the rep starting now in ``seat`` (shorter under a
        manager over their span, :mod:`sim.model.managers`)."""
        if self._tenure is None:
            return math.inf
        days = self._tenure()
        return days / self.managed.leave_factor(seat) if self.managed is not None else days

    def task_days(self, rep: int, stage: int, prio: int, days: float, now: float, days_per_hour: float) -> float:
        """The days a task of ``days`` (an average rep at full speed) takes ``rep``,
        who starts it now: at their speed (ramp x share of time selling), then
        their practice and any set-up (:meth:`~sim.model.practice.Practice.task`,
        which counts the practice). With learning hours counted, the task's time
        at the rep's ramp and practice less its time fully ramped and practised
        (the module docstring) is added first, before this task's practice counts.
        Called once per task, from :meth:`~sim.model.roles.RoleRuntime.begin`."""
        if self.ramp_days <= 0:
            ramp = 1.0
        else:
            x = (now - self.hired[rep]) / (self.ramp_days * self.ramp_scale[rep])
            ramp = 1.0 if x >= 1 else self.ramp_start + (1 - self.ramp_start) * max(x, 0.0)
        speed = self.speed[rep]
        w = self.work
        if self.lost is not None:
            m = c = 1.0
            if w is not None and w.learn:
                k = w.kind_of[stage] if stage >= 0 else w.kind(stage, prio)
                m, c = w.mult[rep][k], w.ceiling[rep]
            self.lost[rep] += days / speed * (1.0 / (ramp * m) - 1.0 / c) / days_per_hour
        days /= ramp * speed
        if w is not None:
            days = w.task(rep, stage, prio, days, days_per_hour)
        return days

    def ramp(self, rep: int, now: float) -> float:
        if self.ramp_days <= 0:
            return 1.0
        x = (now - self.hired[rep]) / (self.ramp_days * self.ramp_scale[rep])
        return 1.0 if x >= 1 else self.ramp_start + (1 - self.ramp_start) * max(x, 0.0)

    def skill(self, rep: int, stage: int, now: float) -> float:
        raw = self.raw[rep][stage]
        m = self._skill_mean
        base = m + (raw - m) * self.spread if self.spread != 1.0 else raw
        learned = min(self.cap, 1.0 + self.learn * self.practice[rep][stage]) if self.learn else 1.0
        if self.work is not None:
            learned *= self.work.odds(rep, stage)
        if self.managed is not None:
            learned *= self.managed.odds_of(self.seat[rep])
        return max(base, 0.0) * learned * self.ramp(rep, now)

    def did(self, rep: int, stage: int) -> None:
        self.practice[rep][stage] += 1

    def table(self) -> dict[str, list | dict]:
        """Who was on the team: for per-rep results."""
        work = self.work.columns() if self.work is not None else {}
        if self.lost is not None:
            work["learning_hours"] = [round(h, 2) for h in self.lost]
        return {"seat": list(self.seat), "hired_days": list(self.hired), "left_days": list(self.left),
                "skill": [sum(r) / len(r) for r in self.raw], "bookings_usd": list(self.bookings),
                "wins": list(self.wins), **({"work": work} if work else {})}


def odds_scale(p: float, s: float) -> float:
    """Scale the odds of probability ``p`` by ``s`` (s=1 leaves p unchanged)."""
    if s == 1.0:
        return p
    num = p * s
    den = 1.0 - p + num
    return num / den if den > 0 else 1.0
