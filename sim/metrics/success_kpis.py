"""Customer success results: expansion by who sourced it, and the account
health distribution (with a ``customer_success`` section, see
:mod:`sim.model.health`)."""

from __future__ import annotations

from sim.model.vocab import AccountKind
from sim.records.facts import Facts

_SOURCES = {"account_manager": AccountKind.EXPANDED, "customer_success": AccountKind.EXPANDED_CSM,
            "mined": AccountKind.MINED}
_BANDS = {"healthy": AccountKind.HEALTHY, "neutral": AccountKind.NEUTRAL, "at_risk": AccountKind.AT_RISK}


def success_kpis(f: Facts) -> dict:
    a = f.accounts
    kind, delta = a["kind"], a["arr_delta"]
    out: dict[str, dict[str, float | int | None]] = {
        "expansion_by_source_usd": {name: round(float(delta[kind == int(k)].sum()), 2) for name, k in _SOURCES.items()}}
    if f.layout.customer_success:
        counts = {name: int((kind == int(k)).sum()) for name, k in _BANDS.items()}
        n = sum(counts.values())
        out["account_health"] = {"assessments": n} | {
            f"{name}_share": round(c / n, 4) if n else None for name, c in counts.items()}
    return out

