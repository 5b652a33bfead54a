"""Generated hostile scenarios (issue 10): shipped scenarios with their numbers,
types and keys mutated, run through the CLI.

Every case must end one of two ways: exit 0 within a time bound with finite,
strict JSON, or exit 2 with the mutated key in the message. Never a
traceback (an exception escaping ``main``), never a hang, never ``NaN`` or
``Infinity`` in the output.

Hypothesis draws the mutations from a fixed seed (``derandomize``), so the
default suite always runs the same ~40 cases over a short horizon; the
``slow`` version runs a few hundred more.
"""

from __future__ import annotations

import copy
import json
import math
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from sim.cli.main import main
from sim.scenario import load_data

REPO = Path(__file__).resolve().parents[1]
BASES = ["scenarios/small_team.yaml", "scenarios/variants/upright_triangle_tiny.yaml",
         "scenarios/variants/inverted_triangle_tiny.yaml", "scenarios/pods_split.yaml", "scenarios/three_tier.yaml"]
RAW = {b: load_data(REPO / b)[0] for b in BASES}
TIME_BOUND_S = 60  # a hang detector, far above any case's real time (well under a second each)
ARGV = ["--weeks", "2", "--seed", "1", "--json", "--max-leads", "20000", "--max-events", "400000"]

NUMBERS = [0, 1, -1, 0.5, 1e-9, 5e-324, 1e-200, 1e6, 1e12, 1e13, 1e200, 1e308, float("inf"), float("nan"),
           2**63, -1e12]
OTHERS = [True, False, None, "text", "1e5", "", [], {}, [1, 2], {"dist": "gamma"}, {"dist": "nope", "mean": 1}]

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM for the time bound")


class Hang(Exception):
    """The case ran past the time bound."""


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every key path in the document (mappings and lists), leaves and inner nodes."""
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _get(node: Any, path: tuple) -> Any:
    for p in path:
        node = node[p]
    return node


def _mutate(data: dict, path: tuple, how: str, value: Any) -> tuple:
    """Apply one mutation at ``path``; return the key path the error should name."""
    parent = _get(data, path[:-1])
    key = path[-1]
    old = parent[key]
    if how == "number" and isinstance(old, int | float) and not isinstance(old, bool) and isinstance(value, float):
        parent[key] = old * value if value not in (0.0,) else 0.0  # scale the real value
    elif how in ("number", "value"):
        parent[key] = value
    elif how == "delete" and isinstance(parent, dict):
        del parent[key]
    elif how == "rename" and isinstance(parent, dict):
        parent[f"{key}x" if isinstance(key, str) else f"k{key}"] = parent.pop(key)
        return (*path[:-1], f"{key}x" if isinstance(key, str) else f"k{key}")
    elif how == "extra" and isinstance(old, dict):
        old["surprise_key"] = 1
        return (*path, "surprise_key")
    else:
        parent[key] = value
    return path


@st.composite
def cases(draw):
    """A shipped scenario with one to three mutations. The choices come from a
    random generator hypothesis seeds (uniform over scenarios, keys and values,
    where hypothesis' own draws lean towards the first of each list)."""
    rnd = draw(st.randoms(use_true_random=False))
    base = rnd.choice(BASES)
    data = copy.deepcopy(RAW[base])  # (dates in a calendar section are not JSON)
    named = []
    for _ in range(rnd.choice([1, 1, 2, 3])):
        paths = _paths(data)
        numeric = [p for p in paths if _is_number(_get(data, p))]
        in_dist = [p for p in numeric if isinstance(_get(data, p[:-1]), dict) and "dist" in _get(data, p[:-1])]
        how = rnd.choice(["number", "number", "number", "dist", "dist", "value", "delete", "rename", "extra"])
        pool = {"number": numeric, "dist": in_dist}.get(how) or paths
        if not pool:
            break
        path = rnd.choice(pool)
        if how == "dist":  # a distribution's parameter: the numbers numpy is most particular about
            how, value = "value", rnd.choice(NUMBERS)
        elif how == "number":  # scaled by a power of ten (often still legal), or set to an extreme
            value = 10.0 ** rnd.randint(-320, 308) if rnd.random() < 0.6 else rnd.choice(NUMBERS)
        else:
            value = rnd.choice([*NUMBERS, *OTHERS])
        try:
            named.append(_mutate(data, path, how, value))
        except (KeyError, IndexError, TypeError):
            continue
    return base, data, named


def _strict_json(text: str) -> Any:
    def refuse(name):
        raise ValueError(f"non-finite number {name} in the JSON output")

    return json.loads(text, parse_constant=refuse)


def _finite(node: Any) -> bool:
    if isinstance(node, dict):
        return all(_finite(v) for v in node.values())
    if isinstance(node, list):
        return all(_finite(v) for v in node)
    return not isinstance(node, float) or math.isfinite(node)


def _names_key(err: str, path: tuple) -> bool:
    """The message names the mutated key: its own name, or its dotted path (a
    removed entry is named where something still refers to it)."""
    parts = [str(p) for p in path]
    return any(".".join(parts[: n]) in err for n in range(1, len(parts) + 1)) or parts[-1] in err


def _alarm(signum, frame):
    raise Hang(f"no result within {TIME_BOUND_S} s")


def check_case(tmp_path: Path, capsys, case) -> None:
    base, data, named = case
    file = tmp_path / "fuzzed.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    capsys.readouterr()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_BOUND_S)
    try:
        rc = main(["run", str(file), *ARGV])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    out, err = capsys.readouterr()
    context = f"{base} mutated at {named}:\n{err[-1500:]}"
    assert "Traceback" not in err, context
    assert rc in (0, 2), context
    if rc == 0:
        kpis = _strict_json(out)
        assert _finite(kpis), context
    else:
        assert out == "", context
        assert any(_names_key(err, p) for p in named) or "more than the limit of" in err, context


SETTINGS = dict(deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])


@settings(max_examples=40, derandomize=True, **SETTINGS)
@given(case=cases())
def test_mutated_shipped_scenarios_end_cleanly(tmp_path, capsys, case):
    check_case(tmp_path, capsys, case)


@pytest.mark.slow
@seed(20261129)
@settings(max_examples=600, **SETTINGS)
@given(case=cases())
def test_mutated_shipped_scenarios_end_cleanly_many(tmp_path, capsys, case):
    check_case(tmp_path, capsys, case)


def test_the_fuzzer_mutates_what_it_says(tmp_path):
    """The mutator itself: a number is scaled, a key renamed, an entry deleted."""
    data = {"a": {"b": 2.0, "c": [1, 2]}}
    assert _mutate(data, ("a", "b"), "number", 1e3) == ("a", "b") and data["a"]["b"] == 2000.0
    assert _mutate(data, ("a", "c"), "rename", None) == ("a", "cx") and "cx" in data["a"]
    _mutate(data, ("a", "cx"), "delete", None)
    assert data == {"a": {"b": 2000.0}}
    assert _names_key("x.yaml:3: a.b: must be at most 1e+12", ("a", "b"))
    assert not _names_key("something else", ("a", "b"))
