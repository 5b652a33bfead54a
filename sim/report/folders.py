r"""Report builders for the folders salesim writes: a run, a batch, a comparison, a sweep,
a factorial study and a capacity plan.

Each builder reads the folder's own files (never re-runs anything), adds
sections to a :class:`~sim.report.html.Page` and returns the page title.
They are the built-in :class:`~sim.report.kinds.FolderKind`\ s (:func:`builtin_kinds`), put in
the registry the first time it is used.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from sim import readback
from sim.errors import UsageError
from sim.readback import FolderFileError
from sim.readback import tables as T
from sim.report import executive as X
from sim.report.benchmark_section import run_section as run_benchmarks
from sim.report.html import Page
from sim.report.kinds import FolderKind, manifest_kind
from sim.report.summary import RunView, sections
from sim.report.text import fmt_ci, fmt_kpi, num, p_value, pct
from sim.textsafe import unescape_markdown

HEADLINE = ("arr_end_usd", "bookings_usd", "leads_won", "win_rate", "customers_end", "costs.total_usd",
            "cost_per_arr_usd", "cac_usd", "grr_trailing_12m", "nrr_trailing_12m")
CELL_STATS = ("kpi", "n", "mean", "std", "ci_low", "ci_high")  # the columns of cells.csv that are not factors


def _table(folder: Path, stem: str, spec: T.Table):
    """The table ``stem`` (Parquet or CSV), checked for the columns a builder uses; None if absent."""
    return readback.read_table(folder, stem, spec)


def _draw_fig(page: Page, build, *args, caption: str = "") -> None:
    """Add a figure; a figure that cannot be drawn from this folder's data is
    replaced by a sentence saying why, so one odd folder never loses the page."""
    try:
        page.figure(build(*args), caption)
    except (TypeError, KeyError, ValueError, IndexError, AttributeError, ArithmeticError, UsageError) as exc:
        page.para(f"(figure not available: {exc})", "note")


def _study_manifest(folder: Path, manifest: dict | None) -> dict:
    """A study folder's manifest (its kind is known by it, so it is there)."""
    if manifest is None:
        raise UsageError(f"{folder}: no .salesim-output.json manifest")
    return manifest


# --------------------------------------------------------------------------- run


def is_run(folder: Path, manifest: dict | None) -> bool:
    """A run folder: no manifest, and a ``kpis.json`` or ``run.json`` (a missing or broken one
    is then reported by name rather than the folder being unrecognized)."""
    return manifest is None and (readback.present(folder / "kpis.json") or readback.present(folder / "run.json"))


def build_run(folder: Path, manifest: dict | None, page: Page) -> str:
    from sim import plots

    k = readback.read_kpis(folder)
    run = readback.read_run(folder)
    weekly = _table(folder, "weekly", T.WEEKLY)
    spec = folder / "scenario.resolved.yaml"
    scenario, scen_text = readback.scenario_and_text(spec) if readback.present(spec) else (None, None)
    overrides = run.get("overrides") or []
    view = RunView(k, weekly, scenario, tuple(overrides))
    parts = {s.title: s for s in sections(view) if s.title}
    result = SimpleNamespace(kpis=k, weekly=weekly, scenario=None)
    steps = view.steps

    page.subtitle = (f"One run: seed {k['seed']}, {k['horizon_weeks']:g} weeks, salesim "
                     f"{run.get('salesim_version', '?')}" + (f"; overrides: {', '.join(overrides)}" if overrides
                                                             else ""))
    from sim.metrics.bottlenecks import find_bottlenecks

    sheet = X.sheet_rows(scenario, overrides)
    X.add_summary(page, X.run_summary(k, find_bottlenecks(k, weekly, steps), sheet))
    page.para("This is one random draw (one seed). Run salesim batch for a distribution, or salesim compare to "
              "compare scenarios over paired draws.", "note")
    page.heading("Key numbers")
    keys = [("ARR at the end", "arr_end_usd"), ("bookings", "bookings_usd"), ("deals won", "leads_won"),
            ("win rate", "win_rate"), ("customers at the end", "customers_end"), ("CAC", "cac_usd"),
            ("cost per $1 of ARR", "cost_per_arr_usd")]
    page.table(["KPI", "value"], [[label, fmt_kpi(key, k.get(key))] for label, key in keys if key in k])

    page.heading("The bow-tie")
    _draw_fig(page, plots.bowtie_figure, result)
    for title in ("Funnel, before the sale (left side of the bow-tie)",
                  "Customers, after the sale (right side of the bow-tie)", "Leads and bookings"):
        if title in parts:
            page.section(parts[title])
    if "arr_end_usd" in k:
        page.heading("Recurring revenue")
        _draw_fig(page, plots.bridge_figure, result)
        for title in ("Recurring revenue (USD)", "Signed, not live yet", "Unit economics (USD)",
                      "Cost of sale by tier"):
            if title in parts:
                page.section(parts[title])
    page.heading("Capacity and bottlenecks")
    if weekly is not None:
        _draw_fig(page, plots.queues_figure, result, steps)
    for title in ("Roles", "Bottlenecks"):
        page.section(parts[title])
    if len(k.get("reps", [])) > 1:
        page.heading("People")
        _draw_fig(page, plots.lorenz_figure, result)
        page.section(parts["People (reps who close deals)"])
    pod_title = "PODs (vertical teams, each owning a slice of the market)"
    if k.get("pods"):
        page.heading("PODs")
        _draw_fig(page, plots.pod_tree_figure, result)
        if pod_title in parts:
            page.section(parts[pod_title])
    known = {"Funnel, before the sale (left side of the bow-tie)", "Customers, after the sale (right side of the "
             "bow-tie)", "Leads and bookings", "Recurring revenue (USD)", "Unit economics (USD)",
             "Cost of sale by tier", "Roles", "Bottlenecks", "People (reps who close deals)", pod_title,
             "Signed, not live yet"}
    extra = [s for t, s in parts.items() if t not in known]
    if extra:  # sections added to the run summary later appear here too
        page.heading("More")
        for s in extra:
            page.section(s)
    if weekly is not None:
        page.heading("Week by week")
        _draw_fig(page, plots.run_figure, result)
    bench = run_benchmarks(scenario, k)
    if bench is not None:
        page.heading("Benchmarks")
        page.section(bench)
    X.add_sheet(page, scenario, sheet)
    scenario_block(page, [("scenario", scen_text)], overrides)
    return f"salesim run: {k['scenario']}"


def scenario_block(page: Page, texts: list[tuple[str, str | None]], overrides=()) -> None:
    shown = [(name, t) for name, t in texts if t]
    if not shown:
        return
    page.heading("Scenario")
    if overrides:
        page.para("Overrides (--set): " + ", ".join(overrides))
    page.para("The scenario as run (after extends and --set), in YAML:")
    for name, text in shown:
        page.pre(text, summary=f"{name} (YAML)")


# --------------------------------------------------------------------------- studies


def _study_subtitle(manifest: dict, what: str) -> str:
    return (f"{what}: {manifest['reps']} replication(s), root seed {manifest['root_seed']}, "
            f"{manifest['points'][0]['horizon_weeks']:g} weeks, salesim {manifest.get('salesim_version', '?')}, "
            f"finished {manifest.get('completed_utc', 'not yet (partial results)')}")


def _study_scenarios(folder: Path) -> list[tuple[str, str | None]]:
    """The scenarios of a study folder, as text to show (capped, UTF-8; not run again)."""
    files = sorted((folder / "scenarios").glob("*.yaml")) if (folder / "scenarios").is_dir() else []
    files += sorted(folder.glob("*.resolved.yaml"))
    return [(p.name.removesuffix(".resolved.yaml"), readback.read_text(p)) for p in files]


def _scenario_at(path: Path):
    """A folder's scenario file read back and validated (None when it cannot be read as one: the
    report then says the inputs cannot be listed, rather than failing)."""
    try:
        return readback.scenario_and_text(path)[0]
    except UsageError:
        return None


def _base_scenario(folder: Path):
    """The study's scenario as run (``scenario.resolved.yaml``), None without one."""
    path = folder / "scenario.resolved.yaml"
    return _scenario_at(path) if readback.present(path) else None


def _parsed_scenarios(folder: Path) -> list[tuple[str, object]]:
    """(name, Scenario) of each scenario a comparison or study folder keeps, in their order."""
    out = []
    for sub in ("scenarios", "cells"):
        d = folder / sub
        files = sorted(d.glob("*.resolved.yaml"), key=lambda p: (len(p.name), p.name)) if d.is_dir() else []
        for p in files:
            sc = _scenario_at(p)
            if sc is not None:
                out.append((p.name.removesuffix(".resolved.yaml"), sc))
    return out


def build_batch(folder: Path, manifest: dict | None, page: Page) -> str:
    from sim import plots
    from sim.experiments.montecarlo.stats import fan

    manifest = _study_manifest(folder, manifest)

    name = manifest["points"][0]["name"]
    summary, weekly = _table(folder, "summary", T.SUMMARY), _table(folder, "weekly", T.BATCH_WEEKLY)
    targets, scenarios = _table(folder, "targets", T.TARGETS), _study_scenarios(folder)
    page.subtitle = _study_subtitle(manifest, "Batch")
    base = _base_scenario(folder)
    sheet = X.sheet_rows(base)
    X.add_summary(page, X.batch_summary(name, summary.set_index("kpi") if summary is not None else None,
                                        targets, sheet))
    failed = manifest.get("failed_replications") or 0
    page.heading("Distribution of the headline KPIs")
    page.para(f"Each replication is one independent draw of the same scenario; {failed} failed.")
    if summary is not None:
        s = summary.set_index("kpi")
        lo = next(c for c in s.columns if c.endswith("_low"))
        hi = next(c for c in s.columns if c.endswith("_high"))
        rows = [[key, *fmt_ci(key, r["mean"], r[lo], r[hi]), fmt_kpi(key, r["p5"]), fmt_kpi(key, r["p50"]),
                 fmt_kpi(key, r["p95"]), num(r["n"])]
                for key in HEADLINE if key in s.index for r in [s.loc[key]]]
        page.table(["KPI", "mean", "95% CI of the mean", "5th percentile", "median", "95th percentile",
                    "replications"], rows)
    if weekly is not None and len(weekly):
        page.heading("Fan chart")
        _draw_fig(page, lambda: plots.fan_figure(fan(weekly), None, None, name, int(weekly["rep"].nunique())))
    if targets is not None and len(targets):
        page.heading("Targets")
        page.table(["target", "probability", "95% interval (Wilson)", "replications reaching it"],
                   [[f"{t['kpi']} {t['op']} {fmt_kpi(t['kpi'], t['target'])}", pct(t["probability"]),
                     f"[{pct(t['ci_low'])}, {pct(t['ci_high'])}]", f"{int(t['hits'])} of {int(t['n'])}"]
                    for _, t in targets.iterrows()])
    X.add_sheet(page, base, sheet)
    scenario_block(page, scenarios)
    return f"salesim batch: {name}"


def build_compare(folder: Path, manifest: dict | None, page: Page) -> str:
    from sim import plots

    manifest = _study_manifest(folder, manifest)

    names = [p["name"] for p in manifest["points"]]
    base = names[0]
    paired, scenarios = _table(folder, "comparison", T.COMPARISON), _study_scenarios(folder)
    if paired is None:
        raise UsageError(f"{folder}: no comparison.csv (is the comparison finished?)")
    page.subtitle = _study_subtitle(manifest, f"Comparison against {base} (paired, common random numbers)")
    parsed = _parsed_scenarios(folder)
    if len(parsed) == len(names):
        parsed = [(n, sc) for n, (_, sc) in zip(names, parsed, strict=True)]
    first = parsed[0][1] if parsed else None
    sheet = X.sheet_rows(first)
    others = [(n, sc) for n, sc in parsed[1:]]
    from sim.report.assumptions import differences

    diffs = differences(parsed) if len(parsed) > 1 else []
    X.add_summary(page, X.compare_summary(base, names, paired, diffs, sheet))
    fairness = readback.optional_text(folder / "fairness.md")
    if fairness is not None:  # what differs between the arms, before the results
        markdown_blocks(page, fairness.replace("`", "").replace("**", ""))
    page.heading("Paired differences")
    page.para("Every scenario ran with the same replication seeds, so each difference is paired: it carries the "
              "effect of what changed, not luck. Grey intervals include zero.")
    _draw_fig(page, plots.compare_figure, paired)
    for lab in names[1:]:
        p = paired[paired["scenario"] == lab].set_index("kpi")
        page.heading(f"{lab} vs {base}", 3)
        table = [[key, fmt_kpi(key, r["baseline_mean"]), fmt_kpi(key, r["mean"]),
                 *fmt_ci(key, r["diff"], r["diff_ci_low"], r["diff_ci_high"]), p_value(r["p_value"]),
                 pct(r["p_higher"])] for key in HEADLINE if key in p.index for r in [p.loc[key]]
                if r["n"] > 0 and not math.isnan(r["diff"])]
        page.table(["KPI", base, lab, "difference", "95% CI of the difference", "p-value", "P(higher)"], table)
    X.add_sheet(page, first, sheet, parsed[0][0] if parsed else "", others)
    scenario_block(page, scenarios)
    return f"salesim compare: {' vs '.join(names)}"


def build_sweep(folder: Path, manifest: dict | None, page: Page) -> str:
    from sim import plots

    manifest = _study_manifest(folder, manifest)

    design = manifest.get("design") or {}
    params = [p["path"] for p in design.get("params", [])]
    tornado = _table(folder, "tornado", T.TORNADO)
    sens = _table(folder, "sensitivity", T.SENSITIVITY)
    reps = _table(folder, "replications", T.REPLICATIONS)
    scenarios = _study_scenarios(folder)
    page.subtitle = _study_subtitle(manifest, f"Sweep ({design.get('design', '?')} design) over "
                                    + ", ".join(params))
    base = _base_scenario(folder)
    sheet = X.sheet_rows(base)
    X.add_summary(page, X.sweep_summary(params, tornado, sheet))
    metric = (tornado["metric"].iloc[0] if tornado is not None and len(tornado) else
              sens["metric"].iloc[0] if sens is not None and "metric" in sens.columns and len(sens) else None)
    if reps is not None and metric is not None and metric in reps.columns:
        page.heading(f"{metric} by parameter level")
        _draw_fig(page, plots.sweep_figure, reps, params, metric)
    if tornado is not None and len(tornado):
        metric = cast(str, metric)  # read from the tornado itself
        page.heading("Tornado")
        _draw_fig(page, plots.tornado_figure, tornado, metric)
        page.table(["parameter", "LOW", "HIGH", f"{metric} at LOW", "at base", "at HIGH", "swing (95% CI)"],
                   [[r["param"], num(r["low"], "g"), num(r["high"], "g"), fmt_kpi(metric, r["at_low"]),
                     fmt_kpi(metric, r["at_base"]), fmt_kpi(metric, r["at_high"]),
                     f"{fmt_kpi(metric, r['swing'])} [{fmt_kpi(metric, r['swing_ci_low'])}, "
                     f"{fmt_kpi(metric, r['swing_ci_high'])}]"] for _, r in tornado.iterrows()])
    if sens is not None and len(sens.columns) > 2:
        page.heading("Sensitivity")
        cols = [c for c in sens.columns if c not in ("param", "metric")]
        page.table(["parameter", *cols], [[r["param"], *(p_value(r[c]) if c.startswith("p_") else num(r[c], ".3f")
                                                          for c in cols)] for _, r in sens.iterrows()])
    X.add_sheet(page, base, sheet)
    scenario_block(page, scenarios)
    return f"salesim sweep: {', '.join(params)}"


# --------------------------------------------------------------------------- factorial studies

def markdown_blocks(page: Page, text: str) -> None:
    """Plain-language findings (Markdown with headings, bullets and paragraphs) as HTML text;
    the user's words, escaped in the Markdown file, show as they were typed."""
    para: list[str] = []

    def flush() -> None:
        if para:
            page.para(unescape_markdown(" ".join(para)))
            para.clear()

    for line in text.splitlines():
        s = line.strip()
        if not s:
            flush()
        elif s.startswith("#"):
            flush()
            page.heading(unescape_markdown(s.lstrip("#").strip()), 3)
        elif s.startswith(("- ", "* ")):
            flush()
            page.para("• " + unescape_markdown(s[2:]))
        else:
            para.append(s)
    flush()


def build_study(folder: Path, manifest: dict | None, page: Page) -> str:
    from sim import plots

    manifest = _study_manifest(folder, manifest)

    design = manifest.get("design") or {}
    name = design.get("study") or folder.name
    spec_path = folder / "study.yaml"
    spec_text = readback.optional_text(spec_path)
    if spec_text:
        spec = readback.read_yaml(spec_path)
        if not isinstance(spec, dict):
            raise FolderFileError(spec_path, (), f"expected a study (a mapping of keys), got {type(spec).__name__}")
        if "name" in spec:
            if not isinstance(spec["name"], str):
                raise FolderFileError(spec_path, ("name",), f"expected text, got {spec['name']!r}")
            name = spec["name"]
    page.subtitle = _study_subtitle(manifest, f"Factorial study ({len(manifest['points'])} cells)")
    findings = readback.optional_text(folder / "findings.md")
    fairness = readback.optional_text(folder / "fairness.md")
    if fairness is not None:  # what differs between the arms, before the results
        markdown_blocks(page, fairness.replace("`", "").replace("**", ""))
    effects = _table(folder, "effects", T.EFFECTS)
    variance, cells = _table(folder, "variance", T.VARIANCE), _table(folder, "cells", T.CELLS)
    parsed = _parsed_scenarios(folder)
    first = parsed[0][1] if parsed else None
    sheet = X.sheet_rows(first)
    X.add_summary(page, X.study_summary(name, effects, variance, sheet))
    if findings is not None:
        page.heading("Findings")
        markdown_blocks(page, findings)
    if effects is None or not len(effects):
        page.para("No effects yet: the study has not finished (run it again with --resume).", "note")
    else:
        for kpi in dict.fromkeys(effects["kpi"]):
            page.heading(f"Effects on {kpi}")
            _draw_fig(page, plots.effects_figure, effects, kpi)
            e = effects[effects["kpi"] == kpi]
            page.table(["factor", "level", "with", "effect", "95% CI", "p-value"],
                       [[r["factor"], r["level"], f"{r['factor_b']}: {r['level_b']}"
                         if isinstance(r.get("factor_b"), str) and r["factor_b"] else "",
                         *fmt_ci(kpi, r["estimate"], r["ci_low"], r["ci_high"]),
                         p_value(r.get("p_value"))] for _, r in e.iterrows()])
            if variance is not None and len(variance):
                v = variance[variance["kpi"] == kpi]
                page.table(["source of variation", "share"], [[r["source"], pct(r["share"])] for _, r in v.iterrows()],
                           caption=f"Share of the variation of {kpi} each source explains")
    if cells is not None and len(cells):
        page.heading("Cell means")
        factors = [c for c in cells.columns if c not in CELL_STATS]
        if not factors:
            raise FolderFileError(cells.attrs["file"], (), "no factor column (one column per factor of the study)")
        wide = cells.pivot_table(index=factors, columns="kpi", values="mean", sort=False)
        kpis = list(wide.columns)
        page.table([*factors, *kpis], [[*(idx if isinstance(idx, tuple) else (idx,)),
                                        *(fmt_kpi(k, r[k]) for k in kpis)] for idx, r in wide.iterrows()])
    X.add_sheet(page, first, sheet, f"of the first cell ({parsed[0][0]}; the factors' levels change it, see the "
                "cell means)" if parsed else "")
    scenario_block(page, [("study", spec_text)])
    return f"salesim study: {name}"


# --------------------------------------------------------------------------- capacity plans

def _p(row) -> str:
    return f"{pct(row['probability'])} [{pct(row['ci_low'])}, {pct(row['ci_high'])}] (n={int(row['n'])})"


def _binding_rows(b: dict) -> list[list[str]]:
    """What binds, in words and rounded numbers (never a raw dict or float)."""
    rows = []
    if "target" in b:
        rows.append(["target closest to failing", f"{b['target']} (P {pct(b.get('target_probability'))})"])
    if b.get("variables"):
        rows.append(["cannot go one step lower", ", ".join(map(str, b["variables"]))])
    if "role" in b:
        rows.append(["busiest role", f"{b['role']}: utilization {pct(b.get('utilization'), '.0%')}"])
    by_role = b.get("utilization_by_role")
    if isinstance(by_role, dict) and by_role:
        rows.append(["utilization by role", "; ".join(f"{r} {pct(u, '.0%')}" for r, u in by_role.items())])
    known = {"target", "target_probability", "variables", "role", "utilization", "utilization_by_role"}
    rows += [[k, fmt_kpi(k, v) if isinstance(v, int | float) else str(v)] for k, v in b.items() if k not in known]
    return rows


def build_plan(folder: Path, manifest: dict | None, page: Page) -> str:
    from sim.plots import frontier_figure

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
    base = _base_scenario(folder)
    sheet = X.sheet_rows(base)
    X.add_summary(page, X.plan_summary(doc, sheet))
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
    recheck = doc.get("recheck")
    if isinstance(recheck, dict) and recheck.get("n"):
        page.para(f"Re-check on {int(recheck['n'])} seeds the search never used: P = {_p(recheck)}; "
                  f"{'feasible' if recheck.get('feasible') else 'NOT feasible'}, "
                  f"{'within' if recheck.get('within_search_ci') else 'outside'} the search's interval.",
                  "" if recheck.get("feasible") else "flag")
    if doc.get("binding"):
        page.table(["what binds", "detail"], _binding_rows(doc["binding"]))
    neighbours = _table(folder, "neighbours", T.NEIGHBOURS)
    if neighbours is not None and len(neighbours):
        page.heading("One step either way")
        page.table(["variable", "change", "value", doc["objective"], "change in cost", "P(all targets met)",
                    "status"],
                   [[x["variable"], x["change"], num(x["value"], "g"), fmt_kpi(doc["objective"], x["objective"]),
                     fmt_kpi(doc["objective"], x.get("objective_change")), _p(x), x.get("status", "")]
                    for _, x in neighbours.iterrows()],
                   caption="Each variable one step up or down, the others as recommended")
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
    recommended = (_scenario_at(folder / "recommended.scenario.yaml")
                   if readback.present(folder / "recommended.scenario.yaml") else None)
    X.add_sheet(page, base, sheet, "searched from", [("recommended", recommended)] if recommended is not None else [])
    scenario_block(page, [("recommended scenario", rec_yaml)])
    return f"salesim plan: {goal}"


def builtin_kinds() -> list[FolderKind]:
    """The folder kinds salesim writes, in the order they are tried."""
    from sim.report.forecast_kind import build_forecast, is_forecast

    return [FolderKind("plan", manifest_kind("plan"), build_plan),
            FolderKind("study", manifest_kind("factorial"), build_study),
            FolderKind("sweep", manifest_kind("sweep"), build_sweep),
            FolderKind("compare", manifest_kind("compare"), build_compare),
            FolderKind("batch", manifest_kind("batch"), build_batch),
            FolderKind("forecast", is_forecast, build_forecast),
            FolderKind("run", is_run, build_run)]
