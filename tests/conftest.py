"""Shared builders: small scenarios written as dicts, validated like files."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def chain(probs, *, rate_per_week=70.0, headcount=None, work_hours=0.0, elapsed_days=0.0,
          hours_per_week=168.0, name="chain"):
    """A straight funnel: one inbound source, one segment, one pooled role per step.

    ``headcount=None`` gives unlimited capacity (no queues at all).
    """
    n = len(probs)
    stages = [f"s{i}" for i in range(n + 1)]
    roles = {}
    steps = {}
    seg_steps = {}
    for i, p in enumerate(probs):
        stage = stages[i + 1]
        role = f"r{i + 1}"
        hc = headcount[i] if isinstance(headcount, list | tuple) else headcount
        roles[role] = ({"unlimited_capacity": True} if hc is None
                       else {"headcount": hc, "hours_per_week": hours_per_week})
        steps[stage] = {"role": role}
        wh = work_hours[i] if isinstance(work_hours, list | tuple) else work_hours
        seg_steps[stage] = {"conversion_probability": p, "work_hours": wh, "elapsed_days": elapsed_days}
    return {
        "name": name,
        "horizon_weeks": 52,
        "stages": stages,
        "steps": steps,
        "roles": roles,
        "segments": {"only": {"acv_usd": 10000, "steps": seg_steps}},
        "sources": {"web": {"kind": "inbound", "entry_stage": "s0", "rate_per_week": rate_per_week,
                            "segment_mix": {"only": 1.0}}},
    }


def build(data: dict, **changes) -> sim.Scenario:
    d = copy.deepcopy(data)
    d.update(changes)
    return sim.validate_data(d)


@pytest.fixture(scope="session")
def small_team() -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "small_team.yaml")


@pytest.fixture(scope="session")
def mid_size() -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "mid_size.yaml")


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory) -> Path:
    """The documentation site, built once per test session with warnings as errors.

    Session-wide because building it runs every notebook (docs/hooks/tutorials.py):
    tests/test_docs.py checks the pages and tests/test_notebooks.py the executed
    notebooks the build leaves beside each tutorial page, without a second run."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")
    pytest.importorskip("material", reason="the docs extra is not installed: pip install -e '.[docs]'")
    import os
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("site")
    env = {k: v for k, v in os.environ.items() if k != "SALESIM_DOCS_NOTEBOOKS"}
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                       cwd=SCENARIOS.parent, capture_output=True, text=True, timeout=3600,
                       env={**env, "NO_MKDOCS_2_WARNING": "1"})
    assert p.returncode == 0, p.stderr[-3000:]
    return out
