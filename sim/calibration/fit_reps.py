"""Rep heterogeneity: per-rep win rates shrunk toward the team's (beta-binomial).

A rep with 3 wins in 4 deals is not a 75% closer; one with 60 in 200 tells
more. The beta-binomial MLE gives the spread of true win rates across reps
(alpha, beta); each rep's shrunk rate is the posterior mean
``(wins + alpha) / (deals + alpha + beta)``. The spread is also given as the
standard deviation of the win rate's log-odds across reps,
``sqrt(trigamma(alpha) + trigamma(beta))``: the scale of the scenario's
``people.skill`` (which multiplies odds), reported for the user to set since
the mapping from a win rate to per-step skill depends on how many steps the
closing role works.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from sim.calibration.fit_funnel import exact_ci
from sim.calibration.io import SPAN, check_repeats, read_rows, to_utc
from sim.calibration.mapping import DataError, normalize_name
from sim.calibration.paths import LOST, WON, Paths

TENURE_BUCKETS = [(0, 90), (90, 180), (180, 365), (365, np.inf)]  # days since hire at the close


@dataclass
class RepFit:
    alpha: float
    beta: float
    logit_sd: float
    table: pd.DataFrame  # owner, role, deals, wins, raw, shrunk

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


def fit_reps(p: Paths, from_stage: int, role: str | None = None) -> RepFit | None:
    """Deals resolved at or after stage ``from_stage``, per owner of the last stage reached
    (only owners of ``role``, the closing role, when given)."""
    o = p.opps
    done = o[o["outcome"].isin([WON, LOST]) & (o["reached"] >= from_stage) & o["owner"].notna()
             & (o["owner"].astype(str) != "")]
    if role is not None:
        done = done[done["owner_role"] == role]
    if done.empty:
        return None
    g = done.groupby("owner").agg(role=("owner_role", "first"), deals=("outcome", "size"),
                                  wins=("outcome", lambda s: int((s == WON).sum()))).reset_index()
    if len(g) < 3:
        return None
    n, k = g["deals"].to_numpy(), g["wins"].to_numpy()

    def nll(t):
        a, b = np.exp(t)
        return -stats.betabinom.logpmf(k, n, a, b).sum()

    m = max(min(k.sum() / n.sum(), 0.99), 0.01)
    res = optimize.minimize(nll, np.log([m * 10, (1 - m) * 10]), method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 4000})
    a, b = (float(v) for v in np.exp(res.x))
    if not np.isfinite(a + b) or a + b > 1e5:  # the likelihood is flat in a+b: no spread between reps
        a, b = m * 1e5, (1 - m) * 1e5
    g["raw"] = g["wins"] / g["deals"]
    g["shrunk"] = (g["wins"] + a) / (g["deals"] + a + b)
    sd = float(np.sqrt(special.polygamma(1, a) + special.polygamma(1, b)))
    return RepFit(a, b, sd, g.sort_values("shrunk", ascending=False).reset_index(drop=True))


def read_reps(path: str) -> pd.DataFrame:
    """The rep table: ``rep, role`` and optional ``hired, left`` (dates, UTC)."""
    t = read_rows(path, "--reps")
    check_repeats(t, {"rep", "role", "hired", "left"}, f"--reps {path}")
    need = [c for c in ("rep", "role") if c not in t.columns]
    if need:
        raise DataError(f"--reps {path}: missing column(s) {', '.join(need)} (columns: rep, role, hired, left)")
    t["role"] = t["role"].map(normalize_name, na_action="ignore")
    for col in ("hired", "left"):
        if col in t:
            t[col], bad = to_utc(t[col])
            if bad.any():
                rows = ", ".join(str(r) for r in t.loc[bad, "_row"][:10])
                raise DataError(f"--reps {path}: rows {rows}: {col} must be a date ({SPAN})")
        else:
            t[col] = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns, UTC]")
    return t.drop(columns="_row")


def ramp_by_tenure(p: Paths, reps: pd.DataFrame, from_stage: int, role: str | None) -> pd.DataFrame:
    """Win rate of closed deals by the owner's tenure at the close (a ramp shows as lower early rates).

    Reported with exact intervals, not written into the scenario: a ramp is a
    property of people, which the fitted scenario leaves identical."""
    o = p.opps
    done = o[o["outcome"].isin([WON, LOST]) & (o["reached"] >= from_stage) & o["closed"].notna()]
    if role is not None:
        done = done[done["owner_role"] == role]
    hired = reps.dropna(subset=["hired"]).drop_duplicates("rep").set_index("rep")["hired"]
    done = done[done["owner"].isin(hired.index)]
    tenure = (done["closed"] - done["owner"].map(hired)).dt.total_seconds() / 86400.0
    rows = []
    for lo_d, hi_d in TENURE_BUCKETS:
        m = (tenure >= lo_d) & (tenure < hi_d)
        n, x = int(m.sum()), int((done.loc[m, "outcome"] == WON).sum())
        lo, hi = exact_ci(x, n)
        rows.append({"tenure_days": f"{lo_d}-{hi_d if np.isfinite(hi_d) else ''}", "deals": n, "wins": x,
                     "win_rate": x / n if n else np.nan, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)
