"""The assumption sheet: every input of a scenario with where it came from.

Why: a reader of a report should see at once which numbers were the user's,
which were fitted to their data, which come from a published benchmark, and
which salesim simply assumed. A report is built from a results folder, which
keeps the scenario as run (``*.resolved.yaml``: every key, defaults
included), so provenance is read from that file and the schema:

* **your input** -- a key that has no default, or whose value differs from
  salesim's default (set in the user's file, a file it extends, or ``--set``;
  a key set to exactly its default reads as the default);
* **fitted from data** -- in a scenario written by ``salesim calibrate``
  (its description says "fitted to N opportunities"), the keys it set, with
  that N (each key's own sample size is in the fitted file's comments);
* **benchmark** -- a default whose field cites a published source (its
  description or its ``source`` entry in the schema);
* **assumed** -- a default without a source; where the benchmark table
  (``sim/benchmarks/table.csv``) has a range for the key, the range and its
  source are shown next to it.

Pure: reads a validated :class:`~sim.scenario.schema.Scenario`, runs nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

YOURS, FITTED, BENCHMARK, ASSUMED = "your input", "fitted from data", "benchmark", "assumed"
KINDS = (YOURS, FITTED, BENCHMARK, ASSUMED)
KIND_TEXT = {
    YOURS: "set in your scenario (its file, a file it extends, or --set) to a value other than salesim's default",
    FITTED: "fitted by salesim calibrate to your CRM history",
    BENCHMARK: "salesim's default (left out of the scenario, or set to that same value), from a published source",
    ASSUMED: "salesim's default (left out of the scenario, or set to that same value), with no published source "
             "behind it",
}

# a citation inside a field's description: "(Larkin 2014: ...)", "(Bridge Group 2018)"
_CITATION = re.compile(r"\(([A-Z][^()]*?\b(?:19|20)\d\d\b[^()]*)\)")
_FITTED = re.compile(r"^fitted to (\d+) opportunities")
_FITTED_SECTIONS = ("stages", "steps", "segments", "sources", "horizon_weeks", "win_rate_from")

# scenario keys (as dotted patterns, * for any name) the benchmark table has a range for
TABLE_KEYS: tuple[tuple[str, str], ...] = (
    ("roles.*.people.attrition_per_year", "rep_attrition_per_year"),
    ("roles.ae.people.ramp_days", "ae_ramp_days"),
    ("roles.sdr.people.ramp_days", "sdr_ramp_days"),
    ("roles.mdr.people.ramp_days", "sdr_ramp_days"),
)


@dataclass(frozen=True)
class Input:
    """One leaf key of the scenario: its dotted path, its value as text, its provenance and a note."""

    key: str
    value: str
    kind: str
    note: str = ""


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "), default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _citation(field: Any) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if isinstance(extra.get("source"), str):
        return str(extra["source"])
    m = _CITATION.search(field.description or "")
    return m.group(1) if m else ""


def _matches(pattern: str, key: str) -> bool:
    a, b = pattern.split("."), key.split(".")
    return len(a) == len(b) and all(x in ("*", y) for x, y in zip(a, b, strict=True))


def _table_note(key: str) -> str:
    from sim.benchmarks import default_table

    for pattern, metric in TABLE_KEYS:
        if _matches(pattern, key):
            row = default_table().get(metric)
            if row is not None:
                unit = "" if row.unit in ("fraction", "USD") else f" {row.unit}"
                return (f"benchmark table: {row.low:g} to {row.high:g}{unit}, typical {row.typical:g} "
                        f"({row.source}{f', {row.year}' if row.year else ''})")
    return ""


def _walk(model: Any, prefix: str, out: list[tuple[str, Any, Any, bool, str]]) -> None:
    """(key, value, default, has_default, citation) for every leaf under ``model``."""
    from pydantic import BaseModel

    for name, field in type(model).model_fields.items():
        key = f"{prefix}{field.alias or name}"
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            _walk(value, key + ".", out)
            continue
        if isinstance(value, dict) and value and all(isinstance(v, BaseModel) for v in value.values()):
            for k, v in value.items():
                _walk(v, f"{key}.{k}.", out)
            continue
        if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for i, v in enumerate(value):
                _walk(v, f"{key}[{i}].", out)
            continue
        required = field.is_required()
        default = None if required else field.get_default(call_default_factory=True)
        out.append((key, value, default, not required, _citation(field)))


def _plain(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def inputs(scenario: Any, overrides: Iterable[str] = ()) -> list[Input]:
    """Every leaf key of ``scenario`` with its provenance, in the scenario's order.
    ``overrides`` are the run's ``--set`` lines: the keys they name are marked so."""
    leaves: list[tuple[str, Any, Any, bool, str]] = []
    _walk(scenario, "", leaves)
    m = _FITTED.match(str(getattr(scenario, "description", "") or ""))
    fitted_n = int(m.group(1)) if m else None
    set_keys = {str(o).split("=", 1)[0].strip() for o in overrides}
    out = []
    for key, value, default, has_default, citation in leaves:
        plain = _plain(value)
        is_default = has_default and plain == _plain(default)
        if not is_default:
            root = key.split(".", 1)[0].split("[", 1)[0]
            if fitted_n is not None and root in _FITTED_SECTIONS:
                kind, note = FITTED, f"n = {fitted_n} opportunities (each key's own n is in the fitted file)"
            else:
                kind = YOURS
                note = "--set" if any(key == s or key.startswith(s + ".") for s in set_keys) else ""
        elif citation:
            kind, note = BENCHMARK, citation
        else:
            kind, note = ASSUMED, _table_note(key)
        out.append(Input(key, _text(plain), kind, note))
    return out


def counts(rows: Iterable[Input]) -> dict[str, int]:
    """How many inputs of each kind, in :data:`KINDS` order."""
    n = dict.fromkeys(KINDS, 0)
    for r in rows:
        n[r.kind] += 1
    return n


def differences(scenarios: list[tuple[str, Any]]) -> list[list[str]]:
    """Rows ``[key, value in each scenario...]`` for the leaf keys whose values differ between
    ``scenarios`` (name, Scenario), in the first scenario's order; the name and description left out."""
    tables = []
    for _, sc in scenarios:
        leaves: list[tuple[str, Any, Any, bool, str]] = []
        _walk(sc, "", leaves)
        tables.append({k: _text(_plain(v)) for k, v, *_ in leaves})
    keys = list(dict.fromkeys(k for t in tables for k in t))
    return [[k, *(t.get(k, "(absent)") for t in tables)] for k in keys
            if k not in ("name", "description") and len({t.get(k, "(absent)") for t in tables}) > 1]
