"""salesim: a discrete-event simulator of B2B revenue organizations.

>>> import sim
>>> scenario = sim.load_scenario("scenarios/small_team.yaml")   # doctest: +SKIP
>>> result = sim.simulate(scenario, seed=7)                     # doctest: +SKIP
>>> result.kpis["bookings_usd"], result.weekly.head()            # doctest: +SKIP
>>> batch = sim.run_batch(scenario, reps=200, out="runs/st")    # doctest: +SKIP
>>> batch.summary, batch.fan, batch.replications                 # doctest: +SKIP
"""

from typing import TYPE_CHECKING, Any

from sim.errors import SalesimError, ScenarioError
from sim.run import Result, simulate
from sim.scenario import Scenario, load_scenario, validate_data


def _version() -> str:
    """The installed package's version: pyproject.toml is its one source (workers
    compare it with the driver's, study manifests record it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("salesim")
    except PackageNotFoundError:  # a source tree on sys.path without an install
        return "0+unknown"


__version__ = _version()

# Monte Carlo studies (sim.experiments), imported on first use so that
# ``import sim`` stays light (no pandas, scipy or Dask until a study runs).
_EXPERIMENTS = ("run_batch", "compare", "sweep", "compound_study", "factorial", "plan")

if TYPE_CHECKING:  # what a type checker sees of those names
    from sim.experiments import compare as compare
    from sim.experiments import compound_study as compound_study
    from sim.experiments import factorial as factorial
    from sim.experiments import plan as plan
    from sim.experiments import run_batch as run_batch
    from sim.experiments import sweep as sweep

__all__ = ["Result", "SalesimError", "Scenario", "ScenarioError", "load_scenario", "simulate",
           "validate_data", "__version__", *_EXPERIMENTS]


def __getattr__(name: str) -> Any:
    if name in _EXPERIMENTS:
        import sim.experiments

        return getattr(sim.experiments, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
