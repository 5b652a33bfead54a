"""Stage conversion per segment (and per source) with exact confidence intervals.

A step's conversion is the share of opportunities that left the stage before
it (moved on or were lost) and moved on, as the simulator's KPI defines it;
opportunities still open in the stage are left out (their outcome is
unknown, and in the model the draw does not depend on the time spent). The
interval is Clopper-Pearson (``scipy.stats.binomtest``): its coverage is at
least the stated level, whatever the sample size.

Sources: a source may convert better or worse than its segments' rates. The
model has one multiplier per (source, step), so the rates are fitted
jointly: segment rates and source multipliers alternately (a raking fit),
and a multiplier is kept only when the source differs from what its segment
mix predicts beyond chance (two-sided p < ``MULTIPLIER_P``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.paths import LOST, WON, Paths

LEVEL = 0.95
MULTIPLIER_P = 0.01


def _ci(x: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    ci = stats.binomtest(int(x), int(n)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def step_counts(p: Paths) -> pd.DataFrame:
    """Per opportunity and step: whether it was at risk (left the stage before) and moved on."""
    o = p.opps
    out = []
    for k in range(1, len(p.order)):
        was_in = (o["entry"] <= k - 1) & (o["reached"] >= k - 1)
        moved = o["reached"] >= k
        left = moved | ((o["reached"] == k - 1) & o["outcome"].isin([LOST, WON]))
        at_risk = was_in & left
        out.append(pd.DataFrame({"segment": o.loc[at_risk, "segment"], "source": o.loc[at_risk, "source"],
                                 "step": p.order[k], "moved": moved[at_risk].astype(int)}))
    return pd.concat(out, ignore_index=True)


def conversion_table(p: Paths, level: float = LEVEL) -> pd.DataFrame:
    """Rows per (segment, source, step) plus pooled rows (source ``*``): n, moved on, rate, CI."""
    c = step_counts(p)
    by_src = c.groupby(["segment", "source", "step"], observed=True)["moved"].agg(["size", "sum"]).reset_index()
    pooled = c.groupby(["segment", "step"], observed=True)["moved"].agg(["size", "sum"]).reset_index()
    pooled["source"] = "*"
    t = pd.concat([pooled, by_src], ignore_index=True).rename(columns={"size": "n", "sum": "x"})
    t["p"] = t["x"] / t["n"].where(t["n"] > 0)
    cis = [_ci(x, n, level) for x, n in zip(t["x"], t["n"], strict=True)]
    t["lo"], t["hi"] = [a for a, _ in cis], [b for _, b in cis]
    steps = {s: i for i, s in enumerate(p.order)}
    t["_k"] = t["step"].map(steps)
    return t.sort_values(["segment", "source", "_k"]).drop(columns="_k").reset_index(drop=True)


def source_multipliers(p: Paths, table: pd.DataFrame, iterations: int = 20) -> pd.DataFrame:
    """Per (source, step): multiplier on the segment rates, its p-value and whether it is kept."""
    c = table[table["source"] != "*"]
    rows = []
    for step, cs in c.groupby("step", sort=False):
        n = cs.pivot_table(index="source", columns="segment", values="n", aggfunc="sum", fill_value=0)
        x = cs.pivot_table(index="source", columns="segment", values="x", aggfunc="sum", fill_value=0)
        N, X = n.to_numpy(dtype=float), x.reindex_like(n).fillna(0).to_numpy(dtype=float)
        seg_rate = X.sum(0) / np.maximum(N.sum(0), 1)  # pooled rates: the null of "no source effect"
        base, mult = seg_rate.copy(), np.ones(len(n))
        for _ in range(iterations):  # rake: multipliers given rates, then rates given multipliers
            exp = N @ base
            mult = np.where(exp > 0, X.sum(1) / np.where(exp > 0, exp, 1), 1.0)
            denom = mult @ N
            base = np.where(denom > 0, np.minimum(1.0, X.sum(0) / np.where(denom > 0, denom, 1)), base)
        exp0 = N @ seg_rate
        var0 = N @ (seg_rate * (1 - seg_rate))
        for i, src in enumerate(n.index):
            z = (X[i].sum() - exp0[i]) / np.sqrt(var0[i]) if var0[i] > 0 else 0.0
            pval = float(2 * stats.norm.sf(abs(z)))
            rows.append({"source": src, "step": step, "n": int(N[i].sum()), "observed": int(X[i].sum()),
                         "expected": float(exp0[i]), "multiplier": float(mult[i]), "p_value": pval,
                         "kept": bool(pval < MULTIPLIER_P and len(n) > 1)})
    return pd.DataFrame(rows)


def entry_stages(p: Paths) -> pd.DataFrame:
    """Per source: the stage most of its opportunities entered at, and that share."""
    rows = []
    for src, g in p.opps.groupby("source"):
        counts = g["entry"].value_counts()
        k = int(counts.index[0])
        rows.append({"source": src, "entry_stage": p.order[k], "share": counts.iloc[0] / len(g), "n": len(g)})
    return pd.DataFrame(rows)


def skip_shares(p: Paths) -> pd.DataFrame:
    """How often each stage was passed over (the path went past it without entering it)."""
    rows = []
    t = p.entered.reindex(columns=p.order)
    o = p.opps.set_index("opportunity_id").loc[t.index]
    for k, stage in enumerate(p.order[1:-1], start=1):
        through = (o["entry"] < k) & (o["reached"] > k)
        skipped = through & t[stage].isna()
        rows.append({"stage": stage, "passed_through": int(through.sum()), "skipped": int(skipped.sum())})
    return pd.DataFrame(rows)
