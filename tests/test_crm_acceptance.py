"""The calibration and forecast acceptance figures (scripts/crm_acceptance.py): the pages show what the
script renders from the stored run, and (slow) the stored run is what the code gives today."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("crm_acceptance", ROOT / "scripts" / "crm_acceptance.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pages_show_what_the_script_renders_from_the_stored_run():
    mod = _script()
    data = mod.read_data()
    for name, page in mod.PAGES.items():
        text = page.read_text(encoding="utf-8")
        assert f"<!-- {name}:begin -->" in text, f"{page}: no {name} block"
        assert mod.rendered(text, name, data) == text, f"{page}: the {name} block differs from the stored run; " \
            "run python scripts/crm_acceptance.py render"


def test_a_figure_edited_by_hand_is_caught():
    mod = _script()
    data = mod.read_data()
    page = mod.PAGES["crm_acceptance"]
    text = page.read_text(encoding="utf-8")
    edited = text.replace("| win rate (closed deals) | ", "| win rate (closed deals) | 9", 1)
    assert edited != text and mod.rendered(edited, "crm_acceptance", data) != edited


def test_stored_figures_meet_the_issue_bars():
    """Within 10% of pandas; at least 65% / 85% of monthly cells in the 80% / 95% bands; CRPS better than
    both naive forecasts at each cut."""
    mod = _script()
    data = mod.read_data()
    for f in data["figures"]:
        assert f["fitted"] == pytest.approx(f["pandas"], rel=0.10), f
    in80, in95, cells = mod.pooled(data)
    assert cells >= 12 and in80 / cells >= 0.65 and in95 / cells >= 0.85
    for c in data["cuts"]:
        crps = list(c["crps_usd"].values())
        assert crps[0] < min(crps[1:]), c


@pytest.mark.slow
def test_the_stored_run_is_what_the_code_gives_today():
    mod = _script()
    stored, fresh = mod.read_data(), mod.run()

    def same(a, b):
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, float):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return a == b

    assert same(stored, fresh), "docs/crm_acceptance.json is stale: run python scripts/crm_acceptance.py run"
