"""Pydantic's validation errors, restated for people who edit scenario files.

Every error names the file and line (from the origins the loader kept), the
key path as the user wrote it (not pydantic's internal union branches), the
value found and what was expected; unknown keys get the allowed keys and a
"did you mean".
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError
from sim.scenario.base import NumberError
from sim.scenario.checks import suggest
from sim.scenario.schema import Scenario

KeyPath = tuple[Any, ...]
Origin = tuple[str, int | None]  # (file or "--set ...", 1-based line)


def _unwrap(ann: Any, data: Any) -> Any:
    """The model class an annotation resolves to for ``data``, if any."""
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(ann) if isinstance(a, type) and issubclass(a, BaseModel)]
            for m in models:
                tag = next((f for f in ("kind", "dist") if f in m.model_fields), None)
                default = m.model_fields[tag].annotation if tag else None
                if tag and isinstance(data, dict) and typing.get_args(default) == (data.get(tag),):
                    return m
            others = [a for a in typing.get_args(ann) if a is not type(None)]
            ann = models[0] if models else (others[0] if others else ann)
            if not models:
                continue
            return ann
        else:
            return ann


_MISSING = object()


def _annotation_at(path: KeyPath, root: Any, model: type[BaseModel] = Scenario) -> tuple[Any, Any]:
    """The schema annotation of the key at ``path`` and the data there (walking the
    schema alongside the data, so tagged unions resolve by their tag);
    ``(_MISSING, None)`` when the path leaves the schema."""
    ann: Any = model
    node = root
    for part in path:
        ann = _unwrap(ann, node)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            field = next((f for n, f in ann.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return _MISSING, None
            ann = field.annotation
        elif typing.get_origin(ann) is dict:
            ann = typing.get_args(ann)[1]
        elif typing.get_origin(ann) is list:
            ann = typing.get_args(ann)[0]
        else:
            return _MISSING, None
        node = node.get(part) if isinstance(node, dict) else None
    return ann, node


def _allowed_keys(path: KeyPath, root: Any, model: type[BaseModel] = Scenario) -> list[str] | None:
    """Keys a mapping at ``path`` may hold."""
    ann, node = _annotation_at(path, root, model)
    ann = _unwrap(ann, node)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [f.alias or n for n, f in ann.model_fields.items()]
    return None


def _is_dist_field(path: KeyPath, data: Any) -> bool:
    """True when the key at ``path`` holds a distribution (e.g. work_hours)."""
    ann, _ = _annotation_at(path, data)
    return any(isinstance(a, type) and issubclass(a, BaseModel) and "dist" in a.model_fields
               for a in _flat_args(ann))


def _flat_args(ann: Any) -> list[Any]:
    out, todo = [], [ann]
    while todo:
        a = todo.pop()
        args = typing.get_args(a)
        if args and typing.get_origin(a) in (typing.Annotated, typing.Union, types.UnionType):
            todo.extend(args[:1] if typing.get_origin(a) is typing.Annotated else args)
        else:
            out.append(a)
    return out


def _clean_loc(loc: tuple, data: Any) -> KeyPath:
    """Drop pydantic's union-tag entries so the path is the user's key path."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and part in (node.get("kind"), node.get("dist")):
            continue
        elif isinstance(node, int | float) and not isinstance(node, bool):
            break  # a bare number given for a distribution: its key is the user's path
        elif isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        else:
            out.append(part)
            node = None
    return tuple(out)


def _value_at(path: KeyPath, data: Any) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data or isinstance(data, list) and isinstance(part, int) \
                and part < len(data):
            data = data[part]
        else:
            return None
    return data


def is_named_mapping(path: KeyPath, data: Any) -> bool:
    """True when the scenario key at ``path`` is a mapping of user-named entries
    (``roles``, ``segments``, ``sources``...), not a section with fixed keys."""
    ann, node = _annotation_at(path, data)
    return typing.get_origin(_unwrap(ann, node)) is dict


def origin_of(path: KeyPath, origins: dict[KeyPath, Origin], default_file: str) -> Origin:
    for n in range(len(path), -1, -1):
        if path[:n] in origins:
            return origins[path[:n]]
    return (default_file, None)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 70 else text[:67] + "..."


def format_pydantic(exc: ValidationError, data: dict, origins, file: str,
                    model: type[BaseModel] = Scenario) -> ScenarioError:
    """Each pydantic error as a located problem (``model`` is the file's root model:
    a scenario, or another file format read the same way, such as a study file)."""
    err = ScenarioError()
    for e in exc.errors(include_url=False):
        path = _clean_loc(e["loc"], data)
        inner = e.get("ctx", {}).get("error")
        if isinstance(inner, NumberError) and isinstance(_value_at(path, data), dict):
            path = (*path, *inner.path)  # a strict-number check names the key inside the model
        where = origin_of(path, origins, file)
        kind = e["type"]
        if isinstance(inner, NumberError):
            msg = inner.message
        elif kind == "extra_forbidden":
            allowed = _allowed_keys(path[:-1], data, model) or []
            msg = f"unknown key {path[-1]!r}{suggest(path[-1], allowed)}"
            if allowed:
                msg += f"; allowed keys here: {', '.join(allowed)}"
        elif kind == "missing":
            msg = "required key is missing"
        elif kind == "union_tag_invalid":
            tag = e.get("ctx", {}).get("tag")
            expected = e.get("ctx", {}).get("expected_tags", "")
            choices = [t.strip(" '") for t in expected.split(",")]
            msg = f"unknown type {tag!r}{suggest(tag, choices)}; expected one of {expected}"
        else:
            msg = e["msg"].replace("Value error, ", "")
            if kind != "value_error" or "got " not in msg:
                msg += f", got {_short(e.get('input'))}"
            if kind in ("model_type", "dict_type", "model_attributes_type") and path and \
                    model is Scenario and _is_dist_field(path, data):
                msg += " (a distribution is a number or a mapping like {dist: exponential, mean: 2})"
        err.add(where[0], where[1], path, msg)
    return err
