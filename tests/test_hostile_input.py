"""Hostile and extreme scenario input (issue 10): values that pass ``validate``
must run, values that cannot run must fail ``validate`` with exit 2 and the
key in the message -- never a traceback, a hang or a non-finite number.

Each CLI case here was reproduced against the code before the fix (exit 0
from ``validate`` and a traceback from ``run``, a hang, ``Infinity`` in JSON,
or a silently accepted typo).
"""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from sim.cli.main import main
from sim.model.draws import sampler
from sim.scenario import distributions as d
from sim.scenario.base import MAX_MAGNITUDE, MIN_PERIOD_DAYS

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
SMALL = str(SCENARIOS / "small_team.yaml")
QUICK = ["--weeks", "3", "--seed", "1"]


def cli(capsys, *argv) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def refused(capsys, scenario: str, setting: str, key: str) -> str:
    """``validate`` and ``run`` both refuse ``--set setting`` with exit 2 naming ``key``."""
    for argv in (["validate", scenario], ["run", scenario, *QUICK]):
        rc, out, err = cli(capsys, *argv, "--set", setting)
        assert rc == 2, (argv, out, err)
        assert key in err and "Traceback" not in err, err
    return err


# --------------------------------------------------------------------------- distributions


@pytest.mark.parametrize("setting, key", [
    ("segments.smb.steps.won.elapsed_days={dist: gamma, mean: 5, cv: 1.0e-200}", "elapsed_days.cv"),
    ("segments.smb.steps.won.elapsed_days={dist: gamma, mean: 5, cv: 1.0e+200}", "elapsed_days.cv"),
    ("segments.smb.discount_fraction={dist: beta, mean: 0.1, concentration: 5.0e-324}",
     "discount_fraction.concentration"),
    ("segments.smb.discount_fraction={dist: beta, mean: 1.0e-300, concentration: 5}", "discount_fraction.mean"),
    ("segments.smb.acv_usd={dist: lognormal, median: 1.0e+308, sigma: 5}", "acv_usd.median"),
    ("segments.smb.acv_usd={dist: pareto, alpha: 1.5, minimum: 1.0e+300}", "acv_usd.minimum"),
    ("segments.smb.acv_usd=1.0e+300", "segments.smb.acv_usd: must be at most 1e+12"),
    ("segments.smb.steps.won.work_hours={dist: exponential, mean: 5.0e-324}", "work_hours.mean"),
], ids=["gamma-cv-tiny", "gamma-cv-huge", "beta-concentration-tiny", "beta-mean-tiny", "lognormal-huge",
        "pareto-huge", "constant-huge", "exponential-denormal"])
def test_unsampleable_distribution_is_refused(capsys, setting, key):
    refused(capsys, SMALL, setting, key)


def _corners(cls) -> list[dict]:
    """Every combination of the lowest and highest value each parameter of a
    distribution may take, read from its JSON Schema (what validate enforces)."""
    props = cls.model_json_schema(by_alias=True)["properties"]
    axes = {}
    for name, spec in props.items():
        if name == "dist":
            continue
        low = spec.get("minimum", spec.get("exclusiveMinimum"))
        high = spec.get("maximum", spec.get("exclusiveMaximum"))
        low = 0.0 if low is None else low
        if "exclusiveMinimum" in spec:
            low = math.nextafter(low, math.inf) if low != 1 else 1 + 1e-12
        high = MAX_MAGNITUDE if high is None else high
        if "exclusiveMaximum" in spec:
            high = math.nextafter(high, -math.inf)
        axes[name] = (low, high)
    combos = [{}]
    for name, values in axes.items():
        combos = [dict(c, **{name: v}) for c in combos for v in values]
    tag = props["dist"].get("const", props["dist"].get("default"))
    return [dict(c, dist=tag) for c in combos]


@pytest.mark.parametrize("cls", [d.Constant, d.Exponential, d.LogNormal, d.Gamma, d.Uniform, d.Triangular,
                                 d.Beta, d.Pareto], ids=lambda c: c.__name__)
def test_every_corner_of_every_distribution_samples_finite(cls):
    """Anything that validates can be sampled: the extremes of every bound, at
    the smallest and largest scale a run applies (hours to days; ACV multipliers),
    draw finite, non-negative numbers without raising."""
    checked = 0
    for params in _corners(cls):
        try:
            spec = cls.model_validate(params)
        except ValueError:
            continue  # a corner that breaks a cross-parameter rule (low < high...) is not a valid spec
        for scale in (1e-3, 1.0, 1e4):
            draw = sampler(spec, np.random.default_rng(7), scale=scale, size=4096)
            values = np.array([draw() for _ in range(4096)])
            assert np.isfinite(values).all() and (values >= 0).all(), (params, scale)
            checked += 1
    assert checked > 0


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize("scenario, setting, key", [
    ("upright_triangle.yaml", "process.data_driven.period_days=1.0e-9", "process.data_driven.period_days"),
    ("pods_split.yaml", "pods.fission.check_every_days=1.0e-9", "pods.fission.check_every_days"),
    ("small_team.yaml", "sources.cold_outreach.cooling_off_days=1.0e-9", "cooling_off_days"),
])
def test_periods_below_an_hour_are_refused(capsys, scenario, setting, key):
    err = refused(capsys, str(SCENARIOS / scenario), setting, key)
    assert "0.041666" in err  # the bound (one hour, in days) is in the message


def test_schema_states_the_period_bounds(capsys):
    rc, out, _ = cli(capsys, "schema")
    assert rc == 0
    defs = json.loads(out)["$defs"]
    for model, key in (("DataDriven", "period_days"), ("Fission", "check_every_days"),
                       ("Outbound", "cooling_off_days")):
        prop = defs[model]["properties"][key]
        assert prop["minimum"] == MIN_PERIOD_DAYS == 1 / 24
        assert "at least one hour" in prop["description"]


# --------------------------------------------------------------------------- numbers and types


def test_scientific_notation_is_a_number(capsys, tmp_path):
    rc, out, err = cli(capsys, "run", SMALL, *QUICK, "--json", "--set", "segments.smb.acv_usd=1e5")
    assert rc == 0, err
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "base.yaml").write_text((SCENARIOS / "small_team.yaml").read_text())
    (folder / "child.yaml").write_text("extends: base.yaml\nsegments:\n  smb:\n    acv_usd: 2E4\n")
    rc, out, err = cli(capsys, "validate", folder / "child.yaml")
    assert rc == 0, err


@pytest.mark.parametrize("setting, key", [
    ("roles.ae.headcount=true", "roles.ae.headcount"),
    ("roles.ae.headcount=2.5", "roles.ae.headcount"),
    ("roles.ae.headcount='3'", "roles.ae.headcount"),
    ("sources.cold_outreach.accounts.smb=false", "sources.cold_outreach.accounts.smb"),
    ("horizon_weeks=true", "horizon_weeks"),
    ("roles.ae.loaded_cost_per_year_usd=1.0e+300", "roles.ae.loaded_cost_per_year_usd"),
], ids=["bool-count", "fraction-count", "text-count", "bool-in-mapping", "bool-number", "huge-money"])
def test_counts_and_numbers_are_strict(capsys, setting, key):
    refused(capsys, SMALL, setting, key)


def test_whole_float_is_a_count(capsys):
    rc, out, err = cli(capsys, "run", SMALL, *QUICK, "--json", "--set", "roles.ae.headcount=3e0")
    assert rc == 0, err
    assert json.loads(out)["roles"]["ae"]["headcount"] == 3


# --------------------------------------------------------------------------- --set and extends


def test_set_refuses_to_create_an_entry_key_by_key(capsys):
    err = refused(capsys, SMALL, "roles.nobody.headcount=3", "roles.nobody")
    assert "give it whole" in err
    err = refused(capsys, SMALL, "roles.sdrr.headcount=3", "roles.sdrr")
    assert "did you mean 'sdr'" in err
    rc, _, err = cli(capsys, "validate", SMALL, "--set", "roles.nobody={headcount: 3}")
    assert rc == 0, err


def test_set_replacing_a_mapping_reports_its_own_origin(capsys):
    _, _, err = cli(capsys, "validate", SMALL, "--set", "segments.smb.acv_usd={dist: lognormal, median: true, "
                    "sigma: 1}")
    assert err.strip().endswith("--set segments.smb.acv_usd={dist: lognormal, median: true, sigma: 1}: "
                                "segments.smb.acv_usd.median: expected a number, got True (true/false is not a "
                                "number)")


@pytest.mark.parametrize("make, kind", [(os.mkfifo, "a named pipe (FIFO)"), (os.mkdir, "a folder")],
                         ids=["fifo", "folder"])
def test_extends_target_that_is_not_a_file_is_named(capsys, tmp_path, make, kind):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    make(folder / "base.yaml")
    (folder / "child.yaml").write_text("extends: base.yaml\nname: child\n")
    rc, _, err = cli(capsys, "validate", folder / "child.yaml")
    assert rc == 2
    assert f"extends: 'base.yaml' is {kind}, not a scenario file" in err


def test_fifo_scenario_is_refused_without_waiting(capsys, tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    rc, _, err = cli(capsys, "validate", tmp_path / "pipe.yaml")
    assert rc == 2 and "is a named pipe (FIFO), not a scenario file" in err


def test_validate_gives_up_on_a_file_that_blocks(capsys, monkeypatch):
    """A read that never returns (a stalled mount) ends in exit 2 with a message;
    the CLI runs in a thread so that, without the timeout, this test fails rather
    than hangs."""
    import sim.scenario.files as files

    never = threading.Event()
    real_read = os.read

    def blocking_read(fd, n):
        if threading.current_thread() is not threading.main_thread() and \
                threading.current_thread().name != "cli":
            never.wait(30)
        return real_read(fd, n)

    monkeypatch.setattr(files, "READ_TIMEOUT_S", 0.5)
    monkeypatch.setattr(os, "read", blocking_read)
    box = {}
    worker = threading.Thread(target=lambda: box.update(rc=main(["validate", SMALL])), name="cli", daemon=True)
    worker.start()
    worker.join(10)
    never.set()
    assert not worker.is_alive(), "validate hung on a blocking read"
    _, err = capsys.readouterr()
    assert box["rc"] == 2
    assert "reading did not finish within 0.5 s" in err


# --------------------------------------------------------------------------- non-finite results


def test_non_finite_kpis_are_refused_never_printed(capsys, monkeypatch, tmp_path):
    """Whatever slips past validation and overflows, no ``Infinity``/``NaN`` is
    printed or written: the run ends with exit 2 and names the KPI."""
    import sim.run

    real = sim.run.compute_kpis

    def overflowing(*args, **kw):
        k = real(*args, **kw)
        return dict(k, bookings_usd=math.inf)

    monkeypatch.setattr(sim.run, "compute_kpis", overflowing)
    rc, out, err = cli(capsys, "run", SMALL, *QUICK, "--json", "--out", tmp_path / "o")
    assert rc == 2
    assert out == "" and "bookings_usd" in err and "overflowed" in err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- run size


def test_enormous_run_is_refused_up_front(capsys):
    for argv in (["run", SMALL], ["batch", SMALL, "--reps", "2", "--quiet"]):
        rc, out, err = cli(capsys, *argv, "--set", "sources.website.rate_per_week=100000")
        assert rc == 2, err
        assert "would create about 5,1" in err and "sources.website.rate_per_week" in err and "--max-leads" in err
    rc, out, err = cli(capsys, "run", SMALL, "--weeks", "2", "--max-events", "100")
    assert rc == 2 and "events" in err and "--max-events" in err


def test_run_passing_its_limit_is_stopped(capsys, monkeypatch):
    """What the estimate misses (here: nothing is estimated) the running guard catches."""
    import sim.run
    from sim.scenario.size import Size

    monkeypatch.setattr(sim.run, "estimate", lambda scenario, weeks=None: Size(0.0, 0.0, {}))
    rc, out, err = cli(capsys, "run", SMALL, "--weeks", "8", "--max-leads", "50", "--json")
    assert rc == 2 and out == ""
    assert "stopped at day" in err and "more than the limit of 50 (--max-leads)" in err


@pytest.mark.parametrize("name", ["small_team", "three_tier"])
def test_size_estimate_is_close_to_the_leads_a_run_creates(name):
    import sim
    from sim.scenario.size import estimate

    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml")
    actual = sim.simulate(scenario, weeks=26, record="kpis").kpis["leads_created"]
    assert 0.5 * actual <= estimate(scenario, 26).leads <= 3 * actual


class _Terminal:
    """A stderr that says it is a terminal."""

    def __init__(self):
        self.text = []

    def write(self, s):
        self.text.append(s)
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return True


def test_large_single_run_is_announced_with_a_progress_bar(capsys, monkeypatch):
    import sys

    import sim.cli.run_size as run_size

    monkeypatch.setattr(run_size, "LONG_RUN_EVENTS", 1000)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["run", SMALL, "--weeks", "6", "--json"]) == 0
    shown = "".join(terminal.text)
    assert "salesim: a large run: about" in shown
    assert "simulating: 100%" in shown and "week 6/6" in shown
