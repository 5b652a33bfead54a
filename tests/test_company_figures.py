"""Company-wide benchmark figures (sim.metrics.company_figures): which row they read when
bookings are split between segments, what CAC payback's cost drivers say, and the table's
magic-number rows agreeing with its CAC payback rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.benchmarks import Benchmark, Table, default_table
from sim.metrics.benchmark_figures import Figure, compare
from sim.metrics.figure_kit import SIDELINE_SHARE, mix_row
from sim.scenario import load_scenario
from sim.units import DAYS_PER_YEAR

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
PAYBACK = default_table()


def _table() -> Table:
    return Table((Benchmark("cac_payback_months", "smb", 8, 12, 10), Benchmark("cac_payback_months", "mid_market",
                                                                                  14, 18, 16)), name="hand")


# --- (a) the table is consistent with itself ---------------------------------------------------

def test_magic_number_rows_agree_with_cac_payback_rows_over_the_stated_margin():
    """CAC payback (months) = 12 / (magic number x gross margin): for every segment with a
    payback row, the magic-number row it reads must overlap the payback range carried through
    that identity over the gross-margin range the derived rows state (a single 0.7-1.0 row for
    every segment failed this for SMB: 8-12 months is a magic number of 1.25-2.14)."""
    t = default_table()
    derived = [r for r in t.rows_for("magic_number") if r.note.startswith("derived")]
    assert derived, "no magic-number row derived from the payback rows"
    lo_gm, hi_gm = (float(x) / 100 for x in re.search(r"gross margin (\d+)-(\d+)%", derived[0].note).groups())
    assert 0 < lo_gm < hi_gm <= 1
    for pb in t.rows_for("cac_payback_months"):
        magic = t.get("magic_number", pb.segment)
        assert magic is not None, pb.segment
        implied = (12 / (pb.high * hi_gm), 12 / (pb.low * lo_gm))
        assert magic.low <= implied[1] and implied[0] <= magic.high, (pb.segment, implied, magic)
        if magic.note.startswith("derived"):  # a derived row is the identity's image, rounded to 2 places
            assert (magic.low, magic.high) == pytest.approx(implied, abs=0.006), pb.segment
            assert magic.segment == pb.segment and "payback" in magic.source and magic.trust


def test_a_company_reads_the_magic_number_row_of_its_segment():
    t = default_table()
    label, row = mix_row((("smb", 0.9), ("mid_market", 0.1)), t, "magic_number")
    assert (label, row) == ("smb", t.get("magic_number", "smb")) and row.low > 1.0


# --- (c) which row a company figure reads ------------------------------------------------------

def test_a_90_10_split_reads_the_big_segments_row():
    t = _table()
    assert mix_row((("mid_market", 0.9), ("smb", 0.1)), t, "cac_payback_months") == \
        ("mid_market", t.get("cac_payback_months", "mid_market"))
    assert 0.1 < SIDELINE_SHARE


def test_a_50_50_split_reads_one_stable_blended_row():
    """Replications that fall 52/48 one way and 48/52 the other read one row, the blend (the
    row of the single segment holding most bookings flipped between 8-12 and 14-18 months)."""
    t = _table()
    runs = [[Figure("cac_payback_months", "x", "company", v, mix=mix)] for v, mix in (
        (12.0, (("smb", 0.52), ("mid_market", 0.48))), (13.0, (("mid_market", 0.52), ("smb", 0.48))),
        (12.5, (("smb", 0.51), ("mid_market", 0.49))))]
    (c,) = compare(runs, t)
    # mean mix: smb (0.52 + 0.48 + 0.51) / 3 = 0.5033 -> 50%, mid_market 50%
    assert c.segment in ("mid_market 50% + smb 50%", "smb 50% + mid_market 50%")
    assert (c.benchmark.low, c.benchmark.typical, c.benchmark.high) == pytest.approx((11.0, 13.0, 15.0))
    assert c.position == "inside" and c.n == 3
    # each run alone reads the same row within a percent of the split
    for figs in runs:
        (one,) = compare([figs], t)
        assert one.benchmark.low == pytest.approx(11.0, abs=0.125) and one.benchmark.high == pytest.approx(
            15.0, abs=0.125)


def test_a_segment_without_a_row_is_not_read_against_a_minority_segments_row():
    t = Table((Benchmark("discount_fraction", "mid_market", 0.2, 0.3),), name="hand")
    assert mix_row((("smb", 0.77), ("mid_market", 0.23)), t, "discount_fraction") == ("smb", None)
    assert mix_row((("smb", 0.6), ("mid_market", 0.4)), t, "discount_fraction") == ("smb", None)
    # the segments with a row hold most of the bookings that count: their row, the rest left out
    assert mix_row((("mid_market", 0.6), ("smb", 0.4)), t, "discount_fraction") == ("mid_market", t.rows[0])
    assert mix_row((), t, "discount_fraction") == ("all", None)


# --- (b) what CAC payback's cost drivers say ---------------------------------------------------

@pytest.mark.parametrize("managers", [False, True])
def test_cac_payback_names_the_no_step_roles_whose_cost_is_in_cac(managers):
    """small_team, 13 weeks: its sales_manager works no funnel step (with its work_model.managers
    it coaches, reviews deals and hires; without, it does nothing visible). Its salary, checked by
    hand (a seat filled every day: $200k x 91 / 365.25 days), is in acquisition cost
    (acquisition = salaries of the roles outside retention + commissions + fees + marketing per lead
    + marketing programmes + recruiting), so
    in CAC: the driver says so by role and pushes payback up (the old text said it was *not* in
    CAC)."""
    import sim
    from sim.metrics.benchmark_figures import measure

    over = ["horizon_weeks=13"] + ([] if managers else ["work_model.managers=null"])
    sc = load_scenario(SCEN / "small_team.yaml", over)
    r = sim.simulate(sc, seed=5)
    k, costs = r.kpis, r.kpis["costs"]
    mgr = 200_000 * 13 * 7 / DAYS_PER_YEAR
    assert costs["salaries_by_role_usd"]["sales_manager"] == pytest.approx(mgr, abs=0.01)
    assert costs["unallocated_sales_marketing_usd"] == pytest.approx(mgr, abs=0.01)
    sellers = sum(costs["salaries_by_role_usd"][x] for x in ("mdr", "sdr", "ae"))
    by_hand = (sellers + mgr + costs["commissions_usd"] + costs["fees_usd"] + costs["marketing_usd"]
               + costs["marketing_programmes_usd"] + costs["recruiting_usd"])
    assert costs["marketing_programmes_usd"] == pytest.approx(350_000 * 13 * 7 / DAYS_PER_YEAR, rel=1e-3)
    assert costs["acquisition_usd"] == pytest.approx(by_hand, rel=1e-6)
    assert k["cac_usd"] * k["new_logos"] == pytest.approx(costs["acquisition_usd"], rel=1e-4)
    (pb,) = [f for f in measure(k, r.facts, sc, default_table()) if f.metric == "cac_payback_months"]
    texts = [d.text for d in pb.drivers]
    assert not any("not in CAC" in t for t in texts)
    (d,) = [d for d in pb.drivers if d.text.startswith("CAC includes")]
    assert f"sales_manager ${mgr:,.0f}" in d.text and f"${mgr:,.0f} of salaries" in d.text
    assert ("coaching, deal reviews, hiring" in d.text) == managers
    acq = costs["acquisition_usd"]
    assert d.push == pytest.approx(__import__("math").log(acq / (acq - mgr)), rel=1e-6) and d.push > 0


# --- part 2: what an overloaded book costs, and why the magic number is low ---------------------

def _kpis(**extra) -> dict:
    k = {"bookings_by_segment_usd": {"smb": 9e5, "mid_market": 1e5}, "roles": {"csm": {"utilization": 1.6,
         "headcount": 1}}, "customers_end": 200, "arr_end_usd": 4e6, "costs": {"acquisition_usd": 1e6}}
    k.update(extra)
    return k


def test_an_overloaded_csm_book_driver_says_what_the_overload_costs():
    """small_team's CSM at 160% of their hours with 200 customers and $4M ARR: 200 x (1 - 1/1.6) = 75
    accounts a month without their check-in, renewal odds times the scenario's curve at 1.6, and the
    ARR that costs (sim.metrics.csm_book) -- not "accounts go untouched" without a number."""
    from sim.metrics.company_figures import company_figures, renewal_probability
    from sim.metrics.csm_book import curve_at

    sc = load_scenario(SCEN / "small_team.yaml")
    (grr,) = company_figures(_kpis(grr_trailing_12m=0.7), sc, default_table(), [])
    (d,) = [d for d in grr.drivers if "CSM book" in d.text]
    m = min(1.0, curve_at(sc.post_sale.csm_load_renewal_curve, 1.6))
    lost = 4e6 * renewal_probability(sc) * (1 - m)  # one-year terms
    assert "160% of the CSMs' hours" in d.text and "about 75 accounts a month go without their check-in" in d.text
    assert f"renewal odds x {m:.2f}" in d.text and f"${lost:,.0f} of ARR a year not renewed" in d.text
    assert d.push < 0


def test_a_low_magic_number_names_net_retention_and_overhead():
    """A magic number below its row with the base keeping less than the row's NRR: the mechanism
    is the retention (it said "no modelled driver explains it" when only seller productivity was
    a driver)."""
    from sim.metrics.benchmark_figures import mechanism
    from sim.metrics.company_figures import company_figures

    sc = load_scenario(SCEN / "small_team.yaml")
    figs = company_figures(_kpis(magic_number=0.5, nrr_trailing_12m=0.6), sc, default_table(), [])
    (magic,) = [f for f in figs if f.metric == "magic_number"]
    assert magic.segment == "smb"
    assert mechanism(magic, "below").startswith("NRR 60% against about 97%")
