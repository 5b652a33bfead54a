"""The event log: one row per event, stored in typed columns (``array.array``).

A row costs ~40 bytes (no Python object per event), so 100k leads through a
five-step funnel fit in a few tens of MB. Column meanings by kind are in
:class:`~sim.records.facts.Kind`; :meth:`EventLog.frames` turns them into
self-describing pandas tables.
"""

from __future__ import annotations

from array import array

import numpy as np

from sim.records.facts import LOSS_NAMES, LOST_KINDS, Facts, Kind, Layout, Samples, year_of
from sim.records.ledger import Ledgers
from sim.units import week_index


def _rep_years(t: np.ndarray, role: np.ndarray, rep: np.ndarray, booked: np.ndarray
               ) -> dict[tuple[int, int, int], float]:
    """(role, rep, run year) -> bookings of the wins whose last step the rep worked."""
    out: dict[tuple[int, int, int], float] = {}
    for x, r, p, b in zip(t.tolist(), role.tolist(), rep.tolist(), booked.tolist(), strict=True):
        if p >= 0:
            key = (r, p, year_of(x))
            out[key] = out.get(key, 0.0) + b
    return dict(sorted(out.items()))


def _rep_outcomes(x: dict[str, np.ndarray]) -> dict[tuple[int, int], list[float]]:
    """(role, rep) -> [wins, losses, bookings] over leads whose last step the rep worked."""
    out: dict[tuple[int, int], list[float]] = {}
    keep = x["rep"] >= 0
    for r, p, w, b in zip(x["role"][keep].tolist(), x["rep"][keep].tolist(), x["won"][keep].tolist(),
                          x["booked"][keep].tolist(), strict=True):
        v = out.setdefault((r, p), [0, 0, 0.0])
        v[0 if w else 1] += 1
        v[2] += b
    return out


class EventLog(Ledgers):
    """Recorder that keeps every event (the full record of a run)."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.samples = Samples()
        self._cols = {
            "t": array("d"), "lead": array("q"), "kind": array("b"), "stage": array("h"),
            "role": array("h"), "rep": array("i"), "v1": array("d"), "v2": array("d"),
        }
        c = self._cols
        self._row = (c["t"].append, c["lead"].append, c["kind"].append, c["stage"].append,
                     c["role"].append, c["rep"].append, c["v1"].append, c["v2"].append)
        self._leads = {"t": array("d"), "source": array("h"), "segment": array("h"),
                       "stage": array("h"), "acv": array("d")}
        self._init_ledgers()

    # -- recorder protocol (called by the engine on the per-event path) --------
    def lead(self, lead: int, t: float, source: int, segment: int, stage: int, acv: float) -> None:
        ls = self._leads
        ls["t"].append(t)
        ls["source"].append(source)
        ls["segment"].append(segment)
        ls["stage"].append(stage)
        ls["acv"].append(acv)  # the "created" event is this row of the lead table

    def work(self, t: float, lead: int, stage: int, role: int, rep: int, wait: float,
             service: float, segment: int) -> None:
        a = self._row
        a[0](t); a[1](lead); a[2](2); a[3](stage); a[4](role); a[5](rep); a[6](wait); a[7](service)  # noqa: E702

    def advance(self, t: float, lead: int, stage: int, dwell: float, acv: float) -> None:
        a = self._row
        a[0](t); a[1](lead); a[2](1); a[3](stage); a[4](-1); a[5](-1); a[6](dwell); a[7](0.0)  # noqa: E702

    def end(self, t: float, lead: int, stage: int, kind: int, dwell: float, segment: int,
            value: float, acv: float, role: int = -1, rep: int = -1) -> None:
        """A lead's outcome; ``role``/``rep``: who worked its last step."""
        a = self._row
        a[0](t); a[1](lead); a[2](kind); a[3](stage); a[4](role); a[5](rep); a[6](dwell); a[7](value)  # noqa: E702

    def sample(self, t: float, wip: list[int], queue: list[int]) -> None:
        self.samples.add(t, wip, queue)

    def finish(self, t: float, wip: list[int], book_busy: dict[int, list[float]] | None = None,
               people: dict[int, dict] | None = None) -> None:
        self.samples.final_wip = list(wip)
        self.samples.book_busy = dict(book_busy or {})
        self.samples.people = dict(people or {})

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

    def facts(self) -> Facts:
        L = self.layout
        ns, nr, ng = len(L.stages), len(L.roles), len(L.segments)
        T = L.horizon_days
        c = self.columns()
        lc = self.lead_columns()
        kind, stage = c["kind"], c["stage"]

        adv = kind == Kind.ADVANCE
        entries = np.bincount(lc["stage"], minlength=ns) + np.bincount(stage[adv], minlength=ns)
        entry_value = (np.bincount(lc["stage"], weights=lc["acv"], minlength=ns)
                       + np.bincount(stage[adv], weights=lc["acv"][c["lead"][adv]], minlength=ns))
        lost = {LOSS_NAMES[k]: np.bincount(stage[kind == k], minlength=ns) for k in LOST_KINDS}
        lost_any = np.isin(kind, LOST_KINDS)
        dwell = []
        for s in range(ns):
            dwell.append(np.concatenate([c["v1"][adv & (stage == s + 1)],
                                         c["v1"][lost_any & (stage == s)]]))
        won = kind == Kind.WON
        won_seg = lc["segment"][c["lead"][won]]
        work = kind == Kind.WORK
        wt, wrole, wrep = c["t"][work], c["role"][work], c["rep"][work]
        svc = c["v2"][work]  # the work done inside the horizon, as the tally counts it (``(t + s) - t`` is
        busy_each = np.clip(np.where(wt + svc <= T, svc, T - wt), 0.0, None)  # not ``s`` in floating point)
        wseg = lc["segment"][c["lead"][work]]
        busy_seg = np.zeros((nr, ng))
        np.add.at(busy_seg, (wrole.astype(np.int64), wseg.astype(np.int64)), busy_each)
        busy = []
        for r in range(nr):
            m = wrole == r
            busy.append(np.bincount(wrep[m], weights=busy_each[m], minlength=max(L.headcount[r], 1))
                        if not L.unlimited[r] else np.array([busy_each[m].sum()]))
        ends = won | (lost_any & (stage >= L.win_rate_stage))  # per-rep win rate counts decided deals
        per_rep = {"role": c["role"][ends], "rep": c["rep"][ends], "won": won[ends],
                   "booked": np.where(won[ends], c["v2"][ends], 0.0)}
        nw = L.n_weeks

        def weekly(t, weights=None):
            w = week_index(t, nw)
            return np.bincount(w, weights=weights, minlength=nw)

        ends_t = c["t"][lost_any]
        st, wip, queue = self.samples.arrays(ns, nr)
        return Facts(
            layout=L,
            created_by_source=np.bincount(lc["source"], minlength=len(L.sources)),
            entries=entries,
            lost=lost,
            dwell=dwell,
            won_by_segment=np.bincount(won_seg, minlength=ng),
            bookings_by_segment=np.bincount(won_seg, weights=c["v2"][won], minlength=ng),
            list_value_won_usd=float(lc["acv"][c["lead"][won]].sum()),
            busy_days=self.samples.with_books(busy),
            wait_sum_days=np.bincount(wrole, weights=c["v1"][work], minlength=nr),
            tasks=np.bincount(wrole, minlength=nr),
            weekly={
                "created": weekly(lc["t"]),
                "won": weekly(c["t"][won]),
                "bookings_usd": weekly(c["t"][won], c["v2"][won]),
                "lost": weekly(ends_t),
                "lost_decided": weekly(c["t"][lost_any & (stage >= L.win_rate_stage)]),
            },
            samples_t=st,
            wip=wip,
            queue=queue,
            final_wip=np.array(self.samples.final_wip, dtype=np.int64),
            entry_value_usd=entry_value,
            busy_by_segment=busy_seg,
            rep_outcomes=_rep_outcomes(per_rep),
            rep_bookings_by_year=_rep_years(c["t"][won], c["role"][won], c["rep"][won], c["v2"][won]),
            people=dict(self.samples.people),
            timeline=self.timeline_log.arrays(),
            touches=self.touches.arrays(),
            accounts=self.accounts.arrays(),
            costs=self.costs.arrays(),
            lost_decided_by_segment=np.bincount(
                lc["segment"][c["lead"][lost_any & (stage >= L.win_rate_stage)]], minlength=ng),
        )

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
