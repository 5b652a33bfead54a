"""The goodness-of-fit figure of a calibration: time in stage, data against fits.

One panel per (segment, step): the Kaplan-Meier survival curve of the days
in the stage before the step (open deals censored; ``scipy.stats.ecdf``)
against the survival function of the family AIC chose. A family that follows the steps of the data is a family the
simulation can trust for that stage.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.calibration.fit_durations import FLOOR_DAYS
from sim.plots import save_png

MAX_PANELS = 24


def plot_durations(fit, path, flag: str = "--out") -> None:
    save_png(durations_figure(fit), path, flag)


def durations_figure(fit):
    """One panel per fitted (segment, step): Kaplan-Meier of the data against the fit."""
    from matplotlib.figure import Figure

    rows = fit.paths.days_in_stage()
    keys = [(k, v) for k, v in sorted(fit.durations.items()) if v[0] is not None and v[0].family != "constant"]
    fitted = len(keys)
    keys = keys[:MAX_PANELS]  # a panel costs about 0.2 s: a history of 30 stages x 30 segments must not take minutes
    n = max(len(keys), 1)
    cols = min(4, n)
    nrows = int(np.ceil(n / cols))
    fig = Figure(figsize=(3.4 * cols, 2.6 * nrows), layout="constrained")
    order = fit.order
    for i, ((seg, step), (d, basis)) in enumerate(keys):
        ax = fig.add_subplot(nrows, cols, i + 1)
        before = order[order.index(step) - 1]
        r = rows[rows["stage"] == before]
        if basis == "segment":
            r = r[r["segment"] == seg]
        x = np.maximum(r["days"].to_numpy(), FLOOR_DAYS)
        cens = r["censored"].to_numpy()
        data = stats.CensoredData(uncensored=x[~cens], right=x[cens])
        km = stats.ecdf(data).sf
        ax.step(km.quantiles, km.probabilities, where="post", color="black", lw=1.2, label="data (KM)")
        grid = np.linspace(0, float(np.quantile(x, 0.98)) * 1.1 + 1e-9, 200)
        ax.plot(grid, d.dist().sf(grid), "-", color="C0", lw=1.6, label=f"{d.family} (lowest AIC)")
        ax.set_title(f"{seg}: {before} -> {step}", fontsize=8)
        ax.set_xlabel("days in stage", fontsize=7)
        ax.set_ylabel("still in stage", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    if not keys:
        fig.add_subplot(1, 1, 1).text(0.5, 0.5, "no stage with a fitted duration", ha="center", va="center")
    if fitted > len(keys):
        fig.suptitle(f"the first {len(keys)} of {fitted} fitted durations; every fit is in fit_report.md", fontsize=9)
    return fig
