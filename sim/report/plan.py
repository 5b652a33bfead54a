"""Report builder for capacity-plan folders (``salesim plan``): the decision,
the cost-vs-probability frontier, runner-ups and the recommended scenario."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from sim import readback
from sim.readback import tables as T
from sim.report.folders import _draw_fig, _table, scenario_block
from sim.report.html import Page
from sim.report.text import fmt_kpi, num, pct


def _p(row) -> str:
    return f"{pct(row['probability'])} [{pct(row['ci_low'])}, {pct(row['ci_high'])}] (n={int(row['n'])})"


def build_plan(folder: Path, manifest: dict | None, page: Page) -> str:
    from sim.plots.plan import frontier_figure

    doc = readback.read_plan(folder)
    candidates, frontier = _table(folder, "candidates", T.CANDIDATES), _table(folder, "frontier", T.FRONTIER)
    runner = _table(folder, "runner_ups", T.RUNNER_UPS)
    rec_yaml = readback.optional_text(folder / "recommended.scenario.yaml")
    if doc is None:
        page.para("No plan.json yet: the search has not finished (run it again with --resume).", "note")
        return "salesim plan"
    goal = " and ".join(doc["targets"])
    s = doc.get("search") or {}
    page.subtitle = (f"Capacity plan: lowest mean {doc['objective']} with P({goal}) >= "
                     f"{doc['probability_required']:.0%}; {s.get('candidates', '?')} of "
                     f"{s.get('plans_in_space', '?')} plans searched with {s.get('simulations', '?')} simulations, "
                     f"root seed {s.get('root_seed', '?')}")
    page.heading("Decision")
    rec = doc.get("recommended")
    if doc["feasible"] and rec:
        page.para("Recommended plan (as --set lines): " + "  ".join(f"--set {x}" for x in doc["set"]))
        page.para(f"{doc['objective']}: {fmt_kpi(doc['objective'], rec['objective'])}; P(all targets met): "
                  f"{_p(rec)} (95% Wilson interval, common random numbers)")
    else:
        page.para("No plan in the search space meets the targets with the required probability.", "flag")
        best = doc.get("best_if_infeasible")
        if best:
            page.para(f"The closest: P {_p(best)} at {fmt_kpi(doc['objective'], best['objective'])}.")
    if doc.get("binding"):
        page.table(["what binds", "detail"], [[k, str(v)] for k, v in doc["binding"].items()])
    if candidates is not None and frontier is not None and len(candidates):
        page.heading("Cost against probability")
        r = SimpleNamespace(candidates=candidates, frontier=frontier, probability=doc["probability_required"],
                            recommended=rec, objective=doc["objective"], targets=doc["targets"])
        _draw_fig(page, frontier_figure, r)
        page.table(["mean " + doc["objective"], "P(all targets met)", "95% interval", "replications"],
                   [[fmt_kpi(doc["objective"], f["objective"]), pct(f["probability"]),
                     f"[{pct(f['ci_low'])}, {pct(f['ci_high'])}]", num(f["n"])] for _, f in frontier.iterrows()],
                   caption="The frontier: no cheaper plan evaluated has a higher probability")
    if runner is not None and len(runner):
        page.heading("Runner-ups")
        cols = [c for c in runner.columns if "." in c and not c.startswith("p[")]
        page.table([*cols, doc["objective"], "P(all targets met)"],
                   [[*(num(r[c], "g") for c in cols), fmt_kpi(doc["objective"], r["objective"]),
                     pct(r["probability"])] for _, r in runner.iterrows()])
    scenario_block(page, [("recommended scenario", rec_yaml)])
    return f"salesim plan: {goal}"
