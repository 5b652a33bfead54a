"""Plausible worlds: a study's uncertain assumptions, sampled.

Why: a verdict ("specialists beat stars at $1.2M a year") rests on numbers
nobody knows well -- how fast people learn, what a switch between kinds of
work costs, how many leave, how large the market is. A study file lists them
under ``uncertain:`` as scenario key paths with a range, and the study asks
its question in each of N worlds drawn from those ranges:

.. code-block:: yaml

    uncertain:
      worlds: 32            # how many worlds
      sampler: lhs          # lhs (Latin hypercube) or sobol (scrambled Sobol' points)
      assumptions:
        work_model.learning.exponent: {low: 0.1, high: 0.4, source: "Newell & Rosenbloom 1981"}
        roles.*.people.attrition_per_year: {low: 0.15, high: 0.4}

A ``*`` stands for every key at that level that has the rest of the path
(every role with an attrition rate): one assumption, one draw per world, set
on all of them. The points come from scipy's quasi-Monte Carlo module (a Latin
hypercube is what the sensitivity index of :mod:`.discovery` reads; Sobol'
points fill the space more evenly for a power-of-two count), seeded, so a
study's worlds are the same every time. A whole-number key is rounded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.errors import UsageError

MAX_WORLDS = 4096


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Assumption(_Model):
    """One uncertain assumption: a range, sampled uniformly (or log-uniformly)."""

    low: float
    high: float
    scale: Literal["linear", "log"] = Field(default="linear", description="log: uniform in log(value)")
    description: str = ""
    source: str = Field(default="", description="where the range comes from")

    @model_validator(mode="after")
    def _ordered(self):
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"expected finite low < high, got low={self.low}, high={self.high}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError("a log scale needs low > 0")
        return self


class Uncertain(_Model):
    """The worlds a study's verdict is tested in."""

    worlds: Annotated[int, Field(ge=4, le=MAX_WORLDS)] = 32
    sampler: Literal["lhs", "sobol"] = "lhs"
    seed: Annotated[int, Field(ge=0)] | None = Field(default=None, description="default: the study's seed")
    assumptions: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_*]+(\.[A-Za-z0-9_*]+)+$", max_length=200)],
                      Assumption] = Field(min_length=1, description="scenario key path -> range")


@dataclass(frozen=True)
class Worlds:
    """N sampled worlds: ``values[i, j]`` is assumption ``j`` in world ``i``."""

    names: list[str]
    values: np.ndarray
    bounds: list[tuple[float, float]]
    whole: list[bool]

    def __len__(self) -> int:
        return len(self.values)

    def of(self, i: int) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, self.values[i], strict=True)}


def sample(spec: Uncertain, seed: int, whole: list[bool] | None = None) -> Worlds:
    """The worlds of ``spec``: a seeded Latin hypercube or scrambled Sobol' sample, mapped to the ranges."""
    from scipy.stats import qmc

    names = list(spec.assumptions)
    d, n = len(names), spec.worlds
    if spec.sampler == "sobol":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a count that is not a power of two only warns
            u = qmc.Sobol(d, scramble=True, seed=seed).random(n)
    else:
        u = qmc.LatinHypercube(d, seed=seed).random(n)
    cols = []
    for j, name in enumerate(names):
        a = spec.assumptions[name]
        if a.scale == "log":
            col = np.exp(np.log(a.low) + u[:, j] * (np.log(a.high) - np.log(a.low)))
        else:
            col = a.low + u[:, j] * (a.high - a.low)
        cols.append(col)
    values = np.column_stack(cols)
    flags = whole or [False] * d
    for j, w in enumerate(flags):
        if w:
            values[:, j] = np.rint(values[:, j])
    return Worlds(names, values, [(spec.assumptions[k].low, spec.assumptions[k].high) for k in names], flags)


def expand(path: str, data: dict) -> list[str]:
    """The concrete key paths a path with ``*`` names in a scenario's mapping (every key at the
    star's level under which the rest of the path exists); a path without one, as it is, if its
    parent exists."""
    parts = path.split(".")
    found: list[str] = []

    def walk(node, i: int, done: list[str]) -> None:
        if i == len(parts) - 1:
            if isinstance(node, dict) and (parts[i] in node or "*" not in path):
                found.append(".".join([*done, parts[i]]))
            return
        part = parts[i]
        if not isinstance(node, dict):
            return
        keys = list(node) if part == "*" else [part] if part in node else []
        for k in keys:
            walk(node[k], i + 1, [*done, str(k)])

    walk(data, 0, [])
    return found


def set_lines(worlds: Worlds, i: int, data: dict) -> list[str]:
    """World ``i`` as ``--set`` lines on a scenario's mapping (each assumption on every key it names)."""
    out = []
    for name, value, w in zip(worlds.names, worlds.values[i], worlds.whole, strict=True):
        v = int(value) if w else float(value)
        out += [f"{p}={json.dumps(v)}" for p in expand(name, data)]
    return out


def check_paths(spec: Uncertain, scenarios: dict[str, dict]) -> None:
    """Every assumption must name a key in every design's scenario (an assumption one design does
    not have would be no assumption about it); ``scenarios``: label -> resolved mapping."""
    for name in spec.assumptions:
        for label, data in scenarios.items():
            if not expand(name, data) or not all(_exists(p, data) for p in expand(name, data)):
                raise UsageError(f"uncertain: {name}: no such key in the scenario of {label}; an assumption "
                                 "must name a key every design has (a section that is off has no keys: "
                                 "switch it on in the study, or leave the assumption out)")


def _exists(path: str, data: dict) -> bool:
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node or node[part] is None:
            return False
        node = node[part]
    return True
