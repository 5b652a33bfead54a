"""The fairness guard: what differs between the arms of a comparison, computed by hand.

Every expected value below is worked out from the scenario files themselves
(seats x loaded cost, a lever's per-seat price x the seats it covers), not
read back from the code under test."""

from __future__ import annotations

import math

import pytest

from sim.cli.main import main
from sim.errors import UsageError
from sim.experiments.montecarlo import fairness as f
from sim.scenario.loader import load_scenario

# the shipped pair as it was before its first-line manager, frozen as test data (the sums by hand below
# are of those seats; the shipped pair adds one manager on each side)
INV, UP = "tests/fixtures/inverted_triangle_before_manager.yaml", "tests/fixtures/upright_triangle_before_manager.yaml"
NAMES = {INV: "inverted_triangle", UP: "upright_triangle"}


def _pair(path, extra=()):
    """One of the pair under its shipped name."""
    return load_scenario(path, [f"name={NAMES[path]}", *extra])
# the shipped specialists' levers at price $0 and without the (priced) data loop: all free
FREE = ["process.data_driven=null", "process.playbooks.ops_headcount=0", "process.tools.cost_per_year_usd=0",
        "process.enablement.cost_per_year_usd=0"]


def up_free(extra=()):
    return _pair(UP, [*FREE, *extra])


@pytest.fixture(scope="module")
def inv():
    return _pair(INV)


@pytest.fixture(scope="module")
def up():
    return up_free()


def test_a_one_key_change_is_one_line_with_both_values(up):
    b = up_free(["roles.ae.headcount=5", "handoff.leakage_probability=0.1"])
    diffs = f.scenario_diff(up, b)
    assert diffs == [f.KeyDiff("roles.ae.headcount", "4", "5"), f.KeyDiff("handoff.leakage_probability", "0.05",
                                                                           "0.1")]
    assert f.scenario_diff(up, up) == []
    # the name, description and seed are labels (the seed is shared under common random numbers)
    assert f.scenario_diff(up, up_free(["name=other", "seed=3", "description=x"])) == []


def test_a_section_on_one_side_only_is_one_line_and_a_changed_distribution_is_one_line(inv, up):
    diffs = {d.path: d for d in f.scenario_diff(inv, up)}
    for lever in ("playbooks", "tools", "enablement"):
        assert diffs[f"process.{lever}"].a == "(none)" and diffs[f"process.{lever}"].b.startswith("{")
    assert diffs["roles.rep"].b == "(absent)" and diffs["roles.ae"].a == "(absent)"
    assert not any(p.startswith(("roles.ae.", "roles.rep.")) for p in diffs)  # not one line per key inside
    d = diffs["handoff.delay_days"]  # constant 0 -> triangular(2, 3, 5): one line, not four
    assert "constant" in d.a and "triangular" in d.b
    assert not any(p.startswith("handoff.delay_days.") for p in diffs)
    # steps moved from the generalist to the specialists
    assert (diffs["steps.won.role"].a, diffs["steps.won.role"].b) == ("rep", "ae")


def test_long_lists_are_summarised_with_how_many_items_differ(up):
    weeks = [{"week": w, "action": "hire", "role": "ae"} for w in range(1, 9)]
    a = up_free([f"timeline={weeks}"])
    b = up_free([f"timeline={weeks[:7] + [{'week': 30, 'action': 'hire', 'role': 'ae'}]}"])
    diffs = f.scenario_diff(a, b)
    assert diffs == [f.KeyDiff("timeline[7].week", "8", "30")]  # same length: item by item
    c = up_free([f"timeline={weeks[:3]}"])
    (d,) = f.scenario_diff(a, c)
    assert d.path == "timeline" and d.a == "[list of 8 items]"


def test_headcount_and_planned_cost_by_hand(inv, up):
    assert f.headcount(inv) == {"rep": 9}
    assert f.planned_cost(inv) == {"salaries_usd": 1_440_000.0, "levers_usd": 0.0, "total_usd": 1_440_000.0}
    # 1 MDR $80k + 1 SDR $90k + 4 AEs $150k + ONB $100k + 4 CSMs $110k + AM $130k
    assert f.planned_cost(up)["salaries_usd"] == 80_000 + 90_000 + 4 * 150_000 + 100_000 + 4 * 110_000 + 130_000
    # the shipped levers: tools $4,000 a seat over the 12 seats they cover, enablement $2,020 a seat over
    # every seat (12), playbooks a quarter of a $110k analyst, the data loop one $110k analyst
    assert f.planned_cost(_pair(UP))["levers_usd"] == pytest.approx(
        12 * 4000 + 12 * 2020 + 0.25 * 110_000 + 110_000)
    # tools at $1,000 a seat for the AEs only (4 seats), playbooks $5,000 flat plus one ops person at $70k
    priced = up_free(["process.tools.cost_per_year_usd=1000", "process.tools.roles=[ae]",
                                "process.playbooks.cost_per_year_usd=5000", "process.playbooks.cost_basis=flat",
                                "process.playbooks.ops_headcount=1",
                                "process.playbooks.ops_loaded_cost_per_year_usd=70000"])
    assert f.planned_cost(priced)["levers_usd"] == 4 * 1000 + 5000 + 70_000
    assert f.planned_cost(priced, {**f.headcount(priced), "ae": 5})["levers_usd"] == 5 * 1000 + 5000 + 70_000


def test_levers_priced_on_one_side_only_are_named(inv, up):
    notes = f.lever_notes(inv, up, ("inv", "up"))
    assert len([n for n in notes if "on up only" in n and "price $0" in n]) == 3  # three free levers, B only
    paid = f.lever_notes(inv, _pair(UP), ("inv", "up"))  # the shipped data loop's analyst
    assert [n for n in paid if "data_driven" in n] == ["process.data_driven is on up only (inv has none), priced at "
                                                       "$110,000 a year"]
    priced = up_free(["process.tools.cost_per_year_usd=1000"])
    notes = f.lever_notes(up, priced, ("free", "paid"))
    # $1,000 a seat over the 12 seats tools cover (the six roles it names)
    free = "is on both sides at price $0 (free by assumption on both)"
    assert notes == [f"process.playbooks {free}",
                     "process.tools is on both sides but priced on one only: $0 on free, $12,000 a year on the other",
                     f"process.enablement {free}"]
    both = up_free(["process={}"])
    assert f.lever_notes(both, both) == []
    free_role = up_free(["roles.am.loaded_cost_per_year_usd=0", "process={}"])
    assert f.lever_notes(both, free_role, ("a", "b")) == ["role 'am' on b has 1 seat(s) at $0 a year"]


def test_measured_costs_and_the_equal_budget_flag_by_hand():
    means = {"a": {"costs.total_usd": 1_000_000, "costs.commissions_usd": 100_000},
             "b": {"costs.total_usd": 1_200_000, "costs.commissions_usd": 250_000},
             "c": {"costs.total_usd": 1_100_000, "costs.commissions_usd": 190_000}}
    rows = f.cost_rows(means, "a")
    assert [r["before_commissions_usd"] for r in rows] == [900_000, 950_000, 910_000]
    assert rows[1]["total_diff_usd"] == 200_000 and rows[1]["before_commissions_diff_usd"] == 50_000
    assert rows[1]["before_commissions_gap"] == pytest.approx(50_000 / 900_000)
    flags = f.budget_flags(rows, 0.02)  # b is 5.6% dearer before commissions; c 1.1%: within
    assert len(flags) == 1 and "b's cost before commissions" in flags[0] and "+$50,000 (5.6%" in flags[0]
    assert f.budget_flags(rows, 0.06) == []
    assert math.isnan(f.cost_rows({"a": {}, "b": {}}, "a")[1]["before_commissions_gap"])


def test_where_a_measured_total_differs_line_by_line():
    a = {"costs.total_usd": 1_000_000, "costs.salaries_by_role_usd.rep": 800_000, "costs.commissions_usd": 100_000,
         "costs.marketing_usd": 100_000, "costs.process_usd": 0.0}
    # salaries 700k + 150k over two roles, commissions 160k, marketing 100k, levers 90k, 5k nothing names
    b = {"costs.total_usd": 1_205_000, "costs.salaries_by_role_usd.ae": 700_000,
         "costs.salaries_by_role_usd.csm": 150_000, "costs.commissions_usd": 160_000,
         "costs.marketing_usd": 100_000, "costs.process_usd": 90_000, "costs.fees_usd": float("nan")}
    assert f.cost_line_diffs(a, b) == [("process levers", 90_000), ("commissions", 60_000), ("salaries", 50_000),
                                       ("other", 5_000)]
    assert f.cost_line_diffs(a, a) == []
    lines = f._measured_lines({"x": a, "y": b}, "x")
    assert lines[-1] == ("  - where y's total differs from x's: process levers +$90,000, commissions +$60,000, "
                         "salaries +$50,000, other +$5,000")


def test_rescale_to_budget_finds_whole_seats_or_says_why(up):
    assert f.rescale_to_budget(up, 1_440_000) == f.headcount(up)  # already equal
    seats = f.rescale_to_budget(up, 1_920_000)  # x 4/3
    assert abs(f.planned_cost(up, seats)["total_usd"] - 1_920_000) <= 0.02 * 1_920_000
    assert all(n >= 1 for n in seats.values())
    # +$5k: the cheapest seat is $80k, so no whole number of seats comes within 0.1%
    with pytest.raises(UsageError, match=r"cannot bring .* by whole seats: the closest is .*0\.3% away"):
        f.rescale_to_budget(up, 1_445_000, 0.001, "up")
    pods = load_scenario("scenarios/pods_split.yaml")
    with pytest.raises(UsageError, match="has PODs"):
        f.rescale_to_budget(pods, 2 * f.planned_cost(pods)["total_usd"])
    rescaled = f.with_headcount(up, seats)
    assert f.headcount(rescaled) == seats


def _tiny(tmp_path, name, extra=()):
    """The shipped pair cut to two weeks (fast), written where outputs may go."""
    sc = _pair(name, ["horizon_weeks=2", *extra])
    from tests.test_batch import write_scenario

    return write_scenario(tmp_path, sc, f"{sc.name}.yaml")


def test_compare_starts_with_what_differs_and_the_cost_difference(tmp_path, capsys):
    a, b = _tiny(tmp_path, INV), _tiny(tmp_path, UP)
    assert main(["compare", a, b, "--reps", "2", "--workers", "1", "--out", str(tmp_path / "c"), "--quiet"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "What differs between the arms"
    first_result = next(i for i, line in enumerate(lines) if line.startswith("compare: baseline"))
    head = "\n".join(lines[:first_result])
    assert "process.playbooks: (none) -> {" in head
    assert ("process.tools is on upright_triangle only (inverted_triangle has none), priced at $48,000 a year"
            in head)
    assert ("planned cost a year (seats and priced levers): inverted_triangle $1,440,000, upright_triangle "
            f"${f.planned_cost(_pair(UP))['total_usd']:,.0f}") in head
    assert "headcount: inverted_triangle 9 (rep 9); upright_triangle 12" in head
    assert "upright_triangle: total $" in head and "before commissions" in head
    assert "where upright_triangle's total differs from inverted_triangle's: " in head and "process levers +$" in head
    text = (tmp_path / "c" / "fairness.md").read_text()
    assert "## What differs between the arms" in text and "`process.tools`" in text
    assert main(["report", str(tmp_path / "c"), "--out", str(tmp_path / "c.html")]) == 0
    html = (tmp_path / "c.html").read_text()
    assert "What differs between the arms" in html and "process.tools is on upright_triangle only" in html


def test_equal_budget_rescales_the_challenger_and_flags_or_refuses(tmp_path, capsys):
    a = _tiny(tmp_path, INV, ["roles.rep.headcount=12"])  # $1.92M
    b = _tiny(tmp_path, UP)
    assert main(["compare", a, b, "--reps", "2", "--workers", "1", "--out", str(tmp_path / "e"), "--quiet",
                 "--equal-budget"]) == 0
    out = capsys.readouterr().out
    assert "--equal-budget: upright_triangle's headcount set to" in out
    assert ("declared equal budget: costs before commissions agree within 2%" in out) or "FLAG" in out
    import pandas as pd

    rows = pd.read_parquet(tmp_path / "e" / "replications.parquet")
    up_rows = rows[rows.scenario == "upright_triangle"]
    seats = sum(up_rows[f"roles.{r}.headcount"].iloc[0] for r in ("mdr", "sdr", "ae", "onb", "csm", "am"))
    assert seats > 12  # the challenger grew to the baseline's budget
    # a budget that whole seats cannot reach within the tolerance: refused before anything runs
    c = _tiny(tmp_path, INV, ["roles.rep.loaded_cost_per_year_usd=160555"])  # $1.445M
    b = _tiny(tmp_path, UP, FREE)  # $1.44M: the cheapest seat is $80k
    assert main(["compare", c, b, "--reps", "2", "--workers", "1", "--out", str(tmp_path / "r"), "--quiet",
                 "--equal-budget", "--budget-tolerance", "0.001"]) == 2
    err = capsys.readouterr().err
    assert "cannot bring" in err and "Traceback" not in err and not (tmp_path / "r").exists()


@pytest.mark.parametrize("flags, message", [
    (["--budget-tolerance", "0.05"], "only with --equal-budget"),
    (["--equal-budget", "--budget-tolerance", "2"], "expected a fraction in (0, 1)"),
    (["--equal-budget", "--budget-tolerance", "nan"], "expected a fraction in (0, 1)"),
])
def test_bad_budget_flags_exit_2(tmp_path, capsys, flags, message):
    a, b = _tiny(tmp_path, INV), _tiny(tmp_path, UP)
    with pytest.raises(SystemExit) as exc:
        code = main(["compare", a, b, "--reps", "2", "--workers", "1", "--out", str(tmp_path / "x"), *flags])
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _study(tmp_path, declare="[structure]"):
    """A two-factor study over the shipped pair cut to two weeks; ``budget=same_headcount`` gives the
    star team 12 seats ($1.92M a year against the specialists' $1.44M)."""
    a, b = _tiny(tmp_path, INV), _tiny(tmp_path, UP, FREE)  # $1.44M each
    path = tmp_path / "s.yaml"
    path.write_text(f"""name: fair
kpis: [arr_end_usd]
reps: 2
factors:
  structure:
    levels:
      star: {{scenario: {a}}}
      specialists: {{scenario: {b}}}
  budget:
    levels:
      same_cost: {{equal_budget: {declare}}}
      same_headcount:
        equal_budget: {declare}
        cases:
          - when: {{structure: star}}
            set: {{roles.rep.headcount: 12}}
""")
    return str(path)


def test_factor_pairs_and_equal_budget_groups_by_hand():
    cells = [{"s": "a", "p": "x"}, {"s": "a", "p": "y"}, {"s": "b", "p": "x"}, {"s": "b", "p": "y"}]
    factors = {"s": ["a", "b"], "p": ["x", "y"]}
    assert f.factor_pairs(cells, factors) == [("s", 0, 2), ("p", 0, 1)]
    half = [cells[1], cells[2]]  # a half fraction has no pair alike elsewhere
    assert f.factor_pairs(half, factors) == []
    assert f.equal_budget_groups(cells, [("p", "x", ["s"])]) == [("p=x across s", [0, 2])]
    three = [{"s": s, "p": p, "b": "k"} for s in "ab" for p in "xy"]
    assert f.equal_budget_groups(three, [("b", "k", ["s"])]) == [("b=k across s (p=x)", [0, 2]),
                                                               ("b=k across s (p=y)", [1, 3])]


def test_study_prints_what_differs_and_flags_a_declared_equal_budget_that_is_not(tmp_path, capsys):
    assert main(["study", _study(tmp_path), "--workers", "1", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "What differs between the arms"
    head = out[:out.index("study fair:")]
    assert "structure: specialists against star (at budget=same_cost)" in head
    assert "budget: same_headcount against same_cost (at structure=star): 1 resolved key(s) differ" in head
    assert "roles.rep.headcount: 9 -> 12" in head
    assert "Declared equal budget: budget=same_cost across structure" in head
    same_cost = head[head.index("budget=same_cost across"):head.index("budget=same_headcount across")]
    assert "FLAG" not in same_cost  # $1.44M each: the fees and commissions aside, equal
    flagged = head[head.index("budget=same_headcount across"):]
    assert "FLAG: declared equal budget, but structure=specialists, budget=same_headcount's cost" in flagged
    assert "fairness.md" in out and (tmp_path / "o" / "fairness.md").is_file()
    assert main(["report", str(tmp_path / "o"), "--out", str(tmp_path / "o.html")]) == 0
    assert "Declared equal budget" in (tmp_path / "o.html").read_text()


def test_equal_budget_must_name_another_factor(tmp_path, capsys):
    assert main(["study", _study(tmp_path, "[stucture]"), "--workers", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "equal_budget" in err and "unknown factor 'stucture'" in err and "Traceback" not in err
