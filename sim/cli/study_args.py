"""Flags and error handling shared by ``salesim batch``, ``compare`` and ``sweep``.

Why shared: the three commands run the same study driver, so they take the
same execution flags (``--workers``, ``--dask``, ``--out``, ``--resume``,
``--fail-fast``, ``--quiet``...) with the same meaning and the same checks,
and they report an interrupted or failed study the same way: a message with
how to resume, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sim.errors import UsageError
from sim.units import MAX_HORIZON_WEEKS

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
DEFAULT_RUNS = Path("runs")


def whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """argparse type: a whole number in [low, high]."""
    span = f">= {low}" if high is None else f"in [{low}, {high}]"

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {text!r}") from None
        if v < low or (high is not None and v > high):
            raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {text!r}")
        return v

    return parse


def weeks(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of weeks in (0, {MAX_HORIZON_WEEKS}], got {text!r}") from None
    if not 0 < v <= MAX_HORIZON_WEEKS:
        raise argparse.ArgumentTypeError(f"expected a number of weeks in (0, {MAX_HORIZON_WEEKS}], got {text!r}")
    return v


def add_study_flags(p: argparse.ArgumentParser, reps_default: int | None = None, reps_from: str | None = None,
                    reps: bool = True) -> None:
    """Replications, seed, horizon, execution and output flags (``reps_from``: the
    replications default to a file's, e.g. a study file's ``reps``; ``reps=False``:
    the command adds its own ``--reps``)."""
    if not reps:
        pass
    elif reps_from is not None:
        p.add_argument("--reps", type=whole(1, 10_000_000), help=f"replications per cell (default: the {reps_from}'s)")
    elif reps_default is None:
        p.add_argument("--reps", type=whole(1, 10_000_000), required=True, help="replications (per scenario)")
    else:
        p.add_argument("--reps", type=whole(1, 10_000_000), default=reps_default,
                       help=f"replications per point (default {reps_default})")
    p.add_argument("--seed", type=whole(0), help="root seed; replication i runs under SeedSequence(seed, "
                   "spawn_key=(i,)) (default: the (first) scenario's seed)")
    p.add_argument("--weeks", type=weeks, help="horizon in weeks (default: the scenario's)")
    p.add_argument("--workers", type=whole(1, 4096), help="worker processes (default: all cores; 1 runs "
                   "in-process; with --dask local, the LocalCluster's size; a scheduler address brings its own)")
    p.add_argument("--dask", metavar="ADDRESS|local", help="run on Dask: 'local' starts a LocalCluster "
                   "(one single-threaded process per worker), else a scheduler address like tcp://host:8786")
    p.add_argument("--out", type=Path, help="folder to stream results to (default: runs/<command>-<name>-<time>)")
    p.add_argument("--resume", action="store_true", help="finish the interrupted study in --out")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first replication that raises")
    p.add_argument("--chunk-size", type=whole(1, 10_000_000), help="replications per task (default: automatic)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a scenario value (repeatable; applies to every scenario file)")


def output_folder(args, kind: str, name: str) -> Path:
    """``--out``, or ``runs/<kind>-<name>-<time>``; checks ``--resume`` and ``--dask`` too."""
    if args.resume and args.out is None:
        raise UsageError(f"--resume needs --out DIR: the folder of the {kind} to finish")
    if args.dask is not None and not args.dask.strip():
        raise UsageError("--dask: expected 'local' or a scheduler address")
    out = args.out
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = DEFAULT_RUNS / f"{kind}-{name}-{stamp}"
        try:
            DEFAULT_RUNS.mkdir(exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {DEFAULT_RUNS}/ for the results ({exc.strerror}); "
                             "choose a folder with --out") from None
    return out


def study_kwargs(args, kind: str, name: str) -> dict:
    """Keyword arguments for the experiments API, with the default output folder."""
    out = output_folder(args, kind, name)
    return {"seed": args.seed, "weeks": args.weeks, "workers": args.workers, "dask": args.dask, "out": out,
            "resume": args.resume, "fail_fast": args.fail_fast, "chunk_size": args.chunk_size,
            "progress": False if args.quiet else None}


def guarded(fn: Callable[[], int], out: Path | None) -> int:
    """Run a study; turn an interruption or a fail-fast stop into a message (exit 1 / 130)
    that says where the finished chunks are and how to resume."""
    from sim.experiments.study import ReplicationFailed, StudyInterrupted

    try:
        return fn()
    except ReplicationFailed as exc:
        print(f"salesim: {exc}\nstopped (--fail-fast); finished chunks are in {exc.out}; "
              "the error is also in the replication's row", file=sys.stderr)
        return EXIT_FAILED
    except StudyInterrupted as exc:
        print(f"salesim: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        if out is not None and Path(out).exists():
            print(f"salesim: interrupted; finished chunks are in {out}: run the same command with --out {out} "
                  "--resume to finish", file=sys.stderr)
        else:
            print("salesim: interrupted before any replication was saved", file=sys.stderr)
        return EXIT_INTERRUPTED
