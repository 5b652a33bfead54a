"""The shape a JSON document must have: keys, types, finite bounded numbers.

A small declarative checker rather than pydantic models: the documents are
the ones salesim writes (kpis.json, run.json, manifest.json, plan.json) and
salesim only needs the keys it reads to have the types it reads them as;
other keys are left alone (a newer salesim may write more). The first
problem is reported with its key path (``stages.2.entered``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_MAGNITUDE = 1e100  # no count or amount salesim writes comes near; sums and products stay finite


class Bad(Exception):
    """A value that does not have its shape: where and why."""

    def __init__(self, key: tuple, message: str):
        self.key, self.message = key, message
        super().__init__(message)


def shown(value: Any) -> str:
    """A value as a message shows it: short, and said what it is."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Shape:
    nullable: bool = False

    def check(self, value: Any, key: tuple) -> None:
        if value is None:
            if not self.nullable:
                raise Bad(key, f"expected {self.what()}, got null")
            return
        self.check_value(value, key)

    def check_value(self, value: Any, key: tuple) -> None:
        raise NotImplementedError

    def what(self) -> str:
        raise NotImplementedError


@dataclass
class Num(Shape):
    """A finite number (not a boolean) of at most :data:`MAX_MAGNITUDE`, in [low, high];
    ``positive``: above zero; ``whole``: an integer value."""

    nullable: bool = False
    low: float | None = None
    high: float | None = None
    positive: bool = False
    whole: bool = False

    def what(self) -> str:
        bounds = ["above 0"] if self.positive else [f"at least {self.low:g}"] if self.low is not None else []
        bounds += [f"at most {self.high:g}"] if self.high is not None else []
        return ("a whole number" if self.whole else "a number") + (" " + " and ".join(bounds) if bounds else "")

    def check_value(self, value: Any, key: tuple) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Bad(key, f"expected {self.what()}, got {shown(value)}")
        try:
            v = float(value)
        except OverflowError:
            v = math.inf
        if not math.isfinite(v) or abs(v) > MAX_MAGNITUDE:
            raise Bad(key, f"expected {self.what()}, got a number too large to be salesim's ({shown(value)})")
        if (self.whole and v != int(v)) or (self.positive and v <= 0) or (self.low is not None and v < self.low) \
                or (self.high is not None and v > self.high):
            raise Bad(key, f"expected {self.what()}, got {shown(value)}")


@dataclass
class Text(Shape):
    nullable: bool = False

    def what(self) -> str:
        return "text"

    def check_value(self, value: Any, key: tuple) -> None:
        if not isinstance(value, str):
            raise Bad(key, f"expected text, got {shown(value)}")


@dataclass
class Anything(Shape):
    nullable: bool = True

    def what(self) -> str:
        return "a value"

    def check_value(self, value: Any, key: tuple) -> None:
        return None


@dataclass
class ListOf(Shape):
    item: Shape
    nullable: bool = False
    min_len: int = 0

    def what(self) -> str:
        return "a list" + (f" of at least {self.min_len}" if self.min_len else "")

    def check_value(self, value: Any, key: tuple) -> None:
        if not isinstance(value, list):
            raise Bad(key, f"expected {self.what()}, got {shown(value)}")
        if len(value) < self.min_len:
            raise Bad(key, f"expected {self.what()}, got {len(value)}")
        for i, v in enumerate(value):
            self.item.check(v, key + (i,))


@dataclass
class MapOf(Shape):
    """An object whose keys are names and whose values all have one shape."""

    value: Shape
    nullable: bool = False

    def what(self) -> str:
        return "an object"

    def check_value(self, value: Any, key: tuple) -> None:
        if not isinstance(value, dict):
            raise Bad(key, f"expected an object, got {shown(value)}")
        for k, v in value.items():
            self.value.check(v, key + (k,))


@dataclass
class Obj(Shape):
    """An object with ``required`` and ``optional`` keys; ``when`` lists keys that become
    required when a test of the object holds (a section the reader shows only then)."""

    required: dict[str, Shape] = field(default_factory=dict)
    optional: dict[str, Shape] = field(default_factory=dict)
    nullable: bool = False
    when: list[tuple[Callable[[dict], bool], dict[str, Shape]]] = field(default_factory=list)

    def what(self) -> str:
        return "an object"

    def check_value(self, value: Any, key: tuple) -> None:
        if not isinstance(value, dict):
            raise Bad(key, f"expected an object, got {shown(value)}")
        groups = [(self.required, True), (self.optional, False)]
        groups += [(keys, True) for test, keys in self.when if test(value)]
        for keys, needed in groups:
            for k, shape in keys.items():
                if k in value:
                    shape.check(value[k], key + (k,))
                elif needed:
                    raise Bad(key + (k,), "required key is missing")


@dataclass
class OneOf(Shape):
    values: tuple
    nullable: bool = False

    def what(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def check_value(self, value: Any, key: tuple) -> None:
        if isinstance(value, bool) or value not in self.values:
            raise Bad(key, f"expected {self.what()}, got {shown(value)}")
