"""Split a POD or grow it in place, at equal hires: the study behind the
"pod_growth" section of scenarios/studies/README.md.

Runs ``salesim compare scenarios/pods_split_coordinated.yaml
scenarios/pods_grow_in_place.yaml`` (paired replications, common random
numbers) at several coordination costs per teammate
(``work_model.coordination.hours_per_colleague_per_week``) and writes the
result table between the ``pod_growth`` markers of the README, so that every
number there comes from this run, never typed. Run from the repository root::

    python scenarios/studies/pod_growth.py [--reps 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sim.experiments.comparison import compare

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "scenarios" / "studies" / "README.md"
PAIR = [ROOT / "scenarios" / "pods_split_coordinated.yaml", ROOT / "scenarios" / "pods_grow_in_place.yaml"]
HOURS = (0.0, 1.0, 2.0)
KEY = "work_model.coordination.hours_per_colleague_per_week"
BEGIN, END = "<!-- pod_growth:begin -->", "<!-- pod_growth:end -->"


def money(x: float) -> str:
    return f"{x / 1e6:+.2f}M"


def row(hours: float, reps: int, workers: int, seed: int) -> list[str]:
    res = compare(PAIR, reps, seed=seed, overrides=[f"{KEY}={hours}"], workers=workers, progress=False,
                  weekly=False)
    paired = res.paired.set_index("kpi")
    means = res.side_by_side
    split, grow = res.labels

    def seats(label: str) -> float:
        return float(means.loc["roles.sdr.headcount", label] + means.loc["roles.ae.headcount", label])

    arr = paired.loc["arr_end_usd"]
    cpa = paired.loc["cost_per_arr_usd"]
    cost = paired.loc["costs.total_usd"]
    arr_split, arr_grow = means.loc["arr_end_usd", split], means.loc["arr_end_usd", grow]
    return [f"{hours:g}", f"{arr_split / 1e6:.2f}M", f"{arr_grow / 1e6:.2f}M",
            f"{money(arr['diff'])} [{money(arr['diff_ci_low'])}, {money(arr['diff_ci_high'])}]",
            f"{means.loc['cost_per_arr_usd', split]:.3f} / {means.loc['cost_per_arr_usd', grow]:.3f}",
            f"{cpa['diff']:+.3f} [{cpa['diff_ci_low']:+.3f}, {cpa['diff_ci_high']:+.3f}]",
            f"{money(cost['diff'])}", f"{seats(split):.1f} / {seats(grow):.1f}"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    head = ["hours per teammate a week", "ARR split", "ARR grown", "grown - split ARR [95% CI]",
            "cost per ARR split / grown", "grown - split [95% CI]", "grown - split cost", "SDR + AE seats at end"]
    rows = [row(h, args.reps, args.workers, args.seed) for h in HOURS]
    table = "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                      + ["| " + " | ".join(r) + " |" for r in rows])
    text = (f"{BEGIN}\n`python scenarios/studies/pod_growth.py --reps {args.reps} --seed {args.seed}` "
            f"({args.reps} paired replications per level, 156 weeks, root seed {args.seed}):\n\n{table}\n{END}")
    old = README.read_text()
    new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: text, old, flags=re.S)
    README.write_text(new)
    print(text)


if __name__ == "__main__":
    main()
