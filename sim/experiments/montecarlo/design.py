"""Sweep parameters and the designs that place points in their ranges.

Why these designs: a *grid* is easy to read and to plot; a *Latin
hypercube* (scipy.stats.qmc) covers many parameters with few points; *Sobol*
(Saltelli's scheme, SALib) and *Morris* (SALib) samples are what their
sensitivity estimators need. Every sampler draws from a seed child reserved
for its purpose (:func:`sim.experiments.runner.seeds.purpose_seed`), so a design is
as reproducible as the replications run on it.

``--param key.path=LOW:HIGH[:STEP]``: with a STEP, values are snapped to
``LOW + k*STEP`` (a grid steps through them). When LOW, HIGH and STEP are
all written as whole numbers the parameter is whole-numbered (headcounts).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from sim.errors import ArgumentError
from sim.experiments.runner.seeds import purpose_seed

DESIGNS = ("grid", "lhs", "sobol", "morris")
MAX_POINTS = 100_000
_INT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Param:
    """One swept scenario value."""

    path: str
    low: float
    high: float
    step: float | None = None
    integer: bool = False

    @property
    def column(self) -> str:
        return f"param:{self.path}"

    def snap(self, x: np.ndarray) -> np.ndarray:
        """Values on the STEP grid (and whole numbers for integer parameters), within bounds."""
        x = np.asarray(x, dtype=float)
        if self.step:
            x = self.low + np.round((x - self.low) / self.step) * self.step
            x = np.clip(x, self.low, self.high)
        if self.integer:
            x = np.round(x)
        return x

    def value(self, x: float) -> int | float:
        return int(round(x)) if self.integer else float(x)


def parse_param(text: str) -> Param:
    """``key.path=LOW:HIGH[:STEP]`` -> :class:`Param`."""
    if "=" not in text:
        raise ArgumentError("params", "expected key.path=LOW:HIGH[:STEP], e.g. roles.ae.headcount=1:4:1", text)
    path, spec = (s.strip() for s in text.split("=", 1))
    parts = [p.strip() for p in spec.split(":")]
    if not path or any(not p for p in path.split(".")):
        raise ArgumentError("params", "empty key path", text)
    if len(parts) not in (2, 3):
        raise ArgumentError("params", "expected LOW:HIGH or LOW:HIGH:STEP after '='", text)
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise ArgumentError("params", "LOW, HIGH and STEP must be numbers", text) from None
    if not all(math.isfinite(v) for v in nums):
        raise ArgumentError("params", "LOW, HIGH and STEP must be finite", text)
    low, high = nums[0], nums[1]
    step = nums[2] if len(nums) == 3 else None
    if not low < high:
        raise ArgumentError("params", "LOW must be below HIGH", text)
    if step is not None and not 0 < step <= high - low:
        raise ArgumentError("params", "STEP must be > 0 and at most HIGH - LOW", text)
    if step is not None and not math.isfinite((high - low) / step):
        raise ArgumentError("params", "STEP is too small for the range: (HIGH - LOW) / STEP overflows", text)
    integer = len(parts) == 3 and all(_INT.match(p) for p in parts)
    return Param(path, low, high, step, integer)


def check_params(params: list[Param]) -> None:
    if not params:
        raise ArgumentError("params", "a sweep needs at least one {params} key.path=LOW:HIGH[:STEP]")
    seen = [p.path for i, p in enumerate(params) if p.path in [q.path for q in params[:i]]]
    if seen:
        raise ArgumentError("params", "given twice", seen[0])


def _grid_levels(p: Param, samples: int) -> np.ndarray:
    if p.step:
        n = math.floor((p.high - p.low) / p.step + 1e-9) + 1
        if n > MAX_POINTS:  # refused before a billion levels are made (roles.ae.headcount=1:1e9:1)
            raise ArgumentError("params", f"{n} levels of {p.path} (LOW to HIGH by STEP) is more than the "
                                f"{MAX_POINTS} points a sweep may have; use a larger STEP or {{design}} lhs",
                                f"{p.path}={p.low:.12g}:{p.high:.12g}:{p.step:.12g}")
        return p.snap(p.low + p.step * np.arange(n))
    return np.unique(p.snap(np.linspace(p.low, p.high, samples)))


def design_matrix(params: list[Param], design: str, samples: int, root_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points of the design: ``(raw, snapped)``, one row per point, one column per parameter.

    ``raw`` is what the sampler produced (SALib's estimators need it in
    their own order); ``snapped`` is what the scenarios get.
    """
    check_params(params)
    if design not in DESIGNS:
        raise ArgumentError("design", f"expected one of {', '.join(DESIGNS)}", design)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ArgumentError("samples", f"expected a whole number >= 1, got {samples!r}")
    d = len(params)
    lows = np.array([p.low for p in params])
    spans = np.array([p.high - p.low for p in params])
    problem = salib_problem(params)
    if design == "grid":
        levels = [_grid_levels(p, samples) for p in params]
        total = math.prod(len(v) for v in levels)
        if total > MAX_POINTS:
            raise ArgumentError("design", f"{total} points is more than {MAX_POINTS}; use fewer levels "
                                "({samples} or STEP) or {design} lhs", "grid")
        mesh = np.meshgrid(*levels, indexing="ij")
        raw = np.column_stack([m.ravel() for m in mesh])
    elif design == "lhs":
        from scipy.stats import qmc

        rng = np.random.default_rng(purpose_seed(root_seed, "design/lhs"))
        raw = lows + qmc.LatinHypercube(d=d, rng=rng).random(samples) * spans
    elif design == "sobol":
        from SALib.sample import sobol

        if samples & (samples - 1):
            raise ArgumentError("samples", f"the Sobol design needs a power of two (e.g. "
                                f"{1 << max(1, samples.bit_length() - 1)} or {1 << samples.bit_length()})", samples)
        seed = int(purpose_seed(root_seed, "design/sobol").generate_state(1)[0])
        raw = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    else:
        from SALib.sample import morris

        if samples < 2:
            raise ArgumentError("samples", "the Morris design needs at least 2 trajectories")
        seed = int(purpose_seed(root_seed, "design/morris").generate_state(1)[0])
        raw = morris.sample(problem, samples, num_levels=4, seed=seed)
    if len(raw) > MAX_POINTS:
        raise ArgumentError("design", f"{len(raw)} points is more than {MAX_POINTS}; lower {{samples}}", design)
    snapped = np.column_stack([p.snap(raw[:, j]) for j, p in enumerate(params)])
    return raw, snapped


def salib_problem(params: list[Param]) -> dict:
    return {"num_vars": len(params), "names": [p.path for p in params],
            "bounds": [[p.low, p.high] for p in params]}
