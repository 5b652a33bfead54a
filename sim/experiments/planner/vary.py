"""The planner's decision variables: ``--vary`` ranges, counted and checked before anything is built.

Why a module of its own: a range typed on the command line can ask for
anything (``hires.ae.q1=0:200000000``, ``seed=-1e308:1e308``), so every
range is *counted* from LOW, HIGH and STEP with exact arithmetic and held to
``MAX_LEVELS`` before a single level is listed, for every kind of variable
alike (plain keys, whole-numbered keys, hires). Which keys are whole numbers
is read from the scenario format itself (an ``int`` field of the pydantic
models in :mod:`sim.scenario.schema`), so ``roles.ae.headcount=1:4`` steps
by one rep and never proposes 1.6 of them. The space these variables span
is :mod:`.space`.
"""

from __future__ import annotations

import math
import re
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim.errors import ArgumentError, UsageError
from sim.experiments.montecarlo.design import Param, parse_param
from sim.experiments.montecarlo.stats import did_you_mean
from sim.scenario.base import annotation_members
from sim.scenario.schema import Scenario

DEFAULT_LEVELS = 11
MAX_LEVELS = 1000
WEEKS_PER_QUARTER = 13
_HIRE = re.compile(r"^hires\.([A-Za-z_][A-Za-z0-9_]*)\.q(\d+)$")


@dataclass(frozen=True)
class Var:
    """One decision variable: a scenario value, or the hires of a role in one quarter."""

    path: str
    levels: tuple[float | int, ...]
    role: str | None = None  # hires.ROLE.qN
    quarter: int | None = None
    text: str = field(default="", compare=False)  # the --vary as typed, for messages

    @property
    def name(self) -> str:
        return self.path

    @property
    def is_hire(self) -> bool:
        return self.role is not None

    def value(self, index: int) -> float | int:
        return self.levels[index]


def _check_parent(text: str, path: str, data: dict) -> None:
    """Everything above the varied key must exist: ``--set`` would silently create it (a new role)."""
    node, parts = data, path.split(".")
    for depth, part in enumerate(parts[:-1]):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            where = ".".join(parts[:depth]) or "the scenario"
            choices = list(node) if isinstance(node, dict) else []
            raise UsageError(f"--vary {text}: {where} has no {part!r}{did_you_mean(part, choices)}")


def shown(text: str) -> str:
    """A flag's value as typed; quoted when it is empty or has spaces at its ends."""
    return text if text and text.strip() == text else repr(text)


def _param(text: str) -> Param:
    """``parse_param``, with its errors naming ``--vary`` (the sweep's parser says ``--param``)."""
    if not isinstance(text, str):
        raise UsageError(f"--vary {text!r}: expected key.path=LOW:HIGH[:STEP] text")
    try:
        return parse_param(text)
    except ArgumentError as exc:
        raise UsageError(f"--vary {shown(text)}: {exc.message}") from None


def _step(ann: Any, node: Any, part: str) -> tuple[Any, Any]:
    """One key down the scenario format: the annotation of ``part`` and the value there (if any)."""
    members = annotation_members(ann)
    if isinstance(node, BaseModel):
        models = [type(node)]
    else:
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    for m in models:
        for name, f in m.model_fields.items():
            if part in (name, f.alias):
                return f.annotation, (getattr(node, name, None) if isinstance(node, m) else None)
    for m in members:
        origin, args = typing.get_origin(m), typing.get_args(m)
        if origin is dict and len(args) == 2 and (node is None or isinstance(node, dict)):
            return args[1], (node.get(part) if isinstance(node, dict) else None)
        if origin in (list, tuple) and args and part.isdigit() and (node is None or isinstance(node, list | tuple)):
            i = int(part)
            child = node[i] if isinstance(node, list | tuple) and i < len(node) else None
            if origin is tuple and args[-1] is not Ellipsis:
                return (args[i] if i < len(args) else None), child
            return args[0], child
    return None, None


def whole_key(path: str, base: Scenario) -> bool:
    """Whether the scenario format types the value at ``path`` as a whole number (an ``int``
    field, and not a float one: ``roles.ae.headcount``, ``timeline.0.count``, ``seed``)."""
    ann: Any = type(base)
    node: Any = base
    for part in path.split("."):
        ann, node = _step(ann, node, part)
        if ann is None:
            return False
    numeric = [m for m in annotation_members(ann) if m in (int, float)]
    return int in numeric and float not in numeric


def _whole_range(text: str, p: Param, why: str) -> tuple[int, int, int]:
    """LOW, HIGH and STEP (default 1) of a whole-numbered variable, as Python integers."""
    nums = [p.low, p.high] + ([] if p.step is None else [p.step])
    if not all(float(x).is_integer() for x in nums):
        raise UsageError(f"--vary {text}: {why}; LOW, HIGH and STEP must be whole numbers "
                         f"(e.g. {p.path}={math.floor(p.low)}:{math.ceil(p.high)}, which steps by 1)")
    return int(p.low), int(p.high), 1 if p.step is None else int(p.step)


def _cap(text: str, count: int) -> None:
    if count > MAX_LEVELS:
        raise UsageError(f"--vary {text}: {count_text(count)} levels is more than {MAX_LEVELS}; "
                         "narrow LOW:HIGH or use a larger STEP")


def count_text(n: int) -> str:
    """A count for people: exact up to a billion, else ``1.0e21`` (exact arithmetic, any size)."""
    n = int(n)
    if abs(n) < 10**9:
        return str(n)
    return format(Decimal(n), ".1e").lower().replace("e+", "e")


def _int_levels(text: str, low: int, high: int, step: int) -> tuple[int, ...]:
    _cap(text, (high - low) // step + 1)  # counted before anything is listed
    return tuple(range(low, high + 1, step))


def parse_var(text: str, base: Scenario, data: dict | None = None) -> Var:
    """``--vary`` -> :class:`Var`, checked against the base scenario (and its raw mapping)."""
    param = _param(text)
    m = _HIRE.match(param.path)
    if m:
        role, quarter = m.group(1), int(m.group(2))
        if role not in base.roles:
            raise UsageError(f"--vary {text}: no role {role!r}{did_you_mean(role, list(base.roles))}")
        if quarter < 1 or WEEKS_PER_QUARTER * (quarter - 1) >= base.horizon_weeks:
            raise UsageError(f"--vary {text}: quarter {quarter} does not start within the "
                             f"{base.horizon_weeks:g}-week horizon")
        why = "hires are whole numbers >= 0, e.g. hires.ae.q2=0:3"
        low, high, step = _whole_range(text, param, why)
        if low < 0:
            raise UsageError(f"--vary {text}: {why}")
        return Var(f"hires.{role}.q{quarter}", _int_levels(text, low, high, step), role, quarter, text)
    if data is not None:
        _check_parent(text, param.path, data)
    if whole_key(param.path, base):
        low, high, step = _whole_range(text, param, f"{param.path} is a whole number")
        return Var(param.path, _int_levels(text, low, high, step), text=text)
    return Var(param.path, _levels(param, text), text=text)


def _levels(p: Param, text: str) -> tuple[float | int, ...]:
    span = p.high - p.low
    if not math.isfinite(span):
        raise UsageError(f"--vary {text}: HIGH - LOW is too large to compute with")
    if p.step:
        ratio = span / p.step + 1e-9
        count = math.floor(ratio) + 1 if math.isfinite(ratio) else MAX_LEVELS + 1
        _cap(text, count)  # counted before anything is listed
        raw = p.snap(p.low + p.step * np.arange(count))
    else:
        raw = p.snap(np.linspace(p.low, p.high, DEFAULT_LEVELS))
    raw = np.unique(raw)
    _cap(text, len(raw))
    return tuple(p.value(x) for x in raw)
