"""Former home of the figures; they live in :mod:`sim.plots` now. Kept so that
``from sim.cli.plots import plot_run`` in existing scripts keeps working."""

from sim.plots import *  # noqa: F403
from sim.plots import __all__  # noqa: F401
