"""The parts every family of benchmark figures shares: a :class:`Figure` with the
:class:`Driver` s that push it, a :class:`Comparison` with its benchmark row, which
benchmark segment a scenario segment reads as (:func:`segment_class`), and small
readings of the scenario and the table (selling time, seat-years, a row's typical value).
See :mod:`sim.metrics.benchmark_figures` for how the figures are measured and compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.benchmarks import ALL, TRUST_MARKS, Benchmark, Table
from sim.records.facts import Facts
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
# a segment holding less than this share of bookings (or ARR) is a sideline: it does not move the
# row a company figure is read against (docs/guide/shipped-scenarios.md#which-row-a-company-figure-reads)
SIDELINE_SHARE = 0.25



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
    # a company figure's segment mix: (benchmark segment, share of bookings or ARR) of this run;
    # compare() reads the figure against the rows of the mix averaged over replications (see mix_row)
    mix: tuple[tuple[str, float], ...] = field(default=(), compare=False)

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
        return b.position(lo) != b.position(hi)  # (within rounding of a bound is on it)

    @property
    def settled(self) -> bool:
        """The replications place the figure on one side of the range: an input, or a measured
        figure with an interval (two replications or more) that crosses no bound."""
        if self.kind != "measured":
            return True
        return self.ci is not None and not self.straddles

    @property
    def run_sd(self) -> float | None:
        """The standard deviation of one replication's figure, read back from the interval
        (``None`` without one)."""
        if self.ci is None or self.n < 2:
            return None
        from scipy import stats

        return (self.ci[1] - self.ci[0]) / 2 * math.sqrt(self.n) / float(stats.t.ppf(0.975, self.n - 1))

    def reps_to_settle(self) -> float:
        """About how many replications in all would settle this figure, from its spread: the
        half-width of a 95% interval shrinks as one over the square root of the replications, so
        it stops crossing the bound nearest the mean at ``n * (half-width / distance)**2`` (the
        t quantile also shrinks with more replications, so this errs high). ``n`` when settled;
        ``inf`` when the spread cannot tell (fewer than two replications) or the mean sits on
        the bound."""
        if self.settled:
            return float(self.n)
        if self.ci is None:
            return math.inf
        lo, hi = self.ci
        b = self.benchmark
        crossed = [x for x in (b.low, b.high) if lo <= x <= hi] or [b.low, b.high]
        gap = min(abs(self.mean - x) for x in crossed)
        if not gap > 0:
            return math.inf
        half = (hi - lo) / 2
        return float(math.ceil(self.n * (half / gap) ** 2))


def log_ratio(a: float, b: float) -> float:
    return math.log(a / b) if a > 0 and b > 0 else 0.0


def segment_class(scenario: Scenario, name: str) -> str:
    """The benchmark segment of a scenario segment: its ``motion`` when the scenario states one
    that names a class (plg, field, strategic: what the author says of how the tier is sold
    outranks what it is called, so a tier named mid_market that sells $250k key-account deals
    one-to-one reads the enterprise rows), else its name, else its list ACV."""
    seg = scenario.segments[name]
    if seg.motion in _MOTION_CLASS:
        return _MOTION_CLASS[seg.motion]
    key = name.lower().replace("-", "_")
    if key in _NAME_CLASS:
        return _NAME_CLASS[key]
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


def selling_said(scenario: Scenario, role: str) -> str:
    """Why a role's selling time is what it is, in the scenario's words."""
    hours = scenario.roles[role].hours_per_week
    said = f"hours_per_week {hours:g}" if hours is not None else "no hours_per_week"
    wm = scenario.work_model
    if wm is None or role not in wm.time_use:
        said += ", no work_model.time_use (every working hour is deal work)"
    else:
        said += ", work_model.time_use leaves the rest of the week to admin, meetings, training, research, travel"
    return said


def seat_years(facts: Facts) -> dict[str, float]:
    from sim.metrics.economics import seat_days_by_week

    days = seat_days_by_week(facts).sum(axis=0)
    return {r: float(d) / DAYS_PER_YEAR for r, d in zip(facts.layout.roles, days, strict=True)}


def typical(table: Table, metric: str, segment: str) -> float | None:
    row = table.get(metric, segment)
    if row is None:
        return None
    return row.typical if row.typical is not None else (row.low + row.high) / 2


def segment_mix(by_segment: dict[str, float], scenario: Scenario) -> tuple[tuple[str, float], ...]:
    """Each benchmark segment's share of ``by_segment`` (bookings or ARR by scenario segment),
    largest first; empty when nothing was booked."""
    acc: dict[str, float] = {}
    for s, v in by_segment.items():
        if s in scenario.segments:
            c = segment_class(scenario, s)
            acc[c] = acc.get(c, 0.0) + float(v or 0.0)
    acc = {c: v for c, v in acc.items() if v > 0}
    total = sum(acc.values())
    return tuple(sorted(((c, v / total) for c, v in acc.items()), key=lambda cv: (-cv[1], cv[0])))


def mix_weights(mix: tuple[tuple[str, float], ...], table: Table, metric: str) -> tuple[tuple[Benchmark, float], ...]:
    """The rows a company figure reads and their weights: the row of each segment of ``mix``
    that holds at least :data:`SIDELINE_SHARE` (the segment's own row, else the ``all`` row),
    segments reading the same row pooled, the shares renormalised and rounded to whole percent
    (so a near-identical mix gives the same row). A segment with no row at all is left out of
    the blend; when the segments left hold under half of the bookings that count, empty (the
    figure is then not checked rather than read against a minority segment's row)."""
    kept = [(c, w) for c, w in mix if w >= SIDELINE_SHARE] or list(mix[:1])
    pooled: dict[tuple[str, str], list] = {}
    for c, w in kept:
        row = table.get(metric, c)
        if row is not None:
            pooled.setdefault((row.metric, row.segment), [row, 0.0])[1] += w
    if 2 * sum(w for _, w in pooled.values()) < sum(w for _, w in kept):
        return ()  # the segments with a row hold under half of the bookings that count
    total = sum(w for _, w in pooled.values())
    if total <= 0:
        return ()
    pct = [(row, round(100 * w / total)) for row, w in pooled.values()]
    pct = [(row, p) for row, p in pct if p > 0]
    scale = sum(p for _, p in pct)
    return tuple((row, p / scale) for row, p in sorted(pct, key=lambda rp: (-rp[1], rp[0].segment)))


def mix_row(mix: tuple[tuple[str, float], ...], table: Table, metric: str) -> tuple[str, Benchmark | None]:
    """The segment label and the row a company figure with segment ``mix`` is read against.

    A segment holding all but sidelines (every other segment under :data:`SIDELINE_SHARE` of
    bookings) gives its own row (else the ``all`` row). Otherwise the row is the
    bookings-weighted blend of the segments' rows (low, typical and high each the weighted
    mean), labelled e.g. ``mid_market 55% + enterprise 45%``: near a 50/50 split the row moves
    a little with the split instead of flipping from one segment's row to the other's. No mix
    (nothing booked): the ``all`` row. Segments with a row holding under half of the bookings
    that count: ``(the largest segment's name, None)``."""
    if not mix:
        return ALL, table.get(metric, ALL)
    weights = mix_weights(mix, table, metric)
    if not weights:
        return mix[0][0], None
    if len(weights) == 1:
        return weights[0][0].segment, weights[0][0]
    label = " + ".join(f"{r.segment} {w:.0%}" for r, w in weights)

    def blend(get) -> float:  # 12 significant digits: equal rows blend to their own bounds exactly
        return float(f"{sum(w * get(r) for r, w in weights):.12g}")

    typ = blend(lambda r: r.typical if r.typical is not None else (r.low + r.high) / 2)
    trusts = [r.trust for r, _ in weights if r.trust]  # the blend is as weak as its weakest row
    trust = max(trusts, key=lambda t: TRUST_MARKS.index(t) if t in TRUST_MARKS else len(TRUST_MARKS)) \
        if trusts else ""
    first = weights[0][0]
    return label, Benchmark(metric, label, blend(lambda r: r.low), blend(lambda r: r.high), typ, first.unit,
                            "blend of " + "; ".join(f"{w:.0%} {r.segment}: {r.cited()}" for r, w in weights),
                            None, trust, "bookings-weighted blend of the segments' rows")


def mix_typical(mix: tuple[tuple[str, float], ...], table: Table, metric: str) -> float | None:
    """The typical value of the row ``mix`` reads (see :func:`mix_row`)."""
    _, row = mix_row(mix, table, metric)
    if row is None:
        return None
    return row.typical if row.typical is not None else (row.low + row.high) / 2


def both(text: str) -> tuple[Driver, Driver]:
    """A scenario value that is the figure itself: it explains it in both directions."""
    return (Driver(text, 1.0), Driver(text, -1.0))


def working_hours_per_month(scenario: Scenario, role: str) -> float:
    """A rep's working hours in a month: the calendar's week (or 40 hours) x weeks a month."""
    from sim.scenario.calendar_spec import week_hours
    from sim.units import WEEKS_PER_MONTH

    cal = scenario.calendar
    if cal is not None:
        cal = cal.merged(scenario.roles[role].calendar)
        return week_hours(cal.days, cal.hours, cal.lunch) * WEEKS_PER_MONTH
    return DEFAULT_WEEKLY_HOURS * WEEKS_PER_MONTH
