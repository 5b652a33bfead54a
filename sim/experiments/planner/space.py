"""What the capacity planner may change, and what it must reach.

Why a module of its own: the search (:mod:`.search`) works on
integer *level indices* only -- candidate ``(2, 0, 3)`` means "third level of
the first variable, ..." -- so one search handles whole-numbered headcounts,
numeric parameters on a STEP grid and hiring plans alike. This module turns
indices into scenarios and ``--set`` lines, and turns a replication's KPIs
(and weekly series) into the values the targets are checked against.

Decision variables (``--vary``, parsed and counted in :mod:`.vary`):
``key.path=LOW:HIGH[:STEP]`` for any scenario value (whole levels for a key
the scenario format types as a whole number), and ``hires.ROLE.qN=LOW:HIGH``
for a hiring plan: ROLE reps hired at the start of quarter N (week
``13 * (N - 1)``), added to the scenario's ``timeline`` as ``hire`` events
(so they ramp, can leave, and cost salary from their hire date only). The
number of plans is an exact Python integer (seven variables of 1000 levels
are 10^21 plans, not an overflowed int64).

Targets (``--target KPI>=VALUE`` or ``KPI<=VALUE``) are read from the
replication's KPIs; with ``--by-week W`` a KPI that has a weekly series is
read at the end of week W instead (flows such as ``bookings_usd`` or
``arr_new_usd`` summed over weeks ``0..W-1``, stocks such as ``arr_usd`` taken
at week W), and ``--by-week A:B`` reads the window from the end of week A to
the end of week B (e.g. new ARR in year 2: ``arr_new_usd`` with ``52:104``).
A target may carry its own week (``arr_usd>=1e6@26``): quarterly milestones.
"""

from __future__ import annotations

import copy
import math
import operator
import re
from dataclasses import dataclass, field

import numpy as np

from sim.errors import ArgumentError, Located, ScenarioError, UsageError
from sim.experiments.montecarlo.stats import did_you_mean, parse_target
from sim.experiments.planner.vary import (  # noqa: F401  (re-exported)
    DEFAULT_LEVELS,
    MAX_LEVELS,
    WEEKS_PER_QUARTER,
    Var,
    count_text,
    parse_var,
    shown,
    whole_key,
)
from sim.scenario.loader import apply_overrides, validate_data
from sim.scenario.schema import Scenario

MAX_TARGET = 1e15
"""Largest size of a target's threshold: a scenario's numbers are at most 1e12
(:data:`sim.scenario.base.MAX_MAGNITUDE`), so a threshold a thousand times
that is a typo, and a search for it would spend the whole budget to say so."""
OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
# Scalar KPIs whose weekly series has another name.
WEEKLY_ALIASES = {"arr_end_usd": "arr_usd", "mrr_end_usd": "mrr_usd", "customers_end": "customers",
                  "costs.total_usd": "cost_usd", "recognized_revenue_usd": "revenue_usd",
                  "cash_collected_usd": "cash_usd", "leads_created": "created", "leads_won": "won",
                  "leads_lost": "lost"}
# Weekly columns that are levels at the week's end (the rest are flows within the week).
_STOCKS = ("arr_usd", "mrr_usd", "customers")
_STOCK_PREFIXES = ("pipeline_", "queue_")


@dataclass(frozen=True)
class Target:
    """``kpi op value``, read at the horizon's end or over a week window."""

    kpi: str
    op: str
    value: float
    window: tuple[int, int] | None = None  # (from week, to week), end of week
    weekly: str | None = None  # the weekly column read over the window

    @property
    def column(self) -> str:
        """The name of the value this target reads in a replication's row."""
        if self.window is None:
            return self.kpi
        a, b = self.window
        return f"{self.kpi}@{b}" if a == 0 else f"{self.kpi}@{a}:{b}"

    def label(self) -> str:
        return f"{self.column}{self.op}{self.value:g}"

    def met(self, x: np.ndarray) -> np.ndarray:
        """Which values meet the target (NaN never does)."""
        return OPS[self.op](np.asarray(x, dtype=float), self.value)


@dataclass
class Space:
    """The decision variables over a base scenario."""

    base: dict = field(repr=False)  # the raw mapping after extends and --set
    origins: dict = field(repr=False)
    file: str
    variables: list[Var]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v.levels) for v in self.variables)

    @property
    def size(self) -> int:
        """How many plans: an exact Python integer (a product of level counts overflows int64)."""
        return math.prod(self.shape)

    def values(self, key: tuple[int, ...]) -> dict[str, float | int]:
        return {v.name: v.value(i) for v, i in zip(self.variables, key, strict=True)}

    def set_lines(self, key: tuple[int, ...]) -> list[str]:
        """The plan as ``--set`` overrides, ready to paste (hires become one ``timeline`` line)."""
        lines = [f"{v.path}={_text(v.value(i))}" for v, i in zip(self.variables, key, strict=True)
                 if not v.is_hire]
        if any(v.is_hire for v in self.variables):
            lines.append("timeline=" + _flow_yaml(self._timeline(key)))
        return lines

    def _timeline(self, key: tuple[int, ...]) -> list[dict]:
        events = list(copy.deepcopy(self.base.get("timeline") or []))
        for v, i in zip(self.variables, key, strict=True):
            count = int(v.value(i))
            if v.is_hire and count > 0 and v.quarter is not None:  # a hire variable has its quarter
                events.append({"week": WEEKS_PER_QUARTER * (int(v.quarter) - 1), "action": "hire",
                               "role": v.role, "count": count})
        return events

    def scenario(self, key: tuple[int, ...]) -> Scenario:
        """The validated scenario of a candidate (a bad value is reported naming the plan)."""
        sets = [s for s in self.set_lines(key) if not s.startswith("timeline=")]
        try:
            where = dict(self.origins)
            data = apply_overrides(copy.deepcopy(self.base), sets, where)
            flags = {f"--set {line}": f"--vary {v.text or v.path}"
                     for line, v in zip(sets, [v for v in self.variables if not v.is_hire], strict=True)}
            where.update({k: (flags.get(f, f), n) for k, (f, n) in where.items()})  # a value --vary set
            if any(v.is_hire for v in self.variables):
                data["timeline"] = self._timeline(key)
                first = len(self.base.get("timeline") or [])
                hires = [v for v, i in zip(self.variables, key, strict=True) if v.is_hire and int(v.value(i)) > 0]
                where.update({("timeline", first + j): (f"--vary {v.text or v.path}", None)
                              for j, v in enumerate(hires)})
            return validate_data(data, where, self.file)
        except ScenarioError as exc:
            label = ", ".join(f"{k}={_text(x)}" for k, x in self.values(key).items())
            raise ScenarioError([Located(q.file, q.line, q.path, f"{q.message} -- in the plan {label}")
                                 for q in exc.problems]) from None

    def check(self) -> None:
        """Validate the corners of the space before anything runs: every variable at its lowest
        level, then each variable alone at its highest (a bad path, or a top level the scenario
        format refuses -- 20000 hires, a probability of 2 -- fails now, not mid-search)."""
        low = tuple(0 for _ in self.variables)
        self.scenario(low)
        for i, v in enumerate(self.variables):
            if len(v.levels) > 1:
                self.scenario(low[:i] + (len(v.levels) - 1,) + low[i + 1:])


def _text(v: float | int) -> str:
    if isinstance(v, int):
        return str(v)
    return np.format_float_positional(float(v), unique=True, trim="0")


def _flow_yaml(events: list[dict]) -> str:
    items = ", ".join("{" + ", ".join(f"{k}: {_text(x) if isinstance(x, int | float) else x}"
                                      for k, x in e.items()) + "}" for e in events)
    return f"[{items}]"


def _g(x: float) -> str:
    return f"{x:g}".replace("e+", "e")


def make_space(base_data: dict, origins: dict, file: str, base: Scenario, vary: list[str]) -> Space:
    if not vary:
        raise UsageError("plan needs at least one --vary key.path=LOW:HIGH[:STEP] (e.g. roles.ae.headcount=1:6:1)")
    variables = [parse_var(t, base, base_data) for t in vary]
    seen = [v.path for i, v in enumerate(variables) if v.path in [w.path for w in variables[:i]]]
    if seen:
        raise UsageError(f"--vary {seen[0]}: given twice (one --vary per key)")
    if any(v.is_hire for v in variables) and "timeline" in {v.path.split(".")[0] for v in variables}:
        raise UsageError("--vary: a hiring plan (hires.ROLE.qN) and timeline.* values cannot be varied together")
    return Space(base_data, origins, file, variables)


def parse_window(text: str | None, horizon: float, flag: str | None = None) -> tuple[int, int] | None:
    """``--by-week W`` or ``A:B`` -> (A, B) in whole weeks within the horizon (``flag``: how
    errors name the value, ``--by-week W`` by default; a target's own ``@W`` names the target)."""
    if text is None:
        return None
    text = str(text)
    head = flag or f"--by-week {shown(text)}"
    parts = text.split(":")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise UsageError(f"{head}: expected a whole week W or a window A:B, e.g. 52 or 52:104") from None
    a, b = (0, nums[0]) if len(nums) == 1 else (nums[0], nums[1]) if len(nums) == 2 else (-1, -1)
    if not 0 <= a < b:
        raise UsageError(f"{head}: expected W >= 1, or A:B with 0 <= A < B")
    if b > horizon:
        raise UsageError(f"{head}: week {b} is after the {horizon:g}-week horizon (raise it with --weeks)")
    return a, b


def make_targets(texts: list[str], window: tuple[int, int] | None, kpis: list[str] | None,
                 weekly: list[str] | None, horizon: float) -> list[Target]:
    """Parse ``--target``s and check their KPIs against what a run reports.

    A target may carry its own week or window after ``@`` (``arr_usd>=1e6@26``,
    ``arr_new_usd>=2e6@52:104``), which takes precedence over ``--by-week``:
    quarterly milestones are several targets at different weeks."""
    if not texts:
        raise UsageError("plan needs at least one --target KPI>=VALUE (or KPI<=VALUE)")
    out = []
    for text in texts:
        if not isinstance(text, str):
            raise UsageError(f"--target {text!r}: expected KPI>=VALUE or KPI<=VALUE text")
        own = re.fullmatch(r"(.*)@\s*([0-9:]+)\s*", text)
        window_t = window if own is None else parse_window(own.group(2), horizon, f"--target {text}")
        try:
            kpi, op, value = parse_target(text if own is None else own.group(1))
        except ArgumentError as exc:
            raise UsageError(f"--target {shown(text)}: {exc.message}") from None
        if abs(value) > MAX_TARGET:
            raise UsageError(f"--target {shown(text)}: {_g(value)} is beyond any value a run reports "
                             f"(a threshold must be at most {_g(MAX_TARGET)} in size)")
        col = None
        if window_t is not None and weekly is not None:
            col = kpi if kpi in weekly else WEEKLY_ALIASES.get(kpi)
            if col is None or col not in weekly:
                raise UsageError(f"--target {text}: {kpi} has no weekly series, so --by-week cannot read it; "
                                 f"weekly series: {', '.join(weekly)}")
        elif kpis is not None and kpi not in kpis:
            raise UsageError(f"--target {kpi}: no such KPI{did_you_mean(kpi, kpis)}")
        out.append(Target(kpi, op, value, window_t, col))
    return out


def window_value(weekly, column: str, window: tuple[int, int]):
    """Per replication: the weekly ``column`` over the window (flows summed, stocks differenced)."""
    a, b = window
    grid = weekly.pivot_table(index="rep", columns="week", values=column, aggfunc="first").sort_index(axis=1)
    values = grid.to_numpy(dtype=float)
    stock = column in _STOCKS or column.startswith(_STOCK_PREFIXES)
    if stock:
        end = values[:, b - 1]
        start = values[:, a - 1] if a > 0 else 0.0
        out = end - start if a > 0 else end
    else:
        out = values[:, a:b].sum(axis=1)
    return dict(zip(grid.index.to_numpy(), out, strict=True))
