"""Plain defaults of the study commands: ``compare`` without ``--reps``, the
headline first (``--all`` for every KPI), overrides aimed at one scenario,
and ``sweep`` printing the KPI at each level."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.cli.compare_cmd import DEFAULT_REPS, HEADLINE
from sim.cli.main import main
from tests.test_batch import write_scenario
from tests.test_compare import scenario


def _pair(tmp_path, weeks=2):
    a = write_scenario(tmp_path, scenario(weeks=weeks), "a.yaml")
    b = write_scenario(tmp_path, scenario(0.66, "better", weeks=weeks), "b.yaml")
    return a, b


def test_compare_without_reps_uses_and_states_the_default(tmp_path, capsys):
    a, b = _pair(tmp_path, weeks=1)
    assert main(["compare", a, b, "--workers", "1", "--out", str(tmp_path / "c"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"{DEFAULT_REPS} paired replication(s) each (the default; --reps N for more)" in out
    rows = pd.read_parquet(tmp_path / "c" / "replications.parquet")
    assert len(rows) == 2 * DEFAULT_REPS


def test_compare_prints_the_headline_first_and_everything_with_all(tmp_path, capsys):
    a, b = _pair(tmp_path)
    assert main(["compare", a, b, "--reps", "3", "--workers", "1", "--out", str(tmp_path / "h")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    beats = next(i for i, line in enumerate(lines) if line.startswith("P(better beats base"))
    table = next(i for i, line in enumerate(lines) if line.startswith("better vs base"))
    assert beats < table  # the decision comes first
    shown = {line.split()[0] for line in lines[table + 3:] if line and not line.startswith(("common", "("))}
    assert {"bookings_usd", "costs.total_usd"} <= shown <= set(HEADLINE)
    assert "leads_created" not in shown and "--all for every top-level KPI" in out
    assert main(["compare", a, b, "--reps", "3", "--workers", "1", "--out", str(tmp_path / "all"), "--all"]) == 0
    out = capsys.readouterr().out
    assert "leads_created" in out and "win_rate" in out


def test_set_for_one_scenario_changes_only_that_one(tmp_path, capsys):
    a, b = _pair(tmp_path)
    for flag in (["--set-b", "roles.r1.headcount=5"], ["--set", "b.yaml:roles.r1.headcount=5"],
                 ["--set", f"{b}:roles.r1.headcount=5"]):
        out = tmp_path / f"o{len(list(tmp_path.iterdir()))}"
        assert main(["compare", a, b, "--reps", "2", "--workers", "1", "--out", str(out), "--quiet", *flag]) == 0
        rows = pd.read_parquet(out / "replications.parquet")
        heads = rows.groupby("scenario")["roles.r1.headcount"].first().to_dict()
        assert heads == {"base": 2, "better": 5}, flag
    capsys.readouterr()


@pytest.mark.parametrize("flag, message", [
    (["--set", "c.yaml:roles.r1.headcount=5"], "c.yaml is not one of the compared files"),
    (["--set-c", "roles.r1.headcount=5"], "there are only 2 scenarios"),
    (["--set-b", "roles.r1.headcont=5"], "unknown key 'headcont'"),
])
def test_bad_per_scenario_sets_exit_2(tmp_path, capsys, flag, message):
    a, b = _pair(tmp_path)
    assert main(["compare", a, b, "--reps", "2", "--out", str(tmp_path / "x"), *flag]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_sweep_prints_mean_and_ci_at_each_level(tmp_path, capsys):
    a, _ = _pair(tmp_path)
    assert main(["sweep", a, "--param", "roles.r1.headcount=1:3:1", "--design", "grid", "--reps", "3",
                 "--workers", "1", "--metric", "leads_won", "--no-tornado", "--out", str(tmp_path / "s"),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "leads_won at each point (mean over replications, 95% CI)" in out
    rows = pd.read_parquet(tmp_path / "s" / "replications.parquet")
    for level in (1, 2, 3):
        mean = rows[rows["param:roles.r1.headcount"] == level]["leads_won"].mean()
        line = next(x for x in out.splitlines() if x.split()[:2] == [str(level), "3"])
        assert f"{mean:.2f}" in line or f"{mean:,.0f}" in line or str(round(mean, 1)) in line
