"""The forecast run through the engine (``salesim forecast --engine``).

The same cut, fit and open deals as :mod:`sim.calibration.forecast`, but each
run is a simulation: the scenario fitted on the history up to the forecast
date (its working roles taken out, as in the backtest: the fitted times in
stage already hold the queueing), starting on the forecast date
(``calendar.start_date``, so the fitted month profile lines up) with the open
pipeline as its ``initial_pipeline`` (each deal in its stage, at its age in
that stage, with its segment, source and amount), to ``--until``. Each run
draws its conversions from their posteriors (Jeffreys beta), its arrival rate
at the level where the history ends (held, as in the Monte Carlo), and each
segment's median deal value from its interval; replications are the bands.

The fitted steps carry a time to a win (``elapsed_days``) and a time to a loss
(``lost_after_days``), so an open deal's chance is weighed by the survival of
both at its age in the stage, as in the Monte Carlo (there over the whole
cycle). What it does not do that the Monte Carlo does: new deals never go
stale (stale open deals at the date are left out, by the fit's stale rule),
and the arrivals get no month-to-month shocks (the run's level is drawn with
that spread). Quarter-end bunching, when the history shows it, is applied to
the runs' months as in the Monte Carlo.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.forecast import DAY, close, prepare, tally_month
from sim.calibration.forecast_draws import arrival_rate, log_se
from sim.calibration.forecast_result import Forecast
from sim.calibration.io import History
from sim.calibration.mapping import Mapping
from sim.units import DAYS_PER_WEEK


def _scenario(fit, cut: pd.Timestamp, end: pd.Timestamp) -> dict:
    """The fitted scenario as a forecast's world: it starts on the forecast date, runs to the end,
    without working roles (the fitted times in stage hold the queueing)."""
    import yaml

    from sim.calibration.backtest import rotate_seasonality
    from sim.calibration.scenario_writer import scenario_text

    data = yaml.safe_load(scenario_text(fit, name="forecast"))
    if "calendar" in data:
        data["calendar"]["start_date"] = f"{cut:%Y-%m-%d}"
    else:
        data = rotate_seasonality(data, cut)
    data["horizon_weeks"] = float((end - cut) / DAY / DAYS_PER_WEEK)
    for step in data["steps"].values():
        step["role"] = None
    data.pop("roles", None)
    for seg in data["segments"].values():
        for spec in seg["steps"].values():
            spec.pop("work_hours", None)
    for src in data["sources"].values():
        src.pop("trend_per_year", None)  # the level where the history ends is held (see arrival_rate)
    return data


def _pipeline(d: pd.DataFrame, fit, data: dict, cut: pd.Timestamp) -> tuple[list[dict], list[int]]:
    """The open deals as ``initial_pipeline`` rows (stage, age in the stage, segment, source, amount) and
    the position in ``d`` of each row's deal."""
    entered = fit.paths.entered
    stages = data["stages"]
    rows, kept = [], []
    for i, deal in enumerate(d.itertuples(index=False)):
        stage = str(deal.stage)
        if stage not in stages[:-1]:
            continue
        t0 = entered.at[deal.opportunity_id, stage] if deal.opportunity_id in entered.index else pd.NaT
        age = float((cut - t0) / DAY) if pd.notna(t0) else float(deal.age_days)
        row = {"stage": stage, "age_days": max(age, 0.0)}
        if str(deal.segment) in data["segments"]:
            row["segment"] = str(deal.segment)
        if str(deal.source) in data["sources"]:
            row["source"] = str(deal.source)
        if bool(deal.amount_known):
            row["amount_usd"] = float(deal.amount)
        rows.append(row)
        kept.append(i)
    return rows, kept


def _draw(data: dict, fit, rng: np.random.Generator) -> dict:
    """One run's scenario: conversions from their posteriors, the arrival rate at the history's end level,
    each segment's median deal value within its interval."""
    from sim.calibration.backtest import posterior_draw

    d = posterior_draw(data, fit, rng)
    for src, body in d["sources"].items():
        a = fit.arrivals.get(src)
        if a is not None and a["n"] > 0:
            body["rate_per_week"] = arrival_rate(a, rng)
    for seg, body in d["segments"].items():
        acv = fit.money.get(seg, {}).get("acv")
        spec = body.get("acv_usd")
        if acv is not None and isinstance(spec, dict) and spec.get("dist") == "lognormal":
            spec["median"] = float(spec["median"] * np.exp(rng.normal(0.0, log_se(acv.median_lo, acv.median_hi))))
    return d


def run_engine_forecast(h: History, as_of: str, mapping: Mapping | None = None, until: str | None = None,
                        plan: pd.DataFrame | None = None, runs: int = 200, seed: int = 0) -> Forecast:
    import sim

    cut, end, fit, months, d = prepare(h, as_of, mapping, until)
    data = _scenario(fit, cut, end)
    rows, kept = _pipeline(d, fit, data, cut)
    if rows:
        data["initial_pipeline"] = rows
    sim.validate_data(data)  # the fitted world with its open deals is a valid scenario
    horizon = (end - cut) / DAY
    n_m = len(months)
    bookings, wins, revenue = np.zeros((runs, n_m)), np.zeros((runs, n_m)), np.zeros((runs, n_m))
    # the open deals that went into the world (``kept``, in order) are the run's first leads
    p_hit = np.zeros(len(d))
    root = np.random.SeedSequence(seed)
    params = np.random.Generator(np.random.PCG64(root.spawn(1)[0]))
    for r, ss in enumerate(root.spawn(runs)):
        res = sim.simulate(sim.validate_data(_draw(data, fit, params)), seed=ss)
        leads = res.leads
        won = leads[(leads["outcome"] == "won") & (leads["outcome_days"] < horizon)]
        if kept:
            first = won[won["lead"] < len(kept)]
            p_hit[np.asarray(kept)[first["lead"].to_numpy(dtype=int)]] += 1
        when = pd.DatetimeIndex(cut + pd.to_timedelta(won["outcome_days"].to_numpy(dtype=float), unit="D"))
        tally_month(r, when, won["booked_usd"].to_numpy(dtype=float), months, end, bookings, wins, revenue)
    return close(h, fit, cut, end, months, bookings, wins, revenue, d, plan, p_hit, runs, params)
