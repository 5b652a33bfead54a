"""SIGTERM handled like Ctrl-C.

Why: ``kill <pid>``, a job scheduler's time limit and ``docker stop`` all send
SIGTERM, whose default action kills the process at once -- no temporary
folder removed, no "finished chunks are in ...; resume with ..." message,
pool workers left to notice on their own. Raising :class:`Terminated` (a
``KeyboardInterrupt``) instead runs exactly the clean-up and reporting that
Ctrl-C already gets.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def _raise(signum, frame) -> None:
    raise Terminated()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_exit(exc: KeyboardInterrupt) -> int:
    """Exit code of an interruption: 143 for SIGTERM, 130 for Ctrl-C (shell convention)."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else 130
