"""Deal value: list ACV (lognormal MLE) and discount at signature (beta MLE), per segment.

The list value is ``list_amount`` where the export has it, else ``amount`` of
deals that were not won (a won deal's amount is after discount). The discount
of a won deal is ``1 - amount / list_amount``; without list prices there is
no discount to fit and the report says the scenario assumes none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.paths import WON, Paths

LEVEL = 0.95
MIN_DISCOUNT = 1e-3  # below this a discount is none (beta needs values inside (0, 1))


@dataclass
class AcvFit:
    median: float
    median_lo: float
    median_hi: float
    sigma: float
    n: int

    def spec(self) -> dict:
        median = min(max(float(f"{self.median:.6g}"), 1e-9), 1e12)  # the format's bounds
        return {"dist": "lognormal", "median": median, "sigma": round(min(max(self.sigma, 0.0), 5.0), 4)}


@dataclass
class DiscountFit:
    mean: float
    mean_lo: float
    mean_hi: float
    concentration: float
    n: int
    share_discounted: float

    def spec(self) -> dict | float:
        if self.mean <= 0:
            return 0.0
        return {"dist": "beta", "mean": round(min(max(self.mean, 1e-4), 0.9999), 4),
                "concentration": float(min(max(float(f"{self.concentration:.6g}"), 1e-3), 1e6))}


def fit_acv(values: np.ndarray, level: float = LEVEL) -> AcvFit | None:
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if len(x) < 2:
        return None
    logs = np.log(x)
    mu, sigma = float(logs.mean()), float(logs.std(ddof=0))  # the lognormal MLE
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * logs.std(ddof=1) / np.sqrt(len(x))
    return AcvFit(float(np.exp(mu)), float(np.exp(mu - half)), float(np.exp(mu + half)), sigma, len(x))


MIN_PER_PRODUCT = 5  # list values a product needs in a segment to be a component of its value mixture


def fit_mixture(values: np.ndarray, products: np.ndarray) -> list[tuple[float, AcvFit]] | None:
    """A segment's deal value as a mixture of one lognormal per product (weight: the product's share of
    the values), when it sells at least two products with ``MIN_PER_PRODUCT`` values each; products with
    fewer values are left out and the weights renormalized."""
    x = np.asarray(values, dtype=float)
    prod = np.asarray(products, dtype=object)
    ok = np.isfinite(x) & (x > 0)
    x, prod = x[ok], prod[ok]
    parts = []
    for name in sorted({str(p) for p in prod}):
        sel = prod.astype(str) == name
        if sel.sum() >= MIN_PER_PRODUCT:
            f = fit_acv(x[sel])
            if f is not None:
                parts.append((float(sel.sum()), f))
    if len(parts) < 2:
        return None
    total = sum(n for n, _ in parts)
    return [(n / total, f) for n, f in parts]


def mixture_spec(parts: list[tuple[float, AcvFit]]) -> dict:
    comps = [{"weight": round(w, 4), **{k: v for k, v in f.spec().items() if k != "dist"}} for w, f in parts]
    comps[-1]["weight"] = round(1.0 - sum(c["weight"] for c in comps[:-1]), 4)
    return {"dist": "lognormal_mixture", "components": comps}


def fit_discount(fractions: np.ndarray, level: float = LEVEL) -> DiscountFit | None:
    d = np.asarray(fractions, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return None
    d = np.clip(d, 0.0, 0.999)
    some = d >= MIN_DISCOUNT
    if some.sum() < 2:
        return DiscountFit(0.0, 0.0, 0.0, 0.0, len(d), float(some.mean()))
    x = np.clip(d, MIN_DISCOUNT, 0.999)
    try:
        a, b, _, _ = stats.beta.fit(x, floc=0, fscale=1)
    except Exception:  # noqa: BLE001 - scipy's solver gives up on some samples (FitSolverError and others)
        a = b = np.nan
    if not (np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0):
        a, b = _beta_moments(x)
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    mean = float(a / (a + b))
    return DiscountFit(mean, max(mean - half, 0.0), min(mean + half, 1.0), float(a + b), len(d), float(some.mean()))


def _beta_moments(x: np.ndarray) -> tuple[float, float]:
    """Beta parameters by the method of moments (when the MLE fails); a tight beta at the mean when
    the sample has no spread."""
    m, v = float(np.mean(x)), float(np.var(x, ddof=1)) if len(x) > 1 else 0.0
    conc = m * (1 - m) / v - 1 if v > 0 else 1e5
    conc = min(max(conc, 1e-2), 1e5)
    return m * conc, (1 - m) * conc


def list_values(p: Paths) -> pd.Series:
    o = p.opps
    if o["list_amount"].notna().any():
        return o["list_amount"]
    return o["amount"].where(o["outcome"] != WON)


ABOVE_LIST_SHARE = 0.2  # more won deals than this sold above list: list prices are not a ceiling here
MIN_WON_FOR_BOOKED = 2  # without list prices, a segment with at least this many won amounts is fitted on them


def money_by_segment(p: Paths) -> dict[str, dict]:
    """Per segment: ``acv`` (AcvFit or None), ``discount`` (DiscountFit or None) and ``note``.

    Sales above list: a won deal booked above its list price has a negative discount, which the
    scenario's discount (a fraction from 0 to 1) cannot hold. When more than ``ABOVE_LIST_SHARE``
    of a segment's won deals with a list price sold above it, the list price is no ceiling: the
    deal value is fitted on the booked amounts of won deals and no discount is written (stated).
    Otherwise negative discounts are clipped to 0 and counted.

    No list prices at all (no ``list_amount`` column mapped, as in a Salesforce export): the deal
    value is fitted on the won deals' booked amounts, not on the lost and open deals' amounts, which
    measure other deals (stated in the note; a segment with fewer than ``MIN_WON_FOR_BOOKED`` won
    amounts falls back to those amounts)."""
    o = p.opps
    lv = list_values(p)
    has_list = bool(o["list_amount"].notna().any())
    out: dict[str, dict[str, Any]] = {}
    for seg, g in o.groupby("segment"):
        won = g[g["outcome"] == WON]
        booked_won = won["amount"].to_numpy(dtype=float, na_value=np.nan)
        booked_won = booked_won[np.isfinite(booked_won) & (booked_won > 0)]
        if not has_list and len(booked_won) >= MIN_WON_FOR_BOOKED:
            # No list prices: the amounts of lost and open deals are no list price of the won ones (big
            # deals are lost more often; a Salesforce Amount is the rep's latest estimate), so the deal
            # value is what the won deals booked, and no discount can be measured.
            others = g.loc[g["outcome"] != WON, "amount"].to_numpy(dtype=float, na_value=np.nan)
            others = others[np.isfinite(others) & (others > 0)]
            ratio = (f"; the {len(others)} lost or open deals' amounts average "
                     f"{others.mean() / booked_won.mean():.1f}x the won deals' and are left out") if len(others) else ""
            out[seg] = {"acv": fit_acv(booked_won), "discount": None, "booked": True, "no_list": True,
                        "note": f"no list prices in the export: value fitted on the {len(booked_won)} won deals' "
                                f"booked amounts{ratio}"}
            continue
        with np.errstate(all="ignore"):
            disc = (1 - won["amount"] / won["list_amount"].where(won["list_amount"] > 0)) \
                if won["list_amount"].notna().any() else pd.Series([], dtype=float)
        disc = disc[np.isfinite(disc.to_numpy(dtype=float, na_value=np.nan))]
        above = int((disc < -1e-9).sum())
        if len(disc) and above > ABOVE_LIST_SHARE * len(disc):
            booked = won["amount"].to_numpy(dtype=float, na_value=np.nan)
            out[seg] = {"acv": fit_acv(booked), "discount": None, "booked": True,
                        "note": f"{above} of {len(disc)} won deals sold above list (mean discount "
                                f"{disc.mean():+.2%}): value fitted on booked amounts, no discount"}
            if "product" in won and won["product"].nunique() > 1:
                out[seg]["mixture"] = fit_mixture(booked, won["product"].to_numpy())
            continue
        note = f"{above} won deal(s) above list counted as no discount" if above else ""
        out[seg] = {"acv": fit_acv(lv.loc[g.index].to_numpy()), "discount": fit_discount(disc.to_numpy()),
                    "booked": False, "note": note}
        if "product" in g and g["product"].nunique() > 1:  # products of different sizes: one lognormal each
            out[seg]["mixture"] = fit_mixture(lv.loc[g.index].to_numpy(), g["product"].to_numpy())
    return out
