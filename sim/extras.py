"""Optional parts of salesim, and the one message when one is missing.

The core install (``pip install salesim``) runs a scenario, a batch, a
comparison and a grid or Latin-hypercube sweep. Heavier jobs need extras,
installed by name (``pip install 'salesim[plan]'``). A command that needs a
missing extra checks for it before any simulation time is spent and ends with
exit 2 and the ``pip install`` line to run, never an ImportError traceback.
"""

from __future__ import annotations

import importlib
import importlib.util

from sim.errors import UsageError

# extra -> (import names it provides, what it is for)
EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "dask": (("distributed",), "running studies on a Dask cluster (--dask)"),
    "plan": (("optuna",), "the capacity planner (salesim plan)"),
    "studies": (("statsmodels", "SALib"), "factorial studies' effects (salesim study) and Sobol'/Morris sweeps"),
    "calibration": (("tabulate", "ruamel.yaml"), "fitting CRM history (salesim calibrate, backtest)"),
    "robust": (("sklearn",), "the conditions that flip a verdict across plausible worlds (a study's uncertain:)"),
}


class MissingExtra(UsageError):
    """An optional part is not installed (exit 2 with the line that installs it)."""


def missing(extra: str, modules: tuple[str, ...] | None = None) -> list[str]:
    """The modules of ``extra`` (or just ``modules`` of it) that cannot be imported."""
    names = modules if modules is not None else EXTRAS[extra][0]
    out = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent package missing, or a module set to None
            found = False
        if not found:
            out.append(name)
    return out


def require(extra: str, *modules: str, feature: str | None = None) -> None:
    """Raise :class:`MissingExtra` unless the extra's modules (or ``modules``) import."""
    gone = missing(extra, modules or None)
    if gone:
        what = feature or EXTRAS[extra][1]
        raise MissingExtra(f"{what} needs the optional package{'s' if len(gone) > 1 else ''} "
                           f"{', '.join(gone)}, which {'are' if len(gone) > 1 else 'is'} not installed; "
                           f"install it with: pip install 'salesim[{extra}]'")


def load(extra: str, module: str, feature: str | None = None):
    """Import ``module`` of ``extra``, or raise :class:`MissingExtra`."""
    require(extra, module, feature=feature)
    return importlib.import_module(module)
