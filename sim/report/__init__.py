"""HTML reports of results folders (``salesim report DIR --out report.html``).

Layer: above figures (``sim.plots``) and experiments, below the CLI. The
folder kinds a report knows are in a registry built on first use
(:func:`sim.report.kinds.registry`); see :mod:`sim.report.kinds` for how to
add one.
"""

from sim.report.kinds import KINDS, FolderKind, build_report, detect, manifest_kind, register, registry, write_report

__all__ = ["KINDS", "FolderKind", "build_report", "detect", "manifest_kind", "register", "registry", "write_report"]
