"""The ``salesim`` command line.

Exit codes: 0 success; 2 bad input (scenario, flag or file), reported as a
message on stderr without a traceback; 1 an unexpected internal error.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.cli import (
    batch_cmd,
    calibrate_cmd,
    check_cmd,
    compare_cmd,
    forecast_cmd,
    init_cmd,
    plan_cmd,
    report_cmd,
    study_cmd,
    sweep_cmd,
)
from sim.cli.run_size import add_size_flags
from sim.cli.study_args import printable, weeks, whole
from sim.errors import ArgumentError, SalesimError, UsageError
from sim.units import MAX_HORIZON_WEEKS

EXIT_USAGE = 2
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT,
                       errno.ENOTDIR, errno.EISDIR, errno.EIO, errno.EMFILE, errno.ENAMETOOLONG, errno.ELOOP}

# Python argument names (as the experiments API raises them) -> this command's flags
FLAGS = {"reps": "--reps", "workers": "--workers", "chunk_size": "--chunk-size", "weeks": "--weeks",
         "seed": "--seed", "out": "--out", "resume": "--resume", "dask": "--dask", "targets": "--target",
         "metric": "--metric", "kpis": "--kpi", "params": "--param", "design": "--design",
         "samples": "--samples", "lifts": "--compound", "column": "--fan", "overrides": "--set",
         "scenarios": "scenario files"}


def _flag(name: str) -> str:
    return FLAGS.get(name, name)


class _Parser(argparse.ArgumentParser):
    """argparse, but errors go through our own reporting (exit 2, one message)."""

    def error(self, message: str):  # noqa: D401
        raise UsageError(f"{self.prog}: {message}")

    def _get_values(self, action, arg_strings):
        # argparse (3.11) drops a lone "--" given as an option's value
        # (``--out=--``) and hands the command an empty list, unchecked by the
        # flag's type; take it as the text it is, checked like any other value
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            return self._get_value(action, "--")
        return super()._get_values(action, arg_strings)


MAX_WEEKS = MAX_HORIZON_WEEKS  # the same cap as a scenario's horizon_weeks (20 years)


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. --set roles.ae.headcount=3 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="salesim", description="Simulate a B2B revenue organization.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run one scenario and print a summary")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--seed", type=whole(0), help="root random seed (default: the scenario's seed)")
    run.add_argument("--weeks", type=weeks, help="horizon in weeks (default: the scenario's)")
    run.add_argument("--json", action="store_true", help="print the KPIs as one JSON object")
    run.add_argument("--out", type=Path, help="write events, leads, weekly series and KPIs to DIR")
    run.add_argument("--format", choices=["csv", "parquet"], default="csv", help="table format for --out")
    run.add_argument("--force", action="store_true", help="replace an --out folder or --plot file that salesim "
                     "wrote earlier (never anything else)")
    run.add_argument("--plot", type=Path, metavar="FILE.png",
                     help="write a figure of the run (bookings, ARR and revenue, pipeline, queues) to FILE.png")
    _add_set(run)
    add_size_flags(run)

    init_cmd.add_parser(sub)  # a first scenario from a few numbers

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("scenarios", nargs="+", help="scenario YAML files")
    val.add_argument("--strict", action="store_true", help="treat the lint's warnings (a role no lead reaches, "
                     "a role asked for more hours than it has, a lever that costs nothing...) as errors: exit 2")
    _add_set(val)

    sch = sub.add_parser("schema", help="print the JSON Schema of the scenario format")
    sch.add_argument("--out", type=Path, help="write to a .json file instead of stdout")
    sch.add_argument("--force", action="store_true", help="replace an --out file that salesim wrote earlier")

    for study in (batch_cmd, compare_cmd, sweep_cmd, study_cmd):  # Monte Carlo studies
        study.add_parser(sub)
    plan_cmd.add_parser(sub)  # capacity planner
    calibrate_cmd.add_parsers(sub)  # calibration from CRM history
    forecast_cmd.add_parsers(sub)  # a forecast from the open pipeline at a date
    report_cmd.add_parser(sub)
    check_cmd.add_parser(sub)  # benchmarks
    return parser


def cmd_run(args) -> int:
    from sim.cli.output import check_target, write_run
    from sim.cli.render import emit
    from sim.cli.run_size import announce, limits_of, week_bar
    from sim.outpaths import Inputs
    from sim.plots import check_png_target, plot_run
    from sim.report.summary import RunView, sections
    from sim.run import check_size, simulate
    from sim.scenario import load_scenario, source_files

    scenario = load_scenario(args.scenario, args.overrides)
    inputs = Inputs.of(source_files(args.scenario))
    if args.out is not None:
        check_target(args.out, args.force, inputs)
    if args.plot is not None:
        check_png_target(args.plot, inputs=inputs, force=args.force)
        if args.out is not None and _inside(args.plot, args.out):
            raise UsageError(f"--plot {args.plot}: is inside --out {args.out}, which is replaced as a whole; "
                             "write the figure elsewhere")
    limits = limits_of(args)
    large = announce(check_size(scenario, args.weeks, limits))  # refuses a run too large before it starts
    with week_bar(args.weeks or scenario.horizon_weeks, large) as progress:
        result = simulate(scenario, seed=args.seed, weeks=args.weeks,
                          record="events" if args.out is not None else "kpis", limits=limits, progress=progress)
    if args.out is not None:
        write_run(result, args.out, args.format, force=args.force, overrides=args.overrides, inputs=inputs)
    if args.plot is not None:
        plot_run(result, args.plot)
    if args.json:
        print(json.dumps(result.kpis, allow_nan=False))  # strict JSON: simulate refuses non-finite KPIs
    else:
        emit(sections(RunView(result.kpis, result.weekly, scenario, tuple(args.overrides))))
        if args.out is not None:
            print(f"\nwrote {args.out}/ (events, leads, weekly as {args.format}; kpis.json)")
        if args.plot is not None:
            print(f"wrote {args.plot}")
    return 0


def _inside(path: Path, folder: Path) -> bool:
    p, f = path.resolve(), folder.resolve()
    return p == f or f in p.parents


def cmd_validate(args) -> int:
    from sim.errors import ScenarioError
    from sim.scenario.lint import lint_file

    failed = 0
    for path in args.scenarios:
        try:
            _scenario, warnings = lint_file(path, args.overrides)  # the lint: sim/scenario/lint.py
        except ScenarioError as exc:
            failed += 1
            print(message(exc), file=sys.stderr)
            continue
        level = "error" if args.strict else "warning"
        for line in warnings:
            print(printable(f"salesim: {level}: {line}"), file=sys.stderr)
        if warnings and args.strict:
            failed += 1
        else:
            print(f"{path}: ok" + (f" ({len(warnings)} warning{'s' if len(warnings) > 1 else ''})"
                                   if warnings else ""))
    return EXIT_USAGE if failed else 0


def cmd_schema(args) -> int:
    from sim.scenario.schema import Scenario

    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "salesim scenario"
    text = json.dumps(schema, indent=2) + "\n"
    if args.out is not None:
        from sim.outpaths import file_target, text_writer, write_file

        out = file_target(args.out, force=args.force, suffixes=(".json",), example="scenario.schema.json")
        write_file(out, text_writer(text), by="salesim schema")
    else:
        sys.stdout.write(text)
    return 0


COMMANDS = {"run": cmd_run, "init": init_cmd.run, "validate": cmd_validate, "schema": cmd_schema,
            "batch": batch_cmd.run, "compare": compare_cmd.run, "sweep": sweep_cmd.run,
            "study": study_cmd.run, "plan": plan_cmd.run, "report": report_cmd.run, "check": check_cmd.run,
            **calibrate_cmd.COMMANDS, **forecast_cmd.COMMANDS}


def message(exc: SalesimError) -> str:
    """The error as printed: one line starting ``salesim``, or ``salesim: error:``
    and the problems on the lines below."""
    text = printable(exc.render(_flag) if isinstance(exc, ArgumentError) else str(exc))
    return (text if text.startswith("salesim") else f"salesim: error: {text}" if "\n" not in text
            else f"salesim: error:\n{text}")


@contextmanager
def _tolerant_streams() -> Iterator[None]:
    """While a command runs, a character stdout or stderr cannot encode (a file
    name with undecodable bytes in "wrote ...") is written escaped instead of
    raising after the work is done."""
    changed = []
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
                changed.append(stream)
            except (ValueError, OSError):
                pass
    try:
        yield
    finally:
        for stream in changed:
            try:
                stream.reconfigure(errors="strict")
            except (ValueError, OSError):
                pass


def main(argv: list[str] | None = None) -> int:
    from sim.cli.signals import sigterm_as_interrupt

    with sigterm_as_interrupt(), _tolerant_streams():  # SIGTERM cleans up and reports like Ctrl-C
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    from sim.cli.signals import interrupted_exit

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            import sim

            print(f"salesim {sim.__version__}")
            return 0
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except SalesimError as exc:
        print(message(exc), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        print("salesim: interrupted", file=sys.stderr)
        return interrupted_exit(exc)
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if exc.errno not in _ENVIRONMENT_ERRNOS:
            raise
        # The machine, not the program: a full disk, a read-only or vanished
        # folder, no permission. Outputs are written whole or not at all, so
        # nothing half-written is left; say so instead of a traceback.
        where = f" ({exc.filename})" if exc.filename else ""
        hint = "; free some space and run again" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        print(printable(f"salesim: error: {exc.strerror or exc}{where}{hint}; nothing was written"),
              file=sys.stderr)
        return EXIT_USAGE
