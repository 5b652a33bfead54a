"""Units of KPIs come from the registry, the one place they are declared."""

from __future__ import annotations

import pandas as pd

from sim.metrics.registry import KPIS, SCALAR_UNITS, unit_of
from sim.plots.canvas import kpi_unit
from sim.report.text import fmt_kpi


def test_every_scalar_kpi_takes_its_registry_unit():
    for k in KPIS:
        if k.unit in SCALAR_UNITS:
            assert unit_of(k.key) == k.unit, k.key
            assert kpi_unit(k.key) == ("share" if k.unit == "fraction" else k.unit), k.key


def test_fields_of_structured_kpis():
    assert unit_of("stages.sql.conversion") == "fraction"
    assert unit_of("roles.ae.utilization") == "fraction"
    assert unit_of("bookings_by_segment_usd.smb") == "USD"
    assert unit_of("costs.cost_per_arr_usd") == "ratio"
    assert unit_of("wins_by_segment.smb") == "count"


def test_a_cost_per_arr_difference_is_a_ratio_not_dollars():
    """The compare figure once labelled a cost-per-ARR change of -0.376 as "-$0"."""
    assert kpi_unit("cost_per_arr_usd") == "ratio"
    assert fmt_kpi("cost_per_arr_usd", 0.8715437500000001) == "0.872"
    from sim.plots.studies import compare_figure

    paired = pd.DataFrame([{"kpi": "cost_per_arr_usd", "scenario": "b", "baseline": "a", "baseline_mean": 1.2,
                            "diff": -0.376, "diff_ci_low": -0.5, "diff_ci_high": -0.2}])
    fig = compare_figure(paired, ["cost_per_arr_usd"])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("-0.376" in t for t in texts), texts
    assert not any("$" in t for t in texts), texts
