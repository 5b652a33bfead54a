"""Structure of every figure in ``sim.plots``: the right number of bars and
lines, labelled axes, titles that name what is shown, alt text, and the
``--plot`` flags of ``compare`` and ``sweep``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import plots
from sim.cli.main import main

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[1]
SMALL = str(REPO / "scenarios" / "small_team.yaml")
FAST = str(REPO / "scenarios" / "variants" / "small_team_fast_response.yaml")
PODS = str(REPO / "scenarios" / "pods_split.yaml")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small():
    return sim.simulate(sim.load_scenario(SMALL), seed=1, weeks=26, record="kpis")


@pytest.fixture(scope="module")
def pods():
    return sim.simulate(sim.load_scenario(PODS), seed=1, weeks=60, record="kpis")


def bars(ax):
    from matplotlib.patches import Rectangle

    return [p for p in ax.patches if isinstance(p, Rectangle)]


def labelled(ax) -> bool:
    return bool(ax.get_xlabel() or ax.get_xticklabels()) and bool(ax.get_ylabel())


def test_bowtie_has_one_bar_per_stage_on_both_sides(small):
    fig = plots.bowtie_figure(small)
    ax = fig.axes[0]
    k = small.kpis
    assert len(bars(ax)) == len(k["stages"]) + len(k["customer_stages"])
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "target account" and "go live" in ticks
    assert ax.get_ylabel() and "Bow-tie of small_team" in ax.get_title()
    assert "Bow-tie" in fig.get_label()


def test_bridge_waterfall_adds_up_to_end_arr(small):
    fig = plots.bridge_figure(small)
    ax = fig.axes[0]
    rects = bars(ax)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["start", "new", "expansion", "contraction", "churn",
                                                             "end"]
    assert len(rects) == 6
    k = small.kpis
    assert rects[-1].get_height() == pytest.approx(k["arr_end_usd"])
    assert rects[1].get_height() == pytest.approx(k["arr_new_usd"])
    assert ax.get_ylabel() == "ARR (USD)"


def test_queues_mark_the_saturated_sdr(small):
    fig = plots.queues_figure(small)
    ax_q, ax_u = fig.axes[:2]
    labels = [ln.get_label() for ln in ax_q.get_lines()]
    assert len(labels) == len(small.kpis["roles"])
    assert "sdr (bottleneck)" in labels and "ae" in labels
    assert len(bars(ax_u)) == len(small.kpis["roles"])
    assert labelled(ax_q) and ax_u.get_xlabel()
    assert "sdr" in fig.get_label()


def test_lorenz_curve_points():
    from sim.plots.org import lorenz_points

    x, y = lorenz_points([0.0, 1.0, 3.0])
    assert x == pytest.approx([0, 1 / 3, 2 / 3, 1]) and y == pytest.approx([0, 0, 0.25, 1])


def test_lorenz_figure(pods):
    fig = plots.lorenz_figure(pods)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2  # equality line and the curve
    assert "Gini" in ax.get_title() and labelled(ax)


def test_pod_tree_has_a_bar_per_pod_and_an_arrow_per_split(pods):
    k = pods.kpis
    fig = plots.pod_tree_figure(pods)
    ax = fig.axes[0]
    assert len(k["pod_genealogy"]) >= 1
    assert len(bars(ax)) == len(k["pods"])
    from matplotlib.text import Annotation

    arrows = [c for c in ax.get_children() if isinstance(c, Annotation) and c.arrow_patch is not None]
    assert len(arrows) == len(k["pod_genealogy"])
    assert sum("split day" in t.get_text() for t in ax.texts) == len(k["pod_genealogy"])
    assert labelled(ax)


def test_fan_title_names_scenario_series_unit_and_replications():
    weekly = pd.DataFrame({"rep": [0, 0, 1, 1, 2, 2], "week": [0, 1] * 3, "arr_usd": [0, 10.0, 0, 20, 0, 30]})
    fig = plots.fan_figure(weekly, scenario="small_team")
    ax = fig.axes[0]
    assert ax.get_title() == "small_team: ARR by week, spread across replications (3 replications)"
    assert ax.get_ylabel() == "ARR (USD)"
    assert len(ax.get_lines()) == 2 and len(ax.collections) == 2  # median, mean; two bands


def _paired() -> pd.DataFrame:
    rows = []
    for kpi, base, diff in (("arr_end_usd", 100.0, 10.0), ("leads_won", 50.0, -5.0), ("win_rate", 0.3, 0.0)):
        rows.append({"scenario": "b", "baseline": "a", "kpi": kpi, "n": 8, "baseline_mean": base,
                     "mean": base + diff, "diff": diff, "diff_ci_low": diff - 1, "diff_ci_high": diff + 1})
    return pd.DataFrame(rows)


def test_compare_figure_one_interval_per_kpi_relative_to_baseline():
    fig = plots.compare_figure(_paired())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["arr_end_usd", "leads_won", "win_rate"]
    points = [c for c in ax.containers]
    assert len(points) == 3
    x = points[0].lines[0].get_xdata()[0]
    assert x == pytest.approx(0.10)  # +10 on a baseline mean of 100
    assert "8 paired replications" in ax.get_title() and "% of its mean" in ax.get_xlabel()


def test_tornado_widest_on_top():
    t = pd.DataFrame({"param": ["p", "q"], "metric": "arr_end_usd", "low": [1.0, 1.0], "high": [2.0, 2.0],
                      "at_low": [90.0, 50.0], "at_base": [100.0, 100.0], "at_high": [110.0, 150.0]})
    fig = plots.tornado_figure(t)
    ax = fig.axes[0]
    assert len(bars(ax)) == 4
    assert [x.get_text() for x in ax.get_yticklabels()][-1].startswith("q")  # top row = widest swing
    assert ax.get_xlabel() == "arr_end_usd (USD)"


def test_sweep_figure_one_point_per_level():
    df = pd.DataFrame({"design": "design", "error": None, "param:x": [1, 1, 2, 2, 3, 3],
                       "arr_end_usd": [1.0, 3.0, 2.0, 4.0, 3.0, 5.0]})
    fig = plots.sweep_figure(df, ["x"], "arr_end_usd")
    ax = fig.axes[0]
    (line,) = ax.get_lines()[:1]
    assert list(line.get_ydata()) == [2.0, 3.0, 4.0]
    assert ax.get_xlabel() == "x" and "arr_end_usd (USD)" in ax.get_ylabel()


def test_run_figure_pipeline_panel_is_log_scaled(small):
    fig = plots.run_figure(small)
    assert fig.axes[2].get_yscale() == "symlog"
    assert "POD" not in fig.get_label()


def test_run_figure_marks_pod_splits(pods):
    fig = plots.run_figure(pods)
    weeks = sorted({s["t_days"] / 7 for s in pods.kpis["pod_genealogy"]})
    for ax in fig.axes:
        marks = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
        assert sorted(ln.get_xdata()[0] for ln in marks) == pytest.approx(weeks)
    assert "POD split" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_cli_compare_and_sweep_plot(tmp_path, capsys):
    out = tmp_path / "figs" / "cmp.png"
    rc = main(["compare", SMALL, FAST, "--reps", "3", "--weeks", "6", "--workers", "1", "--quiet",
               "--out", str(tmp_path / "c"), "--plot", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert out.read_bytes()[:8] == PNG_MAGIC
    out = tmp_path / "sweep.png"
    rc = main(["sweep", SMALL, "--param", "roles.ae.headcount=1:2:1", "--design", "grid", "--reps", "2",
               "--weeks", "4", "--workers", "1", "--quiet", "--out", str(tmp_path / "s"), "--plot", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert (tmp_path / "sweep.tornado.png").read_bytes()[:8] == PNG_MAGIC
    assert f"wrote {tmp_path / 'sweep.tornado.png'}" in text


def test_cli_compare_bad_plot_refused_before_running(tmp_path, capsys):
    rc = main(["compare", SMALL, FAST, "--reps", "3", "--workers", "1", "--quiet", "--out", str(tmp_path / "c"),
               "--plot", str(tmp_path / "x.jpg")])
    assert rc == 2 and "--plot" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
