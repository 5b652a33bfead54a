"""A seeded fuzzer for ``salesim calibrate`` and ``salesim backtest``: mutated copies of the
shipped sample (``data/crm/sample_history.csv`` and its mapping) through the command line.

Each case applies one to three mutations drawn from :data:`MUTATIONS` (encodings,
delimiters, dates in several spellings and extreme years, amounts at the float limits,
missing, repeated and renamed columns, ragged and blank rows, odd stage labels, tiny
histories, broken or contradictory mapping files, odd ``--as-of`` values) and asserts the
promise of the command: exit 0 with a scenario that loads, finite and plausible numbers and
a report without ``nan``; or exit 2 with a message naming the file, a row, a key or a flag and
no output left behind. Never a traceback, a hang or a partial file. A failing case prints its
seed and mutations, so it can be replayed with ``case(seed)``.

The default run tries a handful of seeds (about 20 s); ``-m slow`` tries hundreds.
"""

from __future__ import annotations

import csv
import io
import math
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "crm" / "sample_history.csv"
MAPPING = ROOT / "data" / "crm" / "sample_mapping.yaml"
N_OPPS = 120  # the first deals of the sample: enough for every fit, quick to fit
CASE_SECONDS = 120  # far beyond a normal case (a second or two): more is a hang
MAX_WEEKS = 120  # the sample spans four months; no mutation may stretch a fit past two years or so

TS_COLUMNS = ("Stage Entered", "Created Date", "Close Date")
AMOUNT_COLUMNS = ("Amount", "List Price")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%B %d, %Y", "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M:%S%z", "%Y%m%dT%H%M%S", "%a %d %b %Y %H:%M")
ODD_DATES = ("0001-01-01", "1677-09-21T00:00:00Z", "1899-12-31", "1900-01-01", "2199-12-31", "2262-04-11",
             "9999-12-31T23:59:59Z", "now", "today", "NaT", "nan", "inf", "", "  ", "2024-02-30", "2024-13-01",
             "1704067200", "2124-03-01T00:00:00Z", "2024-01-01T00:00:00+25:00", "31/31/2024", "\u0663\u0660")
ODD_AMOUNTS = ("0", "-1", "1e12", "1000000000001", "5e12", "inf", "-inf", "nan", "1e309", "-1e309", "1e-320",
               "4.9e-324", "1.7976931348623157e308", "1,000.00", "1.000,00", "$5", "€ 7", "abc", "", "0x10",
               "1_000", "(100)", "9" * 400)
ODD_LABELS = ("", " ", "yes", "No", "null", "TRUE", "on", "~", "Qualifié", "阶段一", "a" * 300, "<b>x</b>",
              "[x](y)", "a: b", "# c", "...", "---", "'q'", '"q"', "\t", "0", "1e5", "-", "x\ny")


@dataclass
class Case:
    seed: int
    header: list[str]
    rows: list[list[str]]
    mapping: dict | bytes | str | None
    encoding: str = "utf-8"
    delimiter: str = ","
    as_of: str | None = None
    raw: bytes | None = None  # set when the file's bytes are damaged after encoding (m_bytes)
    damage: int = -1
    damage_seed: int = 0
    log: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)

    def col(self, name: str) -> int | None:
        return self.header.index(name) if name in self.header else None


def _base() -> tuple[list[str], list[list[str]]]:
    with SAMPLE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    keep, out = set(), []
    for r in body:
        if r[0] not in keep and len(keep) < N_OPPS:
            keep.add(r[0])
        if r[0] in keep:
            out.append(r)
    return header, out


BASE = _base()
BASE_MAPPING = yaml.safe_load(MAPPING.read_text())


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _rows(rng, case: Case, share: float | None = None) -> list[int]:
    n = len(case.rows)
    if n == 0:
        return []
    share = share if share is not None else float(rng.choice([0.01, 0.1, 0.5, 1.0]))
    k = max(1, int(round(n * share)))
    return sorted(rng.choice(n, size=min(k, n), replace=False).tolist())


def _set(c: Case, i: int, j: int, value: str) -> None:
    if len(c.rows[i]) > j:  # a ragged row may be short
        c.rows[i][j] = value


# --------------------------------------------------------------------------- mutations


def m_encoding(rng, c: Case):
    c.encoding = _pick(rng, ["utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1", "utf-32"])
    c.log.append(f"encoding {c.encoding}")


def m_delimiter(rng, c: Case):
    c.delimiter = _pick(rng, [";", "\t", "|"])
    c.log.append(f"delimiter {c.delimiter!r}")


def m_date_format(rng, c: Case):
    import pandas as pd

    col = _pick(rng, TS_COLUMNS)
    j = c.col(col)
    if j is None:
        return
    fmt = _pick(rng, DATE_FORMATS)
    for i in _rows(rng, c):
        v = c.rows[i][j] if len(c.rows[i]) > j else ""
        try:
            t = pd.Timestamp(v)
            text = t.strftime(fmt) if "%z" in fmt or t.tzinfo is None else t.tz_convert(None).strftime(fmt)
        except (ValueError, TypeError, OverflowError):  # an earlier mutation made it odd: leave it
            continue
        c.rows[i][j] = text
    c.log.append(f"{col} as {fmt}")


def m_odd_dates(rng, c: Case):
    col = _pick(rng, TS_COLUMNS)
    j = c.col(col)
    if j is None:
        return
    value = _pick(rng, ODD_DATES)
    rows = _rows(rng, c, float(rng.choice([0.005, 0.05, 1.0])))
    for i in rows:
        _set(c, i, j, value)
    c.log.append(f"{col} = {value!r} on {len(rows)} rows")


def m_amounts(rng, c: Case):
    col = _pick(rng, AMOUNT_COLUMNS)
    j = c.col(col)
    if j is None:
        return
    value = _pick(rng, ODD_AMOUNTS)
    rows = _rows(rng, c)
    for i in rows:
        _set(c, i, j, value)
    c.log.append(f"{col} = {value!r} on {len(rows)} rows")


def m_drop_column(rng, c: Case):
    if not c.header:
        return
    j = int(rng.integers(len(c.header)))
    c.log.append(f"drop column {c.header[j]!r}")
    del c.header[j]
    for r in c.rows:
        if j < len(r):
            del r[j]


def m_repeat_column(rng, c: Case):
    if not c.header:
        return
    j = int(rng.integers(len(c.header)))
    c.header.append(c.header[j])
    for r in c.rows:
        r.append(r[j] if j < len(r) else "")
    c.log.append(f"repeat column {c.header[j]!r}")


def m_rename_header(rng, c: Case):
    if not c.header:
        return
    j = int(rng.integers(len(c.header)))
    new = _pick(rng, ["", " Stage ", "stage", "Opportunity ID", "entered_at", "\ufeffX", "a" * 200, "Stage"])
    c.log.append(f"header {c.header[j]!r} -> {new!r}")
    c.header[j] = new


def m_shuffle_columns(rng, c: Case):
    order = rng.permutation(len(c.header)).tolist()
    c.header = [c.header[k] for k in order]
    c.rows = [[r[k] if k < len(r) else "" for k in order] for r in c.rows]
    c.log.append("columns shuffled")


def m_truncate(rng, c: Case):
    k = int(_pick(rng, [0, 1, 2, 3, 5, 12]))
    c.rows = c.rows[:k]
    c.log.append(f"first {k} rows only")


def m_duplicate_rows(rng, c: Case):
    rows = _rows(rng, c)
    c.rows += [list(c.rows[i]) for i in rows]
    c.log.append(f"{len(rows)} rows repeated")


def m_shuffle_rows(rng, c: Case):
    c.rows = [c.rows[i] for i in rng.permutation(len(c.rows))]
    c.log.append("rows shuffled")


def m_ragged(rng, c: Case):
    rows = _rows(rng, c, 0.05)
    for i in rows:
        r = c.rows[i]
        if rng.random() < 0.5 and r:
            c.rows[i] = r[: int(rng.integers(len(r)))]
        else:
            c.rows[i] = r + ["extra"] * int(rng.integers(1, 3))
    c.log.append(f"{len(rows)} ragged rows")


def m_blank_and_quotes(rng, c: Case):
    rows = _rows(rng, c, 0.05)
    for i in reversed(rows):
        c.rows.insert(i, [])
    j = c.col("Lead Source")
    if j is not None and c.rows:
        for i in _rows(rng, c, 0.05):
            if len(c.rows[i]) > j:
                c.rows[i][j] = 'web"site,\n"x'
    c.log.append("blank lines and quoted fields")


def m_stage_labels(rng, c: Case):
    j = c.col("Stage")
    if j is None:
        return
    how = _pick(rng, ["case", "odd", "unique", "only_won", "one_stage"])
    if how == "case":
        for r in c.rows:
            if len(r) > j:
                r[j] = f"  {r[j].upper()} "
    elif how == "odd":
        value = _pick(rng, ODD_LABELS)
        for i in _rows(rng, c, 0.1):
            if len(c.rows[i]) > j:
                c.rows[i][j] = value
    elif how == "unique":
        for i, r in enumerate(c.rows):
            if len(r) > j:
                r[j] = f"stage {i}"
    elif how == "only_won":
        c.rows = [r for r in c.rows if len(r) > j and r[j] == "Closed Won"]
    else:
        for r in c.rows:
            if len(r) > j:
                r[j] = "Lead"
    c.log.append(f"stage labels: {how}")


def m_labels(rng, c: Case):
    col = _pick(rng, ["Segment", "Lead Source", "Owner", "Owner Role", "Outcome", "Opportunity ID"])
    j = c.col(col)
    if j is None:
        return
    value = _pick(rng, ODD_LABELS)
    rows = _rows(rng, c)
    for i in rows:
        if len(c.rows[i]) > j:
            c.rows[i][j] = value
    c.log.append(f"{col} = {value!r} on {len(rows)} rows")


def m_mapping(rng, c: Case):
    m = dict(c.mapping) if isinstance(c.mapping, dict) else dict(BASE_MAPPING)
    how = _pick(rng, ["stages_empty", "stages_dup", "stages_extra", "stages_missing", "stages_reorder",
                      "stages_lost", "names_garbage", "column_missing", "column_same", "timezone", "won_flag",
                      "wide", "bytes", "syntax", "none", "not_mapping", "unknown_key", "types", "lost_won"])
    if how == "stages_empty":
        m["stages"] = []
    elif how == "stages_dup":
        m["stages"] = list(m["stages"]) + [m["stages"][1]]
    elif how == "stages_extra":
        m["stages"] = list(m["stages"][:-1]) + ["negotiation", m["stages"][-1]]
    elif how == "stages_missing":
        m["stages"] = [s for s in m["stages"] if s != "demo"]
    elif how == "stages_reorder":
        m["stages"] = list(reversed(m["stages"]))
    elif how == "stages_lost":
        m["stages"] = ["lost"] + list(m["stages"])
    elif how == "names_garbage":
        m["stage_names"] = {"Proposal/Quote": "Proposal Quote!!", "Closed Won": "won", "Lead": "阶段一", "Demo": ""}
    elif how == "column_missing":
        m["columns"] = dict(m["columns"]) | {"amount": "No Such Column"}
    elif how == "column_same":
        m["columns"] = dict(m["columns"]) | {"created_at": "Stage Entered", "list_amount": "Amount"}
    elif how == "timezone":
        m["timezone"] = _pick(rng, ["Europe/Berlin", "America/Los_Angeles", "Mars/Base", "+05:30", "", "nan"])
    elif how == "won_flag":
        m["won_flag"], m["closed_flag"] = "Outcome", _pick(rng, ["Outcome", "Nope"])
    elif how == "wide":
        m["wide_stage_columns"] = {"Stage Entered": "lead", "Close Date": "won"}
    elif how == "bytes":
        c.mapping = bytes(rng.integers(0, 256, 300, dtype=np.uint8))
        c.log.append("mapping: random bytes")
        return
    elif how == "syntax":
        c.mapping = "columns: {opportunity_id: [unclosed\nstages: [a, b\n"
        c.log.append("mapping: YAML syntax error")
        return
    elif how == "none":
        c.mapping = None
        c.log.append("no mapping")
        return
    elif how == "not_mapping":
        c.mapping = "- a\n- b\n"
        c.log.append("mapping: a list")
        return
    elif how == "unknown_key":
        m["stagez"] = ["a"]
    elif how == "types":
        m["stages"] = [1, 2.5, True, None]
    else:
        m["won_stages"], m["lost_stages"] = ["won"], ["won"]
    c.mapping = m
    c.log.append(f"mapping: {how}")


def m_as_of(rng, c: Case):
    c.as_of = _pick(rng, ["2024-05-01", "2024-04-24T23:59:59Z", "2024-03-01", "2025-03-01", "2030-01-01", "1990-01-01",
                          "nan", "NaT", "now", "2262-03-01", "0001-01-01", "", "2024-02-30", "2024-05-01T00:00+14:00"])
    c.log.append(f"--as-of {c.as_of!r}")


def m_bytes(rng, c: Case):
    """Byte-level damage after encoding: a NUL, stray high bytes, a cut in the middle."""
    c.raw = b""  # marker: damage applied in write()
    c.log.append("bytes damaged")


MUTATIONS = [m_encoding, m_delimiter, m_date_format, m_odd_dates, m_amounts, m_drop_column, m_repeat_column,
             m_rename_header, m_shuffle_columns, m_truncate, m_duplicate_rows, m_shuffle_rows, m_ragged,
             m_blank_and_quotes, m_stage_labels, m_labels, m_mapping, m_as_of, m_bytes]


def case(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    header, rows = BASE
    c = Case(seed, list(header), [list(r) for r in rows], dict(BASE_MAPPING))
    for _ in range(int(rng.integers(1, 4))):
        mutate = _pick(rng, MUTATIONS)
        c.applied.append(mutate.__name__)
        mutate(rng, c)
    c.damage = int(rng.integers(0, 3)) if c.raw is not None else -1
    c.damage_seed = int(rng.integers(2**31))
    return c


def write(c: Case, folder: Path) -> tuple[Path, Path | None]:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=c.delimiter, lineterminator="\n")
    w.writerow(c.header)
    w.writerows(c.rows)
    data = buf.getvalue().encode(c.encoding, errors="replace")
    if c.raw is not None:
        rng = np.random.default_rng(c.damage_seed)
        b = bytearray(data)
        if c.damage == 0 and b:
            b.insert(int(rng.integers(len(b))), 0)
        elif c.damage == 1 and b:
            for _ in range(5):
                b[int(rng.integers(len(b)))] = int(rng.integers(128, 256))
        else:
            b = b[: len(b) // 2]
        data = bytes(b)
    hist = folder / "history.csv"
    hist.write_bytes(data)
    if c.mapping is None:
        return hist, None
    mp = folder / "mapping.yaml"
    if isinstance(c.mapping, bytes):
        mp.write_bytes(c.mapping)
    elif isinstance(c.mapping, str):
        mp.write_text(c.mapping)
    else:
        mp.write_text(yaml.safe_dump(c.mapping, allow_unicode=True))
    return hist, mp


# --------------------------------------------------------------------------- the promise


class Hang(Exception):
    pass


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    def alarm(signum, frame):
        raise Hang(f"no answer within {CASE_SECONDS} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(CASE_SECONDS)
    try:
        rc = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    return rc, out, err


def _finite(v, where="") -> None:
    if isinstance(v, dict):
        for k, x in v.items():
            _finite(x, f"{where}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _finite(x, f"{where}[{i}]")
    elif isinstance(v, float):
        assert math.isfinite(v), f"{where} = {v}"


def _plausible(path: Path, rows: int) -> None:
    s = sim.load_scenario(path)
    _finite(yaml.safe_load(path.read_text()))
    assert s.horizon_weeks <= MAX_WEEKS, f"horizon_weeks {s.horizon_weeks}"
    span_days = (s.horizon_weeks + 0.1) * 7
    for seg in s.segments.values():
        assert seg.acv_usd.mean() < 1e12 * 1e6
        for st in seg.steps.values():
            assert st.elapsed_days.mean() <= span_days + 1, f"mean days {st.elapsed_days.mean()} > span {span_days}"
    for src in s.sources.values():
        assert 0 < src.rate_per_week <= 7 * max(rows, 1), f"rate {src.rate_per_week} from {rows} rows"


def _named(err: str, *names) -> bool:
    return any(n and n in err for n in names)


def check_calibrate(c: Case, tmp: Path, capsys) -> None:
    hist, mp = write(c, tmp)
    out = tmp / "out" / "fitted.yaml"
    out.parent.mkdir()
    argv = ["calibrate", str(hist), "--out", str(out)] + (["--mapping", str(mp)] if mp else []) \
        + (["--as-of", c.as_of] if c.as_of is not None else [])
    what = f"seed {c.seed}: {'; '.join(c.log)}"
    rc, stdout, err = _run(argv, capsys)
    assert "Traceback" not in err, f"{what}\n{err}"
    assert rc in (0, 2), f"{what}: exit {rc}\n{err}"
    written = sorted(p.name for p in out.parent.iterdir() if not p.name.startswith("."))
    if rc == 2:
        assert err.startswith("salesim: error:") or "salesim: error:" in err, f"{what}\n{err}"
        assert _named(err, str(hist), str(mp) if mp else None, "--as-of", "--mapping"), f"{what}: names nothing\n{err}"
        assert "cannot fit the" not in err and "does not validate" not in err, f"{what}: internal failure\n{err}"
        assert written == [], f"{what}: left {written}"
        return
    assert written == ["fit_durations.png", "fit_report.md", "fitted.yaml"], f"{what}: {written}"
    _plausible(out, len(c.rows))
    report = (out.parent / "fit_report.md").read_text()
    assert not re.search(r"\b(nan|inf)\b", report), f"{what}: nan/inf in the report"
    m = re.search(r"fitted (\d+) opportunities \((\d+) kind", stdout)
    assert m and int(m.group(1)) > 0, f"{what}\n{stdout}"


def check_backtest(c: Case, tmp: Path, capsys, cut: str) -> None:
    hist, mp = write(c, tmp)
    out = tmp / "bt"
    argv = ["backtest", str(hist), "--train-until", cut, "--runs", "3", "--out", str(out)] + \
        (["--mapping", str(mp)] if mp else []) + (["--as-of", c.as_of] if c.as_of is not None else [])
    what = f"seed {c.seed}, --train-until {cut}: {'; '.join(c.log)}"
    rc, _, err = _run(argv, capsys)
    assert "Traceback" not in err and rc in (0, 2), f"{what}: exit {rc}\n{err}"
    if rc == 2:
        assert _named(err, str(hist), str(mp) if mp else None, "--as-of", "--mapping", "--train-until"), \
            f"{what}: names nothing\n{err}"
        assert "cannot fit the" not in err and "does not validate" not in err, f"{what}: internal failure\n{err}"
        assert not out.exists(), f"{what}: left {out}"
        return
    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert files == ["backtest.md", "backtest_cells.csv", "backtest_fitted.yaml", "backtest_forecast.csv"], \
        f"{what}: {files}"
    sim.validate_data(yaml.safe_load((out / "backtest_fitted.yaml").read_text()))
    assert not re.search(r"\b(nan|inf)\b", (out / "backtest.md").read_text()), what


# --------------------------------------------------------------------------- the runs


def test_the_base_sample_fits(tmp_path, capsys):
    c = Case(-1, list(BASE[0]), [list(r) for r in BASE[1]], dict(BASE_MAPPING))
    check_calibrate(c, tmp_path, capsys)


@pytest.mark.parametrize("seed", range(10))
def test_calibrate_fuzz(tmp_path, capsys, seed):
    check_calibrate(case(seed), tmp_path, capsys)


@pytest.mark.parametrize("seed", [1000, 1001])
def test_backtest_fuzz(tmp_path, capsys, seed):
    check_backtest(case(seed), tmp_path, capsys, "2024-03-01")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10, 400))
def test_calibrate_fuzz_long(tmp_path, capsys, seed):
    check_calibrate(case(seed), tmp_path, capsys)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1002, 1040))
def test_backtest_fuzz_long(tmp_path, capsys, seed):
    rng = np.random.default_rng(seed)
    cut = _pick(rng, ["2024-03-01", "2024-01-02", "2024-04-24", "2024-04-30", "nan", "2023-01-01", "2030-01-01"])
    check_backtest(case(seed), tmp_path, capsys, cut)


def test_the_long_run_tries_every_mutation():
    seen = {name for seed in range(10, 400) for name in case(seed).applied}
    assert seen == {m.__name__ for m in MUTATIONS}
