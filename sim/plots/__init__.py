"""Figures (presentation): pictures of runs and studies, above the metrics and
experiments layers, below the CLI and the HTML report.

Every ``*_figure`` function returns a matplotlib Figure drawn on the Agg
canvas (no pyplot state); ``plot_run`` and ``plot_fan`` also write a PNG.
``fig.get_label()`` is a one-sentence description (alt text).
"""

from sim.plots.canvas import check_png_target, save_png, to_svg
from sim.plots.org import lorenz_figure, pod_tree_figure, queues_figure
from sim.plots.run_figures import bowtie_figure, bridge_figure, plot_run, run_figure
from sim.plots.studies import (
    compare_figure,
    effects_figure,
    fan_figure,
    frontier_figure,
    plot_fan,
    sweep_figure,
    tornado_figure,
)

__all__ = ["bowtie_figure", "bridge_figure", "check_png_target", "compare_figure", "effects_figure", "fan_figure",
           "frontier_figure", "lorenz_figure",
           "plot_fan", "plot_run", "pod_tree_figure", "queues_figure", "run_figure", "save_png", "sweep_figure",
           "to_svg", "tornado_figure"]
