"""Style checked: ruff over the whole repository (scripts, benchmarks, tests and the
notebooks too) with the project's configuration (``[tool.ruff]`` in pyproject.toml), in
the default suite, so CI runs it and style drift fails there, as type errors do
(tests/test_types.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ruff", reason="ruff is in the dev extra: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_passes():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, ("ruff finds style errors (run `ruff check .`, `ruff check --fix .` mends some):\n"
                                  + proc.stdout[-5000:] + proc.stderr[-2000:])
