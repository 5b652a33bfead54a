"""Seats as SimPy resources whose capacity follows the team (reps leave, reps
are hired). Shrinking never interrupts a task in progress: the capacity check
only gates new grants. Growing grants as many waiting requests as it can."""

from __future__ import annotations

import simpy


class _Resizable:
    def resize(self, capacity: int) -> None:
        grow = capacity - self._capacity
        self._capacity = capacity
        for _ in range(max(grow, 0)):
            self._trigger_put(None)


class Seats(_Resizable, simpy.Resource):
    pass


class PrioritySeats(_Resizable, simpy.PriorityResource):
    pass


def make_seats(kind, env: simpy.Environment, n: int):
    """A resource of ``kind`` with ``n`` seats (0 allowed: a seat not filled yet)."""
    res = kind(env, max(n, 1))
    res._capacity = n
    return res
