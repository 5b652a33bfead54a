"""The calibration and forecast acceptance figures on the shipped snapshot sample
(data/crm/snapshot: the public snapshot export's shape), for docs/how-to/fit-your-crm.md
and the README.

    python scripts/crm_acceptance.py run       # about a minute: writes docs/crm_acceptance.json
    python scripts/crm_acceptance.py render    # the pages' blocks, from that file

``run`` fits the whole sample through its mapping and puts the fitted win rate,
mean days to a win and to a loss, mean value of a won deal and arrival rate next
to what pandas computes directly from the raw file (nothing shared with the
fit); then forecasts at two past dates (``CUTS``, ``RUNS`` runs, seed ``SEED``,
to ``UNTIL``) and scores the monthly bookings and wins that followed: coverage
of the 80% and 95% bands, and the CRPS of bookings against the two naive
forecasts. ``render`` rewrites the blocks between the markers
(``crm_acceptance`` in the how-to page, ``crm_headline`` in the README) from the
stored file; tests check the pages are what ``render`` makes and (slow) that
``run`` still gives the stored figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from sim import markers  # noqa: E402  (after the path: the repository's own sim package)

SNAP = REPO / "data" / "crm" / "snapshot"
DATA = REPO / "docs" / "crm_acceptance.json"
PAGES = {"crm_acceptance": REPO / "docs" / "how-to" / "fit-your-crm.md", "crm_headline": REPO / "README.md"}
CUTS = ("2017-07-01", "2017-10-01")
UNTIL = "2018-01-01"
RUNS = 300
SEED = 0
COMMAND = "python scripts/crm_acceptance.py run"


def direct(raw) -> dict[str, float]:
    """The figures computed with pandas from the raw export."""
    import pandas as pd

    d = raw[raw["deal_stage"] != "Prospecting"].copy()
    d["engage"] = pd.to_datetime(d["engage_date"])
    d["close"] = pd.to_datetime(d["close_date"])
    closed = d[d["deal_stage"].isin(["Won", "Lost"])]
    days = (closed["close"] - closed["engage"]).dt.days
    won = closed["deal_stage"] == "Won"
    weeks = (max(d["engage"].max(), d["close"].max()) - d["engage"].min()).days / 7
    return {"win rate (closed deals)": float(won.mean()), "mean days to a win": float(days[won].mean()),
            "mean days to a loss": float(days[~won].mean()),
            "mean value of a won deal (USD)": float(closed.loc[won, "close_value"].astype(float).mean()),
            "new deals a week": float(len(d) / weeks)}


def fitted(fit) -> dict[str, float]:
    """The same figures from the fit (the fit report's direct check)."""
    from sim.calibration.fit_cycle import direct_check

    return {str(k): float(v) for k, v in direct_check(fit).set_index("figure")["fitted"].items()}


def run() -> dict:
    import pandas as pd

    from sim.calibration.fit import fit_history
    from sim.calibration.forecast import run_forecast
    from sim.calibration.io import load_history
    from sim.calibration.mapping import load_mapping

    m = load_mapping(SNAP / "mapping.yaml")
    h = load_history(SNAP / "sales_pipeline.csv", m)
    fit = fit_history(h, m)
    raw = pd.read_csv(SNAP / "sales_pipeline.csv")
    got = fitted(fit)
    figures = [{"figure": k, "pandas": v, "fitted": got[k]} for k, v in direct(raw).items()]
    cuts = []
    for cut in CUTS:
        fc = run_forecast(h, cut, m, until=UNTIL, runs=RUNS, seed=SEED)
        row = {"cut": cut}
        for metric in ("bookings_usd", "wins"):
            s = fc.scores(metric).iloc[0]
            row[f"{metric}_cells"] = int(s["cells"])
            row[f"{metric}_in80"] = int(round(s["coverage_80"] * s["cells"]))
            row[f"{metric}_in95"] = int(round(s["coverage_95"] * s["cells"]))
        crps = fc.scores().set_index("forecast")["crps_usd"]
        row["crps_usd"] = {str(k): float(v) for k, v in crps.items()}
        cuts.append(row)
    return {"command": COMMAND, "runs": RUNS, "seed": SEED, "until": UNTIL, "figures": figures, "cuts": cuts}


def _usd(x: float) -> str:
    return f"${x / 1e3:,.1f}k" if abs(x) >= 1e3 else f"${x:,.0f}"


def _fmt(name: str, x: float) -> str:
    if "USD" in name:
        return f"${x:,.0f}"
    if "rate" in name and x <= 1:
        return f"{x:.3f}"
    return f"{x:.1f}"


def pooled(data: dict) -> tuple[int, int, int]:
    in80 = sum(c[f"{m}_in80"] for c in data["cuts"] for m in ("bookings_usd", "wins"))
    in95 = sum(c[f"{m}_in95"] for c in data["cuts"] for m in ("bookings_usd", "wins"))
    cells = sum(c[f"{m}_cells"] for c in data["cuts"] for m in ("bookings_usd", "wins"))
    return in80, in95, cells


def acceptance(data: dict) -> str:
    lines = ["| figure | pandas on the raw file | fitted | off by |", "|---|---|---|---|"]
    for f in data["figures"]:
        off = f["fitted"] / f["pandas"] - 1 if f["pandas"] else float("nan")
        lines.append(f"| {f['figure']} | {_fmt(f['figure'], f['pandas'])} | {_fmt(f['figure'], f['fitted'])} "
                     f"| {off:+.1%} |")
    lines += ["", f"Forecasts at past dates ({data['runs']} runs, seed {data['seed']}, to {data['until']}), scored "
              "on the months that followed:", "",
              "| as of | bookings in 80% / 95% bands | wins in 80% / 95% bands | CRPS of bookings: salesim | "
              "last quarter's run rate | stage-weighted open pipeline |", "|---|---|---|---|---|---|"]
    for c in data["cuts"]:
        crps = list(c["crps_usd"].values())
        lines.append(f"| {c['cut']} | {c['bookings_usd_in80']} / {c['bookings_usd_in95']} of "
                     f"{c['bookings_usd_cells']} | {c['wins_in80']} / {c['wins_in95']} of {c['wins_cells']} | "
                     + " | ".join(_usd(v) for v in crps) + " |")
    in80, in95, cells = pooled(data)
    lines += ["", f"Pooled: {in80 / cells:.0%} of {cells} monthly cells inside the 80% bands, {in95 / cells:.0%} "
              f"inside the 95% bands. Reproduce: `{data['command']}`."]
    return "\n".join(lines)


def headline(data: dict) -> str:
    worst = max(abs(f["fitted"] / f["pandas"] - 1) for f in data["figures"] if f["pandas"])
    in80, in95, cells = pooled(data)
    beats = all(list(c["crps_usd"].values())[0] < min(list(c["crps_usd"].values())[1:]) for c in data["cuts"])
    return (f"On the shipped snapshot sample the fitted win rate, days to a win and to a loss, deal value and "
            f"arrival rate are each within {worst:.1%} of what pandas computes from the raw file; forecasts at "
            f"{len(data['cuts'])} past dates cover {in80 / cells:.0%} of monthly cells in their 80% bands and "
            f"{in95 / cells:.0%} in their 95% bands, and "
            + ("beat both naive forecasts on CRPS" if beats else "do not beat both naive forecasts on CRPS")
            + " ([figures](docs/how-to/fit-your-crm.md)).")


RENDER = {"crm_acceptance": acceptance, "crm_headline": headline}


def rendered(text: str, name: str, data: dict) -> str:
    """``text`` with its block ``name`` (when it has one) made from ``data``."""
    return markers.render(text, {name: lambda: RENDER[name](data)}, name)


def read_data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=("run", "render"))
    args = p.parse_args(argv)
    if args.what == "run":
        DATA.write_text(json.dumps(run(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {DATA.relative_to(REPO)}")
    data = read_data()
    for name, page in PAGES.items():
        if markers.render_file(page, {name: lambda name=name: RENDER[name](data)}, str(page.relative_to(REPO))):
            print(f"rendered {name} into {page.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except markers.MarkerError as e:
        raise SystemExit(f"crm_acceptance: {e}") from None
