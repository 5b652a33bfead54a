"""Distribution specifications used in scenario files.

A distribution is written either as a bare number (a constant) or as a mapping
with a ``dist`` tag, e.g. ``{dist: lognormal, median: 25000, sigma: 0.6}``.
Parameters are named for what a user knows (a median deal size, a mean
duration and its coefficient of variation), not for numpy's internal
parameterization; the conversion to numpy's arguments happens in
:mod:`sim.model.draws`, the only place that draws numbers.

The unit is carried by the *field name* that holds the distribution
(``acv_usd``, ``work_hours``, ``elapsed_days``), never by the distribution.

Bounds come from numpy's parameterization, so that anything that validates
can be sampled without raising and without overflowing to ``inf``: location
parameters lie in [:data:`MIN_POSITIVE`, :data:`~sim.scenario.base.MAX_MAGNITUDE`]
(a run multiplies them by at most ~1e4: price and ACV multipliers); a gamma's
``cv`` in [1e-3, 10] keeps numpy's shape ``1/cv**2`` in [0.01, 1e6] and its
scale positive; a beta's mean and concentration keep numpy's ``a`` and ``b``
at least 1e-9; a lognormal's ``sigma`` <= 5 and a pareto's ``alpha`` > 1 keep
the largest draw of a long run below ~1e35. ``tests/test_hostile_input.py``
samples every corner of these bounds.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, model_validator

from sim.scenario.base import MAX_MAGNITUDE, StrictModel

MIN_POSITIVE = 1e-9
"""Smallest positive location parameter (a mean, median or minimum): keeps
numpy's derived scales (``mean * cv**2``...) positive rather than 0."""
MIN_CV, MAX_CV = 1e-3, 10.0
MIN_BETA_MEAN = 1e-6
MIN_CONCENTRATION, MAX_CONCENTRATION = 1e-3, 1e6

NonNeg = Annotated[float, Field(ge=0, le=MAX_MAGNITUDE)]
Pos = Annotated[float, Field(ge=MIN_POSITIVE, le=MAX_MAGNITUDE)]


class _Dist(StrictModel):
    model_config = ConfigDict(validate_default=False)

    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError


class Constant(_Dist):
    """Always the same value."""

    dist: Literal["constant"] = "constant"
    value: NonNeg = Field(description="the value every draw takes")

    def mean(self) -> float:
        return self.value


class Exponential(_Dist):
    """Memoryless durations (the M in M/M/c)."""

    dist: Literal["exponential"]
    mean_value: Pos = Field(alias="mean", description="mean of the draws")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def mean(self) -> float:
        return self.mean_value


class LogNormal(_Dist):
    """Right-skewed sizes and durations: deal sizes, sales cycles."""

    dist: Literal["lognormal"]
    median: Pos = Field(description="median: half the draws are below it")
    sigma: Annotated[float, Field(ge=0, le=5)] = Field(
        description="standard deviation of log(value); 0.5 means the middle 68% span about x0.6..x1.65"
    )

    def mean(self) -> float:
        import math

        return self.median * math.exp(self.sigma**2 / 2)


class Gamma(_Dist):
    """Durations with a chosen spread: cv=1 is exponential, cv<1 is more regular."""

    dist: Literal["gamma"]
    mean_value: Pos = Field(alias="mean", description="mean of the draws")
    cv: Annotated[float, Field(ge=MIN_CV, le=MAX_CV)] = Field(
        description="coefficient of variation (std/mean); numpy's shape is 1/cv**2")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def mean(self) -> float:
        return self.mean_value


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: NonNeg = Field(description="lowest value")
    high: NonNeg = Field(description="highest value")

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2


class Triangular(_Dist):
    """Three-point estimate (low, most likely, high), as people guess durations."""

    dist: Literal["triangular"]
    low: NonNeg = Field(description="lowest value")
    mode: NonNeg = Field(description="most likely value")
    high: NonNeg = Field(description="highest value")

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError(
                f"need low <= mode <= high and low < high, got {self.low}, {self.mode}, {self.high}"
            )
        return self

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Beta(_Dist):
    """Fractions in [0, 1] such as discounts, given by their mean and spread."""

    dist: Literal["beta"]
    mean_value: Annotated[float, Field(ge=MIN_BETA_MEAN, le=1 - MIN_BETA_MEAN, alias="mean")] = Field(
        description="mean (a fraction)")
    concentration: Annotated[float, Field(ge=MIN_CONCENTRATION, le=MAX_CONCENTRATION)] = Field(
        default=10.0, description="a+b; larger means tighter around the mean"
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def mean(self) -> float:
        return self.mean_value


class Pareto(_Dist):
    """Heavy-tailed: a few draws far above the rest (individual performance follows
    a power law: O'Boyle & Aguinis 2012). ``alpha`` near 1 is a very heavy tail."""

    dist: Literal["pareto"]
    alpha: Annotated[float, Field(gt=1, le=20)] = Field(description="tail index (> 1 so the mean exists)")
    minimum: Pos = Field(description="the smallest value")

    def mean(self) -> float:
        return self.alpha * self.minimum / (self.alpha - 1)


class Component(StrictModel):
    """One lognormal of a mixture, with its weight."""

    weight: Annotated[float, Field(gt=0, le=1)] = Field(description="share of the draws from this component")
    median: Pos = Field(description="median of the component")
    sigma: Annotated[float, Field(ge=0, le=5)] = Field(description="standard deviation of log(value)")


class LogNormalMixture(_Dist):
    """Deal values of a segment that sells several products (or deal types) of different sizes: a
    weighted mix of lognormals, one per product (``salesim calibrate`` writes it when the history's
    products differ within a segment). Only for ``acv_usd``."""

    dist: Literal["lognormal_mixture"]
    components: list[Component] = Field(min_length=1, max_length=100, description="the lognormals and their "
                                        "weights (the weights must sum to 1)")

    @model_validator(mode="after")
    def _weights(self) -> LogNormalMixture:
        total = sum(c.weight for c in self.components)
        if abs(total - 1.0) > 1e-3:
            raise ValueError(f"the components' weights must sum to 1, got {total:g}")
        return self

    def mean(self) -> float:
        import math

        total = sum(c.weight for c in self.components)
        return sum(c.weight * c.median * math.exp(c.sigma**2 / 2) for c in self.components) / total


def _number_is_constant(value: Any) -> Any:
    """Let users write ``work_hours: 2`` for a constant."""
    if isinstance(value, bool):
        return value  # let validation reject it with a clear type error
    if isinstance(value, int | float):
        return {"dist": "constant", "value": value}
    return value


Dist = Annotated[
    Constant | Exponential | LogNormal | Gamma | Uniform | Triangular | Beta | Pareto,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_constant),
]

ValueDist = Annotated[
    Constant | Exponential | LogNormal | Gamma | Uniform | Triangular | Beta | Pareto | LogNormalMixture,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_constant),
]
"""A deal value: any distribution, or a mixture of lognormals (``acv_usd`` only)."""

DIST_TAGS = ("constant", "exponential", "lognormal", "gamma", "uniform", "triangular", "beta", "pareto")
