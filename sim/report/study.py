"""Report builder for factorial study folders (``salesim study``): the findings,
effects with their confidence intervals, variance shares and cell means."""

from __future__ import annotations

from pathlib import Path

from sim.report.folders import _draw_fig, _study_subtitle, _table, scenario_block
from sim.report.html import Page
from sim.report.text import fmt_kpi, p_value, pct


def markdown_blocks(page: Page, text: str) -> None:
    """Plain-language findings (Markdown with headings, bullets and paragraphs) as HTML text."""
    para: list[str] = []

    def flush() -> None:
        if para:
            page.para(" ".join(para))
            para.clear()

    for line in text.splitlines():
        s = line.strip()
        if not s:
            flush()
        elif s.startswith("#"):
            flush()
            page.heading(s.lstrip("#").strip(), 3)
        elif s.startswith(("- ", "* ")):
            flush()
            page.para("• " + s[2:])
        else:
            para.append(s)
    flush()


def build_study(folder: Path, manifest: dict | None, page: Page) -> str:
    from sim import plots

    name = folder.name
    spec_text = (folder / "study.yaml").read_text() if (folder / "study.yaml").is_file() else None
    if spec_text:
        import yaml

        name = (yaml.safe_load(spec_text) or {}).get("name", name)
    page.subtitle = _study_subtitle(manifest, f"Factorial study ({len(manifest['points'])} cells)")
    findings = folder / "findings.md"
    effects, variance, cells = _table(folder, "effects"), _table(folder, "variance"), _table(folder, "cells")
    if findings.is_file():
        page.heading("Findings")
        markdown_blocks(page, findings.read_text())
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
                         fmt_kpi(kpi, r["estimate"]), f"[{fmt_kpi(kpi, r['ci_low'])}, {fmt_kpi(kpi, r['ci_high'])}]",
                         p_value(r.get("p_value"))] for _, r in e.iterrows()])
            if variance is not None and len(variance):
                v = variance[variance["kpi"] == kpi]
                page.table(["source of variation", "share"], [[r["source"], pct(r["share"])] for _, r in v.iterrows()],
                           caption=f"Share of the variation of {kpi} each source explains")
    if cells is not None and len(cells):
        page.heading("Cell means")
        factors = [c for c in cells.columns if c not in ("kpi", "n", "mean", "std", "ci_low", "ci_high")]
        wide = cells.pivot_table(index=factors, columns="kpi", values="mean", sort=False)
        kpis = list(wide.columns)
        page.table([*factors, *kpis], [[*(idx if isinstance(idx, tuple) else (idx,)),
                                        *(fmt_kpi(k, r[k]) for k in kpis)] for idx, r in wide.iterrows()])
    scenario_block(page, [("study", spec_text)])
    return f"salesim study: {name}"
