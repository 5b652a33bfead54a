"""Staffing: tenure (attrition), departures, backfills and hires.

Every rep hired gets a tenure drawn from the role's attrition rate; when it
runs out the rep leaves (recording the pipeline and ARR they held) and, if
the role backfills, a new rep takes the seat after the hiring lag. Timeline
events and POD fission use the same calls, so a departure is recorded the
same way whatever caused it.
"""

from __future__ import annotations

import simpy

from sim.model.vocab import TimelineKind

REP_LEFT, REP_HIRED = int(TimelineKind.REP_LEFT), int(TimelineKind.REP_HIRED)


class Staffing:
    """People coming and going in every role. ``accounts`` (an
    :class:`~sim.model.accounts.AccountBook`) tells what ARR a leaver's seat
    looked after."""

    def __init__(self, env: simpy.Environment, rec, accounts):
        self.env = env
        self.rec = rec
        self.accounts = accounts
        self.judged: set[int] = set()  # roles whose departures follow attainment (sim.model.pay), not tenure

    def start_tenure(self, role, seat: int) -> None:
        """Start the clock on the tenure of the rep now in ``seat`` (if the role has attrition)."""
        staff = role.staff
        if staff is not None and staff.spec.attrition_per_year > 0 and role.idx not in self.judged:
            self.env.process(self._tenure(role, seat, role.occupant[seat], staff.tenure(seat)))

    def _tenure(self, role, seat: int, rep: int, days: float):
        yield self.env.timeout(days)
        if role.occupant[seat] == rep:  # not already gone by a timeline event
            self.depart(role, seat)

    def depart(self, role, seat: int) -> int:
        """The rep in ``seat`` leaves now: record what they held, backfill if the
        role does."""
        arr = self.accounts.arr_kept_by(role, seat)
        pipeline = role.open_value[seat] if role.owns else 0.0
        rep = role.leave(seat)
        if rep < 0:
            return rep
        self.rec.timeline(self.env.now, REP_LEFT, role.idx, rep, pipeline, arr)
        orphans = self.accounts.orphans
        if orphans is not None:  # their accounts have nobody (sim.model.orphans)
            orphans.vacant(role, seat)
        staff = role.staff
        if staff is None or staff.spec.backfill:
            self.backfill(role, seat)
        return rep

    def backfill(self, role, seat: int) -> None:
        """Fill the vacant ``seat`` after the role's hiring lag."""
        self.env.process(self._backfill(role, seat, role.staff.spec.hiring_lag_days if role.staff else 0.0))

    def _backfill(self, role, seat: int, lag: float):
        yield self.env.timeout(lag)
        if role.occupant[seat] < 0:
            self.hire(role, seat)

    def hire(self, role, seat: int | None = None) -> int:
        """Fill ``seat`` (a backfill) or add a seat (a hiring plan)."""
        if seat is None:
            seat = role.add_seat()
        else:
            role.fill(seat)
            orphans = self.accounts.orphans
            if orphans is not None:
                orphans.filled(role, seat)
        self.rec.timeline(self.env.now, REP_HIRED, role.idx, role.occupant[seat], 0.0, 0.0)
        self.start_tenure(role, seat)
        return seat

    def top_seat(self, role) -> int:
        """The present rep with the most bookings so far (-1 if none present)."""
        present = [i for i in range(role.headcount) if role.occupant[i] >= 0]
        if not present:
            return -1
        if role.staff is not None:
            return max(present, key=lambda i: role.staff.bookings[role.occupant[i]])
        return max(present, key=lambda i: role.rep_bookings.get(role.occupant[i], 0.0))
