"""The report of a forecast folder (``salesim forecast --out``): bookings from the open pipeline.

Why its own kind: a forecast is no simulation of a scenario but draws from a
fit to the user's CRM history, so its executive summary states the next
quarter's bookings with their 80% band and the chance of hitting plan, and
its assumption sheet lists what the forecast rests on (fitted from the
export, with the number of open deals; the date; the draws) instead of
scenario keys. Reads the folder's CSV files only; nothing runs again.
"""

from __future__ import annotations

from pathlib import Path

from sim import readback
from sim.readback import tables as T
from sim.report import executive as X
from sim.report.assumptions import FITTED, YOURS
from sim.report.html import Page
from sim.report.text import fmt_kpi, money, num, pct


def is_forecast(folder: Path, manifest: dict | None) -> bool:
    return manifest is None and readback.present(folder / "forecast_quarters.csv")


def _band(r) -> str:
    return f"80% band {money(r['p10'])} to {money(r['p90'])}"


def sheet(quarters, deals) -> list[list[str]]:
    """What a forecast rests on: (input, value, provenance, note)."""
    rows = [["open deals at the forecast date", num(len(deals)) if deals is not None else "-", FITTED,
             "each deal's chance to win and time to close, fitted to the export's closed and open deals"],
            ["quarters forecast", ", ".join(map(str, quarters["quarter"])), YOURS, "--as-of and --until"]]
    if "plan_usd" in quarters.columns:
        rows.append(["plan", "; ".join(f"{q} {fmt_kpi('bookings_usd', p)}" for q, p in
                                       zip(quarters["quarter"], quarters["plan_usd"], strict=True) if p == p),
                     YOURS, "--plan"])
    return rows


def forecast_summary(quarters, months, deals) -> X.Summary:
    first = quarters.iloc[0]
    has_plan = "p_hit_plan" in quarters.columns and quarters["p_hit_plan"].notna().any()
    answer = (f"Bookings in {first['quarter']}: median {money(first['median'])} ({_band(first)})"
              + (f"; P(hit plan of {money(first['plan_usd'])}) {pct(first['p_hit_plan'], '.0%')}."
                 if has_plan and first.get("p_hit_plan") == first.get("p_hit_plan") else "."))
    figures = [X.Figure(f"bookings {first['quarter']}", money(first["median"]), _band(first))]
    if has_plan:
        planned = quarters[quarters["p_hit_plan"].notna()]
        figures.append(X.Figure("P(hit plan)", " / ".join(pct(p, ".0%") for p in planned["p_hit_plan"]),
                                ", ".join(str(q) for q in planned["quarter"])))
    if len(quarters) > 1:
        nxt = quarters.iloc[1]
        figures.append(X.Figure(f"bookings {nxt['quarter']}", money(nxt["median"]), _band(nxt)))
    drivers = []
    if deals is not None and len(deals):
        figures.append(X.Figure("open pipeline", money(deals["value"].sum()),
                                f"{len(deals)} open deals, expected {money(deals['expected_usd'].sum())}"))
        g = deals.groupby("category")["expected_usd"].sum().sort_values(ascending=False)
        total = float(g.sum())
        if total > 0:
            drivers.append("Expected bookings of the open deals by category: " + "; ".join(
                f"{c} {money(v)} ({pct(v / total, '.0%')})" for c, v in g.items()) + ".")
    if months is not None and len(months):
        b = months[months["metric"] == "bookings_usd"]
        if len(b):
            drivers.append(f"Monthly bookings from {b['month'].iloc[0]} to {b['month'].iloc[-1]}: median "
                           f"{money(b['median'].min())} to {money(b['median'].max())} a month; the open pipeline "
                           "closes first, deals still to come make up the later months.")
    kinds = [r[2] for r in sheet(quarters, deals)]
    line = (f"{len(kinds)} inputs: {kinds.count(YOURS)} yours, {kinds.count(FITTED)} fitted from data, 0 from "
            "published benchmarks, 0 assumed by salesim.")
    return X.Summary(answer, figures[:4], drivers, line)


def _month_figure(months):
    from sim.plots.canvas import figure

    b = months[months["metric"] == "bookings_usd"].reset_index(drop=True)
    fig, axes = figure(1, 1, (9, 3.8))
    ax = axes[0, 0]
    x = list(range(len(b)))
    ax.fill_between(x, b["p2_5"], b["p97_5"], alpha=0.2, label="95% band")
    ax.fill_between(x, b["p10"], b["p90"], alpha=0.35, label="80% band")
    ax.plot(x, b["median"], marker="o", label="median")
    ax.set_xticks(x, list(b["month"]), rotation=45)
    ax.set_ylabel("bookings (USD)")
    ax.legend(loc="upper left")
    fig.set_label("Monthly bookings of the forecast: median with 80% and 95% bands")
    return fig


def build_forecast(folder: Path, manifest: dict | None, page: Page) -> str:
    quarters = readback.read_table(folder, "forecast_quarters", T.FORECAST_QUARTERS, required=True)
    months = readback.read_table(folder, "forecast_months", T.FORECAST_MONTHS)
    deals = readback.read_table(folder, "open_deals", T.OPEN_DEALS)
    if not len(quarters):
        page.para("The forecast has no quarter.", "note")
        return "salesim forecast"
    page.subtitle = (f"Forecast from the open pipeline, {quarters['quarter'].iloc[0]} to "
                     f"{quarters['quarter'].iloc[-1]}")
    X.add_summary(page, forecast_summary(quarters, months, deals))
    page.heading("Bookings by quarter")
    cols = [c for c in ("p10", "median", "p90", "mean", "plan_usd") if c in quarters.columns]
    page.table(["quarter", *(("plan" if c == "plan_usd" else c) for c in cols),
                *(["P(hit plan)"] if "p_hit_plan" in quarters.columns else [])],
               [[r["quarter"], *(money(r[c]) if r[c] == r[c] else "-" for c in cols),
                 *([pct(r["p_hit_plan"], ".0%") if r["p_hit_plan"] == r["p_hit_plan"] else "-"]
                   if "p_hit_plan" in quarters.columns else [])] for _, r in quarters.iterrows()])
    if months is not None and len(months):
        page.heading("Bookings by month")
        try:
            page.figure(_month_figure(months))
        except (TypeError, KeyError, ValueError) as exc:
            page.para(f"(figure not available: {exc})", "note")
    if deals is not None and len(deals):
        page.heading("Open pipeline by category")
        g = deals.groupby("category")
        page.table(["category", "deals", "amount", "expected"],
                   [[c, num(len(d)), money(d["value"].sum()), money(d["expected_usd"].sum())] for c, d in g])
    page.heading(X.SHEET_TITLE)
    page.para("A forecast has no scenario: it draws from a fit to your CRM history. What it rests on:")
    page.table(["input", "value", "provenance", "note"], sheet(quarters, deals))
    report = readback.optional_text(folder / "forecast.md")
    if report:
        page.pre(report, summary="forecast.md (the full text report)")
    return "salesim forecast"
