"""``salesim init``: write a first scenario from a few numbers (see :mod:`sim.cli.starter`).

Flags give the numbers; on a terminal, every number not given is asked for,
with the default shown (Enter keeps it). Off a terminal the defaults are used
and marked ``[assumed]`` in the file. The scenario is validated before it is
written (never a file that does not load), written through
:mod:`sim.outpaths`, and linted: a warning (the SDRs cannot keep up with the
inbound volume...) is printed with what to change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.study_args import whole
from sim.errors import UsageError

DEFAULTS = {"sdr": 1, "ae": 2, "csm": 1, "inbound_per_week": 20.0, "acv_usd": 25_000.0}
QUESTIONS = {
    "sdr": "SDRs (they call inbound leads back and qualify them)",
    "ae": "AEs (they run the deals)",
    "csm": "CSMs (they look after customers)",
    "inbound_per_week": "inbound leads (MQLs) a week",
    "acv_usd": "average deal size, USD a year",
    "segment": "segment (smb, mid_market, enterprise)",
}


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (0 < value <= 1e9) or value != value:
        raise argparse.ArgumentTypeError(f"expected a number above 0 and at most 1e9, got {text!r}")
    return value


def _name(text: str) -> str:
    import re

    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", text):
        raise argparse.ArgumentTypeError(f"expected a lower_snake_case name (a-z, 0-9, _), got {text!r}")
    return text


def add_parser(sub) -> None:
    from sim.cli.starter import SEGMENTS

    p = sub.add_parser("init", help="write a first scenario from a few numbers (asks for the missing ones on a "
                       "terminal)", description="Write a short, commented scenario: SDRs who qualify inbound "
                       "leads, AEs who close, CSMs who keep customers. Every number is marked as given by you, "
                       "from the benchmark table (with its source) or assumed.")
    p.add_argument("--sdr", type=whole(0, 10_000), help=f"SDRs (default {DEFAULTS['sdr']})")
    p.add_argument("--ae", type=whole(1, 10_000), help=f"AEs (default {DEFAULTS['ae']})")
    p.add_argument("--csm", type=whole(0, 10_000), help=f"CSMs (default {DEFAULTS['csm']})")
    p.add_argument("--inbound", type=_positive, metavar="LEADS_PER_WEEK",
                   help=f"inbound leads a week (default {DEFAULTS['inbound_per_week']:g})")
    p.add_argument("--acv", type=_positive, metavar="USD", help=f"average deal size a year (default "
                   f"{DEFAULTS['acv_usd']:,.0f})")
    p.add_argument("--segment", choices=SEGMENTS, help="market tier (default: from --acv: below $15k smb, below "
                   "$100k mid_market, else enterprise)")
    p.add_argument("--name", type=_name, default="my_company", help="the scenario's name (default my_company)")
    p.add_argument("--out", type=Path, default=None, help="file to write (default NAME.yaml)")
    p.add_argument("--force", action="store_true", help="replace an --out file that salesim wrote earlier")
    p.add_argument("--no-input", action="store_true", help="never ask, even on a terminal: use the defaults")


def _ask(key: str, default, parse, stdin, stdout):
    while True:
        stdout.write(f"{QUESTIONS[key]} [{default}]: ")
        stdout.flush()
        line = stdin.readline()
        if not line:  # end of input: keep the default
            return default, False
        text = line.strip()
        if not text:
            return default, False
        try:
            return parse(text), True
        except (argparse.ArgumentTypeError, UsageError, ValueError) as exc:
            stdout.write(f"  {exc}\n")


def answers_from(args, interactive: bool, stdin=None, stdout=None):
    """The :class:`~sim.cli.starter.Answers` of these flags (and answers, on a terminal)."""
    from sim.cli.starter import SEGMENTS, Answers, segment_for

    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    flags = {"sdr": args.sdr, "ae": args.ae, "csm": args.csm, "inbound_per_week": args.inbound,
             "acv_usd": args.acv}
    parsers = {"sdr": whole(0, 10_000), "ae": whole(1, 10_000), "csm": whole(0, 10_000),
               "inbound_per_week": _positive, "acv_usd": _positive}
    values, given = {}, set()
    for key, value in flags.items():
        if value is not None:
            values[key] = value
            given.add(key)
        elif interactive:
            values[key], said = _ask(key, DEFAULTS[key], parsers[key], stdin, stdout)
            if said:
                given.add(key)
        else:
            values[key] = DEFAULTS[key]
    segment = args.segment
    if segment is not None:
        given.add("segment")
    elif interactive:
        def parse(text):
            if text not in SEGMENTS:
                raise ValueError(f"expected one of {', '.join(SEGMENTS)}")
            return text

        segment, said = _ask("segment", segment_for(values["acv_usd"]), parse, stdin, stdout)
        if said:
            given.add("segment")
    else:
        segment = segment_for(values["acv_usd"])
    return Answers(values["sdr"], values["ae"], values["csm"], float(values["inbound_per_week"]),
                   float(values["acv_usd"]), segment, args.name, frozenset(given))


def run(args) -> int:
    import yaml

    from sim.cli.starter import scenario_text
    from sim.outpaths import file_target, text_writer, write_file
    from sim.scenario import validate_data
    from sim.scenario.lint import lint

    out = file_target(args.out or Path(f"{args.name}.yaml"), force=args.force, suffixes=(".yaml", ".yml"),
                      example="my_company.yaml")
    interactive = not args.no_input and sys.stdin.isatty()
    answers = answers_from(args, interactive)
    text = scenario_text(answers)
    scenario = validate_data(yaml.safe_load(text), file=str(out))  # never write a scenario that does not load
    write_file(out, text_writer(text), by="salesim init")
    print(f"wrote {out} ({answers.segment}: {answers.sdr} SDR, {answers.ae} AE, {answers.csm} CSM, "
          f"{answers.inbound_per_week:g} inbound leads a week, ${answers.acv_usd:,.0f} deals)")
    for f in lint(scenario):
        print(f"salesim: warning: {out}: {'.'.join(map(str, f.path))}: {f.message} [{f.rule}]", file=sys.stderr)
    print(f"next: salesim run {out}; salesim check {out} (its figures against the benchmarks)")
    return 0
