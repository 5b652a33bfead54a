"""What differs between the arms of a comparison, before anyone reads its results.

Why: a paired comparison says *that* B beats A, not *why*. Two scenario files
usually differ in more than the one thing the reader has in mind (a process
layer on one side only, a lever priced at $0, a cheaper team), and the
verdict bundles all of it. This module lists, from the resolved scenarios and
the runs alone (pure functions, no printing):

* every resolved scenario key that differs (:func:`scenario_diff`: key path,
  value in A, value in B; a key present on one side only is one line, long
  lists and mappings summarised);
* headcount per role and the planned cost a year of seats and priced process
  levers (:func:`planned_cost`), and the measured total cost of the runs with
  its commissions apart (:func:`cost_rows`);
* process levers (and roles) priced on one side only, or present with price $0
  (:func:`lever_notes`);
* for a comparison declared "equal budget", whether the costs agree within a
  tolerance (:func:`budget_flags`), and :func:`rescale_to_budget`: integer
  headcounts of a scenario whose planned cost matches a target, or an
  explanation of why none does.

``compare`` and ``study`` call it and write ``fairness.md`` next to their
results; the CLI prints it first and the HTML report shows it.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.errors import UsageError
from sim.model.process import LEVERS, process_costs
from sim.scenario.schema import Scenario
from sim.textsafe import code_span, escape_markdown

IGNORED = ("name", "description", "seed")  # labels, and the seed every arm shares under common random numbers
DEFAULT_TOLERANCE = 0.02  # relative gap in cost an "equal budget" comparison may show before it is flagged
INLINE = 60  # longest value shown inline; longer ones are summarised
MAX_LINES = 40  # key differences shown in full; the rest counted


@dataclass(frozen=True)
class KeyDiff:
    """One resolved scenario key that differs: ``path`` (dotted), its value in A and in B (as text)."""

    path: str
    a: str
    b: str


def _short(v: Any) -> str:
    """A value as readable text: scalars as they are, containers inline when short, else summarised."""
    if v is None:
        return "(none)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}" if abs(v) >= 10_000 else str(int(v))
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if isinstance(v, (dict, list)):
        text = json.dumps(v, separators=(", ", ": "), default=str)
        if len(text) <= INLINE:
            return text
        if isinstance(v, dict):
            keys = list(v)
            head = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
            return f"{{{len(keys)} keys: {head}}}"
        return f"[list of {len(v)} items]"
    text = str(v)
    return text if len(text) <= INLINE else text[:INLINE - 3] + "..."


def _diff(x: Any, y: Any, path: str, out: list[KeyDiff]) -> None:
    if x == y:
        return
    if isinstance(x, dict) and isinstance(y, dict) and x.get("dist", None) == y.get("dist", None):
        for k in list(x) + [k for k in y if k not in x]:
            p = f"{path}.{k}" if path else str(k)
            if k not in x:
                out.append(KeyDiff(p, "(absent)", _short(y[k])))
            elif k not in y:
                out.append(KeyDiff(p, _short(x[k]), "(absent)"))
            else:
                _diff(x[k], y[k], p, out)
        return
    if isinstance(x, list) and isinstance(y, list):
        if len(x) == len(y) and x and all(isinstance(i, dict) for i in x + y):
            for i, (a, b) in enumerate(zip(x, y, strict=True)):
                _diff(a, b, f"{path}[{i}]", out)
            return
        a, b = _short(x), _short(y)
        if len(x) == len(y) and a.startswith("[list of"):
            n = sum(1 for i, j in zip(x, y, strict=True) if i != j)
            a, b = f"{a} ({n} differ)", f"{b} ({n} differ)"
        out.append(KeyDiff(path, a, b))
        return
    out.append(KeyDiff(path, _short(x), _short(y)))


def resolved(scenario: Scenario) -> dict:
    """The scenario with every default filled in, as plain data (what the run uses)."""
    return scenario.model_dump(mode="json", by_alias=True)


def scenario_diff(a: Scenario, b: Scenario, ignore: Sequence[str] = IGNORED) -> list[KeyDiff]:
    """Every resolved key whose value differs between ``a`` and ``b``, in the order of ``a``'s
    keys (then ``b``'s). A mapping or list present on one side only is one line; lists of
    mappings of the same length are compared item by item (``timeline[0].week``)."""
    da, db = resolved(a), resolved(b)
    for k in ignore:
        da.pop(k, None)
        db.pop(k, None)
    out: list[KeyDiff] = []
    _diff(da, db, "", out)
    return out


def headcount(scenario: Scenario) -> dict[str, int]:
    """Starting seats per role (roles with unlimited capacity left out: they have no seats)."""
    return {r: spec.headcount for r, spec in scenario.roles.items() if not spec.unlimited_capacity}


def _lever_costs(scenario: Scenario, seats: Mapping[str, int]) -> dict[str, float]:
    """The yearly price of each process lever at the given seats (per-seat prices x covered seats + flat)."""
    roles = list(scenario.roles)
    out = {}
    for line in process_costs(scenario):
        covered = sum(seats.get(roles[i], 0) for i in line.roles)
        out[line.lever] = line.per_seat_usd_per_year * covered + line.flat_usd_per_year
    return out


def planned_cost(scenario: Scenario, seats: Mapping[str, int] | None = None) -> dict[str, float]:
    """Planned cost a year at the starting seats (or ``seats``): ``salaries_usd`` (seats x loaded
    cost), ``levers_usd`` (priced process levers, their ops staff included) and ``total_usd``.
    Commissions, fees and marketing depend on what happens in the run: see :func:`cost_rows`."""
    seats = dict(headcount(scenario) if seats is None else seats)
    salaries = sum(n * scenario.roles[r].loaded_cost_per_year_usd for r, n in seats.items())
    levers = sum(_lever_costs(scenario, seats).values())
    return {"salaries_usd": float(salaries), "levers_usd": float(levers), "total_usd": float(salaries + levers)}


def _lever_state(scenario: Scenario) -> dict[str, float | None]:
    """Each lever's price a year (None when the lever is absent; 0.0 when present and free)."""
    prices = _lever_costs(scenario, headcount(scenario))
    return {name: (None if getattr(scenario.process, name) is None else prices.get(name, 0.0)) for name in LEVERS}


def lever_notes(a: Scenario, b: Scenario, labels: tuple[str, str] = ("A", "B")) -> list[str]:
    """Levers present or priced on one side only, and levers or roles present at price $0 on either
    side: each tilts the comparison towards the side that gets it for nothing."""
    la, lb = labels
    sa, sb = _lever_state(a), _lever_state(b)
    out = []
    for name in LEVERS:
        pa, pb = sa[name], sb[name]
        if pa is None and pb is None:
            continue
        if pa is None or pb is None:
            side, price = (lb, pb) if pa is None else (la, pa)
            other = la if side == lb else lb
            priced = "at price $0 (free by assumption)" if not price else f"priced at ${price:,.0f} a year"
            out.append(f"process.{name} is on {side} only ({other} has none), {priced}")
        elif (pa == 0) != (pb == 0):
            free = la if pa == 0 else lb
            out.append(f"process.{name} is on both sides but priced on one only: $0 on {free}, "
                       f"${max(pa, pb):,.0f} a year on the other")
        elif pa == 0 and pb == 0:
            out.append(f"process.{name} is on both sides at price $0 (free by assumption on both)")
    for side, sc in ((la, a), (lb, b)):
        for r, n in headcount(sc).items():
            if n > 0 and sc.roles[r].loaded_cost_per_year_usd == 0:
                out.append(f"role {r!r} on {side} has {n} seat(s) at $0 a year")
    return out


def cost_rows(means: Mapping[str, Mapping[str, float]], baseline: str) -> list[dict[str, Any]]:
    """Measured costs per arm (means over replications of ``costs.total_usd`` and
    ``costs.commissions_usd``) and the difference to the baseline, total and before commissions."""
    def get(m: Mapping[str, float], k: str) -> float:
        v = m.get(k, math.nan)
        return float(v) if v is not None else math.nan

    base = means[baseline]
    bt, bc = get(base, "costs.total_usd"), get(base, "costs.commissions_usd")
    rows = []
    for lab, m in means.items():
        t, c = get(m, "costs.total_usd"), get(m, "costs.commissions_usd")
        rows.append({"arm": lab, "total_usd": t, "commissions_usd": c, "before_commissions_usd": t - c,
                     "total_diff_usd": t - bt, "before_commissions_diff_usd": (t - c) - (bt - bc),
                     "before_commissions_gap": _gap(t - c, bt - bc)})
    return rows


def _gap(x: float, ref: float) -> float:
    """Relative gap |x - ref| / ref (NaN when undefined)."""
    if math.isnan(x) or math.isnan(ref) or ref == 0:
        return math.nan
    return abs(x - ref) / abs(ref)


def budget_flags(rows: Sequence[Mapping[str, Any]], tolerance: float = DEFAULT_TOLERANCE) -> list[str]:
    """For an arm declared at equal budget: the arms whose cost before commissions (what is
    spent whatever the results: salaries, levers, marketing, fees) differs from the baseline's
    by more than ``tolerance`` (relative). Commissions follow bookings, so they are left out."""
    out = []
    base = rows[0]
    for r in rows[1:]:
        g = r["before_commissions_gap"]
        if not math.isnan(g) and g > tolerance:
            out.append(f"declared equal budget, but {r['arm']}'s cost before commissions differs from "
                       f"{base['arm']}'s by {_signed(r['before_commissions_diff_usd'])} ({g:.1%}, more than the "
                       f"{tolerance:.0%} tolerance)")
    return out


def rescale_to_budget(scenario: Scenario, target_usd: float, tolerance: float = DEFAULT_TOLERANCE,
                      label: str = "the scenario") -> dict[str, int]:
    """Integer starting headcounts near ``scenario``'s, scaled by target / planned cost, whose
    planned cost a year is within ``tolerance`` of ``target_usd``: the combination of each role's
    proportional headcount rounded down, rounded up or one more/less that comes closest to the
    target (ties: the smallest change of seats). A role keeps at least one seat if it had one.
    Raises :class:`UsageError` saying why when no combination is close enough, or when the
    scenario has PODs (their seats are set POD by POD)."""
    if scenario.pods is not None:
        raise UsageError(f"--equal-budget: {label} has PODs, whose seats are set POD by POD; match the budgets "
                         "in the files instead")
    seats = headcount(scenario)
    now = planned_cost(scenario)["total_usd"]
    if target_usd <= 0 or now <= 0:
        raise UsageError(f"--equal-budget: {label} or the baseline has no planned cost (seats x "
                         "loaded_cost_per_year_usd); nothing to match")
    if _gap(now, target_usd) <= tolerance:
        return seats
    ratio = target_usd / now
    options = []
    for n in seats.values():
        x = n * ratio
        lo = 1 if n > 0 else 0
        options.append(sorted({max(lo, v) for v in (math.floor(x) - 1, math.floor(x), math.ceil(x),
                                                     math.ceil(x) + 1)}))
    if math.prod(len(o) for o in options) > 200_000:
        raise UsageError(f"--equal-budget: {label} has too many roles to rescale ({len(seats)}); match the "
                         "budgets in the files instead")
    best: tuple[float, int, dict[str, int]] | None = None
    for combo in itertools.product(*options):
        cand = dict(zip(seats, combo, strict=True))
        gap = _gap(planned_cost(scenario, cand)["total_usd"], target_usd)
        moved = sum(abs(cand[r] - seats[r] * ratio) for r in seats)
        key = (gap, moved, cand)
        if best is None or key[:2] < best[:2]:
            best = key  # type: ignore[assignment]
    assert best is not None  # at least one combination (seats is not empty: planned cost > 0)
    if best[0] > tolerance:
        got = planned_cost(scenario, best[2])["total_usd"]
        raise UsageError(f"--equal-budget: cannot bring {label} (${now:,.0f} a year) to the baseline's "
                         f"${target_usd:,.0f} by whole seats: the closest is "
                         f"{', '.join(f'{r} {n}' for r, n in best[2].items())} at ${got:,.0f} ({best[0]:.1%} "
                         f"away, more than the {tolerance:.0%} tolerance); change the headcounts in the file or "
                         "widen --budget-tolerance")
    return best[2]


def with_headcount(scenario: Scenario, seats: Mapping[str, int]) -> Scenario:
    """``scenario`` with the starting headcounts replaced (validated again)."""
    data = scenario.model_dump(by_alias=True)
    for r, n in seats.items():
        data["roles"][r]["headcount"] = n
    return Scenario.model_validate(data)


# --------------------------------------------------------------------------- the text


def _money(v: float) -> str:
    return "n/a" if math.isnan(v) else f"${v:,.0f}"


def _signed(v: float) -> str:
    return "n/a" if math.isnan(v) else f"{'+' if v >= 0 else '-'}${abs(v):,.0f}"


def pair_lines(a: Scenario, b: Scenario, base: str, lab: str, max_lines: int = MAX_LINES) -> list[str]:
    """Markdown bullets for one pair (labels already escaped): the keys that differ, headcount and
    planned cost, levers priced on one side only."""
    lines = []
    diffs = scenario_diff(a, b)
    if diffs:
        lines += [f"- {code_span(d.path)}: {escape_markdown(d.a)} -> {escape_markdown(d.b)}"
                  for d in diffs[:max_lines]]
        if len(diffs) > max_lines:
            lines.append(f"- ... and {len(diffs) - max_lines} more (diff the resolved scenarios in the output folder)")
        lines.append("")
    ha, hb = headcount(a), headcount(b)
    roles = list(ha) + [r for r in hb if r not in ha]
    lines.append(f"- headcount: {base} {sum(ha.values())} ({', '.join(f'{r} {ha[r]}' for r in ha)}); "
                 f"{lab} {sum(hb.values())} ({', '.join(f'{r} {hb[r]}' for r in hb)}); by role: "
                 + ", ".join(f"{r} {hb.get(r, 0) - ha.get(r, 0):+d}" for r in roles))
    ca, cb = planned_cost(a), planned_cost(b)
    lines.append(f"- planned cost a year (seats and priced levers): {base} {_money(ca['total_usd'])}, {lab} "
                 f"{_money(cb['total_usd'])} ({_signed(cb['total_usd'] - ca['total_usd'])}; levers "
                 f"{_money(ca['levers_usd'])} vs {_money(cb['levers_usd'])})")
    notes = lever_notes(a, b, (base, lab))
    lines += [f"- priced on one side only or free: {n}" for n in notes] or ["- no lever priced on one side only"]
    lines.append("")
    return lines


# the measured cost lines a total is made of (KPI ``costs.<key>``), in the order they are listed
COST_LINES = (("salaries", None), ("commissions", "commissions_usd"), ("hand-off fees", "fees_usd"),
              ("marketing per lead", "marketing_usd"), ("marketing programmes", "marketing_programmes_usd"),
              ("recruiting", "recruiting_usd"), ("process levers", "process_usd"))


def cost_line_diffs(a: Mapping[str, float], b: Mapping[str, float]) -> list[tuple[str, float]]:
    """Where a measured total differs: (cost line, b - a) for each line of :data:`COST_LINES` that
    differs by a dollar or more, largest first (salaries: the sum of ``costs.salaries_by_role_usd.*``;
    a part of the totals' difference no line explains is listed as "other")."""
    def val(m: Mapping[str, float], key: str | None) -> float:
        if key is None:
            return sum(float(v) for k, v in m.items()
                       if k.startswith("costs.salaries_by_role_usd.") and v is not None and not math.isnan(float(v)))
        v = m.get(f"costs.{key}")
        return 0.0 if v is None or math.isnan(float(v)) else float(v)

    out = [(name, val(b, key) - val(a, key)) for name, key in COST_LINES]
    total = val(b, "total_usd") - val(a, "total_usd")
    rest = total - sum(d for _, d in out)
    out.append(("other", rest))
    return sorted([(n, d) for n, d in out if abs(d) >= 1.0], key=lambda x: -abs(x[1]))


def _measured_lines(means: Mapping[str, Mapping[str, float]], base: str) -> list[str]:
    lines = []
    for r in cost_rows(means, base):
        diff = "" if r["arm"] == base else (f"; vs {base}: total {_signed(r['total_diff_usd'])}, before "
                                            f"commissions {_signed(r['before_commissions_diff_usd'])}")
        lines.append(f"- {r['arm']}: total {_money(r['total_usd'])} (commissions "
                     f"{_money(r['commissions_usd'])}){diff}")
        if r["arm"] != base:
            parts = cost_line_diffs(means[base], means[r["arm"]])
            lines.append(f"  - where {r['arm']}'s total differs from {base}'s: "
                         + (", ".join(f"{n} {_signed(d)}" for n, d in parts) if parts else "nowhere"))
    return lines


def report_lines(scenarios: Sequence[Scenario], labels: Sequence[str],
                 means: Mapping[str, Mapping[str, float]] | None = None, *, equal_budget: bool = False,
                 tolerance: float = DEFAULT_TOLERANCE, rescaled: Mapping[str, Mapping[str, int]] | None = None,
                 max_lines: int = MAX_LINES) -> list[str]:
    """The fairness block of a comparison as Markdown lines: per challenger, the keys that differ
    from the baseline, headcount and planned cost, levers priced on one side only; then the
    measured costs (when ``means`` are given) and, for an equal-budget comparison, the flags."""
    shown = [escape_markdown(x) for x in labels]
    base, a = shown[0], scenarios[0]
    lines = ["## What differs between the arms", ""]
    if rescaled:
        for lab, seats in rescaled.items():
            lines.append(f"- --equal-budget: {escape_markdown(lab)}'s headcount set to "
                         f"{', '.join(f'{r} {n}' for r, n in seats.items())} to match {base}'s planned cost")
        lines.append("")
    for lab, b in zip(shown[1:], scenarios[1:], strict=True):
        lines.append(f"### {lab} against {base}: {len(scenario_diff(a, b))} resolved key(s) differ")
        lines.append("")
        lines += pair_lines(a, b, base, lab, max_lines)
    if means is not None:
        lines += ["### Measured cost over the horizon (mean of the replications)", ""]
        lines += _measured_lines({escape_markdown(k): v for k, v in means.items()}, base)
        if equal_budget:
            rows = cost_rows(means, labels[0])
            lines.append("")
            lines += [f"- **FLAG**: {escape_markdown(x)}" for x in budget_flags(rows, tolerance)] or [
                f"- declared equal budget: costs before commissions agree within {tolerance:.0%}"]
        lines.append("")
    return lines


# --------------------------------------------------------------------------- factorial studies


def factor_pairs(cells: Sequence[Mapping[str, str]], factors: Mapping[str, Sequence[str]]
                 ) -> list[tuple[str, int, int]]:
    """For each factor and each level after its first: (factor, i, j), cells ``i`` (the factor at
    its reference level) and ``j`` (at that level) alike in every other factor, other factors at
    their reference levels when the design has that pair (else the first pair it has)."""
    out = []
    for f, levels in factors.items():
        for lv in levels[1:]:
            for i, c in enumerate(cells):
                if c[f] != levels[0]:
                    continue
                want = {**c, f: lv}
                j = next((k for k, d in enumerate(cells) if dict(d) == want), None)
                if j is not None:
                    out.append((f, i, j))
                    break
    return out


def equal_budget_groups(cells: Sequence[Mapping[str, str]], declared: Sequence[tuple[str, str, Sequence[str]]]
                        ) -> list[tuple[str, list[int]]]:
    """The groups of cells declared to cost the same: for each (factor, level, across), the cells
    at that level, grouped by every factor not in ``across`` (and not the declaring one): a group
    of two or more cells differs only in the ``across`` factors. Returns (title, cell indices)."""
    out = []
    for f, lv, across in declared:
        groups: dict[tuple, list[int]] = {}
        for i, c in enumerate(cells):
            if c.get(f) == lv:
                key = tuple((g, v) for g, v in c.items() if g not in across and g != f)
                groups.setdefault(key, []).append(i)
        for key, idx in groups.items():
            if len(idx) > 1:
                rest = ", ".join(f"{g}={v}" for g, v in key)
                out.append((f"{f}={lv} across {', '.join(across)}" + (f" ({rest})" if rest else ""), idx))
    return out


def study_lines(scenarios: Sequence[Scenario], cells: Sequence[Mapping[str, str]],
                factors: Mapping[str, Sequence[str]], means: Sequence[Mapping[str, float]],
                declared: Sequence[tuple[str, str, Sequence[str]]] = (), tolerance: float = DEFAULT_TOLERANCE,
                max_lines: int = MAX_LINES) -> list[str]:
    """The fairness block of a factorial study as Markdown lines: for each factor, what differs
    between its reference level and each other level (one pair of cells alike elsewhere), the
    measured costs of the pair, and the flags of the levels declared ``equal_budget``."""
    def label(i: int) -> str:
        return escape_markdown(", ".join(f"{g}={v}" for g, v in cells[i].items()))

    lines = ["## What differs between the arms", ""]
    for f, i, j in factor_pairs(cells, factors):
        a, b = escape_markdown(cells[i][f]), escape_markdown(cells[j][f])
        others = ", ".join(f"{g}={v}" for g, v in cells[i].items() if g != f)
        lines.append(f"### {f}: {b} against {a}" + (f" (at {escape_markdown(others)})" if others else "")
                     + f": {len(scenario_diff(scenarios[i], scenarios[j]))} resolved key(s) differ")
        lines.append("")
        lines += pair_lines(scenarios[i], scenarios[j], a, b, max_lines)
        lines += _measured_lines({a: means[i], b: means[j]}, a)
        lines.append("")
    for title, idx in equal_budget_groups(cells, declared):
        rows = cost_rows({label(i): means[i] for i in idx}, label(idx[0]))
        lines.append(f"### Declared equal budget: {escape_markdown(title)}")
        lines.append("")
        lines += [f"- {r['arm']}: cost before commissions {_money(r['before_commissions_usd'])}" for r in rows]
        lines += [f"- **FLAG**: {x}" for x in budget_flags(rows, tolerance)] or [
            f"- costs before commissions agree within {tolerance:.0%}"]
        lines.append("")
    return lines
