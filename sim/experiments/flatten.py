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
  (``stages`` rows by ``stage``), or by its index when it has none:
  ``stages.sql.conversion``;
* numbers, booleans and ``None`` (-> NaN) are kept; strings (labels such as
  ``scenario``) and lists of numbers (per-rep detail such as
  ``busy_hours_per_rep``, or the ``seed``) are left out of the row.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any


def flatten_kpis(kpis: Mapping[str, Any], prefix: str = "") -> dict[str, float | int]:
    """Scalars of a (nested) KPI mapping, keyed by dotted path, in dict order."""
    out: dict[str, float | int] = {}
    _walk(kpis, prefix, out)
    return out


def _walk(node: Any, path: str, out: dict[str, float | int]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _walk(value, f"{path}.{key}" if path else str(key), out)
    elif isinstance(node, list | tuple):
        if node and all(isinstance(x, Mapping) for x in node):
            for i, row in enumerate(node):
                label = next((v for v in row.values() if isinstance(v, str)), None)
                name = label if label is not None else str(i)
                rest = {k: v for k, v in row.items() if not (isinstance(v, str) and v == label)}
                _walk(rest, f"{path}.{name}" if path else name, out)
        # lists of numbers are per-rep or per-item detail: not a column
    elif isinstance(node, bool):
        out[path] = int(node)
    elif isinstance(node, numbers.Real):
        out[path] = node.item() if hasattr(node, "item") else node
    elif node is None:
        out[path] = math.nan
    # strings are labels, not measurements
