"""The benchmark table: published ranges a realistic scenario should sit in.

Why a data file: the figures (AE bookings a year, win rates by segment, GRR,
CAC payback...) come from surveys and reports that will be revised; a
company may want its own (its board plan, last year's actuals). So the ranges
live in ``sim/benchmarks/table.csv``, shipped with the package, one row per
metric and segment (or motion), and this module only reads and checks such a
table. Comparing a run's figures with it is ``sim.metrics.benchmark_figures``;
``salesim check`` runs replications and prints the comparison.

Columns: ``metric``, ``segment`` (``smb``, ``mid_market``, ``enterprise``,
a motion such as ``inside``, ``field``, ``outbound``, ``inbound``, or
``all``), ``low``, ``typical``, ``high``, ``unit``, ``source``, ``year``,
``trust`` (``H`` primary study, ``M`` industry report, ``L`` blog or
second-hand, ``L-M`` in between; docs/background.md#trust-marks) and
``note``. A company's own table needs only ``metric``, ``segment``, ``low``
and ``high``.

Python API::

    from sim.benchmarks import default_table, load_table
    t = default_table()
    row = t.get("win_rate", "mid_market")    # a Benchmark, or None
    row.low, row.typical, row.high, row.source, row.trust
    row.position(0.31)                       # "above"
    t.get("span_of_control")                 # segment "all"
    t.rows_for("win_rate")                   # every segment's row
    own = load_table("board_plan.csv")       # exit-2 UsageError on a bad file

``get(metric, segment)`` returns the segment's own row, else the ``all`` row,
else None. Loading is lazy (nothing is read at import).
"""

from __future__ import annotations

import csv
import io
import math
import os
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sim.errors import UsageError

__all__ = ["Benchmark", "Table", "default_table", "load_table", "parse_table", "TRUST_MARKS", "SEGMENTS",
           "ALL", "TABLE_PATH"]

TABLE_PATH = Path(__file__).with_name("table.csv")
ALL = "all"
TRUST_MARKS = ("H", "M-H", "M", "L-M", "L")
SEGMENTS = ("smb", "mid_market", "enterprise", "inside", "field", "outbound", "inbound", "plg", ALL)
UNITS = ("USD", "fraction", "ratio", "count", "days", "months", "years", "hours", "")
REQUIRED = ("metric", "segment", "low", "high")
COLUMNS = ("metric", "segment", "low", "typical", "high", "unit", "source", "year", "trust", "note")
MAX_BYTES = 1_000_000  # a benchmark table is a few kilobytes; refuse anything far larger
POSITIONS = ("below", "inside", "above")


@dataclass(frozen=True)
class Benchmark:
    """One row: the range of ``metric`` for ``segment``."""

    metric: str
    segment: str
    low: float
    high: float
    typical: float | None = None
    unit: str = ""
    source: str = ""
    year: int | None = None
    trust: str = ""
    note: str = ""

    def position(self, value: float) -> str:
        """``below``, ``inside`` (bounds included) or ``above`` the range. A value within
        rounding of a bound (a relative 1e-9) is on it: a share computed as 1 - 0.6 is
        0.4000000000000001, and a scenario that sets a share at the table's bound must read
        inside, not above."""
        if value < self.low - _slack(self.low):
            return "below"
        if value > self.high + _slack(self.high):
            return "above"
        return "inside"

    def cited(self) -> str:
        """The source as printed: ``source, year (trust)``."""
        text = self.source or "no source given"
        if self.year:
            text += f", {self.year}"
        return f"{text} ({self.trust})" if self.trust else text


@dataclass(frozen=True)
class Table:
    """A checked benchmark table (rows in file order)."""

    rows: tuple[Benchmark, ...]
    name: str = "salesim benchmarks"
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self._index.update({(r.metric, r.segment): r for r in self.rows})

    def get(self, metric: str, segment: str = ALL) -> Benchmark | None:
        """The row for ``metric`` and ``segment``, else its ``all`` row, else None."""
        return self._index.get((metric, segment)) or self._index.get((metric, ALL))

    def rows_for(self, metric: str) -> tuple[Benchmark, ...]:
        return tuple(r for r in self.rows if r.metric == metric)

    def metrics(self) -> tuple[str, ...]:
        """Metric names in file order, each once."""
        return tuple(dict.fromkeys(r.metric for r in self.rows))

    def __len__(self) -> int:
        return len(self.rows)


@lru_cache(maxsize=1)
def default_table() -> Table:
    """The table shipped with salesim (read once)."""
    return parse_table(TABLE_PATH.read_text(encoding="utf-8"), str(TABLE_PATH), name="salesim benchmarks",
                       full=True)


def load_table(path: str | os.PathLike) -> Table:
    """A user's table from a CSV file; any problem is a UsageError naming the file and row."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise UsageError(f"--table {p}: cannot read it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"--table {p}: not a regular file")
    if st.st_size > MAX_BYTES:
        raise UsageError(f"--table {p}: {st.st_size} bytes; a benchmark table holds at most {MAX_BYTES}")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise UsageError(f"--table {p}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UsageError(f"--table {p}: not UTF-8 text; save the table as a UTF-8 CSV file") from None
    return parse_table(text, str(p), name=p.name)


def _number(text: str, where: str, column: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise UsageError(f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(x):
        raise UsageError(f"{where}: {column} {text!r} is not a finite number")
    return x


def parse_table(text: str, where: str, name: str = "", full: bool = False) -> Table:
    """Rows of a CSV text, checked. ``full``: every column of the shipped table is required
    (its source, year and trust mark too), as for salesim's own table."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    need = COLUMNS if full else REQUIRED
    missing = [c for c in need if c not in header]
    if missing:
        raise UsageError(f"{where}: the table has no column {', '.join(missing)} (columns: {', '.join(COLUMNS)}; "
                         f"required: {', '.join(need)})")
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise UsageError(f"{where}: unknown column {', '.join(map(repr, unknown))} (columns: {', '.join(COLUMNS)})")
    rows: list[Benchmark] = []
    seen: dict[tuple[str, str], int] = {}
    try:
        records = list(reader)
    except csv.Error as exc:
        raise UsageError(f"{where}: not a readable CSV table ({exc})") from None
    for i, rec in enumerate(records, start=2):  # line 1 is the header
        at = f"{where}, row {i}"
        if None in rec:
            raise UsageError(f"{at}: more cells than columns")
        cell = {k: (v or "").strip() for k, v in rec.items()}
        if not any(cell.values()):
            continue
        metric, segment = cell["metric"], cell["segment"] or ALL
        if not metric or not metric.replace("_", "").isalnum() or not metric.isascii():
            raise UsageError(f"{at}: metric {metric!r} must be a name of letters, digits and _")
        if segment not in SEGMENTS:
            raise UsageError(f"{at}: segment {segment!r} is none of {', '.join(SEGMENTS)}")
        if (metric, segment) in seen:
            raise UsageError(f"{at}: {metric} for {segment} is already given in row {seen[(metric, segment)]}")
        seen[(metric, segment)] = i
        for c in need:
            if not cell.get(c) and c not in ("segment", "note", "year", "typical"):
                raise UsageError(f"{at}: {c} is empty")
        low, high = _number(cell["low"], at, "low"), _number(cell["high"], at, "high")
        typical = _number(cell["typical"], at, "typical") if cell.get("typical") else None
        if low > high:
            raise UsageError(f"{at}: low {low:g} is above high {high:g}")
        if typical is not None and not low <= typical <= high:
            raise UsageError(f"{at}: typical {typical:g} is outside low {low:g} .. high {high:g}")
        unit = cell.get("unit", "")
        if unit not in UNITS:
            raise UsageError(f"{at}: unit {unit!r} is none of {', '.join(u for u in UNITS if u)}")
        trust = cell.get("trust", "")
        if trust and trust not in TRUST_MARKS:
            raise UsageError(f"{at}: trust {trust!r} is none of {', '.join(TRUST_MARKS)}")
        year = None
        if cell.get("year"):
            if not cell["year"].isdigit() or not 1900 <= int(cell["year"]) <= 2100:
                raise UsageError(f"{at}: year {cell['year']!r} is not a year")
            year = int(cell["year"])
        rows.append(Benchmark(metric, segment, low, high, typical, unit, cell.get("source", ""), year, trust,
                              cell.get("note", "")))
    if not rows:
        raise UsageError(f"{where}: the table has no rows")
    return Table(tuple(rows), name=name or where)


def _slack(bound: float) -> float:
    """How far from ``bound`` a value may be and still be on it: floating-point rounding."""
    return 1e-9 * max(1.0, abs(bound))

