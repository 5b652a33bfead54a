"""A :class:`~sim.calibration.fit.Fit` as a commented, valid scenario file.

Every fitted number is followed by a comment with its sample size and 95%
interval; every number a CRM cannot give is marked ``assumed``. What the
writer chooses, and why:

* Time in stage is all ``elapsed_days`` and ``work_hours`` are 0: a CRM
  records when a deal moved, not how many hours reps spent, so the fitted
  durations already hold queueing and work. Capacity therefore does not bind
  in the fitted scenario until the user adds work hours.
* Hand-offs cost nothing extra: leakage and delay are inside the fitted
  conversions and durations.
* Every source is inbound (Poisson at the fitted rate, entering at the stage
  most of its deals entered): a CRM holds opportunities, not the untouched
  part of an outbound list.
"""

from __future__ import annotations

import yaml

from sim.calibration.fit import Fit
from sim.calibration.fit_arrivals import rounded_mix, window
from sim.units import DAYS_PER_WEEK, MAX_HORIZON_WEEKS


def _plain(value):
    """numpy scalars as Python numbers (YAML's safe dumper knows only the latter)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def flow(value) -> str:
    return yaml.safe_dump(_plain(value), default_flow_style=True, width=10**6, sort_keys=False).strip()


def _pct(x: float) -> str:
    return f"{x:.3f}"


def _step_line(fit: Fit, seg: str, step: str, pooled: dict) -> str:
    c, ref = fit.conversion, fit.reference_rates
    row = c[(c["segment"] == seg) & (c["source"] == "*") & (c["step"] == step)]
    rrow = ref[(ref["segment"] == seg) & (ref["step"] == step)]
    if len(rrow) and rrow["n"].iloc[0] > 0:  # some source has a multiplier here: the others' rate
        r = rrow.iloc[0]
        p, note = float(r["p"]), (f"n={int(r['n'])} from {r['sources']} (others have a multiplier), "
                                  f"95% CI {_pct(r['lo'])}-{_pct(r['hi'])}")
    elif len(row) and row["n"].iloc[0] > 0:
        r = row.iloc[0]
        p, note = float(r["p"]), f"n={int(r['n'])}, 95% CI {_pct(r['lo'])}-{_pct(r['hi'])}"
    else:
        p = pooled.get(step, 0.0)
        note = "no deals of this segment left the stage before: the all-segment rate (assumed)"
    body = {"conversion_probability": round(p, 4)}
    dfit, basis = fit.durations.get((seg, step), (None, ""))
    if dfit is not None:
        body["elapsed_days"] = dfit.spec()
        note += (f"; days {dfit.family} by AIC, mean {dfit.mean:.2f} (95% CI {dfit.mean_lo:.2f}-"
                 f"{dfit.mean_hi:.2f}), {dfit.n_exact} exits + {dfit.n_censored} open")
        if basis != "segment":
            note += f" ({basis})"
    else:
        note += "; days: no exits observed, 0 (assumed)"
    return f"      {step}: {flow(body)}  # {note}"


def _has_retention(fit: Fit) -> bool:
    return any(r["renewal_probability"] is not None for r in fit.retention.values())


def _customer(fit: Fit, seg: str) -> list[str]:
    r = fit.retention.get(seg) or fit.retention.get("all")
    if not r or r["renewal_probability"] is None:
        return ["    # customer: the format's defaults (assumed): no renewal decisions of this segment in the "
                "subscription table"] if _has_retention(fit) else []
    renewal = {"probability": round(r["renewal_probability"], 4),
               "price_uplift_fraction": round(min(r["price_uplift_fraction"], 1.0), 4),
               "contraction_probability": round(r["contraction_probability"], 4)}
    if r["contraction_fraction"] is not None:
        renewal["contraction_fraction"] = round(min(max(r["contraction_fraction"], 0.0), 0.99), 4)
    lines = ["    customer:",
             f"      term_years: {r['term_years']}  # median time between renewal decisions",
             "      onboarding: {elapsed_days: 0, churn_probability: 0}  # assumed: not in the subscription table",
             f"      renewal: {flow(renewal)}  # {r['decisions']} decisions, renewal 95% CI "
             f"{_pct(r['renewal_lo'])}-{_pct(r['renewal_hi'])}"]
    if r["expansions"]:
        exp = {"opportunities_per_year": round(r["expansions_per_year"], 4), "conversion_probability": 1.0,
               "acv_increase_fraction": round(max(r["expansion_fraction"] or 0.0, 0.0), 4),
               "work_hours": 0, "elapsed_days": 0}
        lines.append(f"      expansion: {flow(exp)}  # {r['expansions']} expansions in "
                     f"{r['account_years']:.1f} account-years; only won ones are recorded, so all convert")
    return lines


def scenario_text(fit: Fit, name: str = "fitted") -> str:
    """The scenario, as YAML text with comments."""
    order = fit.order
    start, end = window(fit.paths)
    weeks = max(1.0, min(float(MAX_HORIZON_WEEKS), round((end - start).total_seconds() / (DAYS_PER_WEEK * 86400), 1)))
    h = fit.history
    lines = [
        f"# Fitted by `salesim calibrate` from {h.file}: {len(fit.paths.opps)} opportunities,",
        f"# {start:%Y-%m-%d} to {end:%Y-%m-%d}. Each fitted number has its sample size and 95% interval",
        "# in a comment; numbers marked 'assumed' are not in a CRM. See fit_report.md for the tables.",
        "# Time in stage is all elapsed_days (work_hours 0: a CRM has no hours), so capacity does not",
        "# bind until you add work hours; hand-off leakage and delay are inside conversions and durations.",
        f"name: {name}",
        f"description: fitted to {len(fit.paths.opps)} opportunities from {h.file}",
        f"horizon_weeks: {weeks}  # the history's span",
        "seed: 1",
        f"stages: {flow(order)}  # order read from the data (see the transition matrix in the report)",
        f"win_rate_from: {fit.win_rate_stage}",
        "handoff: {delay_days: 0, leakage_probability: 0}  # inside the fitted conversions and durations",
        "steps:",
    ]
    for step in order[1:]:
        lines.append(f"  {step}: {flow({'role': fit.step_roles.get(step)})}  # who owns deals in the stage before")
    roles = sorted({r for r in fit.step_roles.values() if r})
    expansions = _has_retention(fit) and any(r.get("expansions") for r in fit.retention.values())
    am = "am" if "am" not in roles else "am_fitted"
    if roles or expansions:
        lines.append("roles:")
    for role in roles:
        n, where = fit.headcount[role]
        lines.append(f"  {role}: {flow({'headcount': n})}  # {where}")
    if expansions:
        lines.append(f"  {am}: {{unlimited_capacity: true}}  # assumed: works the recorded expansions, no queue")
    if _has_retention(fit):
        ps = {"contract_start": "signature"} | ({"am_role": am} if expansions else {})
        lines.append(f"post_sale: {flow(ps)}  # from the subscription table")
    else:
        lines.append("post_sale: {enabled: false}  # no renewal decisions in a subscription table: nothing after "
                     "the win is fitted")
    c = fit.conversion
    pooled_rows = c[c["source"] == "*"].groupby("step")[["x", "n"]].sum()
    pooled = (pooled_rows["x"] / pooled_rows["n"].where(pooled_rows["n"] > 0)).fillna(0).to_dict()
    lines.append("segments:")
    for seg in fit.segments:
        lines.append(f"  {seg}:")
        money = fit.money.get(seg, {})
        acv, disc = money.get("acv"), money.get("discount")
        lines.append("    acv_usd: " + (
            f"{flow(acv.spec())}  # list value, lognormal MLE, n={acv.n}, median 95% CI "
            f"{acv.median_lo:,.0f}-{acv.median_hi:,.0f}" if acv else "1  # assumed: no amounts in the history"))
        lines.append("    discount_fraction: " + (
            f"{flow(disc.spec())}  # won deals with a list price, beta MLE, n={disc.n}, mean 95% CI "
            f"{_pct(disc.mean_lo)}-{_pct(disc.mean_hi)}" if disc
            else "0  # assumed: no list prices to measure discounts against"))
        lines.append("    steps:")
        lines.extend(_step_line(fit, seg, step, pooled) for step in order[1:])
        lines.extend(_customer(fit, seg))
    lines.append("sources:")
    entries = fit.entries.set_index("source")
    mult = fit.multipliers
    for src, a in sorted(fit.arrivals.items()):
        e = entries.loc[src]
        lines += [f"  {src}:", "    kind: inbound",
                  f"    entry_stage: {e['entry_stage']}  # {e['share']:.0%} of its {int(e['n'])} deals entered here",
                  f"    rate_per_week: {round(a['rate_per_week'], 4)}  "
                  f"# n={a['n']}, 95% CI {a['lo']:.3f}-{a['hi']:.3f}",
                  f"    segment_mix: {flow(rounded_mix(a['segment_mix']))}"]
        if a["seasonality"] is not None:
            lines.append(f"    seasonality_monthly: {flow([float(x) for x in a['seasonality']])}  "
                         f"# Jan..Dec, months differ (chi-square p={a['seasonality_p']:.2g})")
        kept = mult[(mult["source"] == src) & mult["kept"]] if len(mult) else mult
        if len(kept):
            cm = {r.step: round(float(min(r.multiplier, 100.0)), 4) for r in kept.itertuples()}
            lines.append(f"    conversion_multiplier: {flow(cm)}  # differs from its segments' rates, p < 0.01")
    return "\n".join(lines) + "\n"
