"""First-line managers: span of control acting on ramp, win odds and attrition (issue 22).

With ``work_model.managers``, the seats of the managed roles are shared out
among the first-line managers (the seats of the roles in ``manages``, in
order, in contiguous blocks; a seat added later -- a hire, a POD's new seat --
goes to the manager with the fewest seats; a manager's seat added later -- a hire --
takes over seats from the managers with the most, until the teams differ by at
most one seat). A manager's *load* is the reps in
their seats plus ``vacancy_load`` per vacant seat (hiring for it takes their
time); they look after ``span_of_control`` reps in full, so their coverage is
``c = min(1, span / load)`` (0 while the manager's own seat is vacant). A
second line (a VP over the managers) has its own coverage over the managers
present, and a rep's coverage is the product of the two.

With ``d = 1 - c`` for a rep's seat (docs/background.md#managers-and-span-of-control):

* win odds of the steps the rep works x ``1 - win_odds_loss x d``
  (:meth:`sim.model.people.Staff.skill`);
* a hire's ramp takes ``1 + ramp_slowdown x d`` as long (``d`` when hired);
* attrition: a tenure drawn at hire is divided by ``1 + attrition_increase x
  d`` (``d`` when the tenure starts); attainment-driven departures
  (:mod:`sim.model.pay`) multiply their monthly hazard by it (``d`` then).

At or under the span, ``d = 0`` and nothing changes. Coverage is refreshed
once a day, and so is the managers' work: a manager's utilization is
``min(1, load / span)``, split between their reps (coaching, deal reviews,
forecasting) and hiring (vacancies) in proportion to the load; the second
line's is ``min(1, managers / span)``. Those busy days go into the roles'
utilization, each rep's manager and time-average coverage into the per-rep
results, and each manager role's split into ``people["management"]``.
"""

from __future__ import annotations

from sim.scenario.schema import Scenario
from sim.scenario.work_model import Managers as ManagersSpec


class Managed:
    """One managed role's factors per seat (what :class:`~sim.model.people.Staff` reads)."""

    __slots__ = ("book", "role", "odds", "d", "manager")

    def __init__(self, book: Managers, role):
        self.book = book
        self.role = role
        self.odds: list[float] = []  # win-odds multiplier per seat
        self.d: list[float] = []  # dilution per seat (1 - coverage)
        self.manager: list[int] = []  # manager seat per seat

    def _grow(self, seat: int) -> None:
        while len(self.manager) <= seat:
            self.manager.append(self.book.assign())
            self.odds.append(1.0)
            self.d.append(0.0)

    def dilution(self, seat: int) -> float:
        if seat >= len(self.manager):
            self._grow(seat)
            self.book.refresh()
        return self.d[seat] if seat >= 0 else 0.0

    def ramp_factor(self, seat: int) -> float:
        """How many times as long a hire in ``seat`` takes to ramp now."""
        return 1.0 + self.book.spec.ramp_slowdown * self.dilution(seat)

    def leave_factor(self, seat: int) -> float:
        """The attrition multiplier of the rep in ``seat`` now."""
        return 1.0 + self.book.spec.attrition_increase * self.dilution(seat)

    def odds_of(self, seat: int) -> float:
        odds = self.odds
        return odds[seat] if 0 <= seat < len(odds) else 1.0


class Managers:
    """The first-line managers (and their second line) of one run."""

    def __init__(self, env, spec: ManagersSpec, roles: dict, work_share: list[float]):
        self.env = env
        self.spec = spec
        self.mgr = roles[spec.role]
        self.vp = roles[spec.second_line.role] if spec.second_line is not None else None
        self.ws = {r.idx: (work_share[r.idx] if work_share else 1.0) for r in roles.values()}
        self.managed = [Managed(self, roles[name]) for name in spec.manages]
        self.seats_of: list[int] = [0] * self.mgr.headcount  # seats assigned to each manager
        total = sum(m.role.headcount for m in self.managed)
        n_mgr = max(self.mgr.headcount, 1)
        pos = 0
        for m in self.managed:
            for _ in range(m.role.headcount):
                k = pos * n_mgr // max(total, 1)
                m.manager.append(k)
                m.odds.append(1.0)
                m.d.append(0.0)
                self.seats_of[k] += 1
                pos += 1
            m.role.staff.managed = m
        # what happened, integrated day by day
        self.busy: list[float] = [0.0] * self.mgr.headcount  # per manager seat, days
        self.team_days: list[float] = [0.0] * self.mgr.headcount
        self.hiring_days: list[float] = [0.0] * self.mgr.headcount
        self.rep_days: list[float] = [0.0] * self.mgr.headcount  # reps x days (for the mean span)
        self.cover_sum = 0.0  # coverage x days, summed over present managers
        self.mgr_days = 0.0  # days of present managers
        self.vp_busy: list[float] = [0.0] * (self.vp.headcount if self.vp is not None else 0)
        self.cover_days: dict[int, list[float]] = {m.role.idx: [] for m in self.managed}  # per rep
        self.present_days: dict[int, list[float]] = {m.role.idx: [] for m in self.managed}
        self.days = 0.0
        self.loads: list[float] = []
        self.reps: list[float] = []
        self.cover: list[float] = []
        self.vp_cover = 1.0
        self._n_managers = self.mgr.headcount  # manager seats the teams were last shared out among
        self.refresh()

    def assign(self) -> int:
        """The manager of a new seat: the one with the fewest seats (the first of them)."""
        while len(self.seats_of) < self.mgr.headcount:
            self.seats_of.append(0)
        k = min(range(len(self.seats_of)), key=self.seats_of.__getitem__) if self.seats_of else 0
        if self.seats_of:
            self.seats_of[k] += 1
        return k

    def _rebalance(self) -> None:
        """Share the managed seats out again after a manager's seat is added: the
        manager with the most seats hands their last-assigned seat to the one with
        the fewest, until no two differ by more than one (a team split when a first-line
        manager is hired; without it the new manager would manage nobody)."""
        seats_of = self.seats_of
        order = [(m, seat) for m in self.managed for seat in range(len(m.manager))]
        while seats_of:
            hi = max(range(len(seats_of)), key=seats_of.__getitem__)
            lo = min(range(len(seats_of)), key=seats_of.__getitem__)
            if seats_of[hi] - seats_of[lo] <= 1:
                return
            m, seat = next((m, s) for m, s in reversed(order) if m.manager[s] == hi)
            m.manager[seat] = lo
            seats_of[hi] -= 1
            seats_of[lo] += 1

    def refresh(self) -> None:
        """Loads, coverage and every managed seat's factors, now."""
        spec = self.spec
        mgr = self.mgr
        n = mgr.headcount
        for m in self.managed:  # seats added since the last refresh
            if len(m.manager) < m.role.headcount:
                m._grow(m.role.headcount - 1)
        while len(self.seats_of) < n:
            self.seats_of.append(0)
        if n > self._n_managers:  # a manager's seat added (a hire): the teams are split anew
            self._n_managers = n
            self._rebalance()
        loads = [0.0] * n
        reps = [0.0] * n
        for m in self.managed:
            occ = m.role.occupant
            for seat, k in enumerate(m.manager):
                if k < n:
                    if occ[seat] >= 0:
                        loads[k] += 1.0
                        reps[k] += 1.0
                    else:
                        loads[k] += spec.vacancy_load
        self.vp_cover = 1.0
        if self.vp is not None and spec.second_line is not None:
            present = sum(1 for o in mgr.occupant if o >= 0)
            vps = sum(1 for o in self.vp.occupant if o >= 0)
            span2 = spec.second_line.span_of_control
            self.vp_cover = 0.0 if vps == 0 else min(1.0, span2 * vps / present) if present else 1.0
        span = spec.span_of_control
        cover = [0.0 if mgr.occupant[k] < 0 else (1.0 if loads[k] <= span else span / loads[k]) * self.vp_cover
                 for k in range(n)]
        self.loads, self.reps, self.cover = loads, reps, cover
        loss = spec.win_odds_loss
        for m in self.managed:
            for seat, k in enumerate(m.manager):
                c = cover[k] if k < n else 0.0
                d = 1.0 - c
                m.d[seat] = d
                m.odds[seat] = 1.0 - loss * d

    def _tally(self, dt: float) -> None:
        """Count ``dt`` days of the state as it is (work, loads, coverage)."""
        spec, mgr = self.spec, self.mgr
        span = spec.span_of_control
        ws = self.ws[mgr.idx]
        for k, load in enumerate(self.loads):
            while len(self.busy) <= k:
                for xs in (self.busy, self.team_days, self.hiring_days, self.rep_days):
                    xs.append(0.0)
            if mgr.occupant[k] < 0:
                continue
            util = min(1.0, load / span) if span > 0 else 1.0
            self.busy[k] += util * dt * ws
            if load > 0:
                self.team_days[k] += util * dt * ws * self.reps[k] / load
                self.hiring_days[k] += util * dt * ws * (load - self.reps[k]) / load
            self.rep_days[k] += self.reps[k] * dt
            self.cover_sum += self.cover[k] * dt
            self.mgr_days += dt
        if self.vp is not None and spec.second_line is not None:
            present = sum(1 for o in mgr.occupant if o >= 0)
            vps = [k for k, o in enumerate(self.vp.occupant) if o >= 0]
            u = min(1.0, present / (len(vps) * spec.second_line.span_of_control)) if vps else 0.0
            wv = self.ws[self.vp.idx]
            while len(self.vp_busy) < self.vp.headcount:
                self.vp_busy.append(0.0)
            for k in vps:
                self.vp_busy[k] += u * dt * wv
        for m in self.managed:
            occ = m.role.occupant
            covered, there = self.cover_days[m.role.idx], self.present_days[m.role.idx]
            for seat in range(len(m.manager)):
                rep = occ[seat]
                if rep < 0:
                    continue
                if rep >= len(covered):
                    grow = rep + 1 - len(covered)
                    covered.extend([0.0] * grow)
                    there.extend([0.0] * grow)
                covered[rep] += (1.0 - m.d[seat]) * dt
                there[rep] += dt
        self.days += dt

    def run(self):
        """Once a day: count the day gone, then refresh (staffing changes the loads)."""
        while True:
            yield self.env.timeout(1.0)
            self._tally(1.0)
            self.refresh()

    def finish(self, now: float) -> None:
        """Count the part of a day left at the horizon."""
        rest = now - self.days
        if rest > 1e-12:
            self._tally(rest)

    def busy_days(self) -> dict[int, list[float]]:
        """Days of managers' (and the second line's) work, per seat, for utilization."""
        out = {self.mgr.idx: list(self.busy)}
        if self.vp is not None:
            out[self.vp.idx] = list(self.vp_busy)
        return out

    def report(self, people: dict) -> None:
        """Per rep of a managed role with a people table: ``manager`` (the seat
        of their first-line manager) and ``manager_coverage`` (time-average
        coverage while present); per manager role, ``people["management"]``."""
        for m in self.managed:
            table = people.get(m.role.idx)
            if table is None:
                continue
            n = len(table["seat"])
            cover, present = self.cover_days[m.role.idx], self.present_days[m.role.idx]
            work = table.setdefault("work", {})
            work["manager"] = [m.manager[s] if 0 <= s < len(m.manager) else -1 for s in table["seat"]]
            work["manager_coverage"] = [round(cover[i] / present[i], 4) if i < len(present) and present[i] > 0
                                        else None for i in range(n)]
        spec = self.spec
        at_work = self.mgr_days * self.ws[self.mgr.idx]  # managers' working days while present
        people["management"] = {
            "role": self.mgr.name,
            "span_of_control": spec.span_of_control,
            "reps_per_manager": round(sum(self.rep_days) / self.mgr_days, 3) if self.mgr_days > 0 else None,
            "coverage": round(self.cover_sum / self.mgr_days, 4) if self.mgr_days > 0 else None,
            "team_share": round(sum(self.team_days) / at_work, 4) if at_work > 0 else None,
            "hiring_share": round(sum(self.hiring_days) / at_work, 4) if at_work > 0 else None,
            "second_line": self.vp.name if self.vp is not None else None,
        }


def build(env, scenario: Scenario, roles: dict, work_share: list[float]) -> Managers | None:
    """The run's managers, or None (no ``work_model.managers``)."""
    wm = scenario.work_model
    if wm is None or wm.managers is None:
        return None
    return Managers(env, wm.managers, roles, work_share)
