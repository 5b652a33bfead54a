"""A run's figures set against the benchmark table (``sim.benchmarks``).

Pure functions: :func:`measure` turns one run (its KPIs, facts, scenario and,
when the run kept them, its event and lead tables) into :class:`Figure` s, one
per benchmark metric and segment (or motion) it applies to; :func:`compare`
puts the mean of a figure over replications against its row of a table and,
when it falls outside, names the mechanism most responsible. The figures'
definitions are declared in :data:`sim.metrics.registry.BENCHMARK_FIGURES`.

Which row applies. A scenario's segment is read as a benchmark segment by its
name (``smb``, ``mid_market``, ``enterprise`` and common spellings), else by
its ``motion`` (``field`` and ``strategic`` sell to enterprises, ``plg`` is
self-serve), else by its mean list ACV (under $15k SMB, under $100k mid-market,
enterprise above: the bands the reference figures use, docs/background.md#reference-figures).
A seller's motion is ``field`` when most of its wins are enterprise deals,
else ``inside``. Company-wide figures (GRR, NRR, CAC payback, discount) take
the row of the segment holding most bookings.

Mechanisms. Each figure carries *drivers*: quantities of the scenario or the
run that push it up or down, each with how far it sits from its own benchmark
(a log ratio). A figure above its range names the driver pushing up the most;
below, the one pushing down the most; none known, it says so.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from sim.benchmarks import Benchmark, Table
from sim.records.facts import Facts
from sim.scenario.routing import RoutingPlan
from sim.scenario.schema import DEFAULT_WEEKLY_HOURS, Scenario
from sim.units import DAYS_PER_YEAR

MONTH_DAYS = DAYS_PER_YEAR / 12
SMB_ACV_BELOW, MID_ACV_BELOW = 15_000.0, 100_000.0
BENCHMARK_ASP = {"inside": 25_000.0, "field": 175_000.0}  # Balderton Capital founders' guide 2023 (M)
_NAME_CLASS = {"smb": "smb", "small_business": "smb", "small": "smb", "mid_market": "mid_market",
               "midmarket": "mid_market", "mid": "mid_market", "mm": "mid_market", "enterprise": "enterprise",
               "ent": "enterprise", "large": "enterprise", "strategic": "enterprise", "self_serve": "plg",
               "plg": "plg"}
_MOTION_CLASS = {"plg": "plg", "field": "enterprise", "strategic": "enterprise"}
COMPANY = "company"  # the subject of company-wide figures
# losses that come from capacity and people rather than the buyer's choice
CAPACITY_LOSSES = ("sla", "handoff", "owner_left")


@dataclass(frozen=True)
class Driver:
    """Something that pushes a figure: ``push`` > 0 raises it, < 0 lowers it (a log ratio)."""

    text: str
    push: float


@dataclass(frozen=True)
class Figure:
    """One benchmark figure of one run."""

    metric: str
    segment: str  # the benchmark segment or motion whose row applies
    subject: str  # what it is of: a role, a segment class, "company"
    value: float
    kind: str = "measured"  # "measured" (varies by replication) or "input" (a scenario value)
    drivers: tuple[Driver, ...] = field(default=(), compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.metric, self.segment, self.subject)


@dataclass(frozen=True)
class Comparison:
    """A figure's mean over replications against its benchmark row."""

    metric: str
    segment: str
    subject: str
    kind: str
    mean: float
    ci: tuple[float, float] | None  # 95% t-interval of the mean (None: one run, or an input)
    n: int
    benchmark: Benchmark
    position: str  # below / inside / above
    mechanism: str  # the driver most responsible when outside, else ""

    @property
    def outside(self) -> bool:
        return self.position != "inside"

    @property
    def straddles(self) -> bool:
        """The CI crosses a bound of the range: the position is not settled by these replications."""
        if self.ci is None:
            return False
        lo, hi = self.ci
        b = self.benchmark
        return lo < b.low <= hi or lo <= b.high < hi


def _log(a: float, b: float) -> float:
    return math.log(a / b) if a > 0 and b > 0 else 0.0


def segment_class(scenario: Scenario, name: str) -> str:
    """The benchmark segment of a scenario segment (see the module docstring)."""
    key = name.lower().replace("-", "_")
    if key in _NAME_CLASS:
        return _NAME_CLASS[key]
    seg = scenario.segments[name]
    if seg.motion in _MOTION_CLASS:
        return _MOTION_CLASS[seg.motion]
    acv = float(seg.acv_usd.mean())
    return "smb" if acv < SMB_ACV_BELOW else "mid_market" if acv < MID_ACV_BELOW else "enterprise"


def selling_fraction(scenario: Scenario, role: str) -> float:
    """The share of a seller's working week spent on the role's tasks (deal-facing time):
    ``hours_per_week`` over the calendar's working hours (the role's own calendar if it has
    one), or over a 40-hour week without a calendar (no ``hours_per_week``: all of it),
    times the deal share of the week under a ``work_model`` (``sim.model.selling_time``)."""
    from sim.model.selling_time import week as week_shares
    from sim.scenario.calendar_spec import week_hours

    r = scenario.roles[role]
    deal = week_shares(scenario, role)["deal"]
    if r.hours_per_week is None:
        return deal
    cal = scenario.calendar
    if cal is not None:
        cal = cal.merged(r.calendar)
        week = week_hours(cal.days, cal.hours, cal.lunch)
    else:
        week = DEFAULT_WEEKLY_HOURS
    return (min(1.0, r.hours_per_week / week) if week > 0 else 1.0) * deal


def _selling_said(scenario: Scenario, role: str) -> str:
    """Why a role's selling time is what it is, in the scenario's words."""
    hours = scenario.roles[role].hours_per_week
    said = f"hours_per_week {hours:g}" if hours is not None else "no hours_per_week"
    wm = scenario.work_model
    if wm is None or role not in wm.time_use:
        said += ", no work_model.time_use (every working hour is deal work)"
    else:
        said += ", work_model.time_use leaves the rest of the week to admin, meetings, training, research, travel"
    return said


def _seat_years(facts: Facts) -> dict[str, float]:
    from sim.metrics.economics import seat_days_by_week

    days = seat_days_by_week(facts).sum(axis=0)
    return {r: float(d) / DAYS_PER_YEAR for r, d in zip(facts.layout.roles, days, strict=True)}


def _typical(table: Table, metric: str, segment: str) -> float | None:
    row = table.get(metric, segment)
    if row is None:
        return None
    return row.typical if row.typical is not None else (row.low + row.high) / 2


def _dominant(by_segment: dict[str, float], scenario: Scenario) -> str | None:
    """The benchmark segment that holds most of ``by_segment`` (bookings or ARR)."""
    acc: dict[str, float] = {}
    for s, v in by_segment.items():
        if s in scenario.segments:
            c = segment_class(scenario, s)
            acc[c] = acc.get(c, 0.0) + float(v or 0.0)
    acc = {c: v for c, v in acc.items() if v > 0}
    return max(acc, key=acc.get) if acc else None


def measure(kpis: dict, facts: Facts, scenario: Scenario, table: Table,
            events=None, leads=None) -> list[Figure]:
    """Every benchmark figure a run gives (``events``/``leads``: the run's tables, for the
    figures that need them: SDR meetings and sales cycles; None leaves those out)."""
    plan = RoutingPlan.compile(scenario)
    years = _seat_years(facts)
    L = facts.layout
    out: list[Figure] = []
    classes = {s: segment_class(scenario, s) for s in L.segments}

    # --- sellers who close: bookings per seat-year, share at quota ---
    seller_stats: dict[str, list[float]] = {}
    for (ri, _rep), (wins, losses, usd) in facts.rep_outcomes.items():
        s = seller_stats.setdefault(L.roles[ri], [0.0, 0.0, 0.0])
        s[0] += wins
        s[1] += losses
        s[2] += usd
    by_role_class = _wins_by_role_class(facts, scenario, plan, classes)
    for role in sorted(plan.closing_roles):
        if role not in scenario.roles or scenario.roles[role].unlimited_capacity or years.get(role, 0) <= 0:
            continue
        wins, losses, usd = seller_stats.get(role, [0.0, 0.0, 0.0])
        mix = by_role_class.get(role, {})
        if mix and max(mix, key=mix.get) == "plg":
            continue  # a self-serve "seller" books sign-ups, not deals
        motion = "field" if mix and max(mix, key=mix.get) == "enterprise" else "inside"
        value = usd / years[role]
        drivers = [Driver(f"deal work is {selling_fraction(scenario, role):.0%} of {role} hours (benchmark "
                          f"{_typical(table, 'selling_time_fraction', 'all') or 0.28:.0%})",
                          _log(selling_fraction(scenario, role), _typical(table, "selling_time_fraction", "all")
                               or 0.28))]
        if wins:
            asp = usd / wins
            drivers.append(Driver(f"{role} average deal ${asp:,.0f} against an ASP of about "
                                  f"${BENCHMARK_ASP[motion]:,.0f}", _log(asp, BENCHMARK_ASP[motion])))
        if wins + losses:
            wr = wins / (wins + losses)
            seg = "enterprise" if motion == "field" else "mid_market"
            typ = _typical(table, "win_rate", seg)
            if typ:
                drivers.append(Driver(f"{role} win rate {wr:.0%} (benchmark about {typ:.0%})", _log(wr, typ)))
        util = (kpis.get("roles", {}).get(role) or {}).get("utilization")
        if util is not None:
            drivers.append(Driver(f"{role}s are busy {util:.0%} of their selling hours: too few deals reach them",
                                  min(0.0, _log(util, 0.7))))
        out.append(Figure("ae_bookings_per_year_usd", motion, role, value, drivers=tuple(drivers)))
        quota = scenario.roles[role].quota_usd_per_year
        periods = [p for p in (kpis.get("quota_attainment") or {}).get(role, []) if p.get("weeks", 0) >= 52
                   and p.get("reps")]
        if quota and periods:
            share = float(np.mean([p["share_at_quota"] for p in periods]))
            typ = _typical(table, "ae_bookings_per_year_usd", motion) or quota
            med = float(np.mean([p["median"] for p in periods]))
            qd = [Driver(f"{role} quota ${quota:,.0f} against typical bookings of ${typ:,.0f} a seller-year "
                         f"(median attainment {med:.0%})", -_log(quota, typ)),
                  Driver(f"{role} bookings ${value:,.0f} a seller-year against about ${typ:,.0f}", _log(value, typ)),
                  Driver(f"{role} attainment is spread (median {med:.0%} of quota): ramping hires, vacancies and "
                         "the skill spread leave many reps below quota", _log(med, 1.0))]
            out.append(Figure("share_at_quota", "all", role, share, drivers=tuple(qd)))

    # --- win rate by segment class ---
    won = np.asarray(facts.won_by_segment, dtype=float)
    lost = np.asarray(facts.lost_decided_by_segment, dtype=float)
    cap_share = _capacity_loss_share(kpis)
    for c in sorted(set(classes.values())):
        idx = [i for i, s in enumerate(L.segments) if classes[s] == c]
        w, lo = float(won[idx].sum()), float(lost[idx].sum()) if len(lost) else 0.0
        if w + lo <= 0:
            continue
        typ = _typical(table, "win_rate", c)
        drivers = []
        nominal = _nominal_win_rate(scenario, [L.segments[i] for i in idx], L.win_rate_stage, L.stages)
        if typ and nominal:
            drivers.append(Driver(f"the scenario's step conversions from {L.stages[L.win_rate_stage]} multiply "
                                  f"to {nominal:.0%} for {c}", _log(nominal, typ)))
        measured = w / (w + lo)
        if nominal:
            drivers.append(Driver(f"the run's {c} win rate {measured:.0%} departs from that product ({nominal:.0%}): "
                                  "seller skill and learning, speed to lead, capacity", _log(measured, nominal)))
        if cap_share > 0:
            drivers.append(Driver(f"{cap_share:.0%} of lost leads were lost to capacity or people (SLA, "
                                  "hand-off, a leaving owner)", math.log(max(1e-9, 1 - cap_share))))
        out.append(Figure("win_rate", c, c, measured, drivers=tuple(drivers)))

    # --- company-wide: retention, CAC payback, magic number, discount ---
    main = _dominant(kpis.get("bookings_by_segment_usd") or {}, scenario) or "all"
    csm = scenario.post_sale.csm_role if scenario.post_sale.enabled else None
    csm_util = (kpis.get("roles", {}).get(csm) or {}).get("utilization") if csm else None
    renew = _renewal(scenario)
    for metric, key in (("grr", "grr_trailing_12m"), ("nrr", "nrr_trailing_12m")):
        v = kpis.get(key)
        if v is None:
            continue
        typ = _typical(table, "grr", main)
        drivers = []
        if renew is not None and typ:
            drivers.append(Driver(f"renewal probability {renew:.0%} in the scenario (bookings-weighted)",
                                  _log(renew, typ)))
        if csm_util is not None and csm_util > 1:
            drivers.append(Driver(f"the CSM book needs {csm_util:.0%} of the CSMs' hours: accounts go untouched "
                                  "and renew less", -_log(csm_util, 1.0)))
        if csm is None:
            drivers.append(Driver("no customer-success role: renewals run at the no-CSM multiplier", -0.1))
        out.append(Figure(metric, main, "company", float(v), drivers=tuple(drivers)))
    productivity = [f for f in out if f.metric == "ae_bookings_per_year_usd"]
    prod_drivers = []
    for f in productivity:
        typ = _typical(table, f.metric, f.segment)
        if typ:
            prod_drivers.append(Driver(f"{f.subject} bookings ${f.value:,.0f} a seller-year against about "
                                       f"${typ:,.0f}", _log(f.value, typ)))
    unalloc = (kpis.get("costs") or {}).get("unallocated_sales_marketing_usd") or 0.0
    v = kpis.get("cac_payback_months")
    if v is not None:
        d = [Driver(x.text, -x.push) for x in prod_drivers]
        if unalloc:
            d.append(Driver(f"${unalloc:,.0f} of sales and marketing cost (managers and others who work no "
                            "funnel step) is not in CAC", -0.2))
        out.append(Figure("cac_payback_months", main, "company", float(v), drivers=tuple(d)))
    v = kpis.get("magic_number")
    if v is not None:
        out.append(Figure("magic_number", "all", "company", float(v), drivers=tuple(prod_drivers)))
    v = kpis.get("average_discount_fraction")
    if v is not None and kpis.get("leads_won"):
        mean_disc = _mean_discount(scenario)
        typ = _typical(table, "discount_fraction", main)
        d = (Driver(f"the scenario's discount draws average {mean_disc:.0%} (bookings-weighted)",
                    _log(mean_disc, typ)),) if mean_disc is not None and typ else ()
        out.append(Figure("discount_fraction", main, "company", float(v), drivers=d))

    # --- the CSM book ---
    if csm and csm in scenario.roles and csm not in plan.selling_roles:
        heads = (kpis.get("roles", {}).get(csm) or {}).get("headcount") or 0
        if heads:
            seg = _dominant(_arr_by_segment(facts), scenario) or main
            util = f" ({csm_util:.0%} of their hours)" if csm_util is not None else ""
            d = _both(f"{heads} {csm} seat(s) for ${kpis.get('arr_end_usd', 0):,.0f} of ARR"
                      f"{util}, {kpis.get('customers_end', 0)} customers")
            out.append(Figure("csm_book_arr_usd", seg, csm, float(kpis.get("arr_end_usd") or 0) / heads, drivers=d))
            out.append(Figure("csm_book_accounts", seg, csm, float(kpis.get("customers_end") or 0) / heads,
                              drivers=d))

    # --- from the event log: meetings set, sales cycles ---
    if events is not None and leads is not None and len(events):
        out += _meetings(events, leads, scenario, plan, classes, years, kpis, table)
        out += _cycles(events, leads, scenario, classes, L.stages[L.win_rate_stage], table)
        out += _coverage(events, leads, scenario, L.win_rate_stage, facts, table)

    out += inputs(scenario, plan)
    return [f for f in out if math.isfinite(f.value)]


def inputs(scenario: Scenario, plan: RoutingPlan | None = None) -> list[Figure]:
    """Figures the scenario sets rather than the run measures: selling time, ramp,
    attrition and tenure per selling role, and span of control."""
    plan = plan or RoutingPlan.compile(scenario)
    out: list[Figure] = []
    selling = [r for r in scenario.roles if r in plan.selling_roles and not scenario.roles[r].unlimited_capacity]
    for role in selling:
        frac = selling_fraction(scenario, role)
        out.append(Figure("selling_time_fraction", "all", role, frac, "input",
                          _both(f"{role}: {_selling_said(scenario, role)}: {frac:.0%} of the working week goes "
                                "to deals")))
        people = scenario.roles[role].people
        if people is None:
            continue
        ramp = "ae_ramp_days" if role in plan.closing_roles else "sdr_ramp_days"
        out.append(Figure(ramp, "all", role, float(people.ramp_days), "input",
                          _both(f"{role}: people.ramp_days {people.ramp_days:g}")))
        att = float(people.attrition_per_year)
        if role in plan.closing_roles:  # the attrition row is of quota carriers; a setter's is its tenure
            out.append(Figure("rep_attrition_per_year", "all", role, att, "input",
                              _both(f"{role}: people.attrition_per_year {att:g}")))
        elif att > 0:
            out.append(Figure("sdr_tenure_years", "all", role, 1.0 / att, "input",
                              _both(f"{role}: mean tenure 1 / attrition_per_year {att:g}")))
    managers = [r for r, spec in scenario.roles.items() if "manager" in r and r not in plan.selling_roles
                and r not in {scenario.post_sale.am_role, scenario.post_sale.csm_role}
                and not r.startswith(("account_", "am")) and spec.headcount > 0]
    if managers:
        sellers = sum(scenario.roles[r].headcount for r in selling)
        heads = sum(scenario.roles[r].headcount for r in managers)
        span = sellers / heads
        out.append(Figure("span_of_control", "all", "+".join(managers), span, "input",
                          _both(f"{sellers} sellers for {heads} first-line manager(s)")))
    return out


def compare(figures_by_rep: Iterable[list[Figure]], table: Table) -> list[Comparison]:
    """Each figure's mean over replications against its row of ``table`` (figures whose
    metric and segment have no row are left out). Order: the figures' first appearance."""
    from scipy import stats

    runs = list(figures_by_rep)
    # the segment a figure is read against (the one holding most bookings or ARR, a seller's
    # motion) may differ between runs: take the one most runs gave, so one row per figure
    segs: dict[tuple[str, str], list[str]] = {}
    for figs in runs:
        for f in figs:
            segs.setdefault((f.metric, f.subject), []).append(f.segment)
    modal = {k: max(sorted(set(v)), key=v.count) for k, v in segs.items()}
    runs = [[dataclasses.replace(f, segment=modal[(f.metric, f.subject)]) for f in figs] for figs in runs]
    order: dict[tuple, list[Figure]] = {}
    for figs in runs:
        for f in figs:
            order.setdefault(f.key, []).append(f)
    out = []
    for key, fs in order.items():
        metric, segment, subject = key
        row = table.get(metric, segment)
        if row is None:
            continue
        values = np.array([f.value for f in fs], dtype=float)
        mean = float(values.mean())
        kind = fs[0].kind
        ci = None
        if kind == "measured" and len(values) > 1:
            sd = float(values.std(ddof=1))
            h = float(stats.t.ppf(0.975, len(values) - 1)) * sd / math.sqrt(len(values)) if sd > 0 else 0.0
            ci = (mean - h, mean + h)
        pos = row.position(mean)
        out.append(Comparison(metric, segment, subject, kind, mean, ci, len(values), row, pos,
                              mechanism(fs[-1], pos)))
    return out


def mechanism(figure: Figure, position: str) -> str:
    """The driver most responsible for a figure's being ``position`` (``""`` inside)."""
    if position == "inside":
        return ""
    sign = 1.0 if position == "above" else -1.0
    pushing = [d for d in figure.drivers if d.push * sign > 0]
    if not pushing:
        return "no modelled driver explains it" if figure.drivers else "no driver known"
    return max(pushing, key=lambda d: d.push * sign).text


# --- helpers -------------------------------------------------------------------------------------------------


def _both(text: str) -> tuple[Driver, Driver]:
    """A scenario value that is the figure itself: it explains it in both directions."""
    return (Driver(text, 1.0), Driver(text, -1.0))


def _wins_by_role_class(facts: Facts, scenario: Scenario, plan: RoutingPlan, classes: dict) -> dict:
    """[closing role][segment class] -> bookings of the segments whose win the role works."""
    L = facts.layout
    bookings = dict(zip(L.segments, np.asarray(facts.bookings_by_segment, dtype=float), strict=False))
    out: dict[str, dict[str, float]] = {}
    seen = set()
    for (_src, seg, _pql), rr in plan.routes.items():
        closer = rr.roles[-1] if rr.roles else None
        if closer is None or (closer, seg) in seen:
            continue
        seen.add((closer, seg))
        c = out.setdefault(closer, {})
        c[classes[seg]] = c.get(classes[seg], 0.0) + bookings.get(seg, 0.0) + 1e-9
    return out


def _capacity_loss_share(kpis: dict) -> float:
    lost = kpis.get("leads_lost_by_reason") or {}
    total = sum(float(v) for v in lost.values())
    cap = sum(float(lost.get(k, 0)) for k in CAPACITY_LOSSES)
    return cap / total if total else 0.0


def _nominal_win_rate(scenario: Scenario, segments: list[str], wr_stage: int, stages: list[str]) -> float | None:
    """The product of the step conversions from the win-rate stage to the win, averaged over
    ``segments`` (unweighted): what the win rate would be with no capacity losses."""
    vals = []
    for s in segments:
        steps = scenario.segments[s].steps
        p = 1.0
        for st in stages[wr_stage + 1:]:
            if st in steps:
                p *= float(steps[st].conversion_probability)
        vals.append(p)
    return float(np.mean(vals)) if vals else None


def _renewal(scenario: Scenario) -> float | None:
    ps = []
    for seg in scenario.segments.values():
        r = getattr(seg.customer, "renewal", None)
        p = getattr(r, "probability", None)
        if p is not None:
            ps.append(float(p))
    return float(np.mean(ps)) if ps else None


def _mean_discount(scenario: Scenario) -> float | None:
    ds = [float(seg.discount_fraction.mean()) for seg in scenario.segments.values()]
    return float(np.mean(ds)) if ds else None


def _arr_by_segment(facts: Facts) -> dict[str, float]:
    a = facts.accounts
    segs = facts.layout.segments
    out: dict[str, float] = {}
    if len(a.get("segment", [])):
        for g, d in zip(np.asarray(a["segment"], dtype=np.int64), np.asarray(a["arr_delta"], dtype=float),
                        strict=True):
            out[segs[g]] = out.get(segs[g], 0.0) + float(d)
    return out


def handoffs(events, leads) -> object:
    """One row per hand-off to another role: ``lead``, ``role`` (the giver), ``t_days``.

    A hand-off is a move into a stage whose step the giver worked, when the lead's next
    task (or loss) is another role's; a lead lost at the hand-off (no-show) counts for the
    giver too, as a meeting set."""
    import pandas as pd

    e = events[[c for c in ("t_days", "lead", "event", "role", "stage") if c in events]]
    e = e[e["event"] != "created"].reset_index(drop=True)
    e = e.iloc[np.argsort(e["lead"].to_numpy(), kind="stable")].reset_index(drop=True)
    ev = e["event"].astype(str).to_numpy()
    role = e["role"].astype(object).to_numpy()
    lead = e["lead"].to_numpy()
    is_work = ev == "work"
    actor = (ev != "advance") & (ev != "lost_handoff")  # rows whose role is the one now holding the lead
    prev = pd.Series(np.where(is_work, role, None), dtype=object).groupby(lead).ffill().to_numpy()
    nxt = pd.Series(np.where(actor, role, None), dtype=object).groupby(lead).bfill().to_numpy()
    adv = (ev == "advance") & pd.notna(prev) & pd.notna(nxt) & (prev != nxt)
    lost = ev == "lost_handoff"
    stage = (e["stage"].astype(object).to_numpy() if "stage" in e else np.full(len(e), None, dtype=object))
    out = pd.DataFrame({"lead": np.concatenate([lead[adv], lead[lost]]),
                        "role": np.concatenate([prev[adv], role[lost]]),
                        "stage": np.concatenate([stage[adv], stage[lost]]),
                        "t_days": np.concatenate([e["t_days"].to_numpy()[adv], e["t_days"].to_numpy()[lost]])})
    return out


def _wr_index(scenario: Scenario, kpis: dict) -> int | None:
    name = kpis.get("win_rate_from_stage")
    return scenario.stages.index(name) if name in scenario.stages else None


def working_hours_per_month(scenario: Scenario, role: str) -> float:
    """A rep's working hours in a month: the calendar's week (or 40 hours) x weeks a month."""
    from sim.scenario.calendar_spec import week_hours
    from sim.units import WEEKS_PER_MONTH

    cal = scenario.calendar
    if cal is not None:
        cal = cal.merged(scenario.roles[role].calendar)
        return week_hours(cal.days, cal.hours, cal.lunch) * WEEKS_PER_MONTH
    return DEFAULT_WEEKLY_HOURS * WEEKS_PER_MONTH


def _meetings(events, leads, scenario, plan, classes, years, kpis, table) -> list[Figure]:
    h = handoffs(events, leads)
    upto = set(scenario.stages[: L_wr + 1]) if (L_wr := _wr_index(scenario, kpis)) is not None else None
    if upto is not None:  # meetings are set before the deal is qualified: later hand-offs (an SE's) are not
        h = h[h["stage"].isin(upto)]
    if not len(h):
        return []
    info = leads.set_index("lead")[["source", "segment"]]
    h = h.join(info, on="lead")
    kinds = {s: scenario.sources[s].kind for s in scenario.sources}
    out = []
    for role, g in h.groupby("role", sort=True):
        if role in plan.closing_roles or years.get(role, 0) <= 0:
            continue
        ent = float((g["segment"].map(classes) == "enterprise").mean())
        outbound = float((g["source"].map(kinds) == "outbound").mean())
        seg = "enterprise" if ent >= 0.5 else "outbound" if outbound >= 0.5 else "inbound"
        per_month = len(g) / (years[role] * 12)
        util = (kpis.get("roles", {}).get(role) or {}).get("utilization")
        d = []
        if util is not None:
            d.append(Driver(f"{role}s are busy {util:.0%} of their hours" + (
                ": they run out of leads or of room (max_open_per_rep)" if util < 0.6 else ""), _log(util, 0.75)))
        frac = selling_fraction(scenario, role)
        d.append(Driver(f"{role} works {frac:.0%} of the working week on its steps", _log(frac, 0.28)))
        busy = sum((kpis.get("roles", {}).get(role) or {}).get("busy_hours_per_rep") or [])
        typ = _typical(table, "sdr_meetings_per_month", seg)
        if busy > 0 and typ:
            per = busy / len(g)
            pace = working_hours_per_month(scenario, role) / typ
            d.append(Driver(f"each meeting takes {per:.1f} h of {role} work (dials, messages, calls, qualifying); "
                            f"about {pace:.1f} h at the benchmark pace", -_log(per, pace)))
        out.append(Figure("sdr_meetings_per_month", seg, role, per_month, drivers=tuple(d)))
    return out


def _cycles(events, leads, scenario, classes, wr_stage: str, table: Table) -> list[Figure]:
    """Median days from entering the win-rate stage to the win, per segment class."""
    adv = events[(events["event"] == "advance") & (events["stage"] == wr_stage)]
    entered = adv.groupby("lead")["t_days"].min()
    won = leads[leads["outcome"] == "won"].set_index("lead")
    start = won.index.map(entered)
    start = np.where(won["entry_stage"].astype(str).to_numpy() == wr_stage, won["created_days"].to_numpy(),
                     np.asarray(start, dtype=float))
    days = won["outcome_days"].to_numpy() - start
    seg = won["segment"].astype(str).map(classes).to_numpy()
    out = []
    for c in sorted(set(seg[np.isfinite(days)])):
        m = (seg == c) & np.isfinite(days)
        value = float(np.median(days[m]))
        nominal = _nominal_cycle(scenario, [s for s, k in classes.items() if k == c], wr_stage)
        typ = _typical(table, "sales_cycle_days", c)
        d = ()
        if nominal is not None and typ:
            d = (Driver(f"the scenario's elapsed days from {wr_stage} to won add up to {nominal:.0f} days for {c}",
                        _log(nominal, typ)),
                 Driver(f"queues before the closers' steps add {max(0.0, value - nominal):.0f} days",
                        _log(max(value, 1e-9), max(nominal, 1e-9))))
        out.append(Figure("sales_cycle_days", c, c, value, drivers=d))
    return out


COVERAGE_WEEKS = 13  # a quarter


def _coverage(events, leads, scenario: Scenario, wr: int, facts: Facts, table: Table) -> list[Figure]:
    """Open pipeline at the end (list value of the leads still open at or after the win-rate
    stage) / bookings of the last 13 weeks, the quarter's run rate standing in for the next
    quarter's target."""
    weekly = np.asarray(facts.weekly.get("bookings_usd", []), dtype=float)
    if len(weekly) < COVERAGE_WEEKS:
        return []
    quarter = float(weekly[-COVERAGE_WEEKS:].sum())
    if quarter <= 0:
        return []
    stages = scenario.stages
    open_ = leads[leads["outcome"] == "open"]
    adv = events[(events["event"] == "advance") & events["lead"].isin(open_["lead"])]
    last = adv.groupby("lead")["stage"].last().astype(str)
    where = open_["lead"].map(last).fillna(open_["entry_stage"].astype(str))
    idx = where.map({s: i for i, s in enumerate(stages)})
    pipeline = float(open_.loc[(idx >= wr) & (idx < len(stages) - 1), "acv_list_usd"].sum())
    value = pipeline / quarter
    typ = _typical(table, "pipeline_coverage", "all") or 3.5
    why = ("deals sit open long (slow cycles or closers short of time)" if value > typ
           else "deals close or are lost soon after qualifying, so little stands open")
    d = (Driver(f"open pipeline ${pipeline:,.0f} (list value, from {stages[wr]} on) against ${quarter:,.0f} booked "
                f"in the last {COVERAGE_WEEKS} weeks: {why}", _log(value, typ)),)
    return [Figure("pipeline_coverage", "all", "company", value, drivers=d)]


def _nominal_cycle(scenario: Scenario, segments: list[str], wr_stage: str) -> float | None:
    stages = scenario.stages
    if wr_stage not in stages:
        return None
    after = stages[stages.index(wr_stage) + 1:]
    vals = []
    for s in segments:
        steps = scenario.segments[s].steps
        vals.append(sum(float(steps[st].elapsed_days.mean()) for st in after if st in steps))
    return float(np.mean(vals)) if vals else None
