"""docs/mutation.md is generated from the run's stored results
(docs/mutation_run.json, docs/mutation_sample.csv) by scripts/mutation.py, every
survivor has a verdict with its reason, and every test a verdict names exists."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mutation():
    spec = importlib.util.spec_from_file_location("mutation_script", REPO / "scripts" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_is_what_the_script_renders(mutation):
    text = (REPO / "docs" / "mutation.md").read_text()
    assert mutation.rendered_doc(text, mutation.read_table(), mutation.read_run()) == text, (
        "run `python scripts/mutation.py render`")


def test_every_mutant_not_killed_has_a_verdict_and_a_reason(mutation):
    rows = mutation.read_table()
    assert len(rows) == mutation.read_run()["sample"] == len({r["mutant"] for r in rows})
    for r in rows:
        if r["status"] == "killed":
            assert not r["verdict"], r
        elif r["status"] == "survived":
            assert r["verdict"] in mutation.VERDICTS and r["note"] and r["change"], r
        else:
            assert r["status"] == "timeout" and r["verdict"] == "timeout" and r["note"], r


def test_the_tests_named_exist(mutation):
    named = set()
    for r in mutation.read_table():
        for path, name in re.findall(r"(tests/test_\w+\.py)(?:::(\w+))?", r["note"]):
            source = (REPO / path).read_text()
            assert not name or f"def {name}(" in source, (path, name)
            named.add(path)
    assert "tests/test_mutation_gaps.py" in named


def test_a_rerun_uses_the_projects_configuration_and_counts_the_new_tests():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    mutmut = config["tool"]["mutmut"]
    assert mutmut["only_mutate"] == ["sim/model/*", "sim/metrics/*"]
    assert "tests/test_mutation_gaps.py" in mutmut["pytest_add_cli_args_test_selection"]
    assert any(d.startswith("mutmut") for d in config["project"]["optional-dependencies"]["mutation"])
