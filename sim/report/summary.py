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
from sim.metrics.time_use import PARTS
from sim.report.text import Section, money, num, pct, render_text


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


def initial_pipeline(v: RunView) -> Section | None:
    """The open deals the run started with, and the bookings from them against the new leads'."""
    p = v.kpis.get("initial_pipeline")
    if not p:
        return None
    return Section("Open pipeline at the start", [
        f"open deals at start  {p['deals']:,} worth {money(p['value_usd'])} at list",
        f"won / lost / open    {p['won']:,} / {p['lost']:,} / {p['open_at_end']:,}  (win rate {pct(p['win_rate'])})",
        f"bookings (USD)       {money(p['bookings_usd'])} from the open pipeline, "
        f"{money(p['bookings_from_new_leads_usd'])} from leads that arrived during the run",
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
        *_by_attainment(k["reps"]),
        "win rate by quarter  " + " ".join(pct(x, ".0%") for x in k["win_rate_by_quarter"])
        + f"  (standard deviation {num(k['win_rate_stability'], '.3f')}, around its trend "
        f"{num(k.get('win_rate_stability_detrended'), '.3f')})",
        "top reps by bookings:",
    ], ["rep", "wins", "win rate", "bookings (USD)", "skill", "left"], rows)


def _by_attainment(reps: list[dict]) -> list[str]:
    """Leavers by trailing-year attainment at departure (work_model.leaving), as one line."""
    bands = [r.get("leaving_band") for r in reps if r.get("left_days") is not None and "leaving_band" in r]
    if not bands:
        return []
    n = {b: sum(1 for x in bands if x == b) for b in ("low", "middle", "top", "")}
    return [f"leavers by attainment  low {n['low']}, middle {n['middle']}, top {n['top']}"
            + (f", not judged {n['']}" if n[""] else "") + " (trailing-year bookings / quota when they left)"]


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


def _market_lines(k: dict) -> list[str]:
    """Market penetration per slice (a ``market`` section), and inbound leads with no account left."""
    lines = []
    for name, m in (k.get("market_penetration") or {}).items():
        lines.append(f"market slice {name}: {num(m['accounts'])} accounts, {pct(m['touched_share'], '.0%')} "
                     f"touched, {pct(m['penetration'], '.0%')} won, {num(m['exhausted'])} exhausted, "
                     f"{pct(m['available_share'], '.0%')} left to work" + (" (saturated)" if m["saturated"] else "")
                     + (f"; {num(m['inbound_leads'])} inbound leads came from it" if "inbound_leads" in m else ""))
    for seg, n in (k.get("inbound_not_arrived") or {}).items():
        lines.append(f"inbound leads of {seg} that did not arrive (no account left): {num(n)}")
    return lines


def market(v: RunView) -> Section | None:
    """The market (a ``market`` section) when there are no PODs (with PODs, it is in their section)."""
    if v.kpis.get("pods") or not v.kpis.get("market_penetration"):
        return None
    return Section("Market", _market_lines(v.kpis))


def pods(v: RunView) -> Section | None:
    """The PODs: which slice each owns, its seats, what it sold and kept, where it came from
    (split date, parent) -- to see whether fission kept the new PODs growing or only spread
    the same demand over more people."""
    k = v.kpis
    table = k.get("pods")
    if not table:
        return None
    splits = k.get("pod_genealogy") or []
    sc = v.scenario
    spec = getattr(sc, "pods", None)
    if k.get("pods_have_customer_capability", True):
        capability = "an onboarding/CSM organization serves every POD"
    elif spec is not None and spec.without_customer_team == "none":
        capability = "no onboarding/CSM organization: nobody onboards or looks after customers"
    else:
        capability = "no onboarding/CSM organization: the reps who close onboard and look after their accounts"
    lines = [f"{len(table)} POD(s) at the end, {len(splits)} split(s); {capability}", *_market_lines(k)]
    rows = []
    for p in table:
        seats = ", ".join(f"{n} {r}" for r, n in p["headcount_end"].items())
        rows.append([p["name"], "+".join(p["owns"]), p["parent"] or "-",
                     "start" if not p["born_days"] else f"week {p['born_days'] / 7:.0f}", seats, num(p["wins"]),
                     pct(p["win_rate"], ".0%"), money(p["bookings_usd"]), money(p["arr_end_usd"])])
    return Section("PODs (vertical teams, each owning a slice of the market)", lines,
                   ["POD", "slice", "parent", "formed", "seats at end", "wins", "win rate", "bookings (USD)",
                    "ARR at end (USD)"], rows)


def quota(v: RunView) -> Section | None:
    """Attainment per selling role and year: distribution and share at quota."""
    att = v.kpis.get("quota_attainment")
    if not att:
        return None
    rows = []
    for role, periods in att.items():
        for p in periods:
            rows.append([role, p["period"], num(p["weeks"], ".0f"), num(p["reps"]), pct(p["median"], ".0%"),
                         pct(p["p10"], ".0%"), pct(p["p90"], ".0%"), pct(p["share_at_quota"], ".0%")])
    return Section("Quota attainment (bookings / quota, per rep)", [
        "quota pro rata for the weeks a rep was present (at least 13) and for a short last period; not reduced "
        "during ramp"], ["role", "period", "weeks", "reps", "median", "p10", "p90", "share at quota"], rows,
        ["benchmark: about 54% of reps attain quota (Bridge Group 2018)"])


def working_time(v: RunView) -> Section | None:
    """First-touch waits in calendar and business hours, overall and per source."""
    ft = v.kpis.get("first_touch")
    if not ft or not ft["leads"]:
        return None
    cal = getattr(v.scenario, "calendar", None) if v.scenario is not None else None
    where = (f"calendar {', '.join(cal.days)} {cal.hours}" + (f" (lunch {cal.lunch})" if cal.lunch else "")
             + f", times in {cal.time_zone}; business hours are the worker's (a role or POD may override "
             "the calendar)") if cal is not None else \
        "no calendar: reps work around the clock at reduced speed, so business hours are not defined"

    def cells(b):
        c, w = b["calendar_hours"], b["business_hours"]
        return [num(c and c["median"], ".1f"), num(c and c["p90"], ".1f"), num(w and w["median"], ".1f"),
                num(w and w["p90"], ".1f")]

    rows = [["all leads", num(ft["leads"]), *cells(ft)]]
    rows += [[s, num(b["leads"]), *cells(b)] for s, b in ft["by_source"].items()]
    return Section("First touch: wait before a lead's first task (hours)", [where],
                   ["source", "leads touched", "calendar median", "calendar p90", "business median",
                    "business p90"], rows,
                   ["speed to lead decays with calendar hours (buyers' interest fades overnight too); "
                    "SLAs count business hours unless a step sets sla_clock: calendar_hours"])


TIME_USE_HEADINGS = ("deal work", "learning", "switching", "coordination", "deal idle", "admin", "meetings", "training",
                     "research", "travel")


def hours(v: RunView) -> Section | None:
    """Where each role's hours went: only with a ``work_model`` (the ``time_use`` KPI): deal work done
    and left idle, admin and CRM entry, internal meetings, training, research and preparation, travel,
    as shares of each role's working hours."""
    tu = v.kpis.get("time_use")
    if not tu:
        return None
    rows = [[role, num(r["working_hours_per_rep_week"], ".1f"), *(pct(r[f"{p}_share"], ".0%") for p in PARTS)]
            for role, r in tu.items()]
    return Section("Where the hours went (share of each role's working hours)", [
        "deal work = hours of tasks done (selling); learning = the hours those tasks took beyond what the same reps "
        "take fully ramped and practised (ramp, work_model.learning); deal idle = the rest of the week's deal time; "
        "the other parts are the role's work_model.time_use after tools and playbooks (training: training received); "
        "managers' hours are in the Managers section"],
        ["role", "hours per rep-week", *TIME_USE_HEADINGS], rows,
        ["selling time in surveys: about 28-35% of a rep's week (Salesforce State of Sales 2022; CSO Insights)"])


def managers(v: RunView) -> Section | None:
    """The first-line managers' span and where their time went (``work_model.managers``)."""
    mg = v.kpis.get("management")
    if not mg:
        return None
    roles_k = v.kpis["roles"]
    rows = [[mg["role"], num(mg["span_of_control"], ".1f"), num(mg["reps_per_manager"], ".1f"),
             pct(mg["coverage"], ".0%"), pct(roles_k.get(mg["role"], {}).get("utilization"), ".0%"),
             pct(mg["team_share"], ".0%"), pct(mg["hiring_share"], ".0%")]]
    if mg.get("second_line"):
        rows.append([mg["second_line"], "", "", "", pct(roles_k.get(mg["second_line"], {}).get("utilization"),
                                                          ".0%"), "", ""])
    return Section("Managers", [
        "a manager looks after span_of_control reps in full; over it their coverage (span / reps, an open seat "
        "counting as part of a rep) falls, and with it their reps' win odds, ramp speed and retention"],
        ["role", "span", "reps per manager", "coverage", "utilization", "team (coaching, reviews, forecasts)",
         "hiring"], rows,
        ["first-line sales managers typically lead 6-10 reps (docs/background.md#managers-and-span-of-control)"])


SECTIONS: list[Callable[[RunView], Section | None]] = [
    run_header, funnel, customers, outcomes, initial_pipeline, roles, managers, hours, bottlenecks, recurring_revenue,
    signed_not_live,
    unit_economics,
    cost_of_sale,
    people, pods, market, working_time, quota, one_draw,
]


def sections(view: RunView) -> list[Section]:
    return [s for s in (build(view) for build in SECTIONS) if s is not None]


def summary(k: dict, weekly: Any = None, scenario: Any = None, overrides: Sequence[str] = ()) -> str:
    """The run summary as plain text (what a file or a pipe gets)."""
    return render_text(sections(RunView(k, weekly, scenario, tuple(overrides))))
