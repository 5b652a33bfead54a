"""First-touch waits in both clocks.

A lead's first touch is the start of its first task (an MDR call-back, an
SDR's first dial). Its wait runs from the lead being ready for that task to
the touch, in calendar hours (what the buyer lives through, and what the
speed-to-lead curve reads) and in business hours of the worker's calendar
(what an SLA in ``business_hours`` counts). Without a calendar every hour is a
working hour, so business hours are not reported (null).
"""

from __future__ import annotations

import numpy as np

from sim.records.facts import Facts


def _stats(days: np.ndarray) -> dict | None:
    x = days[~np.isnan(days)] * 24.0
    if not len(x):
        return None
    return {"median": round(float(np.median(x)), 3), "p90": round(float(np.percentile(x, 90)), 3),
            "mean": round(float(x.mean()), 3)}


def first_touch(f: Facts) -> dict:
    """``{leads, calendar_hours, business_hours, by_source: {source: {...}}}``; the
    hour figures are ``{median, p90, mean}``."""
    t = f.touches
    if not len(t.get("t", [])):
        return {"leads": 0, "calendar_hours": None, "business_hours": None, "by_source": {}}

    def block(m):
        return {"leads": int(m.sum()), "calendar_hours": _stats(t["wait_days"][m]),
                "business_hours": _stats(t["business_days"][m])}

    out = block(np.ones(len(t["t"]), dtype=bool))
    out["by_source"] = {name: block(t["source"] == i) for i, name in enumerate(f.layout.sources)
                        if (t["source"] == i).any()}
    return out


def reported_shape(sources: list[str], business_hours: bool) -> dict:
    """What :func:`first_touch` returns when every source has touches, its figures left ``None``:
    the names a run can report, known without running (:func:`sim.run.report_shape`). Whether a
    run reports them is up to its data (no touch, no figures); business hours are figures only
    with a calendar."""
    def block() -> dict:
        stats = {"median": None, "p90": None, "mean": None}
        return {"leads": 0, "calendar_hours": dict(stats), "business_hours": dict(stats) if business_hours else None}

    return {**block(), "by_source": {name: block() for name in sources}}
