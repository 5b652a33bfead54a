"""Report formatting: colours by whether a change is good for its KPI (the
registry says which way is better), one colour per role in the queue chart,
no raw Python values in the plan report (which also shows its re-check and
one step either way), no Markdown marks shown literally in HTML."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.colors as mcolors
import pandas as pd
import pytest

import sim
from sim.cli.main import main
from sim.metrics.registry import better_of
from sim.plots.canvas import BAD, GOOD, MUTED, NEUTRAL
from sim.plots.org import queues_figure
from sim.plots.studies import effects_figure, good_bad
from sim.report.html import Page

ROOT = Path(__file__).resolve().parents[1]
SMALL = str(ROOT / "scenarios" / "small_team.yaml")


def test_registry_says_which_way_is_better():
    for key in ("arr_end_usd", "bookings_usd", "win_rate", "grr_trailing_12m", "nrr_trailing_12m", "new_logos"):
        assert better_of(key) == 1, key
    for key in ("cost_per_arr_usd", "costs.cost_per_arr_usd", "cac_usd", "cac_payback_months", "leads_lost",
                "arr_churned_usd", "logo_churn_trailing_12m", "roles.ae.mean_wait_hours"):
        assert better_of(key) == -1, key
    for key in ("leads_created", "roles.ae.utilization", "roles.ae.headcount"):
        assert better_of(key) == 0, key


def test_colour_by_what_is_good_for_the_kpi():
    assert good_bad("cost_per_arr_usd", -0.4) == GOOD  # cheaper ARR is better, though the change is negative
    assert good_bad("cost_per_arr_usd", +0.4) == BAD
    assert good_bad("arr_end_usd", -1e5) == BAD
    assert good_bad("leads_created", 10) == NEUTRAL


def _colour(artist) -> str:
    return mcolors.to_hex(artist.get_color())


def test_effects_figure_colours_a_cheaper_arr_green():
    effects = pd.DataFrame([
        {"kpi": "cost_per_arr_usd", "factor": "process", "level": "on", "estimate": -0.5, "ci_low": -0.6,
         "ci_high": -0.4},
        {"kpi": "cost_per_arr_usd", "factor": "structure", "level": "specialists", "estimate": 0.2, "ci_low": 0.1,
         "ci_high": 0.3},
        {"kpi": "cost_per_arr_usd", "factor": "budget", "level": "same", "estimate": 0.01, "ci_low": -0.1,
         "ci_high": 0.1},
    ])
    fig = effects_figure(effects, "cost_per_arr_usd")
    markers = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() == "o"]
    assert [_colour(m) for m in markers] == [GOOD, BAD, mcolors.to_hex(MUTED)]


def test_queue_chart_gives_each_role_its_own_colour():
    # two bottlenecks (a flood of inbound for one MDR, one AE): each keeps its own colour
    result = sim.simulate(sim.load_scenario(SMALL, ["horizon_weeks=16", "sources.website.rate_per_week=150",
                                                    "roles.ae.headcount=1"]), seed=1)
    fig = queues_figure(result)
    lines = [ln for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")]
    assert len(lines) >= 4
    assert sum("bottleneck" in ln.get_label() for ln in lines) >= 2
    assert len({(_colour(ln), ln.get_linestyle()) for ln in lines}) == len(lines)


def test_markdown_marks_become_html():
    page = Page("x")
    page.heading("Effects on `arr_end_usd` and **cost**")
    html = "".join(page.blocks)
    assert "`" not in html and "**" not in html
    assert "<code>arr_end_usd</code>" in html and "<strong>cost</strong>" in html
    page.para("a user's `words` <script>")  # paragraphs may hold the user's own words: shown as written
    assert page.blocks[-1] == "<p>a user&#x27;s `words` &lt;script&gt;</p>"
    assert page.toc == [("Effects on arr_end_usd and cost", "effects-on-arr-end-usd-and-cost")]


@pytest.fixture(scope="module")
def plan_html(tmp_path_factory) -> str:
    """A plan whose answer is inside the range searched (2 AEs for 5 wins in 6 weeks of small_team), so
    the report has a neighbour on each side."""
    from sim.report import write_report

    root = tmp_path_factory.mktemp("plan")
    out = root / "plan"
    assert main(["plan", SMALL, "--vary", "roles.ae.headcount=1:4:1", "--target", "leads_won>=5", "--probability",
                 "0.5", "--reps-start", "2", "--max-reps", "4", "--weeks", "6", "--workers", "1", "--recheck", "2",
                 "--out", str(out)]) == 0
    return write_report(out, root / "plan.html").read_text()


def test_plan_report_has_no_raw_python_values(plan_html):
    text = re.sub(r"<(style|svg)[\s\S]*?</\1>", "", plan_html)  # the page's words, not its figure
    text = re.sub(r"<[^>]+>", " ", text)
    assert "{'" not in text and "['" not in text, "a raw dict or list"
    assert not re.search(r"\d\.\d{6,}", text), "an unrounded float"
    assert "utilization by role" in text and "busiest role" in text


def test_plan_report_shows_the_recheck_and_one_step_either_way(plan_html):
    assert "Re-check on 2 seeds the search never used" in plan_html
    assert "One step either way" in plan_html and "one fewer" in plan_html


def test_numbers_rounded_to_what_the_interval_supports():
    from sim.report.text import fmt_ci, fmt_kpi

    assert fmt_ci("arr_end_usd", 1_234_567, 1_101_003, 1_380_000) == ("$1.2M", "[$1.1M, $1.4M]")
    assert fmt_ci("arr_end_usd", 1_234_567, 1_230_000, 1_239_000) == ("$1.235M", "[$1.230M, $1.239M]")
    assert fmt_ci("win_rate", 0.31234, 0.29, 0.334) == ("31%", "[29%, 33%]")
    assert fmt_ci("cost_per_arr_usd", -0.3761, -0.45, -0.30) == ("-0.38", "[-0.45, -0.30]")  # a ratio, not $
    assert fmt_ci("leads_won", 97.3, float("nan"), 104.7)[0] == fmt_kpi("leads_won", 97.3)  # no interval: as usual


def test_compare_report_rounds_differences(tmp_path):
    from sim.report import write_report

    out = tmp_path / "cmp"
    fast = str(ROOT / "scenarios" / "variants" / "small_team_fast_response.yaml")
    assert main(["compare", SMALL, fast, "--reps", "3", "--weeks", "8", "--workers", "1", "--quiet",
                 "--out", str(out)]) == 0
    html = write_report(out, tmp_path / "cmp.html").read_text()
    from sim.report.text import fmt_ci

    row = pd.read_csv(out / "comparison.csv").set_index("kpi").loc["arr_end_usd"]
    diff, ci = fmt_ci("arr_end_usd", row["diff"], row["diff_ci_low"], row["diff_ci_high"])
    assert f"<td>{diff}</td><td>{ci}</td>" in html
    assert len(diff) <= len(f"${abs(row['diff']) / 1e3:,.2f}k") + 1  # never more digits than before
