"""The "how this scenario compares with benchmarks" section: each figure against
its range, with the source, the replication interval and, when outside, the
mechanism most responsible (see :mod:`sim.metrics.benchmark_figures`)."""

from __future__ import annotations

from collections.abc import Sequence

from sim.report.text import Section, money

LABELS = {
    "ae_bookings_per_year_usd": "bookings per seller-year",
    "share_at_quota": "share of sellers at quota",
    "win_rate": "win rate",
    "sales_cycle_days": "sales cycle (median days)",
    "sdr_meetings_per_month": "meetings set per rep-month",
    "sdr_ramp_days": "setter ramp (days)",
    "ae_ramp_days": "closer ramp (days)",
    "sdr_tenure_years": "setter tenure (years)",
    "rep_attrition_per_year": "attrition a year",
    "selling_time_fraction": "selling time",
    "discount_fraction": "discount",
    "quota_to_ote_ratio": "quota / OTE",
    "span_of_control": "span of control",
    "pipeline_coverage": "pipeline coverage",
    "grr": "GRR (trailing 12 months)",
    "nrr": "NRR (trailing 12 months)",
    "cac_payback_months": "CAC payback (months)",
    "magic_number": "magic number",
    "csm_book_arr_usd": "CSM book ARR",
    "csm_book_accounts": "CSM book accounts",
}


def fmt(value: float, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "USD":
        return money(value)
    if unit == "fraction":
        return f"{value:.0%}" if abs(value) >= 0.1 else f"{value:.1%}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def short_source(b) -> str:
    """The source's first words, year and trust mark (the table file has the full citation)."""
    name = b.source.split(" (")[0].split(";")[0].strip() or "no source given"
    return f"{name}{f', {b.year}' if b.year else ''}{f' ({b.trust})' if b.trust else ''}"


def section(comparisons: Sequence, unchecked: Sequence[tuple[str, str]] = (), *, title: str | None = None,
            lead: Sequence[str] = (), sequential: bool = False) -> Section:
    """The comparisons as one report section (plain text, rich or HTML alike). ``sequential``
    (``salesim check --max-reps``): a column of the replications each figure rests on, and
    each figure not settled at the cap named with its spread and the replications that
    would settle it."""
    rows, notes, loose = [], [], []
    for c in comparisons:
        b = c.benchmark
        unit = b.unit
        typical = f" ({fmt(b.typical, unit)})" if b.typical is not None else ""
        ci = (f"{fmt(c.ci[0], unit)} .. {fmt(c.ci[1], unit)}" if c.ci is not None
              else "input" if c.kind == "input" else "-")
        pos = c.position.upper() if c.outside else c.position
        if c.straddles or (sequential and not c.settled):
            pos += " ?"
        row = [LABELS.get(c.metric, c.metric), c.segment, c.subject, fmt(c.mean, unit), ci]
        if sequential:
            row.append("input" if c.kind == "input" else str(c.n))
        rows.append(row + [f"{fmt(b.low, unit)} .. {fmt(b.high, unit)}{typical}", pos, short_source(b)])
        if sequential and not c.settled:
            loose.append(_unsettled_note(c, unit))
        if c.outside:
            notes.append(f"{LABELS.get(c.metric, c.metric)} ({c.subject}) {c.position}: {c.mechanism}")
    outside = sum(c.outside for c in comparisons)
    lines = list(lead) + [f"{len(comparisons) - outside} of {len(comparisons)} figures inside their range, "
                          f"{outside} outside"]
    if sequential:
        lines.append(f"{len(comparisons) - len(loose)} of {len(comparisons)} figures settled on one side of their "
                     f"range, {len(loose)} not settled at the cap")
        if loose:
            lines.append("? : not settled: the 95% interval still crosses a bound of the range at the cap")
    elif any(c.straddles for c in comparisons):
        lines.append("? : the 95% interval crosses a bound of the range (more replications would settle it)")
    for metric, why in unchecked:
        notes.append(f"not checked: {LABELS.get(metric, metric)} ({why})")
    head = ["figure", "for", "of", "value", "95% CI", *(["reps"] if sequential else []), "range (typical)",
            "position", "source"]
    return Section(title or "How this scenario compares with benchmarks", lines, head, rows, loose + notes)


def _unsettled_note(c, unit: str) -> str:
    """A figure not settled at a sequential check's cap: its spread and the replications that would settle it."""
    import math

    what = f"not settled: {LABELS.get(c.metric, c.metric)} ({c.subject}) over {c.n} replications"
    sd = c.run_sd
    if sd is None:
        return what + " (too few to measure its spread)"
    need = c.reps_to_settle()
    return (what + f", one run's figure varies by {fmt(sd, unit)} (standard deviation); " +
            (f"about {need:,.0f} replications would settle it" if math.isfinite(need)
             else "its mean is on a bound: no number of replications settles it"))


MAX_RERUN_LEADS = 150_000  # a run report re-runs the scenario to measure; beyond this it says so instead


def run_section(scenario, kpis: dict) -> Section | None:
    """The benchmark section of one run's report: the run is made again from its resolved
    scenario and seed (the folder keeps KPIs, not the facts the figures need), checked to
    give the same KPIs, and its figures compared with the shipped table (one draw: no
    interval; ``salesim check`` runs replications)."""
    from sim.benchmarks import default_table
    from sim.errors import SalesimError
    from sim.metrics.benchmark_figures import compare, measure
    from sim.run import simulate
    from sim.scenario.schema import Scenario
    from sim.scenario.size import estimate

    title = "How this scenario compares with benchmarks"
    if not isinstance(scenario, Scenario):
        return None
    seed, weeks = kpis.get("seed"), kpis.get("horizon_weeks")
    if not isinstance(seed, int) or isinstance(seed, bool):
        return Section(title, ["not measured: this run's seed is a replication's spawned seed; run "
                               "salesim check on the scenario"])
    if estimate(scenario, weeks).leads > MAX_RERUN_LEADS:
        return Section(title, [f"not measured here: the run is large (over {MAX_RERUN_LEADS:,} leads); run "
                               "salesim check on the scenario"])
    try:
        r = simulate(scenario, seed=seed, weeks=weeks, record="events")
    except (SalesimError, ValueError, TypeError, OverflowError):
        return Section(title, ["not measured: this folder's seed and horizon do not make a run again; run "
                               "salesim check on the scenario"])
    if r.kpis.get("bookings_usd") != kpis.get("bookings_usd") or r.kpis.get("leads_won") != kpis.get("leads_won"):
        return Section(title, ["not measured: running the scenario again with this seed does not give this "
                               "folder's KPIs (an edited folder, or another salesim version); run salesim check"])
    table = default_table()
    comps = compare([measure(r.kpis, r.facts, r.scenario, table, r.events, r.leads)], table)
    return section(comps, title=title, lead=["one run (this seed): no interval; salesim check runs "
                                              "replications and gives each figure's 95% interval"])
