"""The event log: one row per event, packed into a buffer whose fields are typed
numpy columns.

A row costs 41 bytes (no Python object per event), so 100k leads through a
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

import struct

import numpy as np

from sim.records.facts import LOSS_NAMES, LOST_KINDS, Kind, Layout
from sim.records.tally import Tally

_lead, _work, _advance, _end = Tally.lead, Tally.work, Tally.advance, Tally.end

# one row per event, packed (no padding): t, lead, kind, stage, role, rep, v1, v2
_ROW = struct.Struct("<dqbhhidd")
_ROW_DTYPE = np.dtype([("t", "<f8"), ("lead", "<i8"), ("kind", "i1"), ("stage", "<i2"), ("role", "<i2"),
                       ("rep", "<i4"), ("v1", "<f8"), ("v2", "<f8")])
# one row per lead created: t, source, segment, entry stage, acv
_LEAD = struct.Struct("<dhhhd")
_LEAD_DTYPE = np.dtype([("t", "<f8"), ("source", "<i2"), ("segment", "<i2"), ("stage", "<i2"), ("acv", "<f8")])
_pack, _pack_lead = _ROW.pack, _LEAD.pack


class EventLog(Tally):
    """Recorder that keeps every event (the full record of a run) besides the
    tally's running aggregates (:meth:`facts` is the tally's).

    Each row is packed into one growing buffer by one ``struct`` call (a
    column per field would take eight appends per event); the columns are
    numpy views of its fields (:meth:`columns`)."""

    def __init__(self, layout: Layout):
        super().__init__(layout)
        self._rows = bytearray()
        self._lead_rows = bytearray()

    # -- recorder protocol (called by the engine on the per-event path) --------
    def lead(self, lead: int, t: float, source: int, segment: int, stage: int, acv: float) -> None:
        self._lead_rows += _pack_lead(t, source, segment, stage, acv)  # the "created" event is this row
        _lead(self, lead, t, source, segment, stage, acv)

    def work(self, t: float, lead: int, stage: int, role: int, rep: int, wait: float,
             service: float, segment: int) -> None:
        self._rows += _pack(t, lead, 2, stage, role, rep, wait, service)
        _work(self, t, lead, stage, role, rep, wait, service, segment)

    def advance(self, t: float, lead: int, stage: int, dwell: float, acv: float) -> None:
        self._rows += _pack(t, lead, 1, stage, -1, -1, dwell, 0.0)
        _advance(self, t, lead, stage, dwell, acv)

    def end(self, t: float, lead: int, stage: int, kind: int, dwell: float, segment: int,
            value: float, acv: float, role: int = -1, rep: int = -1) -> None:
        """A lead's outcome; ``role``/``rep``: who worked its last step."""
        self._rows += _pack(t, lead, kind, stage, role, rep, dwell, value)
        _end(self, t, lead, stage, kind, dwell, segment, value, acv, role, rep)

    # -- reading ------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of events, lead creations included."""
        return len(self._rows) // _ROW.size + len(self._lead_rows) // _LEAD.size

    def nbytes(self) -> int:
        return len(self._rows) + len(self._lead_rows)

    def columns(self) -> dict[str, np.ndarray]:
        """Numpy views of the event columns (lead creation is in the lead table): no copy."""
        rows = np.frombuffer(self._rows, dtype=_ROW_DTYPE)
        return {k: rows[k] for k in _ROW_DTYPE.names or ()}

    def lead_columns(self) -> dict[str, np.ndarray]:
        rows = np.frombuffer(self._lead_rows, dtype=_LEAD_DTYPE)
        return {k: rows[k] for k in _LEAD_DTYPE.names or ()}

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
