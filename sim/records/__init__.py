"""Records: what happened in a run, kept compactly, with no knowledge of who reads it.

The engine reports to a recorder through ten calls: per lead ``lead``,
``work``, ``advance``, ``end`` and ``touch`` (its first touch); per day
``sample``; ``account`` (customer account events), ``cost`` (commissions,
fees, marketing), ``timeline`` (people and interventions); and ``finish`` at
the horizon. Two recorders implement them:
:class:`~sim.records.events.EventLog` keeps every event in typed columns (for
``--out`` and analysis); :class:`~sim.records.tally.Tally` keeps only running
aggregates (KPI-only mode for batches). The event log is a tally that also
keeps its rows, so both reduce through the same code to the same
:class:`~sim.records.facts.Facts`, from which :mod:`sim.metrics` computes KPIs.
"""

from sim.records.events import EventLog
from sim.records.facts import Facts, Kind
from sim.records.tally import Tally

__all__ = ["EventLog", "Facts", "Kind", "Tally"]
