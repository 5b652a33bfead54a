"""Metrics: pure functions from a run's :class:`~sim.records.facts.Facts` to KPIs
and time series. Nothing here knows about SimPy or the scenario file format."""

from sim.metrics.kpis import kpis
from sim.metrics.series import weekly_frame

__all__ = ["kpis", "weekly_frame"]
