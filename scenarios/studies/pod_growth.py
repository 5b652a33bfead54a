"""Split a POD or grow it in place, at equal hires: the study behind the
"pod_growth" section of scenarios/studies/README.md.

    python scenarios/studies/pod_growth.py run --reps 20 [--workers 2]   # writes pod_growth.json
    python scenarios/studies/pod_growth.py render                        # the README's table, from it

``run`` compares ``scenarios/pods_split_coordinated.yaml`` with
``scenarios/pods_grow_in_place.yaml`` (paired replications, common random
numbers, as ``salesim compare``) at several coordination costs per teammate
(``work_model.coordination.hours_per_colleague_per_week``) and stores the
figures in ``scenarios/studies/pod_growth.json``; ``render`` writes the table
between the ``pod_growth`` markers of the README from that file (a test checks
the README is what ``render`` makes, so no figure there is typed by hand).
Run from the repository root.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from sim import markers

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "scenarios" / "studies" / "README.md"
DATA = ROOT / "scenarios" / "studies" / "pod_growth.json"
PAIR = [ROOT / "scenarios" / "pods_split_coordinated.yaml", ROOT / "scenarios" / "pods_grow_in_place.yaml"]
HOURS = (0.0, 0.5, 1.0, 2.0)
KEY = "work_model.coordination.hours_per_colleague_per_week"
BLOCK = "pod_growth"  # the README's marker block (sim/markers.py)


def money(x: float) -> str:
    return f"{x / 1e6:+.2f}M"


def measure(hours: float, reps: int, workers: int, seed: int) -> dict:
    """One level: the paired comparison's figures, as plain numbers."""
    from sim.experiments import compare

    res = compare(PAIR, reps, seed=seed, overrides=[f"{KEY}={hours}"], workers=workers, progress=False,
                  weekly=False)
    paired = res.paired.set_index("kpi")
    means = res.side_by_side
    split, grow = res.labels

    def seats(label: str) -> float:
        return float(means.loc["roles.sdr.headcount", label] + means.loc["roles.ae.headcount", label])

    def diff(kpi: str) -> list[float]:
        row = paired.loc[kpi]
        return [float(row["diff"]), float(row["diff_ci_low"]), float(row["diff_ci_high"])]

    return {"hours": hours,
            "arr_split": float(means.loc["arr_end_usd", split]), "arr_grow": float(means.loc["arr_end_usd", grow]),
            "arr_diff": diff("arr_end_usd"),
            "cpa_split": float(means.loc["cost_per_arr_usd", split]),
            "cpa_grow": float(means.loc["cost_per_arr_usd", grow]),
            "cpa_diff": diff("cost_per_arr_usd"), "cost_diff": diff("costs.total_usd")[0],
            "seats_split": seats(split), "seats_grow": seats(grow)}


def run(reps: int, workers: int, seed: int) -> dict:
    t0 = time.process_time()
    rows = [measure(h, reps, workers, seed) for h in HOURS]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    data = {"reps": reps, "seed": seed, "weeks": 156, "commit": commit, "rows": rows,
            "cpu_seconds_main_process": round(time.process_time() - t0, 1)}
    DATA.write_text(json.dumps(data, indent=1) + "\n")
    return data


def render_body(data: dict) -> str:
    head = ["hours per teammate a week", "ARR split", "ARR grown", "grown - split ARR [95% CI]",
            "cost per ARR split / grown", "grown - split [95% CI]", "grown - split cost", "SDR + AE seats at end"]
    rows = []
    for r in data["rows"]:
        a, c = r["arr_diff"], r["cpa_diff"]
        rows.append([f"{r['hours']:g}", f"{r['arr_split'] / 1e6:.2f}M", f"{r['arr_grow'] / 1e6:.2f}M",
                     f"{money(a[0])} [{money(a[1])}, {money(a[2])}]", f"{r['cpa_split']:.3f} / {r['cpa_grow']:.3f}",
                     f"{c[0]:+.3f} [{c[1]:+.3f}, {c[2]:+.3f}]", money(r["cost_diff"]),
                     f"{r['seats_split']:.1f} / {r['seats_grow']:.1f}"])
    table = "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                      + ["| " + " | ".join(x) + " |" for x in rows])
    return (f"`python scenarios/studies/pod_growth.py run --reps {data['reps']} --seed {data['seed']}` "
            f"({data['reps']} paired replications per level, {data['weeks']} weeks, root seed {data['seed']}, "
            f"code at commit {data['commit'][:7]}; stored in `pod_growth.json`):\n\n{table}")


def render_block(data: dict) -> str:
    """The whole block, markers included, as the README holds it."""
    return markers.block_text(BLOCK, render_body(data))


def rendered(text: str, data: dict) -> str:
    """``text`` (the README) with its pod_growth block made from ``data``."""
    return markers.render(text, {BLOCK: lambda: render_body(data)}, "scenarios/studies/README.md", required=[BLOCK])


def render() -> None:
    data = json.loads(DATA.read_text())
    markers.render_file(README, {BLOCK: lambda: render_body(data)}, "scenarios/studies/README.md", required=[BLOCK])
    print(render_block(data))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="measure and store pod_growth.json, then render")
    r.add_argument("--reps", type=int, default=20)
    r.add_argument("--workers", type=int, default=2)
    r.add_argument("--seed", type=int, default=5)
    sub.add_parser("render", help="rewrite the README's table from pod_growth.json")
    args = ap.parse_args(argv)
    if args.cmd == "run":
        run(args.reps, args.workers, args.seed)
    render()


if __name__ == "__main__":
    try:
        main()
    except markers.MarkerError as e:
        raise SystemExit(f"pod_growth: {e}") from None
