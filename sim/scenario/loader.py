"""Reading scenario files safely and reporting problems where they are.

Why this module exists rather than a bare ``yaml.safe_load``:

* **Safety.** Only YAML's safe subset is constructed (no ``!!python`` tags);
  files are size-capped, and anchors/aliases are expanded under a budget so an
  "alias bomb" is refused before anything walks the expanded document.
* **Errors that point.** Every problem names the file, the line, the key path,
  the value found and what was expected; unknown keys get a "did you mean".
* **Composition.** ``extends: base.yaml`` merges a parent file (relative to
  the child, never outside the scenarios' folder tree, cycles refused), and
  ``--set key.path=value`` overrides are applied last and reported as such.
"""

from __future__ import annotations

import os
import re
import stat
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario import files
from sim.scenario.checks import check, suggest
from sim.scenario.files import MAX_FILE_BYTES, file_kind  # noqa: F401 - MAX_FILE_BYTES: part of the loader's interface
from sim.scenario.messages import KeyPath, Origin, format_pydantic, is_named_mapping, origin_of
from sim.scenario.schema import Scenario

MAX_NODES = 200_000  # expanded YAML nodes; real scenarios have a few hundred
MAX_EXTENDS_DEPTH = 16


# --------------------------------------------------------------------------- YAML


class SalesimLoader(yaml.SafeLoader):
    """YAML's safe subset, plus numbers in scientific notation without a dot
    (``1e5``, ``2E-3``): YAML 1.1 reads those as text, which surprises anyone
    who writes a number the way Python, JSON and spreadsheets accept it."""


SalesimLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def _node_lines(node: yaml.Node, file: str, origins: dict[KeyPath, Origin]) -> None:
    """Record the line of every key path in ``node``; refuse alias bombs."""
    budget = [MAX_NODES]

    def walk(n: yaml.Node, path: KeyPath) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise ScenarioError.at(
                file, None, (), f"the document expands to more than {MAX_NODES} nodes "
                "(too many anchors/aliases?); refusing to read it")
        origins.setdefault(path, (file, n.start_mark.line + 1))
        if isinstance(n, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for k, v in n.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
                line = k.start_mark.line + 1
                if key in seen and key != "<<":
                    raise ScenarioError.at(file, line, path + (key,), f"key repeated (first at line "
                                           f"{seen[key]}); a later value would silently win")
                seen[key] = line
                origins[path + (key,)] = (file, line)
                walk(v, path + (key,))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, path + (i,))

    walk(node, ())


def parse_yaml(text: str, file: str, allow_null: bool = False) -> tuple[Any, dict[KeyPath, Origin]]:
    """Safely parse one YAML document; return the data and a key-path -> line map."""
    loader = None
    try:
        loader = SalesimLoader(text)
        node = loader.get_single_node()
        if not allow_null and (node is None or (isinstance(node, yaml.ScalarNode)
                                                and node.tag.endswith(":null"))):
            raise ScenarioError.at(file, None, (), "the file is empty; expected a mapping of "
                                   "scenario keys (name, segments, sources, ...)")
        origins: dict[KeyPath, Origin] = {}
        if node is None:  # no document at all (empty, or only comments): null where null is allowed
            return None, origins
        _node_lines(node, file, origins)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = (exc.problem or "invalid YAML").strip()
        if "could not determine a constructor" in what:
            what += " (only plain YAML is allowed: no !!python or other custom tags)"
        raise ScenarioError.at(file, line, (), f"cannot read YAML: {what}") from None
    except yaml.YAMLError as exc:  # e.g. ReaderError: control characters such as NUL
        raise ScenarioError.at(file, None, (), f"cannot read YAML: {exc}") from None
    except RecursionError:
        raise ScenarioError.at(file, None, (), "cannot read YAML: the document is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, origins


def read_text(path: Path) -> str:
    """A scenario-like file's text, read as every scenario is (:func:`sim.scenario.files.read_text`:
    regular, capped, never waited on), its errors naming the file as the user gave it."""
    return files.read_text(path, display_path(path))


# --------------------------------------------------------------------------- extends


def scenarios_root(path: Path) -> Path:
    """The folder tree ``extends`` may not leave: the nearest ancestor named
    ``scenarios``, else the top file's own folder."""
    path = path.resolve()
    for parent in path.parents:
        if parent.name == "scenarios":
            return parent
    return path.parent


def deep_merge(base: Any, over: Any) -> Any:
    """Child values win; mappings merge key by key; lists and scalars are replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base else v
        return out
    return over


def display_path(path: Path) -> str:
    """A path as the user would write it: relative to the working folder when
    inside it, else as it is (``/``, not ``../../..``)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)
    return str(path) if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel


def _read_chain(path: Path, root: Path, chain: tuple[Path, ...]) -> tuple[dict, dict[KeyPath, Origin]]:
    file = display_path(path)
    data, origins = parse_yaml(read_text(path), file)
    if not isinstance(data, dict):
        raise ScenarioError.at(file, origins.get((), (file, None))[1], (),
                               f"expected a mapping of scenario keys at the top, got {type(data).__name__}")
    if "extends" not in data:
        return data, origins
    parent_ref = data.pop("extends")
    line = origins.get(("extends",), (file, None))[1]
    if not isinstance(parent_ref, str) or not parent_ref:
        raise ScenarioError.at(file, line, ("extends",), f"expected a relative file name, got {parent_ref!r}")
    parent = (path.parent / parent_ref).resolve()
    if os.path.commonpath([parent, root]) != str(root):
        raise ScenarioError.at(file, line, ("extends",), f"{parent_ref!r} is outside the scenarios folder "
                               f"tree {str(root)!r}; extends may only name files inside it")
    try:
        mode = parent.stat().st_mode
    except OSError:
        raise ScenarioError.at(file, line, ("extends",), f"{parent_ref!r}: no such file "
                               f"(looked for {display_path(parent)})") from None
    if not stat.S_ISREG(mode):
        raise ScenarioError.at(file, line, ("extends",), f"{parent_ref!r} is {file_kind(mode)}, not a scenario "
                               f"file ({display_path(parent)})")
    if parent in chain or parent == path:
        cycle = " -> ".join(p.name for p in (*chain, path, parent))
        raise ScenarioError.at(file, line, ("extends",), f"extends cycle: {cycle}")
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError.at(file, line, ("extends",), f"extends chain deeper than {MAX_EXTENDS_DEPTH}")
    base, base_origins = _read_chain(parent, root, (*chain, path))
    origins = {k: v for k, v in origins.items() if k != ("extends",)}
    return deep_merge(base, data), {**base_origins, **origins}


# --------------------------------------------------------------------------- --set


class Setting(str):
    """A ``key.path=value`` item that knows the flag it came from (``--set-b`` of
    ``salesim compare``), so a problem with it names that flag."""

    flag: str

    def __new__(cls, text: str, flag: str = "--set") -> Setting:
        obj = super().__new__(cls, text)
        obj.flag = flag
        return obj

    def __reduce__(self) -> tuple[type[Setting], tuple[str, str]]:
        return (Setting, (str(self), self.flag))


def apply_overrides(data: dict, overrides: typing.Iterable[str], origins: dict[KeyPath, Origin]) -> dict:
    """Apply ``key.path=value`` overrides; values are parsed as YAML scalars/lists.
    Problems name the flag an item came from (:class:`Setting`; ``--set`` for plain text)."""
    for item in overrides:
        flag = getattr(item, "flag", "--set")
        if "=" not in item:
            raise ScenarioError.at(flag, None, (), f"{item!r}: expected key.path=value")
        key, raw = item.split("=", 1)
        parts = [p for p in key.strip().split(".")]
        if not key.strip() or any(not p for p in parts):
            raise ScenarioError.at(flag, None, (), f"{item!r}: empty key path")
        try:
            value, _ = parse_yaml(raw, f"{flag} {key}", allow_null=True) if raw.strip() else (None, {})
        except ScenarioError as exc:
            raise ScenarioError.at(flag, None, (), f"{item!r}: value is not valid YAML "
                                   f"({exc.problems[0].message})") from None
        node: Any = data
        path: list[Any] = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ScenarioError.at(flag, None, tuple(path),
                                           f"{item!r}: {part!r} is not an index of a list of {len(node)}")
                part = int(part)  # type: ignore[assignment]
            elif not isinstance(node, dict):
                raise ScenarioError.at(flag, None, tuple(path), f"{item!r}: cannot set a key inside "
                                       f"a {type(node).__name__}")
            path.append(part)
            if last:
                node[part] = value
            else:
                if isinstance(node, dict) and part not in node:
                    _refuse_partial_entry(item, data, path, node, flag)
                    node[part] = {}
                    origins[tuple(path)] = (f"{flag} {item}", None)  # a problem with the new key is this --set's
                nxt = node[part]
                if isinstance(nxt, dict | list):
                    nxt = type(nxt)(nxt)  # copy: never mutate a shared (aliased) node
                    node[part] = nxt
                node = nxt
        here = tuple(path)
        for stale in [k for k in origins if k[:len(here)] == here]:  # the old value's keys are gone
            del origins[stale]
        origins[here] = (f"{flag} {item}", None)
    return data


def _refuse_partial_entry(item: str, data: dict, path: list[Any], node: dict, flag: str = "--set") -> None:
    """A ``--set`` that would create a new entry of a named mapping (a role, a
    segment, a source...) key by key is refused: ``roles.nobdy.headcount=3``
    is far more likely a typo than a wish for an idle role. A whole entry
    (``roles.nobody={headcount: 3}``) is fine; so is filling in an optional
    section, whose keys the schema checks."""
    if not is_named_mapping(tuple(path[:-1]), data):
        return
    key = ".".join(str(p) for p in path)
    have = sorted(str(k) for k in node)
    raise ScenarioError.at(flag, None, tuple(path), f"{item!r}: there is no {key!r}"
                           f"{suggest(str(path[-1]), have)} (entries here: {', '.join(have) or 'none'}); "
                           f"to add a new entry give it whole, e.g. {flag} '{key}={{...}}'")


# --------------------------------------------------------------------------- API


def validate_data(data: Any, origins: dict[KeyPath, Origin] | None = None,
                  file: str = "<scenario>") -> Scenario:
    """Validate an already-parsed mapping; raise :class:`ScenarioError` on problems."""
    origins = origins or {}
    if not isinstance(data, dict):
        raise ScenarioError.at(file, None, (), f"expected a mapping, got {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise format_pydantic(exc, data, origins, file) from None
    problems = check(scenario)
    if problems:
        err = ScenarioError()
        for p in problems:
            where = origin_of(p.path, origins, file)
            err.add(where[0], where[1], p.path, p.message)
        raise err
    return scenario


def _pipeline_csv(data: dict, origins: dict[KeyPath, Origin], scenario_file: Path, root: Path) -> None:
    """``initial_pipeline: FILE.csv`` (a path relative to the file that names it) becomes the list of
    its rows, each cell's origin the CSV's line, so a bad cell is reported at its row and column."""
    import csv
    import io

    from sim.scenario.pipeline_spec import COLUMNS, MAX_OPEN_DEALS

    ref = data.get("initial_pipeline")
    if not isinstance(ref, str):
        return
    file, line = origins.get(("initial_pipeline",), (display_path(scenario_file), None))
    here = Path(file).parent if Path(file).is_file() else scenario_file.parent
    key = ("initial_pipeline",)
    if not ref.strip() or os.path.isabs(ref):
        raise ScenarioError.at(file, line, key, f"expected a list of open deals or a relative CSV file name, "
                               f"got {ref!r}")
    csv_path = (here / ref).resolve()
    if os.path.commonpath([csv_path, root]) != str(root):
        raise ScenarioError.at(file, line, key, f"{ref!r} is outside the scenarios folder tree {str(root)!r}; "
                               "the initial pipeline's file must be inside it")
    shown = display_path(csv_path)
    text = files.read_text(csv_path, shown)
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    unknown = [h for h in header if h not in COLUMNS]
    if not header or "stage" not in header or unknown:
        what = f"unknown column(s) {unknown}" if unknown else "no 'stage' column"
        raise ScenarioError.at(shown, 1, key, f"{what}; the columns are {list(COLUMNS)} (stage required)")
    rows: list[dict] = []
    for n, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ScenarioError.at(shown, n, (*key, len(rows)), f"row {n} has {len(cells)} cells, the header "
                                   f"{len(header)}")
        row: dict[str, object] = {}
        for col, cell in zip(header, cells, strict=True):
            cell = cell.strip()
            if not cell:
                continue
            value: object = cell
            if col in ("age_days", "amount_usd", "rep"):
                try:
                    value = int(cell) if col == "rep" and cell.lstrip("-").isdigit() else float(cell)
                except ValueError:
                    value = cell  # the schema names the row and column
            row[col] = value
            origins[(*key, len(rows), col)] = (shown, n)
        origins[(*key, len(rows))] = (shown, n)
        rows.append(row)
        if len(rows) > MAX_OPEN_DEALS:
            raise ScenarioError.at(shown, n, key, f"more than {MAX_OPEN_DEALS:,} open deals")
    data["initial_pipeline"] = rows


def load_data(path: str | os.PathLike, overrides: typing.Iterable[str] = ()) -> tuple[dict, dict]:
    """The merged (``extends`` then ``--set``) raw mapping of a file and its origins."""
    if not str(path).strip():  # Path("") is the current folder
        raise ScenarioError.at(repr(str(path)), None, (), "expected a scenario file name, got an empty or blank "
                               "string")
    if str(path) == "-":
        raise ScenarioError.at("'-'", None, (), "scenarios are read from files, not from standard input; give a "
                               "file name")
    p = Path(path)
    real = p.resolve()
    root = scenarios_root(p) if real.exists() else p.parent.resolve()
    data, origins = _read_chain(real if real.exists() else p, root, ())
    data = apply_overrides(data, overrides, origins)
    _pipeline_csv(data, origins, real if real.exists() else p, root)
    return data, origins


def source_files(path: str | os.PathLike) -> list[Path]:
    """The files a scenario is read from: the file and its ``extends`` chain
    and the open deals' CSV (what an output of the same command must never overwrite). A chain that
    cannot be read stops the list there; loading reports why."""
    p = Path(path)
    out = [p.resolve()]
    tables: list[Path] = []
    root = scenarios_root(p) if p.exists() else p.parent.resolve()
    for _ in range(MAX_EXTENDS_DEPTH + 1):
        try:
            data, _origins = parse_yaml(read_text(out[-1]), display_path(out[-1]))
        except Exception:  # noqa: BLE001 - only collecting names; load_scenario reports problems
            break
        table = data.get("initial_pipeline") if isinstance(data, dict) else None
        if isinstance(table, str) and table.strip() and not os.path.isabs(table):
            tables.append((out[-1].parent / table).resolve())  # the open deals' CSV: an input too
        ref = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(ref, str) or not ref:
            break
        parent = (out[-1].parent / ref).resolve()
        if parent in out or os.path.commonpath([parent, root]) != str(root):
            break
        out.append(parent)
    return out + tables


def load_scenario(path: str | os.PathLike, overrides: typing.Iterable[str] = ()) -> Scenario:
    """Read, merge and validate a scenario file.

    >>> s = load_scenario("scenarios/small_team.yaml", ["horizon_weeks=4"])  # doctest: +SKIP
    """
    data, origins = load_data(path, overrides)
    return validate_data(data, origins, str(path))
