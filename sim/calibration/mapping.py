"""The column mapping file: how a CRM export's columns and values read as the
calibration's canonical opportunity-history format.

Vendors differ in names, not in meaning, so nothing here is per vendor: a
Salesforce ``OpportunityHistory`` export and a HubSpot deals export are both
read through a small YAML file (examples in ``data/crm/``). Without a mapping
the file must already use the canonical names (what ``salesim export-crm``
writes).

Canonical columns (one row per stage entry):

* required: ``opportunity_id``, ``stage``, ``entered_at`` (timestamp);
* optional: ``created_at``, ``source``, ``segment``, ``owner``, ``owner_role``,
  ``amount`` (the deal value; the booked value on won deals), ``list_amount``
  (list price, for discounts), ``closed_at``, ``outcome`` (won/lost/open),
  ``loss_reason``, ``industry``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import SalesimError

REQUIRED = ("opportunity_id", "stage", "entered_at")
OPTIONAL = ("created_at", "source", "segment", "owner", "owner_role", "amount", "list_amount",
            "closed_at", "outcome", "loss_reason", "industry")
CANONICAL = REQUIRED + OPTIONAL
TIMESTAMPS = ("entered_at", "created_at", "closed_at")


class DataError(SalesimError):
    """A history, mapping, accounts or reps file the calibration cannot use (exit 2)."""


class Mapping(BaseModel):
    """What a mapping file may say; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[Literal[CANONICAL], str] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="canonical column -> column in the file")
    stage_names: dict[str, str] = Field(
        default_factory=dict, description="stage label in the file -> stage name (renames, merges)")
    stages: list[str] | None = Field(
        default=None, description="the funnel's stages in order, the win last; other stage names are "
        "reported as unknown (absent: the order is read from the data)")
    won_stages: list[str] = Field(default_factory=lambda: ["won", "closed_won", "closedwon"],
                                  description="stage names that mean the deal was won")
    lost_stages: list[str] = Field(default_factory=lambda: ["lost", "closed_lost", "closedlost"],
                                   description="stage names that mean the deal was lost (not a funnel stage: "
                                   "the deal is lost in the stage it was in)")
    won_flag: str | None = Field(default=None, description="a true/false column: the deal was won (IsWon)")
    closed_flag: str | None = Field(default=None, description="a true/false column: the deal is closed (IsClosed)")
    wide_stage_columns: dict[str, str] = Field(
        default_factory=dict, description="one row per deal with a 'date entered <stage>' column per stage "
        "(HubSpot): column -> stage")
    timezone: str = Field(default="UTC", description="zone of timestamps written without one")


def normalize_name(label: object) -> str:
    """A label as a scenario name: lower_snake_case, starting with a letter."""
    import re

    text = re.sub(r"[^a-z0-9]+", "_", str(label).strip().lower()).strip("_")
    if not text:
        return "unknown"
    return text if text[0].isalpha() else f"s_{text}"[:40]


def load_mapping(path: str | Path | None) -> Mapping:
    """Read and validate a mapping file; ``None`` is the identity mapping."""
    if path is None:
        return Mapping()
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text())
    except OSError as exc:
        raise DataError(f"--mapping {p}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise DataError(f"--mapping {p}: not valid YAML ({exc})") from None
    if data is None:
        return Mapping()
    if not isinstance(data, dict):
        raise DataError(f"--mapping {p}: expected a mapping of keys, got {type(data).__name__}")
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            key = ".".join(str(x) for x in e["loc"])
            lines.append(f"{p}: {key}: {e['msg']}" + (f" (allowed canonical columns: {', '.join(CANONICAL)})"
                                                       if e["type"] == "literal_error" else ""))
        raise DataError("\n".join(lines)) from None
