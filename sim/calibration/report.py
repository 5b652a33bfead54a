"""``fit_report.md``: every fitted number with its interval and sample size,
what was assumed instead of fitted, and what was wrong with the data.

Markdown tables via ``DataFrame.to_markdown`` (tabulate), so the report
reads on GitHub and in any editor.

Strings from the user's files (names, labels, owners, paths, messages that
quote them) are escaped for Markdown: in prose and tables every character
that could start a link, an image, HTML, emphasis, a code span or a table
cell is backslash-escaped (:func:`md_text`); paths are code spans with a
fence longer than any run of backticks inside (:func:`md_code`). A value
that is missing or not a number (``nan``) is written ``-``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sim.calibration.fit import Fit
from sim.calibration.fit_arrivals import window
from sim.calibration.scenario_writer import clean

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MISSING = "-"
_SPECIAL = re.compile(r"[\\`*_\[\]<>#|~&:@$]")
_INTRAWORD = re.compile(r"(?<=[A-Za-z0-9])_(?=[A-Za-z0-9])")


def _one_line(text: object) -> str:
    return clean(text, 2000)


def md_text(text: object) -> str:
    """User text as literal Markdown: one line, every character that could make a link, an image,
    HTML, emphasis, a code span or a table cell backslash-escaped (``_`` inside a word is left)."""
    s = _one_line(text)
    out = []
    for i, c in enumerate(s):
        if _SPECIAL.match(c) and not (c == "_" and _INTRAWORD.match(s, i)):
            out.append("\\" + c)
        else:
            out.append(c)
    return re.sub(r"(?i)\b(www)\.", r"\1\\.", "".join(out))


def md_code(text: object) -> str:
    """User text (a path) as a Markdown code span: nothing inside is read as Markdown or HTML."""
    s = _one_line(text)
    runs = [len(r) for r in re.findall(r"`+", s)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s.strip() else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _number(v, floatfmt: str) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return MISSING
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    x = float(v)
    if not np.isfinite(x):
        return MISSING
    return f"{x:{floatfmt}}" if abs(x) < 1e9 else f"{x:.3g}"  # a 1e300 bound is not 301 digits


def md_table(df: pd.DataFrame, floatfmt: str = ".3f", index: bool = False) -> str:
    """A table whose text cells and headers are escaped, whose missing or non-finite numbers are ``-``
    and whose very large numbers are written short (``1.2e+15``)."""
    if index:
        df = df.reset_index()
    if not len(df):
        return "(none)"
    t = pd.DataFrame(index=range(len(df)))
    align = []
    for c in df.columns:
        col = df[c].reset_index(drop=True)
        numeric = pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
        if not numeric and col.map(lambda v: v is None or isinstance(v, int | float | np.number)).all():
            numeric = True  # an object column of numbers and None
        if numeric:
            t[md_text(c)] = [_number(v, floatfmt) for v in col.astype(object)]
            align.append("right")
        else:
            t[md_text(c)] = [MISSING if v is None or v is pd.NA or v is pd.NaT
                             or (isinstance(v, float) and not np.isfinite(v)) else md_text(v) for v in col]
            align.append("left")
    return t.to_markdown(index=False, disable_numparse=True, colalign=align)


def _md(df: pd.DataFrame, floatfmt: str = ".3f") -> str:
    return md_table(df, floatfmt)


def _data_section(fit: Fit) -> list[str]:
    h = fit.history
    out = ["## Data checks", "",
           f"{md_code(h.file)}: {h.rows_read} rows read, {len(h.rows)} used, {len(fit.paths.opps)} opportunities; "
           f"extraction date {h.as_of:%Y-%m-%d %H:%M} UTC (the last timestamp unless `--as-of` is given). "
           "Row numbers are file lines (header = line 1).", ""]
    if not h.issues:
        return out + ["No problems found.", ""]
    t = pd.DataFrame([{"problem": i.kind, "rows": i.count, "first rows": ", ".join(map(str, i.rows[:8])),
                       "what": i.message, "done": i.action} for i in h.issues])
    return out + [_md(t), ""]


def _assumed(fit: Fit) -> list[str]:
    roles = ", ".join(f"{md_text(r)} {n} ({w})" for r, (n, w) in fit.headcount.items()) or "none"
    fitted = ["stage order and transition matrix", "conversion per segment and step (and source multipliers)",
              "time in stage per segment and step", "arrival rate, segment mix and seasonality per source",
              "list ACV and discount per segment"] + (["renewal, contraction, expansion"] if fit.retention else []) \
        + (["spread of closers' win rates (reported, not in the scenario)"] if fit.reps else [])
    assumed = [f"headcount: {roles}", "work hours per step: 0 (durations are all calendar time)",
               "hand-off delay and leakage: 0 (inside the fitted numbers)",
               "every source is a Poisson inbound source"] + \
        ([] if fit.retention else ["after the sale: not simulated (no subscription table)"]) + \
        ["reps are identical in the scenario (see Reps for the measured spread)"]
    return ["## Fitted and assumed", "", "Fitted: " + "; ".join(fitted) + ".", "",
            "Assumed (a CRM cannot tell): " + "; ".join(assumed) + ".", ""]


def _funnel(fit: Fit) -> list[str]:
    c = fit.conversion.copy()
    c["source"] = c["source"].replace({"*": "(all)"})
    out = ["## Stages", "", f"Order: {' -> '.join(md_text(s) for s in fit.order)}. Win rate counted from "
           f"{md_code(fit.win_rate_stage)}.", "",
           "Transition matrix (consecutive stage entries; the last columns are how paths end):", "",
           md_table(fit.transitions, ".0f", index=True), "",
           "Stages passed over (the deal went past the stage without entering it; the scenario's chain "
           "passes them at once):", "", _md(fit.skips), "",
           "Entry stage per source:", "", _md(fit.entries, ".2f"), "",
           "## Conversion (95% Clopper-Pearson intervals)", "",
           "n = deals that left the stage before the step (moved on or lost); open deals are not counted.", "",
           _md(c[["segment", "source", "step", "n", "x", "p", "lo", "hi"]]), ""]
    if len(fit.multipliers):
        out += ["Source multipliers (kept in the scenario when p < 0.01; p tests the source against its "
                "segments' pooled rates):", "", _md(fit.multipliers), ""]
    if len(fit.reference_rates):
        out += ["Segment rates written for steps where a source has a multiplier (the other sources' rate, "
                "so the different source is not counted twice):", "", _md(fit.reference_rates), ""]
    return out


def _durations(fit: Fit) -> list[str]:
    rows: list[dict[str, object]] = []
    for (seg, step), (d, basis) in sorted(fit.durations.items(), key=lambda kv: (kv[0][0], fit.order.index(kv[0][1]))):
        if d is None:
            rows.append({"segment": seg, "step": step, "family": "-", "basis": basis})
            continue
        rows.append({"segment": seg, "step": step, "family": d.family, "mean_days": d.mean, "lo": d.mean_lo,
                     "hi": d.mean_hi, "cv": d.cv, "exits": d.n_exact, "open": d.n_censored,
                     **{f"AIC {k}": v for k, v in d.aic.items()}, "basis": basis})
    return ["## Time in stage", "", "Days in the stage before each step: exponential, gamma and lognormal fitted "
            "by maximum likelihood with open deals right-censored at the extraction date; the lowest AIC is "
            "kept. The interval is for the mean (observed information, log scale). Figure: "
            "`fit_durations.png` (Kaplan-Meier survival of the data against each fitted family).", "",
            _md(pd.DataFrame(rows), ".2f"), ""]


def _arrivals(fit: Fit) -> list[str]:
    start, end = window(fit.paths)
    out = ["## Arrivals", "", f"Window {start:%Y-%m-%d} to {end:%Y-%m-%d}. Rates are Poisson MLEs with exact "
           "intervals; seasonality is written when a full year is covered and a chi-square test rejects equal "
           "months (p < 0.05).", ""]
    rows = [{"source": s, "n": a["n"], "per_week": a["rate_per_week"], "lo": a["lo"], "hi": a["hi"],
             "segment_mix": ", ".join(f"{k} {v:.3f}" for k, v in a["segment_mix"].items()),
             "seasonality_p": a["seasonality_p"], "in_scenario": a["seasonality"] is not None}
            for s, a in sorted(fit.arrivals.items())]
    out += [_md(pd.DataFrame(rows)), ""]
    for s, a in sorted(fit.arrivals.items()):
        exp = np.asarray(a["month_exposure_days"])
        cnt = np.asarray(a["month_counts"])
        rate = np.where(exp > 0, cnt / np.maximum(exp, 1e-9), np.nan)
        mean = float(np.nanmean(rate)) if np.isfinite(rate).any() else 0.0
        fac = rate / mean if mean > 0 else rate  # months the window does not cover: -
        out += [f"Monthly profile of {md_code(s)} (deals created, days observed, factor):", "",
                md_table(pd.DataFrame([cnt, exp, fac], index=["created", "days", "factor"], columns=MONTHS),
                         ".2f", index=True), ""]
        how = np.asarray(a["hour_of_week"]).reshape(7, 24)
        blocks = how.reshape(7, 6, 4).sum(axis=2)
        out += [f"Hour of week of {md_code(s)} (deals created per 4-hour block, UTC; reported only, the model has "
                "no time of day):", "",
                md_table(pd.DataFrame(blocks, index=DAYS, columns=[f"{h:02d}-{h + 4:02d}" for h in range(0, 24, 4)]),
                         index=True), ""]
    return out


def _money(fit: Fit) -> list[str]:
    rows = []
    for seg, m in sorted(fit.money.items()):
        a, d = m["acv"], m["discount"]
        rows.append({"segment": seg, "acv_n": a.n if a else 0, "acv_median": a.median if a else None,
                     "lo": a.median_lo if a else None, "hi": a.median_hi if a else None,
                     "sigma": a.sigma if a else None, "won_with_list": d.n if d else 0,
                     "discount_mean": d.mean if d else None, "d_lo": d.mean_lo if d else None,
                     "d_hi": d.mean_hi if d else None, "concentration": d.concentration if d else None})
    return ["## Deal value", "", "List ACV: lognormal MLE (interval for the median, t on the log scale). "
            "Discount of won deals with a list price: beta MLE (interval for the mean, t).", "",
            _md(pd.DataFrame(rows), ".3f"), ""]


def _retention(fit: Fit) -> list[str]:
    if not fit.retention:
        return []
    t = pd.DataFrame([{"segment": s, **{k: v for k, v in r.items()}} for s, r in sorted(fit.retention.items())])
    return ["## After the sale (subscription table)", "", _md(t), ""]


def _ramp(fit: Fit) -> list[str]:
    if fit.ramp is None:
        return []
    return ["Closers' win rate by tenure at the close (from the rep table's hire dates; 95% Clopper-Pearson). "
            "A ramp shows as lower rates early on; it is reported, not written (the scenario's reps are "
            "identical: set `people.ramp_days` on the closing role to model it):", "", _md(fit.ramp), ""]


def _reps(fit: Fit) -> list[str]:
    r = fit.reps
    if r is None:
        return ["## Reps", "", "Too few closers with resolved deals (or no owners) to measure a spread.", ""] \
            + _ramp(fit)
    return ["## Reps", "", f"Closers' win rates (from {md_code(fit.win_rate_stage)}), beta-binomial MLE: "
            f"alpha {r.alpha:.3g}, beta {r.beta:.3g} (mean {r.mean:.3f}); spread of log-odds across reps "
            f"{r.logit_sd:.3f}. "
            "A `people.skill` lognormal with median 1 and this sigma on the closing role gives about this "
            "spread if that role works one step; divide by the square root of its steps if it works several.",
            "", _md(r.table), ""] + _ramp(fit)


def _check(fit: Fit) -> list[str]:
    from sim.calibration.fit_cycle import direct_check

    t = direct_check(fit)
    return ["## The fit against the data", "", "Each figure as the fitted model gives it and as computed directly "
            "from the same rows (closed deals for the win rate and the days to a win or a loss; won deals with an "
            "amount for the value; every opportunity for the weekly count). A difference beyond 10% says the "
            "model's form does not hold these data.", "", _md(t), ""]


def _cycle(fit: Fit) -> list[str]:
    out = ["## Time to win and time to lose", ""]
    s = fit.stale
    if s is not None:
        rule = {"exclude": "left out of every fit", "lost": "counted as lost at that age",
                "keep": "kept as open"}[s.rule]
        out += [f"Stale open deals: {len(s.deals)} of {s.open_total} open deals are older than "
                f"{s.after_days:.0f} days (the longest a closed deal took from creation to close, or the mapping's "
                f"`stale_after_days`); they are {rule} (`stale_open: {s.rule}`).", ""]
    rows = []
    for what, f in fit.cycle.items():
        if f is not None:
            rows.append({"to": what, "n": f.n_exact, "family": f.family, "mean days": f.mean,
                         "95% CI": f"{f.mean_lo:.1f}-{f.mean_hi:.1f}", "cv": f.cv})
    if rows:
        out += ["Days from creation to the close, fitted apart for wins and losses (a loss is usually quicker). "
                "The scenario's time in stage is the time to move on (losses left out of it); the scenario format "
                "times a loss like a move.", "", _md(pd.DataFrame(rows)), ""]
    trends = [(src, a) for src, a in fit.arrivals.items() if a.get("trend_per_year") is not None]
    if trends:
        t = pd.DataFrame([{"source": src, "trend a year": a["trend_per_year"],
                           "95% CI": (f"{a['trend_lo']:+.1%} to {a['trend_hi']:+.1%}" if a.get("trend_lo") is not None
                                      else "")} for src, a in trends])
        out += ["Arrival trend (Poisson fit of daily counts with month effects; not in the scenario format, which "
                "gets the rate that reproduces the history's count):", "", _md(t), ""]
    return out


def _rep_rollup(fit: Fit) -> list[str]:
    from sim.calibration.fit_cycle import roll_up

    t = fit.rep_table
    if t is None or t.empty:
        return []
    out = ["## Volume and win rate per rep", "", f"{len(t)} owners; deals per owner {t['deals'].min()} to "
           f"{t['deals'].max()}.", "", _md(t), ""]
    for by in ("manager", "region", "team"):
        r = roll_up(t, by)
        if not r.empty:
            out += [f"By {by}:", "", _md(r), ""]
    return out


def report_text(fit: Fit, scenario_file: str = "fitted.yaml") -> str:
    lines = [f"# Calibration report: {md_code(fit.history.file)} -> {md_code(scenario_file)}", ""]
    for part in (_data_section, _check, _assumed, _funnel, _durations, _cycle, _arrivals, _money, _retention,
                 _reps, _rep_rollup):
        lines += part(fit)
    return "\n".join(lines)
