"""The base every scenario model shares: strict numbers of bounded size.

Why one base rather than per-field care: pydantic's lax mode reads ``true``
as 1 and ``"3"`` as 3, and a float field takes any finite value up to 1e308,
which the simulation then multiplies by head counts, lead counts and price
multipliers until it overflows to ``inf``. A new key added anywhere in the
format should get the same protection without anyone remembering it, so the
rules live here, once:

* a number field refuses ``true``/``false`` and text (``"3"``);
* a whole-number field (a count) refuses fractions; ``1e3`` (a float that is
  whole) is accepted as 1000;
* every float is at most :data:`MAX_MAGNITUDE` in size, so sums and products
  over a run (leads x deal size x price multipliers) stay finite.

The checks walk into ``dict``/``list``/``tuple`` annotations (``accounts:
{smb: 300}``, curves), and name the entry that is wrong.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_MAGNITUDE = 1e12
"""Largest size of any float in a scenario (money, hours, days): a trillion
leaves 1e6 of headroom for products over a run before a float64 overflows."""

MIN_PERIOD_DAYS = 1 / 24
"""Shortest period of any repeating process (one hour): a check every 1e-9
days would never let the clock reach the horizon."""
PERIOD = "at least one hour (1/24 day): a process repeated more often would never finish"

Share = Annotated[float, Field(ge=0, le=1)]
"""A share, fraction or probability: a number from 0 to 1, the one type of every such key
(a conversion, a churn rate, a share of the week...). Each field gives its own default and
says where it comes from in its description; the bounds reach the JSON Schema as
``minimum`` and ``maximum``."""


def annotation_members(ann: Any) -> list[Any]:
    """The plain types an annotation may take (Annotated and unions flattened)."""
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return annotation_members(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(ann) for m in annotation_members(a)]
    return [ann]


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class NumberError(ValueError):
    """A wrong number at ``path`` inside the model being validated; the loader
    appends the path to the model's own, so the message points at the key."""

    def __init__(self, path: tuple[Any, ...], message: str):
        self.path, self.message = path, message
        super().__init__(f"{'.'.join(str(p) for p in path)}: {message}")


def strict_value(ann: Any, value: Any, path: tuple[Any, ...]) -> Any:
    """``value`` checked against the numeric parts of ``ann`` (see the module doc);
    raises :class:`NumberError` at ``path`` when it is wrong."""
    members = annotation_members(ann)
    if isinstance(value, dict):
        for m in members:
            if typing.get_origin(m) is dict:
                inner = typing.get_args(m)[1]
                return {k: strict_value(inner, v, (*path, k)) for k, v in value.items()}
        return value
    if isinstance(value, list | tuple):
        for m in members:
            origin = typing.get_origin(m)
            args = typing.get_args(m)
            if origin is list and args:
                return [strict_value(args[0], v, (*path, i)) for i, v in enumerate(value)]
            if origin is tuple and args and args[-1] is not Ellipsis and len(args) == len(value):
                return [strict_value(a, v, (*path, i)) for i, (a, v) in enumerate(zip(args, value, strict=True))]
        return value
    numeric = [m for m in members if m in (int, float)]
    if not numeric:
        return value
    kind = "a whole number" if float not in numeric else "a number"
    if isinstance(value, bool):
        if bool in members:
            return value
        raise NumberError(path, f"expected {kind}, got {value!r} (true/false is not a number)")
    if isinstance(value, str):
        if any(m is str or typing.get_origin(m) is typing.Literal for m in members):
            return value
        raise NumberError(path, f"expected {kind}, got the text {_describe(value)}")
    if isinstance(value, float) and float not in numeric:
        if not math.isfinite(value) or not value.is_integer():
            raise NumberError(path, f"expected a whole number, got {value!r}")
        return int(value)
    if isinstance(value, int | float) and float in numeric and math.isfinite(value) \
            and abs(value) > MAX_MAGNITUDE:
        raise NumberError(path, f"must be at most {MAX_MAGNITUDE:g} in size, got {value!r}")
    return value


def strict_mapping(model: type[BaseModel], data: Any) -> Any:
    """``strict_value`` over the raw mapping of ``model`` (keys by alias or name)."""
    if not isinstance(data, dict):
        return data
    fields = {f.alias or n: f for n, f in model.model_fields.items()}
    fields.update(model.model_fields)
    return {k: strict_value(fields[k].annotation, v, (k,)) if k in fields else v for k, v in data.items()}


class StrictModel(BaseModel):
    """Base of every scenario model: unknown keys refused, frozen, finite and
    strict numbers (see the module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _strict_numbers(cls, data: Any) -> Any:
        return strict_mapping(cls, data)
