"""Pay and who leaves (issue 22).

* **Commission** (``work_model.pay``): a role's compensation plan pays
  ``variable_at_target_usd / quota`` per dollar booked in the plan year (a
  run year of 365.25 days from the start), ``accelerator`` times that on
  bookings above quota, nothing above ``cap_attainment`` x quota. It replaces
  the role's flat ``commission_rate``; the commission is a cost event of the
  win, as before.
* **Who leaves** (``work_model.leaving``): for a role with a plan, a quota
  and attrition, departures are no longer memoryless tenures drawn at hire.
  Every ``check_every_days`` each present rep leaves with probability
  ``1 - exp(-rate x m x days / 365.25)``, ``rate`` the role's
  ``attrition_per_year`` and ``m`` the multiplier of their trailing-year
  attainment (bookings / quota): ``low_multiplier`` below ``low_attainment``,
  ``top_multiplier`` above ``top_attainment``, 1 in between or before
  ``min_tenure_days`` (Trevor, Gerhart & Boudreau 1997: low and top
  performers leave more). A structure that makes attainment uneven pays for
  it in attrition.

A **clawback** (``clawback_days``): a new logo lost within the window takes
back ``clawback_share`` of its commission and, with ``clawback_takes_credit``,
the same share of its booking from the rep's quota credit: the plan year's
bookings (so a later win reaches the accelerator later) and the trailing
attainment that departures are judged on (``uncredited`` per rep, subtracted
from the rep's bookings).

Per rep, the commission earned, the base earned while in the seat (when the
plan states ``base_usd_per_year``), the trailing attainment at departure (or at
the end) and its band go into the per-rep results.
"""

from __future__ import annotations

import math

from sim.model.draws import uniform01
from sim.model.rng import Streams
from sim.model.vocab import CostKind
from sim.scenario.schema import Scenario
from sim.scenario.work_model import Leaving, WorkModel
from sim.units import DAYS_PER_YEAR

COMMISSION = int(CostKind.COMMISSION)


class Ledger:
    """One role's plan and its reps' plan-year bookings, commission and attainment."""

    __slots__ = ("rate", "accelerator", "quota", "cap", "year", "ytd", "paid", "attained", "band", "snaps",
                 "clawback_days", "clawback_share", "clawed", "takes_credit", "uncredited",
                 "uncredited_by_year", "base")

    def __init__(self, plan, quota: float):
        self.quota = quota
        self.base = plan.base_usd_per_year  # base pay a year (None: the plan does not state it)
        self.rate = plan.variable_at_target_usd / quota
        self.accelerator = plan.accelerator
        self.cap = plan.cap_attainment * quota if plan.cap_attainment is not None else math.inf
        self.clawback_days = plan.clawback_days
        self.clawback_share = plan.clawback_share
        self.clawed: list[float] = []  # commission clawed back, per rep
        self.takes_credit = plan.clawback_takes_credit
        self.uncredited: list[float] = []  # quota credit taken back with clawbacks, per rep
        self.uncredited_by_year: dict[tuple[int, int], float] = {}  # (rep, run year of the win) -> credit
        self.year: list[int] = []
        self.ytd: list[float] = []
        self.paid: list[float] = []
        self.attained: list[float | None] = []  # trailing attainment at departure (None: still there)
        self.band: list[str] = []
        self.snaps: list[list[tuple[float, float]]] = []  # (t, cumulative bookings) at each check

    def _grow(self, rep: int) -> None:
        while len(self.ytd) <= rep:
            self.year.append(0)
            self.ytd.append(0.0)
            self.paid.append(0.0)
            self.attained.append(None)
            self.band.append("")
            self.snaps.append([])
            self.clawed.append(0.0)
            self.uncredited.append(0.0)

    def commission(self, rep: int, booked: float, now: float) -> float:
        """The commission of a win of ``booked`` by ``rep`` now (updates the plan year)."""
        self._grow(rep)
        y = int(now // DAYS_PER_YEAR)
        if self.year[rep] != y:
            self.year[rep], self.ytd[rep] = y, 0.0
        before = self.ytd[rep]
        after = before + booked
        self.ytd[rep] = after
        q = self.quota
        below = max(min(after, q) - before, 0.0)
        above = max(min(after, self.cap) - max(before, q), 0.0)
        amount = self.rate * (below + self.accelerator * above)
        self.paid[rep] += amount
        return amount


class Pay:
    """The run's compensation plans and attainment-driven departures."""

    def __init__(self, env, wm: WorkModel, scenario: Scenario, roles: dict, streams: Streams, staffing, rec=None):
        self.env = env
        self.rec = rec
        self.staffing = staffing
        self.ledgers: dict[int, Ledger] = {}
        # account -> (ledger, role index, rep, commission, win time, segment, booked)
        self.pending: dict[int, tuple] = {}
        for name, plan in wm.pay.items():
            quota = scenario.roles[name].quota_usd_per_year
            if quota is not None:  # (the scenario checks refuse a plan without a quota)
                self.ledgers[roles[name].idx] = Ledger(plan, quota)
        self.leaving = wm.leaving
        self.judged: list = []  # roles whose departures follow attainment, with their uniform draws
        if self.leaving is not None:
            for name in wm.pay:
                spec = scenario.roles[name]
                if spec.people is not None and spec.people.attrition_per_year > 0 and roles[name].staff:
                    u = uniform01(streams.generator(f"people/{name}/leave_by_attainment"))
                    self.judged.append((roles[name], u))
            staffing.judged = {role.idx for role, _ in self.judged}

    def commission(self, role, rep: int, booked: float, now: float) -> float | None:
        """The commission of ``role``'s win, or None when the role has no plan."""
        ledger = self.ledgers.get(role.idx)
        return None if ledger is None else ledger.commission(max(rep, 0), booked, now)

    def won_account(self, account: int, role, rep: int, paid: float, segment: int, booked: float = 0.0) -> None:
        """A new logo's commission ``paid`` to ``rep`` of ``role`` for ``booked``: kept
        until the plan's clawback window has passed (nothing kept without a window)."""
        ledger = self.ledgers.get(role.idx)
        if ledger is not None and ledger.clawback_days is not None and paid > 0:
            self.pending[account] = (ledger, role.idx, max(rep, 0), paid, self.env.now, segment, booked)

    def account_ended(self, account: int) -> None:
        """The account churned or cancelled: claw its commission back if inside the window."""
        entry = self.pending.pop(account, None)
        if entry is None:
            return
        ledger, ridx, rep, paid, t_win, segment, booked = entry
        now = self.env.now
        if now - t_win <= ledger.clawback_days:
            back = paid * ledger.clawback_share
            ledger.paid[rep] -= back
            ledger.clawed[rep] += back
            self.rec.cost(now, COMMISSION, ridx, segment, -back)
            if ledger.takes_credit:  # the booking's quota credit goes with the commission
                credit = booked * ledger.clawback_share
                ledger.uncredited[rep] += credit
                key = (rep, int(t_win // DAYS_PER_YEAR))
                ledger.uncredited_by_year[key] = ledger.uncredited_by_year.get(key, 0.0) + credit
                if ledger.year[rep] == int(t_win // DAYS_PER_YEAR):  # still the win's plan year
                    ledger.ytd[rep] = max(ledger.ytd[rep] - credit, 0.0)

    def attainment(self, role, rep: int, now: float) -> float:
        """Trailing-year attainment of ``rep``: bookings in the last year (or since
        hire) / quota for that time."""
        ledger = self.ledgers[role.idx]
        staff = role.staff
        ledger._grow(rep)
        cum = staff.bookings[rep] - ledger.uncredited[rep]  # net of credit taken back by clawbacks
        since = max(staff.hired[rep], 0.0)
        start, base = since, 0.0
        for t, c in ledger.snaps[rep]:
            if now - DAYS_PER_YEAR - 1e-9 <= t <= now:
                start, base = t, c
                break
        days = max(now - start, 1.0)
        return (cum - base) / (ledger.quota * days / DAYS_PER_YEAR)

    @staticmethod
    def band(a: float, lv: Leaving) -> str:
        return "low" if a < lv.low_attainment else ("top" if a > lv.top_attainment else "middle")

    def run(self):
        """Every ``check_every_days``: each present rep of a judged role may leave."""
        lv, env = self.leaving, self.env
        if lv is None:
            return
        dt = lv.check_every_days
        while True:
            yield env.timeout(dt)
            now = env.now
            for role, u in self.judged:
                staff, ledger = role.staff, self.ledgers[role.idx]
                rate = staff.spec.attrition_per_year
                for seat in range(role.headcount):
                    rep = role.occupant[seat]
                    if rep < 0:
                        continue
                    a = self.attainment(role, rep, now)
                    judged = now - staff.hired[rep] >= lv.min_tenure_days
                    band = self.band(a, lv) if judged else ""
                    m = lv.low_multiplier if band == "low" else lv.top_multiplier if band == "top" else 1.0
                    if staff.managed is not None:  # a manager over their span (sim.model.managers)
                        m *= staff.managed.leave_factor(seat)
                    ledger.snaps[rep].append((now, staff.bookings[rep] - ledger.uncredited[rep]))
                    if u() < 1.0 - math.exp(-rate * m * dt / DAYS_PER_YEAR):
                        ledger.attained[rep], ledger.band[rep] = a, band
                        self.staffing.depart(role, seat)

    def report(self, people: dict, roles, now: float) -> None:
        """Per rep of a role with a plan: ``commission_usd``, ``base_pay_usd`` (with
        ``base_usd_per_year``: the base earned while in the seat during the run), ``attainment``
        (trailing year, at departure or at the end) and with attainment-driven
        leaving the ``leaving_band`` of leavers (low, middle, top; "" when left
        before being judged or not by this mechanism)."""
        for role in roles:
            ledger = self.ledgers.get(role.idx)
            table = people.get(role.idx)
            if ledger is None or table is None:
                continue
            n = len(table["seat"])
            ledger._grow(n - 1)
            work = table.setdefault("work", {})
            work["commission_usd"] = [round(ledger.paid[i], 2) for i in range(n)]
            if ledger.base is not None:  # the base earned in the seat during the run (part of loaded cost)
                work["base_pay_usd"] = [round(ledger.base * seat_days(table["hired_days"][i], table["left_days"][i],
                                                                      now) / DAYS_PER_YEAR, 2) for i in range(n)]
            if ledger.clawback_days is not None:
                work["clawback_usd"] = [round(ledger.clawed[i], 2) for i in range(n)]
            if ledger.takes_credit:
                work["clawback_credit_usd"] = [round(ledger.uncredited[i], 2) for i in range(n)]
                # the quota attainment KPI takes it out of the year the booking counted in (sim.metrics.quota)
                people.setdefault("clawback_credit", {})[role.idx] = dict(ledger.uncredited_by_year)
            attained = [ledger.attained[i] for i in range(n)]
            work["attainment"] = [
                round(a if a is not None else self.attainment(role, i, min(now, table["left_days"][i])), 4)
                for i, a in enumerate(attained)]
            if self.leaving is not None:
                work["leaving_band"] = [ledger.band[i] for i in range(n)]


def seat_days(hired: float, left: float, now: float) -> float:
    """Days of the run a rep was in the seat: from their hire (or the start, for a
    rep hired before it) to their departure (or now)."""
    return max(0.0, min(left, now) - max(hired, 0.0))


def build(env, scenario: Scenario, roles: dict, streams: Streams, staffing, rec=None) -> Pay | None:
    """The run's pay model, or None (no ``work_model.pay``)."""
    wm = scenario.work_model
    if wm is None or not wm.pay:
        return None
    return Pay(env, wm, scenario, roles, streams, staffing, rec)
