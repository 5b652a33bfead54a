"""Small columnar logs shared by both recorders: customer-account events,
variable costs, the timeline and first touches. They are few next to lead
events (an account has a handful of events a year; costs come with leads, wins
and hand-offs), so the KPI-only mode keeps them too and revenue metrics are
identical in both modes."""

from __future__ import annotations

from array import array

import numpy as np

from sim.model.vocab import TIMELINE_FIELDS, TIMELINE_INDEX_COLUMNS, TIMELINE_VALUE_COLUMNS


class _Columns:
    SPEC: dict[str, str] = {}

    def __init__(self):
        self._cols = {k: array(code) for k, code in self.SPEC.items()}
        self._app = tuple(a.append for a in self._cols.values())

    def __len__(self) -> int:
        return len(next(iter(self._cols.values())))

    def arrays(self) -> dict[str, np.ndarray]:
        dt = {"d": np.float64, "q": np.int64, "b": np.int8, "h": np.int16, "i": np.int32}
        return {k: np.frombuffer(a, dtype=dt[a.typecode]).copy() for k, a in self._cols.items()}


class AccountLog(_Columns):
    """One row per account event (see :class:`~sim.model.vocab.AccountKind`)."""

    SPEC = {"t": "d", "account": "i", "segment": "h", "kind": "b", "arr_delta": "d", "acv": "d"}

    def add(self, t, account, segment, kind, arr_delta, acv) -> None:
        a = self._app
        a[0](t); a[1](account); a[2](segment); a[3](kind); a[4](arr_delta); a[5](acv)  # noqa: E702


class CostLog(_Columns):
    """One row per variable cost (see :class:`~sim.model.vocab.CostKind`)."""

    SPEC = {"t": "d", "kind": "b", "role": "h", "segment": "h", "usd": "d"}

    def add(self, t, kind, role, segment, usd) -> None:
        a = self._app
        a[0](t); a[1](kind); a[2](role); a[3](segment); a[4](usd)  # noqa: E702


class TimelineLog(_Columns):
    """Interventions and people events (see :class:`~sim.model.vocab.TimelineKind`).

    The model reports each as ``(t, kind, role, who, x, y)``; :meth:`arrays`
    gives them typed, one column per meaning (:data:`~sim.model.vocab.TIMELINE_FIELDS`):
    ``rep``, ``source``, ``segment``, ``stage``, ``pod``, ``new_pod`` (indices,
    -1 where the kind has none) and ``pipeline_usd``, ``arr_usd`` (what a leaver
    held), ``multiplier`` (market shocks, price changes), ``lift``,
    ``conversion_vs_benchmark`` (process lifts) (NaN where the kind has none)."""

    SPEC = {"t": "d", "kind": "b", "role": "h", "who": "i", "x": "d", "y": "d"}

    def add(self, t, kind, role, who, x, y) -> None:
        a = self._app
        a[0](t); a[1](kind); a[2](role); a[3](who); a[4](x); a[5](y)  # noqa: E702

    def arrays(self) -> dict[str, np.ndarray]:
        """The typed columns (:data:`~sim.model.vocab.TIMELINE_COLUMNS`)."""
        raw = super().arrays()
        n = len(raw["t"])
        out = {"t": raw["t"], "kind": raw["kind"], "role": raw["role"]}
        out.update({c: np.full(n, -1, dtype=np.int64) for c in TIMELINE_INDEX_COLUMNS})
        out.update({c: np.full(n, np.nan) for c in TIMELINE_VALUE_COLUMNS})
        for kind, names in TIMELINE_FIELDS.items():
            m = raw["kind"] == kind
            if m.any():
                for name, slot in zip(names, ("who", "x", "y"), strict=True):
                    if name is not None:
                        out[name][m] = raw[slot][m]
        return out


class TouchLog(_Columns):
    """One row per lead's first touch (its first task started): the wait from the
    lead being ready to the touch in calendar days and in working days of the
    worker's calendar (NaN without a calendar)."""

    SPEC = {"t": "d", "source": "h", "role": "h", "wait_days": "d", "business_days": "d"}

    def add(self, t, source, role, wait_days, business_days) -> None:
        a = self._app
        a[0](t); a[1](source); a[2](role); a[3](wait_days); a[4](business_days)  # noqa: E702


class Ledgers:
    """The small logs every recorder keeps, and the recorder calls that feed them."""

    def _init_ledgers(self) -> None:
        self.accounts = AccountLog()
        self.costs = CostLog()
        self.timeline_log = TimelineLog()
        self.touches = TouchLog()
        self.touch = self.touches.add
        self.account = self.accounts.add
        self.cost = self.costs.add
        self.timeline = self.timeline_log.add
