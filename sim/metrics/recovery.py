"""What a star's departure costs: the dip in bookings and the time to recover.

Why a KPI of its own: the inverted triangle's risk is that when a star
leaves, "their pipeline and accounts leave with them"
(docs/background.md#systems-thinking-the-inverted-and-the-upright-triangle).
Key-person exposure says how much the leaver held; these say what it did to
the team's selling pace, on the weekly bookings series ``b``, for a
departure in week ``w`` (a timeline ``rep_leaves`` of the ``top`` rep):

* ``before_usd`` = bookings in the ``window`` weeks before ``w``;
* ``dip`` = 1 - (bookings in the ``window`` weeks from ``w``) / ``before_usd``
  (negative when the team sold more right after);
* ``recovery_weeks`` = the first ``k >= 0`` such that the bookings in weeks
  ``[w + k, w + k + window)`` reach ``before_usd``; if no such window ends
  inside the horizon, the weeks from ``w`` to the end (censored: a lower
  bound, flagged by ``recovered = 0``).

None (all keys) when no top departure happened or the horizon leaves no
whole window before or after it.
"""

from __future__ import annotations

import numpy as np

from sim.model.vocab import TimelineKind
from sim.records.facts import Facts

WINDOW_WEEKS = 13  # a quarter: long enough to hold several deals of a small team


def recovery(bookings_weekly: np.ndarray, week: int, window: int = WINDOW_WEEKS) -> dict:
    """Dip and recovery of the weekly bookings after a departure in week ``week``."""
    b = np.asarray(bookings_weekly, dtype=float)
    if week < window or week + window > len(b):
        return {"week": week, "before_usd": None, "dip": None, "recovery_weeks": None, "recovered": None}
    cs = np.concatenate([[0.0], np.cumsum(b)])
    before = cs[week] - cs[week - window]
    after = cs[week + window] - cs[week]
    sums = cs[week + window:] - cs[week:len(b) - window + 1]  # window sums starting at week + k
    hit = np.nonzero(sums >= before - 1e-9)[0]
    return {"week": week, "before_usd": round(float(before), 2),
            "dip": round(float(1 - after / before), 4) if before > 0 else None,
            "recovery_weeks": float(hit[0]) if len(hit) else float(len(b) - week),
            "recovered": int(len(hit) > 0)}


def top_departure_kpis(f: Facts, weeks: list[float]) -> dict:
    """The first scheduled top-rep departure (``weeks``: the timeline's
    ``rep_leaves: top`` weeks) that happened, as ``top_departure``."""
    tl = f.timeline
    kinds = tl.get("kind", np.zeros(0))
    left_t = tl["t"][kinds == int(TimelineKind.REP_LEFT)] if len(kinds) else np.zeros(0)
    for w in sorted(weeks):
        if np.any(np.abs(left_t - w * 7.0) < 1e-6):
            return {"top_departure": recovery(f.weekly["bookings_usd"], int(round(w)))}
    return {"top_departure": recovery(np.zeros(0), 0)} if weeks else {}
