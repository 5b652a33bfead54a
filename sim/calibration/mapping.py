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
  ``loss_reason``, ``industry``, ``product``, ``manager``, ``region``, ``team``,
  ``currency`` (ISO code of ``amount`` and ``list_amount``; converted with
  ``currency_rates``).

Export shapes besides one row per stage entry:

* ``layout: snapshot``: one row per deal (its current stage, the date it
  entered ``created_stage``, its close date, an outcome column, often the
  stage column itself, read through ``outcome_values``); stages without
  dates are fine;
* ``wide_stage_columns``: one row per deal with a date column per stage;
* ``joins``: other files joined by keys before the columns are picked
  (Opportunity onto OpportunityHistory; agents with managers and regions;
  products with list prices; accounts), each file relative to the mapping.
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
            "closed_at", "outcome", "loss_reason", "industry", "product", "manager", "region", "team", "currency")
CANONICAL = REQUIRED + OPTIONAL
TIMESTAMPS = ("entered_at", "created_at", "closed_at")
MAX_NAME = 40  # the scenario format's longest name


class DataError(SalesimError):
    """A history, mapping, accounts or reps file the calibration cannot use (exit 2)."""


class Join(BaseModel):
    """Another file joined onto the export by a key before columns are picked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(description="CSV or Parquet file, relative to the mapping file")
    by: str = Field(description="the key column in the export (or in a file joined before this one)")
    key: str | None = Field(default=None, description="the key column in this file (default: the same name as by)")
    prefix: str = Field(default="", description="put before this file's column names (when they clash)")

    @field_validator("file", "by")
    @classmethod
    def _nonempty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("empty")
        return v.strip()


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
    layout: Literal["history", "snapshot"] = Field(
        default="history", description="history: one row per stage entry; snapshot: one row per deal (current "
        "stage, created and close dates, outcome)")
    created_stage: str | None = Field(
        default=None, description="snapshot: the stage a deal is in from created_at on (default: the first of "
        "stages); deals of earlier stages have no date and are left out of the fit (counted)")
    outcome_values: dict[str, Literal["won", "lost", "open"]] = Field(
        default_factory=dict, description="label in the outcome column -> won, lost or open (any other label: "
        "open, when the outcome column is the stage column)")
    date_format: str | None = Field(default=None, description="strftime format of every date (e.g. %d/%m/%Y)")
    dayfirst: bool | None = Field(default=None, description="dates such as 06/04/2024 are day first (4 June "
                                  "when false); unset: read from the data, a warning counts the ambiguous ones")
    joins: list[Join] = Field(default_factory=list, description="other files joined by keys")
    currency_rates: dict[str, float] = Field(
        default_factory=dict, description="USD per unit of each currency in the currency column (USD: 1)")
    stale_open: Literal["exclude", "lost", "keep"] = Field(
        default="exclude", description="open deals older than every closed deal took to close: left out of the "
        "fits (exclude, the default), counted as lost at that age (lost), or kept as open (keep)")
    stale_after_days: float | None = Field(
        default=None, gt=0, description="the age that makes an open deal stale (default: the longest time from "
        "creation to close among closed deals)")

    @field_validator("columns", "wide_stage_columns")
    @classmethod
    def _column_names(cls, v: dict) -> dict:
        for k, name in v.items():
            if not name.strip():
                raise ValueError(f"{k}: empty column name")
        return v

    @field_validator("currency_rates")
    @classmethod
    def _rates(cls, v: dict) -> dict:
        import math

        for k, r in v.items():
            if not (isinstance(r, int | float) and math.isfinite(r) and r > 0):
                raise ValueError(f"{k}: a rate must be a number > 0 (USD per unit)")
        return {k.strip().upper(): float(r) for k, r in v.items()}

    @field_validator("date_format")
    @classmethod
    def _format(cls, v: str | None) -> str | None:
        if v is not None and "%" not in v:
            raise ValueError(f"{v!r}: expected a strftime format such as %d/%m/%Y")
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
            if self.created_stage is not None and normalize_name(self.created_stage) not in names:
                raise ValueError(f"created_stage: {self.created_stage!r} is not one of stages ({', '.join(names)})")
        if self.layout == "snapshot" and self.wide_stage_columns:
            raise ValueError("layout snapshot and wide_stage_columns are two export shapes; give one")
        if self.date_format is not None and self.dayfirst is not None:
            raise ValueError("give date_format or dayfirst, not both (the format says the order)")
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
        m = Mapping.model_validate(data)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            key = ".".join(str(x) for x in e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            where = f"{p}: {key}: " if key else f"{p}: "
            lines.append(where + msg + (f" (allowed canonical columns: {', '.join(CANONICAL)})"
                                        if e["type"] == "literal_error" and e["loc"][:1] == ("columns",) else ""))
        raise DataError("\n".join(lines)) from None
    # joined files are named relative to the mapping file, so a mapping travels with its data
    joins = [j.model_copy(update={"file": str(p.parent / j.file) if not Path(j.file).is_absolute() else j.file})
             for j in m.joins]
    return m.model_copy(update={"joins": joins})
