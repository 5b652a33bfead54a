"""CSM books: each customer-success manager's book of accounts as a load.

An account that needs ``csm_hours_per_month`` of care adds that (per week) to
the book of the least-loaded CSM when it goes live and leaves it when it
churns; the time-average load of the book over a term (hours needed / hours
available) is what the renewal odds read through
``post_sale.csm_load_renewal_curve``. The :class:`~sim.model.accounts.AccountBook`
keeps one :class:`CsmBooks` (when the CSM role cares for accounts as a load,
not as tasks in an owner's queue).
"""

from __future__ import annotations

import simpy

from sim.model.curves import Piecewise


class CsmBooks:
    """The books of the CSM role ``role`` (a :class:`~sim.model.roles.RoleRuntime`,
    or None: no CSM role). ``hours``: a CSM's hours a week on their tasks;
    ``share``: the share of the week a CSM is at work (with a calendar, else 1);
    ``n``: CSMs at the start (1 for an unlimited role, whose book never loads);
    ``no_csm``: the renewal multiplier of an account that needs a CSM when there
    is none; ``curve``: book load -> renewal multiplier."""

    def __init__(self, env: simpy.Environment, role, n: int, unlimited: bool, hours: float, share: float,
                 no_csm: float, curve):
        self.env = env
        self.role = role
        self.idx = role.idx if role is not None else -1
        self.unlimited = unlimited
        self.hours = hours
        self.share = share
        self.no_csm = no_csm
        self.curve = Piecewise(curve)
        self.demand = [0.0] * n  # hours per week each CSM's book needs
        self.integral = [0.0] * n  # integral of book load over time
        self.since = [0.0] * n

    def touch(self, i: int) -> float:
        """Bring CSM ``i``'s load integral up to now; returns it."""
        now = self.env.now
        self.integral[i] += self.demand[i] / self.hours * (now - self.since[i])
        self.since[i] = now
        return self.integral[i]

    def assign(self, hours: float) -> int:
        """An account needing ``hours`` a week goes to the least-loaded CSM; returns
        which (-1: no CSM)."""
        role = self.role
        if role is not None and role.headcount > len(self.demand) and not self.unlimited:
            grow = role.headcount - len(self.demand)  # CSMs hired during the run
            self.demand += [0.0] * grow
            self.integral += [0.0] * grow
            self.since += [self.env.now] * grow
        if not self.demand:
            return -1
        i = min(range(len(self.demand)), key=self.demand.__getitem__)
        self.touch(i)
        if not self.unlimited:
            self.demand[i] += hours
        return i

    def reassign(self, i: int, hours: float) -> int:
        """An account needing ``hours`` a week moves from CSM ``i``'s book to the
        least-loaded CSM present (``work_model.orphans``); returns which (-1: none present)."""
        role = self.role
        present = [j for j in range(len(self.demand)) if j != i and j < role.headcount and role.occupant[j] >= 0]
        if not present:
            return -1
        j = min(present, key=self.demand.__getitem__)
        self.release(i, hours)
        self.touch(j)
        if not self.unlimited:
            self.demand[j] += hours
        return j

    def release(self, i: int, hours: float) -> None:
        """An account needing ``hours`` a week leaves CSM ``i``'s book."""
        if i >= 0 and not self.unlimited:
            self.touch(i)
            self.demand[i] -= hours

    def busy(self) -> dict[int, list[float]]:
        """Days of CSM time the books needed over the run, per CSM (for utilization)."""
        if not self.demand or self.unlimited:
            return {}
        for i in range(len(self.demand)):
            self.touch(i)
        share = self.share
        return {self.idx: [x * share for x in self.integral] if share != 1.0 else list(self.integral)}

    def load(self, i: int) -> float:
        """CSM ``i``'s book load now (hours needed / hours available)."""
        return self.demand[i] / self.hours if self.hours > 0 else 0.0

    def average_load(self, i: int, since_integral: float, since_t: float) -> float:
        """CSM ``i``'s time-average book load since ``since_t`` (when the integral was ``since_integral``)."""
        self.touch(i)
        span = self.env.now - since_t
        return (self.integral[i] - since_integral) / span if span > 0 else 0.0

    def health(self, csm: int, needs_csm: bool, since_integral: float, since_t: float) -> float:
        """Renewal multiplier of an account of CSM ``csm`` (-1: none) from the book's
        average load since ``since_t`` (when the integral was ``since_integral``)."""
        if not needs_csm:
            return 1.0
        if csm < 0:
            return self.no_csm
        return self.curve(self.average_load(csm, since_integral, since_t))
