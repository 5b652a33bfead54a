"""Factorial study files: the format, its validation, and the scenario of each cell.

Why a file: an organization study is a question ("does structure or the
process layer explain the ARR difference?") that should be rerunnable and
reviewable like a scenario, not a shell history. The file names a base
scenario, the factors and their levels, the KPIs, replications and a root
seed. A level changes the scenario in one of three ways, applied in this
order for every cell:

1. ``scenario: FILE`` -- a whole scenario instead of the base (only one factor
   may do this, e.g. ``structure: {star: inverted.yaml, specialists: upright.yaml}``);
2. ``overlay: FILE`` -- a YAML mapping deep-merged onto the scenario (mappings
   merge key by key, anything else is replaced);
3. ``set: {key.path: value}`` -- values replaced at a path (as ``--set``);
   this is how a section is switched off (``process: {}``).

``cases`` adds changes that apply only when other factors are at given
levels (e.g. "same headcount" means eight star generalists but leaves the
specialists alone). Paths are relative to the study file. Every cell is
validated as a scenario before anything runs, and a problem names the study
file, the key and the cell.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.errors import Located, ScenarioError
from sim.experiments.study.worlds import Uncertain
from sim.scenario.loader import (
    apply_overrides,
    deep_merge,
    display_path,
    load_data,
    parse_yaml,
    read_text,
    validate_data,
)
from sim.scenario.messages import format_pydantic
from sim.scenario.schema import Scenario
from sim.units import MAX_HORIZON_WEEKS

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40, description="lower_snake_case name")]
MAX_CELLS = 4096


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Case(_Model):
    """Changes applied only when other factors are at the named levels."""

    when: dict[Name, Name] = Field(min_length=1, description="factor -> level that must all hold")
    overlay: str | None = Field(default=None, description="YAML file deep-merged onto the scenario")
    set: dict[str, Any] = Field(default_factory=dict, description="key.path -> value, replaced")


class Level(_Model):
    """One level of a factor: how the scenario differs at this level."""

    scenario: str | None = Field(default=None, description="a whole scenario file instead of the base")
    overlay: str | None = Field(default=None, description="YAML file deep-merged onto the scenario")
    set: dict[str, Any] = Field(default_factory=dict, description="key.path -> value, replaced (as --set)")
    cases: list[Case] = Field(default_factory=list, description="changes that depend on other factors' levels")
    equal_budget: list[Name] = Field(
        default_factory=list, description="other factors across whose levels the cells at this level are meant to "
        "cost the same (e.g. [structure] on a same_cost level): the study flags cells whose costs before "
        "commissions differ by more than the tolerance (salesim study --budget-tolerance, default 2%)")
    vary: dict[str, str] = Field(default_factory=dict, description="a design's decision variables: key.path -> "
                                 "LOW:HIGH[:STEP], chosen by the planner's search (robust studies)")
    budget_usd_per_year: Annotated[float, Field(gt=0, le=1e12)] | None = Field(
        default=None, description="a design's budget: the most its cost KPI may be a year (robust studies)")


class Factor(_Model):
    """A factor: two or more levels; the first is the reference level effects are measured from."""

    description: str = ""
    levels: dict[Name, Level | None] = Field(min_length=2, description="level name -> changes ({} = none)")


class Frontier(_Model):
    """Two KPIs traded off against each other: the findings list the efficient cells."""

    maximize: str
    minimize: str


class Search(_Model):
    """How a robust study searches each design (the capacity planner's search, :mod:`sim.experiments.planner`)."""

    reps: Annotated[int, Field(ge=2, le=1000)] = 4
    simulations: Annotated[int, Field(ge=4, le=1_000_000)] = 400
    patience: Annotated[int, Field(ge=0, le=1000)] = 8
    cost_kpi: str = Field(default="costs.total_usd", description="the cost a budget caps (over the horizon)")
    budget_probability: Annotated[float, Field(gt=0, lt=1)] = Field(
        default=0.75, description="share of replications whose cost must be within the budget")


class StudyFile(_Model):
    """A factorial study over one base scenario."""

    name: Name
    description: str = ""
    base: str | None = Field(default=None, description="base scenario file (relative to this file)")
    set: dict[str, Any] = Field(default_factory=dict, description="key.path -> value applied to every cell")
    factors: dict[Name, Factor] = Field(min_length=1)
    kpis: list[str] = Field(min_length=1, description="flat KPI names (as in replications.parquet)")
    reps: Annotated[int, Field(ge=1, le=100_000)] = 4
    seed: Annotated[int, Field(ge=0)] | None = Field(default=None, description="root seed (default: the base's)")
    weeks: Annotated[float, Field(gt=0, le=MAX_HORIZON_WEEKS)] | None = None
    frontier: Frontier | None = Field(
        default=None, description="list the cells no other cell beats on both KPIs (e.g. ARR up, cost per ARR down)")
    design: Literal["full", "half"] = Field(
        default="full", description="full: every combination; half: a 2^(k-1) fraction (two-level factors only)")
    objective: str | None = Field(default=None, description="robust studies: the KPI each design maximises")
    search: Search = Field(default_factory=lambda: Search(), description="robust studies: how designs are searched")
    uncertain: Uncertain | None = Field(default=None, description="assumptions sampled as plausible worlds")

    @property
    def robust(self) -> bool:
        """A study of designs (levels with ``vary`` or a budget) or of uncertain assumptions."""
        return self.uncertain is not None or self.objective is not None or any(
            lv is not None and (lv.vary or lv.budget_usd_per_year is not None)
            for fac in self.factors.values() for lv in fac.levels.values())

    @field_validator("kpis")
    @classmethod
    def _unique(cls, v):
        dup = sorted({k for i, k in enumerate(v) if k in v[:i]})
        if dup:
            raise ValueError(f"KPIs must be unique, repeated: {dup}")
        return v


@dataclass(frozen=True)
class Cell:
    """One combination of levels and its validated scenario."""

    index: int
    levels: dict[str, str]
    scenario: Scenario

    @property
    def label(self) -> str:
        return ", ".join(f"{f}={lv}" for f, lv in self.levels.items())


@dataclass
class Study:
    """A loaded study: its file, its validated spec and its cells."""

    path: Path
    spec: StudyFile
    cells: list[Cell]

    @property
    def factors(self) -> dict[str, list[str]]:
        return {f: list(fac.levels) for f, fac in self.spec.factors.items()}

    @property
    def resolution(self) -> int | None:
        """Resolution of a half fraction (number of factors), None for a full design."""
        return len(self.spec.factors) if self.spec.design == "half" else None


def _check_name(path: str | os.PathLike) -> None:
    """Refuse a name that is no file name (``Path("")`` would be the working folder)."""
    if not str(path).strip():
        raise ScenarioError.at(repr(str(path)), None, (), "expected a study file name, got an empty or blank string")
    if str(path) == "-":
        raise ScenarioError.at("'-'", None, (), "study files are read from files, not from standard input; give a "
                               "file name")


def read_spec(path: str | os.PathLike) -> tuple[StudyFile, dict, dict]:
    """Parse and validate the study file; return the spec, raw data and key-path -> line map.

    The format (pydantic, :class:`StudyFile`) first, then the checks across keys, each a
    small named function below; every problem they find is reported at once, with its line."""
    _check_name(path)
    p = Path(path)
    file = display_path(p)
    data, origins = parse_yaml(read_text(p), file)
    if not isinstance(data, dict):
        raise ScenarioError.at(file, None, (), f"expected a mapping of study keys at the top, got "
                               f"{type(data).__name__}")
    _refuse_yaml_boolean_levels(data, origins, file)
    try:
        spec = StudyFile.model_validate(data)
    except ValidationError as exc:
        raise format_pydantic(exc, data, origins, file, StudyFile) from None
    err = ScenarioError()

    def add(keys: tuple, message: str, at: tuple | None = None) -> None:
        """A problem at ``keys``, on the line of ``at`` (default: of ``keys``)."""
        err.add(file, origins.get(keys if at is None else at, (file, None))[1], keys, message)

    for check in (_frontier_names_kpis, _one_factor_gives_scenarios, _cases_name_other_factors,
                  _equal_budget_names_other_factors, _half_fraction_fits, _cells_within_cap):
        check(spec, add)
    if err.problems:
        raise err
    return spec, data, origins


def _refuse_yaml_boolean_levels(data: dict, origins: dict, file: str) -> None:
    """A level named on/off/yes/no reaches us as true/false: say so, before the format's message."""
    factors = data.get("factors")
    for f, fac in factors.items() if isinstance(factors, dict) else ():
        levels = fac.get("levels") if isinstance(fac, dict) else None
        for key in levels or {}:
            if isinstance(key, bool):
                where = origins.get(("factors", f, "levels", key), (file, None))[1]
                raise ScenarioError.at(file, where, ("factors", f, "levels"), f"level name {key!r}: YAML reads "
                                       "on/off/yes/no as true/false; quote it ('on') or pick another name")


def _frontier_names_kpis(spec: StudyFile, add) -> None:
    if spec.frontier is not None:
        for key in ("maximize", "minimize"):
            if getattr(spec.frontier, key) not in spec.kpis:
                add(("frontier", key), f"{getattr(spec.frontier, key)!r} is not one of the study's kpis")


def _one_factor_gives_scenarios(spec: StudyFile, add) -> None:
    """At most one factor's levels give whole scenarios; the levels that give none need a base."""
    with_scenarios = [f for f, fac in spec.factors.items() if any(lv and lv.scenario for lv in fac.levels.values())]
    if len(with_scenarios) > 1:
        add(("factors", with_scenarios[1]),
            f"only one factor may give levels a whole 'scenario' (already: {with_scenarios[0]})")
    if with_scenarios:
        fac = spec.factors[with_scenarios[0]]
        missing = [lv for lv, spec_lv in fac.levels.items() if spec_lv is None or spec_lv.scenario is None]
        if missing and spec.base is None:
            add(("factors", with_scenarios[0]), f"levels {missing} give no 'scenario' and the study has no 'base'")
    elif spec.base is None:
        add(("base",), "required key is missing (or give one factor's levels a 'scenario')", at=())


def _cases_name_other_factors(spec: StudyFile, add) -> None:
    """A level's ``cases.when`` names another factor and one of its levels."""
    names = {f: list(fac.levels) for f, fac in spec.factors.items()}
    for f, fac in spec.factors.items():
        for lv, level in fac.levels.items():
            for i, case in enumerate(level.cases if level else []):
                for g, glv in case.when.items():
                    where = ("factors", f, "levels", lv, "cases", i, "when", g)
                    if g not in names or g == f:
                        add(where, f"unknown factor {g!r}; other factors: "
                            f"{', '.join(n for n in names if n != f) or 'none'}")
                    elif glv not in names[g]:
                        add(where, f"factor {g} has no level {glv!r}; levels: {', '.join(names[g])}")


def _equal_budget_names_other_factors(spec: StudyFile, add) -> None:
    """A level's ``equal_budget`` names other factors of the study."""
    for f, fac in spec.factors.items():
        for lv, level in fac.levels.items():
            for i, g in enumerate(level.equal_budget if level else []):
                if g not in spec.factors or g == f:
                    add(("factors", f, "levels", lv, "equal_budget", i), f"unknown factor {g!r}; other factors: "
                        f"{', '.join(n for n in spec.factors if n != f) or 'none'}")


def _half_fraction_fits(spec: StudyFile, add) -> None:
    if spec.design != "half":
        return
    bad = [f for f, fac in spec.factors.items() if len(fac.levels) != 2]
    if bad:
        add(("design",), f"a half fraction needs two-level factors; {bad} have more")
    elif len(spec.factors) < 3:
        add(("design",), "a half fraction needs at least three factors "
            "(with two, main effects would be confounded with each other)")


def _cells_within_cap(spec: StudyFile, add) -> None:
    n = math.prod(len(fac.levels) for fac in spec.factors.values())
    if n > MAX_CELLS:
        add(("factors",), f"{n} cells; a study is capped at {MAX_CELLS}")


def design_cells(factors: dict[str, list[str]], design: str) -> list[dict[str, str]]:
    """Combinations of levels: all of them, or the half fraction with defining relation
    I = ABC... (the product of the factors' +-1 codes is +1; the first level codes -1)."""
    combos = [dict(zip(factors, c, strict=True)) for c in itertools.product(*factors.values())]
    if design == "full":
        return combos
    keep = []
    for c in combos:
        sign = 1
        for f, lv in c.items():
            sign *= -1 if factors[f].index(lv) == 0 else 1
        if sign == 1:
            keep.append(c)
    return keep


def _relocate(exc: ScenarioError, file: str, line: int | None, key: tuple, cell: str) -> ScenarioError:
    """Problems of a cell's scenario, reported at the study key that caused them when
    they came from a ``set``, and always naming the cell."""
    out = []
    for q in exc.problems:
        if key and q.file.startswith("--set"):
            out.append(Located(file, line, key, f"{q.message} (at {'.'.join(map(str, q.path))}) -- in cell {cell}"))
        else:
            out.append(Located(q.file, q.line, q.path, f"{q.message} -- in cell {cell}"))
    return ScenarioError(out)


def _sets(values: dict[str, Any]) -> list[str]:
    return [f"{k}={json.dumps(v)}" for k, v in values.items()]


def _overlay(ref: str, here: Path, file: str, line: int | None, key: tuple) -> dict:
    p = (here / ref).resolve()
    if not p.is_file():
        raise ScenarioError.at(file, line, key, f"{ref!r}: no such file (looked for {display_path(p)})")
    data, _ = parse_yaml(read_text(p), display_path(p))
    if not isinstance(data, dict):
        raise ScenarioError.at(display_path(p), None, (), "an overlay must be a mapping of scenario keys")
    return data


def load_study(path: str | os.PathLike, overrides: list[str] | tuple[str, ...] = ()) -> Study:
    """Read the study file and build every cell's scenario (validated).

    ``overrides`` (``--set``) apply to every cell, after the study's own changes.
    """
    _check_name(path)
    p = Path(path)
    spec, _, origins = read_spec(p)
    file = display_path(p)
    here = p.resolve().parent

    def line(*keys):
        return origins.get(tuple(keys), (file, None))[1]

    def scenario_data(ref: str, key: tuple) -> tuple[dict, dict]:
        target = (here / ref)
        if not target.is_file():
            raise ScenarioError.at(file, line(*key), key, f"{ref!r}: no such file (looked for {display_path(target)})")
        return load_data(target)

    base = scenario_data(spec.base, ("base",)) if spec.base else None
    cells = []
    for index, levels in enumerate(design_cells({f: list(fac.levels) for f, fac in spec.factors.items()},
                                                spec.design)):
        label = ", ".join(f"{f}={lv}" for f, lv in levels.items())
        data, origins_sc = base if base else ({}, {})
        for f, lv in levels.items():
            level = spec.factors[f].levels[lv]
            if level is not None and level.scenario:
                data, origins_sc = scenario_data(level.scenario, ("factors", f, "levels", lv, "scenario"))
        data, origins_sc = copy.deepcopy(data), dict(origins_sc)
        changes: list[tuple[tuple, Any]] = []  # (study key, overlay or set)
        for f, lv in levels.items():
            level = spec.factors[f].levels[lv]
            if level is None:
                continue
            key = ("factors", f, "levels", lv)
            changes.append((key, level))
            for i, case in enumerate(level.cases):
                if all(levels.get(g) == glv for g, glv in case.when.items()):
                    changes.append((key + ("cases", i), case))
        try:
            for key, ch in changes:
                if ch.overlay:
                    data = deep_merge(data, _overlay(ch.overlay, here, file, line(*key, "overlay"), key + ("overlay",)))
            data = _apply(data, origins_sc, _sets(spec.set), file, line("set"), ("set",), label)
            for key, ch in changes:
                data = _apply(data, origins_sc, _sets(ch.set), file, line(*key, "set"), key + ("set",), label)
            data = apply_overrides(data, list(overrides), origins_sc)
            data["name"] = f"{spec.name[:30]}_{index}"
            data["description"] = f"{spec.name}: {label}"
            scenario = validate_data(data, origins_sc, f"{file} [cell {label}]")
        except ScenarioError as exc:
            raise _relocate(exc, file, None, (), label) from None
        cells.append(Cell(index, dict(levels), scenario))
    return Study(p, spec, cells)


def _apply(data: dict, origins: dict, sets: list[str], file: str, line: int | None, key: tuple, cell: str) -> dict:
    if not sets:
        return data
    try:
        data = apply_overrides(data, sets, origins)
    except ScenarioError as exc:
        raise _relocate(exc, file, line, key, cell) from None
    # later validation problems point at the study's line and key, then the scenario key
    where = f"{file}:{line}: {'.'.join(map(str, key))}" if line is not None else f"{file}: {'.'.join(map(str, key))}"
    for item in sets:
        path = tuple(int(p) if p.isdigit() else p for p in item.split("=", 1)[0].split("."))
        origins[path] = (where, None)
    return data
