"""Behaviours a mutation run over sim/model and sim/metrics found unchecked
(docs/mutation.md): each test is a small case checked by hand, a conservation
identity or a binomial/Poisson band, and each fails on the mutant named in its
docstring."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.conftest import SCENARIOS, build, chain


def _two_segments(**source) -> dict:
    """One inbound source of 100 leads a week split evenly over two segments
    (list prices $10k and $40k), one sure step worked with unlimited capacity."""
    data = chain([1.0], rate_per_week=100, headcount=None)
    steps = data["segments"]["only"]["steps"]
    data["segments"] = {"small": {"acv_usd": 10_000, "steps": steps},
                        "large": {"acv_usd": 40_000, "steps": steps}}
    data["sources"]["web"]["segment_mix"] = {"small": 0.5, "large": 0.5}
    data["sources"]["web"].update(source)
    return data


def test_bookings_per_week_is_bookings_over_the_horizon_in_weeks():
    """Mutant: ``weeks = horizon_days * 7`` in ``kpis`` (bookings per week off by 49x)."""
    k = sim.simulate(sim.load_scenario(SCENARIOS / "small_team.yaml"), seed=1, weeks=20, record="kpis").kpis
    assert k["horizon_weeks"] == 20
    assert k["bookings_usd"] > 0
    assert k["bookings_per_week_usd"] == pytest.approx(k["bookings_usd"] / 20, abs=0.01)


def test_quarterly_win_rate_counts_the_decisions_of_each_quarter():
    """``win_rate_by_quarter`` recomputed from the leads table: per 13-week quarter
    of the outcome, wins / (wins + leads lost at or after the win-rate stage);
    ``win_rate_stability`` is their (population) standard deviation.
    Mutant: the quarter's rate rounded to a whole number (0 or 1)."""
    scenario = sim.load_scenario(SCENARIOS / "small_team.yaml")
    result = sim.simulate(scenario, seed=1, weeks=40)
    k, leads = result.kpis, result.leads
    first = scenario.stages.index(k["win_rate_from_stage"])
    stage = np.array([scenario.stages.index(s) if isinstance(s, str) else -1  # open leads: no outcome
                      for s in leads.outcome_stage.astype(object)])
    won = (leads.outcome == "won").to_numpy()
    lost = ((leads.outcome != "won") & (leads.outcome != "open")).to_numpy() & (stage >= first)
    quarter = (leads.outcome_days.fillna(1e9).to_numpy() // 7) // 13  # open leads: no quarter
    expected = [won[quarter == q].sum() / (won[quarter == q].sum() + lost[quarter == q].sum()) for q in range(3)]
    assert k["win_rate_by_quarter"] == pytest.approx(expected, abs=1e-4)  # 40 weeks: three whole quarters
    assert all(0.2 < x < 0.7 for x in k["win_rate_by_quarter"])
    assert k["win_rate_stability"] == pytest.approx(float(np.std(expected)), abs=1e-4)


def test_a_price_change_for_one_segment_reprices_only_that_segment():
    """A price change with a ``segment`` multiplies that segment's list price from
    its week on and leaves the other segment's alone (the list price is drawn at
    creation, so every lead's ``acv_list_usd`` says which applied).
    Mutant: the segment test negated (the other segments repriced instead)."""
    data = _two_segments()
    data["timeline"] = [{"week": 2, "action": "price_change", "segment": "large", "price_multiplier": 1.5}]
    leads = sim.simulate(build(data, horizon_weeks=4), seed=3).leads
    after = leads.created_days >= 14
    expected = np.where(leads.segment == "small", 10_000, np.where(after, 60_000, 40_000))
    assert after.any() and (~after).any()
    assert (leads.acv_list_usd.to_numpy() == expected).all()


def test_a_market_shock_above_one_multiplies_inbound_arrivals():
    """Arrivals are thinned from the highest rate the run can reach, which a shock
    above 1 raises: 100 leads a week, x3 in weeks 4-8, so 400, 1,200 and 400 leads
    in the three four-week blocks (Poisson: within 5 standard deviations).
    Mutant: the peak divided by the shock (the run never reaches its rate)."""
    data = chain([1.0], rate_per_week=100, headcount=None)
    data["timeline"] = [{"week": 4, "action": "market_shock", "source": "web", "rate_multiplier": 3.0,
                         "weeks": 4}]
    created = sim.simulate(build(data, horizon_weeks=12), seed=5, record="kpis").weekly["created"]
    for block, mean in zip((created[:4], created[4:8], created[8:12]), (400, 1200, 400), strict=True):
        assert abs(block.sum() - mean) < 5 * mean ** 0.5, (block.sum(), mean)


def test_a_source_conversion_multiplier_scales_its_step():
    """``conversion_multiplier: {s1: 0.5}`` on the only source halves the step's
    0.8: about 40% of the leads that leave s0 move on (binomial over ~5,000
    leads: within 0.03). Mutant: the multiplier looked up under the wrong key."""
    data = chain([0.8, 1.0], rate_per_week=100, headcount=None)
    data["sources"]["web"]["conversion_multiplier"] = {"s1": 0.5}
    k = sim.simulate(build(data), seed=2, record="kpis").kpis
    s0 = next(s for s in k["stages"] if s["stage"] == "s0")
    assert s0["moved_on"] + s0["lost"] > 4000
    assert s0["conversion"] == pytest.approx(0.4, abs=0.03)


def test_annual_invoices_within_the_first_term_are_the_new_arr():
    """Billed annually in advance, an account is invoiced its ARR when that ARR
    first counts; within the first (one-year) term and without expansions every
    invoice is a new logo's first year, so invoiced = new ARR, account by account.
    Mutant: the per-account running ARR computed over all accounts at once."""
    scenario = sim.load_scenario(SCENARIOS / "small_team.yaml")
    assert scenario.economics.billing == "annual_in_advance"
    k = sim.simulate(scenario, seed=1, weeks=40, record="kpis").kpis
    assert k["new_logos"] > 20 and k["arr_expansion_usd"] == 0
    assert k["invoiced_usd"] == pytest.approx(k["arr_new_usd"], abs=0.05)


def test_least_loaded_routing_gives_each_lead_to_a_rep_with_the_fewest_open_leads():
    """Four reps who own their leads (no cap in reach): at every assignment the
    chosen rep holds no more open leads than any other, counted from the event
    log (a lead is open from its creation to its outcome). Random routing breaks
    this for most leads. Mutant: the least-loaded and random rules swapped."""
    data = chain([1.0], rate_per_week=70, headcount=[4], work_hours=1, hours_per_week=40, elapsed_days=5)
    data["roles"]["r1"].update(owns_leads=True, routing="least_loaded", max_open_per_rep=1000)
    result = sim.simulate(build(data, horizon_weeks=20), seed=8)
    ev, leads = result.events, result.leads.set_index("lead")
    rep = ev[ev.event == "work"].groupby("lead").rep.first()
    start = leads.created_days.reindex(rep.index).to_numpy()
    end = leads.outcome_days.reindex(rep.index).fillna(np.inf).to_numpy()
    reps = rep.to_numpy()
    assert len(reps) > 1000
    for i in np.argsort(start, kind="stable"):
        t = start[i]
        held = np.bincount(reps[(start < t) & (end > t)], minlength=4)
        assert held[reps[i]] == held.min(), (t, reps[i], held)


def test_magic_number_is_the_years_arr_added_over_the_year_befores_sales_and_marketing():
    """Two years of small_team (no onboarding role, no process prices: every cost
    is sales and marketing): the second year's magic number is the ARR added in
    weeks 52-103 over the cost of weeks 0-51, from the weekly series.
    Mutant: retention costs subtracted from the spend instead of added."""
    result = sim.simulate(sim.load_scenario(SCENARIOS / "small_team.yaml"), seed=1, weeks=104, record="kpis")
    k, w = result.kpis, result.weekly
    c = k["costs"]
    assert c["onboarding_usd"] == 0 and c["process_usd"] == 0 and c["retention_usd"] > 0
    assert w["cost_usd"].sum() == pytest.approx(c["sales_marketing_usd"], abs=1.0)
    arr, cost = w["arr_usd"].to_numpy(), w["cost_usd"].to_numpy()
    expected = (arr[103] - arr[51]) / cost[:52].sum()
    assert k["magic_number_by_year"] == [pytest.approx(expected, abs=1e-4)]
    assert k["magic_number"] == pytest.approx(expected, abs=1e-4)


def test_csm_busy_hours_are_the_books_needs_while_the_csm_is_at_work():
    """small_team's one CSM (csm_hours_per_month: smb 0.5, mid-market 2) over its
    calendar year (2024 from 1 January: 262 weekdays, 8 holidays on weekdays, 15
    vacation days): busy hours = the hours the live accounts' books needed
    (from the account log) x the share of working days the CSM is not away,
    1 - 15/254. Mutant: that share left out (busy hours 6% too high)."""
    from sim.units import DAYS_PER_MONTH

    scenario = sim.load_scenario(SCENARIOS / "small_team.yaml")
    assert scenario.roles["csm"].headcount == 1 and scenario.calendar.vacation_days_per_year == 15
    result = sim.simulate(scenario, seed=1, weeks=52)
    a, horizon = result.accounts, 52 * 7.0
    per_month = {g: seg.customer.csm_hours_per_month for g, seg in scenario.segments.items()}
    churned = a[a.event == "churned"].set_index("account").t_days
    needed = sum(per_month[row.segment] * (min(churned.get(row.account, horizon), horizon) - row.t_days)
                 / DAYS_PER_MONTH for row in a[a.event == "live"].itertuples())
    assert needed > 100
    [busy] = result.kpis["roles"]["csm"]["busy_hours_per_rep"]
    assert busy == pytest.approx(needed * (1 - 15 / 254), abs=0.2)


def test_a_leaver_takes_the_value_of_their_open_leads_and_is_replaced_after_the_hiring_lag():
    """Four reps own their leads from creation to outcome (5 days); rep 0 leaves at
    day 21 and the role backfills after 30 days. The departure records as
    pipeline the list value of the leads rep 0 held open at day 21 (read off the
    event log), and the replacement is hired at day 51 exactly.
    Mutants: a rep's open value set to the last lead's value instead of reduced by
    it; the hiring lag ignored (the seat refilled at once)."""
    data = chain([1.0], rate_per_week=70, headcount=[4], work_hours=1, hours_per_week=40, elapsed_days=5)
    data["roles"]["r1"].update(owns_leads=True, routing="least_loaded", max_open_per_rep=1000,
                               people={"hiring_lag_days": 30, "lose_open_deals_probability": 0.0})
    data["timeline"] = [{"week": 3, "action": "rep_leaves", "role": "r1", "rep": 0}]
    data["segments"]["only"]["acv_usd"] = {"dist": "lognormal", "median": 10_000, "sigma": 0.5}
    result = sim.simulate(build(data, horizon_weeks=10), seed=4)
    ev, leads = result.events, result.leads.set_index("lead")
    rep = ev[ev.event == "work"].groupby("lead").rep.first()
    mine = leads.loc[rep.index[rep == 0]]
    held = mine[(mine.created_days < 21) & (mine.outcome_days.fillna(np.inf) > 21)]
    assert len(held) >= 3
    [left] = result.kpis["departures"]
    assert left["t_days"] == 21 and left["rep"] == 0
    assert left["pipeline_usd"] == pytest.approx(held.acv_list_usd.sum(), abs=0.01)
    tl = result.timeline
    assert tl[tl.event == "rep_hired"].t_days.tolist() == [pytest.approx(51.0)]


@pytest.mark.parametrize(("spec", "lo", "hi"), [
    ({"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0}, 1.0, 6.0),
    ({"dist": "uniform", "low": 1.0, "high": 3.0}, 1.0, 3.0),
    ({"dist": "pareto", "alpha": 3.0, "minimum": 2.0}, 2.0, np.inf),
], ids=["triangular", "uniform", "pareto"])
def test_a_scaled_distribution_keeps_its_bounds_scaled(spec, lo, hi):
    """Work hours become days through a scale (here 1/4): every draw of a bounded
    distribution lies within its bounds times the scale, and the mean is the
    spec's mean times the scale. (The existing mean test uses a triangular with
    low 0, where dividing the low bound by the scale goes unseen.)
    Mutant: the triangular's low bound divided by the scale."""
    from pydantic import TypeAdapter

    from sim.model.draws import sampler
    from sim.scenario.distributions import Dist

    d = TypeAdapter(Dist).validate_python(spec)
    draw = sampler(d, np.random.default_rng(11), scale=0.25, size=100)
    x = np.array([draw() for _ in range(5_000)])
    assert lo * 0.25 <= x.min() and x.max() <= hi * 0.25
    assert x.mean() == pytest.approx(d.mean() * 0.25, rel=0.05)


def test_trailing_retention_from_the_account_log():
    """Two years of small_team: the accounts holding ARR a year (365.25 days) before
    the end are the base; GRR = their ARR then less what they lost in the year
    (capped at what they had) over their ARR then; revenue churn = 1 - GRR; NRR =
    their ARR at the end over their ARR then; logo churn = the share of the base
    with no ARR at the end. All from the account log's ARR changes.
    Mutant: revenue churn left out (None)."""
    result = sim.simulate(sim.load_scenario(SCENARIOS / "small_team.yaml"), seed=1, weeks=104, record="kpis")
    k, a = result.kpis, result.accounts
    end = 104 * 7.0
    cut = end - 365.25
    then = a[a.t_days <= cut].groupby("account").arr_delta_usd.sum()
    now = a.groupby("account").arr_delta_usd.sum()
    base = then[then > 1e-9]
    window = a[(a.t_days > cut) & (a.arr_delta_usd < 0)]
    down = (-window.groupby("account").arr_delta_usd.sum()).reindex(base.index, fill_value=0.0)
    grr = (base - np.minimum(down, base)).sum() / base.sum()
    assert len(base) > 20 and 0.5 < grr < 1
    assert k["grr_trailing_12m"] == pytest.approx(grr, abs=1e-4)
    assert k["revenue_churn_trailing_12m"] == pytest.approx(1 - grr, abs=1e-4)
    assert k["nrr_trailing_12m"] == pytest.approx(now.reindex(base.index).sum() / base.sum(), abs=1e-4)
    assert k["logo_churn_trailing_12m"] == pytest.approx((now.reindex(base.index) <= 1e-9).mean(), abs=1e-4)


def test_a_pods_win_rate_counts_its_wins_and_its_decided_losses():
    """pods_no_split: each POD owns one segment, so its win rate is that segment's
    wins over wins plus leads lost at or after the win-rate stage, from the leads
    table. Mutant: a POD's decided losses counted as 1 whatever their number."""
    scenario = sim.load_scenario(SCENARIOS / "pods_no_split.yaml")
    result = sim.simulate(scenario, seed=1, weeks=80)  # long enough for more than ten wins and losses per POD
    leads = result.leads
    first = scenario.stages.index(scenario.win_rate_stage)
    stage = np.array([scenario.stages.index(s) if isinstance(s, str) else -1
                      for s in leads.outcome_stage.astype(object)])
    decided = ((leads.outcome != "won") & (leads.outcome != "open")).to_numpy() & (stage >= first)
    for pod in result.kpis["pods"]:
        [segment] = pod["owns"]
        mine = (leads.segment == segment).to_numpy()
        won = int(((leads.outcome == "won").to_numpy() & mine).sum())
        lost = int((decided & mine).sum())
        assert pod["wins"] == won > 10 and lost > 10
        assert pod["win_rate"] == pytest.approx(won / (won + lost), abs=1e-4)


def test_care_a_generalist_has_no_time_for_is_missed_and_costs_renewals():
    """Generalists (inverted_triangle, nobody leaving) who put account care after all
    their selling miss some monthly check-ins: a check-in not picked up within its
    month lapses. With a neutral missed-care curve the accounts renew at the
    configured 0.88 (binomial, pooled over two seeds); with a curve that takes
    renewal to 0 as check-ins are missed, clearly fewer renew on the same random
    numbers. Mutant: a check-in never lapses (it waits for the rep however long)."""
    def renewal_rate(curve):
        data = sim.load_scenario(SCENARIOS / "inverted_triangle.yaml").model_dump(by_alias=True)
        data["post_sale"]["missed_care_renewal_curve"] = curve
        people = data["roles"]["rep"]["people"]
        people["attrition_per_year"] = 0.0
        people["time_policy"] = ["onboarding", "closing", "prospecting", "account_care"]
        renewed = decided = 0
        for seed in (1, 2):
            kinds = sim.simulate(sim.validate_data(data), seed=seed, weeks=104, record="kpis").accounts["event"]
            r, c = int((kinds == "renewed").sum()), int((kinds == "churned").sum())
            renewed, decided = renewed + r, decided + r + c
        return renewed / decided, decided

    neutral, n = renewal_rate([(0.0, 1.0), (1.0, 1.0)])
    assert n > 100 and abs(neutral - 0.88) < 3 * (0.88 * 0.12 / n) ** 0.5
    missed, _ = renewal_rate([(0.0, 1.0), (1.0, 0.0)])
    assert missed < neutral - 0.2


# -- Survivors of the same run judged not harmless (docs/mutation.md) ------------------------

@pytest.fixture(scope="module")
def small_team_kpis() -> dict:
    return sim.simulate(sim.load_scenario(SCENARIOS / "small_team.yaml"), seed=1, weeks=30, record="kpis").kpis


def test_cost_of_sale_per_win_and_to_acv(small_team_kpis):
    """Each segment's cost per win is its cost over its wins, and the cost-to-ACV
    ratio that cost over the segment's average deal.
    Mutant: the cost per win never computed (``if wins and False``)."""
    rows = small_team_kpis["cost_of_sale_by_segment"]
    assert sum(r["wins"] for r in rows.values()) > 20
    for name, r in rows.items():
        if not r["wins"]:
            continue
        assert r["cost_per_win_usd"] == pytest.approx(r["cost_usd"] / r["wins"], abs=0.01), name
        assert r["cost_to_acv_ratio"] == pytest.approx(r["cost_per_win_usd"] / r["average_deal_usd"], abs=1e-3)


def test_arr_per_head_by_role_is_the_end_arr_over_the_roles_headcount(small_team_kpis):
    """Mutant: ARR multiplied by the headcount instead of divided."""
    k = small_team_kpis
    assert k["arr_end_usd"] > 0
    for role, per_head in k["arr_per_head_by_role_usd"].items():
        heads = k["roles"][role]["headcount"]
        if heads:
            assert per_head == pytest.approx(k["arr_end_usd"] / heads, rel=1e-6), role


def test_a_reps_win_rate_is_wins_over_decided_deals(small_team_kpis):
    """Mutant: wins over (wins - losses)."""
    reps = [r for r in small_team_kpis["reps"] if r["wins"] + r["losses"]]
    assert reps and any(r["losses"] for r in reps)
    for r in reps:
        assert r["win_rate"] == pytest.approx(r["wins"] / (r["wins"] + r["losses"]), abs=1e-4)


def test_a_flat_price_accrues_in_weeks_no_covered_seat_is_filled():
    """Enablement at a flat 36,525 a year covers every role with seats; here every
    role is unlimited (no seat is ever filled), so the price is shared over the
    covered roles evenly and still accrues: 36,525 x 364 / 365.25 = 36,400.
    Mutant: a week counted as empty only below zero seat-days (the price lost)."""
    data = chain([0.8, 0.8], rate_per_week=20, headcount=None)
    data["process"] = {"enablement": {"cost_basis": "flat", "cost_per_year_usd": 36_525}}
    k = sim.simulate(build(data, horizon_weeks=52), seed=1, record="kpis").kpis
    assert k["costs"]["process_by_lever_usd"]["enablement"] == pytest.approx(36_400.0)


def test_each_roles_share_of_time_at_work_follows_its_own_days_and_vacation():
    """Two roles work 09:00-17:00, r1 Monday to Friday, r2 Monday to Wednesday with
    20 vacation days a year: over 52 weeks r1 is at work 40/168 of the time, r2
    24/168 less the vacation's share of its working days in the first year.
    Mutants: the calendar cache keyed without the days (r2 gets r1's calendar);
    the vacation left out of the share."""
    import datetime as dt

    data = chain([0.5, 0.5], rate_per_week=20, headcount=[2, 2])
    for r in data["roles"].values():
        r.pop("hours_per_week")
    data["calendar"] = {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": "09:00-17:00",
                        "start_date": "2024-01-01"}
    data["roles"]["r2"]["calendar"] = {"days": ["mon", "tue", "wed"], "vacation_days_per_year": 20}
    layout = sim.simulate(build(data, horizon_weeks=52), seed=1, record="kpis").facts.layout
    start = dt.date(2024, 1, 1)
    mon_to_wed = sum((start + dt.timedelta(days=i)).weekday() < 3 for i in range(366))  # days < 365.25
    assert layout.work_share == pytest.approx([40 / 168, 24 / 168 * (1 - 20 / mon_to_wed)], rel=1e-9)


def test_an_unlimited_csm_never_has_a_full_book():
    """Customer success with unlimited capacity: however many accounts (10 CSM
    hours a month each), nobody's book overloads, so accounts renew at the
    configured 0.9 (binomial, 4 standard errors).
    Mutant: the unlimited CSM treated as one CSM with a finite book."""
    from tests.test_revenue import _customers

    data = _customers(renewal=0.9, onb_churn=0.0, csm_hours=10.0)
    data["segments"]["only"]["customer"]["expansion"]["opportunities_per_year"] = 0.0
    kinds = sim.simulate(build(data, horizon_weeks=120), seed=2, record="kpis").accounts["event"]
    renewed, churned = int((kinds == "renewed").sum()), int((kinds == "churned").sum())
    n = renewed + churned
    assert n > 1000
    assert abs(renewed / n - 0.9) < 4 * (0.9 * 0.1 / n) ** 0.5, (renewed, n)


def test_the_data_loop_stops_lifting_a_stage_at_its_cap():
    """s1 converts at 0.5 against a benchmark of 0.9: always below it, so every
    period lifts it by 2% until the cap of +10%: 1.02^4 = 1.082, then the fifth
    lift stops at 1.1, and no lift follows.
    Mutant: a stage at its cap still counted as liftable (a lift a period at 1.1)."""
    data = chain([0.5], rate_per_week=60, headcount=None)
    data["process"] = {"data_driven": {"period_days": 7, "min_observations": 30, "lift_fraction": 0.02,
                                       "max_lift": 0.1, "benchmark": {"s1": 0.9}}}
    tl = sim.simulate(build(data, horizon_weeks=40), seed=1).timeline
    lifts = tl[tl.event == "process_lift"]["lift"].tolist()
    assert lifts == pytest.approx([1.02, 1.02 ** 2, 1.02 ** 3, 1.02 ** 4, 1.1]), lifts


@pytest.mark.parametrize("owned", [False, True], ids=["pooled", "owned"])
def test_a_lead_goes_straight_on_to_the_next_step_of_the_same_rep(owned):
    """One rep works both steps (later steps first) and is overloaded with new
    leads: a lead that passes s1 has its s2 started the instant s1 ends (the freed
    seat waits for the instant's own request), never behind a cold lead; whether
    the rep owns the lead or not.
    Mutants: the plan's ``may_return`` inverted or dropped (the seat goes to the
    line's head at once and the lead's next step waits a task)."""
    data = chain([0.5, 1.0], rate_per_week=150, headcount=1, work_hours=1.0)
    data["steps"]["s2"]["role"] = "r1"
    del data["roles"]["r2"]
    if owned:
        data["roles"]["r1"].update(owns_leads=True, max_open_per_rep=100_000)
    ev = sim.simulate(build(data, horizon_weeks=4), seed=1).events
    work = ev[ev.event == "work"]
    s2 = work[work.stage == "s2"]
    assert len(s2) > 100 and (work[work.stage == "s1"].wait_days > 1).mean() > 0.5  # a long line
    assert (s2.wait_days == 0).all(), s2.wait_days.describe()


def test_handoff_leakage_between_pooled_roles_without_a_delay():
    """Mutant: a step with hand-off leakage (and no delay) taken for a plain step, so
    its leakage is never drawn."""
    from scipy import stats

    data = chain([1.0, 1.0], rate_per_week=100, headcount=[5, 5], work_hours=0.5)
    data["handoff"] = {"leakage_probability": 0.3}
    k = n = 0
    for seed in (5, 6):
        leads = sim.simulate(build(data, horizon_weeks=10), seed=seed).leads
        handed = leads[(leads.outcome_stage.cat.codes >= 1) & (leads.outcome != "open")]
        k, n = k + int((handed.outcome == "lost_handoff").sum()), n + len(handed)
    assert n > 1000 and stats.binomtest(k, n, 0.3).pvalue > 0.001


def test_a_dedicated_onboarding_role_is_a_cost_of_service_not_of_acquisition():
    """An onboarding role that does not sell costs its salary as onboarding (cost of
    service): 52 weeks of one person at 365,250 a year = 364,000, none of it in
    acquisition (CAC).
    Mutant: the service roles taken among those that sell instead."""
    data = chain([1.0], rate_per_week=10, headcount=None)
    data["segments"]["only"]["customer"] = {"onboarding": {"work_hours": 1.0}}
    data["roles"]["onb"] = {"headcount": 1, "hours_per_week": 40, "loaded_cost_per_year_usd": 365_250}
    data["post_sale"] = {"onboarding_role": "onb"}
    c = sim.simulate(build(data, horizon_weeks=52), seed=1, record="kpis").kpis["costs"]
    assert c["onboarding_usd"] == pytest.approx(364_000.0)
    assert c["acquisition_usd"] == pytest.approx(c["total_usd"] - 364_000.0)


def test_the_expansion_row_counts_opportunities_that_expired():
    """Expansion opportunities that wait past their expiry for a busy account
    manager count as entered and lost in the customer stages' expansion row.
    Mutant: expired opportunities left out of the row."""
    from tests.test_revenue import _customers

    data = _customers(renewal=1.0, onb_churn=0.0, am_heads=1)
    k = sim.simulate(build(data, horizon_weeks=60), seed=1)
    kinds = k.accounts["event"]
    expired = int((kinds == "expansion_expired").sum())
    assert expired > 0
    row = next(r for r in k.kpis["customer_stages"] if r["stage"] == "expansion")
    assert row["entered"] == expired + int(kinds.isin(["expanded", "expansion_lost"]).sum())
    assert row["moved_on"] == int((kinds == "expanded").sum())


def test_bottlenecks_are_listed_most_utilized_first():
    """Mutant: the sort key dropped (two flagged roles cannot be ordered)."""
    from sim.metrics.bottlenecks import find_bottlenecks

    roles = {"a": {"utilization": 0.96}, "b": {"utilization": 0.99}, "c": {"utilization": 0.5}}
    assert [b.role for b in find_bottlenecks({"roles": roles, "stages": []})] == ["b", "a"]


@pytest.mark.parametrize("people", [True, False], ids=["with_people", "without_people"])
def test_the_top_performer_who_leaves_has_the_most_bookings_so_far(people):
    """``rep_leaves`` with ``rep: top`` takes the present rep with the most bookings
    by then: the sum of the bookings of the wins they closed, read off the event
    log. Deal sizes spread widely (lognormal, sigma 1), so the rep with the
    biggest last deal is seldom the one with the most in total.
    Mutants: a rep's bookings so far replaced by their last deal (with a people
    section); the running bookings per rep dropped (without one)."""
    data = chain([0.5], rate_per_week=60, headcount=[5], work_hours=1.0, hours_per_week=40)
    data["segments"]["only"]["acv_usd"] = {"dist": "lognormal", "median": 10_000, "sigma": 1.0}
    data["timeline"] = [{"week": 6, "action": "rep_leaves", "role": "r1", "rep": "top"}]
    if people:
        data["roles"]["r1"]["people"] = {"hiring_lag_days": 30}
    result = sim.simulate(build(data, horizon_weeks=8), seed=3)
    [left] = result.kpis["departures"]
    ev = result.events
    won = ev[(ev.event == "won") & (ev.t_days < left["t_days"])]
    so_far = won.groupby("rep").value_usd.sum()
    assert len(so_far) == 5 and so_far.idxmax() == left["rep"], (so_far.to_dict(), left)
    last = won.groupby("rep").value_usd.last()
    assert last.idxmax() != so_far.idxmax()  # the case tells the two rules apart


def test_a_top_departure_scheduled_past_the_horizon_reports_none():
    """A ``rep_leaves: top`` that never happens (its week is after the end of the
    run) is reported as a departure with nothing measured, not an error.
    Mutant: the empty recovery called without its week (a TypeError)."""
    data = chain([0.5], rate_per_week=20, headcount=[2], work_hours=1.0, hours_per_week=40)
    data["timeline"] = [{"week": 30, "action": "rep_leaves", "role": "r1", "rep": "top"}]
    k = sim.simulate(build(data, horizon_weeks=20), seed=1, record="kpis").kpis
    assert k["departures"] == []
    assert k["top_departure"] == {"week": 0, "before_usd": None, "dip": None, "recovery_weeks": None,
                                  "recovered": None}
