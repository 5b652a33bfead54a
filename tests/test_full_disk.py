"""A full disk mid-write: exit 2 with a message, nothing half-written, no traceback.

The disk is real: a small tmpfs mounted for the test (needs root, as on CI;
skipped elsewhere). Every command that writes files is run into it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sim.cli.main import main
from tests.conftest import ROOT

HIST, MAP = str(ROOT / "data/crm/sample_history.csv"), str(ROOT / "data/crm/sample_mapping.yaml")
SMALL = str(ROOT / "scenarios/small_team.yaml")


@pytest.fixture
def tiny_disk(tmp_path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("r") / "run"
    assert main(["run", SMALL, "--weeks", "8", "--out", str(out)]) == 0
    return out


def _cases(d: Path, run_dir: Path):
    return {
        "run": ["run", SMALL, "--weeks", "8", "--out", str(d / "run")],
        "run --plot": ["run", SMALL, "--weeks", "8", "--plot", str(d / "run.png")],
        "schema": ["schema", "--out", str(d / "schema.json")],
        "calibrate": ["calibrate", HIST, "--mapping", MAP, "--out", str(d / "fit" / "fitted.yaml")],
        "export-crm": ["export-crm", str(run_dir), "--out", str(d / "hist.csv")],
        "backtest": ["backtest", HIST, "--mapping", MAP, "--train-until", "2025-01-01", "--runs", "2",
                     "--out", str(d / "bt")],
        "report": ["report", str(run_dir), "--out", str(d / "report.html")],
        "batch": ["batch", SMALL, "--reps", "2", "--weeks", "8", "--workers", "1", "--quiet", "--out", str(d / "b")],
    }


@pytest.mark.parametrize("name", ["run", "run --plot", "schema", "calibrate", "export-crm", "backtest", "report",
                                  "batch"])
def test_full_disk_exit_2_and_nothing_half_written(tiny_disk, run_dir, name, capsys):
    argv = _cases(tiny_disk, run_dir)[name]
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert "space" in err.lower(), err
    assert "Traceback" not in err
    left = sorted(p.relative_to(tiny_disk) for p in tiny_disk.rglob("*"))
    assert left == [], f"{name} left {left} on the full disk"


@pytest.mark.parametrize("name", ["calibrate", "backtest", "run", "export-crm"])
def test_interrupted_while_writing_leaves_nothing(tmp_path, run_dir, name, capsys, monkeypatch):
    """SIGTERM (handled as an interruption) between the files of one output:
    the files written so far are temporaries, removed; nothing appears."""
    import sim.outpaths as outpaths

    real, calls = outpaths._fsync, []

    def fsync_then_interrupt(path):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(path)

    monkeypatch.setattr(outpaths, "_fsync", fsync_then_interrupt)
    d = tmp_path / "out"
    d.mkdir()
    argv = _cases(d, run_dir)[name]
    if name == "export-crm":  # two files, so that the interruption falls between them
        argv += ["--accounts-out", str(d / "subs.csv")]
    rc = main(argv)
    _, err = capsys.readouterr()
    assert rc == 130 and "interrupted" in err
    assert len(calls) == 2
    assert sorted(d.rglob("*")) == []
