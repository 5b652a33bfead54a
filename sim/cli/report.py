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
    lines.append("Bow-tie (left side): conversion = share of leads leaving a stage that moved on")
    rows = [[s["stage"], _fmt(s["entered"]), _fmt(s["conversion"], ".1%"), _fmt(s["lost"]),
             _fmt(s["open"]), _fmt(s["median_days"], ".1f"), _fmt(s["mean_days"], ".1f")]
            for s in k["stages"]]
    lines += _table(["stage", "entered", "conversion", "lost", "open", "median d", "mean d"], rows)
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
    return "\n".join(lines)
