"""The event log: one row per event, stored in typed columns (``array.array``).

A row costs ~40 bytes (no Python object per event), so 100k leads through a
five-step funnel fit in a few tens of MB. Column meanings by kind are in
:class:`~sim.records.facts.Kind`; :meth:`EventLog.frames` turns them into
self-describing pandas tables.

The log is a :class:`~sim.records.tally.Tally` that also keeps every event:
each recorder call appends its row and then hands the same arguments to the
tally's reducer, so :class:`~sim.records.facts.Facts` come from one reduction
whichever recorder ran (see :mod:`sim.records.tally` for why it is the running
one, not a pass over these columns).
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

from sim.records.facts import LOSS_NAMES, LOST_KINDS, Kind, Layout
from sim.records.tally import Tally

_lead, _work, _advance, _end = Tally.lead, Tally.work, Tally.advance, Tally.end


class EventLog(Tally):
    """Recorder that keeps every event (the full record of a run) besides the
    tally's running aggregates (:meth:`facts` is the tally's)."""

    def __init__(self, layout: Layout):
        super().__init__(layout)
        self._cols: dict[str, array[Any]] = {
            "t": array("d"), "lead": array("q"), "kind": array("b"), "stage": array("h"),
            "role": array("h"), "rep": array("i"), "v1": array("d"), "v2": array("d"),
        }
        c = self._cols
        self._row = (c["t"].append, c["lead"].append, c["kind"].append, c["stage"].append,
                     c["role"].append, c["rep"].append, c["v1"].append, c["v2"].append)
        self._leads: dict[str, array[Any]] = {"t": array("d"), "source": array("h"), "segment": array("h"),
                       "stage": array("h"), "acv": array("d")}
        self._lead_row = tuple(a.append for a in self._leads.values())

    # -- recorder protocol (called by the engine on the per-event path) --------
    def lead(self, lead: int, t: float, source: int, segment: int, stage: int, acv: float) -> None:
        a = self._lead_row  # the "created" event is this row of the lead table
        a[0](t); a[1](source); a[2](segment); a[3](stage); a[4](acv)  # noqa: E702
        _lead(self, lead, t, source, segment, stage, acv)

    def work(self, t: float, lead: int, stage: int, role: int, rep: int, wait: float,
             service: float, segment: int) -> None:
        a = self._row
        a[0](t); a[1](lead); a[2](2); a[3](stage); a[4](role); a[5](rep); a[6](wait); a[7](service)  # noqa: E702
        _work(self, t, lead, stage, role, rep, wait, service, segment)

    def advance(self, t: float, lead: int, stage: int, dwell: float, acv: float) -> None:
        a = self._row
        a[0](t); a[1](lead); a[2](1); a[3](stage); a[4](-1); a[5](-1); a[6](dwell); a[7](0.0)  # noqa: E702
        _advance(self, t, lead, stage, dwell, acv)

    def end(self, t: float, lead: int, stage: int, kind: int, dwell: float, segment: int,
            value: float, acv: float, role: int = -1, rep: int = -1) -> None:
        """A lead's outcome; ``role``/``rep``: who worked its last step."""
        a = self._row
        a[0](t); a[1](lead); a[2](kind); a[3](stage); a[4](role); a[5](rep); a[6](dwell); a[7](value)  # noqa: E702
        _end(self, t, lead, stage, kind, dwell, segment, value, acv, role, rep)

    # -- reading ------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of events, lead creations included."""
        return len(self._cols["t"]) + len(self._leads["t"])

    def nbytes(self) -> int:
        return sum(a.itemsize * len(a) for a in (*self._cols.values(), *self._leads.values()))

    def columns(self) -> dict[str, np.ndarray]:
        """Zero-copy numpy views of the event columns (lead creation is in the lead table)."""
        dt = {"d": np.float64, "q": np.int64, "b": np.int8, "h": np.int16, "i": np.int32}
        return {k: np.frombuffer(a, dtype=dt[a.typecode]) for k, a in self._cols.items()}

    def lead_columns(self) -> dict[str, np.ndarray]:
        dt = {"d": np.float64, "h": np.int16}
        return {k: np.frombuffer(a, dtype=dt[a.typecode]) for k, a in self._leads.items()}

    def frames(self):
        """``(events, leads)`` as pandas DataFrames with named, typed columns."""
        import pandas as pd

        L = self.layout
        c = self.columns()
        lc = self.lead_columns()
        n = len(lc["t"])
        # merge the creation events (kept only in the lead table) into time order
        created = {"t": lc["t"], "lead": np.arange(n, dtype=np.int64),
                   "kind": np.full(n, int(Kind.CREATED), dtype=np.int8), "stage": lc["stage"],
                   "role": np.full(n, -1, dtype=np.int16), "rep": np.full(n, -1, dtype=np.int32),
                   "v1": np.zeros(n), "v2": lc["acv"]}
        c = {k: np.concatenate([created[k], v]) for k, v in c.items()}
        order = np.argsort(c["t"], kind="stable")
        c = {k: v[order] for k, v in c.items()}
        kind = c["kind"]
        names = [k.name.lower() for k in Kind]

        def named(codes, labels):
            cat = pd.Categorical.from_codes(np.where(codes < 0, -1, codes), categories=labels)
            return cat

        def only(mask, values):
            return np.where(mask, values, np.nan)

        is_work = kind == Kind.WORK
        is_end = (kind == Kind.ADVANCE) | np.isin(kind, LOST_KINDS)
        has_value = (kind == Kind.WON) | (kind == Kind.CREATED)
        events = pd.DataFrame({
            "t_days": c["t"],
            "lead": c["lead"],
            "event": named(kind.astype(np.int64), names),
            "stage": named(c["stage"].astype(np.int64), L.stages),
            "role": named(c["role"].astype(np.int64), L.roles),
            "rep": c["rep"],
            "wait_days": only(is_work, c["v1"]),
            "work_days": only(is_work, c["v2"]),
            "dwell_days": only(is_end, c["v1"]),
            "value_usd": only(has_value, c["v2"]),
        })
        outcome = np.full(n, "open", dtype=object)
        outcome_t = np.full(n, np.nan)
        outcome_stage = np.full(n, -1, dtype=np.int64)
        booked = np.zeros(n)
        for k in (Kind.WON, *LOST_KINDS):
            m = kind == k
            ids = c["lead"][m]
            outcome[ids] = "won" if k == Kind.WON else "lost_" + LOSS_NAMES[k]
            outcome_t[ids] = c["t"][m]
            outcome_stage[ids] = c["stage"][m]
            if k == Kind.WON:
                booked[ids] = c["v2"][m]
        leads = pd.DataFrame({
            "lead": np.arange(n),
            "created_days": lc["t"],
            "source": named(lc["source"].astype(np.int64), L.sources),
            "segment": named(lc["segment"].astype(np.int64), L.segments),
            "entry_stage": named(lc["stage"].astype(np.int64), L.stages),
            "acv_list_usd": lc["acv"],
            "outcome": pd.Categorical(outcome),
            "outcome_stage": named(outcome_stage, L.stages),
            "outcome_days": outcome_t,
            "booked_usd": booked,
        })
        return events, leads
