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

from sim.calibration.paths import LOST, WON, Paths


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
