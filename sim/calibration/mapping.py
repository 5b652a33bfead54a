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

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import SalesimError

REQUIRED = ("opportunity_id", "stage", "entered_at")
OPTIONAL = ("created_at", "source", "segment", "owner", "owner_role", "amount", "list_amount",
            "closed_at", "outcome", "loss_reason", "industry")
CANONICAL = REQUIRED + OPTIONAL
TIMESTAMPS = ("entered_at", "created_at", "closed_at")
MAX_NAME = 40  # the scenario format's longest name


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

    @field_validator("columns", "wide_stage_columns")
    @classmethod
    def _column_names(cls, v: dict) -> dict:
        for k, name in v.items():
            if not name.strip():
                raise ValueError(f"{k}: empty column name")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        import pandas as pd

        try:
            pd.Timestamp("2000-01-01").tz_localize(v)
        except Exception:  # noqa: BLE001 - pandas raises several kinds for an unknown zone
            raise ValueError(f"unknown time zone {v!r} (use a name such as UTC or Europe/Berlin)") from None
        return v

    @model_validator(mode="after")
    def _stage_lists(self) -> Mapping:
        won = {normalize_name(s) for s in self.won_stages}
        lost = {normalize_name(s) for s in self.lost_stages}
        both = sorted(won & lost)
        if both:
            raise ValueError(f"won_stages and lost_stages both name {', '.join(both)}")
        if self.stages is not None:
            names = [normalize_name(s) for s in self.stages]
            if len(names) < 2:
                raise ValueError(f"stages: the funnel needs at least two stages (the win last), got "
                                 f"{len(names)}")
            seen: dict[str, str] = {}
            for label, name in zip(self.stages, names, strict=True):
                if name in seen:
                    same = "" if seen[name] == label else f" ({seen[name]!r} and {label!r} read as the same name)"
                    raise ValueError(f"stages: {name} is listed twice{same}")
                seen[name] = label
            lost_listed = [n for n in names if n in lost]
            if lost_listed:
                raise ValueError(f"stages: {', '.join(lost_listed)} is a lost stage (lost_stages), not a stage "
                                 "of the funnel; a lost deal is lost in the stage it was in")
        return self


def normalize_name(label: object) -> str:
    """A label as a scenario name: lower_snake_case, starting with a letter, at most 40 characters.

    Accents are dropped (``Qualifié`` -> ``qualifie``); a label with no letters or digits left
    (``阶段一``) gets a name made from a hash of it, so two such labels never merge silently."""
    raw = str(label).strip()
    ascii_ = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "_", ascii_.lower()).strip("_")
    if not text:
        if not raw:
            return "unknown"
        digest = hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        return f"n_{digest}"
    text = text if text[0].isalpha() else f"s_{text}"
    return text[:MAX_NAME].rstrip("_")


def _yaml_error(p: Path, exc: SalesimError) -> DataError:
    text = str(exc).replace("not a scenario file", "not a mapping file").replace("scenario files are", "files are")
    return DataError(f"--mapping {text}")


def load_mapping(path: str | Path | None) -> Mapping:
    """Read and validate a mapping file; ``None`` is the identity mapping.

    Read like a scenario file (a regular UTF-8 file under a size cap, safe YAML,
    repeated keys and alias bombs refused), so a binary file, a folder or a
    pipe is an error naming the file, never a traceback or a wait."""
    if path is None:
        return Mapping()
    from sim.scenario import files
    from sim.scenario.loader import parse_yaml

    p = Path(path)
    try:
        data, _ = parse_yaml(files.read_text(p, str(p)), str(p), allow_null=True)
    except SalesimError as exc:
        raise _yaml_error(p, exc) from None
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
            msg = e["msg"].removeprefix("Value error, ")
            where = f"{p}: {key}: " if key else f"{p}: "
            lines.append(where + msg + (f" (allowed canonical columns: {', '.join(CANONICAL)})"
                                        if e["type"] == "literal_error" else ""))
        raise DataError("\n".join(lines)) from None
