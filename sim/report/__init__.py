"""HTML reports of results folders (``salesim report DIR --out report.html``).

Layer: above figures (``sim.plots``) and experiments, below the CLI. The
folder kinds a report knows are registered here; see :mod:`sim.report.kinds`
for how to add one.
"""

from sim.report.folders import build_batch, build_compare, build_run, build_sweep, is_run
from sim.report.kinds import KINDS, FolderKind, build_report, detect, manifest_kind, register, write_report
from sim.report.plan import build_plan
from sim.report.study import build_study

for _kind in (FolderKind("run", is_run, build_run), FolderKind("batch", manifest_kind("batch"), build_batch),
              FolderKind("compare", manifest_kind("compare"), build_compare),
              FolderKind("sweep", manifest_kind("sweep"), build_sweep),
              FolderKind("study", manifest_kind("factorial"), build_study),
              FolderKind("plan", manifest_kind("plan"), build_plan)):
    register(_kind)

__all__ = ["KINDS", "FolderKind", "build_report", "detect", "manifest_kind", "register", "write_report"]
