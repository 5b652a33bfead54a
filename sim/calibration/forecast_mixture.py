"""Wins and losses fitted together (:func:`fit_mixture`), for ``salesim forecast``: each deal ends in a
win after lognormal days or in a loss after lognormal days, fitted by maximum likelihood over closed and
open deals, so a win rate is not read off the closed deals alone (biased low when losses close sooner);
and the share of deals that never close (:func:`stale_share`), a third ending both allow for."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.fit import Fit
from sim.calibration.paths import OPEN, WON


@dataclass
class Mixture:
    """Each deal ends in a win with probability p after lognormal(mu_w, sigma_w) days, else in a loss
    after lognormal(mu_l, sigma_l) days; fitted on closed and open deals together."""

    p: float
    mu_w: float
    sigma_w: float
    mu_l: float
    sigma_l: float
    n_won: int
    n_lost: int
    p_closed: float  # the win rate of the closed deals alone (biased low when losses close sooner)


def fit_mixture(fit: Fit) -> Mixture | None:
    """Maximum likelihood over every (non-stale) deal: a won deal adds p f_win(t), a lost one
    (1 - p) f_loss(t), an open one of age a p S_win(a) + (1 - p) S_loss(a) + s / (1 - s), s the
    share of deals that go stale (:func:`stale_share`): a young open deal may be one that will never
    close, and counting it as a slow win or loss would stretch both durations. The closed deals alone
    would understate the win rate when losses close sooner than wins: recent deals that closed are
    mostly losses, and the wins among them are still open."""
    from scipy import optimize, stats

    from sim.calibration.fit_cycle import cycle_days

    c = cycle_days(fit.paths)
    o = fit.paths.opps
    tw = np.maximum(c.loc[c["outcome"] == WON, "days"].to_numpy(dtype=float), 0.01)
    tl = np.maximum(c.loc[c["outcome"] != WON, "days"].to_numpy(dtype=float), 0.01)
    if len(tw) < 3 or len(tl) < 3:
        return None
    ages = np.maximum(((fit.paths.as_of - o.loc[o["outcome"] == OPEN, "created"]) / pd.Timedelta(days=1))
                      .to_numpy(dtype=float), 0.01)
    lw, ll, la = np.log(tw), np.log(tl), np.log(ages)
    stale = stale_share(fit)
    odds = stale / (1 - stale) if stale < 1 else 0.0  # an open deal may be one that will never close

    def nll(th):
        p = 1 / (1 + np.exp(-th[0]))
        sw, sl = np.exp(th[2]), np.exp(th[4])
        out = len(tw) * np.log(p) + np.sum(stats.norm.logpdf(lw, th[1], sw) - lw)
        out += len(tl) * np.log1p(-p) + np.sum(stats.norm.logpdf(ll, th[3], sl) - ll)
        if len(la):
            out += np.sum(np.log(p * stats.norm.sf(la, th[1], sw) + (1 - p) * stats.norm.sf(la, th[3], sl)
                                 + odds + 1e-300))
        return -out

    p0 = len(tw) / (len(tw) + len(tl))
    x0 = np.array([np.log(p0 / (1 - p0)), lw.mean(), np.log(max(lw.std(), 0.05)), ll.mean(),
                   np.log(max(ll.std(), 0.05))])
    res = optimize.minimize(nll, x0, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-6,
                                                                     "fatol": 1e-8})
    th = res.x if np.all(np.isfinite(res.x)) else x0
    return Mixture(float(1 / (1 + np.exp(-th[0]))), float(th[1]), float(np.exp(th[2])), float(th[3]),
                   float(np.exp(th[4])), len(tw), len(tl), float(p0))


class LogNormal:
    def __init__(self, mu: float, sigma: float):
        from scipy import stats

        self.d = stats.lognorm(sigma, scale=np.exp(mu))

    def sf(self, x):
        return self.d.sf(x)

    def cdf(self, x):
        return self.d.cdf(x)

    def ppf(self, u):
        return self.d.ppf(u)


def stale_share(fit: Fit) -> float:
    """The share of deals that never close (go stale): stale deals over every deal old enough to have
    gone stale by the extraction date."""
    s = fit.stale
    if s is None or not len(s.deals):
        return 0.0
    old = fit.paths.as_of - pd.Timedelta(days=s.after_days)
    n = int((fit.paths.opps["created"] <= old).sum()) + len(s.deals)
    return len(s.deals) / n if n else 0.0
