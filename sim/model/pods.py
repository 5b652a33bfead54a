"""PODs at run time: which POD owns a lead, how PODs mature, and how they split.

The podded roles keep one pool of seats per POD (see
:class:`~sim.model.roles.RoleRuntime`), so a POD's members share its queues
and nobody else's; shared roles (e.g. onboarding) serve every POD. A lead's
POD is chosen when it is created, from its slice: its segment, or an industry
drawn for it. A slice owned by several PODs (after a split that shares it) is
dealt round-robin.

Fission: every ``check_every_days`` a POD that is mature (old enough, with
enough bookings and win rate, and for ``mature_and_demand`` more work waiting
per seat than the rule allows) splits. Its most experienced rep of the
promoted role becomes the new POD's lead: they leave their seat (backfilled
after the hiring lag) and take a seat in the new POD, where their own work
takes ``1 / lead_selling_share`` as long because they coach; the new POD's
other members are hired and ramp faster for being coached. Open pipeline
stays with the parent. ``by_slice`` hands half of the parent's slices to the
new POD; otherwise the two share them. With ``grow_in_place`` the same
trigger hires the new POD's seats into the POD itself instead (the
counterfactual of a split at equal hires).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.model.draws import uniform01
from sim.model.rng import Streams
from sim.model.vocab import TimelineKind
from sim.scenario.pod_spec import has_customer_team
from sim.scenario.schema import Scenario
from sim.units import week_of

if TYPE_CHECKING:
    import simpy

    from sim.model.roles import RoleRuntime
    from sim.model.staffing import Staffing

POD_SPLIT = int(TimelineKind.POD_SPLIT)
REP_HIRED = int(TimelineKind.REP_HIRED)


def initial_seat_pods(scenario: Scenario, role: str) -> list[int] | None:
    """POD index of each initial seat of a podded role (None: not podded)."""
    pods = scenario.pods
    if pods is None or role not in pods.roles:
        return None
    return [i for i, pod in enumerate(pods.initial) for _ in range(pod.headcount.get(role, 0))]


class PodBook:
    """The PODs of a run: the podded roles among ``roles`` keep a pool per POD;
    fission goes through ``staffing`` (backfills, tenures); ``n_weeks`` sizes
    each POD's weekly bookings."""

    def __init__(self, env: simpy.Environment, rec, scenario: Scenario, streams: Streams,
                 roles: dict[str, RoleRuntime], staffing: Staffing, n_weeks: int):
        if scenario.pods is None:
            raise ValueError("a POD book needs the scenario's pods section")
        spec = self.spec = scenario.pods
        self.env, self.rec = env, rec
        self.all_roles = roles
        self.staffing = staffing
        self.segments = list(scenario.segments)
        self.decided_from = scenario.stages.index(scenario.win_rate_stage)
        if spec.slice == "industry":
            names = list(spec.industries)
            total, cum = 0.0, []
            for n in names:
                total += spec.industries[n]
                cum.append(total)
            self.industries, self.cum = names, cum
            self.u_industry = uniform01(streams.generator("pods/industry"))
        nw = self.nw = n_weeks
        self.pods: list[dict[str, Any]] = [  # one record per POD, its keys of mixed types
            dict(name=p.name, owns=list(p.owns), parent=None, born=0.0, bookings=0.0, wins=0, decided=0,
                 weekly=[0.0] * nw) for p in spec.initial]
        self.splits: list[dict] = []
        self.grown = 0  # PODs grown in place instead of split (fission.grow_in_place)
        self._rr: dict[str, int] = {}
        self._owners: dict[str, list[int]] = {}
        self.capable = has_customer_team(scenario)
        self.roles = [roles[r] for r in spec.roles]
        if not self.capable:  # PODs before the company can organize around the customer
            for r in self.roles:
                if r.staff is not None:
                    r.staff.slow_ramp(spec.missing_capability_ramp_multiplier)

    # -- leads ------------------------------------------------------------------------
    def slice_of(self, segment: int, u_industry=None) -> str:
        """The slice a lead or account belongs to: its segment, or an industry
        drawn with ``u_industry`` (default: the per-lead industry stream)."""
        if self.spec.slice == "segment":
            return self.segments[segment]
        u, i = (u_industry or self.u_industry)(), 0
        while i < len(self.cum) - 1 and u >= self.cum[i]:
            i += 1
        return self.industries[i]

    def owners(self, value: str) -> list[int]:
        """The PODs that own slice ``value`` now (kept until the next split)."""
        owners = self._owners.get(value)
        if owners is None:
            owners = self._owners[value] = [i for i, p in enumerate(self.pods) if value in p["owns"]]
        return owners

    def pod_for(self, segment: int) -> int:
        """The POD of a new lead: its slice's owner (round-robin if several own it)."""
        value = self.slice_of(segment)
        owners = self.owners(value)
        k = self._rr.get(value, 0)
        self._rr[value] = k + 1
        return owners[k % len(owners)]

    def pod_of_slice(self, value: str) -> int:
        """The POD of a lead whose slice is known (an account of the market): its owner,
        round-robin if several own it."""
        owners = self.owners(value)
        k = self._rr.get(value, 0)
        self._rr[value] = k + 1
        return owners[k % len(owners)]

    def won(self, pod: int, booked: float, t: float) -> None:
        p = self.pods[pod]
        p["bookings"] += booked
        p["wins"] += 1
        p["weekly"][week_of(t, self.nw)] += booked

    def lost(self, pod: int) -> None:
        self.pods[pod]["decided"] += 1

    # -- maturity and fission -----------------------------------------------------------
    def _seats(self, pod: int, role) -> list[int]:
        return [s for s in range(role.headcount) if role.seat_pod[s] == pod and role.occupant[s] >= 0]

    def _queue_per_seat(self, pod: int) -> float:
        waiting, seats = 0, 0
        for r in self.roles:
            mine = self._seats(pod, r)
            seats += len(mine)
            pool = r.pools[pod]
            if pool is not None:  # a pooled role (its pools are its seats)
                waiting += pool.waiting
            else:
                waiting += sum(r.rep_res[s].waiting for s in mine) + len(r.waitq[pod])
        return waiting / seats if seats else 0.0

    def mature(self, i: int) -> bool:
        m, p = self.spec.fission.maturity, self.pods[i]
        decided = p["wins"] + p["decided"]
        if self.env.now - p["born"] < m.min_age_days or p["bookings"] < m.min_bookings_usd:
            return False
        if m.min_win_rate > 0 and (not decided or p["wins"] / decided < m.min_win_rate):
            return False
        if m.min_member_tenure_days > 0:
            tenures = [self.env.now - r.staff.hired[r.occupant[s]] for r in self.roles if r.staff is not None
                       for s in self._seats(i, r)]
            if not tenures or sum(tenures) / len(tenures) < m.min_member_tenure_days:
                return False
        if self.spec.fission.policy == "mature_and_demand":
            return self._queue_per_seat(i) >= m.min_queue_per_seat
        return len(p["owns"]) >= 2  # by_slice: something to hand over

    def run(self):
        fs = self.spec.fission
        while True:
            yield self.env.timeout(fs.check_every_days)
            for i in range(len(self.pods)):
                if len(self.pods) + self.grown >= fs.max_pods:
                    break
                if self.mature(i):
                    if fs.grow_in_place:
                        self.grow(i)
                    else:
                        self.split(i)

    def grow(self, pod: int) -> None:
        """Hire a new POD's seats into ``pod`` instead of splitting it (``grow_in_place``)."""
        fs, env, staffing = self.spec.fission, self.env, self.staffing
        for r in self.roles:
            for _ in range(fs.new_pod_headcount.get(r.name, 0)):
                s = r.add_seat(pod)
                self.rec.timeline(env.now, REP_HIRED, r.idx, r.occupant[s], 0.0, 0.0)
                staffing.start_tenure(r, s)
        self.grown += 1

    def split(self, parent: int) -> int | None:
        fs, env, staffing = self.spec.fission, self.env, self.staffing
        role = self.all_roles[fs.promote_role or self.spec.roles[-1]]
        seats = self._seats(parent, role)
        if not seats:
            return None
        staff = role.staff
        seat = min(seats, key=lambda s: staff.hired[role.occupant[s]]) if staff is not None else min(seats)
        child = len(self.pods)
        p = self.pods[parent]
        owns = p["owns"]
        if fs.policy == "by_slice":
            half = len(owns) // 2
            p["owns"], child_owns = owns[:half], owns[half:]
        else:
            child_owns = list(owns)
        self._owners.clear()
        self.pods.append(dict(name=f"{p['name']}_{child}", owns=child_owns, parent=parent, born=env.now,
                              bookings=0.0, wins=0, decided=0, weekly=[0.0] * self.nw))
        old = role.occupant[seat]
        role.leave(seat)  # the promoted rep's old seat is backfilled after the hiring lag
        staffing.backfill(role, seat)
        new = staff.promote(old, fs.lead_selling_share) if staff is not None else None
        new_seat = role.add_seat(child, new)
        staffing.start_tenure(role, new_seat)
        lead = role.occupant[new_seat]
        # the promoted rep, the POD split and the one it founded (TIMELINE_FIELDS: rep, pod, new_pod)
        self.rec.timeline(env.now, POD_SPLIT, role.idx, lead, float(parent), float(child))
        for r in self.roles:
            for _ in range(fs.new_pod_headcount.get(r.name, 0) - (1 if r is role else 0)):
                s = r.add_seat(child)
                if r.staff is not None:
                    r.staff.coached(r.occupant[s], fs.coaching_ramp_multiplier)
                self.rec.timeline(env.now, REP_HIRED, r.idx, r.occupant[s], 0.0, 0.0)
                staffing.start_tenure(r, s)
        self.splits.append(dict(t_days=round(env.now, 2), parent=p["name"], child=self.pods[child]["name"],
                                promoted_role=role.name, promoted_rep=int(lead)))
        return child

    def table(self, accounts) -> dict:
        """Per POD (for KPIs): names, genealogy, slices, bookings, seats, ARR."""
        arr = [0.0] * len(self.pods)
        for acv, on, pod in zip(accounts.acv, accounts.active, accounts.pod, strict=True):
            if on:
                arr[pod] += acv
        heads = [{r.name: len(self._seats(i, r)) for r in self.roles} for i in range(len(self.pods))]
        return {"pods": [dict(name=p["name"], parent=None if p["parent"] is None else self.pods[p["parent"]]["name"],
                              born_days=round(p["born"], 2), owns=list(p["owns"]), wins=p["wins"],
                              decided=p["decided"], bookings_usd=round(p["bookings"], 2), headcount_end=heads[i],
                              arr_end_usd=round(arr[i], 2), weekly_bookings_usd=list(p["weekly"]))
                         for i, p in enumerate(self.pods)],
                "splits": list(self.splits), "capable": self.capable}
