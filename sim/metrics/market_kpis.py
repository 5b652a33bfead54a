"""Market penetration per slice (with a ``market`` section, see
:mod:`sim.model.market`): how much of each slice's outbound accounts has been
reached, won and used up."""

from __future__ import annotations

import numpy as np

from sim.records.facts import Facts
from sim.units import week_index


def market_kpis(f: Facts) -> dict:
    table = f.people.get("market")
    if table is None:
        return {}
    out = {}
    for name, row in table.items():
        n = row["accounts"]
        won, touched, exhausted = len(row["won_days"]), len(row["taken_days"]), len(row["exhausted_days"])
        left = n - row["customers"] - exhausted
        out[name] = {"accounts": n, "touched": touched, "customers": row["customers"], "ever_customers": won,
                     "exhausted": exhausted, "penetration": round(won / n, 4) if n else None,
                     "touched_share": round(touched / n, 4) if n else None,
                     "available_share": round(left / n, 4) if n else None, "saturated": n > 0 and left <= 0}
        if "inbound" in row:  # market.inbound_from_market: inbound leads that were this slice's accounts
            out[name]["inbound_leads"] = row["inbound"]
    missed = f.people.get("market_not_arrived")
    if missed is not None:
        return {"market_penetration": out, "inbound_not_arrived": {k: int(v) for k, v in sorted(missed.items())}}
    return {"market_penetration": out}


def market_weekly(f: Facts) -> dict[str, np.ndarray]:
    """Per slice, the share of its accounts that had become customers by each week's end."""
    table = f.people.get("market")
    if table is None:
        return {}
    nw = f.layout.n_weeks
    out = {}
    for name, row in table.items():
        won = np.bincount(week_index(np.asarray(row["won_days"], dtype=float), nw), minlength=nw)[:nw]
        out[f"market_penetration_{name}"] = np.cumsum(won) / row["accounts"] if row["accounts"] else np.zeros(nw)
    return out
