"""Types checked: mypy over ``sim/`` with the project's configuration
(``[tool.mypy]`` in pyproject.toml), in the default suite, so CI runs it.

Every module is checked: an ``ignore_errors`` override (the list the last modules
not yet clean were kept on, until they became clean) fails the test, and so does
any type error. The public API (``sim.__all__``) is annotated in full."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import sim

pytest.importorskip("mypy", reason="mypy is in the dev extra: pip install -e '.[dev]'")

REPO = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]


def _ini_value(v: object) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, list):
        return ",".join(map(str, v))
    return str(v)


def _config_without_ignores() -> tuple[str, set[str]]:
    """The project's mypy configuration as an ini file with the ``ignore_errors``
    override left out, and the modules that override lists."""
    lines, ignored = ["[mypy]"], set()
    lines += [f"{k} = {_ini_value(v)}" for k, v in CONFIG.items() if k not in ("overrides", "files")]
    for o in CONFIG.get("overrides", []):
        modules = o["module"] if isinstance(o["module"], list) else [o["module"]]
        if o.get("ignore_errors"):
            ignored.update(modules)
            continue
        lines.append(f"[mypy-{','.join(modules)}]")
        lines += [f"{k} = {_ini_value(v)}" for k, v in o.items() if k != "module"]
    return "\n".join(lines) + "\n", ignored


def _module(path: str) -> str:
    mod = path.removesuffix(".py").replace("/", ".")
    return mod.removesuffix(".__init__")


def test_sim_type_checks_and_the_list_of_unchecked_modules_only_shrinks(tmp_path):
    ini, ignored = _config_without_ignores()
    (tmp_path / "mypy.ini").write_text(ini)
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(tmp_path / "mypy.ini"),
                           "--no-error-summary", "--cache-dir", str(REPO / ".mypy_cache"), "sim"],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]
    errors = [line for line in proc.stdout.splitlines() if re.match(r"^sim/\S+\.py:\d+: error:", line)]
    with_errors = {_module(line.split(":", 1)[0]) for line in errors}
    new = [line for line in errors if _module(line.split(":", 1)[0]) not in ignored]
    assert not new, "type errors (run `python -m mypy`):\n" + "\n".join(new)
    assert not ignored, f"every module of sim/ is type-checked: take {sorted(ignored)} off ignore_errors and fix them"
    clean = sorted(ignored - with_errors)
    assert not clean, (f"now type-clean: take {clean} off the ignore_errors list of [tool.mypy] "
                       "in pyproject.toml")


def test_the_package_says_it_is_typed():
    assert (REPO / "sim" / "py.typed").is_file()
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["sim"]


def _unannotated(obj: object, name: str) -> list[str]:
    sig = inspect.signature(obj)  # type: ignore[arg-type]
    missing = [f"{name}({p.name})" for p in sig.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty and not inspect.isclass(obj):
        missing.append(f"{name} -> ?")
    return missing


def test_the_public_api_is_annotated_in_full():
    """Every function of ``sim.__all__`` and every public method and property of its
    classes has annotated parameters and return type."""
    missing: list[str] = []
    for name in sim.__all__:
        obj = getattr(sim, name)
        if inspect.isfunction(obj):
            missing += _unannotated(obj, name)
        elif inspect.isclass(obj) and not issubclass(obj, BaseException):
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                fn = getattr(member, "func", None) or getattr(member, "fget", None) or member
                if inspect.isfunction(fn) and not (attr == "__init__" and "pydantic" in repr(type(obj))):
                    missing += _unannotated(fn, f"{name}.{attr}")
    assert not missing, missing
