"""Progress bars with rate and ETA (rich), only where someone is watching.

Why a helper: the bar must be silent when stderr is not a terminal (CI logs,
pipes, cron) or when asked (``--quiet``), must start at the replications a
resumed study already has, and should look the same for a study's
replications and a long run's simulated weeks. One library draws the run
summary's tables and the bars (rich), so the core install needs one, not two.
"""

from __future__ import annotations

import sys
from typing import Any

from sim.experiments.runner.executors import in_notebook


class Bar:
    """What the callers use of a progress bar: ``n``, ``total``, ``update(advance)`` and
    ``close()``; drawn by :class:`rich.progress.Progress` on stderr when enabled."""

    def __init__(self, total: float, initial: float = 0, enabled: bool = True, desc: str = "",
                 columns: tuple = ()) -> None:
        self.total, self.n = total, initial
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import Progress

            self._progress = Progress(*columns, console=Console(file=sys.stderr), refresh_per_second=4)
            self._task = self._progress.add_task(desc, total=total, completed=int(initial))
            self._progress.start()

    def update(self, advance: float) -> None:
        self.n += advance
        if self._progress is not None:
            self._progress.update(self._task, completed=self.n)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.refresh()
            self._progress.stop()
            self._progress = None


def _rate(task: Any) -> str:
    speed = task.finished_speed or task.speed
    return f"{speed:.2f}" if speed else "?"


def progress_bar(total: int, initial: int = 0, enabled: bool | None = None, desc: str = "replications") -> Bar:
    """A bar counting replications (done/total, rep/s, elapsed and remaining time);
    ``enabled=None`` means "if on a TTY or in a notebook"."""
    if enabled is None:
        enabled = in_notebook() or bool(getattr(sys.stderr, "isatty", lambda: False)())
    if not enabled:
        return Bar(total, initial, enabled=False)
    from rich.progress import BarColumn, MofNCompleteColumn, Task, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.text import Text

    class Rate(TextColumn):
        """Replications per second (rich's own speed column counts bytes)."""

        def render(self, task: Task) -> Text:
            return Text(f"{_rate(task)} rep/s")

    return Bar(total, initial, True, desc, (TextColumn("{task.description}:"), BarColumn(), MofNCompleteColumn(),
                                            Rate(""), TimeElapsedColumn(), TextColumn("<"), TimeRemainingColumn()))


def week_bar_of(weeks: float) -> Bar:
    """A bar of simulated weeks for one long run ("simulating: 40%|... week 6/15 [elapsed<remaining]")."""
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Bar(round(weeks, 1), 0, True, "simulating",
               (TextColumn("{task.description}: {task.percentage:>3.0f}%"), BarColumn(),
                TextColumn("week {task.completed:.0f}/{task.total:.0f}"), TextColumn("["), TimeElapsedColumn(),
                TextColumn("<"), TimeRemainingColumn(), TextColumn("]")))
