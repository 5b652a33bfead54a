"""A role's seats as people come and go: leaving, coming back to the pool, new
seats. Kept apart from :mod:`sim.model.roles` (the queues and the task path) so
each module stays small; :class:`~sim.model.roles.RoleRuntime` inherits it.

A seat leaving a pool while its rep is on a task stays until the task ends
(``vacating``); a seat whose rep is away (``absent``, a vacation) is already
out of its pool, so a departure then does not take it out twice.
"""

from __future__ import annotations

from sim.model.seats import make_seats


class SeatChanges:
    """People coming and going in a :class:`~sim.model.roles.RoleRuntime`."""

    __slots__ = ()

    def leave(self, seat: int) -> int:
        """The rep in ``seat`` leaves now; returns who left (-1 if the seat was empty).
        A task in progress is finished; the seat then stays empty until filled."""
        rep = self.occupant[seat]
        if rep < 0:
            return -1
        self.occupant[seat] = -1
        self.left_rep[seat] = rep
        if self.staff is not None:
            self.staff.left[rep] = self.env.now
        away = seat in self.absent  # away: already out of the pool (or leaving it after the task in hand)
        self.absent.discard(seat)
        if self.res is not None and not away:
            self.leave_pool(seat)
        elif self.rep_res:
            self.rep_res[seat].resize(0)
        return rep

    def leave_pool(self, seat: int) -> None:
        """A pooled seat leaves its pool: now if free and unclaimed, else after the task in hand."""
        pod = self.seat_pod[seat]
        free, res = self.frees[pod], self.pools[pod]
        # only take the seat out now if no granted request is about to claim it
        if seat in free and res.capacity - res.count > 0:
            free.remove(seat)
            res.resize(res.capacity - 1)
        else:
            self.vacating.add(seat)

    def seat_freed(self, seat: int) -> None:
        """A pooled rep finished a task: back to the free list, or gone if leaving.
        (Called before the resource is released, so the next grant sees it.)"""
        pod = self.seat_pod[seat]
        if seat in self.vacating:
            self.vacating.discard(seat)
            res = self.pools[pod]
            res.resize(res.capacity - 1)
        else:
            self.frees[pod].append(seat)

    def fill(self, seat: int, rep: int | None = None) -> int:
        """A new rep takes ``seat`` (a backfill or a new hire; ``rep``: someone
        already known, e.g. a promoted rep); returns their id."""
        now = self.env.now
        if rep is None:
            if self.staff is not None:
                rep = self.staff.hire(seat, now)
            else:
                rep, self._next_rep = self._next_rep, self._next_rep + 1
        elif self.staff is not None:
            self.staff.seat[rep] = seat
        self.occupant[seat] = rep
        pod = self.seat_pod[seat]
        if self.res is not None:
            if seat in self.vacating:  # the leaver is still busy: no capacity change
                self.vacating.discard(seat)
            else:
                res = self.pools[pod]
                self.frees[pod].append(seat)
                res.resize(res.capacity + 1)
        elif self.rep_res:
            self.rep_res[seat].resize(1)
        self._offer(seat)
        if self.worktime is not None:
            self.worktime.new_rep(self, seat, rep)
        return rep

    def _offer(self, seat: int) -> None:  # a rep with room is (back) at work: waiting leads, then a cadence
        waiting = self.waitq[self.seat_pod[seat]]
        while waiting and self.open[seat] < self.max_open:  # leads waiting for an owner
            self.open[seat] += 1
            waiting.popleft().succeed(seat)
        if self.open[seat] < self.max_open and self._on_room:  # e.g. an outbound cadence (RoleRuntime.on_room)
            # told once what is due now has run: a hire is set up (calendar, ramp)
            # before a lead's first task starts (rare: no need to save this event)
            self.env.timeout(0).callbacks.append(lambda _ev, pod=self.seat_pod[seat]: self._tell_room(pod))

    def _tell_room(self, pod: int) -> None:
        for listener in self._on_room:
            listener(pod)

    def add_seat(self, pod: int = 0, rep: int | None = None) -> int:
        """A new seat (headcount + 1) in ``pod``, filled at once."""
        seat = self.headcount
        self.headcount += 1
        self.open.append(0)
        self.open_value.append(0.0)
        self.occupant.append(-1)
        self.left_rep.append(-1)
        self.seat_pod.append(pod if self.podded else 0)
        self.pod_seats[pod if self.podded else 0].append(seat)
        if self.rep_res or (self.owns and not self.unlimited):
            self.rep_res.append(make_seats(self._kind, self.env, 0))
        self.fill(seat, rep)
        return seat
