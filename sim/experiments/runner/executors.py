"""Where chunks run: in-process, on a local process pool, or on Dask.

Why three: serial is the simplest thing that works (and the only sensible
default inside a notebook, where process pools surprise people); a process
pool uses the laptop's cores; Dask distributed scales past one machine and
restarts lost workers by itself. All three share one tiny interface --
``run(fn, tasks)`` yields results *as they complete* -- so the driver, the
store and the progress bar do not care which one is used, and results are
identical because every replication's seed depends only on its index
(:mod:`sim.experiments.runner.seeds`).

No home-made cluster code: :mod:`concurrent.futures` and ``distributed`` do
the work. The pool starts workers with ``forkserver`` (where the platform has
it) with the worker module preloaded, so a worker is a cheap fork of a clean
process that already imported the simulator, never a fork of a driver that
holds threads (progress bar, Dask client).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.errors import ArgumentError

WORKER_MODULE = "sim.experiments.runner.worker"


class WorkerLost(RuntimeError):
    """A worker process died (killed, out of memory); finished chunks were kept."""


def in_notebook() -> bool:
    """True inside a Jupyter kernel (an IPython shell that talks ZMQ)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = getattr(ipython, "get_ipython", lambda: None)()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """All cores on a terminal; 1 (in-process) in a notebook unless asked."""
    return 1 if in_notebook() else available_cores()


class SerialExecutor:
    """Runs each chunk in this process, when the driver asks for the next result."""

    name = "serial"

    def __init__(self) -> None:
        self.workers = 1

    def run(self, fn: Callable, tasks: Iterable) -> Iterator[Any]:
        for task in tasks:
            yield fn(task)

    def close(self, abort: bool = False) -> None:
        pass


def _pool_context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([WORKER_MODULE])
        return ctx
    return multiprocessing.get_context("spawn")


class ProcessExecutor:
    """A local :class:`~concurrent.futures.ProcessPoolExecutor`.

    A worker that dies breaks the pool (that is how ``concurrent.futures``
    tells us): the chunks that had finished are still handed over, then
    :class:`WorkerLost` is raised so the caller can say how to resume.
    """

    name = "process pool"

    def __init__(self, workers: int):
        from sim.experiments.runner.worker import init_worker

        self.workers = workers
        ctx = _pool_context()
        self._pids = ctx.SimpleQueue()  # each worker puts its process id here as it starts
        self._known: list[int] = []
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                         initializer=init_worker, initargs=(os.getpid(), self._pids))

    def run(self, fn: Callable, tasks: Iterable) -> Iterator[Any]:
        pending = {self._pool.submit(fn, t) for t in tasks}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                broken = None
                for fut in done:
                    exc = fut.exception()
                    if isinstance(exc, BrokenProcessPool):
                        broken = exc
                    elif exc is not None:
                        raise exc
                    else:
                        yield fut.result()
                if broken is not None:
                    raise WorkerLost("a worker process died (killed, or out of memory?)") from broken
        finally:
            for fut in pending:
                fut.cancel()

    def worker_pids(self) -> list[int]:
        """The process ids of the workers started so far (each told us as it started)."""
        while not self._pids.empty():
            self._known.append(self._pids.get())
        return list(self._known)

    def close(self, abort: bool = False) -> None:
        pids = self.worker_pids()
        self._pool.shutdown(wait=not abort, cancel_futures=True)
        if abort:  # do not wait for chunks nobody will read: stop the workers this pool started
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5.0
            for pid in pids:
                while time.monotonic() < deadline and _alive(pid):
                    time.sleep(0.05)
        self._pids.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DaskExecutor:
    """Dask distributed: ``"local"`` starts a LocalCluster (one single-threaded
    worker process per core asked for: the simulator is pure Python, threads
    would only share one GIL); any other value is a scheduler address."""

    name = "dask"

    def __init__(self, address: str, workers: int | None = None, timeout_s: float = 10.0):
        from sim.extras import require

        require("dask")
        from distributed import Client, LocalCluster
        self._cluster = None
        if address == "local":
            self._cluster = LocalCluster(n_workers=workers or available_cores(), threads_per_worker=1,
                                         processes=True, dashboard_address=":0",
                                         silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
            self.name = "dask LocalCluster"
        else:
            try:
                self._client = Client(address, timeout=f"{timeout_s}s")
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                raise ArgumentError("dask", f"cannot connect to a Dask scheduler there "
                                    f"({type(exc).__name__}: {exc})", address) from None
            self.name = f"dask {address}"
        self.workers = len(self._client.scheduler_info().get("workers", {})) or (workers or 1)

    def run(self, fn: Callable, tasks: Iterable) -> Iterator[Any]:
        from distributed import as_completed

        futures = [self._client.submit(fn, t, pure=False) for t in tasks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def close(self, abort: bool = False) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int, executor: str = "auto",
                  dask: str | None = None) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """Pick the executor: Dask if an address (or ``local``) is given, serial for
    one worker (or when asked), else a process pool."""
    if dask is not None:
        return DaskExecutor(dask, workers)
    if executor == "serial" or (executor == "auto" and workers == 1):
        return SerialExecutor()
    if executor in ("auto", "process"):
        return ProcessExecutor(workers)
    raise ArgumentError("executor", f"expected 'auto', 'serial' or 'process', got {executor!r}")
