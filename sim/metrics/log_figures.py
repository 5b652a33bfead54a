"""Benchmark figures read from a run's event log and lead table: meetings a setter hands
to a closer per rep-month (:func:`handoffs`), the sales cycle of each benchmark segment,
and pipeline coverage at the end. A run that kept no event log has none of them."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.benchmarks import Table
from sim.metrics.figure_kit import Driver, Figure, log_ratio, selling_fraction, typical, working_hours_per_month
from sim.records.facts import Facts
from sim.scenario.schema import Scenario


def handoffs(events, leads) -> Any:
    """One row per hand-off to another role: ``lead``, ``role`` (the giver), ``t_days``.

    A hand-off is a move into a stage whose step the giver worked, when the lead's next
    task (or loss) is another role's; a lead lost at the hand-off (no-show) counts for the
    giver too, as a meeting set."""
    import pandas as pd

    e = events[[c for c in ("t_days", "lead", "event", "role", "stage") if c in events]]
    e = e[e["event"] != "created"].reset_index(drop=True)
    e = e.iloc[np.argsort(e["lead"].to_numpy(), kind="stable")].reset_index(drop=True)
    ev = e["event"].astype(str).to_numpy()
    role = e["role"].astype(object).to_numpy()
    lead = e["lead"].to_numpy()
    is_work = ev == "work"
    actor = (ev != "advance") & (ev != "lost_handoff")  # rows whose role is the one now holding the lead
    prev = pd.Series(np.where(is_work, role, None), dtype=object).groupby(lead).ffill().to_numpy()
    nxt = pd.Series(np.where(actor, role, None), dtype=object).groupby(lead).bfill().to_numpy()
    adv = (ev == "advance") & pd.notna(prev) & pd.notna(nxt) & (prev != nxt)
    lost = ev == "lost_handoff"
    stage = (e["stage"].astype(object).to_numpy() if "stage" in e else np.full(len(e), None, dtype=object))
    out = pd.DataFrame({"lead": np.concatenate([lead[adv], lead[lost]]),
                        "role": np.concatenate([prev[adv], role[lost]]),
                        "stage": np.concatenate([stage[adv], stage[lost]]),
                        "t_days": np.concatenate([e["t_days"].to_numpy()[adv], e["t_days"].to_numpy()[lost]])})
    return out


def win_rate_index(scenario: Scenario, kpis: dict) -> int | None:
    name = kpis.get("win_rate_from_stage")
    return scenario.stages.index(name) if name in scenario.stages else None


def meetings(events, leads, scenario, plan, classes, years, kpis, table) -> list[Figure]:
    h = handoffs(events, leads)
    upto = set(scenario.stages[: L_wr + 1]) if (L_wr := win_rate_index(scenario, kpis)) is not None else None
    if upto is not None:  # meetings are set before the deal is qualified: later hand-offs (an SE's) are not
        h = h[h["stage"].isin(upto)]
    if not len(h):
        return []
    info = leads.set_index("lead")[["source", "segment"]]
    h = h.join(info, on="lead")
    kinds = {s: scenario.sources[s].kind for s in scenario.sources}
    out = []
    for role, g in h.groupby("role", sort=True):
        if role in plan.closing_roles or years.get(role, 0) <= 0:
            continue
        ent = float((g["segment"].map(classes) == "enterprise").mean())
        outbound = float((g["source"].map(kinds) == "outbound").mean())
        seg = "enterprise" if ent >= 0.5 else "outbound" if outbound >= 0.5 else "inbound"
        per_month = len(g) / (years[role] * 12)
        util = (kpis.get("roles", {}).get(role) or {}).get("utilization")
        d = []
        if util is not None:
            d.append(Driver(f"{role}s are busy {util:.0%} of their hours" + (
                ": they run out of leads or of room (max_open_per_rep)" if util < 0.6 else ""), log_ratio(util, 0.75)))
        frac = selling_fraction(scenario, role)
        d.append(Driver(f"{role} works {frac:.0%} of the working week on its steps", log_ratio(frac, 0.28)))
        busy = sum((kpis.get("roles", {}).get(role) or {}).get("busy_hours_per_rep") or [])
        typ = typical(table, "sdr_meetings_per_month", seg)
        if busy > 0 and typ:
            per = busy / len(g)
            pace = working_hours_per_month(scenario, role) / typ
            d.append(Driver(f"each meeting takes {per:.1f} h of {role} work (dials, messages, calls, qualifying); "
                            f"about {pace:.1f} h at the benchmark pace", -log_ratio(per, pace)))
        out.append(Figure("sdr_meetings_per_month", seg, role, per_month, drivers=tuple(d)))
    return out


def cycles(events, leads, scenario, classes, wr_stage: str, table: Table) -> list[Figure]:
    """Median days from entering the win-rate stage to the win, per segment class."""
    adv = events[(events["event"] == "advance") & (events["stage"] == wr_stage)]
    entered = adv.groupby("lead")["t_days"].min()
    won = leads[leads["outcome"] == "won"].set_index("lead")
    start = won.index.map(entered)
    start = np.where(won["entry_stage"].astype(str).to_numpy() == wr_stage, won["created_days"].to_numpy(),
                     np.asarray(start, dtype=float))
    days = won["outcome_days"].to_numpy() - start
    seg = won["segment"].astype(str).map(classes).to_numpy()
    out = []
    for c in sorted(set(seg[np.isfinite(days)])):
        m = (seg == c) & np.isfinite(days)
        value = float(np.median(days[m]))
        nominal = nominal_cycle(scenario, [s for s, k in classes.items() if k == c], wr_stage)
        typ = typical(table, "sales_cycle_days", c)
        d: tuple[Driver, ...] = ()
        if nominal is not None and typ:
            d = (Driver(f"the scenario's elapsed days from {wr_stage} to won add up to {nominal:.0f} days for {c}",
                        log_ratio(nominal, typ)),
                 Driver(f"queues before the closers' steps add {max(0.0, value - nominal):.0f} days",
                        log_ratio(max(value, 1e-9), max(nominal, 1e-9))))
        out.append(Figure("sales_cycle_days", c, c, value, drivers=d))
    return out


COVERAGE_WEEKS = 13  # a quarter


def coverage(events, leads, scenario: Scenario, wr: int, facts: Facts, table: Table) -> list[Figure]:
    """Open pipeline at the end (list value of the leads still open at or after the win-rate
    stage) / bookings of the last 13 weeks, the quarter's run rate standing in for the next
    quarter's target."""
    weekly = np.asarray(facts.weekly.get("bookings_usd", []), dtype=float)
    if len(weekly) < COVERAGE_WEEKS:
        return []
    quarter = float(weekly[-COVERAGE_WEEKS:].sum())
    if quarter <= 0:
        return []
    stages = scenario.stages
    open_ = leads[leads["outcome"] == "open"]
    adv = events[(events["event"] == "advance") & events["lead"].isin(open_["lead"])]
    last = adv.groupby("lead")["stage"].last().astype(str)
    where = open_["lead"].map(last).fillna(open_["entry_stage"].astype(str))
    idx = where.map({s: i for i, s in enumerate(stages)})
    pipeline = float(open_.loc[(idx >= wr) & (idx < len(stages) - 1), "acv_list_usd"].sum())
    value = pipeline / quarter
    typ = typical(table, "pipeline_coverage", "all") or 3.5
    why = ("deals sit open long (slow cycles or closers short of time)" if value > typ
           else "deals close or are lost soon after qualifying, so little stands open")
    d = (Driver(f"open pipeline ${pipeline:,.0f} (list value, from {stages[wr]} on) against ${quarter:,.0f} booked "
                f"in the last {COVERAGE_WEEKS} weeks: {why}", log_ratio(value, typ)),)
    return [Figure("pipeline_coverage", "all", "company", value, drivers=d)]


def nominal_cycle(scenario: Scenario, segments: list[str], wr_stage: str) -> float | None:
    stages = scenario.stages
    if wr_stage not in stages:
        return None
    after = stages[stages.index(wr_stage) + 1:]
    vals = []
    for s in segments:
        steps = scenario.segments[s].steps
        vals.append(sum(float(steps[st].elapsed_days.mean()) for st in after if st in steps))
    return float(np.mean(vals)) if vals else None
