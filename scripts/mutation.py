"""The mutation run of docs/mutation.md: a uniform sample of the mutants mutmut
makes of ``sim/model`` and ``sim/metrics``, each run against the test files that
``[tool.mutmut]`` in pyproject.toml selects.

    pip install -e '.[mutation]'
    python scripts/mutation.py run --sample 300 --seed 2026   # hours on two cores
    python scripts/mutation.py results > results.csv          # mutant,status of the sample
    python scripts/mutation.py info --commit REV > run.json   # mutmut version, mutants, sample, seed
    python scripts/mutation.py render                         # docs/mutation.md's tables, from both

``run`` has mutmut make every mutant and measure which tests cover what (a
``mutmut run`` asked for a mutant name that matches none: it stops once that is
done), draws the sample (``random.Random(seed).sample`` over the sorted names),
writes it to ``mutants/sample.txt`` and runs it. ``results`` reads mutmut's
stored outcome of each sampled mutant. ``info`` says what the run was. ``render``
rewrites the generated part of docs/mutation.md from docs/mutation_run.json and
docs/mutation_sample.csv (the outcome of each sampled mutant and, for each not
killed, the verdict and its reason); a test checks the document is what
``render`` makes.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sim import markers

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "mutation.md"
TABLE = REPO / "docs" / "mutation_sample.csv"
RUN = REPO / "docs" / "mutation_run.json"
BLOCK = "mutation-tables"  # docs/mutation.md's marker block (sim/markers.py)
# mutmut's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code)
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", None: "not checked",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
VERDICTS = ("killed now", "harmless", "open")  # of each mutant that survived the run


def outcomes(root: Path = Path(".")) -> dict[str, int | None]:
    """Every mutant's exit code as mutmut stored it under ``root/mutants``."""
    out: dict[str, int | None] = {}
    for meta in glob.glob(str(root / "mutants" / "sim" / "**" / "*.py.meta"), recursive=True):
        out.update(json.loads(Path(meta).read_text())["exit_code_by_key"])
    return out


def sample(names: list[str], n: int, seed: int) -> list[str]:
    """A uniform sample of ``n`` mutant names, the same for the same names and seed."""
    return sorted(random.Random(seed).sample(sorted(names), n))


def run(n: int, seed: int, max_children: int) -> None:
    if not outcomes():
        # make the mutants and the test statistics; no mutant matches the name, so it
        # stops there (with mutmut's "nothing matches" message)
        subprocess.run(["mutmut", "run", "salesim-no-such-mutant"], check=False)
    names = list(outcomes())
    if not names:
        sys.exit("mutmut made no mutants (see its output above)")
    chosen = sample(names, n, seed)
    Path("mutants/sample.txt").write_text("\n".join(chosen) + "\n")
    subprocess.run(["mutmut", "run", "--max-children", str(max_children), *chosen], check=True)


def results(path: Path) -> None:
    chosen = path.read_text().split()
    codes = outcomes()
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["mutant", "status"])
    for name in chosen:
        w.writerow([name, STATUS.get(codes.get(name), "suspicious")])


def read_table(path: Path = TABLE) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def read_run(path: Path = RUN) -> dict:
    return json.loads(path.read_text())


def info(sample_file: Path, commit: str, seed: int) -> None:
    from importlib.metadata import version

    print(json.dumps({"mutmut": version("mutmut"), "commit": commit, "mutants": len(outcomes()),
                      "sample": len(sample_file.read_text().split()), "seed": seed}, indent=1))


def render(rows: list[dict[str, str]], run: dict) -> str:
    """The generated part of docs/mutation.md (the body of its block): the figures and the mutants not killed."""
    status = Counter(r["status"] for r in rows)
    n = len(rows)
    lines = ["",
             f"The run: mutmut {run['mutmut']} on commit `{run['commit']}`, {run['mutants']:,} mutants, "
             f"a sample of {n} drawn with seed {run['seed']}.", "",
             "| outcome | mutants | share |", "|---|---:|---:|"]
    for s in ("killed", "survived", "timeout", "no tests"):
        lines.append(f"| {s} | {status.get(s, 0)} | {status.get(s, 0) / n:.0%} |")
    survived = [r for r in rows if r["status"] == "survived"]
    verdict = Counter(r["verdict"] for r in survived)
    lines += ["", f"The {len(survived)} that survived, judged one by one:", "",
              "| verdict | mutants |", "|---|---:|"]
    lines += [f"| {v} | {verdict.get(v, 0)} |" for v in VERDICTS]
    groups = (("killed now", "Survived the run, killed now (by the test named)"),
              ("harmless", "Harmless (why)"), ("open", "Open: not yet killed"),
              ("timeout", "Timed out (detected: the run never finished)"))
    for v, title in groups:
        group = sorted((r for r in rows if r["status"] != "killed" and r["verdict"] == v), key=lambda r: r["mutant"])
        if not group:
            continue
        lines += ["", f"**{title}**", "", "| mutant | change | |", "|---|---|---|"]
        lines += [f"| `{r['mutant']}` | {r['change']} | {r['note']} |" for r in group]
    lines += [""]
    return "\n".join(lines)


def rendered_doc(text: str, rows: list[dict[str, str]], run: dict) -> str:
    return markers.render(text, {BLOCK: lambda: render(rows, run)}, "docs/mutation.md", required=[BLOCK])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="make the mutants, draw the sample, run it")
    r.add_argument("--sample", type=int, default=300)
    r.add_argument("--seed", type=int, default=2026)
    r.add_argument("--max-children", type=int, default=2)
    s = sub.add_parser("results", help="mutant,status of the sample, as CSV")
    s.add_argument("--sample-file", type=Path, default=Path("mutants/sample.txt"))
    i = sub.add_parser("info", help="the run's facts as JSON (mutmut version, commit, mutants, sample, seed)")
    i.add_argument("--sample-file", type=Path, default=Path("mutants/sample.txt"))
    i.add_argument("--commit", required=True)
    i.add_argument("--seed", type=int, default=2026)
    sub.add_parser("render", help="rewrite the tables of docs/mutation.md from docs/mutation_sample.csv")
    a = p.parse_args(argv)
    if a.cmd == "run":
        run(a.sample, a.seed, a.max_children)
    elif a.cmd == "results":
        results(a.sample_file)
    elif a.cmd == "info":
        info(a.sample_file, a.commit, a.seed)
    else:
        markers.render_file(DOC, {BLOCK: lambda: render(read_table(), read_run())}, "docs/mutation.md",
                            required=[BLOCK])


if __name__ == "__main__":
    try:
        main()
    except markers.MarkerError as e:
        raise SystemExit(f"mutation: {e}") from None
