"""Time in stage: maximum likelihood with right censoring, the family chosen by AIC.

Candidates are the scenario format's duration distributions (exponential,
gamma, lognormal), each written in the parameters a scenario uses
(mean and cv; lognormal as median and sigma). Opportunities still open at
the extraction date contribute their survival (``logsf``) rather than a
density: dropping them would bias durations short, treating them as exits
would too. The likelihood is parameterized by log mean and log cv, so the
interval for the mean comes from the observed information (a numerical
Hessian) on the log scale: positive and a little right-skewed, as means of
durations are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

FLOOR_DAYS = 1e-4  # durations recorded as 0 (same-minute moves) are a few seconds
LEVEL = 0.95


def frozen_dist(family: str, theta: np.ndarray):
    mean = np.exp(theta[0])
    if family == "exponential":
        return stats.expon(scale=mean)
    cv = np.exp(theta[1])
    if family == "gamma":
        shape = 1.0 / cv**2
        return stats.gamma(shape, scale=mean / shape)
    sigma = np.sqrt(np.log1p(cv**2))
    return stats.lognorm(sigma, scale=mean / np.sqrt(1 + cv**2))


def _nll(theta, family, exact, cens) -> float:
    """Negative log-likelihood: densities of exits, survival of the open (scipy.special, no
    frozen distributions: the optimizer calls this a few hundred times per fit)."""
    if np.any(np.abs(theta) > 30):
        return np.inf
    mean = np.exp(theta[0])
    if family == "exponential":
        ll = np.sum(-theta[0] - exact / mean) - np.sum(cens) / mean
    elif family == "gamma":
        k = np.exp(-2 * theta[1])
        scale = mean / k
        ll = np.sum((k - 1) * np.log(exact) - exact / scale) - len(exact) * (special.gammaln(k) + k * np.log(scale))
        ll += np.sum(np.log(special.gammaincc(k, cens / scale))) if len(cens) else 0.0
    else:
        cv2 = np.exp(2 * theta[1])
        sigma = np.sqrt(np.log1p(cv2))
        mu = theta[0] - 0.5 * np.log1p(cv2)
        lx = np.log(exact)
        ll = np.sum(-lx - np.log(sigma) - 0.5 * np.log(2 * np.pi) - (lx - mu) ** 2 / (2 * sigma**2))
        ll += np.sum(special.log_ndtr(-(np.log(cens) - mu) / sigma)) if len(cens) else 0.0
    return -ll if np.isfinite(ll) else np.inf


def _hessian(f, x, h=1e-3) -> np.ndarray:
    k = len(x)
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    return H


@dataclass
class DurationFit:
    family: str
    mean: float
    mean_lo: float
    mean_hi: float
    cv: float
    n_exact: int
    n_censored: int
    aic: dict[str, float]
    capped_from: float | None = None  # the fitted mean, when it was capped at the history's span

    def spec(self) -> dict:
        """The scenario's distribution spec, inside the format's bounds (6 significant digits)."""
        from sim.scenario.distributions import MAX_CV, MIN_CV, MIN_POSITIVE

        def pos(x: float) -> float:
            return float(min(max(float(f"{x:.6g}"), MIN_POSITIVE), 1e12))

        if self.family == "constant":
            return {"dist": "constant", "value": round(self.mean, 4)}
        if self.family == "exponential":
            return {"dist": "exponential", "mean": pos(self.mean)}
        if self.family == "gamma":
            return {"dist": "gamma", "mean": pos(self.mean), "cv": round(min(max(self.cv, MIN_CV), MAX_CV), 4)}
        sigma = float(np.sqrt(np.log1p(self.cv**2)))
        return {"dist": "lognormal", "median": pos(self.mean / np.sqrt(1 + self.cv**2)),
                "sigma": round(min(sigma, 5.0), 4)}

    def dist(self):
        """The fitted scipy distribution (for figures and checks)."""
        if self.family == "constant":
            return None
        theta = np.log([self.mean] + ([self.cv] if self.family != "exponential" else []))
        return frozen_dist(self.family, theta)


def fit_durations(days: np.ndarray, censored: np.ndarray, level: float = LEVEL) -> DurationFit | None:
    """Fit exponential, gamma and lognormal; keep the lowest AIC. None without exits."""
    days = np.asarray(days, dtype=float)
    censored = np.asarray(censored, dtype=bool)
    keep = np.isfinite(days) & (days >= 0)
    days, censored = np.maximum(days[keep], FLOOR_DAYS), censored[keep]
    exact, cens = days[~censored], days[censored]
    if len(exact) == 0:
        return None
    if np.median(exact) <= 10 * FLOOR_DAYS:  # moves at once (no time in this stage)
        return DurationFit("constant", 0.0, 0.0, 0.0, 0.0, len(exact), len(cens), {})
    m0 = max(float(np.mean(exact)), FLOOR_DAYS)
    if len(exact) > 1 and float(np.std(exact)) <= 1e-3 * m0:  # every exit took the same time: no spread to fit
        return DurationFit("constant", m0, m0, m0, 0.0, len(exact), len(cens), {})
    cv0 = float(np.std(exact) / m0) if len(exact) > 1 and np.std(exact) > 0 else 1.0
    fits = {}
    for fam in ("exponential", "gamma", "lognormal"):
        if fam != "exponential" and len(exact) < 3:
            continue
        x0 = np.log([m0] + ([max(cv0, 0.05)] if fam != "exponential" else []))
        res = optimize.minimize(_nll, x0, args=(fam, exact, cens), method="Nelder-Mead",
                                options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000})
        if np.isfinite(res.fun) and np.all(np.isfinite(res.x)):
            fits[fam] = (res.x, res.fun, 2 * len(x0) + 2 * res.fun)
    if not fits:  # no family could be fitted numerically: the exponential MLE has a closed form
        mean = float((exact.sum() + cens.sum()) / len(exact))
        theta = np.log([mean])
        fits["exponential"] = (theta, float(_nll(theta, "exponential", exact, cens)), np.nan)
    fam = min(fits, key=lambda f: fits[f][2] if np.isfinite(fits[f][2]) else np.inf)
    theta, _, _ = fits[fam]
    H = _hessian(lambda t: _nll(t, fam, exact, cens), theta)
    try:
        with np.errstate(all="ignore"):
            se = float(np.sqrt(np.linalg.inv(H)[0, 0]))
    except (np.linalg.LinAlgError, ValueError):
        se = np.nan
    if not np.isfinite(se):
        se = 1.0 / np.sqrt(len(exact))
    z = stats.norm.ppf(0.5 + level / 2)
    mean = float(np.exp(theta[0]))
    cv = float(np.exp(theta[1])) if fam != "exponential" else 1.0
    lo, hi = (float(np.exp(np.clip(theta[0] + sign * z * se, -700.0, 700.0))) for sign in (-1, 1))
    return DurationFit(fam, mean, lo, hi, cv, len(exact), len(cens),
                       {f: float(v[2]) for f, v in fits.items() if np.isfinite(v[2])})
