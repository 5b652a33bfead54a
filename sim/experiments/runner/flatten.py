"""Turning one run's nested KPI dict into one flat table row.

Why: studies put replications in rows and KPIs in columns, and the KPI dict
is nested (``roles.ae.utilization``, ``stages[k].conversion``, per-segment
maps) and keeps growing as the model grows. Nothing here names a KPI: any
scalar anywhere in the dict becomes a column named by its dotted path, so new
KPIs appear in batch tables without touching this layer.

Rules:

* mappings recurse: ``{"roles": {"ae": {"utilization": 0.7}}}`` ->
  ``roles.ae.utilization``;
* a list of mappings is a table: each row is named by its first string field
  (``stages`` rows by ``stage``) when those labels are distinct, or else by
  its index, so no row ever overwrites another: ``stages.sql.conversion``;
* agent-level tables (``reps``, ``departures``: one row per rep, whose first
  string is the role, shared by many rows) are not columns at all: they vary
  in length between replications, so :func:`long_tables` keeps them as long
  tables (one row per replication x rep) instead;
* numbers, booleans and ``None`` (-> NaN) are kept; strings (labels such as
  ``scenario``) and lists of numbers (per-rep detail such as
  ``busy_hours_per_rep``, or the ``seed``) are left out of the row.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

LONG_TABLES = ("reps", "departures", "staff")
AGENT_ID = "rep_id"  # the rep's number within its role; ``rep`` is the replication in study tables


def flatten_kpis(kpis: Mapping[str, Any], prefix: str = "") -> dict[str, float | int]:
    """Scalars of a (nested) KPI mapping, keyed by dotted path, in dict order
    (the agent-level tables of :data:`LONG_TABLES` left out)."""
    out: dict[str, float | int] = {}
    _walk({k: v for k, v in kpis.items() if k not in LONG_TABLES} if not prefix else kpis, prefix, out)
    return out


def long_tables(kpis: Mapping[str, Any]) -> dict[str, list[dict]]:
    """The agent-level tables of one run, as rows (``rep`` renamed :data:`AGENT_ID`)."""
    return {name: [{(AGENT_ID if k == "rep" else k): v for k, v in row.items()} for row in kpis.get(name) or []]
            for name in LONG_TABLES}


def _walk(node: Any, path: str, out: dict[str, float | int]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _walk(value, f"{path}.{key}" if path else str(key), out)
    elif isinstance(node, list | tuple):
        if node and all(isinstance(x, Mapping) for x in node):
            labels = [next((v for v in row.values() if isinstance(v, str)), None) for row in node]
            named = None not in labels and len(set(labels)) == len(labels)
            for i, (row, label) in enumerate(zip(node, labels, strict=True)):
                name = label if named and label is not None else str(i)
                rest = {k: v for k, v in row.items() if not (named and isinstance(v, str) and v == label)}
                _walk(rest, f"{path}.{name}" if path else name, out)
        # lists of numbers are per-rep or per-item detail: not a column
    elif isinstance(node, bool):
        out[path] = int(node)
    elif isinstance(node, numbers.Real):
        out[path] = node.item() if hasattr(node, "item") else node  # type: ignore[assignment]  # int or float
    elif node is None:
        out[path] = math.nan
    # strings are labels, not measurements
