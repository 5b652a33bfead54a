"""One set of time units: every module converts through :mod:`sim.units`."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

import pytest

from sim import units
from sim.model import accounts

PKG = Path(__file__).resolve().parents[1] / "sim"


def test_a_month_is_a_twelfth_of_a_julian_year_everywhere():
    assert units.WEEKS_PER_MONTH == pytest.approx(365.25 / 12 / 7, rel=1e-12)
    # the CSM book load converts hours per month to hours per week with the same month
    assert accounts.WEEKS_PER_MONTH == units.WEEKS_PER_MONTH


def _code(path: Path) -> str:
    """The module's code tokens (no strings, no comments), space-separated."""
    with path.open("rb") as fh:
        toks = [t for t in tokenize.tokenize(fh.readline)
                if t.type in (tokenize.NUMBER, tokenize.OP, tokenize.NAME)]
    return " ".join(t.string for t in toks)


def test_no_module_spells_its_own_year_month_or_horizon_cap():
    spelled = re.compile(r"\b365\.25\b|\b52 / 12\b|\b1040\b|// 7\.0\b")
    assert spelled.search(_code(Path(accounts.__file__)).replace("WEEKS_PER_MONTH", "52 / 12"))  # the probe works
    found = [str(p.relative_to(PKG)) for p in PKG.rglob("*.py") if p.name != "units.py" and spelled.search(_code(p))]
    assert not found, f"time units spelled outside sim/units.py: {found}"


def test_week_index():
    assert units.n_weeks(104 * 7.0) == 104 and units.n_weeks(10.0) == 2
    assert units.week_of(6.99, 3) == 0 and units.week_of(7.0, 3) == 1 and units.week_of(21.0, 3) == 2
    assert units.week_index([0.0, 13.9, 99.0], 3).tolist() == [0, 1, 2]
