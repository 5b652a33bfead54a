"""POD results: per POD (slices, seats, bookings, win rate, ARR), the genealogy
of splits, and weekly bookings per POD."""

from __future__ import annotations

import numpy as np

from sim.records.facts import Facts


def pod_kpis(f: Facts) -> dict:
    table = f.people.get("pods")
    if not table:
        return {}
    pods = []
    for p in table["pods"]:
        decided = p["wins"] + p["decided"]
        pods.append({k: v for k, v in p.items() if k not in ("weekly_bookings_usd", "decided")}
                    | {"win_rate": round(p["wins"] / decided, 4) if decided else None})
    return {"pods": pods, "pod_genealogy": table["splits"], "pods_have_customer_capability": table["capable"]}


def pod_weekly(f: Facts) -> dict[str, np.ndarray]:
    table = f.people.get("pods")
    if not table:
        return {}
    return {f"bookings_usd_{p['name']}": np.array(p["weekly_bookings_usd"]) for p in table["pods"]}
