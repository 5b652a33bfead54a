"""The time each rep of a role was there to work: the denominator of utilization.

A role's utilization is its reps' work over the time they were available. That
time used to be estimated after the run - the role's filled seat-days times the
share of calendar time its calendar works, minus the expected vacation - and the
estimate fell short of what reps could really work in two ways, so a saturated
role read above 100%:

- a leaver finishes the task in hand after the departure (``RoleRuntime.leave``),
  and that work counted while the seat-days stopped at the departure;
- vacation is drawn per rep (``WorkTime.new_rep``): a rep who leaves before their
  first absence, or a partial year, has more working time than the expected share.

Here each rep's time is measured with the calendar the model places their work
in (the seat's, with the rep's own absences cut out; none: around the clock),
from the rep's first day to the later of their departure and the end of their
last task, cut at the horizon (as the recorder cuts the work). ``RoleRuntime`` tells it who starts and leaves
and, per task, when the seat's work ends; :meth:`available` gives the run's total
per role, which the recorder receives at the end of the run.
"""

from __future__ import annotations


class Attendance:
    """Per seat of one role: who is (or was last) there, since when, and until when they work."""

    __slots__ = ("_closed", "_start", "_cal", "_left", "until")

    def __init__(self) -> None:
        self._closed: list[tuple[float, object, float]] = []  # (start, calendar, stop) of stays over
        self._start: list[float] = []  # per seat: when its rep (or leaver) started
        self._cal: list = []  # per seat: the calendar their work is placed in (None: around the clock)
        self._left: list[float | None] = []  # per seat: when its rep left (None: still there or empty)
        self.until: list[float] = []  # per seat: when the last task begun there ends (RoleRuntime.begin)

    @staticmethod
    def _span(start: float, cal, stop: float) -> float:
        return cal.business(start, stop) if cal is not None else max(stop - start, 0.0)

    def _grow(self, seat: int) -> None:
        while len(self._start) <= seat:
            self._start.append(0.0)
            self._cal.append(None)
            self._left.append(None)
            self.until.append(0.0)

    def filling(self, seat: int, now: float) -> None:
        """A rep is about to take ``seat`` now: the stay of a leaver there ends (at the end of their last
        task), and the tasks begun there from now on are the new rep's. Called before the seat takes work:
        a waiting task may begin the moment the seat is filled."""
        self._grow(seat)
        left = self._left[seat]
        if left is not None:
            self._closed.append((self._start[seat], self._cal[seat], max(left, self.until[seat])))
            self._left[seat] = None
        self.until[seat] = now

    def started(self, seat: int, now: float, cal) -> None:
        """The rep now in ``seat`` started at ``now`` and works in ``cal`` (None: around the clock)."""
        self._grow(seat)
        self._start[seat], self._cal[seat], self._left[seat] = now, cal, None

    def left(self, seat: int, now: float) -> None:
        """The rep of ``seat`` leaves now; their time runs on to the end of the task in hand."""
        self._left[seat] = now

    def available(self, end: float) -> float:
        """The role's available days up to ``end`` (the horizon: work after it is not counted either):
        the closed stays, the leavers' (to the end of their last task) and the reps there at the end."""
        total = sum(self._span(a, cal, min(b, end)) for a, cal, b in self._closed)
        for seat, left in enumerate(self._left):
            stop = end if left is None else min(max(left, self.until[seat]), end)
            total += self._span(self._start[seat], self._cal[seat], stop)
        return total
