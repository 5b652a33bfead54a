"""A scenario checked against a benchmark table: replications, each run's
benchmark figures (``sim.metrics.benchmark_figures.measure``), their means and 95%
intervals against the table's ranges.

Replication ``i`` runs under the batch's seed scheme (``seeds.replication_seed``),
so ``salesim check`` and ``salesim batch`` with the same root seed see the same
runs. Runs keep their event log (the meetings an SDR sets and the sales cycle
need it), so a check is for the scenario sizes people read, not for sweeps.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.benchmarks import Table, default_table
from sim.errors import UsageError
from sim.experiments.runner.seeds import replication_seed
from sim.metrics.benchmark_figures import Comparison, Figure, compare, measure
from sim.run import simulate
from sim.scenario.schema import Scenario

MAX_REPS = 1000
# a scenario's statement that a figure is outside its range on purpose, in a comment line of its file
OUTSIDE_LINE = re.compile(r"^#\s*benchmark outside:\s*([a-z_]+)\s*\(([^)]+)\)\s*--\s*\S")
# rows of the table this check cannot measure, and why (printed, never silently dropped)
NOT_MODELLED: dict[str, str] = {}


@dataclass(frozen=True)
class CheckResult:
    """What ``salesim check`` prints: each comparison, and the table's metrics left unchecked."""

    scenario: str
    reps: int
    root_seed: int
    table: str
    comparisons: tuple[Comparison, ...]
    unchecked: tuple[tuple[str, str], ...]  # (metric, why)

    @property
    def outside(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.outside)


def run_check(scenario: Scenario, reps: int = 5, seed: int | None = None, table: Table | None = None,
              weeks: float | None = None, progress: Callable[[int], None] | None = None) -> CheckResult:
    """Run ``reps`` replications of ``scenario`` and compare their figures with ``table``
    (default: the shipped one)."""
    if not 1 <= int(reps) <= MAX_REPS:
        raise UsageError(f"--reps {reps}: a check runs 1 to {MAX_REPS} replications")
    table = table or default_table()
    root = scenario.seed if seed is None else int(seed)
    runs: list[list[Figure]] = []
    for i in range(int(reps)):
        r = simulate(scenario, seed=replication_seed(root, i), weeks=weeks, record="events")
        runs.append(measure(r.kpis, r.facts, r.scenario, table, r.events, r.leads))
        if progress is not None:
            progress(i + 1)
    comps = tuple(compare(runs, table))
    seen = {c.metric for c in comps}
    unchecked = []
    for metric in table.metrics():
        if metric in seen:
            continue
        unchecked.append((metric, NOT_MODELLED.get(metric) or _why_not(metric, scenario, runs)))
    return CheckResult(scenario.name, int(reps), root, table.name, comps, tuple(unchecked))


def _why_not(metric: str, scenario: Scenario, runs: list[list[Figure]]) -> str:
    measured = {f.metric: f.segment for figs in runs for f in figs}
    if metric in measured:
        return f"the table has no row for {measured[metric]} (nor for all)"
    return {
        "share_at_quota": "no seller has quota_usd_per_year, or no seller-year is complete",
        "grr": "needs a horizon over one year and customers a year before the end",
        "nrr": "needs a horizon over one year and customers a year before the end",
        "magic_number": "needs two 52-week years",
        "csm_book_arr_usd": "no customer-success role that does not also sell",
        "csm_book_accounts": "no customer-success role that does not also sell",
        "span_of_control": "no first-line manager role (a role named *manager* that works no step)",
        "sdr_ramp_days": "no setter role with a people section (ramp_days)",
        "ae_ramp_days": "no closing role with a people section (ramp_days)",
        "sdr_tenure_years": "no setter role with attrition",
        "rep_attrition_per_year": "no closing role with a people section",
        "sdr_meetings_per_month": "no role hands leads to a closer",
        "discount_fraction": "no win",
        "pipeline_coverage": "needs 13 weeks with bookings",
        "quota_to_ote_ratio": "no closing role with a quota and a pay plan stating its base "
                              "(work_model.pay.ROLE.base_usd_per_year)",
    }.get(metric, "not measured for this scenario")


def deliberately_outside(path: str | os.PathLike) -> frozenset[tuple[str, str]]:
    """(metric, subject) of each ``# benchmark outside: METRIC (SUBJECT) -- why`` comment line
    of a scenario file: the figures its author says are outside their range on purpose (a
    scenario about an overloaded team). A line without a reason after ``--`` says nothing."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    out = set()
    for line in text.splitlines():
        m = OUTSIDE_LINE.match(line.strip())
        if m:
            out.add((m.group(1), m.group(2).strip()))
    return frozenset(out)
