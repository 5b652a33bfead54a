"""``salesim report DIR``: one self-contained HTML page for a results folder.

Presentation only: the work is :func:`sim.report.write_report`, which
recognizes the folder's kind (run, batch, compare, sweep, study, plan, or
any registered kind) and builds its sections.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write an HTML report of a results folder (run, batch, compare, sweep, "
                       "study, plan, forecast)", description="Write one self-contained HTML file (inline figures "
                       "and styles, no network needed to view it) for a folder written by salesim run --out, batch, "
                       "compare, sweep, study, plan or forecast --out.")
    p.add_argument("folder", type=Path, metavar="DIR", help="results folder")
    p.add_argument("--out", type=Path, metavar="FILE.html", help="where to write the report (default: "
                   "DIR/report.html)")
    p.add_argument("--force", action="store_true", help="replace an existing report that salesim wrote earlier "
                   "(never anything else)")


def run(args: argparse.Namespace) -> int:
    from sim.report import write_report

    out = args.out if args.out is not None else args.folder / "report.html"
    path = write_report(args.folder, out, force=args.force)
    print(f"wrote {path}")
    return 0
