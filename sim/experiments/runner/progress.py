"""A progress bar with rate and ETA (tqdm), only where someone is watching.

Why a helper: the bar must be silent when stderr is not a terminal (CI logs,
pipes, cron) or when asked (``--quiet``), must start at the replications a
resumed study already has, and inside a notebook should be tqdm's widget.
"""

from __future__ import annotations

import sys

from sim.experiments.runner.executors import in_notebook


def progress_bar(total: int, initial: int = 0, enabled: bool | None = None, desc: str = "replications"):
    """A tqdm bar counting replications; ``enabled=None`` means "if on a TTY or in a notebook"."""
    if enabled is None:
        enabled = in_notebook() or bool(getattr(sys.stderr, "isatty", lambda: False)())
    if enabled and in_notebook():
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm(total=total, initial=initial, disable=not enabled, desc=desc, unit="rep",
                dynamic_ncols=True, smoothing=0.05, file=sys.stderr)
