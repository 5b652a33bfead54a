"""Run size on the command line: the ``--max-leads``/``--max-events`` flags,
the up-front note for a large run, and its progress bar.

Why here: the estimate and the guard are the run layer's
(:func:`sim.run.check_size`); what a person at a terminal sees -- a warning
before a long wait, a bar of simulated weeks -- is presentation.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sim.run import MAX_EVENTS, MAX_LEADS, Limits
from sim.scenario.size import Size

LONG_RUN_EVENTS = 2_000_000
"""Estimated events above which a run is announced and gets a progress bar (~10 s and up)."""


def _limit(text: str) -> int | None:
    """argparse type: a whole number >= 0, also written like 2e6; 0 is no limit."""
    try:
        v = int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            f = float("nan")
        v = int(f) if math.isfinite(f) and f == int(f) else -1  # 2e6 yes; 2.5, 1e309, nan no
    if v < 0:
        shown = repr(text) if len(text) <= 40 else f"{text[:40]!r}..."
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0 (0: no limit), got {shown}")
    return v or None


def add_size_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-leads", type=_limit, default=MAX_LEADS, metavar="N",
                   help=f"refuse a run estimated to create more than N leads, stop one that does "
                   f"(default {MAX_LEADS:,}; 0: no limit)")
    p.add_argument("--max-events", type=_limit, default=MAX_EVENTS, metavar="N",
                   help=f"refuse a run estimated to record more than N events, stop one that does "
                   f"(default {MAX_EVENTS:,}; 0: no limit)")


def limits_of(args: argparse.Namespace) -> Limits:
    return Limits(args.max_leads, args.max_events)


def announce(size: Size) -> bool:
    """Say up front that a run is large; True if it is."""
    if size.events < LONG_RUN_EVENTS:
        return False
    print(f"salesim: a large run: about {size.leads:,.0f} leads and {size.events:,.0f} events (most from "
          f"{size.biggest}); this may take a while", file=sys.stderr)
    return True


@contextmanager
def week_bar(weeks: float, enabled: bool) -> Iterator[Callable[[float], None] | None]:
    """A bar of simulated weeks (rich, as every bar), on a terminal only; yields its update function."""
    if not (enabled and getattr(sys.stderr, "isatty", lambda: False)()):
        yield None
        return
    from sim.experiments.runner.progress import week_bar_of

    bar = week_bar_of(weeks)

    def update(fraction: float) -> None:
        bar.update(fraction * bar.total - bar.n)

    try:
        yield update
        bar.update(bar.total - bar.n)  # the last daily tick comes a day before the horizon
    finally:
        bar.close()
