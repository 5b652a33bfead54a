"""Stage conversion per segment (and per source) with exact confidence intervals.

A step's conversion is the share of opportunities that left the stage before
it (moved on or were lost) and moved on, as the simulator's KPI defines it;
opportunities still open in the stage are left out (their outcome is
unknown, and in the model the draw does not depend on the time spent). The
interval is Clopper-Pearson (``scipy.stats.binomtest``): its coverage is at
least the stated level, whatever the sample size.

Sources: a source may convert better or worse than its segments' rates. The
model has one multiplier per (source, step); a multiplier is kept only when
the source differs from what its segment mix predicts beyond chance
(two-sided p < ``MULTIPLIER_P``), and the segment rates are then those of
the other sources (see :func:`source_multipliers`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.paths import LOST, WON, Paths

LEVEL = 0.95
MULTIPLIER_P = 0.01


def exact_ci(x: int, n: int, level: float = LEVEL) -> tuple[float, float]:
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
    cis = [exact_ci(x, n, level) for x, n in zip(t["x"], t["n"], strict=True)]
    t["lo"], t["hi"] = [a for a, _ in cis], [b for _, b in cis]
    steps = {s: i for i, s in enumerate(p.order)}
    t["_k"] = t["step"].map(steps)
    return t.sort_values(["segment", "source", "_k"]).drop(columns="_k").reset_index(drop=True)


def source_multipliers(p: Paths, table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (source, step): the multiplier on its segments' rates, its p-value, whether it is kept;
    and, for steps with a kept multiplier, the segment rates of the reference sources.

    Each source is tested against what the pooled segment rates predict for its
    segment mix. Where some source differs, the scenario's segment rate must be
    that of the sources *without* a multiplier (the reference; the largest
    source if all differ), and each kept source's multiplier is its wins over
    what the reference rates predict; writing the pooled rate instead would
    count the different source twice.
    """
    c = table[table["source"] != "*"]
    rows, refs = [], []
    for step, cs in c.groupby("step", sort=False):
        n = cs.pivot_table(index="source", columns="segment", values="n", aggfunc="sum", fill_value=0)
        x = cs.pivot_table(index="source", columns="segment", values="x", aggfunc="sum", fill_value=0)
        N, X = n.to_numpy(dtype=float), x.reindex_like(n).fillna(0).to_numpy(dtype=float)
        pooled = X.sum(0) / np.maximum(N.sum(0), 1)  # the null of "no source effect"
        exp0, var0 = N @ pooled, N @ (pooled * (1 - pooled))
        z = np.where(var0 > 0, (X.sum(1) - exp0) / np.sqrt(np.where(var0 > 0, var0, 1)), 0.0)
        pval = 2 * stats.norm.sf(np.abs(z))
        kept = (pval < MULTIPLIER_P) & (len(n) > 1)
        if kept.all():
            kept[int(np.argmax(N.sum(1)))] = False  # the largest source is the reference
        ref = ~kept
        rn, rx = N[ref].sum(0), X[ref].sum(0)
        base = np.where(rn > 0, rx / np.maximum(rn, 1), pooled)
        exp = N @ base
        mult = np.where(kept & (exp > 0), X.sum(1) / np.where(exp > 0, exp, 1), 1.0)
        for i, src in enumerate(n.index):
            rows.append({"source": src, "step": step, "n": int(N[i].sum()), "observed": int(X[i].sum()),
                         "expected": float(exp0[i]), "multiplier": float(mult[i]), "p_value": float(pval[i]),
                         "kept": bool(kept[i])})
        if kept.any():
            for j, seg in enumerate(n.columns):
                lo, hi = exact_ci(rx[j], rn[j])
                refs.append({"segment": seg, "step": step, "n": int(rn[j]), "x": int(rx[j]), "p": float(base[j]),
                             "lo": lo, "hi": hi, "sources": ", ".join(n.index[ref])})
    return pd.DataFrame(rows), pd.DataFrame(refs, columns=["segment", "step", "n", "x", "p", "lo", "hi", "sources"])


def entry_stages(p: Paths) -> pd.DataFrame:
    """Per source: the stage before the win most of its opportunities entered at, and that share
    (a deal recorded only at the win has no entry stage of its own; the scenario needs one)."""
    rows = []
    last = len(p.order) - 1
    for src, g in p.opps.groupby("source"):
        counts = g.loc[g["entry"] < last, "entry"].value_counts()
        if len(counts):
            k, share = int(counts.index[0]), counts.iloc[0] / len(g)
        else:  # every deal of the source was recorded only at the win: it enters just before it
            k, share = last - 1, 0.0
        rows.append({"source": src, "entry_stage": p.order[k], "share": share, "n": len(g)})
    return pd.DataFrame(rows, columns=["source", "entry_stage", "share", "n"])


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
