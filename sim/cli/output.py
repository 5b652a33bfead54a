"""Writing a run's results to a folder, atomically.

Missing parent folders are created (``--out runs/st`` on a fresh clone).
Everything is written into a temporary sibling folder first and renamed into
place at the end, so an interrupted or failed run never leaves a half-written
output folder behind.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import yaml

from sim.errors import UsageError
from sim.outpaths import check_parent, make_parent

FORMATS = ("csv", "parquet")


def check_target(out: Path, force: bool) -> None:
    """Refuse an output folder we would clobber, before any simulation time is spent."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(f"--out {out}: folder exists and is not empty; add --force to replace it")
    check_parent(out, "--out")


def write_run(result, out: Path, fmt: str, force: bool = False, overrides: list[str] | tuple = ()) -> list[Path]:
    """Write events, leads, weekly series, KPIs and the resolved scenario to ``out``
    (``overrides``, the ``--set`` values, are recorded in run.json for reports)."""
    import sim

    check_target(out, force)
    parent = make_parent(out, "--out")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as exc:
        raise cannot_write(out, exc) from None
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; the result is an ordinary folder
    try:
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
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            os.replace(out, old / "x")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except OSError as exc:  # read-only mount, full disk, /proc...: nothing is left behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise cannot_write(out, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(out.iterdir())


def cannot_write(out: Path, exc: OSError) -> UsageError:
    """The message for an output that could not be written (exit 2, no traceback)."""
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        why += "; free some space or choose another folder with --out"
    return UsageError(f"--out {out}: cannot write ({why}); nothing was written")
