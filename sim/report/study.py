"""Report builder for factorial study folders (``salesim study``): the findings,
effects with their confidence intervals, variance shares and cell means."""

from __future__ import annotations

from pathlib import Path

from sim import readback
from sim.readback import FolderFileError
from sim.readback import tables as T
from sim.report.folders import _draw_fig, _study_subtitle, _table, scenario_block
from sim.report.html import Page
from sim.report.text import fmt_kpi, p_value, pct
from sim.textsafe import unescape_markdown

CELL_STATS = ("kpi", "n", "mean", "std", "ci_low", "ci_high")


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
    effects = _table(folder, "effects", T.EFFECTS)
    variance, cells = _table(folder, "variance", T.VARIANCE), _table(folder, "cells", T.CELLS)
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
                         fmt_kpi(kpi, r["estimate"]), f"[{fmt_kpi(kpi, r['ci_low'])}, {fmt_kpi(kpi, r['ci_high'])}]",
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
    scenario_block(page, [("study", spec_text)])
    return f"salesim study: {name}"
