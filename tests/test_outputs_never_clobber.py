"""No command writes over its inputs, a shipped file or anything salesim did not write.

Every command's output flags are pointed at each of that command's inputs, at
shipped files (scenarios, the CRM sample and its mapping) and at folders and
files a user made, with and without ``--force``. Each must end with exit 2
and a message, and not one byte anywhere in the workspace may change (not
even salesim's own record of what it wrote).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.outpaths import FOLDER_MARK, LEDGER
from tests.conftest import ROOT


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()} | {
        str(p.relative_to(folder)) + "/": "dir" for p in sorted(folder.rglob("*")) if p.is_dir()}


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    """A workspace: the shipped scenarios and CRM sample, a run folder, a user's files."""
    w = tmp_path_factory.mktemp("ws")
    shutil.copytree(ROOT / "scenarios", w / "scenarios")
    shutil.copytree(ROOT / "data", w / "data")
    assert main(["run", str(w / "scenarios/small_team.yaml"), "--weeks", "8", "--out", str(w / "run")]) == 0
    (w / "user").mkdir()
    (w / "user" / "notes.txt").write_text("the user's notes")
    (w / "user.json").write_text('{"mine": true}')
    (w / "user.png").write_bytes(b"\x89PNG not salesim's")
    (w / "user.html").write_text("<p>mine</p>")
    (w / "fit").mkdir()
    (w / "fit" / "fit_report.md").write_text("# my own report\n")
    return w


S = "scenarios/small_team.yaml"
V = "scenarios/variants/inverted_triangle_tiny.yaml"  # extends ../inverted_triangle.yaml
HIST, MAP = "data/crm/sample_history.csv", "data/crm/sample_mapping.yaml"
CAL = ["calibrate", HIST, "--mapping", MAP, "--out"]
QUICK = ["--weeks", "4"]
STUDY = ["--reps", "2", "--weeks", "4", "--workers", "1", "--quiet"]

# (command line, where its output points): every output flag at an input, a shipped
# file, or the user's files
CASES = [
    (["run", S, *QUICK, "--out", "scenarios"], "the folder of the scenario"),
    (["run", V, *QUICK, "--out", "scenarios"], "the folder of the scenario's extends parent"),
    (["run", S, *QUICK, "--out", "."], "a folder above the scenario"),
    (["run", S, *QUICK, "--out", S], "the scenario itself"),
    (["run", S, *QUICK, "--out", "user"], "a user's folder"),
    (["run", S, *QUICK, "--out", "data/crm"], "a shipped data folder"),
    (["run", S, *QUICK, "--plot", "user.png"], "a user's figure"),
    (["run", S, *QUICK, "--out", "run2", "--plot", "run2/x.png"], "a figure inside the replaced folder"),
    (["schema", "--out", S], "a shipped scenario"),
    (["schema", "--out", "user.json"], "a user's JSON file"),
    ([*CAL, MAP], "the mapping it reads"),
    ([*CAL, S], "a shipped scenario"),
    ([*CAL, "scenarios/variants/small_team_fast_response.yaml"], "a shipped variant"),
    ([*CAL, "fit/fitted.yaml"], "a user's file where the report goes"),
    ([*CAL, HIST], "the history it reads"),
    (["export-crm", "run", "--out", "run/leads.csv"], "the run's own table"),
    (["export-crm", "run", "--out", "run/new.csv"], "a new file inside the run it reads"),
    (["export-crm", "run", "--out", HIST], "the shipped sample"),
    (["export-crm", "run", "--out", "h.csv", "--accounts-out", "run/accounts.csv"], "the run's accounts"),
    (["export-crm", "run", "--out", "h.csv", "--accounts-out", "h.csv"], "the same file twice"),
    (["backtest", HIST, "--mapping", MAP, "--train-until", "2025-01-01", "--runs", "2", "--out", "data/crm"],
     "the folder of the history"),
    (["backtest", HIST, "--mapping", MAP, "--train-until", "2025-01-01", "--runs", "2", "--out", "user"],
     "a user's folder"),
    (["backtest", HIST, "--mapping", MAP, "--train-until", "2025-01-01", "--runs", "2", "--out", HIST],
     "the history itself"),
    (["batch", S, *STUDY, "--out", "scenarios"], "the folder of the scenario"),
    (["batch", S, *STUDY, "--out", "scenarios", "--resume"], "the folder of the scenario, resumed"),
    (["batch", S, *STUDY, "--out", "b", "--plot", "user.png"], "a user's figure"),
    (["compare", S, V, *STUDY, "--out", "user"], "a user's folder"),
    (["compare", S, V, *STUDY, "--out", "c", "--plot", "user.png"], "a user's figure"),
    (["sweep", S, "--param", "roles.ae.headcount=1:2", *STUDY, "--out", "user", "--resume"], "a user's folder"),
    (["study", "scenarios/studies/team_size.yaml", *STUDY, "--out", "scenarios/studies"], "the study's folder"),
    (["plan", S, "--vary", "roles.ae.headcount=1:2", "--target", "leads_won>=1", "--weeks", "4",
      "--out", "scenarios"], "the folder of the scenario"),
    (["report", "run", "--out", "user.html"], "a user's page"),
    (["report", "run", "--out", "run/kpis.json"], "a file of the folder it reports on"),
]


def _ids(case) -> str:
    argv, where = case
    return f"{argv[0]}: {where}"


def _with_force(case) -> bool:
    """Whether the case is also run with --force: not for --resume (it continues a study and
    --force is no flag of it), nor for the commands that have no --force (study, plan, report:
    the plain run is the case)."""
    argv, _ = case
    return "--resume" not in argv and argv[0] not in ("study", "plan", "report")


RUNS = [(case, force) for case in CASES for force in (False, True) if not force or _with_force(case)]


@pytest.mark.parametrize(("case", "force"), RUNS,
                         ids=[f"{_ids(c)}-{'force' if f else 'plain'}" for c, f in RUNS])
def test_an_output_never_replaces_an_input_a_shipped_or_a_users_file(ws, case, force, capsys, monkeypatch):
    argv, _ = case
    if force:
        argv = [*argv, "--force"]
    monkeypatch.chdir(ws)
    before = _digest(ws)
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 2, (argv, out, err)
    assert err.startswith("salesim") and "Traceback" not in err
    assert _digest(ws) == before, f"{argv} changed the workspace"


def test_force_replaces_what_salesim_wrote_and_nothing_else(ws, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    fit = tmp_path / "fitted.yaml"
    assert main([*CAL, str(fit)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {"fitted.yaml", "fit_report.md", "fit_durations.png", LEDGER}
    assert main([*CAL, str(fit)]) == 2  # no --force
    assert "--force" in capsys.readouterr().err
    assert main([*CAL, str(fit), "--name", "second", "--force"]) == 0
    assert "name: second" in fit.read_text()
    fit.write_text(fit.read_text() + "# my edit\n")  # the user edits salesim's file: it is theirs now
    capsys.readouterr()
    assert main([*CAL, str(fit), "--force"]) == 2
    assert "changed since salesim wrote it" in capsys.readouterr().err
    assert fit.read_text().endswith("# my edit\n")

    bt = tmp_path / "bt"
    cmd = ["backtest", HIST, "--mapping", MAP, "--train-until", "2025-01-01", "--runs", "2", "--out", str(bt)]
    assert main(cmd) == 0
    assert (bt / FOLDER_MARK).is_file()
    assert main(cmd) == 2
    assert main([*cmd, "--force"]) == 0
    (bt / "mine.txt").write_text("x")
    assert main([*cmd, "--force"]) == 2
    assert (bt / "mine.txt").read_text() == "x"
