"""The capacity estimate: the average work a week a scenario asks of each role,
read from the scenario alone (never a simulation).

The *average* work, from the scenario's own numbers: leads a week (inbound rates with their
mean seasonality; outbound accounts as fast as the prospecting reps can hold
them, as :mod:`sim.scenario.size` counts them), times the chance a lead gets
to each step (conversions, connect attempts and hand-off leakage before it),
times the step's mean work hours (and a second seller's), against headcount x
hours a week. Speed-to-lead decay, SLA expiry, ramp and time off are left out:
the estimate leans high for roles downstream of a speed-to-lead step.

:mod:`sim.scenario.lint` compares it with each role's hours (the over-capacity
rule) and reads its flows for the other rules (roles no lead reaches, segments
nobody works).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.scenario.calendar_spec import span_hours, week_hours
from sim.scenario.pod_spec import customer_work
from sim.scenario.routing import RoutingPlan, source_segments
from sim.scenario.schema import AccountMining, Inbound, Outbound, Scenario
from sim.scenario.size import estimate, trend_mean
from sim.scenario.work_model import moves_time, week_shares


@dataclass(frozen=True)
class StepFlow:
    """One step of one route: who works it, how many leads a week ask for it
    (attempts counted) and the hours a week it takes of the role (and an assist)."""

    source: str
    segment: str
    pql: bool
    stage: str
    role: str | None
    reach: float  # chance a lead of the route gets to ask for this step
    leads_per_week: float  # leads of the route that ask for this step
    passes: float  # share of those that move on (connect and conversion)
    tasks_per_week: float
    hours_per_week: float
    assist_role: str | None
    assist_hours_per_week: float
    open_leads: float = 0.0  # leads the step's role holds on average (Little's law), for owned roles


def _tools_factor(scenario: Scenario, role: str | None, stage: str | None) -> float:
    if moves_time(scenario):  # a work model with a time use: tools cut admin time instead
        return 1.0
    return scenario.process.tools_factor(role, stage)


def _practised(scenario: Scenario, role: str | None) -> float:
    """What practice multiplies a seasoned rep's speed and odds by (``work_model.learning``:
    the mean ceiling, with enablement's credit reached sooner); 1 without it."""
    wm = scenario.work_model
    if wm is None or wm.learning is None or role is None or scenario.roles[role].people is None:
        return 1.0
    return max(1.0, wm.learning.ceiling.mean())


def leads_per_week(scenario: Scenario) -> dict[tuple[str, str], float]:
    """Expected new leads a week per (source, segment); account mining as 0 (it
    depends on the customers a run wins) but listed, so routes still exist."""
    weeks = float(scenario.horizon_weeks)
    size = estimate(scenario)
    out: dict[tuple[str, str], float] = {}
    for name, src in scenario.sources.items():
        segs = source_segments(scenario, name)
        if isinstance(src, Inbound):
            profile = src.seasonality_monthly or [1.0] * 12
            rate = src.rate_per_week * sum(profile) / len(profile) * trend_mean(src, weeks)  # the run's mean
            for g in segs:
                out[(name, g)] = rate * src.segment_mix.get(g, 0.0)
        elif isinstance(src, Outbound):
            total = sum(src.accounts.values())
            rate = size.by_key.get(f"sources.{name}.accounts", 0.0) / weeks
            for g in segs:
                out[(name, g)] = rate * src.accounts.get(g, 0) / total if total else 0.0
        else:
            for g in segs:
                out[(name, g)] = 0.0
    return out


def _curve(points: list[tuple[float, float]], x: float) -> float:
    """A piecewise-linear curve (flat after its last point), as the model reads it."""
    if x >= points[-1][0]:
        return points[-1][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[0][1]


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SUB = 4  # points per hour of the week at which an arrival's wait is read


_QUANTILES = [-math.log(1.0 - (i + 0.5) / 8) for i in range(8)]  # of an exponential wait, mean 1


def _after_queue(curve: list[tuple[float, float]], off: float, queued: tuple[float, float]) -> float:
    """The mean multiplier of a lead that waits ``off`` hours for working time, then
    in an M/M/c queue: with chance ``queued[0]`` an exponential wait of mean ``queued[1]``."""
    chance, mean = queued
    now = _curve(curve, off)
    if chance <= 0 or mean <= 0:
        return now
    later = sum(_curve(curve, off + mean * q) for q in _QUANTILES) / len(_QUANTILES)
    return (1.0 - chance) * now + chance * later


def first_touch_decay(scenario: Scenario, role: str, source: str, queued: tuple[float, float] = (0.0, 0.0)
                      ) -> float:
    """The mean speed-to-lead multiplier of leads of ``source`` that arrive, wait
    for the role's next working minute and then in its queue (``queued``: the
    chance of waiting and the mean wait of those who do, hours): without a
    calendar only the queue. Arrivals follow the source's hour-of-week profile
    (uniform without one)."""
    curve = scenario.speed_to_lead.effective_curve()
    if scenario.calendar is None:
        return _after_queue(curve, 0.0, queued)
    cal = scenario.calendar.merged(scenario.roles[role].calendar)
    a, b = span_hours(cal.hours)
    spans: list[tuple[float, float]] = []
    for d in sorted({_DAYS.index(x) for x in cal.days}):
        day = [(24.0 * d + a, 24.0 * d + b)]
        if cal.lunch:
            la, lb = span_hours(cal.lunch)
            for shift in (0.0, 24.0):
                cut = (24.0 * d + la + shift, 24.0 * d + lb + shift)
                day = [piece for s0, s1 in day for piece in ((s0, min(s1, cut[0])), (max(s0, cut[1]), s1))
                       if piece[1] > piece[0]]
        spans += day
    spans.sort()
    src = scenario.sources[source]
    profile = getattr(src, "arrival_profile", None)
    weekday = profile.weekday if profile is not None else [1.0] * 7
    hour = profile.hour if profile is not None else [1.0] * 24
    total = weighted = 0.0
    for h in range(168):
        w = weekday[h // 24] * hour[h % 24]
        if w <= 0:
            continue
        for i in range(_SUB):
            t = h + (i + 0.5) / _SUB
            waits = [max(0.0, s0 + k * 168.0 - t) for s0, s1 in spans for k in (0, 1)
                     if s1 + k * 168.0 > t]
            total += w
            weighted += w * _after_queue(curve, min(waits) if waits else 0.0, queued)
    return weighted / total if total else 1.0


def _route_flows(scenario: Scenario, plan: RoutingPlan, rates: dict[tuple[str, str], float],
                 through: dict[str, float] | None = None,
                 queued: dict[str, tuple[float, float]] | None = None
                 ) -> list[StepFlow]:
    """The flows at these rates; ``through[role]`` is the share of the leads
    asking for a role's step that it gets through (below 1 for a role asked for
    more than it has: the rest pile up in its queue); ``queued[role]`` the chance a
    task waits in the role's queue and the mean wait of those that do, in hours
    (speed-to-lead steps)."""
    through = through or {}
    queued = queued or {}
    stages = scenario.stages
    decay: dict[tuple[str, str], float] = {}
    out: list[StepFlow] = []
    for (sname, gname, pql), route in plan.routes.items():
        if gname not in scenario.segments:
            continue
        src, seg = scenario.sources[sname], scenario.segments[gname]
        if pql and (seg.pql is None or seg.pql.probability == 0):
            continue
        share = (seg.pql.probability if pql else 1.0 - seg.pql.probability) if seg.pql is not None else 1.0
        mining = isinstance(src, AccountMining) and src.leads_per_account_per_year > 0
        rate = rates.get((sname, gname), 0.0)
        reach = share if (rate > 0 or mining) else 0.0
        prev: str | None = None
        seen: set[str] = set()
        for k, role in route.steps():
            stage = stages[k]
            numbers = seg.steps[stage]
            step = scenario.steps.get(stage)
            if role is not None and role not in seen:
                seen.add(role)
                reach *= through.get(role, 1.0)  # the leads the role gets to, of those that ask
            if role is not None and prev is not None and role != prev:
                handoff = step.handoff if step is not None and step.handoff is not None else scenario.handoff
                reach *= 1.0 - handoff.leakage_probability
            attempts, connect = 1.0, 1.0
            if isinstance(src, Outbound) and k == route.entry + 1 and role is not None:
                p, n = src.attempts.connect_probability, src.attempts.max_attempts
                connect = 1.0 - (1.0 - p) ** n
                attempts = connect / p if p > 0 else float(n)
            tasks = rate * reach * attempts if role is not None else 0.0
            practised = _practised(scenario, role)
            hours = tasks * numbers.work_hours.mean() * _tools_factor(scenario, role, stage) / practised
            assist = numbers.assist
            a_hours = (rate * reach * connect * assist.work_hours.mean() * _tools_factor(scenario, assist.role, stage)
                       if assist is not None and role is not None else 0.0)
            p = numbers.conversion_probability * src.conversion_multiplier.get(stage, 1.0)
            if k == len(stages) - 1 and seg.value_exchange is not None:
                p *= seg.value_exchange.win_probability_multiplier
            p = min(p, 1.0)
            if practised != 1.0 and 0 < p < 1:  # practice multiplies the odds
                p = p * practised / (1.0 - p + p * practised)
            if step is not None and step.speed_to_lead and role is not None:
                # first steps wait for the role's working time; later ones are handed over in it; a role
                # asked for more than it has keeps leads waiting longer and longer: the curve's tail
                if role in through:
                    p *= scenario.speed_to_lead.effective_curve()[-1][1]
                elif k == route.entry + 1:
                    p *= decay.setdefault((role, sname), first_touch_decay(scenario, role, sname,
                                                                           queued.get(role, (0.0, 0.0))))
                else:
                    p *= _after_queue(scenario.speed_to_lead.effective_curve(), 0.0, queued.get(role, (0.0, 0.0)))
            passes = connect * min(p, 1.0)
            held = 0.0
            if role is not None and scenario.roles[role].owns_leads and scenario.roles[role].max_open_per_rep:
                days = _task_days(scenario, role, numbers.work_hours.mean() * _tools_factor(scenario, role, stage))
                days = attempts * days + connect * _customer_days(scenario, numbers.elapsed_days.mean())
                if attempts > 1 and isinstance(src, Outbound):  # only an outbound source attempts again
                    days += (attempts - 1) * src.attempts.days_between_attempts.mean()
                held = rate * reach * days / 7.0
            out.append(StepFlow(sname, gname, pql, stage, role, reach, rate * reach, passes, tasks, hours,
                                assist.role if assist is not None else None, a_hours, held))
            reach *= passes
            if role is not None:
                prev = role
    return out


def _task_days(scenario: Scenario, role: str, hours: float) -> float:
    """Calendar days a task of ``hours`` keeps a rep of the role busy (their week
    holds hours_per_week of the role's work, or less with a work model)."""
    spec = scenario.roles[role]
    per_rep = available_hours(scenario, role) / spec.headcount if spec.headcount else 0.0
    return hours * 7.0 / per_rep if per_rep > 0 else 0.0


def _customer_days(scenario: Scenario, days: float) -> float:
    """A step's elapsed days in calendar days (business days with a calendar that says so)."""
    cal = scenario.calendar
    if cal is not None and cal.customer_elapsed == "business_days":
        return days * 7.0 / len(set(cal.days))
    return days


def prospecting_role(scenario: Scenario, plan: RoutingPlan, source: str) -> str | None:
    """The role of an outbound source's first step (the cadence it paces), if one."""
    for (s, _g, _pql), route in plan.routes.items():
        if s == source and route.roles and route.roles[0] is not None:
            return route.roles[0]
    return None


def flows(scenario: Scenario, plan: RoutingPlan | None = None) -> list[StepFlow]:
    """Every step of every route with the work it asks for, from the scenario's own rates
    (see :func:`throttled`)."""
    return throttled(scenario, plan)[0]


def throttled(scenario: Scenario, plan: RoutingPlan | None = None
               ) -> tuple[list[StepFlow], dict[str, float]]:
    """The flows, and for each role asked for more hours than it has the share of its
    leads it gets through.

    An outbound list is worked only as fast as its prospecting role has time:
    when the list would ask the role for more hours than it has left after its
    other work, the list's accounts a week are scaled down to fit (the cadence
    takes a new account only when a rep has room; it never overloads the role)."""
    scenario = customer_work(scenario)
    plan = plan or RoutingPlan.compile(scenario)
    rates = leads_per_week(scenario)
    fl = _route_flows(scenario, plan, rates)
    paced: dict[str, list[str]] = {}
    for name, src in scenario.sources.items():
        role = prospecting_role(scenario, plan, name) if isinstance(src, Outbound) else None
        if role is not None and not scenario.roles[role].unlimited_capacity:
            paced.setdefault(role, []).append(name)
    for _ in range(5):  # set-up hours between kinds of work depend on the mix: settle them
        total = _funnel_hours(scenario, fl)
        scaled = False
        for role, names in paced.items():
            other = sum(f.hours_per_week for f in fl if f.role == role and f.source not in names) + \
                sum(f.assist_hours_per_week for f in fl if f.assist_role == role and f.source not in names)
            listed = total[role] - other
            room = max(0.0, available_hours(scenario, role) - other)
            if listed > room * (1 + 1e-9):
                scaled = True
                for key in list(rates):
                    if key[0] in names:
                        rates[key] *= room / listed
        if not scaled:
            break
        fl = _route_flows(scenario, plan, rates)
    # a role asked for more than it has gets through only part of its leads (the rest pile up in its
    # queue): the roles after it see that part. Each pass settles the roles one step further down.
    through: dict[str, float] = {}
    queued: dict[str, tuple[float, float]] = {}
    for _ in range(50):
        done = _funnel_hours(scenario, fl, assists=False)  # an assisting role's limit is its seller's
        now = {}
        for r, h in done.items():
            have = available_hours(scenario, r)
            if scenario.roles[r].unlimited_capacity or h <= 0:
                continue
            spec = scenario.roles[r]
            ratio = have / h
            if spec.max_open_per_rep is not None and spec.owns_leads:  # and no more leads open than it can hold
                held = sum(f.open_leads for f in fl if f.role == r)
                if held > 0:
                    ratio = min(ratio, spec.headcount * spec.max_open_per_rep / held)
            t = min(1.0, through.get(r, 1.0) * ratio)  # a role freed by one before it takes more again
            if t < 1.0 - 1e-6:
                now[r] = t
        waits = _queue_waits(scenario, fl, done)
        if (now.keys() == through.keys() and all(abs(now[r] - through[r]) < 1e-9 for r in now)
                and waits.keys() == queued.keys()
                and all(abs(waits[r][0] - queued[r][0]) + abs(waits[r][1] - queued[r][1]) < 1e-6 for r in waits)):
            break
        through, queued = now, waits
        fl = _route_flows(scenario, plan, rates, through, queued)
    return fl, through


def _erlang_c(c: int, a: float) -> float:
    """The chance an arrival waits in an M/M/c queue with offered load ``a`` (< c)."""
    term, total = 1.0, 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c / (1.0 - a / c)
    return last / (total + last)


def _queue_waits(scenario: Scenario, fl: list[StepFlow], asked: dict[str, float]
                 ) -> dict[str, tuple[float, float]]:
    """For each role that works a speed-to-lead step, the chance a task waits in
    its queue and the mean wait (hours) of those that do: M/M/c, the role's reps
    as servers, its mean task."""
    out: dict[str, tuple[float, float]] = {}
    fast = {f.role for f in fl if f.role is not None and (st := scenario.steps.get(f.stage)) is not None
            and st.speed_to_lead}
    for role in fast:
        spec = scenario.roles[role]
        tasks = sum(f.tasks_per_week for f in fl if f.role == role)
        have = available_hours(scenario, role)
        if spec.unlimited_capacity or spec.headcount == 0 or tasks <= 0 or have <= 0:
            continue
        c, a = min(spec.headcount, 1000), asked[role] / have * min(spec.headcount, 1000)
        if a >= c:
            continue  # over capacity: the throttle and the curve's tail say it
        # a task's hours in the role's clock: its working week with a calendar (the nights are the
        # first-touch wait's), else around the clock at hours_per_week / 168 speed
        week = 168.0
        if scenario.calendar is not None:
            cal = scenario.calendar.merged(spec.calendar)
            week = week_hours(cal.days, cal.hours, cal.lunch)
        service = asked[role] / tasks * week / (have / spec.headcount)
        out[role] = (_erlang_c(c, a), service / (c - a))
    return out


def _funnel_hours(scenario: Scenario, fl: list[StepFlow], steps: bool = True, assists: bool = True
                  ) -> dict[str, float]:
    """Hours a week per role on the funnel's steps and (or) as a second seller."""
    out: dict[str, float] = {r: 0.0 for r in scenario.roles}
    for f in fl:
        if steps and f.role is not None:
            out[f.role] += f.hours_per_week
        if assists and f.assist_role is not None:
            out[f.assist_role] += f.assist_hours_per_week
    if steps:
        for role, hours in _switching(scenario, fl).items():
            out[role] += hours
    return out


def _switching(scenario: Scenario, fl: list[StepFlow]) -> dict[str, float]:
    """Set-up hours a week of roles whose reps turn from one kind of work to another
    (``work_model.switching``), as if their tasks came in random order."""
    wm = scenario.work_model
    if wm is None or wm.switching is None or wm.switching.setup_hours == 0:
        return {}
    kinds: dict[str, dict[str, float]] = {}
    for f in fl:
        if f.role is not None and f.tasks_per_week > 0 and scenario.roles[f.role].people is not None:
            by = kinds.setdefault(f.role, {})
            kind = wm.kind_of(f.stage) or "prospecting"
            by[kind] = by.get(kind, 0.0) + f.tasks_per_week
    out = {}
    for role, by in kinds.items():
        total = sum(by.values())
        switch = 1.0 - sum((n / total) ** 2 for n in by.values())
        out[role] = total * switch * wm.switching.setup_hours
    return out


def wins_per_week(scenario: Scenario, fl: list[StepFlow] | None = None) -> dict[str, float]:
    """Expected new wins a week per segment (account mining left out)."""
    fl = flows(scenario) if fl is None else fl
    out: dict[str, float] = {g: 0.0 for g in scenario.segments}
    for f in fl:
        if f.stage == scenario.stages[-1]:
            out[f.segment] += f.leads_per_week * f.passes
    return out


def deal_share(scenario: Scenario, role: str) -> float:
    """The share of the role's week left for deal work (``work_model.time_use``
    after the tools' and playbooks' cuts; 1 without a work model)."""
    return week_shares(scenario, role)["deal"]


def available_hours(scenario: Scenario, role: str) -> float:
    """Hours a week the role's reps have for its tasks: headcount x hours_per_week
    (with a calendar, its working hours unless set lower) x the deal share of
    their week (with a ``work_model``)."""
    spec = scenario.roles[role]
    if spec.hours_per_week is not None:
        hours = spec.hours_per_week
    elif scenario.calendar is not None:
        cal = scenario.calendar.merged(spec.calendar)
        hours = week_hours(cal.days, cal.hours, cal.lunch)
    else:
        hours = spec.weekly_hours
    return spec.headcount * hours * deal_share(scenario, role)


def offered_hours(scenario: Scenario, fl: list[StepFlow] | None = None,
                  through: dict[str, float] | None = None) -> dict[str, float]:
    """Average hours a week each role is asked for: funnel steps, assists and
    onboarding. A role asked for more than it has is asked for all of it (its
    own limit is not subtracted), the roles after it for what gets past it."""
    if fl is None:
        fl, through = throttled(scenario)
    through = through or {}
    helped = _funnel_hours(scenario, fl, steps=False)
    out = {r: h / through.get(r, 1.0) + helped[r] for r, h in _funnel_hours(scenario, fl, assists=False).items()}
    ps = customer_work(scenario).post_sale
    if ps.enabled and ps.onboarding_role is not None:
        for g, w in wins_per_week(scenario, fl).items():
            out[ps.onboarding_role] += w * scenario.segments[g].customer.onboarding.work_hours.mean() * \
                _tools_factor(scenario, ps.onboarding_role, None)
    return out


def open_leads(scenario: Scenario, fl: list[StepFlow], through: dict[str, float]) -> dict[str, float]:
    """Leads each owned role with a cap (``max_open_per_rep``) would hold open on
    average to keep up with its arrivals (Little's law: arrivals x days held)."""
    out: dict[str, float] = {}
    for f in fl:
        if f.role is not None and f.open_leads > 0:
            out[f.role] = out.get(f.role, 0.0) + f.open_leads / through.get(f.role, 1.0)
    return out
