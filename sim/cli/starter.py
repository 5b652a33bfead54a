"""A first scenario from a few numbers: what ``salesim init`` writes.

Why: copying a 160-line shipped scenario and editing its people, process and
money blocks takes a new user most of an hour, and leaves them unsure which
numbers are theirs. Here they give what they know (headcount, inbound leads a
week, deal size, segment); everything else comes from the benchmark table
(``sim/benchmarks/table.csv``: a typical value with its source, year and
trust mark) or is an assumption salesim makes, and the file says which, on
the line of each number:

* ``[you]``: given by you (a flag or an answer);
* ``[benchmark: metric, source year, trust]``: the table's typical value;
* ``[assumed]``: salesim's assumption; change it when you know better;
* ``[derived]``: computed from the numbers above (the open pipeline on day 0).

The company already exists, so the run does not start from an empty world: the
file lists the open deals a team of this size carries (``initial_pipeline``),
as many per stage as a steady flow keeps there (Little's law: the rate deals
enter the stage times the mean days they spend in it) with the ages such a flow
has (the equilibrium age distribution, ``S(a) / E[T]``). Without them the first
year is spent filling the pipeline: bookings, quota attainment and pipeline
coverage all read low against benchmarks measured on running companies. A user
replaces them with their CRM's open deals, or deletes them for a new team.

The organization is inbound-led: SDRs call back and qualify the inbound
leads (MQL -> SQL, speed-to-lead applies), AEs run the deal (opportunity,
negotiation, win), a CSM looks after the customers. The text is built here as
YAML with comments (no YAML writer keeps comments in place), then parsed and
validated before anything is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SEGMENTS = ("smb", "mid_market", "enterprise")
MOTION = {"smb": "inside", "mid_market": "inside", "enterprise": "field"}

# [assumed] figures: per segment, as in the shipped scenarios (docs/background.md#reference-figures)
ACV_SIGMA = {"smb": 0.6, "mid_market": 0.5, "enterprise": 0.5}
QUALIFY = {"smb": 0.35, "mid_market": 0.35, "enterprise": 0.30}  # MQL -> SQL
# SDR call-back; AE hours on the opportunity, negotiation and signature: deal work only (calls, demos, proposals);
# preparation, CRM entry, meetings and training are the rest of the week (work_model.time_use below)
WORK_HOURS = {
    "smb": (0.25, 0.75, 1.25, 0.75),
    "mid_market": (0.4, 1.0, 2.0, 1.25),
    "enterprise": (0.5, 3.0, 8.0, 4.0),
}
CSM_HOURS_PER_MONTH = {"smb": 0.5, "mid_market": 2.0, "enterprise": 6.0}
# paid and content marketing per MQL: B2B cost per lead runs from a few hundred to over a thousand dollars (L);
# chosen so that a team at the table's typical productivity pays back its CAC in the survey's months per segment
COST_PER_LEAD = {"smb": 350, "mid_market": 750, "enterprise": 1200}
LOADED_COST = {"sdr": 95_000, "ae_inside": 150_000, "ae_field": 250_000, "csm": 100_000}
DISCOUNT_SMB = 0.15
LEAKAGE = 0.05  # no-shows and dropped notes at the SDR -> AE hand-off


def equilibrium_ages(spec: float | dict, n: int) -> list[float]:
    """``n`` ages spread as the ages of the deals in a stage whose time ``spec`` takes
    (a number or a gamma ``{mean, cv}``) when deals enter it at a steady rate: the
    quantiles ``(k + 1/2) / n`` of the equilibrium distribution ``F(a) = (1/m) int_0^a S(t) dt``."""
    if n <= 0:
        return []
    if not isinstance(spec, dict):
        return [float(spec) * (k + 0.5) / n for k in range(n)]  # a fixed time: ages uniform on [0, T)
    from scipy import optimize, stats

    m, cv = float(spec["mean"]), float(spec["cv"])
    k = 1.0 / cv**2
    t, t1 = stats.gamma(k, scale=m / k), stats.gamma(k + 1, scale=m / k)

    def F(a: float) -> float:  # a S(a) + E[T; T <= a], over m
        return (a * t.sf(a) + m * t1.cdf(a)) / m

    return [float(optimize.brentq(lambda a, u=(j + 0.5) / n: F(a) - u, 0.0, t.ppf(1 - 1e-9)))
            for j in range(n)]


def open_deals(stages: list[tuple[str, float, float | dict]]) -> list[tuple[str, float]]:
    """(stage, age in days) of the deals a steady flow keeps open: for each (stage, deals a
    day entering it, its time) round(rate x mean time) deals with :func:`equilibrium_ages`."""
    out = []
    for stage, per_day, spec in stages:
        mean = float(spec["mean"]) if isinstance(spec, dict) else float(spec)
        out += [(stage, age) for age in equilibrium_ages(spec, int(round(per_day * mean)))]
    return out


@dataclass(frozen=True)
class Answers:
    """What the user told ``salesim init``; None: not given (a default is used and marked assumed)."""

    sdr: int
    ae: int
    csm: int
    inbound_per_week: float
    acv_usd: float
    segment: str
    name: str = "my_company"
    given: frozenset[str] = frozenset()  # which of the fields the user gave


def segment_for(acv_usd: float) -> str:
    """The segment a deal size suggests (assumed thresholds: below $15k SMB, below $100k mid-market)."""
    return "smb" if acv_usd < 15_000 else "mid_market" if acv_usd < 100_000 else "enterprise"


def _bench(metric: str, segment: str):
    from sim.benchmarks import default_table

    row = default_table().get(metric, segment)
    if row is None or row.typical is None:
        return None
    return row


def _mark(row) -> str:
    source = row.source.split(";")[0].split(" (")[0].strip() or row.source.split(";")[0].strip()
    return f"[benchmark: {row.metric}, {source}{f' {row.year}' if row.year else ''}, {row.trust}]"


def _num(x: float) -> str:
    """A number as YAML, no float noise (0.35, 600000, 0.758)."""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.4g}"


def scenario_text(a: Answers) -> str:
    """The commented scenario for these answers."""
    seg = a.segment
    motion = MOTION[seg]
    you = "[you]"

    def given(field: str) -> str:
        return you if field in a.given else "[assumed]"

    win = _bench("win_rate", seg)
    cycle = _bench("sales_cycle_days", seg)
    disc = _bench("discount_fraction", seg)
    grr = _bench("grr", seg)
    sdr_ramp = _bench("sdr_ramp_days", seg)
    ae_ramp = _bench("ae_ramp_days", seg)
    attrition = _bench("rep_attrition_per_year", seg)
    bookings = _bench("ae_bookings_per_year_usd", motion)

    wr = win.typical if win else 0.25
    # SQL -> won is the product of three steps; the later ones lose more (shipped scenarios' shape)
    # the SDR -> AE hand-off's leakage (below) is lost after SQL too: the first step makes up for it
    opp, neg, won = min(1.0, wr ** 0.2 / (1 - LEAKAGE)), wr ** 0.4, wr ** 0.4
    # a third of the way from the typical cycle to the range's top: with the steady open pipeline below, the
    # typical cycle leaves open deals of ~3x a quarter's bookings at this win rate, the bottom of the pipeline
    # coverage rule (3-4x); a little longer sits inside both ranges
    days = (cycle.typical + (cycle.high - cycle.typical) / 3) if cycle else 70.0
    d_opp, d_neg, d_won = 0.1 * days, 0.5 * days, 0.4 * days
    discount = disc.typical if disc else DISCOUNT_SMB
    sigma = ACV_SIGMA[seg]
    median = a.acv_usd / math.exp(sigma ** 2 / 2)  # the mean deal is the ACV given
    w_sql, w_opp, w_neg, w_won = WORK_HOURS[seg]
    ae_cost = LOADED_COST["ae_field" if motion == "field" else "ae_inside"]
    renewal = grr.typical if grr else 0.85
    span = _bench("span_of_control", seg)
    managers = int((a.sdr + a.ae) // (span.typical if span else 8))  # below a span: the founder manages
    tenure = _bench("sdr_tenure_years", seg)
    selling = _bench("selling_time_fraction", seg)

    def mark(row, fallback="[assumed]") -> str:
        return _mark(row) if row is not None else fallback

    lines = [
        f"# {a.name}: a first scenario written by `salesim init`. Every number says where it comes from:",
        "#   [you]        given by you (a flag or an answer)",
        "#   [benchmark]  the typical value of salesim's benchmark table (sim/benchmarks/table.csv):",
        "#                metric, source and year, trust mark (H primary study, M industry report, L blog)",
        "#   [assumed]    salesim's assumption: change it when you know better",
        "#   [derived]    computed from the numbers above (the open deals on day 0)",
        "# Next: salesim validate THIS_FILE; salesim run THIS_FILE; salesim check THIS_FILE (against the",
        "# benchmarks). Every key is described on the docs site's reference page (mkdocs serve).",
        f"name: {a.name}",
        f"description: {a.sdr} SDR, {a.ae} AE, {a.csm} CSM; {_num(a.inbound_per_week)} inbound leads a week, "
        f"{seg} deals of about ${a.acv_usd:,.0f}",
        "horizon_weeks: 52                 # [assumed] one year",
        "seed: 1",
        "",
        "# Inbound leads arrive as MQLs; the SDR's call-back qualifies them (SQL); the AE runs the deal.",
        "stages: [mql, sql, opportunity, negotiation, won]",
        "steps:",
        f"  sql: {{role: {'sdr' if a.sdr else 'ae'}, speed_to_lead: true}}   # answer late and fewer qualify "
        "(docs/background.md#speed-to-lead)",
        "  opportunity: {role: ae}",
        "  negotiation: {role: ae}",
        "  won: {role: ae}",
        "handoff:                          # SDR -> AE: the first meeting is set a few days out",
        "  delay_days: {dist: triangular, low: 1, mode: 2, high: 5}   # [assumed]",
        f"  leakage_probability: {LEAKAGE}       # [assumed] no-shows and dropped notes",
        "",
        "roles:",
        *(["  sdr:",
            f"    headcount: {a.sdr}                  # {given('sdr')}",
            "    hours_per_week: 40            # [assumed] a working week; deals get their share (work_model)",
            f"    loaded_cost_per_year_usd: {LOADED_COST['sdr']}   # [assumed] salary, benefits, tools, overhead",
            "    people:",
            f"      ramp_days: {_num(sdr_ramp.typical if sdr_ramp else 90)}                # {mark(sdr_ramp)}",
            (f"      attrition_per_year: {_num(round(1 / tenure.typical, 2))}    # 1 / tenure, {mark(tenure)}"
             if tenure else f"      attrition_per_year: {_num(attrition.typical if attrition else 0.25)}    "
             f"# {mark(attrition)}")] if a.sdr else []),
        "  ae:",
        f"    headcount: {a.ae}                  # {given('ae')}",
        "    hours_per_week: 40            # [assumed] a working week; deals get their share (work_model)",
        "    owns_leads: true              # a deal keeps its AE",
        f"    loaded_cost_per_year_usd: {ae_cost}   # [assumed]",
        "    commission_rate: 0.1          # [assumed] of first-year bookings",
        (f"    quota_usd_per_year: {_num(bookings.typical)}   # {mark(bookings)}" if bookings else
         "    quota_usd_per_year: 600000    # [assumed]"),
        "    people:",
        "      skill: {dist: lognormal, median: 1.0, sigma: 0.3}   # [assumed] some sell more than others",
        f"      ramp_days: {_num(ae_ramp.typical if ae_ramp else 150)}               # {mark(ae_ramp)}",
        f"      attrition_per_year: {_num(attrition.typical if attrition else 0.25)}    # {mark(attrition)}",
        *(["  csm:",
            f"    headcount: {a.csm}                  # {given('csm')}",
            f"    loaded_cost_per_year_usd: {LOADED_COST['csm']}  # [assumed]"] if a.csm else []),
        *([f"  sales_manager:                  # manages the reps, works no deals; one per "
           f"{_num(span.typical if span else 8)} reps {mark(span)}",
           f"    headcount: {managers}",
           "    loaded_cost_per_year_usd: 200000   # [assumed]"] if managers else []),
        "",
        "post_sale:",
        f"  csm_role: {'csm' if a.csm else 'null'}",
        "",
        "segments:",
        f"  {seg}:",
        f"    motion: {motion}",
        f"    acv_usd: {{dist: lognormal, median: {_num(round(median))}, sigma: {sigma}}}   "
        f"# {given('acv_usd')} mean ${a.acv_usd:,.0f}; [assumed] spread",
        f"    discount_fraction: {{dist: beta, mean: {_num(discount)}, concentration: 12}}   # {mark(disc)}",
        f"    # SQL -> won {_num(wr)}: {mark(win)}, split over the three deal steps [assumed];",
        f"    # sales cycle {_num(days)} days: inside the range of {mark(cycle)}, a third of the way from its",
        f"    # typical {_num(cycle.typical if cycle else 60)} to its top, so open deals cover a quarter's "
        "bookings 3-4x (pipeline_coverage); split 10/50/40% [assumed]",
        "    steps:",
        f"      sql: {{conversion_probability: {QUALIFY[seg]}, work_hours: {w_sql}}}   # [assumed]",
        f"      opportunity: {{conversion_probability: {_num(opp)}, elapsed_days: {_num(d_opp)}, "
        f"work_hours: {w_opp}}}   # [assumed] hours; odds and days: the split above",
        f"      negotiation: {{conversion_probability: {_num(neg)}, elapsed_days: {{dist: gamma, mean: "
        f"{_num(d_neg)}, cv: 0.6}}, work_hours: {w_neg}}}   # [assumed] hours",
        f"      won: {{conversion_probability: {_num(won)}, elapsed_days: {{dist: gamma, mean: {_num(d_won)}, "
        f"cv: 0.6}}, work_hours: {w_won}}}   # [assumed] hours",
        "    customer:",
        "      term_years: 1               # [assumed]",
        f"      renewal: {{probability: {_num(renewal)}}}   # {mark(grr)}",
        f"      csm_hours_per_month: {CSM_HOURS_PER_MONTH[seg]}     # [assumed] CSM time an account needs",
        "",
        "# What a seller's week is made of: admin and CRM 25%, internal meetings 15%, training 10%, research and",
        "# preparation 20%, leaving 30% for deal work (salesim's defaults; selling time is 28% of the week, 20-40%",
        f"# across surveys: {mark(selling)}). Set a role's shares to change it.",
        "work_model:",
        "  time_use:",
        *(["    sdr: {}"] if a.sdr else []),
        "    ae: {}",
        "",
        "sources:",
        "  inbound:",
        "    kind: inbound",
        "    entry_stage: mql              # marketing created them",
        f"    rate_per_week: {_num(a.inbound_per_week)}            # {given('inbound_per_week')}",
        f"    segment_mix: {{{seg}: 1.0}}",
        f"    cost_per_lead_usd: {COST_PER_LEAD[seg]}        # [assumed] paid and content marketing per MQL",
        "",
        *pipeline_lines(a, opp, neg, d_opp, d_neg, d_won),
    ]
    return "\n".join(lines) + "\n"


def pipeline_lines(a: Answers, opp: float, neg: float, d_opp: float, d_neg: float, d_won: float) -> list[str]:
    """The ``initial_pipeline`` block: the open deals of a steady flow (module docstring)."""
    sql_per_day = a.inbound_per_week * QUALIFY[a.segment] / 7.0
    opp_per_day = sql_per_day * (1 - LEAKAGE if a.sdr else 1.0) * opp
    neg_per_day = opp_per_day * neg
    deals = open_deals([("sql", sql_per_day, round(d_opp, 4)),
                        ("opportunity", opp_per_day, {"mean": round(d_neg, 4), "cv": 0.6}),
                        ("negotiation", neg_per_day, {"mean": round(d_won, 4), "cv": 0.6})])
    if not deals:
        return []
    counts = {st: sum(1 for s, _ in deals if s == st) for st in ("sql", "opportunity", "negotiation")}
    rows = [f"{{stage: {st}, age_days: {age:.1f}}}" for st, age in deals]
    per_line = 3
    body = [", ".join(rows[i:i + per_line]) + ("," if i + per_line < len(rows) else "") + "   # [derived]"
            for i in range(0, len(rows), per_line)]
    return [
        "# The open deals on day 0: the company is running, so its pipeline is not empty. As many per stage as",
        "# a steady flow keeps there (deals entering a day x mean days in the stage, from the numbers above:",
        "# " + ", ".join(f"{n} in {st}" for st, n in counts.items()) + "), with the ages such a flow has.",
        "# Replace them with your CRM's open deals (a CSV file name works too), or delete them for a new team.",
        "initial_pipeline: [",
        *("  " + line for line in body),
        "]",
    ]
