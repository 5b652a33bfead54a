"""The run summary explains itself: overrides echoed, bottlenecks flagged with
their role and cost, one-draw caveat, plain text off a terminal and rich tables
on one."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli.main import main
from sim.cli.render import emit
from sim.metrics.bottlenecks import find_bottlenecks, is_growing, queue_trend, stages_worked
from sim.report.summary import RunView, sections, summary
from sim.report.text import Section, render_text

REPO = Path(__file__).resolve().parents[1]
SMALL = str(REPO / "scenarios" / "small_team.yaml")


@pytest.fixture(scope="module")
def small():
    sc = sim.load_scenario(SMALL, ["horizon_weeks=16"])
    return sc, sim.simulate(sc, seed=2, record="kpis")


def _roles(util: float, queue: float = 0.0) -> dict:
    return {"roles": {"sdr": {"headcount": 1, "tasks": 10, "utilization": util, "mean_wait_hours": 3.0,
                              "mean_queue_length": queue}},
            "stages": [{"stage": "a", "open": 7}, {"stage": "b", "open": 2}]}


def test_saturated_role_is_flagged_at_95_percent_not_below():
    assert [b.role for b in find_bottlenecks(_roles(0.95))] == ["sdr"]
    assert find_bottlenecks(_roles(0.949)) == []


def test_growing_queue_is_flagged_steady_one_is_not():
    weeks = 20
    growing = pd.DataFrame({"week": range(weeks), "queue_sdr": [float(w) for w in range(weeks)]})
    steady = pd.DataFrame({"week": range(weeks), "queue_sdr": [0.0] * 3 + [30.0] * (weeks - 3)})
    early, late = queue_trend(growing, "sdr")
    assert (early, late) == (7.0, 17.0)  # mean of weeks 5..9 and of weeks 15..19
    assert is_growing(early, late) and not is_growing(*queue_trend(steady, "sdr"))
    (b,) = find_bottlenecks(_roles(0.5), growing, {"b": "sdr"})
    assert b.reasons == ("queue growing",) and b.stages == ("a",) and b.open_leads == 7
    assert find_bottlenecks(_roles(0.5), steady) == []


def test_stages_worked_are_the_stages_before_the_steps():
    assert stages_worked({"mql": "sdr", "sql": "mdr", "won": "ae"}, ["t", "mql", "sql", "won"], "sdr") == ["t"]


def test_small_team_flags_its_sdr_with_cost():
    # an SDR with 400 accounts in sequence: more dials than a working week holds
    sc = sim.load_scenario(SMALL, ["horizon_weeks=16", "roles.sdr.max_open_per_rep=400"])
    res = sim.simulate(sc, seed=2, record="kpis")
    text = summary(res.kpis, res.weekly, sc)
    line = next(ln for ln in text.splitlines() if ln.startswith("! sdr"))
    assert "utilized" in line and "waits" in line and "target_account" in line
    assert "! mdr" not in text  # (the AEs' queue grows too: the extra meetings reach them)


def test_overrides_are_echoed(capsys):
    rc = main(["run", SMALL, "--weeks", "6", "--set", "roles.ae.headcount=3", "--set",
               "sources.website.rate_per_week=20"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "overrides (--set): roles.ae.headcount=3, sources.website.rate_per_week=20" in out
    assert main(["run", SMALL, "--weeks", "6"]) == 0
    assert "overrides" not in capsys.readouterr().out


def test_one_draw_caveat_and_csm_footnote(small):
    sc, res = small
    text = summary(res.kpis, res.weekly, sc)
    assert "This is one random draw" in text and "salesim batch" in text
    assert "csm *" in text and "book of accounts needs" in text


def test_motion_column_only_when_some_tier_has_one(small):
    sc, res = small
    k = dict(res.kpis)
    titles = {s.title: s for s in sections(RunView(k, res.weekly, sc))}
    assert "motion" not in titles["Cost of sale by tier"].headers
    k["cost_of_sale_by_segment"] = {g: dict(t, motion="inside") for g, t in k["cost_of_sale_by_segment"].items()}
    titles = {s.title: s for s in sections(RunView(k, res.weekly, sc))}
    assert "motion" in titles["Cost of sale by tier"].headers


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_text_off_a_terminal_rich_tables_on_one():
    secs = [Section("Roles", ["a line"], ["role", "reps"], [["ae", "2"]])]
    pipe, tty = io.StringIO(), _Tty()
    emit(secs, pipe)
    emit(secs, tty)
    assert pipe.getvalue() == render_text(secs) + "\n"
    assert "\x1b[" not in pipe.getvalue() and "Roles\n=====" in pipe.getvalue()
    assert "┃" in tty.getvalue() or "│" in tty.getvalue()  # a rich table
    assert "ae" in tty.getvalue()
