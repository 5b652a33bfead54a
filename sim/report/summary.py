"""The run summary: one run's KPIs as sections a reader can scan.

Why sections: each part of the summary (funnel, customers, roles,
bottlenecks, money, people...) is one function from a :class:`RunView` to a
:class:`Section` (a heading, a few lines, at most one table, footnotes), listed
in :data:`SECTIONS`. Adding a part means writing one function and listing it;
the text, terminal (``sim.cli.render``) and HTML (:mod:`sim.report.html`) renderings are shared.
Headings are plain words with units; every number's unit is in its column
heading or next to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.metrics.bottlenecks import SATURATED, find_bottlenecks
from sim.report.pods import pods
from sim.report.text import Section, money, num, pct, render_text
from sim.report.time_use import hours
from sim.report.work import quota, working_time


@dataclass
class RunView:
    """What the summary is built from: the KPIs, and when known the weekly series,
    the scenario (for which role works which step) and the ``--set`` overrides."""

    kpis: dict
    weekly: Any = None
    scenario: Any = None
    overrides: Sequence[str] = field(default=())

    @property
    def steps(self) -> dict[str, str | None]:
        """Which role works each step (from a Scenario or its resolved YAML as a dict)."""
        sc = self.scenario
        if isinstance(sc, dict):
            return {name: (step or {}).get("role") for name, step in (sc.get("steps") or {}).items()}
        return {} if sc is None else {name: step.role for name, step in sc.steps.items()}

    @property
    def csm_role(self) -> str | None:
        sc = self.scenario
        if isinstance(sc, dict):
            return (sc.get("post_sale") or {}).get("csm_role")
        return None if sc is None else getattr(sc.post_sale, "csm_role", None)


def run_header(v: RunView) -> Section:
    k = v.kpis
    lines = [f"scenario {k['scenario']}  seed {k['seed']}  horizon {k['horizon_weeks']:g} weeks"]
    if v.overrides:
        lines.append("overrides (--set): " + ", ".join(v.overrides))
    return Section("", lines)


def funnel(v: RunView) -> Section:
    rows = [[s["stage"], num(s["entered"]), pct(s["conversion"]), num(s["lost"]), num(s["open"]),
             num(s["median_days"], ".1f"), money(s.get("value_usd"))] for s in v.kpis["stages"]]
    return Section(
        "Funnel, before the sale (left side of the bow-tie)",
        ["conversion = share of the leads that left a stage which moved on (open leads do not count as lost)"],
        ["stage", "leads entered", "conversion", "lost", "open at end", "median days in stage",
         "list value entered (USD)"], rows)


def customers(v: RunView) -> Section | None:
    cs = v.kpis.get("customer_stages")
    if not cs:
        return None
    rows = [[s["stage"], num(s["entered"]), pct(s["conversion"]), num(s["lost"]),
             num(s["median_days"], ".1f"), money(s["arr_usd"])] for s in cs]
    return Section("Customers, after the sale (right side of the bow-tie)",
                   ["median days are counted from the signature"],
                   ["stage", "accounts entered", "conversion", "lost", "median days since signature", "ARR (USD)"],
                   rows)


def outcomes(v: RunView) -> Section:
    k = v.kpis
    by_source = ", ".join(f"{s} {n:,}" for s, n in k["leads_created_by_source"].items())
    reasons = ", ".join(f"{r.replace('_', ' ')} {n:,}" for r, n in k["leads_lost_by_reason"].items() if n)
    by_tier = ", ".join(f"{g} {money(x)}" for g, x in k["bookings_by_segment_usd"].items())
    return Section("Leads and bookings", [
        f"leads created        {k['leads_created']:,}  ({by_source})",
        f"won / lost / open    {k['leads_won']:,} / {k['leads_lost']:,} / {k['leads_open']:,}"
        + (f"  (lost: {reasons})" if reasons else ""),
        f"bookings (USD)       {money(k['bookings_usd'])} in total, {money(k['bookings_per_week_usd'])} a week"
        + (f"  ({by_tier})" if by_tier else ""),
        f"win rate             {pct(k['win_rate'])} of leads resolved from {k['win_rate_from_stage']} on",
        *_by_motion(k),
        f"average deal (USD)   {money(k['average_deal_usd'])} after an average discount of "
        f"{pct(k['average_discount_fraction'])}",
    ])


def _by_motion(k: dict) -> list[str]:
    """A blended win rate over several sales motions, shown per motion too."""
    by = k.get("win_rate_by_motion") or {}
    return ["  by motion          " + "  ".join(f"{m} {pct(x)}" for m, x in by.items())] if len(by) > 1 else []


def roles(v: RunView) -> Section:
    csm = v.csm_role
    rows = []
    for name, r in v.kpis["roles"].items():
        label = f"{name} *" if name == csm else name
        rows.append([label, num(r["headcount"], none="unlimited"), num(r["tasks"]), pct(r["utilization"]),
                     num(r["mean_wait_hours"], ".1f"), num(r["mean_queue_length"], ".1f")])
    notes = ["utilization = work time / available time of the role's seats"]
    foot = []
    if csm in v.kpis["roles"]:
        foot.append(f"* {csm}: looking after customers is not counted in tasks; its utilization is the hours its "
                    "book of accounts needs / hours available (it can pass 100%)")
    return Section("Roles", notes, ["role", "reps", "tasks done", "utilization", "mean wait per task (hours)",
                                    "mean queue (tasks)"], rows, foot)


def bottlenecks(v: RunView) -> Section:
    found = find_bottlenecks(v.kpis, v.weekly, v.steps)
    if not found:
        return Section("Bottlenecks", [f"none: no role at >= {SATURATED:.0%} utilization and no queue growing "
                                       "over the horizon"])
    lines = []
    for b in found:
        why = []
        if "saturated" in b.reasons:
            why.append(f"{pct(b.utilization)} utilized")
        if "queue growing" in b.reasons:
            why.append(f"queue growing from {b.queue_early:.1f} to {b.queue_late:.1f} tasks "
                       "(weekly mean, second vs last quarter of the horizon)")
        book = _book_cost(v, b.role)
        cost = book if book is not None else [f"each task waits {num(b.mean_wait_hours, '.1f')} h on average",
                                              f"{num(b.mean_queue_length, '.1f')} tasks wait on average"]
        if b.stages:
            cost.append(f"{b.open_leads:,} leads still waiting in {', '.join(b.stages)} at the end")
        lines.append(f"! {b.role}: {'; '.join(why)}. Cost: {'; '.join(cost)}.")
    lines.append(f"(flagged: utilization >= {SATURATED:.0%}, or a weekly queue that keeps growing; "
                 "more seats or less work per task for this role would move the funnel)")
    return Section("Bottlenecks", lines)


def _get(obj, *path, default=None):
    """A value of a Scenario or of its resolved YAML as a dict."""
    for key in path:
        if obj is None:
            return default
        obj = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
    return default if obj is None else obj


def _book_cost(v: RunView, role: str) -> list[str] | None:
    """The cost line of an overloaded CSM book (it has no queue, so no wait): accounts
    without their check-in each month and renewals lost (:mod:`sim.metrics.csm_book`)."""
    from sim.metrics.csm_book import book_cost
    from sim.scenario.customers import PostSale

    r = v.kpis["roles"].get(role) or {}
    if role != v.csm_role or r.get("tasks"):
        return None  # a CSM who works tasks (an owner's check-ins) has a real queue
    segs = _get(v.scenario, "segments", default={}) or {}
    probs = [float(p) for s in (segs.values() if isinstance(segs, dict) else [])
             if (p := _get(s, "customer", "renewal", "probability")) is not None]
    terms = [float(t) for s in (segs.values() if isinstance(segs, dict) else [])
             if (t := _get(s, "customer", "term_years")) is not None]
    curve = _get(v.scenario, "post_sale", "csm_load_renewal_curve",
                 default=PostSale.model_fields["csm_load_renewal_curve"].default)
    c = book_cost(r.get("utilization"), v.kpis.get("customers_end") or 0, v.kpis.get("arr_end_usd") or 0.0, curve,
                  sum(probs) / len(probs) if probs else 1.0, sum(terms) / len(terms) if terms else 1.0)
    if c is None:
        return None
    return [f"the book needs {pct(c.load, '.0%')} of the CSMs' hours, so about {c.accounts_untouched_per_month:,.0f} "
            f"accounts a month go without their check-in", f"renewal odds x {c.renewal_multiplier:.2f} at this "
            f"load (post_sale.csm_load_renewal_curve): about {money(c.arr_lost_per_year_usd)} of ARR a year not "
            "renewed that a book within its hours would keep; no task waits (a book has no queue)"]


def recurring_revenue(v: RunView) -> Section | None:
    k = v.kpis
    if "arr_end_usd" not in k:
        return None
    growth = "  ".join(f"year {i + 2} {pct(g)}" for i, g in enumerate(k["arr_growth_by_year"]))
    return Section("Recurring revenue (USD)", [
        f"ARR at the end       {money(k['arr_end_usd'])}  (MRR {money(k['mrr_end_usd'])})",
        f"customers            {k['customers_end']:,} live at the end; {k['new_logos']:,} signed, "
        f"{k['churned_logos']:,} lost at renewal, {k['onboarding_churned']:,} lost before go-live",
        f"ARR bridge           + new {money(k['arr_new_usd'])}  + expansion {money(k['arr_expansion_usd'])}"
        f"  - contraction {money(k['arr_contraction_usd'])}  - churn {money(k['arr_churned_usd'])}",
        f"revenue              recognized {money(k['recognized_revenue_usd'])}, invoiced "
        f"{money(k['invoiced_usd'])}, cash collected {money(k['cash_collected_usd'])}",
        f"retention, last 12 months   NRR {pct(k['nrr_trailing_12m'])}  GRR {pct(k['grr_trailing_12m'])}  "
        f"logo churn {pct(k['logo_churn_trailing_12m'])}"
        + ("" if k["nrr_trailing_12m"] is not None else "  (needs a horizon over a year)"),
        f"ARR growth, year on year    {growth or '- (needs two 52-week years)'}",
    ])


def unit_economics(v: RunView) -> Section | None:
    k = v.kpis
    if "costs" not in k:
        return None
    c = k["costs"]
    return Section("Unit economics (USD)", [
        f"cost                 total {money(c['total_usd'])}: acquisition {money(c['acquisition_usd'])}, "
        f"retention {money(c['retention_usd'])}, onboarding {money(c['onboarding_usd'])}",
        f"CAC                  {money(k['cac_usd'])} per new logo (acquisition cost only); payback "
        f"{num(k['cac_payback_months'], '.1f')} months; magic number {num(k['magic_number'], '.2f')}"
        + ("" if k["magic_number"] is not None else " (needs two 52-week years)"),
        f"ARR per head         {money(k['arr_per_head_usd'])};  cost per $1 of ARR {num(k['cost_per_arr_usd'], '.2f')}",
    ])


def cost_of_sale(v: RunView) -> Section | None:
    tiers = v.kpis.get("cost_of_sale_by_segment")
    if not tiers:
        return None
    with_motion = any(t.get("motion") for t in tiers.values())
    head = ["tier", *(["motion"] if with_motion else []), "wins", "average deal (USD)", "cost per win (USD)",
            "cost / ACV"]
    rows = [[g, *([t["motion"] or "-"] if with_motion else []), num(t["wins"]), money(t["average_deal_usd"]),
             money(t["cost_per_win_usd"]), num(t["cost_to_acv_ratio"], ".2f")] for g, t in tiers.items()]
    return Section("Cost of sale by tier", ["acquisition cost split by the hours worked for each tier, "
                                            "plus its commissions, fees and lead costs"], head, rows)


def people(v: RunView) -> Section | None:
    k = v.kpis
    if len(k.get("reps", [])) <= 1:
        return None
    kp = k["key_person_exposure"]
    top = sorted(k["reps"], key=lambda r: -r["bookings_usd"])[:5]
    rows = [[f"{r['role']} #{r['rep']}", num(r["wins"]), pct(r["win_rate"], ".0%"), money(r["bookings_usd"]),
             num(r.get("skill"), ".2f"), "yes" if r.get("left_days") is not None else ""] for r in top]
    return Section("People (reps who close deals)", [
        f"spread               Gini of bookings {num(k['rep_bookings_gini'], '.2f')} (0 = equal); the top 20% of "
        f"reps hold {pct(k['top20_bookings_share'], '.0%')} of bookings",
        f"departures           {len(k['departures'])}; the most a leaver held: pipeline "
        f"{money(kp['max_pipeline_usd'])}, ARR {money(kp['max_arr_usd'])}",
        "win rate by quarter  " + " ".join(pct(x, ".0%") for x in k["win_rate_by_quarter"])
        + f"  (standard deviation {num(k['win_rate_stability'], '.3f')})",
        "top reps by bookings:",
    ], ["rep", "wins", "win rate", "bookings (USD)", "skill", "left"], rows)


def one_draw(v: RunView) -> Section:
    return Section("", ["This is one random draw (one seed). Run `salesim batch` for a distribution, or "
                        "`salesim compare` to compare scenarios over paired draws."])


def signed_not_live(v: RunView) -> Section | None:
    """Customers who signed and are not live yet: shown whenever there are any."""
    k = v.kpis
    w = k.get("onboarding_wait_days") or {}
    if not k.get("customers_signed_not_live") and not k.get("onboarding_cancelled_waiting"):
        return None
    return Section("Signed, not live yet", [
        f"signed, not live     {k['customers_signed_not_live']:,} customers, {money(k['arr_signed_not_live_usd'])} of "
        f"contract value; {k['customers_waiting_onboarding']:,} still waiting for onboarding",
        f"cancelled waiting    {k['onboarding_cancelled_waiting']:,} gave up before the onboarding role reached them",
        f"onboarding wait      median {num(w.get('median'), '.0f')} days, 90th percentile {num(w.get('p90'), '.0f')}, "
        f"longest {num(w.get('max'), '.0f')} (from signature; the wait so far for those still waiting)",
    ])


SECTIONS: list[Callable[[RunView], Section | None]] = [
    run_header, funnel, customers, outcomes, roles, hours, bottlenecks, recurring_revenue, signed_not_live,
    unit_economics,
    cost_of_sale,
    people, pods, working_time, quota, one_draw,
]


def sections(view: RunView) -> list[Section]:
    return [s for s in (build(view) for build in SECTIONS) if s is not None]


def summary(k: dict, weekly: Any = None, scenario: Any = None, overrides: Sequence[str] = ()) -> str:
    """The run summary as plain text (what a file or a pipe gets)."""
    return render_text(sections(RunView(k, weekly, scenario, tuple(overrides))))
