"""Weekly time series of a run."""

from __future__ import annotations

import numpy as np

from sim.metrics.economics import economics_kpis
from sim.metrics.market_kpis import market_weekly
from sim.metrics.onboarding_kpis import onboarding_kpis
from sim.metrics.pod_kpis import pod_weekly
from sim.metrics.revenue import revenue_kpis
from sim.records.facts import Facts
from sim.units import week_index


def weekly_frame(f: Facts):
    """One row per week: lead flows (created, won, bookings, lost), pipeline per
    stage at the end of the week, the mean queue length per role during the week,
    the ARR bridge, customers, recognized revenue, invoices, cash and cost."""
    import pandas as pd

    L = f.layout
    nw = L.n_weeks
    data = {"week": np.arange(nw)}
    for k, v in f.weekly.items():
        if k != "lost_decided":
            data[k] = v.astype(np.int64) if k != "bookings_usd" else v
    if len(f.samples_t):
        week_of = week_index(f.samples_t, nw)
        last_sample = np.full(nw, -1)
        last_sample[week_of] = np.arange(len(week_of))  # later samples overwrite earlier
        counts = np.bincount(week_of, minlength=nw)
        for s, name in enumerate(L.stages[:-1]):
            col = f.wip[:, s]
            data[f"pipeline_{name}"] = np.where(last_sample >= 0, col[last_sample], 0)
        for r, name in enumerate(L.roles):
            sums = np.bincount(week_of, weights=f.queue[:, r], minlength=nw)
            data[f"queue_{name}"] = np.divide(sums, counts, out=np.zeros(nw), where=counts > 0)
    money, weekly = revenue_kpis(f)
    data.update(weekly)
    data.update(onboarding_kpis(f)[1])
    data.update(pod_weekly(f))
    data.update(market_weekly(f))
    _, data["cost_usd"] = economics_kpis(f, weekly["arr_usd"])
    return pd.DataFrame(data)
