"""A scenario checked against a benchmark table: replications, each run's
benchmark figures (``sim.metrics.benchmark_figures.measure``), their means and 95%
intervals against the table's ranges.

Replication ``i`` runs under the batch's seed scheme (``seeds.replication_seed``),
so ``salesim check`` and ``salesim batch`` with the same root seed see the same
runs. Runs keep their event log (the meetings an SDR sets and the sales cycle
need it), so a check is for the scenario sizes people read, not for sweeps.

Sequential mode (``max_reps``, ``salesim check --max-reps``): a figure's interval that
crosses a bound of its range does not say on which side the figure is. The check starts
with ``reps`` replications; while some figure is not settled and the cap is not reached,
it estimates from each such figure's spread how many replications would settle it
(:meth:`~sim.metrics.figure_kit.Comparison.reps_to_settle`) and runs up to the largest
estimate (at most twice as many as it has, so a noisy early estimate is checked before
it is paid for in full). Every figure is read over all the replications run, and
replication ``i`` has the same seed whatever the rounds, so a sequential check that ends
at K replications is a plain check of K. The range a figure is read against does not
change, only how many replications it rests on.
"""

from __future__ import annotations

import math
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
    reps: int  # replications run (in sequential mode: where it stopped)
    root_seed: int
    table: str
    comparisons: tuple[Comparison, ...]
    unchecked: tuple[tuple[str, str], ...]  # (metric, why)
    max_reps: int | None = None  # the cap of a sequential check (None: a plain check of ``reps``)
    rounds: tuple[int, ...] = ()  # a sequential check: the replications run at the end of each round

    @property
    def outside(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.outside)

    @property
    def sequential(self) -> bool:
        return self.max_reps is not None

    @property
    def unsettled(self) -> tuple[Comparison, ...]:
        """Figures whose replications do not place them on one side of their range (their 95%
        interval crosses a bound, or a measured figure has fewer than two replications)."""
        return tuple(c for c in self.comparisons if not c.settled)


def check_reps(reps: int, max_reps: int | None) -> None:
    """A check's replication counts, or a :class:`UsageError` naming the flag."""
    if not 1 <= int(reps) <= MAX_REPS:
        raise UsageError(f"--reps {reps}: a check runs 1 to {MAX_REPS} replications")
    if max_reps is not None:
        if not 1 <= int(max_reps) <= MAX_REPS:
            raise UsageError(f"--max-reps {max_reps}: a check runs 1 to {MAX_REPS} replications")
        if int(max_reps) < int(reps):
            raise UsageError(f"--max-reps {max_reps}: the cap is below --reps {reps}, the replications a "
                             "sequential check starts with; give a cap of at least --reps")


def next_reps(comparisons: tuple[Comparison, ...] | list[Comparison], done: int, cap: int) -> int:
    """How many replications in all the next round of a sequential check runs: the most any
    unsettled figure needs by its spread (an estimate that errs high: it keeps the t quantile
    of the replications done), at least one more and at most twice ``done``, never over
    ``cap``. ``done`` when all are settled."""
    need = [c.reps_to_settle() for c in comparisons if not c.settled]
    if not need:
        return done
    want = max(need)
    target = 2 * done if not math.isfinite(want) else min(2 * done, math.ceil(want))
    return min(cap, max(done + 1, target))


def run_check(scenario: Scenario, reps: int = 5, seed: int | None = None, table: Table | None = None,
              weeks: float | None = None, progress: Callable[[int], None] | None = None,
              max_reps: int | None = None) -> CheckResult:
    """Run ``reps`` replications of ``scenario`` and compare their figures with ``table``
    (default: the shipped one). With ``max_reps``, a sequential check: more replications
    while a figure is not settled on one side of its range, up to ``max_reps`` in all
    (see the module's docstring)."""
    check_reps(reps, max_reps)
    table = table or default_table()
    root = scenario.seed if seed is None else int(seed)
    runs: list[list[Figure]] = []

    def more(upto: int) -> tuple[Comparison, ...]:
        for i in range(len(runs), upto):
            r = simulate(scenario, seed=replication_seed(root, i), weeks=weeks, record="events")
            runs.append(measure(r.kpis, r.facts, r.scenario, table, r.events, r.leads))
            if progress is not None:
                progress(i + 1)
        return tuple(compare(runs, table))

    comps = more(int(reps))
    rounds = [len(runs)]
    if max_reps is not None:
        while (target := next_reps(comps, len(runs), int(max_reps))) > len(runs):
            comps = more(target)
            rounds.append(len(runs))
    seen = {c.metric for c in comps}
    unchecked = []
    for metric in table.metrics():
        if metric in seen:
            continue
        unchecked.append((metric, NOT_MODELLED.get(metric) or _why_not(metric, scenario, runs)))
    return CheckResult(scenario.name, len(runs), root, table.name, comps, tuple(unchecked),
                       None if max_reps is None else int(max_reps), tuple(rounds) if max_reps is not None else ())


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
