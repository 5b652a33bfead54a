"""Scenario keys of the data-driven loop's outside benchmark
(``process.data_driven.outside``; docs/background.md#a-data-loop-against-an-outside-benchmark).

Without ``outside`` the loop compares each stage with ``benchmark`` or, for a
stage without one, with the scenario's own configured rate, and lifts the
worst stage by ``lift_fraction`` a period up to ``max_lift`` (the legacy loop:
it always finds a gap, because the observed rates sit below the configured
ones through speed-to-lead decay, skill and ramp). With ``outside`` the loop
learns from a benchmark it does not make up: conversion per segment and stage
from a cited source. Each period its analysts (``ops_headcount`` x
``kpis_per_analyst`` KPIs) work on the segment-stage rates furthest below
their benchmark in the data; a lift closes ``gap_closed_per_lift`` of the gap
between today's rate and the benchmark, each further lift on the same KPI
``diminishing`` times less, and takes effect ``lag_days`` after it is decided.
A rate never passes its benchmark, so a benchmark at or below today's rates
does nothing. The analysts' cost is the lever's ``ops_headcount`` x
``ops_loaded_cost_per_year_usd`` plus its price.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario.base import Share, StrictModel

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class OutsideBenchmark(StrictModel):
    """A cited benchmark the data loop closes gaps to, with diminishing returns and a lag."""

    source: Annotated[str, Field(min_length=3, max_length=500)] = Field(
        description="where the benchmark comes from (publication, year), for the reader of results")
    conversion: dict[Name, dict[Name, Share]] = Field(
        min_length=1, description="segment -> stage -> benchmark conversion of the step into that stage")
    gap_closed_per_lift: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.25, description="share of the gap to the benchmark the first lift of a KPI closes (0.1-0.5)")
    diminishing: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.7, description="each further lift of the same KPI closes this times the share of the one "
        "before (0.5-0.9; 1: no diminishing returns)")
    lag_days: Annotated[float, Field(ge=0, le=365)] = Field(
        default=30.0, description="days from deciding a lift to its effect (a changed process rolls out)")
    kpis_per_analyst: Annotated[float, Field(gt=0, le=10)] = Field(
        default=1.0, description="KPIs one analyst (ops_headcount) works on per period")
