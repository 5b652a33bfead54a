"""The layering of ARCHITECTURE.md, enforced: lower layers never import upper ones,
and there is no global random state anywhere in the package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "sim"
ORDER = ["errors", "outpaths", "scenario", "model", "records", "metrics", "run", "experiments", "cli"]


def _layer(path: Path) -> str | None:
    rel = path.relative_to(PKG).parts
    name = rel[0].removesuffix(".py")
    return name if name in ORDER else None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "sim":
            out.update(a.name for a in node.names)  # from sim import run
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim."):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("sim."):
                    out.add(a.name.split(".")[1])
    return out


FILES = [p for p in PKG.rglob("*.py") if _layer(p)]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_no_upward_imports(path):
    me = _layer(path)
    for target in _imports(path):
        if target not in ORDER or target == me:
            continue
        allowed = ORDER.index(target) < ORDER.index(me)
        assert allowed, f"{path.relative_to(PKG)} ({me}) imports sim.{target}, a higher layer"


def test_no_global_rng_or_unsafe_yaml():
    # numpy's legacy global functions, an unseeded default_rng(), the stdlib random module, unsafe YAML, eval
    bad = re.compile(r"np\.random\.(?!SeedSequence|Generator|PCG64|default_rng\(\w)[a-z_]+\("
                     r"|default_rng\(\)"
                     r"|^\s*(import random|from random import)"
                     r"|yaml\.load\(|yaml\.unsafe_load|\beval\(|\bexec\(")
    # the pattern itself must catch what it is for, and spare what is allowed
    for line in ("np.random.seed(1)", "np.random.shuffle(x)", "rng = np.random.default_rng()", "import random",
                 "yaml.load(text)", "eval(s)"):
        assert bad.search(line), line
    for line in ("np.random.SeedSequence(1)", "np.random.Generator(np.random.PCG64(s))",
                 "np.random.default_rng(seed)", "yaml.safe_load(t)"):
        assert not bad.search(line), line
    hits = [f"{p}:{i}" for p in PKG.rglob("*.py")
            for i, line in enumerate(p.read_text().splitlines(), 1) if bad.search(line)]
    assert not hits, hits
