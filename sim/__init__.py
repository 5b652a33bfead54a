"""salesim: a discrete-event simulator of B2B revenue organizations.

>>> import sim
>>> scenario = sim.load_scenario("scenarios/small_team.yaml")   # doctest: +SKIP
>>> result = sim.simulate(scenario, seed=7)                     # doctest: +SKIP
>>> result.kpis["bookings_usd"], result.weekly.head()            # doctest: +SKIP
"""

from sim.errors import SalesimError, ScenarioError
from sim.run import Result, simulate
from sim.scenario import Scenario, load_scenario, validate_data

__version__ = "0.1.0"

__all__ = ["Result", "SalesimError", "Scenario", "ScenarioError", "load_scenario", "simulate",
           "validate_data", "__version__"]
