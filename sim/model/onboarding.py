"""Who comes first for a rep who both closes deals and onboards the customers
they win (generalists; POD sellers without a customer team): the scenario's
``onboarding_policy`` (:class:`~sim.scenario.success_spec.OnboardingPolicy`).

Without it the rep's ``people.time_policy`` ranks the work (closing first by
default), so a busy seller's signed customers wait for go-live while deals
keep coming. ``onboard_first`` puts a new customer before any deal work;
``reserved_share`` keeps a share of the rep's capacity for onboarding: a new
customer goes first while the onboarding work the rep has started so far is
below ``reserved_share`` of the time since their first customer, and after
their deal work otherwise (work counted in days at the rep's hours a week,
the unit of every task's work time).
"""

from __future__ import annotations

from typing import cast

from sim.model.draws import Draw
from sim.model.plan import priority
from sim.model.tasks import Job
from sim.scenario.schema import Scenario

FIRST = -10_000  # before any kind of work (priorities are rank x 100 - stage)


class SellerOnboarding:
    """The queue priority of each onboarding task of a seller, and its work counted."""

    def __init__(self, scenario: Scenario, role: str, env):
        spec = scenario.onboarding_policy
        if spec is None:  # the caller builds one only with an onboarding_policy
            raise ValueError("a seller's onboarding priority needs the scenario's onboarding_policy")
        self.env = env
        self.policy = spec.priority
        self.share = spec.reserved_share
        self.after_closing = priority(scenario, role, "closing") + 50  # after every closing step
        self.used: dict[int, float] = {}  # per seat: onboarding work days started
        self.since: dict[int, float] = {}  # per seat: when its first customer came

    def job(self, seat: int, job: Job) -> Job:
        """The onboarding task ``job`` as the rep in ``seat`` takes it: its priority
        by the policy (and, with a reserved share, its work counted)."""
        if self.policy == "close_first":
            return Job(job.stage, job.work, self.after_closing)
        if self.policy == "onboard_first":
            return Job(job.stage, job.work, FIRST)
        now = self.env.now
        since = self.since.setdefault(seat, now)
        first = self.used.get(seat, 0.0) <= self.share * (now - since)
        used = self.used
        draw = cast(Draw, job.work)  # an onboarding task has work (no task is made without it)

        def work() -> float:
            w = draw()
            used[seat] = used.get(seat, 0.0) + w
            return w
        return Job(job.stage, work, FIRST if first else self.after_closing)
