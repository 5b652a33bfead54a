"""Sensitivity of a KPI to swept parameters: global indices and tornado data.

Why these methods: with a Sobol (Saltelli) design we report Sobol' first-order
and total indices (SALib): the share of the KPI's variance each parameter
explains alone, and with its interactions. With a Morris design, SALib's
elementary effects (``mu_star`` ranks importance, ``sigma`` flags
non-linearity or interactions) -- cheaper, for screening many parameters.
Grid and Latin-hypercube designs get Spearman rank correlations (scipy):
monotone association, with a p-value; read them as a ranking, not as shares
of variance. Each point's KPI is its mean over replications, which (with
common random numbers across points) removes most replication noise.

The tornado compares one-at-a-time runs: each parameter at LOW and at HIGH,
the others at the scenario's values; the bar is the paired difference
``KPI(HIGH) - KPI(LOW)`` with its confidence interval.
"""

from __future__ import annotations

import math

import numpy as np

from sim.experiments.montecarlo.design import salib_problem
from sim.experiments.montecarlo.stats import ok_rows, paired_stats
from sim.experiments.runner.seeds import purpose_seed


def _design_means(rows, metric: str) -> np.ndarray:
    design = rows[rows["design"] == "design"]
    n = int(design["point"].max()) + 1 if len(design) else 0
    means = ok_rows(design).groupby("point")[metric].mean()
    return means.reindex(range(n)).to_numpy(dtype=float)


def sensitivity(rows, params, design: str, metric: str, manifest: dict):
    """One row per parameter; ``attrs['method']`` names the estimator."""
    import pandas as pd

    y = _design_means(rows, metric)
    names = [p.path for p in params]
    root = int(manifest.get("root_seed", 0))
    if np.isnan(y).any() or len(y) == 0:
        df = pd.DataFrame({"param": names})
        df.attrs["method"] = "none: some design points have no finished replication"
        return df
    if design == "sobol":
        from SALib.analyze import sobol

        seed = int(purpose_seed(root, "analysis/sobol").generate_state(1)[0])
        si = sobol.analyze(salib_problem(params), y, calc_second_order=False, seed=seed)
        df = pd.DataFrame({"param": names, "S1": si["S1"], "S1_conf": si["S1_conf"],
                           "ST": si["ST"], "ST_conf": si["ST_conf"]})
        df.attrs["method"] = "Sobol' indices (SALib, Saltelli sampling; conf = 95% bootstrap half-width)"
    elif design == "morris":
        from SALib.analyze import morris

        x = np.asarray(manifest["design"]["raw"], dtype=float)
        seed = int(purpose_seed(root, "analysis/morris").generate_state(1)[0])
        si = morris.analyze(salib_problem(params), x, y, num_levels=4, seed=seed)
        df = pd.DataFrame({"param": names, "mu": si["mu"], "mu_star": si["mu_star"], "sigma": si["sigma"],
                           "mu_star_conf": si["mu_star_conf"]})
        df.attrs["method"] = "Morris elementary effects (SALib)"
    else:
        from scipy import stats

        pts = rows[rows["design"] == "design"].drop_duplicates("point").sort_values("point")
        out = []
        for p in params:
            x = pts[p.column].to_numpy(dtype=float)
            if np.ptp(x) == 0 or np.ptp(y) == 0:
                rho, pv = math.nan, math.nan
            else:
                r = stats.spearmanr(x, y)
                rho, pv = float(r.statistic), float(r.pvalue)
            out.append({"param": p.path, "spearman_rho": rho, "p_value": pv})
        df = pd.DataFrame(out)
        df.attrs["method"] = "Spearman rank correlation of point means (scipy)"
    df.insert(1, "metric", metric)
    return df


def tornado(rows, params, metric: str):
    """Tornado data, widest swing first: KPI at LOW, base and HIGH; paired swing and CI."""
    import pandas as pd

    ok = ok_rows(rows)
    base = ok[ok["design"] == "base"].set_index("rep")[metric]
    if not len(base):
        return pd.DataFrame()
    out = []
    for p in params:
        low = ok[(ok["design"] == "oat_low") & (ok["varied"] == p.path)].set_index("rep")[metric]
        high = ok[(ok["design"] == "oat_high") & (ok["varied"] == p.path)].set_index("rep")[metric]
        common = low.index.intersection(high.index)
        s = paired_stats(low.loc[common].to_numpy(), high.loc[common].to_numpy())
        out.append({"param": p.path, "metric": metric, "low": p.value(p.low), "high": p.value(p.high),
                    "at_low": low.mean(), "at_base": base.mean(), "at_high": high.mean(),
                    "swing": s["diff"], "swing_ci_low": s["diff_ci_low"], "swing_ci_high": s["diff_ci_high"],
                    "p_value": s["p_value"]})
    df = pd.DataFrame(out)
    return df.reindex(df["swing"].abs().sort_values(ascending=False).index).reset_index(drop=True)
