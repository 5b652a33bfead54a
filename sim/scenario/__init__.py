"""Scenario layer: the file format (schema), safe loading, and cross-checks."""

from sim.scenario.loader import load_data, load_scenario, source_files, validate_data
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "load_data", "load_scenario", "source_files", "validate_data"]
