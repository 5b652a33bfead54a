"""The shipped benchmark table (sim/benchmarks/table.csv) and its loader."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sim.benchmarks import ALL, TABLE_PATH, Benchmark, default_table, load_table, parse_table
from sim.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]

# the rows issue 24 asks for, by metric and segment (or motion)
REQUIRED_ROWS = [
    ("ae_bookings_per_year_usd", "inside"), ("ae_bookings_per_year_usd", "field"), ("share_at_quota", ALL),
    ("win_rate", "smb"), ("win_rate", "mid_market"), ("win_rate", "enterprise"),
    ("grr", "mid_market"), ("nrr", "mid_market"), ("cac_payback_months", "smb"),
    ("cac_payback_months", "mid_market"), ("magic_number", ALL), ("csm_book_arr_usd", "mid_market"),
    ("sdr_meetings_per_month", "enterprise"), ("sdr_meetings_per_month", "inbound"),
    ("sdr_meetings_per_month", "outbound"), ("sales_cycle_days", "smb"), ("sales_cycle_days", "mid_market"),
    ("sales_cycle_days", "enterprise"), ("sdr_ramp_days", ALL), ("ae_ramp_days", ALL),
    ("rep_attrition_per_year", ALL), ("selling_time_fraction", ALL), ("discount_fraction", "mid_market"),
    ("quota_to_ote_ratio", ALL), ("span_of_control", ALL), ("pipeline_coverage", ALL),
]


def test_shipped_table_has_every_required_row_with_a_source_and_trust_mark():
    t = default_table()
    for metric, segment in REQUIRED_ROWS:
        row = t.get(metric, segment)
        assert row is not None and row.segment == segment, (metric, segment)
    for row in t.rows:
        assert row.source and row.trust in ("H", "M-H", "M", "L-M", "L"), row
        assert row.low <= (row.typical if row.typical is not None else row.low) <= row.high, row


def test_issue_figures_are_the_tables():
    t = default_table()
    assert (t.get("win_rate", "enterprise").low, t.get("win_rate", "enterprise").high) == (0.15, 0.20)
    assert (t.get("cac_payback_months", "mid_market").low, t.get("cac_payback_months", "mid_market").high) == (14, 18)
    assert t.get("share_at_quota").typical == 0.54
    # the issue's "$2-5M" CSM book contradicted its 30-50 accounts at mid-market ACVs; the table holds the
    # consistent pair ($1-2.5M, 40-100 accounts at an ACV of ~$25k: SaaStr), tests/test_benchmark_check.py
    assert (t.get("csm_book_arr_usd", "mid_market").low, t.get("csm_book_arr_usd", "mid_market").high) == (1e6, 2.5e6)
    assert (t.get("magic_number").low, t.get("magic_number").high) == (0.7, 1.0)


def test_lookup_falls_back_to_all_and_positions_include_bounds():
    t = default_table()
    assert t.get("span_of_control", "smb").segment == ALL
    assert t.get("win_rate", "plg") is None  # no self-serve win-rate row and no "all" row
    assert t.get("no_such_metric") is None
    b = Benchmark("m", ALL, 1.0, 2.0)
    assert [b.position(x) for x in (0.99, 1.0, 1.5, 2.0, 2.01)] == ["below", "inside", "inside", "inside", "above"]
    assert len(t.rows_for("win_rate")) == 3


def test_a_value_on_a_bound_up_to_rounding_is_inside_and_does_not_straddle():
    """A selling share set at the table's bound and computed as 1 - the other shares (admin
    0.1, meetings 0.3, travel 0.2) reads 0.4000000000000001: on the bound, not above it (it
    read above before)."""
    from sim.metrics.figure_kit import Comparison

    b = Benchmark("selling_time_fraction", ALL, 0.2, 0.4)
    on = 1 - 0.1 - 0.3 - 0.2
    assert on > 0.4 and b.position(on) == "inside" and b.position(0.4001) == "above"
    assert Benchmark("m", ALL, 0.0, 3e6).position(3e6 * (1 + 1e-12)) == "inside"
    assert b.position(0.2 - 1e-6) == "below"

    def comparison(ci):
        return Comparison("selling_time_fraction", ALL, "ae", "measured", on, ci, 30, b, b.position(on), "")

    assert not comparison((0.39, on)).straddles
    assert comparison((0.39, 0.41)).straddles and comparison((0.19, 0.3)).straddles
    assert not comparison(None).straddles


def test_table_is_package_data():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = conf["tool"]["setuptools"]["package-data"]["sim.benchmarks"]
    assert any(TABLE_PATH.match(g) for g in globs)


def test_a_company_table_needs_only_metric_segment_low_high(tmp_path):
    f = tmp_path / "plan.csv"
    f.write_text("metric,segment,low,high\nwin_rate,mid_market,0.22,0.26\nmagic_number,,0.8,1.2\n")
    t = load_table(f)
    assert t.get("win_rate", "mid_market").high == 0.26 and t.get("magic_number").segment == ALL


@pytest.mark.parametrize("text, words", [
    ("metric,segment,low\nwin_rate,smb,0.1\n", "no column high"),
    ("metric,segment,low,high,colour\nwin_rate,smb,0.1,0.2,red\n", "unknown column"),
    ("metric,segment,low,high\nwin_rate,smb,0.3,0.2\n", "above high"),
    ("metric,segment,low,high\nwin_rate,martians,0.1,0.2\n", "segment 'martians'"),
    ("metric,segment,low,high\nwin_rate,smb,abc,0.2\n", "not a number"),
    ("metric,segment,low,high\nwin_rate,smb,nan,0.2\n", "not a finite number"),
    ("metric,segment,low,high\nwin_rate,smb,0.1,0.2\nwin_rate,smb,0.1,0.3\n", "already given in row 2"),
    ("metric,segment,low,typical,high\nwin_rate,smb,0.1,0.5,0.2\n", "typical 0.5 is outside"),
    ("metric,segment,low,high,trust\nwin_rate,smb,0.1,0.2,X\n", "trust 'X'"),
    ("metric,segment,low,high,year\nwin_rate,smb,0.1,0.2,twenty\n", "not a year"),
    ("metric,segment,low,high\nwin rate!,smb,0.1,0.2\n", "letters, digits"),
    ("metric,segment,low,high\nwin_rate,smb,0.1,0.2,9\n", "more cells"),
    ("metric,segment,low,high\n", "no rows"),
])
def test_bad_tables_are_usage_errors_naming_the_row(tmp_path, text, words):
    f = tmp_path / "t.csv"
    f.write_text(text)
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        load_table(f)


def test_unreadable_tables_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        load_table(tmp_path / "missing.csv")
    with pytest.raises(UsageError, match="not a regular file"):
        load_table(tmp_path)
    bad = tmp_path / "latin.csv"
    bad.write_bytes(b"metric,segment,low,high\nwin_rate,sm\xe9,0.1,0.2\n")
    with pytest.raises(UsageError, match="UTF-8"):
        load_table(bad)


def test_shipped_table_requires_sources():
    with pytest.raises(UsageError, match="source is empty"):
        parse_table("metric,segment,low,typical,high,unit,source,year,trust,note\nm,all,1,1,2,ratio,,,M,\n", "x",
                    full=True)


def test_every_table_metric_is_a_registered_figure_with_the_same_unit():
    from sim.metrics.registry import FIGURES_BY_KEY

    for row in default_table().rows:
        assert row.metric in FIGURES_BY_KEY, row.metric
        assert FIGURES_BY_KEY[row.metric].unit == row.unit, row
