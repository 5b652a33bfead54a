"""Fewer cyclic-garbage collections while a run goes on: an explicit choice of
the caller of :func:`sim.simulate` (``gc_threshold``, on by default), never
made by the model itself.

A run keeps thousands of leads alive at once (queued tasks, their generators,
queued tasks' events), and Python's cyclic collector scans the objects that
survive again and again as they age: 5-10% of a realistic scenario's run
time. Finished leads are freed by reference counting (the engine makes no
reference cycles per lead), so a run leaves little cyclic garbage, about one
object per two leads, mostly the world itself at the end. While a run goes on
the collector's first threshold is raised (it still runs, a hundred times
less often, so memory stays bounded on any run length); the old thresholds
come back when the last concurrent run ends (runs in threads share the
setting, hence the count under a lock).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: objects allocated (net) between two collections of the youngest generation during a run
RUN_THRESHOLD = 100_000

_lock = threading.Lock()
_state: dict[str, Any] = {"runs": 0, "saved": None}


@contextmanager
def fewer_collections(threshold: int = RUN_THRESHOLD) -> Iterator[None]:
    """Raise the collector's first threshold to ``threshold`` for the duration of
    the block (runs in threads share the setting: the first run's threshold holds
    until the last ends). A threshold already higher, or automatic collection
    switched off (0), is left as it is."""
    with _lock:
        if _state["runs"] == 0:
            saved = gc.get_threshold()
            _state["saved"] = saved
            if saved[0] and saved[0] < threshold:  # 0: automatic collection is off; leave it
                gc.set_threshold(threshold, *saved[1:])
        _state["runs"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["runs"] -= 1
            if _state["runs"] == 0:
                gc.set_threshold(*_state["saved"])
