"""The initial pipeline's share of a run (scenario key ``initial_pipeline``, see
:mod:`sim.model.pipeline`): the open deals the run started with, what they
were worth, how many were won, lost or still open at the end, and the
bookings they brought beside those of the leads that arrived during the run."""

from __future__ import annotations

from sim.records.facts import Facts


def pipeline_kpis(f: Facts, bookings_usd: float) -> dict:
    t = f.people.get("initial_pipeline")
    if t is None:
        return {}
    n, won, lost = int(t["deals"]), int(t["won"]), int(t["lost"])
    booked = float(t["bookings_usd"])
    return {"initial_pipeline": {
        "deals": n, "value_usd": round(float(t["value_usd"]), 2), "won": won, "lost": lost,
        "open_at_end": n - won - lost, "bookings_usd": round(booked, 2),
        "bookings_from_new_leads_usd": round(bookings_usd - booked, 2),
        "win_rate": round(won / (won + lost), 4) if won + lost else None}}
