"""Optional parts: a command that needs a missing extra ends with exit 2 and the
line that installs it, before any simulation time is spent."""

from __future__ import annotations

import sys
import tomllib

import pytest

from sim.cli.main import main
from sim.extras import EXTRAS, MissingExtra, missing, require
from tests.conftest import ROOT

SMALL = str(ROOT / "scenarios/small_team.yaml")
HIST, MAP = str(ROOT / "data/crm/sample_history.csv"), str(ROOT / "data/crm/sample_mapping.yaml")


def _block(monkeypatch, *modules: str) -> None:
    for name in modules:  # ``import name`` now raises ImportError, as if not installed
        monkeypatch.setitem(sys.modules, name, None)


def test_every_extra_is_declared_in_pyproject_with_what_it_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    core = " ".join(project["dependencies"]).lower()
    for extra, (modules, _) in EXTRAS.items():
        assert extra in extras, extra
        declared = " ".join(extras[extra]).lower()
        for module in modules:
            dist = {"distributed": "dask[distributed]", "ruamel.yaml": "ruamel.yaml",
                    "sklearn": "scikit-learn"}.get(module, module).lower()
            assert dist in declared, (extra, module)
            assert dist not in core, f"{module} is in the core install and in [{extra}]"
    dev = " ".join(extras["dev"])
    assert all(e in dev for e in EXTRAS), "the tests need every extra"


def test_require_names_the_extra_and_the_pip_line(monkeypatch):
    assert missing("plan") == []
    _block(monkeypatch, "optuna")
    assert missing("plan") == ["optuna"]
    with pytest.raises(MissingExtra, match=r"pip install 'salesim\[plan\]'"):
        require("plan")


CASES = [
    ("plan", ("optuna",), ["plan", SMALL, "--vary", "roles.ae.headcount=1:2", "--target", "leads_won>=1"]),
    ("studies", ("statsmodels",), ["study", str(ROOT / "scenarios/studies/team_size.yaml"), "--reps", "2"]),
    ("calibration", ("tabulate",), ["calibrate", HIST, "--mapping", MAP, "--out", "{tmp}/f.yaml"]),
    ("calibration", ("ruamel", "ruamel.yaml"), ["backtest", HIST, "--mapping", MAP, "--train-until", "2025-01-01",
                                                "--out", "{tmp}/bt"]),
    ("studies", ("SALib",), ["sweep", SMALL, "--param", "roles.ae.headcount=1:3", "--design", "sobol",
                             "--samples", "4", "--reps", "2", "--weeks", "2", "--out", "{tmp}/s"]),
    ("dask", ("distributed",), ["batch", SMALL, "--reps", "2", "--weeks", "2", "--dask", "local",
                                "--out", "{tmp}/b"]),
]


@pytest.mark.parametrize("extra,modules,argv", CASES, ids=[c[2][0] for c in CASES])
def test_a_command_without_its_extra_exits_2_with_the_pip_line(extra, modules, argv, monkeypatch, tmp_path, capsys):
    from sim.model.world import World

    def no_simulation(*a, **k):
        raise AssertionError("a simulation ran before the missing extra was reported")

    monkeypatch.setattr(World, "run", no_simulation)
    _block(monkeypatch, *modules)
    rc = main([a.format(tmp=tmp_path) for a in argv])
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert f"pip install 'salesim[{extra}]'" in err
    assert list(tmp_path.iterdir()) == []
