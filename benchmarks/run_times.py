"""Typical wall-clock times of the shipped scenarios and studies, for docs/guide/run-times.md.

Runs the project's own commands (``salesim run``, ``batch``, ``compare``,
``sweep``, and ``study`` when it exists) as a user would, with two workers,
and prints a Markdown table of wall time and CPU time (user + system, of the
command and its worker processes). Unlike the ratio benchmarks, these are
absolute times: they tell a new user what to expect on a small machine. Wall
time depends on what else the machine is doing; CPU time much less so, and
on an idle machine wall time is about the CPU time for a single run and
about half of it for a study on two workers. Studies run here with
``--workers 1`` (in this process tree, so their CPU time is counted). A
robust study (designs optimised across worlds, ``org_design.yaml``) takes
about half an hour and is not run here: its measurement is stored with its
output (benchmarks/README.md, ``robust_study``). With ``--json FILE`` the
table is also written as a record that ``benchmarks/results.py`` renders
into docs/guide/run-times.md.

    python benchmarks/run_times.py            # everything (several minutes)
    python benchmarks/run_times.py --json benchmarks/results/run_times.json   # and store it for the docs
    python benchmarks/run_times.py --quick    # single runs only
    python benchmarks/run_times.py --studies  # studies only
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SALESIM = [sys.executable, "-m", "sim"]


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([*SALESIM, *argv], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def jobs(out: Path, quick: bool, studies_only: bool = False) -> list[tuple[str, list[str], int]]:
    """(label, argv, simulations) per job: single runs, then small studies (their
    replication counts keep this script short; time scales with replications)."""
    runs = [(f"`salesim run scenarios/{p.name}`", ["run", f"scenarios/{p.name}"], 1)
            for p in sorted((REPO / "scenarios").glob("*.yaml"))]
    if quick:
        return runs
    w = ["--workers", "1", "--quiet"]
    studies = [
        ("`salesim batch scenarios/small_team.yaml --reps 20`",
         ["batch", "scenarios/small_team.yaml", "--reps", "20", *w, "--out", str(out / "b")], 20),
        ("`salesim compare scenarios/inverted_triangle.yaml scenarios/upright_triangle.yaml --reps 4`",
         ["compare", "scenarios/inverted_triangle.yaml", "scenarios/upright_triangle.yaml", "--reps", "4", *w,
          "--out", str(out / "c")], 8),
        ("`salesim compare scenarios/pods_no_split.yaml scenarios/pods_split.yaml --reps 4`",
         ["compare", "scenarios/pods_no_split.yaml", "scenarios/pods_split.yaml", "--reps", "4", *w,
          "--out", str(out / "c2")], 8),
        ("`salesim sweep scenarios/small_team.yaml --param roles.ae.headcount=1:4:1 --design grid --reps 2`",
         ["sweep", "scenarios/small_team.yaml", "--param", "roles.ae.headcount=1:4:1", "--design", "grid",
          "--reps", "2", *w, "--out", str(out / "s")], 14),
    ]
    for study in sorted((REPO / "scenarios" / "studies").glob("*.yaml")):
        if _robust(study):
            continue
        cells = _cells(study)
        studies.append((f"`salesim study scenarios/studies/{study.name} --reps 1`",
                        ["study", f"scenarios/studies/{study.name}", "--reps", "1", *w,
                         "--out", str(out / study.stem)], cells))
    return studies if studies_only else runs + studies


def _robust(path: Path) -> bool:
    sys.path.insert(0, str(REPO))
    from sim.experiments.study.study_file import read_spec

    return bool(read_spec(path)[0].robust)


def _cells(path: Path) -> int:
    """Cells of a study file (one simulation each at --reps 1)."""
    sys.path.insert(0, str(REPO))
    from sim.experiments.study.study_file import load_study

    return len(load_study(path).cells)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="single runs only")
    ap.add_argument("--studies", action="store_true", help="studies only")
    ap.add_argument("--json", type=Path, help="also write the measurements to this file (for benchmarks/results.py)")
    args = ap.parse_args()
    rows = []
    print(f"{os.cpu_count()} cores; Python {sys.version.split()[0]}\n")
    print("| command | simulations | wall time | CPU time | CPU per simulation |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, argv, sims in jobs(Path(tmp), args.quick, args.studies):
            try:
                wall, cpu = timed(argv)
            except subprocess.CalledProcessError as exc:
                print(f"| {label} | | failed (exit {exc.returncode}) | | |", flush=True)
                continue
            per = f"{cpu / sims:.1f} s" if sims else "-"
            print(f"| {label} | {sims or '-'} | {wall:.1f} s | {cpu:.1f} s | {per} |", flush=True)
            rows.append({"command": label.strip("`"), "simulations": sims, "wall_s": wall, "cpu_s": cpu})
    if args.json is not None:
        import json

        commit = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True,
                                cwd=REPO).stdout.strip()
        record = {"date": time.strftime("%Y-%m-%d"), "commit": commit, "cores": os.cpu_count(),
                  "python": sys.version.split()[0],
                  "load_average": list(os.getloadavg()), "rows": rows}
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
