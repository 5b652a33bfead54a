"""``salesim init``: a first scenario from a few numbers, every number marked
with where it came from; it validates, lints clean and runs as written."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
import yaml

import sim
from sim.benchmarks import default_table
from sim.cli.init_cmd import answers_from
from sim.cli.main import main
from sim.cli.starter import Answers, scenario_text
from sim.scenario.lint import lint

EXAMPLE = ["--sdr", "2", "--ae", "3", "--csm", "1", "--inbound", "30", "--acv", "25000", "--segment", "mid_market"]
MARK = re.compile(r"\[(you|assumed|derived|benchmark: ([a-z_]+), [^\]]+)\]")


def numbered_lines(text: str) -> list[str]:
    """Lines that set a number (key: 12, or a number inside a flow mapping)."""
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")
            and re.search(r":\s*-?\d", line.split("#")[0])]


def test_the_issue_example_validates_lints_clean_and_runs(tmp_path, capsys):
    out = tmp_path / "acme.yaml"
    assert main(["init", *EXAMPLE, "--out", str(out)]) == 0
    printed, err = capsys.readouterr()
    assert err == ""  # no lint warning
    assert f"wrote {out}" in printed
    assert main(["validate", "--strict", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", str(out), "--json"]) == 0
    kpis = __import__("json").loads(capsys.readouterr().out)
    assert kpis["leads_won"] > 0 and kpis["roles"]["sdr"]["tasks"] > 0 and kpis["roles"]["ae"]["tasks"] > 0
    scenario = sim.load_scenario(out)
    assert scenario.roles["sdr"].headcount == 2 and scenario.roles["ae"].headcount == 3
    assert scenario.sources["inbound"].rate_per_week == 30
    acv = scenario.segments["mid_market"].acv_usd
    assert acv.mean() == pytest.approx(25_000, rel=1e-3)  # the mean deal is the one given


def test_every_number_says_where_it_comes_from(tmp_path):
    given = {"sdr", "ae", "csm", "inbound_per_week", "acv_usd", "segment"}
    text = scenario_text(Answers(2, 3, 1, 30.0, 25_000.0, "mid_market", given=frozenset(given)))
    lines = text.splitlines()
    for line in numbered_lines(text):
        j = lines.index(line)
        context = " ".join(lines[max(0, j - 2):j + 1])  # the mark is on the line or in the comment above it
        assert MARK.search(context) or line.strip().startswith(("seed:", "segment_mix", "name:", "description:")), line
    for key in ("headcount: 2", "headcount: 3", "headcount: 1", "rate_per_week: 30"):
        assert "[you]" in next(line for line in lines if key in line), key
    table = default_table()
    cited = {m.group(2) for m in MARK.finditer(text) if m.group(2)}
    assert cited >= {"win_rate", "sales_cycle_days", "grr", "ae_ramp_days", "sdr_ramp_days"}
    assert all(table.rows_for(metric) for metric in cited)
    # the typical value of the table is the number written
    assert "renewal: {probability: 0.85}" in text and table.get("grr", "mid_market").typical == 0.85


def test_the_mark_check_can_fail():
    text = "roles:\n  ae:\n    headcount: 3\n"
    lines = text.splitlines()
    assert not any(MARK.search(" ".join(lines[max(0, lines.index(x) - 2):lines.index(x) + 1]))
                   for x in numbered_lines(text))


def test_numbers_not_given_are_assumed(tmp_path, capsys):
    out = tmp_path / "x.yaml"
    assert main(["init", "--no-input", "--ae", "2", "--out", str(out)]) == 0
    text = out.read_text()
    assert "[you]" in next(line for line in text.splitlines() if "headcount: 2" in line)
    assert "[assumed]" in next(line for line in text.splitlines() if "rate_per_week" in line)
    assert "[assumed] mean $25,000" in text


def test_questions_on_a_terminal():
    args = SimpleNamespace(sdr=None, ae=4, csm=None, inbound=None, acv=None, segment=None, name="acme")
    stdin = io.StringIO("3\nlots\n12\n\n\nenterprise\n")  # sdr 3, csm: a bad answer then 12, defaults, segment
    stdout = io.StringIO()
    a = answers_from(args, interactive=True, stdin=stdin, stdout=stdout)
    assert (a.sdr, a.ae, a.csm, a.inbound_per_week, a.acv_usd, a.segment) == (3, 4, 12, 20.0, 25_000.0, "enterprise")
    assert a.given == {"sdr", "ae", "csm", "segment"}
    assert "expected a whole number" in stdout.getvalue()  # the bad answer is asked again
    text = scenario_text(a)
    assert not lint(sim.validate_data(yaml.safe_load(text)), ("idle_role", "implicit_entry", "unreached_stage"))


@pytest.mark.parametrize("flags, key", [(["--sdr", "0"], "ae"), (["--csm", "0"], None)])
def test_no_sdr_or_no_csm_still_runs(tmp_path, flags, key):
    out = tmp_path / "x.yaml"
    assert main(["init", "--no-input", *flags, "--out", str(out)]) == 0
    scenario = sim.load_scenario(out)
    if key:
        assert scenario.steps["sql"].role == key and "sdr" not in scenario.roles
    else:
        assert "csm" not in scenario.roles and scenario.post_sale.csm_role is None
    assert sim.simulate(scenario, seed=1, weeks=8).kpis["leads_created"] > 0


def test_a_team_that_cannot_keep_up_is_told(tmp_path, capsys):
    out = tmp_path / "x.yaml"
    assert main(["init", "--no-input", "--inbound", "400", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "role 'sdr' is asked" in err and "[over_capacity]" in err


@pytest.mark.parametrize("flags, expect", [
    (["--inbound", "0"], "--inbound"), (["--acv", "nan"], "--acv"), (["--sdr", "2.5"], "--sdr"),
    (["--segment", "huge"], "--segment"), (["--name", "Acme Inc"], "--name")])
def test_bad_flags_exit_2(tmp_path, capsys, flags, expect):
    assert main(["init", "--no-input", *flags, "--out", str(tmp_path / "x.yaml")]) == 2
    assert expect in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()


def test_never_over_a_file_it_did_not_write(tmp_path, capsys):
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: mine\n")
    assert main(["init", "--no-input", "--out", str(mine), "--force"]) == 2
    assert mine.read_text() == "name: mine\n"
    ours = tmp_path / "ours.yaml"
    assert main(["init", "--no-input", "--out", str(ours)]) == 0
    assert main(["init", "--no-input", "--out", str(ours)]) == 2  # exists: needs --force
    assert main(["init", "--no-input", "--ae", "5", "--out", str(ours), "--force"]) == 0
    assert sim.load_scenario(ours).roles["ae"].headcount == 5


@pytest.mark.parametrize("segment", ["smb", "mid_market", "enterprise"])
def test_selling_time_of_the_first_scenario_is_inside_the_benchmark_range(segment):
    """salesim check reads each seller's selling time from the scenario (hours on deals over the working
    week): a starter whose reps sell all week (hours_per_week 30, no work model: 75%) is outside the
    published 20-40%; the starter's week is 40 hours with the work model's shares (30% on deals)."""
    from sim.metrics.benchmark_figures import selling_fraction

    text = scenario_text(Answers(2, 3, 1, 30.0, 25_000.0, segment))
    scenario = sim.validate_data(yaml.safe_load(text))
    row = default_table().get("selling_time_fraction", "all")
    for role in ("sdr", "ae"):
        assert row.low <= selling_fraction(scenario, role) <= row.high, role


def test_the_issue_example_passes_the_benchmark_check(tmp_path, capsys):
    """Issue 27: `salesim init ...` then `salesim check` passes the benchmark ranges of its segment."""
    out = tmp_path / "acme.yaml"
    assert main(["init", *EXAMPLE, "--out", str(out)]) == 0
    capsys.readouterr()
    code = main(["check", str(out), "--strict"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "0 outside" in printed


def test_open_deals_follow_littles_law_and_the_equilibrium_ages():
    from scipy import stats

    from sim.cli.starter import equilibrium_ages, open_deals

    # a fixed time in the stage: ages uniform on [0, T), at the midpoints of n equal slices
    assert equilibrium_ages(6.0, 4) == pytest.approx([0.75, 2.25, 3.75, 5.25])
    # gamma time: the equilibrium ages' mean is E[T^2] / (2 E[T]) = m (1 + cv^2) / 2
    ages = equilibrium_ages({"mean": 30.0, "cv": 0.6}, 2000)
    assert sum(ages) / len(ages) == pytest.approx(30 * (1 + 0.36) / 2, rel=0.01)
    few = equilibrium_ages({"mean": 30.0, "cv": 0.6}, 40)  # a stage's worth: none older than the lint allows
    assert max(few) < stats.gamma(1 / 0.36, scale=30 * 0.36).ppf(0.999) and few == sorted(few)
    # Little's law: deals entering a day x mean days in the stage
    deals = open_deals([("sql", 1.5, 6.0), ("opportunity", 1.137, {"mean": 35.0, "cv": 0.6})])
    assert sum(1 for s, _ in deals if s == "sql") == 9 and sum(1 for s, _ in deals if s == "opportunity") == 40


def test_the_first_scenario_starts_with_its_open_pipeline(tmp_path):
    """The company is running: the run starts with open deals, and they book in the first weeks
    (without them the first year is spent filling an empty pipeline)."""
    text = scenario_text(Answers(2, 3, 1, 30.0, 25_000.0, "mid_market"))
    data = yaml.safe_load(text)
    assert len(data["initial_pipeline"]) > 20
    with_open = sim.validate_data(data)
    without = sim.validate_data({k: v for k, v in data.items() if k != "initial_pipeline"})
    early = []
    for scenario in (with_open, without):
        kpis = sim.simulate(scenario, seed=3, weeks=8, record="kpis").kpis
        early.append(kpis["bookings_usd"])
    assert early[0] > 1.5 * early[1] > 0
