"""The README's first steps, run verbatim as a new user would: a fresh clone, a
fresh virtual environment, the quickstart line, then the "Using it" and "HTML
reports" examples after activating the environment.

Slow (it installs salesim and its dependencies into a new venv): run with
``python -m pytest -m slow tests/test_quickstart.py``; ``.ci/run`` runs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


def section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def bash_blocks(md: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", md, re.S)


def commands(block: str) -> list[str]:
    """The block's command lines, continuation lines joined, comments kept (bash ignores them)."""
    return [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip()]


def test_readme_blocks_are_found():
    text = README.read_text()
    quick = bash_blocks(section(text, "Quickstart"))
    assert len(quick) == 2 and "salesim run" in quick[0] and "pytest" in quick[1]
    using = bash_blocks(section(text, "Using it"))[0]
    assert commands(using)[0].startswith("source .venv/bin/activate")
    # the test command of the README is what CI runs, and CI runs the slow theory checks too
    ci = (REPO / ".ci" / "run").read_text()
    assert commands(quick[1])[0] in ci
    for slow in ("test_quickstart.py", "test_theory.py", "test_worktime.py", "test_calibration_roundtrip.py"):
        assert re.search(rf"pytest -m slow [^\n]*(\\\n[^\n]*)*tests/{slow}", ci), slow


@pytest.mark.slow
def test_readme_quickstart_verbatim_in_a_fresh_clone(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clone = tmp_path / "salesim"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    text = README.read_text()
    install = commands(bash_blocks(section(text, "Quickstart"))[0])
    examples = commands(bash_blocks(section(text, "Using it"))[0]) + commands(
        bash_blocks(section(text, "HTML reports"))[0])
    script = "\n".join(["set -euo pipefail", *install, *examples])
    proc = subprocess.run(["bash", "-c", script], cwd=clone, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    assert "Funnel, before the sale" in proc.stdout and "one random draw" in proc.stdout
    assert (clone / "runs" / "small_team-run" / "kpis.json").is_file()
    assert (clone / "runs" / "small_team-report.html").is_file()
    # the quickstart installs the core only: a batch runs; an extra's command says what to install
    bin_ = clone / ".venv" / "bin"
    batch = subprocess.run([str(bin_ / "salesim"), "batch", "scenarios/small_team.yaml", "--reps", "2", "--weeks", "4",
                            "--workers", "1", "--quiet", "--out", "runs/core-batch"], cwd=clone, capture_output=True,
                           text=True, timeout=600)
    assert batch.returncode == 0, batch.stderr[-2000:]
    for absent in ("optuna", "distributed", "statsmodels", "SALib"):
        probe = subprocess.run([str(bin_ / "python"), "-c", f"import {absent}"], capture_output=True)
        assert probe.returncode != 0, f"{absent} is in the core install"
    plan = subprocess.run([str(bin_ / "salesim"), "plan", "scenarios/small_team.yaml", "--vary",
                           "roles.ae.headcount=1:2", "--target", "leads_won>=1"], cwd=clone, capture_output=True,
                          text=True, timeout=600)
    assert plan.returncode == 2 and "pip install 'salesim[plan]'" in plan.stderr, plan.stderr
