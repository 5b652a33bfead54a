"""The one reducer of a run's events to :class:`~sim.records.facts.Facts`, and
the KPI-only recorder.

:class:`Tally` keeps running aggregates instead of an event per row: memory
stays at one float per completed stage transit (kept for median stage times)
and a few counters, so batches of many replications use it alone
(``record="kpis"``). :class:`~sim.records.events.EventLog` is a ``Tally``
that also appends every event to its columns: each of its recorder calls
appends the row and then runs the same ``Tally`` method. So every fact is
written once, here, and both recorders give identical ``Facts`` by
construction (``tests/test_one_reducer.py`` checks it on every shipped
scenario).

Why the running reduction rather than a pass over the event columns at the
end: the KPI-only path is the one batches take, and it must stay as lean as it
is (no row kept per event, no buffer to reduce). A vectorised pass would be
cheaper for the event log alone, but it was a second implementation of every
fact that only a test kept equal to this one. The event log pays for the
choice: the tally's additions on top of its appends, about a tenth more CPU
time for an event-log run of the plain benchmark funnel (``benchmarks/``).
The week index is computed inline (:func:`sim.units.week_of`) because this
code runs once per event. Add a new fact here: in the recorder call that
carries it and in :meth:`facts`.
"""

from __future__ import annotations

from array import array

import numpy as np

from sim.records.facts import LOSS_NAMES, Facts, Kind, Layout, Samples, year_of
from sim.records.ledger import Ledgers
from sim.units import DAYS_PER_WEEK

WON = int(Kind.WON)


class Tally(Ledgers):
    """KPI-only recorder: the running aggregates every recorder reduces its events with."""

    def __init__(self, layout: Layout):
        L = self.layout = layout
        ns, nr, ng, nw = len(L.stages), len(L.roles), len(L.segments), L.n_weeks
        self.samples = Samples()
        self._created = [0] * len(L.sources)
        self._entries = [0] * ns
        self._lost = {int(k): [0] * ns for k in LOSS_NAMES}  # by event kind
        self._dwell = [array("d") for _ in range(ns)]
        self._won = [0] * ng
        self._lost_decided = [0] * ng
        self._bookings = [0.0] * ng
        self._list_won = 0.0
        self._busy = [[0.0] * (1 if L.unlimited[r] else max(L.headcount[r], 1)) for r in range(nr)]
        self._busy_seg = [[0.0] * ng for _ in range(nr)]
        self._busy_kind = [[0.0, 0.0, 0.0] for _ in range(nr)]  # acquisition, onboarding, retention
        self._entry_value = [0.0] * ns
        self._init_ledgers()
        self._reps: dict[tuple[int, int], list[float]] = {}
        self._rep_years: dict[tuple[int, int, int], float] = {}
        self._wait = [0.0] * nr
        self._tasks = [0] * nr
        self._weekly = {k: [0.0] * nw for k in ("created", "won", "bookings_usd", "lost", "lost_decided")}
        self._w_created, self._w_won, self._w_bookings, self._w_lost, self._w_decided = self._weekly.values()
        self._wr_stage = L.win_rate_stage
        self._nw = nw
        self._T = L.horizon_days

    def lead(self, lead, t, source, segment, stage, acv):
        self._created[source] += 1
        self._entries[stage] += 1
        self._entry_value[stage] += acv
        w = int(t // DAYS_PER_WEEK)  # sim.units.week_of, inline: this runs once per event
        self._w_created[w if w < self._nw else self._nw - 1] += 1

    def work(self, t, lead, stage, role, rep, wait, service, segment):
        end = t + service
        busy = service if end <= self._T else self._T - t
        b = self._busy[role]
        if rep >= len(b):  # a rep hired during the run
            b.extend([0.0] * (rep + 1 - len(b)))
        if busy > 0:
            b[rep] += busy
            self._busy_seg[role][segment] += busy
            self._busy_kind[role][0 if stage >= 0 else -stage] += busy  # vocab.ONBOARDING_WORK, ACCOUNT_WORK
        self._wait[role] += wait
        self._tasks[role] += 1

    def advance(self, t, lead, stage, dwell, acv):
        self._entries[stage] += 1
        self._entry_value[stage] += acv
        self._dwell[stage - 1].append(dwell)

    def end(self, t, lead, stage, kind, dwell, segment, value, acv, role=-1, rep=-1):
        w = int(t // DAYS_PER_WEEK)
        if w >= self._nw:
            w = self._nw - 1
        if rep >= 0 and (kind == WON or stage >= self._wr_stage):  # per-rep win rate counts decided deals
            v = self._reps.get((role, rep))
            if v is None:
                v = self._reps[(role, rep)] = [0, 0, 0.0]
            v[0 if kind == WON else 1] += 1
            v[2] += value
            if kind == WON:
                key = (role, rep, year_of(t))
                self._rep_years[key] = self._rep_years.get(key, 0.0) + value
        if kind == WON:
            self._won[segment] += 1
            self._bookings[segment] += value
            self._list_won += acv
            self._w_won[w] += 1
            self._w_bookings[w] += value
        else:
            self._lost[kind][stage] += 1
            self._dwell[stage].append(dwell)
            self._w_lost[w] += 1
            if stage >= self._wr_stage:
                self._w_decided[w] += 1
                self._lost_decided[segment] += 1

    def sample(self, t, wip, queue):
        self.samples.add(t, wip, queue)

    def finish(self, t: float, wip: list[int], book_busy: dict[int, list[float]] | None = None,
               people: dict[int | str, dict] | None = None) -> None:
        self.samples.final_wip = list(wip)
        self.samples.book_busy = dict(book_busy or {})
        self.samples.people = dict(people or {})

    def facts(self) -> Facts:
        L = self.layout
        st, wip, queue = self.samples.arrays(len(L.stages), len(L.roles))
        return Facts(
            layout=L,
            created_by_source=np.array(self._created, dtype=np.int64),
            entries=np.array(self._entries, dtype=np.int64),
            lost={LOSS_NAMES[Kind(k)]: np.array(v, dtype=np.int64) for k, v in self._lost.items()},
            dwell=[np.frombuffer(a, dtype=np.float64).copy() for a in self._dwell],
            won_by_segment=np.array(self._won, dtype=np.int64),
            bookings_by_segment=np.array(self._bookings),
            list_value_won_usd=self._list_won,
            busy_days=self.samples.with_books([np.array(b) for b in self._busy]),
            wait_sum_days=np.array(self._wait),
            tasks=np.array(self._tasks, dtype=np.int64),
            weekly={k: np.array(v) for k, v in self._weekly.items()},
            samples_t=st,
            wip=wip,
            queue=queue,
            final_wip=np.array(self.samples.final_wip, dtype=np.int64),
            entry_value_usd=np.array(self._entry_value),
            busy_by_segment=np.array(self._busy_seg).reshape(len(L.roles), len(L.segments)),
            rep_outcomes={k: list(v) for k, v in sorted(self._reps.items())},
            rep_bookings_by_year=dict(sorted(self._rep_years.items())),
            people=dict(self.samples.people),
            timeline=self.timeline_log.arrays(),
            touches=self.touches.arrays(),
            accounts=self.accounts.arrays(),
            costs=self.costs.arrays(),
            lost_decided_by_segment=np.array(self._lost_decided, dtype=np.int64),
            busy_by_kind=np.array(self._busy_kind, dtype=float).reshape(len(L.roles), 3),
        )
