"""All fits of one history, in one object the scenario writer and the report read.

The order of work: read and check rows -> stage order and transition matrix
-> per-opportunity paths -> conversion, durations, arrivals, deal values,
reps (and retention if a subscription table is given). Every number keeps
its sample size and interval, so the report can show what the scenario's
numbers rest on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sim.calibration import fit_arrivals, fit_funnel
from sim.calibration.fit_durations import DurationFit, fit_durations
from sim.calibration.fit_money import money_by_segment
from sim.calibration.fit_reps import RepFit, fit_reps, ramp_by_tenure, read_reps
from sim.calibration.io import History
from sim.calibration.mapping import DataError, Mapping
from sim.calibration.paths import Paths, build_paths, stage_order, transition_matrix

MIN_EXITS = 5  # fewer exits than this in a segment: its durations come from all segments pooled


@dataclass
class Fit:
    history: History
    paths: Paths
    transitions: pd.DataFrame
    conversion: pd.DataFrame
    multipliers: pd.DataFrame
    reference_rates: pd.DataFrame  # segment rates of steps where some source has a multiplier
    entries: pd.DataFrame
    skips: pd.DataFrame
    durations: dict[tuple[str, str], tuple[DurationFit | None, str]]  # (segment, step) -> fit, basis
    arrivals: dict[str, dict]
    money: dict[str, dict]
    reps: RepFit | None
    step_roles: dict[str, str | None]
    headcount: dict[str, tuple[int, str]]  # role -> (headcount, where it came from)
    win_rate_stage: str
    retention: dict[str, dict] = field(default_factory=dict)
    ramp: pd.DataFrame | None = None  # closers' win rate by tenure (with a rep table)

    @property
    def order(self) -> list[str]:
        return self.paths.order

    @property
    def segments(self) -> list[str]:
        return sorted(self.paths.opps["segment"].unique())


def _step_roles(h: History, order: list[str]) -> dict[str, str | None]:
    """The role that works the step into each stage: who owns deals sitting in the stage before."""
    out: dict[str, str | None] = {}
    rows = h.rows
    for k in range(1, len(order)):
        if "owner_role" not in rows:
            out[order[k]] = None
            continue
        roles = rows.loc[rows["stage"] == order[k - 1], "owner_role"].dropna()
        roles = roles[roles != ""]
        out[order[k]] = str(roles.mode().iloc[0]) if len(roles) else None
    return out


def _headcount(h: History, roles: set[str], reps: pd.DataFrame | None) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    if reps is not None:
        active = reps[reps["left"].isna() | (reps["left"] > h.as_of)]
        for role, g in active.groupby("role"):
            out[str(role)] = (int(g["rep"].nunique()), "rep table (active at the extraction date)")
    rows = h.rows
    for role in sorted(roles - set(out)):
        seen = rows.loc[rows.get("owner_role", pd.Series(dtype=str)) == role, "owner"].dropna().nunique() \
            if "owner" in rows else 0
        out[role] = (max(int(seen), 1), "assumed: distinct owners seen in the history")
    return out


def fit_history(h: History, mapping: Mapping | None = None, reps_file: str | None = None,
                accounts_file: str | None = None) -> Fit:
    """Fit every part of a scenario that a CRM history can tell."""
    m = mapping or Mapping()
    if h.rows.empty:
        raise DataError(f"{h.file}: no usable rows left after the checks:\n{h.report()}")
    order = stage_order(h, m)
    if len(order) < 2:
        raise DataError(f"{h.file}: the history has fewer than two stages ({', '.join(order)}); nothing to fit")
    paths = build_paths(h, order)
    conv = fit_funnel.conversion_table(paths)
    multipliers, reference = fit_funnel.source_multipliers(paths, conv)
    dur_rows = paths.days_in_stage()
    durations = {}
    for k in range(1, len(order)):
        before = order[k - 1]
        d_all = dur_rows[dur_rows["stage"] == before]
        for seg in sorted(paths.opps["segment"].unique()):
            d = d_all[d_all["segment"] == seg]
            basis = "segment"
            if (~d["censored"]).sum() < MIN_EXITS:
                d, basis = d_all, "all segments pooled (few exits in this segment)"
            durations[(seg, order[k])] = (fit_durations(d["days"].to_numpy(), d["censored"].to_numpy()), basis)
    roles = _step_roles(h, order)
    wr = "sql" if "sql" in order[:-1] else order[1]
    reps = read_reps(reps_file) if reps_file is not None else None
    closer = roles.get(order[-1])
    ramp = ramp_by_tenure(paths, reps, order.index(wr), closer) if reps is not None else None
    retention = {}
    if accounts_file is not None:
        from sim.calibration.fit_retention import fit_retention

        retention = fit_retention(accounts_file, h.as_of)
    return Fit(history=h, paths=paths, transitions=transition_matrix(h, order), conversion=conv,
               multipliers=multipliers, reference_rates=reference, entries=fit_funnel.entry_stages(paths),
               skips=fit_funnel.skip_shares(paths), durations=durations, arrivals=fit_arrivals.arrivals(paths),
               money=money_by_segment(paths), reps=fit_reps(paths, order.index(wr), closer), ramp=ramp,
               step_roles=roles,
               headcount=_headcount(h, {r for r in roles.values() if r}, reps), win_rate_stage=wr,
               retention=retention)
