"""CSM books: each customer-success manager's book of accounts as a load.

An account that needs ``csm_hours_per_month`` of care adds that (per week) to
the book of the least-loaded CSM when it goes live and leaves it when it
churns; the time-average load of the book over a term (hours needed / hours
available) is what the renewal odds read through
``post_sale.csm_load_renewal_curve``. Mixed into
:class:`~sim.model.accounts.AccountBook`, which sets the fields used here.
"""

from __future__ import annotations


class CsmBooks:
    """Load bookkeeping of the CSM books (``csm_demand``, ``csm_integral``,
    ``csm_since`` per CSM; ``csm_hours`` a CSM's hours a week)."""

    def _csm_touch(self, i: int) -> None:
        now = self.env.now
        self.csm_integral[i] += self.csm_demand[i] / self.csm_hours * (now - self.csm_since[i])
        self.csm_since[i] = now

    def _csm_assign(self, hours: float) -> int:
        if self.csm_rt is not None and self.csm_rt.headcount > len(self.csm_demand) and not self.csm_unlimited:
            grow = self.csm_rt.headcount - len(self.csm_demand)  # CSMs hired during the run
            self.csm_demand += [0.0] * grow
            self.csm_integral += [0.0] * grow
            self.csm_since += [self.env.now] * grow
        if not self.csm_demand:
            return -1
        i = min(range(len(self.csm_demand)), key=self.csm_demand.__getitem__)
        self._csm_touch(i)
        if not self.csm_unlimited:
            self.csm_demand[i] += hours
        return i

    def _csm_release(self, i: int, hours: float) -> None:
        if i >= 0 and not self.csm_unlimited:
            self._csm_touch(i)
            self.csm_demand[i] -= hours

    def book_busy(self) -> dict[int, list[float]]:
        """Days of CSM time the books needed over the run, per CSM (for utilization)."""
        if not self.csm_demand or self.csm_unlimited:
            return {}
        for i in range(len(self.csm_demand)):
            self._csm_touch(i)
        share = getattr(self, "csm_share", 1.0)  # with a calendar: the share of the week at work
        return {self.csm_idx: [x * share for x in self.csm_integral] if share != 1.0 else list(self.csm_integral)}

    def _health(self, csm: int, needs_csm: bool, since_integral: float, since_t: float) -> float:
        if not needs_csm:
            return 1.0
        if csm < 0:
            return self.no_csm
        self._csm_touch(csm)
        span = self.env.now - since_t
        load = (self.csm_integral[csm] - since_integral) / span if span > 0 else 0.0
        return self.health_curve(load)
