"""Writing a run's results to a folder, atomically.

Missing parent folders are created (``--out runs/st`` on a fresh clone).
Everything is written into a temporary sibling folder first and renamed into
place at the end (:func:`sim.outpaths.staged_folder`), so an interrupted or
failed run never leaves a half-written output folder behind; ``--force``
replaces only a folder salesim wrote, and never one holding the scenario.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from sim.outpaths import NO_INPUTS, Inputs, cannot_write, folder_target, staged_folder

__all__ = ["FORMATS", "cannot_write", "check_target", "write_run"]

FORMATS = ("csv", "parquet")


def check_target(out: Path, force: bool, inputs: Inputs = NO_INPUTS) -> Path:
    """Refuse an output folder we would clobber, before any simulation time is spent."""
    return folder_target(out, flag="--out", inputs=inputs, force=force)


def write_run(result, out: Path, fmt: str, force: bool = False, overrides: list[str] | tuple = (),
              inputs: Inputs = NO_INPUTS) -> list[Path]:
    """Write events, leads, weekly series, KPIs and the resolved scenario to ``out``
    (``overrides``, the ``--set`` values, are recorded in run.json for reports)."""
    import sim

    check_target(out, force, inputs)
    with staged_folder(out, by="salesim run") as tmp:
        tables = {"weekly": result.weekly, "timeline": result.timeline, "accounts": result.accounts}
        if result.log is not None:
            tables["events"], tables["leads"] = result.events, result.leads
        for name, df in tables.items():
            if fmt == "parquet":
                df.to_parquet(tmp / f"{name}.parquet", index=False)
            else:
                df.to_csv(tmp / f"{name}.csv", index=False)
        (tmp / "kpis.json").write_text(json.dumps(result.kpis, indent=2, allow_nan=False) + "\n")
        (tmp / "scenario.resolved.yaml").write_text(
            yaml.safe_dump(result.scenario.model_dump(mode="json", by_alias=True), sort_keys=False))
        (tmp / "run.json").write_text(json.dumps({
            "salesim_version": sim.__version__,
            "seed": result.seed,
            "horizon_weeks": result.horizon_weeks,
            "runtime_s": round(result.runtime_s, 4),
            "events": len(result.log) if result.log is not None else None,
            "overrides": list(overrides),
        }, indent=2) + "\n")
    return sorted(out.iterdir())
