"""Effects of a factorial study: main effects, two-way interactions, cell means
and how the variation splits between the factors and noise.

Why a regression: every cell ran the same replication seeds (common random
numbers), so replication ``i`` is a *block* -- the luck it carries (arrivals,
deal sizes, who turns out a star) is shared by every cell. An ordinary least
squares fit (``statsmodels``) of each KPI on the factors (effect coding),
their two-way interactions and the replication block takes that shared luck
out of the error term, which is where CRN's precision comes from. From the
fit:

* a **main effect** of level ``L`` of factor ``A`` is the difference of the
  marginal means ``mean(A = L) - mean(A = reference)``, averaged over the
  other factors' levels (the reference is the factor's first level);
* a **two-way interaction** of ``(A = a, B = b)`` is a difference of
  differences: the effect of ``b`` (vs B's reference) when ``A = a``, minus its
  effect when A is at its reference;
* both come with a Student-t confidence interval and p-value from the fit
  (``t_test`` on the contrast), so a difference the replications cannot
  resolve reads as such;
* the **sum of squares** of each term (ANOVA, type II) over the total says
  how much of the variation of the KPI across all runs each factor explains;
  what is left splits into higher-order interactions (a fit with one mean per
  cell explains it), luck shared by all cells (the replication block) and
  the rest of the noise.

Nothing here knows what a KPI means: any numeric column is analysed.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

NOISE_SHARED = "noise shared by all cells (replication luck)"
NOISE_WITHIN = "noise within cells"
HIGHER = "higher-order interactions"
ROUNDOFF = 1e-9  # relative to the KPI's scale: below it an effect or sum of squares is zero


@dataclass
class Effects:
    """The analysis of one study: tables with one row per (KPI, term) or (KPI, cell)."""

    factors: dict[str, list[str]]
    effects: Any  # kpi, kind, factor, level, factor_b, level_b, estimate, ci_low, ci_high, p_value
    variance: Any  # kpi, source, kind, sum_sq, share
    cells: Any  # kpi, <factor columns>, n, mean, std, ci_low, ci_high
    interactions: bool  # two-way interactions were estimated (not aliased)


def _clean(x: np.ndarray, tol: float) -> np.ndarray:
    """Round-off (an effect that is exactly zero under common random numbers fits as ~1e-11) to zero."""
    x = np.array(x, dtype=float)
    x[np.abs(x) < tol] = 0.0
    return x


def _fit(d, factors: dict[str, list[str]], interactions: bool):
    from sim.extras import require

    require("studies", "statsmodels")
    import statsmodels.formula.api as smf

    main = [f"C(f{i}, Sum)" for i in range(len(factors))]
    pairs = [f"{a}:{b}" for a, b in itertools.combinations(main, 2)] if interactions else []
    block = ["C(rep, Sum)"] if d["rep"].nunique() > 1 else []
    return smf.ols("y ~ " + " + ".join(main + pairs + block), d).fit(), main, pairs, block


def _finite(column) -> np.ndarray:
    """A KPI column as floats, NaN where a value is missing, not a number or not finite.

    A short horizon can leave a KPI undefined (e.g. growth before a full year)
    or infinite (a ratio over a zero cost): such values carry no effect and
    are left out rather than breaking the fit."""
    import pandas as pd

    y = np.array(pd.to_numeric(column, errors="coerce"), dtype=float)
    y[~np.isfinite(y)] = np.nan
    return y


def _frame(rows, factors: dict[str, list[str]], kpi: str):
    import pandas as pd

    sub = rows[[*factors, "rep"]].assign(y=_finite(rows[kpi])).dropna()
    if sub.empty:
        return pd.DataFrame({"y": [], "cell": []})
    d = pd.DataFrame({"y": sub["y"].to_numpy()})
    for i, (f, levels) in enumerate(factors.items()):
        d[f"f{i}"] = pd.Categorical(sub[f].to_numpy(), categories=levels)
    d["rep"] = pd.Categorical(sub["rep"].to_numpy())
    d["cell"] = pd.Categorical(sub[list(factors)].astype(str).agg("|".join, axis=1).to_numpy())
    return d


def _contrasts(fit, d, factors: dict[str, list[str]], interactions: bool) -> tuple[list[dict], np.ndarray]:
    """Rows describing each effect and the matrix L of contrasts on the coefficients,
    averaged over the run cells and replications (a balanced grid)."""
    import pandas as pd
    from patsy import build_design_matrices

    names = list(factors)
    cells = d[[f"f{i}" for i in range(len(names))]].drop_duplicates()
    reps = d["rep"].cat.categories
    grid = cells.merge(pd.DataFrame({"rep": pd.Categorical(reps, categories=reps)}), how="cross")
    grid["y"] = 0.0
    x = np.asarray(build_design_matrices([fit.model.data.orig_exog.design_info], grid)[0])

    def mean_x(cond: dict[int, str]) -> np.ndarray:
        mask = np.ones(len(grid), dtype=bool)
        for i, lv in cond.items():
            mask &= (grid[f"f{i}"] == lv).to_numpy()
        return x[mask].mean(axis=0) if mask.any() else np.full(x.shape[1], np.nan)

    info, rows = [], []
    for i, f in enumerate(names):
        ref = factors[f][0]
        for lv in factors[f][1:]:
            info.append({"kind": "main", "factor": f, "level": lv, "factor_b": None, "level_b": None,
                         "reference": ref, "reference_b": None})
            rows.append(mean_x({i: lv}) - mean_x({i: ref}))
    if interactions:
        for (i, a), (j, b) in itertools.combinations(enumerate(names), 2):
            ra, rb = factors[a][0], factors[b][0]
            for la in factors[a][1:]:
                for lb in factors[b][1:]:
                    info.append({"kind": "interaction", "factor": a, "level": la, "factor_b": b, "level_b": lb,
                                 "reference": ra, "reference_b": rb})
                    rows.append(mean_x({i: la, j: lb}) - mean_x({i: la, j: rb})
                                - mean_x({i: ra, j: lb}) + mean_x({i: ra, j: rb}))
    return info, np.array(rows)


def _variance(fit, d, names: list[str], main: list[str], pairs: list[str], block: list[str]) -> list[dict]:
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    total = float(fit.centered_tss)
    try:
        table = anova_lm(fit, typ=2)
        sum_sq = {t: float(table.loc[t, "sum_sq"]) for t in main + pairs + block if t in table.index}
    except (ValueError, np.linalg.LinAlgError):  # no residual degrees of freedom (one replication)
        sum_sq = _type2_by_refits(d, main, pairs, block)
    label = {m: names[i] for i, m in enumerate(main)}
    out: list[dict[str, Any]] = []
    for term in main + pairs:
        a, _, b = term.partition(":")
        source = label[a] if not b else f"{label[a]} x {label[b]}"
        ss = sum_sq.get(term, math.nan)
        out.append({"source": source, "kind": "main" if not b else "interaction", "sum_sq": ss})
    shared = sum_sq.get(block[0], 0.0) if block else 0.0
    cell_formula = "y ~ C(cell)" + (" + C(rep, Sum)" if block else "")
    within = float(smf.ols(cell_formula, d).fit().ssr) if d["cell"].nunique() > 1 else float(fit.ssr)
    out.append({"source": HIGHER, "kind": "rest", "sum_sq": max(0.0, float(fit.ssr) - within)})
    out.append({"source": NOISE_SHARED, "kind": "noise", "sum_sq": shared})
    out.append({"source": NOISE_WITHIN, "kind": "noise", "sum_sq": within})
    for r in out:
        r["share"] = r["sum_sq"] / total if total > 0 else math.nan
    return out


def _type2_by_refits(d, main: list[str], pairs: list[str], block: list[str]) -> dict[str, float]:
    """Type II sums of squares from nested least-squares fits, which need no estimate of the error
    variance (statsmodels' ``anova_lm`` does, and fails when a saturated design with one replication
    leaves none): a term's sum of squares is the rise in the residual sum of squares when it is
    dropped from the model that holds every term not containing it."""
    import statsmodels.formula.api as smf

    terms = main + pairs + block

    def ssr(keep: list[str]) -> float:
        return float(smf.ols("y ~ " + (" + ".join(keep) if keep else "1"), d).fit().ssr)

    out = {}
    for term in terms:
        parts = set(term.split(":"))
        others = [t for t in terms if t != term and not (len(t.split(":")) > len(parts) and parts <= set(t.split(":")))]
        out[term] = max(0.0, ssr([t for t in others]) - ssr(others + [term]))
    return out


def _cell_means(rows, factors: dict[str, list[str]], kpi: str, confidence: float) -> list[dict]:
    from sim.experiments.montecarlo.stats import t_interval

    out = []
    for levels, group in rows.groupby(list(factors), sort=False):
        x = _finite(group[kpi])
        x = x[~np.isnan(x)]
        lo, hi = t_interval(x, confidence) if len(x) else (math.nan, math.nan)
        levels = levels if isinstance(levels, tuple) else (levels,)
        out.append({"kpi": kpi, **dict(zip(factors, levels, strict=True)), "n": len(x),
                    "mean": float(x.mean()) if len(x) else math.nan,
                    "std": float(x.std(ddof=1)) if len(x) > 1 else math.nan, "ci_low": lo, "ci_high": hi})
    return out


def analyse(rows, factors: dict[str, list[str]], kpis: list[str], *, interactions: bool = True,
            confidence: float = 0.95) -> Effects:
    """Effects of ``factors`` (name -> levels, reference first) on each KPI.

    ``rows``: one row per (cell, replication) with a column per factor (the
    level's name), ``rep`` and the KPI columns. Rows with an error or a
    missing KPI value are left out of that KPI's fit.
    """
    import pandas as pd

    if "error" in rows.columns:
        rows = rows[rows["error"].isna()]
    eff, var, cells = [], [], []
    names = list(factors)
    for kpi in kpis:
        if kpi not in rows.columns:
            continue
        cells += _cell_means(rows, factors, kpi, confidence)
        d = _frame(rows, factors, kpi)
        if d.empty or d["cell"].nunique() < 2:
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fit, main, pairs, block = _fit(d, factors, interactions)
            info, lmat = _contrasts(fit, d, factors, interactions)
            test = fit.t_test(lmat)
            tol = ROUNDOFF * max(1.0, float(d["y"].abs().max()))  # exact zeros stay zeros
            est = _clean(np.atleast_1d(test.effect), tol)
            ci = _clean(np.atleast_2d(test.conf_int(alpha=1 - confidence)), tol)
            pv = np.atleast_1d(test.pvalue)
            for k, row in enumerate(info):
                eff.append({"kpi": kpi, **row, "estimate": float(est[k]), "ci_low": float(ci[k, 0]),
                            "ci_high": float(ci[k, 1]), "p_value": float(pv[k]), "n": len(d)})
            for r in _variance(fit, d, names, main, pairs, block):
                if r["sum_sq"] < tol * tol * len(d):
                    r["sum_sq"], r["share"] = 0.0, (0.0 if not math.isnan(r["share"]) else math.nan)
                var.append({"kpi": kpi, **r})
    return Effects(factors, pd.DataFrame(eff), pd.DataFrame(var), pd.DataFrame(cells), interactions)
