"""Flags and error handling shared by ``salesim batch``, ``compare`` and ``sweep``.

Why shared: the three commands run the same study driver, so they take the
same execution flags (``--workers``, ``--dask``, ``--out``, ``--resume``,
``--fail-fast``, ``--quiet``...) with the same meaning and the same checks,
and they report an interrupted or failed study the same way: a message with
how to resume, no traceback.
"""

from __future__ import annotations

import argparse
import errno
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sim.cli.run_size import add_size_flags, limits_of
from sim.errors import UsageError
from sim.outpaths import check_parent
from sim.units import MAX_HORIZON_WEEKS

EXIT_FAILED = 1
EXIT_USAGE = 2
DEFAULT_RUNS = Path("runs")


# C0 and C1 control characters but the line feed and tab, and the bidirectional
# overrides: in a message they would move the cursor, recolor or reorder the
# terminal's text, or forge a line; shown escaped (\x1b), as Python writes them
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """A message as it may reach a terminal: control characters escaped, and
    characters no encoding has (a file name's undecodable bytes) as ``\\udcff``."""
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def shown(text: str, limit: int = 40) -> str:
    """A flag's value as a message quotes it: escaped, and cut after ``limit``
    characters (a 10,000-character value is not worth repeating)."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text):,} characters)"


def whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """argparse type: a whole number in [low, high] (argparse names the flag)."""
    span = f">= {low}" if high is None else f"in [{low}, {high}]"

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:  # also: more digits than Python converts
            raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {shown(text)}") from None
        if v < low or (high is not None and v > high):
            raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {shown(text)}")
        return v

    return parse


def weeks(text: str) -> float:
    """argparse type: a horizon in weeks, with the bounds of a scenario's ``horizon_weeks``."""
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not 0 < v <= MAX_HORIZON_WEEKS:  # NaN and infinities too
        raise argparse.ArgumentTypeError(f"expected a number of weeks in (0, {MAX_HORIZON_WEEKS}], got {shown(text)}")
    return v


def add_scenario_flags(p: argparse.ArgumentParser, what: str = "scenario") -> None:
    """The flags of a command that reads one scenario and simulates it on a root seed
    (``salesim check``, ``salesim plan``): the file, ``--seed``, ``--weeks``, ``--set``;
    ``what`` names the scenario in the help (e.g. "base scenario")."""
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--seed", type=whole(0), help="root seed (default: the scenario's seed)")
    p.add_argument("--weeks", type=weeks, help="horizon in weeks (default: the scenario's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help=f"override a {what} value, e.g. --set roles.ae.headcount=3 (repeatable)")


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
    p.add_argument("--allow-failures", action="store_true", help="exit 0 even if some replications raised "
                   "(they are reported and kept out of the summaries; default: exit 1)")
    p.add_argument("--chunk-size", type=whole(1, 10_000_000), help="replications per task (default: automatic)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a scenario value (repeatable; applies to every scenario file)")
    add_size_flags(p)  # per replication, checked up front from the estimate


def add_force_flag(p) -> None:
    """``--force`` of a study command with ``--plot``: the figure only."""
    p.add_argument("--force", action="store_true", help="replace a --plot file that salesim wrote earlier "
                   "(never anything else; a results folder is continued with --resume, never replaced)")


def check_sizes(args, scenarios) -> None:
    """Refuse a study whose replications are each estimated to pass the size limits."""
    from sim.run import check_size

    for scenario in scenarios:
        check_size(scenario, args.weeks, limits_of(args))


def output_folder(args, kind: str, name: str) -> Path:
    """``--out``, or ``runs/<kind>-<name>-<time>``; checks ``--resume`` and ``--dask`` too."""
    if args.resume and args.out is None:
        raise UsageError(f"--resume needs --out DIR: the folder of the {kind} to finish")
    if args.dask is not None and not args.dask.strip():
        raise UsageError("--dask: expected 'local' or a scheduler address")
    if args.dask is not None:
        from sim.extras import require

        require("dask")
    out = args.out
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = DEFAULT_RUNS / f"{kind}-{name}-{stamp}"
        try:  # checked, not made: the study makes it when it writes (no empty runs/ left by a refused study)
            check_parent(out, "--out")
        except UsageError as exc:
            raise UsageError(f"cannot create {DEFAULT_RUNS}/ for the results ({exc}); choose a folder with "
                             "--out") from None
    return out


def study_kwargs(args, kind: str, name: str) -> dict:
    """Keyword arguments for the experiments API, with the default output folder."""
    out = output_folder(args, kind, name)
    return {"seed": args.seed, "weeks": args.weeks, "workers": args.workers, "dask": args.dask, "out": out,
            "resume": args.resume, "fail_fast": args.fail_fast, "chunk_size": args.chunk_size,
            "progress": False if args.quiet else None}


def failures_exit(study, allow: bool) -> int:
    """0, or ``EXIT_FAILED`` with a message when replications of a finished study
    raised and the user did not pass ``--allow-failures``: a study whose
    replications all failed must not look like a success to a script."""
    rows = study.replications
    if "error" not in rows or not rows["error"].notna().any():
        return 0
    bad = rows[rows["error"].notna()]
    first = bad.iloc[0]
    if allow:
        return 0
    where = f"; every error is in {study.out}/" if study.out is not None else ""
    print(printable(f"salesim: {len(bad)} of {len(rows)} replications failed; first: rep {first['rep']}: "
                    f"{first['error']}{where} (add --allow-failures to accept a study with failed replications)"),
          file=sys.stderr)
    return EXIT_FAILED


def _disk_full(exc: OSError) -> bool:
    # pyarrow reports ENOSPC as a plain OSError whose errno is only in the text
    return exc.errno == errno.ENOSPC or "No space left" in str(exc)


def guarded(fn: Callable[[], int], out: Path | None) -> int:
    """Run a study; turn an interruption (Ctrl-C or SIGTERM), a fail-fast stop or
    an output that cannot be written (a full disk) into a message (exit 1 / 2 /
    130 / 143) that says where the finished chunks are and how to resume."""
    from sim.cli.signals import interrupted_exit
    from sim.experiments.runner.driver import ReplicationFailed, StudyInterrupted

    try:
        return fn()
    except ReplicationFailed as exc:
        print(printable(f"salesim: {exc}\nstopped (--fail-fast); finished chunks are in {exc.out}; "
                        "the error is also in the replication's row"), file=sys.stderr)
        return EXIT_FAILED
    except StudyInterrupted as exc:
        print(printable(f"salesim: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        if out is not None and Path(out).exists():
            print(printable(f"salesim: interrupted; finished chunks are in {out}: run the same command with "
                            f"--out {out} --resume to finish"), file=sys.stderr)
        else:
            print("salesim: interrupted before any replication was saved", file=sys.stderr)
        return interrupted_exit(exc)
    except BrokenPipeError:  # stdout closed early (``salesim batch ... | head``): not the results folder
        raise
    except OSError as exc:  # ENOSPC, EROFS, EIO while saving a chunk or a table
        why = exc.strerror or str(exc)
        if out is not None and Path(out).exists():
            print(printable(f"salesim: cannot write to {out} ({why}); the chunks finished before are kept: "
                            + ("free some space, then " if _disk_full(exc) else "fix that, then ")
                            + f"run the same command with --out {out} --resume to finish"), file=sys.stderr)
        else:
            print(printable(f"salesim: cannot write to {out} ({why}); nothing was saved"), file=sys.stderr)
        return EXIT_USAGE
