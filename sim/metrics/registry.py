"""The KPI registry: every key of a run's KPIs, with its unit and definition.

Why one place: a KPI's name, unit and meaning used to live in three (the code
that computes it, the user guide's table, the JSON), and they drifted. Here each
top-level key of ``salesim run --json`` is declared once; :func:`ordered`
puts a run's KPIs in registry order and refuses a key nobody declared, and
:func:`markdown_table` renders the KPI table of the user guide (``docs/guide/kpis.md``, its ``kpi-table``
block, rewritten by ``python -m sim.metrics.registry render``; a test checks the page holds exactly that table).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KPI:
    """One top-level KPI key."""

    key: str
    unit: str  # USD, count, fraction, days, weeks, months, ratio, text, bool; "object"/"list" for structures
    definition: str
    optional: bool = False  # present only for some scenarios (see ``when``)
    when: str = "PODs only"


KPIS: tuple[KPI, ...] = (
    KPI("scenario", "text", "the scenario's `name`"),
    KPI("seed", "count", "the run's seed (a list for a replication's spawned seed)"),
    KPI("horizon_weeks", "weeks", "length of the run"),
    KPI("leads_created", "count", "leads that entered the funnel; `leads_created = won + lost + open`"),
    KPI("leads_created_by_source", "count", "per source"),
    KPI("leads_won", "count", "leads that reached the last stage"),
    KPI("leads_lost", "count", "leads lost, any reason"),
    KPI("leads_lost_by_reason", "count", "per reason: `not_converted`, `sla`, `handoff`, `no_contact` (outbound, "
        "after the last attempt), `owner_left`"),
    KPI("leads_open", "count", "leads still in the funnel at the end"),
    KPI("bookings_usd", "USD", "new contract value of wins (list ACV after discount)"),
    KPI("bookings_by_segment_usd", "USD", "per segment"),
    KPI("wins_by_segment", "count", "per segment"),
    KPI("bookings_per_week_usd", "USD/week", "bookings / horizon weeks"),
    KPI("average_deal_usd", "USD", "bookings / wins"),
    KPI("average_discount_fraction", "fraction", "1 - bookings / list value of the wins"),
    KPI("win_rate", "fraction", "wins / (wins + leads lost at or after `win_rate_from_stage`), resolved leads only"),
    KPI("win_rate_from_stage", "text", "the stage the win rate counts from: the scenario's `win_rate_from`, by "
        "default `sql` if the funnel has it, else its second stage"),
    KPI("win_rate_by_motion", "fraction", "the win rate per sales motion (segments grouped by `motion`, or by "
        "their name without one): a blended rate that mixes self-serve sign-ups with sales-led deals says "
        "little about either"),
    KPI("lost_to_sla", "count", "leads lost because nobody picked them up within the step's SLA"),
    KPI("stages", "list", "the bow-tie table, one object per stage: `stage`, `entered`, `moved_on`, `lost`, "
        "`open` (counts), `conversion` (moved on / left the stage, a fraction), `median_days`, `mean_days` "
        "(days in stage), `value_usd` (list ACV of the leads that entered the stage)"),
    KPI("roles", "object", "per role: `headcount` (filled seats at the end), `tasks` (count), `utilization` "
        "(work time / the reps' working time - each rep's own calendar less their absences, from their first "
        "day to their departure or the end of the task then in hand -, a fraction, at most 1; for CSMs, book "
        "hours needed / hours available, which can exceed 1), `mean_wait_hours` (queue wait per task), "
        "`mean_queue_length` (tasks), "
        "`busy_hours_per_rep` (hours of work done by each rep: work days x hours per week / 7)"),
    KPI("arr_end_usd", "USD", "ARR at the end: the sum of counted contracts' ACV"),
    KPI("mrr_end_usd", "USD", "ARR at the end / 12"),
    KPI("arr_new_usd", "USD", "ARR bridge over the horizon: new logos' ARR as it starts counting"),
    KPI("arr_expansion_usd", "USD", "ARR bridge: expansions, renewal price uplifts and mined wins"),
    KPI("arr_contraction_usd", "USD", "ARR bridge: contractions at renewal (a positive amount)"),
    KPI("arr_churned_usd", "USD", "ARR bridge: churn at renewal and cancellations before go-live (positive)"),
    KPI("customers_end", "count", "accounts with counted ARR at the end"),
    KPI("new_logos", "count", "accounts signed"),
    KPI("churned_logos", "count", "accounts lost at renewal"),
    KPI("onboarding_churned", "count", "accounts that cancelled before go-live"),
    KPI("recognized_revenue_usd", "USD", "ratable revenue: ARR / 365.25 a day from the contract start"),
    KPI("invoiced_usd", "USD", "invoices under the billing terms (`economics.billing`)"),
    KPI("cash_collected_usd", "USD", "invoices paid within the horizon (`collection_lag_days` after the invoice)"),
    KPI("nrr_trailing_12m", "fraction", "of the ARR held by accounts 365.25 days before the end, the share they "
        "hold at the end (null for horizons of a year or less)"),
    KPI("grr_trailing_12m", "fraction", "the same accounts: (starting ARR - every decrease in the window, churn "
        "and contraction, capped at each account's starting ARR) / starting ARR; increases are ignored, so an "
        "expansion hides neither a churn nor a contraction that follows it"),
    KPI("logo_churn_trailing_12m", "fraction", "share of those accounts with no ARR at the end"),
    KPI("revenue_churn_trailing_12m", "fraction", "1 - GRR"),
    KPI("arr_by_year_end_usd", "USD", "ARR at the end of each 52-week reporting year (a 104-week run has two)"),
    KPI("arr_growth_by_year", "fraction", "ARR at a year's end / ARR at the previous year's end - 1, from year 2"),
    KPI("arr_growth_volatility", "fraction", "standard deviation of `arr_growth_by_year` (from two growth figures, "
        "so from three years)"),
    KPI("arr_signed_not_live_usd", "USD", "contract value of the accounts signed but not live at the end "
        "(neither live nor cancelled; in ARR only under `contract_start: signature`); also a weekly column"),
    KPI("customers_signed_not_live", "count", "those accounts"),
    KPI("customers_waiting_onboarding", "count", "of those, the ones the onboarding role has not picked up yet "
        "(the rest are in implementation); also a weekly column"),
    KPI("onboarding_cancelled_waiting", "count", "customers who cancelled while waiting for onboarding (the "
        "onboarding-wait churn curve and `onboarding_patience_days` act while they wait)"),
    KPI("onboarding_wait_days", "object", "days from signature until the onboarding role picked the customer "
        "up, over every signed customer (`customers`): `mean`, `median`, `p90`, `max`; a customer still waiting "
        "at the end, or who cancelled while waiting, counts with the wait so far"),
    KPI("customer_stages", "list", "the bow-tie's right side, one object per stage (`new_logo`, `go_live`, "
        "`renewal`, `expansion`, `mined_expansion`): `entered`, `moved_on`, `lost` (counts), `conversion` "
        "(fraction), `median_days` (days since signature), `arr_usd`"),
    KPI("expansion_by_source_usd", "USD", "expansion ARR won over the horizon by who sourced it: "
        "`account_manager` (AM-worked opportunities), `customer_success` (CSM-sourced, closed by the CSM or "
        "handed to the AM: `customer_success.expansion`), `mined` (ADR-mined leads won)"),
    KPI("account_health", "object", "health assessed at each renewal (`customer_success.health`): "
        "`assessments` (count) and the `healthy_share`, `neutral_share`, `at_risk_share` of them",
        optional=True, when="with a `customer_success` section"),
    KPI("costs", "object", "USD over the horizon: `total_usd`; `acquisition_usd` (marketing, salaries of the roles "
        "that work funnel steps and of roles that work no task, such as managers, their commissions and fees: "
        "the CAC numerator); `retention_usd` (account-management and customer-success roles that do not also "
        "sell, with expansion commissions); `onboarding_usd`; a role that both sells and serves (a generalist, "
        "a POD seller who onboards) is split between the three by its task hours on funnel steps, onboarding and "
        "account work; `salaries_by_class_usd` (salaries so split); `sales_marketing_usd` (acquisition + "
        "retention); `salaries_by_role_usd`; "
        "`commissions_usd` (net of clawbacks); `commission_clawbacks_usd` (commission taken back from new logos "
        "that churned inside a pay plan's `clawback_days`: already out of `commissions_usd`); `fees_usd`; "
        "`marketing_usd`; `unallocated_sales_marketing_usd` (acquisition "
        "salaries of roles that worked for no tier); `marketing_programmes_usd` (`economics."
        "marketing_programmes_usd_per_year`, accrued daily, acquisition); `recruiting_usd` (each hire's "
        "`recruiting_cost_usd`, in the role's class); `process_usd` and `process_by_lever_usd` (the prices of "
        "the process levers and their ops staff, in the class of the seats they cover). Salaries follow "
        "filled seats day by day"),
    KPI("cac_usd", "USD", "acquisition cost / new logos (account management and customer success are not in it)"),
    KPI("cac_payback_months", "months", "CAC / (average new-logo ARR x gross margin / 12)"),
    KPI("magic_number", "ratio", "the last entry of `magic_number_by_year` (null with fewer than two 52-week "
        "years)"),
    KPI("magic_number_by_year", "ratio", "for each 52-week year from the second: ARR added in the year (net of "
        "churn and contraction) / sales & marketing cost of the year before, from dated costs"),
    KPI("arr_per_head_usd", "USD", "ARR at the end / filled seats at the end"),
    KPI("arr_per_head_by_role_usd", "USD", "ARR at the end / the role's filled seats at the end"),
    KPI("cost_of_sale_by_segment", "object", "per tier: `motion`, `wins`, `average_deal_usd`, `cost_usd` "
        "(acquisition salaries split by hours worked for the tier, plus its variable acquisition costs), "
        "`cost_per_win_usd`, `cost_to_acv_ratio`"),
    KPI("reps", "list", "per rep of the roles that close deals: `role`, `rep`, `wins`, `losses` (from the "
        "win-rate stage on), `bookings_usd`, `win_rate`, and with a people model `seat`, `hired_days`, "
        "`left_days`, `skill`, in a podded role the rep's `pod`, and with `work_model.learning` or `switching` "
        "per kind of work `practice_<kind>` (tasks, times enablement's credit) and `hours_<kind>`, `switches`, "
        "`switching_hours` and `learning_ceiling`, with any `work_model` `learning_hours` (the hours of the rep's "
        "tasks beyond their time fully ramped and practised), with `work_model.coordination` "
        "`coordination_hours`, and with "
        "`work_model.pay` `commission_usd` (net of clawbacks; with `clawback_days` also `clawback_usd`, and with "
        "`clawback_takes_credit` `clawback_credit_usd`, the quota credit taken back), with `base_usd_per_year` "
        "`base_pay_usd` (the base earned while in the seat during the run, part of the loaded cost), "
        "`attainment` (trailing year, at departure or at the end, net of credit taken back) and with "
        "`leaving` the `leaving_band` of leavers, and with `work_model.managers` the rep's `manager` (the seat of "
        "their first-line manager) and `manager_coverage` (time average while present: 1 at or under the span) "
        "(studies write these as `reps.parquet`)"),
    KPI("staff", "list", "per person of the staffed roles that do not close deals (setters, onboarding, CSMs) "
        "with a people section: `role`, `rep`, `seat`, `hired_days`, `left_days`, `skill`, in a podded role the "
        "`pod`, and the same per-rep quantities of the work model as `reps` (practice and hours by kind of work, "
        "switches, learning and coordination hours, `manager` and `manager_coverage`) (studies write "
        "`staff.parquet`)"),
    KPI("rep_bookings_gini", "fraction", "Gini coefficient of bookings across those reps"),
    KPI("top20_bookings_share", "fraction", "share of bookings held by the top 20% of those reps"),
    KPI("departures", "list", "each rep who left: `t_days`, `role`, `rep`, `pipeline_usd` (list value of the "
        "leads they owned), `arr_usd` (accounts they kept) (studies write `departures.parquet`)"),
    KPI("key_person_exposure", "object", "`max_pipeline_usd`, `max_arr_usd`: the most any leaver held"),
    KPI("win_rate_by_quarter", "fraction", "win rate per 13-week quarter"),
    KPI("win_rate_stability", "fraction", "standard deviation of `win_rate_by_quarter`: a steady rise or fall "
        "counts as instability"),
    KPI("win_rate_stability_detrended", "fraction", "standard deviation of `win_rate_by_quarter` around its "
        "least-squares line (at least three quarters): how much the win rate jumps from quarter to quarter, a "
        "trend not counted -- the \"steadier win rate\" of the upright triangle's promise "
        "(docs/background.md#systems-thinking-the-inverted-and-the-upright-triangle) is this one: a win rate "
        "that rises as the data loop works is not unsteady"),
    KPI("cost_per_arr_usd", "ratio", "total cost / ARR at the end (USD of cost per USD of ARR)"),
    KPI("quota_attainment", "object", "per role with `quota_usd_per_year`, one entry per run year (`period`, "
        "`weeks`): `reps` (present at least 13 weeks of it), `median`, `mean`, `p10`, `p90`, `share_at_quota` "
        "(fractions of quota) and each rep's `attainment` = bookings of the wins whose last step the rep worked "
        "(less the credit a pay plan's `clawback_takes_credit` took back, in the year of the win) / "
        "(quota x days present / 365.25); not ramp-adjusted"),
    KPI("first_touch", "object", "the wait before each lead's first task (an MDR call-back, an SDR's first dial), "
        "from the lead being ready to the start of work: `leads`, `calendar_hours` and `business_hours` (working "
        "hours of the worker's calendar; null without a calendar) as `median`, `p90`, `mean` (hours), and the "
        "same `by_source`"),
    KPI("time_use", "object", "per staffed role, where the working hours went: `working_hours_per_rep_week` and "
        "the shares of the working hours (`<part>_share`, summing to 1) in `deal_work` (hours of tasks done, less the "
        "parts below that are inside them), `learning` (the hours those tasks took beyond what the same reps take "
        "fully ramped and, with `work_model.learning`, at their practice ceiling), "
        "`switching` (set-ups between kinds of work, `work_model.switching`), `coordination` (time with "
        "teammates, `work_model.coordination`), `deal_idle` (the rest of the "
        "deal share of the week), `admin`, `meetings`, `training`, `research`, `travel` (the role's "
        "`work_model.time_use` after the process layer's cuts)", optional=True,
        when="with a `work_model` section"),
    KPI("management", "object", "the first-line managers (`work_model.managers`): `role`, `span_of_control`, "
        "`reps_per_manager` (time average over present managers), `coverage` (span / load, at most 1, times the "
        "second line's; time average), the shares of the managers' working time spent on their reps (`team_share`: "
        "coaching, deal reviews, forecasting) and hiring (`hiring_share`: vacancies), `second_line` (its role or "
        "null); the managers' utilization is in `roles`", optional=True, when="with `work_model.managers`"),
    KPI("pods", "list", "per POD: `name`, `parent`, `born_days`, `owns` (slices), `wins`, `win_rate`, "
        "`bookings_usd`, `headcount_end`, `arr_end_usd`", optional=True),
    KPI("pod_genealogy", "list", "each POD split: `t_days`, `parent`, `child`, `promoted_role`, `promoted_rep`",
        optional=True),
    KPI("pods_have_customer_capability", "bool", "whether an onboarding or CSM role that does not also sell "
        "exists (without one, `pods.without_customer_team` says who does the customer work)", optional=True),
    KPI("market_penetration", "object", "per slice of the outbound market (POD slice, or segment): `accounts`, "
        "`touched` (ever taken into a cadence), `customers` (at the end), `ever_customers`, `exhausted` (no longer "
        "worked: contact fatigue, or churned and not won back), `penetration` (ever customers / accounts), "
        "`touched_share`, `available_share` (neither a customer nor exhausted), `saturated` (none available), and "
        "with `market.inbound_from_market` `inbound_leads` (inbound leads that were the slice's accounts); "
        "weekly columns `market_penetration_<slice>`", optional=True, when="with a `market` section"),
    KPI("inbound_not_arrived", "object", "per segment, inbound leads that did not arrive because every account "
        "of the segment was a customer, in conversation or exhausted", optional=True,
        when="with `market.inbound_from_market`"),
    KPI("initial_pipeline", "object", "the open deals the run started with: `deals`, `value_usd` (list value), "
        "`won`, `lost`, `open_at_end`, `bookings_usd` (their bookings), `bookings_from_new_leads_usd` (the rest of "
        "the run's bookings), `win_rate` (won / decided)", optional=True, when="with `initial_pipeline`"),
    KPI("quarter_end_share_of_bookings", "fraction", "bookings in the last 4 weeks of each 13-week quarter (from "
        "the run's start) / all bookings; 4/13 = 0.31 when bookings are flat"),
    KPI("discount_by_week_of_quarter", "list", "mean discount (1 - booked / list value) of the wins in each of "
        "the 13 weeks of a quarter, over the run (null: no win that week)", optional=True,
        when="with a `deals` section"),
    KPI("deals_pulled_into_quarter", "count", "wins a rep behind quota pulled into the quarter's last weeks",
        optional=True, when="with a `deals` section"),
    KPI("top_departure", "object", "the first timeline departure of the `top` rep: `week`, `before_usd` "
        "(bookings in the 13 weeks before), `dip` (1 - bookings in the 13 weeks after / before), "
        "`recovery_weeks` (weeks until a 13-week window of bookings reaches `before_usd` again; if never, the "
        "weeks to the end, with `recovered` 0)", optional=True, when="with a `rep_leaves: top` event"),
)

BY_KEY = {k.key: k for k in KPIS}

# The figures ``salesim check`` compares with the benchmark table (sim/benchmarks/table.csv),
# computed from a run by ``sim.metrics.benchmark_figures.measure`` (not keys of the run's KPIs). Each
# ``key`` is a metric of the table; ``unit`` is the table's unit for it.
BENCHMARK_FIGURES: tuple[KPI, ...] = (
    KPI("ae_bookings_per_year_usd", "USD", "per closing role: bookings of the wins whose last step its reps "
        "worked / the role's filled seat-years (seat-days / 365.25; ramping reps and vacancies included), "
        "compared with the `inside` or `field` row by the tier of most of its bookings"),
    KPI("share_at_quota", "fraction", "per role with `quota_usd_per_year`: `quota_attainment`'s `share_at_quota`, "
        "averaged over the run's full 52-week years"),
    KPI("win_rate", "fraction", "per benchmark segment: wins / (wins + leads lost at or after the win-rate stage) "
        "over the scenario's segments of that class"),
    KPI("sales_cycle_days", "days", "per benchmark segment: median days from entering the win-rate stage (or "
        "creation there) to the win, over won leads"),
    KPI("sdr_meetings_per_month", "count", "per role that hands leads to another: hand-offs (a move into a "
        "stage whose step the role worked, when the lead's next task or loss is another role's; a lead lost at "
        "the hand-off counts) / the role's filled seat-months; `enterprise` when most are enterprise leads, "
        "else `outbound` or `inbound` by most leads' source"),
    KPI("sdr_ramp_days", "days", "a setter role's `people.ramp_days` (a scenario value)"),
    KPI("ae_ramp_days", "days", "a closing role's `people.ramp_days` (a scenario value)"),
    KPI("sdr_tenure_years", "years", "a setter role's mean tenure, 1 / `people.attrition_per_year`"),
    KPI("rep_attrition_per_year", "fraction", "a closing role's `people.attrition_per_year` (setters are read "
        "by their tenure in the seat, `sdr_tenure_years`)"),
    KPI("selling_time_fraction", "fraction", "a selling role's deal-facing share of the working week: "
        "`hours_per_week` / the calendar's working hours (40 without a calendar), times the work model's deal "
        "share"),
    KPI("discount_fraction", "fraction", "`average_discount_fraction`, against the row of its segment mix, as GRR"),
    KPI("quota_to_ote_ratio", "ratio", "a closing role's `quota_usd_per_year` / on-target earnings of its pay "
        "plan (`work_model.pay.ROLE.base_usd_per_year` + `variable_at_target_usd`; a scenario value)"),
    KPI("span_of_control", "count", "sellers (headcount of the roles that work funnel steps) / first-line "
        "managers (roles named *manager* that work no step)"),
    KPI("pipeline_coverage", "ratio", "open pipeline at the end (list value of leads still open at or after the "
        "win-rate stage) / bookings of the last 13 weeks (the quarter's run rate for the next quarter's target)"),
    KPI("grr", "fraction", "`grr_trailing_12m`, against the row of its segment mix (a segment holding all but "
        "sidelines under a quarter of bookings: its row; else the bookings-weighted blend of the segments' rows)"),
    KPI("nrr", "fraction", "`nrr_trailing_12m`, against the row of its segment mix, as GRR"),
    KPI("cac_payback_months", "months", "`cac_payback_months`, against the row of its segment mix, as GRR"),
    KPI("magic_number", "ratio", "`magic_number`, against the row of its segment mix, as GRR (the segment rows "
        "are derived from the CAC payback rows)"),
    KPI("csm_book_arr_usd", "USD", "`arr_end_usd` / the CSM role's filled seats at the end (a CSM role that "
        "does not also sell)"),
    KPI("csm_book_accounts", "count", "`customers_end` / the CSM role's filled seats at the end"),
)
FIGURES_BY_KEY = {k.key: k for k in BENCHMARK_FIGURES}

# Units of the fields inside structured KPIs (``stages.sql.conversion``,
# ``roles.ae.utilization``, ``costs.acquisition_usd``...), by the field's last
# name part. Top-level keys take their unit from :data:`KPIS`.
FIELD_UNITS: tuple[tuple[str, str], ...] = (
    ("cost_per_arr_usd", "ratio"), ("cost_to_acv_ratio", "ratio"), ("_ratio", "ratio"),
    ("_usd", "USD"), ("_days", "days"), ("_hours", "hours"), ("_months", "months"), ("_weeks", "weeks"),
    ("_fraction", "fraction"), ("conversion", "fraction"), ("win_rate", "fraction"), ("utilization", "fraction"),
    ("_share", "fraction"), ("share", "fraction"), ("_rate", "fraction"), ("nrr", "fraction"), ("grr", "fraction"),
    ("churn_trailing_12m", "fraction"), ("attained", "fraction"),
)
SCALAR_UNITS = ("USD", "count", "fraction", "days", "weeks", "months", "hours", "ratio")
_COUNT_PREFIXES = ("leads_", "wins", "customers", "new_logos", "tasks", "entered", "moved_on", "lost", "open")


def unit_of(name: str) -> str:
    """The unit of a KPI or of a field inside one (a flattened, dotted name such as
    ``stages.sql.conversion``): the registry's for a top-level key, the field
    rules above for a field, "" when neither says (a plain number)."""
    top = BY_KEY.get(name)
    if top is not None and top.unit in SCALAR_UNITS:
        return top.unit
    last = name.rsplit(".", 1)[-1]
    for suffix, unit in FIELD_UNITS:
        if last.endswith(suffix):
            return unit
    if top is None and "." in name:
        parent = BY_KEY.get(name.split(".", 1)[0])
        if parent is not None and parent.unit in SCALAR_UNITS:
            return parent.unit  # a per-source or per-segment entry of a scalar KPI
    return "count" if last.startswith(_COUNT_PREFIXES) else ""
# Which way is good, by the name of a KPI or of a field inside one (the first rule that matches wins):
# reports colour a change green only when it moves the KPI the good way. Costs, waits, losses and churn
# are better lower; money in, wins, conversion and retention higher; the rest (counts of leads created,
# headcount, utilization) has no good direction.
LOWER_IS_BETTER = ("cost", "cac", "payback", "churn", "contraction", "lost", "lose", "wait", "queue", "cancel",
                   "discount", "dip", "recovery_weeks", "gini", "top20", "exposure", "volatility", "std",
                   "onboarding_wait", "signed_not_live", "missed", "setup", "switch")
HIGHER_IS_BETTER = ("arr", "bookings", "won", "wins", "win_rate", "conversion", "nrr", "grr", "revenue",
                    "invoiced", "cash", "customers_end", "new_logos", "magic_number", "mrr", "average_deal",
                    "attained", "at_quota", "expansion", "per_head", "growth", "penetration")


def better_of(name: str) -> int:
    """+1 if a higher value of this KPI (or field, a dotted name) is better, -1 if a lower one is, 0 if
    neither (a count of leads created, a headcount, a utilization)."""
    low = name.lower()
    if any(w in low for w in LOWER_IS_BETTER):
        return -1
    if any(w in low for w in HIGHER_IS_BETTER):
        return 1
    return 0


BLOCK = "kpi-table"  # the marker block of docs/guide/kpis.md that holds markdown_table() (sim/markers.py)


def ordered(kpis: dict) -> dict:
    """The KPIs in registry order; a key nobody declared is a programming error."""
    unknown = [k for k in kpis if k not in BY_KEY]
    if unknown:
        raise KeyError(f"KPI keys missing from sim/metrics/registry.py: {unknown}")
    return {k.key: kpis[k.key] for k in KPIS if k.key in kpis}


def markdown_table() -> str:
    """The user guide's KPI table (docs/guide/kpis.md)."""
    rows = ["| key | unit | definition |", "|---|---|---|"]
    rows += [f"| `{k.key}` | {k.unit} | {k.definition}{f' ({k.when})' if k.optional else ''} |" for k in KPIS]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.metrics.registry``: print the table; ``... render``: rewrite its block in the user
    guide (docs/guide/kpis.md of a source checkout)."""
    import sys
    from pathlib import Path

    from sim import markers

    args = sys.argv[1:] if argv is None else argv
    if args != ["render"]:
        print(markdown_table())
        return 0
    page = Path(__file__).resolve().parents[2] / "docs" / "guide" / "kpis.md"
    markers.render_file(page, {BLOCK: markdown_table}, "docs/guide/kpis.md", required=[BLOCK])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
