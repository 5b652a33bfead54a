"""A run's figures set against the benchmark table (``sim.benchmarks``).

Pure functions: :func:`measure` turns one run (its KPIs, facts, scenario and,
when the run kept them, its event and lead tables) into :class:`Figure` s, one
per benchmark metric and segment (or motion) it applies to; :func:`compare`
puts the mean of a figure over replications against its row of a table and,
when it falls outside, names the mechanism most responsible. The figures'
definitions are declared in :data:`sim.metrics.registry.BENCHMARK_FIGURES`.

Which row applies. A scenario's segment is read as a benchmark segment by its
name (``smb``, ``mid_market``, ``enterprise`` and common spellings), else by
its ``motion`` (``field`` and ``strategic`` sell to enterprises, ``plg`` is
self-serve), else by its mean list ACV (under $15k SMB, under $100k mid-market,
enterprise above: the bands the reference figures use, docs/background.md#reference-figures).
A seller's motion is ``field`` when most of its wins are enterprise deals,
else ``inside``. Company-wide figures (GRR, NRR, CAC payback, magic number,
discount; the CSM book by ARR) carry their segment mix: a segment holding all
but a sideline (others under 15% of bookings) gives its own row, a real mix a
bookings-weighted blend of the segments' rows (:func:`sim.metrics.figure_kit.mix_row`),
the mix averaged over the replications.

Mechanisms. Each figure carries *drivers*: quantities of the scenario or the
run that push it up or down, each with how far it sits from its own benchmark
(a log ratio). A figure above its range names the driver pushing up the most;
below, the one pushing down the most; none known, it says so.


The figures come in families, one module each: the sellers' (bookings per
seller-year, share at quota, win rate: :mod:`sim.metrics.seller_figures`), the
company's (retention, CAC payback, magic number, discount, CSM book:
:mod:`sim.metrics.company_figures`), those read from the event log (meetings
set, sales cycle, pipeline coverage: :mod:`sim.metrics.log_figures`) and the
scenario's own inputs (:mod:`sim.metrics.input_figures`), on the shared types
and readings of :mod:`sim.metrics.figure_kit`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

import numpy as np

from sim.benchmarks import Benchmark, Table
from sim.metrics.company_figures import company_figures, csm_book_figures
from sim.metrics.figure_kit import (
    BENCHMARK_ASP,
    Comparison,
    Driver,
    Figure,
    mix_row,
    seat_years,
    segment_class,
    selling_fraction,
)
from sim.metrics.input_figures import inputs
from sim.metrics.log_figures import coverage, cycles, handoffs, meetings
from sim.metrics.seller_figures import closer_figures, win_rate_figures
from sim.records.facts import Facts
from sim.scenario.routing import RoutingPlan
from sim.scenario.schema import Scenario

__all__ = ["BENCHMARK_ASP", "Comparison", "Driver", "Figure", "compare", "handoffs", "inputs", "measure",
           "mechanism", "segment_class", "selling_fraction"]


def measure(kpis: dict, facts: Facts, scenario: Scenario, table: Table,
            events=None, leads=None) -> list[Figure]:
    """Every benchmark figure a run gives (``events``/``leads``: the run's tables, for the
    figures that need them: SDR meetings and sales cycles; None leaves those out), family by
    family in this order: the closers', the segments' win rates, the company's, the CSM book,
    the event log's, the scenario's inputs."""
    plan = RoutingPlan.compile(scenario)
    years = seat_years(facts)
    L = facts.layout
    classes = {s: segment_class(scenario, s) for s in L.segments}
    out = closer_figures(kpis, facts, scenario, table, plan, years, classes)
    out += win_rate_figures(kpis, facts, scenario, table, classes)
    out += company_figures(kpis, scenario, table, out, facts)
    out += csm_book_figures(kpis, facts, scenario, plan, table)
    if events is not None and leads is not None and len(events):
        out += meetings(events, leads, scenario, plan, classes, years, kpis, table)
        out += cycles(events, leads, scenario, classes, L.stages[L.win_rate_stage], table)
        out += coverage(events, leads, scenario, L.win_rate_stage, facts, table)
    out += inputs(scenario, plan)
    return [f for f in out if math.isfinite(f.value)]


def compare(figures_by_rep: Iterable[list[Figure]], table: Table) -> list[Comparison]:
    """Each figure's mean over replications against its row of ``table`` (figures whose
    metric and segment have no row are left out). Order: the figures' first appearance."""
    from scipy import stats

    runs = list(figures_by_rep)
    # the segment a seller's figure is read against (its motion) may differ between runs: take
    # the one most runs gave, so one row per figure. A company figure carries its segment mix:
    # the mix averaged over the runs picks its row (figure_kit.mix_row), so a split near 50/50
    # reads one blended row rather than one segment's row in some runs and the other's in others
    segs: dict[tuple[str, str], list[str]] = {}
    mixes: dict[tuple[str, str], list[tuple[tuple[str, float], ...]]] = {}
    for figs in runs:
        for f in figs:
            segs.setdefault((f.metric, f.subject), []).append(f.segment)
            if f.mix:
                mixes.setdefault((f.metric, f.subject), []).append(f.mix)
    modal = {k: max(sorted(set(v)), key=v.count) for k, v in segs.items()}
    rows: dict[tuple[str, str], Benchmark | None] = {}
    for k, ms in mixes.items():
        acc: dict[str, float] = {}
        for m in ms:
            for c, w in m:
                acc[c] = acc.get(c, 0.0) + w / len(ms)
        mean_mix = tuple(sorted(acc.items(), key=lambda cw: (-cw[1], cw[0])))
        modal[k], rows[k] = mix_row(mean_mix, table, k[0])
    runs = [[dataclasses.replace(f, segment=modal[(f.metric, f.subject)]) for f in figs] for figs in runs]
    order: dict[tuple, list[Figure]] = {}
    for figs in runs:
        for f in figs:
            order.setdefault(f.key, []).append(f)
    out = []
    for key, fs in order.items():
        metric, segment, subject = key
        row = rows[(metric, subject)] if (metric, subject) in rows else table.get(metric, segment)
        if row is None:
            continue
        values = np.array([f.value for f in fs], dtype=float)
        mean = float(values.mean())
        kind = fs[0].kind
        ci = None
        if kind == "measured" and len(values) > 1:
            sd = float(values.std(ddof=1))
            h = float(stats.t.ppf(0.975, len(values) - 1)) * sd / math.sqrt(len(values)) if sd > 0 else 0.0
            ci = (mean - h, mean + h)
        pos = row.position(mean)
        # the mechanism is read off the run nearest the mean: a noisy figure's last run may sit on
        # the other side of the typical value, where no driver pushes the way the mean lies
        typical_run = fs[int(np.argmin(np.abs(values - mean)))]
        out.append(Comparison(metric, segment, subject, kind, mean, ci, len(values), row, pos,
                              mechanism(typical_run, pos)))
    return out


def mechanism(figure: Figure, position: str) -> str:
    """The driver most responsible for a figure's being ``position`` (``""`` inside)."""
    if position == "inside":
        return ""
    sign = 1.0 if position == "above" else -1.0
    pushing = [d for d in figure.drivers if d.push * sign > 0]
    if not pushing:
        return "no modelled driver explains it" if figure.drivers else "no driver known"
    return max(pushing, key=lambda d: d.push * sign).text
