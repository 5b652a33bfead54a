"""`salesim check` on every flagship scenario.

Issue 24's target is that `salesim check --strict` passes on each flagship, or that the
scenario's comment says why a figure is deliberately outside its range. A scenario states
such a figure in a comment line of the form

    # benchmark outside: METRIC (SUBJECT) -- why

(:func:`sim.experiments.montecarlo.benchmark_check.deliberately_outside` reads them; `salesim check
--strict` fails only on figures outside that are not so stated). The fast test runs a few replications, checks
that check's report is right -- every position follows from the mean and the range, every
figure outside names a mechanism, every metric of the table is compared or said why not --
and that every figure outside is one the scenario's comment names. Flagships not yet
re-baselined (``NOT_YET``) are marked as expected failures listing the figures outside;
the mark comes off as each is re-baselined. The slow test runs a sequential check (`salesim
check --reps 30 --max-reps M`): from 30 replications, more while a figure's interval crosses a
bound of its range, as many as its spread says would settle it, up to a cap per flagship
(``SLOW_CAP``); each figure must settle on its side of the range: inside, or outside as the
comment says."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.benchmarks import default_table
from sim.experiments.montecarlo.benchmark_check import deliberately_outside, run_check
from sim.scenario import load_scenario

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
# the flagships: small_team, mid_size, three_tier, upright_triangle, inverted_triangle and every
# pods_* scenario (test_every_pods_scenario_is_a_flagship fails when a shipped pods_* file is not listed)
FLAGSHIPS = ["small_team", "mid_size", "three_tier", "upright_triangle", "inverted_triangle", "pods_no_split",
             "pods_split", "pods_industry", "pods_precision", "pods_customer_success", "pods_split_coordinated",
             "pods_grow_in_place"]
# flagships whose re-baselining (issue 24 item 3) is still open: none (pods_precision was the
# last: its key-account tier now states its motion, strategic, and reads the enterprise rows)
NOT_YET: set[str] = set()
# re-baselined, but a figure's interval still crosses a bound of its range at the slow test's cap:
# none. (upright_triangle's pipeline coverage, said to be above in its comment, sits just over its
# 3-4 range with a wide spread from run to run, so the slow test gives it the replications it
# needs; see SLOW_CAP)
SETTLING: set[str] = set()
# The slow test's sequential check (run_check's max_reps): it starts at SLOW_REPS and stops when
# every figure settles on its side of its range, or at the flagship's cap. CPU seconds per
# replication (simulation with its event log and the figures, one core, on the shared machine):
# small_team 0.5, mid_size 1.9, three_tier 2.4, upright_triangle 0.5, inverted_triangle 0.5,
# pods_no_split 0.4, pods_split 0.8, pods_industry 1.6, pods_precision 0.2 (the other POD files
# about as pods_split). A cap buys at most
# (cap - SLOW_REPS) x that over a plain check of SLOW_REPS; together the caps keep what they add
# under ~6 minutes of CI but upright_triangle's. At this commit three_tier settles at 34 (pipeline
# coverage above, as its file says), inverted_triangle at 47 (pipeline coverage above, as its file
# says), pods_split at 62 (CAC payback in the upper half of its range), pods_precision at 200 (its
# enterprise win rate, 17% near the bottom of 15-20%, over a few key-account deals a run, needs them),
# pods_split_coordinated at 60 and pods_grow_in_place at 45 (CAC payback above, as their files say),
# and upright_triangle at 960 (some 8 minutes of CPU): its pipeline coverage (open pipeline / a
# quarter's bookings, a quarter's bookings being some 10-20 deals) is 4.23 [4.08, 4.38], above its
# 3-4 range as its file says, the median run 3.7, one run's figure varying by about 2.4 (standard
# deviation), so its interval first clears 4 at about 600 replications; the others settle at 30
SLOW_REPS = 30
SLOW_CAP = {"small_team": 45, "three_tier": 80, "inverted_triangle": 90, "pods_no_split": 45, "pods_industry": 45,
            "pods_split": 120, "pods_precision": 200, "upright_triangle": 1000, "pods_split_coordinated": 120,
            "pods_grow_in_place": 120}


def test_every_pods_scenario_is_a_flagship():
    assert {p.stem for p in SCEN.glob("pods_*.yaml")} <= set(FLAGSHIPS)


def _outside(result) -> str:
    return ", ".join(f"{c.metric} {c.segment} ({c.subject}) {c.position}" for c in result.outside)


def _report_is_right(result) -> None:
    table = default_table()
    for c in result.comparisons:
        if " + " in c.segment:  # a company figure over a segment mix: the blend of the segments' rows
            rows = [table.get(c.metric, part.rsplit(" ", 1)[0]) for part in c.segment.split(" + ")]
            assert c.benchmark.segment == c.segment and None not in rows
            assert min(r.low for r in rows) <= c.benchmark.low <= c.benchmark.high <= max(r.high for r in rows)
        else:
            assert c.benchmark is table.get(c.metric, c.segment)
        assert c.position == c.benchmark.position(c.mean), c
        assert bool(c.mechanism) == c.outside, c
        if c.ci is not None:
            assert c.ci[0] <= c.mean <= c.ci[1] and 1 < c.n <= result.reps and c.kind == "measured"
    keys = [(c.metric, c.segment, c.subject) for c in result.comparisons]
    assert len(keys) == len(set(keys))  # one line per figure (a company figure on one row across runs)
    compared = {c.metric for c in result.comparisons}
    assert compared | {m for m, _ in result.unchecked} == set(table.metrics())
    assert not compared & {m for m, _ in result.unchecked}
    assert {"win_rate", "selling_time_fraction"} <= compared


def test_deliberately_outside_lines_are_read(tmp_path):
    text = ("# benchmark outside: pipeline_coverage (company) -- short cycles\n"
            "#   benchmark outside: sdr_meetings_per_month (mdr) -- office hours\n"
            "# benchmark outside: win_rate (smb)\n"  # no reason: not a statement
            "win_rate: 1  # benchmark outside: win_rate (smb) -- not a comment line\n")
    p = tmp_path / "s.yaml"
    p.write_text(text)
    assert deliberately_outside(p) == {("pipeline_coverage", "company"), ("sdr_meetings_per_month", "mdr")}


@pytest.mark.parametrize("name", FLAGSHIPS)
def test_check_reports_each_flagship(name):
    path = SCEN / f"{name}.yaml"
    result = run_check(load_scenario(path), reps=2 if name in NOT_YET else 3)
    _report_is_right(result)
    said = deliberately_outside(path)
    # A few replications place a figure outside only when its interval is outside too: a noisy figure
    # (a handful of enterprise deals, three field AEs' skills) can have its mean land outside while
    # its interval still reaches into the range, which is no evidence that the scenario left it
    # (the slow test settles each figure with as many replications as its spread needs)
    unexplained = [c for c in result.outside if (c.metric, c.subject) not in said and not c.straddles]
    if name in NOT_YET and unexplained:
        pytest.xfail(f"{name}: {len(result.outside)} of {len(result.comparisons)} figures outside "
                     f"({len(unexplained)} not said why in its file): {_outside(result)}")
    assert not unexplained, f"{name}: outside and not said why in the scenario's comment: " + "; ".join(
        f"{c.metric} ({c.subject}) {c.position}: {c.mechanism}" for c in unexplained)
    # a statement that no longer holds is stale: each figure said to be outside is outside
    # (or its interval reaches outside, with these few replications)
    by_key = {(c.metric, c.subject): c for c in result.comparisons}
    for key in said:
        c = by_key.get(key)
        assert c is not None and (c.outside or c.straddles), f"{name}: {key} is said to be outside but is not"


def test_the_fast_test_still_sees_a_flagship_pushed_outside():
    """The fast test's few replications count a figure outside only when its interval is outside
    too; a mid_size whose enterprise deals are won almost always (0.95 at the last two steps) is
    still caught: its enterprise win rate is above 15-20% with its whole interval."""
    path = SCEN / "mid_size.yaml"
    pushed = load_scenario(path, ["segments.enterprise.steps.negotiation.conversion_probability=0.95",
                                  "segments.enterprise.steps.won.conversion_probability=0.95"])
    result = run_check(pushed, reps=3)
    said = deliberately_outside(path)
    caught = {(c.metric, c.segment) for c in result.outside if (c.metric, c.subject) not in said and not c.straddles}
    assert ("win_rate", "enterprise") in caught


@pytest.mark.slow
@pytest.mark.parametrize("name", FLAGSHIPS)
def test_each_flagship_inside_its_ranges_with_the_interval_inside(name):
    path = SCEN / f"{name}.yaml"
    result = run_check(load_scenario(path), reps=SLOW_REPS, max_reps=SLOW_CAP.get(name, SLOW_REPS))
    _report_is_right(result)
    said = deliberately_outside(path)
    loose = [c for c in result.comparisons
             if not c.settled or c.outside != ((c.metric, c.subject) in said)]
    if name in NOT_YET | SETTLING and loose:
        pytest.xfail(f"{name}: not yet re-baselined (issue 24 item 3): "
                     + "; ".join(f"{c.metric} {c.segment} ({c.subject})" for c in loose))
    assert not loose, f"{name} at {result.reps} replications (rounds {result.rounds}): " + "; ".join(
        f"{c.metric} {c.segment} ({c.subject}) {c.mean:.3g} CI {c.ci} in {c.benchmark.low:g}..{c.benchmark.high:g}"
        f", about {c.reps_to_settle():.0f} replications would settle it" for c in loose)
