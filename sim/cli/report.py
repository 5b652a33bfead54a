"""Human-readable summary of one run's KPIs."""

from __future__ import annotations


def _fmt(x, spec: str = ",.0f", none: str = "-") -> str:
    return none if x is None else format(x, spec)


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return [fmt(headers), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)]


def summary(k: dict) -> str:
    lines = [f"scenario {k['scenario']}  seed {k['seed']}  horizon {k['horizon_weeks']:g} weeks", ""]
    lines.append("Bow-tie, end to end: conversion = share of those leaving a stage that moved on;")
    lines.append("value = list ACV of leads entering a stage (left), ARR carried (right)")
    rows = [[s["stage"], _fmt(s["entered"]), _fmt(s["conversion"], ".1%"), _fmt(s["lost"]),
             _fmt(s["open"]), _fmt(s["median_days"], ".1f"), _money(s.get("value_usd"))]
            for s in k["stages"]]
    rows += [[s["stage"], _fmt(s["entered"]), _fmt(s["conversion"], ".1%"), _fmt(s["lost"]), "",
              _fmt(s["median_days"], ".1f"), _money(s["arr_usd"])]
             for s in k.get("customer_stages", [])]
    lines += _table(["stage", "entered", "conversion", "lost", "open", "median d", "value/ARR"], rows)
    lines.append("")
    lines.append(f"leads created   {k['leads_created']:,}  "
                 + "  ".join(f"{s}: {n:,}" for s, n in k["leads_created_by_source"].items()))
    lines.append(f"won / lost / open   {k['leads_won']:,} / {k['leads_lost']:,} / {k['leads_open']:,}"
                 f"   (lost by reason: " + ", ".join(f"{r} {n:,}" for r, n in
                                                   k["leads_lost_by_reason"].items()) + ")")
    lines.append(f"leads lost to SLA   {k['lost_to_sla']:,}")
    lines.append(f"bookings        ${k['bookings_usd']:,.0f}  (${k['bookings_per_week_usd']:,.0f}/week)  "
                 + "  ".join(f"{g}: ${v:,.0f}" for g, v in k["bookings_by_segment_usd"].items()))
    lines.append(f"win rate        {_fmt(k['win_rate'], '.1%')} (from {k['win_rate_from_stage']})   "
                 f"average deal ${_fmt(k['average_deal_usd'])}   "
                 f"average discount {_fmt(k['average_discount_fraction'], '.1%')}")
    lines.append("")
    lines.append("Roles")
    rows = [[name, _fmt(r["headcount"], "d", "unlimited"), _fmt(r["tasks"]), _fmt(r["utilization"], ".1%"),
             _fmt(r["mean_wait_hours"], ".2f"), _fmt(r["mean_queue_length"], ".2f")]
            for name, r in k["roles"].items()]
    lines += _table(["role", "reps", "tasks", "utilization", "mean wait h", "mean queue"], rows)
    if "arr_end_usd" in k:
        lines += [""] + _money_section(k)
    if len(k.get("reps", [])) > 1:
        lines += [""] + _people_section(k)
    return "\n".join(lines)


def _people_section(k: dict) -> list[str]:
    kp = k["key_person_exposure"]
    lines = ["People (reps who close deals)",
             f"spread          Gini of bookings {_fmt(k['rep_bookings_gini'], '.2f')}   top 20% of reps hold "
             f"{_fmt(k['top20_bookings_share'], '.0%')} of bookings",
             f"departures      {len(k['departures'])}   most a leaver held: pipeline {_money(kp['max_pipeline_usd'])}, "
             f"ARR {_money(kp['max_arr_usd'])}",
             "win rate        by quarter " + " ".join(_fmt(x, ".0%") for x in k["win_rate_by_quarter"])
             + f"   (std {_fmt(k['win_rate_stability'], '.3f')})",
             f"cost per ARR    {_fmt(k['cost_per_arr_usd'], '.2f')}"]
    top = sorted(k["reps"], key=lambda r: -r["bookings_usd"])[:5]
    rows = [[f"{r['role']} #{r['rep']}", _fmt(r["wins"]), _fmt(r["win_rate"], ".0%"), _money(r["bookings_usd"]),
             _fmt(r.get("skill"), ".2f"), "yes" if r.get("left_days") is not None else ""] for r in top]
    lines += ["", "Top reps by bookings"]
    lines += _table(["rep", "wins", "win rate", "bookings", "skill", "left"], rows)
    return lines


def _money(x) -> str:
    if x is None:
        return "-"
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if abs(x) >= div:
            return f"${x / div:,.2f}{unit}"
    return f"${x:,.0f}"


def _money_section(k: dict) -> list[str]:
    pct = lambda x: _fmt(x, ".1%")  # noqa: E731
    lines = ["Recurring revenue",
             f"ARR end         {_money(k['arr_end_usd'])}  (MRR {_money(k['mrr_end_usd'])})   customers "
             f"{k['customers_end']:,}  (new logos {k['new_logos']:,}, churned {k['churned_logos']:,}, "
             f"before go-live {k['onboarding_churned']:,})",
             f"ARR bridge      +new {_money(k['arr_new_usd'])}  +expansion {_money(k['arr_expansion_usd'])}  "
             f"-contraction {_money(k['arr_contraction_usd'])}  -churn {_money(k['arr_churned_usd'])}",
             f"revenue         recognized {_money(k['recognized_revenue_usd'])}  invoiced "
             f"{_money(k['invoiced_usd'])}  cash {_money(k['cash_collected_usd'])}",
             f"retention (12m) NRR {pct(k['nrr_trailing_12m'])}  GRR {pct(k['grr_trailing_12m'])}  logo churn "
             f"{pct(k['logo_churn_trailing_12m'])}",
             "ARR growth      " + ("  ".join(f"year {i + 2}: {pct(g)}" for i, g in enumerate(k["arr_growth_by_year"]))
                                   or "- (needs two full years)"),
             "",
             "Unit economics",
             f"cost            total {_money(k['costs']['total_usd'])}  S&M {_money(k['costs']['sales_marketing_usd'])}"
             f"  service {_money(k['costs']['service_usd'])}",
             f"CAC             {_money(k['cac_usd'])}  payback {_fmt(k['cac_payback_months'], '.1f')} months  "
             f"magic number {_fmt(k['magic_number'], '.2f')}  ARR per head {_money(k['arr_per_head_usd'])}"]
    rows = [[g, v["motion"] or "-", _fmt(v["wins"]), _money(v["average_deal_usd"]), _money(v["cost_per_win_usd"]),
             _fmt(v["cost_to_acv_ratio"], ".2f")] for g, v in k["cost_of_sale_by_segment"].items()]
    lines += ["", "Cost of sale by tier (S&M cost allocated by hours worked)"]
    lines += _table(["tier", "motion", "wins", "avg deal", "cost per win", "cost / ACV"], rows)
    return lines
