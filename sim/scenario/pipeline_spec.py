"""Scenario key ``initial_pipeline``: the open deals the world starts with.

Without the key a run starts from an empty world: every lead arrives during
the run. With it, each open deal (one row: ``stage``, ``age_days`` in that
stage, and optionally ``segment``, ``source``, ``owner`` with ``rep``,
``amount_usd``) is put into the world at time 0 in its stage, on its source
and segment's route, and walks the steps after that stage like any other
lead. The time the customer still takes in the current stage is drawn
conditional on the age already spent (see :mod:`sim.model.pipeline`), which
is how a forecast starts from today's pipeline rather than from nothing.

The rows are a list in the scenario, or a CSV file (header: the same column
names) named by a path relative to the scenario file, read by the loader
(:mod:`sim.scenario.loader`) so a bad cell is reported with the CSV's row and
column.

:func:`resolve` gives each row its source and segment (the defaults below),
the one resolution both the checks and the model read.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario import distributions as d
from sim.scenario.base import MAX_MAGNITUDE, StrictModel

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
MAX_OPEN_DEALS = 100_000
COLUMNS = ("stage", "age_days", "segment", "source", "owner", "rep", "amount_usd")


class OpenDeal(StrictModel):
    """One open deal at the start of the run."""

    stage: Name = Field(description="the stage the deal is in (not the last: a won deal is not open)")
    age_days: Annotated[float, Field(ge=0, le=MAX_MAGNITUDE)] = Field(
        default=0.0, description="days the deal has spent in its stage so far: the customer's time still to "
        "come in it is drawn given that it took at least this long")
    segment: Name | None = Field(default=None, description="its segment (default: the scenario's only segment)")
    source: Name | None = Field(
        default=None, description="where it came from (default: the first inbound or outbound source with a "
        "route for its segment that starts at or before its stage)")
    owner: Name | None = Field(
        default=None, description="the role working the deal's next step (checked against the route)")
    rep: Annotated[int, Field(ge=0, le=100_000)] | None = Field(
        default=None, description="the owner role's rep (seat, from 0) who owns the deal; only for a role that "
        "owns leads (default: assigned like a new lead)")
    amount_usd: Annotated[float, Field(gt=0, le=MAX_MAGNITUDE)] | None = Field(
        default=None, description="the deal's list value (default: a draw of its segment's acv_usd)")


InitialPipeline = Annotated[list[OpenDeal], Field(max_length=MAX_OPEN_DEALS)]


def frozen(spec):
    """The scipy distribution of a random elapsed-time spec (scipy imported only when an initial pipeline is read)."""
    from scipy import stats

    if isinstance(spec, d.Exponential):
        return stats.expon(scale=spec.mean_value)
    if isinstance(spec, d.LogNormal):
        return stats.lognorm(s=max(spec.sigma, 1e-12), scale=spec.median)
    if isinstance(spec, d.Gamma):
        shape = 1.0 / spec.cv**2
        return stats.gamma(shape, scale=spec.mean_value / shape)
    if isinstance(spec, d.Uniform):
        return stats.uniform(loc=spec.low, scale=max(spec.high - spec.low, 1e-12))
    if isinstance(spec, d.Triangular):
        width = spec.high - spec.low
        return stats.triang((spec.mode - spec.low) / width, loc=spec.low, scale=width)
    if isinstance(spec, d.Beta):
        a = spec.mean_value * spec.concentration
        return stats.beta(a, spec.concentration - a)
    if isinstance(spec, d.Pareto):
        return stats.pareto(spec.alpha, scale=spec.minimum)
    raise TypeError(f"unknown distribution {spec!r}")  # pragma: no cover


def survival(spec, ages):
    """P(time > age) for each age (a constant: 1 before its value, 0 from it)."""
    import numpy as np

    ages = np.asarray(ages, dtype=float)
    if isinstance(spec, d.Constant):
        return (ages < spec.value).astype(float)
    return frozen(spec).sf(ages)


def stale_after(spec, q: float = 0.999) -> float:
    """The age past which a stage's customer time is almost surely over (its ``q`` quantile; inf: never)."""
    if isinstance(spec, d.Constant):
        return spec.value
    return float(frozen(spec).ppf(q))


def _default_source(scenario, segment: str, stage: int) -> str | None:
    from sim.scenario.routing import entry_stage, source_segments
    from sim.scenario.schema import Inbound, Outbound

    for name, src in scenario.sources.items():
        if not isinstance(src, Inbound | Outbound) or segment not in source_segments(scenario, name):
            continue
        entry = entry_stage(scenario, name)
        if entry in scenario.stages and scenario.stages.index(entry) <= stage:
            return name
    return None


def resolve(scenario, deal: OpenDeal) -> tuple[str | None, str | None]:
    """The deal's (source, segment), defaults filled in; None where no default exists
    (the checks report it)."""
    segment = deal.segment
    if segment is None and len(scenario.segments) == 1:
        segment = next(iter(scenario.segments))
    source = deal.source
    if source is None and segment is not None and segment in scenario.segments and deal.stage in scenario.stages:
        source = _default_source(scenario, segment, scenario.stages.index(deal.stage))
    return source, segment


def resolved(scenario, deal: OpenDeal) -> tuple[str, str]:
    """:func:`resolve` for a scenario that passed its checks (which report a deal whose
    source or segment cannot be told), so both are known."""
    source, segment = resolve(scenario, deal)
    if source is None or segment is None:
        raise ValueError(f"open deal in {deal.stage!r}: no source or segment (the scenario checks report this)")
    return source, segment
