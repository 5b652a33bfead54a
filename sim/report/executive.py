"""The executive summary that opens every report, and the assumption sheet it links to.

Why: a revenue leader opens a report to learn the answer, not to read its
evidence first. Each kind of report therefore opens with the answer in one
sentence with its interval, the three or four numbers that matter for that
kind of result, what drives it, and a link to the assumption sheet (every
input of the scenario with its provenance, :mod:`sim.report.assumptions`) at
the end of the page. Everything here reads the folder's own files; nothing
runs again. Each ``*_summary`` function returns a :class:`Summary` that
:func:`add_summary` draws first on the page (see :class:`~sim.report.html.Page`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.report.assumptions import ASSUMED, BENCHMARK, FITTED, KIND_TEXT, KINDS, YOURS, counts, differences, inputs
from sim.report.html import Page
from sim.report.text import fmt_ci, fmt_kpi, pct

SHEET_TITLE = "Assumption sheet"
SHEET_ANCHOR = "assumption-sheet"
RETENTION = ("grr_trailing_12m", "nrr_trailing_12m")


@dataclass
class Figure:
    """One number of the summary: a label, its value, its interval (or a word on why there is none)."""

    label: str
    value: str
    interval: str = ""
    tone: str = ""  # "good", "bad" or "" (a change coloured by whether it helps the KPI)


@dataclass
class Summary:
    answer: str
    figures: list[Figure] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)
    sheet: str = ""  # one line on the assumption sheet (counts by provenance)


def _f(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _n(x: Any) -> str:
    v = _f(x)
    return "?" if not math.isfinite(v) else f"{int(v)}"


def _tone(kpi: str, low: float, high: float) -> str:
    """Good or bad when the whole interval of a change is on one side of zero, for a KPI with a direction."""
    from sim.metrics.registry import better_of

    sign = better_of(kpi)
    if not sign or math.isnan(low) or math.isnan(high) or low <= 0 <= high:
        return ""
    return "good" if (low > 0) == (sign > 0) else "bad"


def sheet_line(rows) -> str:
    if not rows:
        return "The folder keeps no scenario to list the inputs of."
    n = counts(rows)
    return (f"{sum(n.values())} inputs: {n[YOURS]} yours, {n[FITTED]} fitted from data, "
            f"{n[BENCHMARK]} from published benchmarks, {n[ASSUMED]} assumed by salesim.")


# --------------------------------------------------------------------------- drawing


def add_summary(page: Page, s: Summary) -> None:
    """Draw ``s`` as the page's opening block (before the contents and every section)."""
    page.lead(s.answer, [(f.label, f.value, f.interval, f.tone) for f in s.figures], s.drivers,
              s.sheet, f"#{SHEET_ANCHOR}")


def sheet_rows(scenario: Any, overrides: Sequence[str] = ()) -> list:
    """The inputs of ``scenario`` with their provenance (none without a scenario)."""
    return [] if scenario is None else inputs(scenario, overrides)


def add_sheet(page: Page, scenario: Any, rows: list, label: str = "",
              others: Sequence[tuple[str, Any]] = ()) -> None:
    """The assumption sheet at the end of the page: every input of ``scenario`` with its provenance
    (``rows``, from :func:`sheet_rows`), and, with ``others`` (name, Scenario), the keys whose values
    differ between the scenarios."""
    page.heading(SHEET_TITLE)
    if scenario is None:
        page.para("The folder keeps no scenario to list the inputs of.", "note")
        return
    page.para(f"Every input of the scenario{f' {label}' if label else ''} as run, with where it came from. "
              + sheet_line(rows))
    page.table(["provenance", "meaning"], [[k, KIND_TEXT[k]] for k in KINDS])
    if others:
        diff = differences([(label or "first", scenario), *others])
        if diff:
            page.table(["key", label or "first", *(n for n, _ in others)], diff,
                       caption="What differs between the scenarios")
    for kind in KINDS:
        mine = [r for r in rows if r.kind == kind]
        if not mine:
            continue
        body = [[r.key, r.value, r.note] for r in mine]
        title = f"{kind} ({len(mine)})"
        if kind == ASSUMED:
            page.table(["key", "value", "benchmark range, where the table has one"], body, summary=title)
        else:
            page.table(["key", "value", "source" if kind == BENCHMARK else "note"], body, caption=title)


# --------------------------------------------------------------------------- run


def run_summary(k: dict, bottlenecks: list, rows: list) -> Summary:
    """One run: ARR (or bookings), GRR/NRR, cost per $1 of ARR, the bottleneck; a single draw has no interval."""
    weeks = f"{_f(k.get('horizon_weeks')):g} weeks"
    no_ci = "one draw: no interval (salesim batch gives one)"
    if "arr_end_usd" in k:
        arr, won = fmt_kpi("arr_end_usd", k["arr_end_usd"]), fmt_kpi("leads_won", k.get("leads_won"))
        answer = (f"{k.get('scenario', 'The scenario')} ends its {weeks} with {arr} of ARR from {won} deals won, "
                  f"in one run (seed {k.get('seed')}): one draw, so no interval; salesim batch gives one.")
        figures = [Figure("ARR at the end", fmt_kpi("arr_end_usd", k["arr_end_usd"]), no_ci)]
    else:
        answer = (f"{k.get('scenario', 'The scenario')} books {fmt_kpi('bookings_usd', k.get('bookings_usd'))} "
                  f"over {weeks} in one run (seed {k.get('seed')}): one draw, so no interval; salesim batch gives one.")
        figures = [Figure("bookings", fmt_kpi("bookings_usd", k.get("bookings_usd")), no_ci)]
    if any(x in k for x in RETENTION):
        grr, nrr = _f(k.get("grr_trailing_12m")), _f(k.get("nrr_trailing_12m"))
        if math.isnan(grr) and math.isnan(nrr):
            figures.append(Figure("GRR / NRR (trailing 12 months)", "not yet",
                                  "no renewal was due yet: the run is too short"))
        else:
            figures.append(Figure("GRR / NRR (trailing 12 months)", f"{pct(grr, '.0%')} / {pct(nrr, '.0%')}"))
    if "cost_per_arr_usd" in k:
        figures.append(Figure("cost per $1 of ARR", fmt_kpi("cost_per_arr_usd", k["cost_per_arr_usd"])))
    if bottlenecks:
        b = bottlenecks[0]
        util = f"utilization {pct(b.utilization, '.0%')}" if b.utilization is not None else ""
        figures.append(Figure("bottleneck", b.role, ", ".join(x for x in (util, *b.reasons) if x)))
    else:
        figures.append(Figure("bottleneck", "none flagged", "no role at 95% or with a growing queue"))
    drivers = []
    for b in bottlenecks[:2]:
        waits = f"; {b.open_leads} leads still waiting in {', '.join(b.stages)}" if b.stages and b.open_leads else ""
        drivers.append(f"{b.role} holds the funnel back ({', '.join(b.reasons)}){waits}.")
    roles = k.get("roles") or {}
    busiest = max(((r, _f(v.get("utilization"))) for r, v in roles.items() if isinstance(v, dict)),
                  key=lambda x: -1 if math.isnan(x[1]) else x[1], default=None)
    if not bottlenecks and busiest is not None and not math.isnan(busiest[1]):
        drivers.append(f"The busiest role is {busiest[0]} at {pct(busiest[1], '.0%')} utilization: capacity is "
                       "not what limits this run; demand and conversion are.")
    stages = [s for s in k.get("stages", []) if isinstance(s, dict) and not math.isnan(_f(s.get("conversion")))]
    if stages:
        worst = min(stages, key=lambda s: _f(s["conversion"]))
        drivers.append(f"The funnel loses most at {worst['stage']}: {pct(worst['conversion'], '.0%')} of the leads "
                       "that leave it move on.")
    churned, new = _f(k.get("arr_churned_usd")), _f(k.get("arr_new_usd"))
    if new > 0 and churned > 0:
        drivers.append(f"Churned ARR ({fmt_kpi('arr_churned_usd', churned)}) takes back "
                       f"{pct(churned / new, '.0%')} of the new ARR ({fmt_kpi('arr_new_usd', new)}).")
    return Summary(answer, figures, drivers, sheet_line(rows))


# --------------------------------------------------------------------------- batch


def _stat(s, key: str) -> tuple[str, str] | None:
    if s is None or key not in s.index:
        return None
    r = s.loc[key]
    lo = next(c for c in s.columns if c.endswith("_low"))
    hi = next(c for c in s.columns if c.endswith("_high"))
    return fmt_ci(key, r["mean"], r[lo], r[hi])


def batch_summary(name: str, s, targets, rows: list) -> Summary:
    """A batch: the mean ARR with its 95% interval and the spread of the replications."""
    key = "arr_end_usd" if s is not None and "arr_end_usd" in s.index else "bookings_usd"
    label = "ARR at the end" if key == "arr_end_usd" else "bookings"
    figures = []
    if s is None or key not in s.index:
        answer = f"{name}: no summary yet (the batch has not finished; run it again with --resume)."
    else:
        mean, ci = _stat(s, key) or ("-", "")
        r = s.loc[key]
        answer = (f"Over {_n(r['n'])} replications, {name} ends with a mean {label} of {mean} (95% CI {ci}); "
                  f"90% of the replications fall between {fmt_kpi(key, r['p5'])} and {fmt_kpi(key, r['p95'])}.")
        figures.append(Figure(label, mean, f"95% CI {ci}"))
    for k2, lab in (("grr_trailing_12m", "GRR (trailing 12 months)"), ("nrr_trailing_12m", "NRR (trailing 12 months)")):
        st = _stat(s, k2)
        if st:
            figures.append(Figure(lab, st[0], f"95% CI {st[1]}"))
            break
    st = _stat(s, "cost_per_arr_usd")
    if st:
        figures.append(Figure("cost per $1 of ARR", st[0], f"95% CI {st[1]}"))
    drivers = []
    if s is not None:
        util = [(i.split(".")[1], _f(s.loc[i, "mean"])) for i in s.index
                if i.startswith("roles.") and i.endswith(".utilization") and i.count(".") == 2]
        util = [u for u in util if not math.isnan(u[1])]
        if util:
            role, u = max(util, key=lambda x: x[1])
            figures.append(Figure("busiest role", role, f"mean utilization {pct(u, '.0%')}"))
            drivers.append(f"{role} is the busiest role (mean utilization {pct(u, '.0%')})"
                           + (": at or near capacity, it limits the funnel." if u >= 0.9 else
                              "; no role is at capacity, so demand and conversion set the result."))
    if targets is not None and len(targets):
        for _, t in targets.iterrows():
            drivers.append(f"P({t['kpi']} {t['op']} {fmt_kpi(t['kpi'], t['target'])}) = {pct(t['probability'], '.0%')} "
                           f"(95% interval {pct(t['ci_low'], '.0%')} to {pct(t['ci_high'], '.0%')}).")
    return Summary(answer, figures, drivers, sheet_line(rows))


# --------------------------------------------------------------------------- compare


def compare_summary(base: str, names: list[str], paired, diffs: list[list[str]], rows: list) -> Summary:
    """A paired comparison: the change in ARR (or bookings) with its interval, then retention and cost."""
    lab = names[1] if len(names) > 1 else base
    p = paired[paired["scenario"] == lab].set_index("kpi")
    key = "arr_end_usd" if "arr_end_usd" in p.index else "bookings_usd"
    figures = []

    def change(k: str, label: str) -> Figure | None:
        if k not in p.index or not p.loc[k, "n"]:
            return None
        r = p.loc[k]
        v, ci = fmt_ci(k, r["diff"], r["diff_ci_low"], r["diff_ci_high"])
        sign = "+" if _f(r["diff"]) > 0 else ""
        return Figure(f"change in {label}", sign + v, f"95% CI {ci}",
                      _tone(k, _f(r["diff_ci_low"]), _f(r["diff_ci_high"])))

    main = change(key, "ARR at the end" if key == "arr_end_usd" else "bookings")
    if main is None:
        answer = f"{lab} against {base}: no paired result for {key}."
    else:
        r = p.loc[key]
        lo, hi = _f(r["diff_ci_low"]), _f(r["diff_ci_high"])
        verdict = ("higher" if lo > 0 else "lower" if hi < 0 else "not distinguishable from no change")
        answer = (f"{lab} against {base}: {main.label.removeprefix('change in ')} changes by {main.value} "
                  f"({main.interval}) over {_n(r['n'])} paired replications: {verdict}.")
        figures.append(main)
    for k2, label in (("grr_trailing_12m", "GRR"), ("nrr_trailing_12m", "NRR"), ("cost_per_arr_usd",
                                                                               "cost per $1 of ARR")):
        f = change(k2, label)
        if f is not None and (label != "NRR" or not any(x.label == "change in GRR" for x in figures)):
            figures.append(f)
    drivers = []
    if diffs:
        shown = "; ".join(f"{d[0]}: {' -> '.join(d[1:])}" for d in diffs[:5])
        drivers.append(f"What differs between the scenarios ({len(diffs)} keys): {shown}"
                       + ("; the rest on the assumption sheet." if len(diffs) > 5 else "."))
    drivers.append("Every scenario ran with the same replication seeds (common random numbers), so each "
                   "difference carries the effect of what changed, not luck.")
    return Summary(answer, figures[:4], drivers, sheet_line(rows))


# --------------------------------------------------------------------------- sweep


def sweep_summary(params: list[str], tornado, rows: list) -> Summary:
    figures, drivers = [], []
    if tornado is None or not len(tornado):
        return Summary(f"Sweep over {', '.join(params)}: no tornado yet (one-at-a-time swings need a grid or "
                       "one-at-a-time design).", [], [], sheet_line(rows))
    t = tornado.assign(_abs=tornado["swing"].abs()).sort_values("_abs", ascending=False)
    metric = str(t["metric"].iloc[0])
    top = t.iloc[0]
    v, ci = fmt_ci(metric, top["swing"], top["swing_ci_low"], top["swing_ci_high"])
    answer = (f"{metric} moves most with {top['param']}: from {top['low']:g} to {top['high']:g} it changes by "
              f"{v} (95% CI {ci}).")
    for _, r in t.head(3).iterrows():
        v, ci = fmt_ci(metric, r["swing"], r["swing_ci_low"], r["swing_ci_high"])
        figures.append(Figure(f"swing of {r['param']}", v, f"95% CI {ci}",
                              _tone(metric, _f(r["swing_ci_low"]), _f(r["swing_ci_high"]))))
    drivers.append("Parameters in order of how far they move " + metric + ": "
                   + ", ".join(str(p) for p in t["param"]) + ".")
    return Summary(answer, figures, drivers, sheet_line(rows))


# --------------------------------------------------------------------------- factorial study


def study_summary(name: str, effects, variance, rows: list) -> Summary:
    if effects is None or not len(effects):
        return Summary(f"{name}: no effects yet (the study has not finished; run it again with --resume).",
                       [], [], sheet_line(rows))
    kpi = str(effects["kpi"].iloc[0])
    e = effects[(effects["kpi"] == kpi)]
    e = e.assign(_abs=e["estimate"].abs()).sort_values("_abs", ascending=False)

    def what(r) -> str:
        ref = r.get("reference")
        base = f"{r['factor']} = {r['level']}" + (f" instead of {ref}" if isinstance(ref, str) and ref else "")
        if isinstance(r.get("factor_b"), str) and r["factor_b"]:
            base = f"{r['factor']} = {r['level']} with {r['factor_b']} = {r['level_b']} (interaction)"
        return base

    top = e.iloc[0]
    v, ci = fmt_ci(kpi, top["estimate"], top["ci_low"], top["ci_high"])
    lo, hi = _f(top["ci_low"]), _f(top["ci_high"])
    resolved = "resolved" if (lo > 0 or hi < 0) else "not resolved: it could be zero"
    answer = f"The largest effect on {kpi} in {name}: {what(top)} changes it by {v} (95% CI {ci}), {resolved}."
    figures = []
    for _, r in e.head(3).iterrows():
        v, ci = fmt_ci(kpi, r["estimate"], r["ci_low"], r["ci_high"])
        figures.append(Figure(what(r), v, f"95% CI {ci}", _tone(kpi, _f(r["ci_low"]), _f(r["ci_high"]))))
    drivers = []
    if variance is not None and len(variance):
        v = variance[(variance["kpi"] == kpi) & (variance["share"] > 0)].sort_values("share", ascending=False)
        if len(v):
            drivers.append(f"Of the variation of {kpi}, " + "; ".join(f"{r['source']} explains {pct(r['share'], '.0%')}"
                                                                    for _, r in v.head(4).iterrows()) + ".")
    kpis = list(dict.fromkeys(effects["kpi"]))
    if len(kpis) > 1:
        drivers.append(f"Also measured: {', '.join(kpis[1:])} (their effects below).")
    return Summary(answer, figures, drivers, sheet_line(rows))


# --------------------------------------------------------------------------- plan


def plan_summary(doc: dict, rows: list) -> Summary:
    obj = doc["objective"]
    goal = " and ".join(doc["targets"])
    need = pct(doc["probability_required"], ".0%")
    rec = doc.get("recommended")
    figures, drivers = [], []

    def p_fig(label: str, r: dict) -> Figure:
        return Figure(label, pct(r.get("probability"), ".0%"),
                      f"95% interval {pct(r.get('ci_low'), '.0%')} to {pct(r.get('ci_high'), '.0%')}, "
                      f"n={_n(r.get('n'))}")

    if doc.get("feasible") and rec:
        sets = ", ".join(doc.get("set") or [])
        answer = (f"The cheapest plan that meets {goal} with at least {need} probability is {sets}: mean {obj} "
                  f"{fmt_kpi(obj, rec['objective'])}, P(all targets met) {pct(rec['probability'], '.0%')} "
                  f"(95% interval {pct(rec['ci_low'], '.0%')} to {pct(rec['ci_high'], '.0%')}).")
        figures.append(Figure(f"mean {obj}", fmt_kpi(obj, rec["objective"]), "of the recommended plan"))
        figures.append(p_fig("P(all targets met)", rec))
    else:
        best = doc.get("best_if_infeasible") or {}
        answer = (f"No plan in the search space meets {goal} with at least {need} probability"
                  + (f"; the closest reaches {pct(best.get('probability'), '.0%')} at "
                     f"{fmt_kpi(obj, best.get('objective'))}." if best else "."))
        if best:
            figures.append(p_fig("best P(all targets met)", best))
    recheck = doc.get("recheck")
    if isinstance(recheck, dict) and recheck.get("n"):
        figures.append(p_fig("re-check on new seeds", recheck))
    b = doc.get("binding") or {}
    if "role" in b:
        figures.append(Figure("busiest role", str(b["role"]), f"utilization {pct(b.get('utilization'), '.0%')}"))
    if "target" in b:
        drivers.append(f"The target closest to failing is {b['target']} (P {pct(b.get('target_probability'), '.0%')}).")
    if b.get("variables"):
        drivers.append(f"Cannot go one step lower without failing: {', '.join(map(str, b['variables']))}.")
    return Summary(answer, figures[:4], drivers, sheet_line(rows))
