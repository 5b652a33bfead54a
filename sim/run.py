"""One run: scenario + seed -> :class:`Result` (the desmod-style result bundle)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from sim.errors import NonFiniteResult, RunTooLarge
from sim.metrics import kpis as compute_kpis
from sim.metrics import weekly_frame
from sim.metrics.first_touch import reported_shape
from sim.metrics.recovery import top_departure_kpis
from sim.metrics.registry import ordered
from sim.model.collector import RUN_THRESHOLD, fewer_collections
from sim.model.rng import Streams
from sim.model.setup import RunSetup
from sim.model.world import World
from sim.records import EventLog, Facts, Tally
from sim.scenario.pod_spec import customer_work
from sim.scenario.schema import Scenario
from sim.scenario.size import Size, estimate

if TYPE_CHECKING:  # pandas is imported when a table is first asked for
    import pandas as pd

Record = Literal["events", "kpis"]


@dataclass
class Result:
    """What a run produced. ``events``/``leads`` are None in KPI-only mode."""

    scenario: Scenario
    seed: int | list[int]
    horizon_weeks: float
    runtime_s: float
    kpis: dict[str, Any]
    facts: Facts = field(repr=False)
    log: EventLog | None = field(default=None, repr=False)

    # The tables below are built on first access and kept (``cached_property``):
    # building them runs the revenue and economics metrics or the log's merge.

    @cached_property
    def weekly(self) -> pd.DataFrame:
        """Weekly series as a pandas DataFrame."""
        return weekly_frame(self.facts)

    @cached_property
    def _frames(self) -> tuple:
        if self.log is None:
            raise ValueError("this run kept KPIs only (record='kpis'); rerun with record='events'")
        return self.log.frames()

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """Interventions and people events, one row each, with the columns its
        ``event`` uses (the others empty):

        - ``rep_left``: ``role``, ``rep``, ``pipeline_usd`` (list value of the leads
          the rep owned), ``arr_usd`` (ARR of the accounts they kept);
        - ``rep_hired``, ``rep_away``, ``rep_back``: ``role``, ``rep``;
        - ``market_shock``, ``shock_over``: ``source``, ``multiplier`` (of its rate);
        - ``price_change``: ``segment`` (empty: every segment), ``multiplier`` (of list prices);
        - ``playbooks``: nothing more;
        - ``process_lift``: ``stage`` (the step into it), ``lift`` (its conversion
          multiplier after this lift), ``conversion_vs_benchmark`` (observed / benchmark);
        - ``pod_split``: ``role``, ``rep`` (the promoted lead), ``pod`` (the POD
          split), ``new_pod`` (the POD it founded).
        """
        import pandas as pd

        from sim.model.vocab import TIMELINE_VALUE_COLUMNS, TimelineKind

        tl = self.facts.timeline
        L = self.facts.layout
        t = np.asarray(tl.get("t", []), dtype=float)
        n = len(t)

        def index(name: str) -> np.ndarray:
            return np.asarray(tl[name], dtype=np.int64) if name in tl else np.full(n, -1, dtype=np.int64)

        def named(name: str, labels: list[str]) -> list[str | None]:
            return [labels[i] if i >= 0 else None for i in index(name).tolist()]

        pods = [p["name"] for p in (self.facts.people.get("pods") or {}).get("pods", [])]
        rep = index("rep")
        return pd.DataFrame({
            "t_days": t,
            "event": [TimelineKind(k).name.lower() for k in index("kind").tolist()],
            "role": named("role", L.roles),
            "rep": pd.arrays.IntegerArray(np.maximum(rep, 0), rep < 0),  # empty where the event has no rep
            "source": named("source", L.sources),
            "segment": named("segment", L.segments),
            "stage": named("stage", L.stages),
            "pod": named("pod", pods),
            "new_pod": named("new_pod", pods),
            **{c: np.asarray(tl[c], dtype=float) if c in tl else np.full(n, np.nan)
               for c in TIMELINE_VALUE_COLUMNS},
        })

    @cached_property
    def accounts(self) -> pd.DataFrame:
        """Customer account events (signed, live, renewed, churned, expanded...) with the
        change of counted ARR each made and the contract's ACV after it."""
        import pandas as pd

        from sim.model.vocab import AccountKind

        a = self.facts.accounts
        kind = np.asarray(a.get("kind", []), dtype=np.int64)
        segs = self.facts.layout.segments
        return pd.DataFrame({
            "t_days": a.get("t", []),
            "account": a.get("account", []),
            "segment": [segs[g] for g in np.asarray(a.get("segment", []), dtype=np.int64)],
            "event": [AccountKind(k).name.lower() for k in kind],
            "arr_delta_usd": a.get("arr_delta", []),
            "acv_usd": a.get("acv", []),
        })

    @cached_property
    def events(self) -> pd.DataFrame:
        """The event log as a pandas DataFrame (one row per event)."""
        return self._frames[0]

    @cached_property
    def leads(self) -> pd.DataFrame:
        """One row per lead: source, segment, list ACV, outcome and when."""
        return self._frames[1]


MAX_LEADS = 2_000_000
"""Default most leads a run may create (~1-3 minutes and ~1 GB with an event log)."""
MAX_EVENTS = 30_000_000
"""Default most recorded events (an event log holds ~40 bytes an event)."""


@dataclass(frozen=True)
class Limits:
    """How big a run may get before it is refused (up front, from the estimate)
    or stopped (as it runs); None means no limit."""

    max_leads: int | None = MAX_LEADS
    max_events: int | None = MAX_EVENTS


def check_size(scenario: Scenario, weeks: float | None, limits: Limits) -> Size:
    """Refuse a run whose estimated size passes ``limits``, naming the key behind it."""
    size = estimate(scenario, weeks)
    for what, value, limit, flag in (("leads", size.leads, limits.max_leads, "--max-leads"),
                                     ("events", size.events, limits.max_events, "--max-events")):
        if limit is not None and value > limit:
            key = size.biggest
            raise RunTooLarge(f"this run would create about {value:,.0f} {what} (most from {key}), more than "
                              f"the limit of {limit:,} ({flag}); lower {key} or the horizon, or raise {flag} "
                              "to run it anyway")
    return size


def _watcher(limits: Limits | None, recorder: Tally, horizon_days: float,
             progress: Callable[[float], object] | None) -> Callable[[float, int], None]:
    def watch(now: float, leads: int) -> None:
        if limits is not None:
            if limits.max_leads is not None and leads > limits.max_leads:
                raise RunTooLarge(f"stopped at day {now:.0f} of {horizon_days:.0f}: the run has created {leads:,} "
                                  f"leads, more than the limit of {limits.max_leads:,} (--max-leads)")
            if limits.max_events is not None and isinstance(recorder, EventLog) and len(recorder) > limits.max_events:
                raise RunTooLarge(f"stopped at day {now:.0f} of {horizon_days:.0f}: the run has recorded "
                                  f"{len(recorder):,} events, more than the limit of {limits.max_events:,} "
                                  "(--max-events)")
        if progress is not None:
            progress(min(1.0, now / horizon_days))
    return watch


def non_finite(value: Any, path: str = "") -> list[str]:
    """Dotted paths of the infinite or NaN floats inside nested KPIs."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in non_finite(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in non_finite(v, f"{path}[{i}]")]
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return [path]
    return []


def simulate(scenario: Scenario, seed: int | np.random.SeedSequence | None = None,
             weeks: float | None = None, record: Record = "events", *, limits: Limits | None = None,
             progress: Callable[[float], None] | None = None, gc_threshold: int | None = RUN_THRESHOLD) -> Result:
    """Run ``scenario`` once.

    ``seed`` defaults to the scenario's own ``seed``; a ``SeedSequence`` (as a
    batch driver spawns per replication) is used as the run's root. ``weeks``
    overrides ``horizon_weeks``. ``record='kpis'`` keeps running aggregates
    only (no event log), for large batches. ``limits`` refuses a run whose
    estimated size passes them (:func:`check_size`) and stops one that passes
    them as it runs (:class:`~sim.errors.RunTooLarge`); ``progress(fraction)``
    is called once a simulated day.

    ``gc_threshold``: while the run goes on, Python's cyclic garbage collector
    runs after this many net allocations (its first threshold, process-wide,
    restored when the last concurrent run ends; see :mod:`sim.model.collector`):
    a run keeps thousands of leads alive and frees finished ones by reference
    counting, so the default collects about a hundred times less often than
    Python's own. ``None`` leaves the collector as the caller set it.
    """
    if record not in ("events", "kpis"):
        raise ValueError(f"record must be 'events' or 'kpis', got {record!r}")
    seed = scenario.seed if seed is None else seed
    horizon_weeks = float(scenario.horizon_weeks if weeks is None else weeks)
    if not horizon_weeks > 0:
        raise ValueError(f"weeks must be > 0, got {weeks}")
    t0 = time.perf_counter()
    model_scenario = customer_work(scenario)  # PODs whose sellers carry the customer work
    if limits is not None:
        check_size(scenario, horizon_weeks, limits)
    setup = RunSetup.of(model_scenario, horizon_weeks * 7.0)  # routing, calendars, work scales, layout: once
    recorder = EventLog(setup.layout) if record == "events" else Tally(setup.layout)
    world = World(setup, Streams(seed), recorder)
    watch = _watcher(limits, recorder, setup.horizon_days, progress) if limits or progress else None
    if gc_threshold is None:
        world.run(watch)
    else:
        with fewer_collections(gc_threshold):
            world.run(watch)
    facts = recorder.facts()
    stage_idx = scenario.stages.index(scenario.win_rate_stage)
    k = compute_kpis(facts, stage_idx)
    k = ordered({**k, **top_departure_kpis(facts, [e.week for e in scenario.timeline
                                                   if e.action == "rep_leaves" and e.rep == "top"])})
    bad = non_finite(k)
    if bad:
        raise NonFiniteResult(bad)
    runtime = time.perf_counter() - t0
    seed_out = (list(seed.entropy if isinstance(seed.entropy, list) else [seed.entropy])
                + list(seed.spawn_key)) if isinstance(seed, np.random.SeedSequence) else int(seed)
    return Result(scenario=scenario, seed=seed_out, horizon_weeks=horizon_weeks, runtime_s=runtime,
                  kpis={"scenario": scenario.name, "seed": seed_out, **k}, facts=facts,
                  log=recorder if isinstance(recorder, EventLog) else None)


def report_shape(scenario: Scenario) -> tuple[dict[str, Any], list[str]]:
    """The KPIs (figures as a world that never ran gives them) and the weekly columns a run of
    ``scenario`` reports, known without running it, so that a bad KPI name in a target, a study or a
    ``--kpi`` fails before anything runs, at almost no cost.

    The names follow from the scenario's structure (roles, stages, segments, sources, PODs, market
    slices, the mechanisms switched on), not from what happens in a run: the world is built, no
    simulated time passes, and it reports as a run does at its end. Two kinds of name come from data
    and are added in their full shape: the first-touch waits (a run reports them for the sources
    that touched a lead) and the weekly pipeline and queue columns (sampled as the run goes). A
    name a run then leaves out (no touch from a source, a POD born later) is a missing column,
    which every study reads as no value."""
    setup = RunSetup.of(customer_work(scenario), float(scenario.horizon_weeks) * 7.0)
    recorder = Tally(setup.layout)
    World(setup, Streams(scenario.seed), recorder).finish()
    facts = recorder.facts()
    k = compute_kpis(facts, scenario.stages.index(scenario.win_rate_stage))
    k.update(top_departure_kpis(facts, [e.week for e in scenario.timeline if e.action == "rep_leaves"
                                        and e.rep == "top"]))
    k["first_touch"] = reported_shape(list(setup.layout.sources), setup.calendars is not None)
    weekly = [c for c in weekly_frame(facts).columns if c != "week"]
    sampled = [f"pipeline_{s}" for s in setup.layout.stages[:-1]] + [f"queue_{r}" for r in setup.layout.roles]
    weekly += [c for c in sampled if c not in weekly]
    return {"scenario": scenario.name, "seed": int(scenario.seed), **k}, weekly
