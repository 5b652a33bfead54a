"""All fits of one history, in one object the scenario writer and the report read.

The order of work: read and check rows -> stage order and transition matrix
-> per-opportunity paths -> conversion, durations, arrivals, deal values,
reps (and retention if a subscription table is given). Every number keeps
its sample size and interval, so the report can show what the scenario's
numbers rest on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from sim.calibration import fit_arrivals, fit_cycle, fit_funnel
from sim.calibration.fit_durations import DurationFit, fit_durations
from sim.calibration.fit_money import money_by_segment
from sim.calibration.fit_reps import RepFit, fit_reps, ramp_by_tenure, read_reps
from sim.calibration.io import History, Issue
from sim.calibration.mapping import DataError, Mapping
from sim.calibration.paths import Paths, build_paths, stage_order, transition_matrix
from sim.errors import SalesimError

MIN_EXITS = 5  # fewer exits than this in a segment: its durations come from all segments pooled
# more distinct values than these is an ID or free-text column, not a funnel (and a fit per segment x step)
MAX_NAMES = {"stage": 30, "segment": 30, "source": 50}
MIN_SPAN_DAYS = 1.0  # a history shorter than a day gives no rate per week
MAX_CAPPED_CV = 2.0  # the spread of a time in stage whose mean was capped

T = TypeVar("T")


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
    cycle: dict[str, DurationFit | None] = field(default_factory=dict)  # days to a win, to a loss
    arrived: int = 0  # opportunities counted as arrivals (stale ones included)
    stale: fit_cycle.Stale | None = None
    rep_table: pd.DataFrame | None = None  # per owner: volume, win rate, manager/region/team
    start: pd.Timestamp | None = None  # the first day of the history's window (calendar.start_date)
    capacity: dict[str, dict] = field(default_factory=dict)  # role -> work hours per step from throughput
    # (segment, step) -> the time to a loss out of the stage before the step, fit and basis (the scenario's
    # lost_after_days); only where enough deals were lost there
    durations_lost: dict[tuple[str, str], tuple[DurationFit | None, str]] = field(default_factory=dict)

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
    if h.owners_listed is not None and len(roles) == 1 and reps is None:
        n, file = h.owners_listed
        return {next(iter(roles)): (n, f"the {n} reps listed in {file}")}
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


def _guard(h: History, what: str, work: Callable[[], T]) -> T:
    """A fit the scenario cannot do without: any failure is a message naming the file, not a traceback."""
    try:
        return work()
    except SalesimError:
        raise
    except Exception as exc:  # noqa: BLE001 - numeric code fails in many ways on hostile data
        raise DataError(f"{h.file}: cannot fit the {what} from this history ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None


def _fallback(h: History, what: str, work: Callable[[], T], default: T, assumed: str) -> T:
    """A fit the scenario can do without: a failure is reported and ``default`` used."""
    try:
        return work()
    except SalesimError:
        raise
    except Exception as exc:  # noqa: BLE001 - as above; the scenario assumes instead
        _flag(h, Issue("fit failed", f"the {what} could not be fitted ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})", [], assumed))
        return default


def _flag(h: History, issue: Issue) -> None:
    """A problem found while fitting, listed with the file's (once, if the history is fitted again)."""
    if issue not in h.issues:
        h.issues.append(issue)


def _check_names(h: History) -> None:
    """Stages, segments and sources are a handful each; thousands of them is an ID or free-text column."""
    rows = h.rows
    for col, what in (("stage", "stages"), ("segment", "segments"), ("source", "sources")):
        if col not in rows:
            continue
        values = rows.loc[~rows["lost_stage"], col] if col == "stage" else rows[col]
        n = values.dropna().nunique()
        if n > MAX_NAMES[col]:
            hint = "map the labels to a few stages with stage_names and stages" if col == "stage" else \
                f"map a column with a few values as {col}, or none"
            raise DataError(f"{h.file}: {n} distinct {what} in column {col} (at most {MAX_NAMES[col]}): is it an ID "
                            f"or free-text column? {hint} (--mapping)")


def _span_days(paths: Paths) -> float:
    start, end = fit_arrivals.window(paths)
    return (end - start).total_seconds() / 86400.0


def _capped(d: DurationFit | None, cap: float) -> DurationFit | None:
    """A mean time in stage beyond the history's span is an extrapolation the data cannot support:
    capped at the span (``capped_from`` keeps the fitted value for the report and the scenario)."""
    if d is None or not np.isfinite(d.mean) or d.mean <= cap:
        return d if d is None or np.isfinite(d.mean) else None
    # the spread is capped too: a cv of thousands (a lognormal with a median of seconds) is no duration
    return dataclasses.replace(d, mean=cap, mean_lo=min(d.mean_lo, cap), mean_hi=min(d.mean_hi, cap),
                               cv=min(d.cv, MAX_CAPPED_CV), capped_from=d.mean)


def fit_history(h: History, mapping: Mapping | None = None, reps_file: str | None = None,
                accounts_file: str | None = None) -> Fit:
    """Fit every part of a scenario that a CRM history can tell."""
    m = mapping or Mapping()
    if h.rows.empty:
        raise DataError(f"{h.file}: no usable rows left after the checks:\n{h.report()}")
    _check_names(h)
    rows = h.rows
    roleless = "owner_role" not in rows or rows["owner_role"].isna().all()
    if "owner" in rows and rows["owner"].notna().any() and roleless:
        h.rows = rows.assign(owner_role=pd.array(["rep"] * len(rows), dtype="string"))
        _flag(h, Issue("no owner roles", "owners are given without a role", [], "every owner read as one role, rep"))
    order = _guard(h, "stage order", lambda: stage_order(h, m))
    if len(order) < 2:
        raise DataError(f"{h.file}: the history has fewer than two stages ({', '.join(order)}): a funnel needs a "
                        "stage before the win (list them with stages: in --mapping, the win last)")
    seen = set(h.rows["stage"])
    empty = [s for s in order if s not in seen]
    if empty and m.stages is not None:
        _flag(h, Issue("stage without rows", f"stage(s) {', '.join(empty)} of the mapping's stages have "
                              "no rows", [], "deals pass them at once (conversion 1, no time in stage)"))
    paths = _guard(h, "opportunity paths", lambda: build_paths(h, order))
    arrived = paths  # every deal arrived, stale or not: arrivals are counted before the stale rule
    paths, stale = _guard(h, "stale open deals", lambda: fit_cycle.apply_stale_rule(paths, m))
    if stale is not None and len(stale.deals):
        _flag(h, fit_cycle.stale_issue(stale))
    if paths.opps.empty:
        raise DataError(f"{h.file}: no opportunity entered a stage of the funnel ({', '.join(order)})")
    only_won = paths.opps["entry"] == len(order) - 1
    if only_won.all():
        raise DataError(f"{h.file}: every opportunity was recorded only at the win ({order[-1]}); a funnel needs "
                        f"deals that entered a stage before it ({', '.join(order[:-1])})")
    if only_won.any():
        _flag(h, Issue("won without a stage before", f"{int(only_won.sum())} opportunit(ies) recorded only at "
                              f"the win ({order[-1]})", [], "counted as arrivals and wins; they enter the scenario "
                              "at their source's entry stage"))
    span = _span_days(paths)
    if not span >= MIN_SPAN_DAYS:
        raise DataError(f"{h.file}: the history spans {max(span, 0.0) * 24:.1f} hours from its first creation to "
                        f"the extraction date ({paths.as_of:%Y-%m-%d %H:%M} UTC); at least a day is needed to fit "
                        "rates (give a later --as-of if the file was exported later)")
    conv = _guard(h, "conversion rates", lambda: fit_funnel.conversion_table(paths))
    multipliers, reference = _guard(h, "source multipliers", lambda: fit_funnel.source_multipliers(paths, conv))
    dur_rows = _guard(h, "times in stage", paths.days_in_stage)
    durations = {}
    durations_lost: dict = {}
    capped = []
    for k in range(1, len(order)):
        before = order[k - 1]
        d_all = dur_rows[dur_rows["stage"] == before]
        for seg in sorted(paths.opps["segment"].unique()):
            movers = d_all[~d_all["lost"]]  # time to move on; a loss's time is fitted apart (cycle)
            d = movers[movers["segment"] == seg]
            basis = "segment"
            if (~d["censored"]).sum() < MIN_EXITS:
                d, basis = movers, "all segments pooled (few exits in this segment)"

            def fit_stage(d: Any = d) -> Any:
                return fit_durations(d["days"].to_numpy(), d["censored"].to_numpy())

            fitted = _fallback(h, f"time in {before} ({seg})", fit_stage, None, "no time in stage (0 days) assumed")
            fitted = _capped(fitted, span)
            if fitted is not None and fitted.capped_from is not None:
                capped.append(f"{seg} {before} -> {order[k]}: {fitted.capped_from:.4g}")
            durations[(seg, order[k])] = (fitted, basis)
            losers = d_all[d_all["lost"] | d_all["censored"]]  # lost here; open ones censored
            dl, lbasis = losers[losers["segment"] == seg], "segment"
            if (dl["lost"]).sum() < MIN_EXITS:
                dl, lbasis = losers, "all segments pooled (few losses in this segment)"
            if (dl["lost"]).sum() >= MIN_EXITS:
                def fit_loss(dl: Any = dl) -> Any:
                    return fit_durations(dl["days"].to_numpy(), ~dl["lost"].to_numpy())

                lfit = _capped(_fallback(h, f"time to a loss in {before} ({seg})", fit_loss, None,
                                         "the time to move on used for losses too"), span)
                if lfit is not None:
                    durations_lost[(seg, order[k])] = (lfit, lbasis)
    if capped:
        _flag(h, Issue("time in stage capped", f"fitted mean days beyond the history's span of {span:.0f} "
                              f"days (few exits, many deals still open): {'; '.join(capped)}", [],
                              f"capped at {span:.0f} days"))
    roles = _guard(h, "roles", lambda: _step_roles(h, order))
    wr = "sql" if "sql" in order[:-1] else order[1] if len(order) > 2 else order[0]
    reps = read_reps(reps_file) if reps_file is not None else None
    closer = roles.get(order[-1])
    ramp = _fallback(h, "ramp by tenure", lambda: ramp_by_tenure(paths, reps, order.index(wr), closer), None,
                     "not reported") if reps is not None else None
    arrivals = _guard(h, "arrivals", lambda: fit_arrivals.arrivals(arrived))
    start, end = fit_arrivals.window(arrived)
    for src, a in arrivals.items():
        created = arrived.opps.loc[arrived.opps["source"] == src, "created"]

        def fit_joint(created: Any = created) -> Any:
            return fit_cycle.joint_arrivals(created, start, end)

        joint = _fallback(h, f"arrival trend and seasonality ({src})", fit_joint, None,
                          "rate and seasonality fitted apart")
        if joint is not None:
            scale = joint["rate_per_week"] / a["rate_per_week"] if a["rate_per_week"] > 0 else 1.0
            a.update(rate_per_week=joint["rate_per_week"], lo=a["lo"] * scale, hi=a["hi"] * scale,
                     seasonality=joint["seasonality"],
                     seasonality_p=(joint["seasonality_p"] if joint["seasonality_p"] is not None
                                    else a["seasonality_p"]),
                     trend_per_year=joint["trend_per_year"], trend_lo=joint.get("trend_lo"),
                     trend_hi=joint.get("trend_hi"),
                     **{k: joint[k] for k in ("level_end_per_week", "level_end_log_se", "month_log_sd",
                                              "trend_written", "rate_at_start_per_week") if k in joint})
    retention = {}
    if accounts_file is not None:
        from sim.calibration.fit_retention import fit_retention

        retention = fit_retention(accounts_file, h.as_of)
    return Fit(history=h, paths=paths, transitions=_guard(h, "transition matrix", lambda: transition_matrix(h, order)),
               conversion=conv, multipliers=multipliers, reference_rates=reference,
               entries=_guard(h, "entry stages", lambda: fit_funnel.entry_stages(paths)),
               skips=_guard(h, "skipped stages", lambda: fit_funnel.skip_shares(paths)), durations=durations,
               durations_lost=durations_lost,
               arrivals=arrivals,
               money=_fallback(h, "deal values", lambda: money_by_segment(paths), {},
                               "acv_usd 1 and no discount assumed"),
               reps=_fallback(h, "closers' win rates", lambda: fit_reps(paths, order.index(wr), closer), None,
                              "no spread reported"),
               ramp=ramp, step_roles=roles,
               headcount=_headcount(h, {r for r in roles.values() if r}, reps), win_rate_stage=wr,
               retention=retention, cycle=_fallback(h, "days to a win and to a loss",
                                                    lambda: fit_cycle.cycle_fits(paths), {}, "not reported"),
               arrived=len(arrived.opps), stale=stale,
               rep_table=_fallback(h, "per-rep table", lambda: fit_cycle.rep_table(paths, h), None, "not reported"),
               start=start, capacity=_fallback(h, "work hours from throughput",
                                               lambda: fit_cycle.capacity(paths, roles, h.rows), {},
                                               "work hours 0"))
